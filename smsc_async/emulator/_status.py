"""status.php (status and delete) and balance.php."""

from __future__ import annotations

from decimal import Decimal

from ._params import moscow_date, normalize_recipient, parse_int
from ._render import (
    FMT_CSV,
    FMT_JSON,
    FMT_XML,
    error_text,
    money,
    render_record,
    to_json,
    to_xml,
)
from ._send import MESSAGE_TYPES, operator_of
from ._store import Call, Store
from ._types import ApiFailure, Message

__all__ = ["STATUS_NAMES", "handle_balance", "handle_status"]

# Status names as SMSC shows them (in Russian, encoded with the request charset).
STATUS_NAMES = {
    -3: "Сообщение не найдено",
    -2: "Остановлено",
    -1: "Ожидает отправки",
    0: "Передано оператору",
    1: "Доставлено",
    2: "Прочитано",
    3: "Просрочено",
    4: "Нажата ссылка",
    6: "Спам",
    20: "Невозможно доставить",
    22: "Неверный номер",
    23: "Запрещено",
    24: "Недостаточно средств",
    25: "Недоступный номер",
}

_HLR_KEYS = ("imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet")
_FULL_KEYS = ("send_timestamp", "phone", "cost", "sender_id", "status_name")
_REGION_KEYS = ("country", "operator", "region")
# fmt=0 all=1 after `Status, check_time, err`, in the page's order (status_answer, §7.2).
_TEXT_FULL_KEYS = (
    "send_date",
    "phone",
    "cost",
    "sender_id",
    "status_name",
    "message",
    "comment",
    "type",
)


def _pairs(params: dict[str, str]) -> tuple[list[tuple[str, str]], bool]:
    raw_ids, raw_phones = params.get("id", ""), params.get("phone", "")
    ids = [item for raw in raw_ids.split(",") if (item := raw.strip())]
    phones = [item for raw in raw_phones.split(",") if (item := raw.strip())]
    if not ids or not phones:
        raise ApiFailure(1, error_text(1))
    # A comma in either list (even a trailing one) asks for the list format.
    multi = "," in raw_ids or "," in raw_phones
    # Gap: lists of different lengths. One phone (or one id) is paired with every entry of
    # the other list; other mismatches are a parameter error.
    if len(phones) == 1:
        phones *= len(ids)
    elif len(ids) == 1:
        ids *= len(phones)
    if len(ids) != len(phones):
        raise ApiFailure(1, error_text(1))
    return list(zip(ids, phones, strict=True)), multi


def handle_status(store: Store, call: Call) -> str:
    """Answer status.php: the status of one or several messages, or ``del=1``.

    Raises:
        ApiFailure: 1 parameters; 5 when a message to delete is unknown.
    """
    params = call.params
    pairs, multi = _pairs(params)
    login = call.account.account.login
    if params.get("del", "").strip() not in ("", "0"):
        return _delete(store, call, login, pairs)
    level = parse_int(params.get("all"), 0, lo=0, hi=2)
    rows = [_row(store, call.now, login, mid, phone, level) for mid, phone in pairs]
    if call.fmt == FMT_JSON:
        if not multi:
            return to_json(rows[0].fields)
        return to_json([{"id": r.id, "phone": r.phone, **r.fields} for r in rows])
    if call.fmt == FMT_XML:
        # The page wraps one status in <sms>…</sms> (status, last_date, last_timestamp, flag,
        # err, then the all=1/2 fields as in JSON). Gap: the multi shape is not shown; each
        # message is an <sms> element under <result>.
        if not multi:
            return render_record(FMT_XML, rows[0].fields, item="sms")
        return to_xml([{"id": r.id, "phone": r.phone, **r.fields} for r in rows], item="sms")
    if call.fmt == FMT_CSV:
        # Gap: the columns that name the message in multi lines are not captured; the
        # emulator puts `id,phone,` first so the message text stays last.
        if not multi:
            return rows[0].csv(level)
        return "\n".join(f"{r.id},{r.phone},{r.csv(level)}" for r in rows)
    if not multi:
        return rows[0].text(level)
    return "\n".join(f"id = {r.id}, phone = {r.phone}, {r.text(level)}" for r in rows)


def _delete(store: Store, call: Call, login: str, pairs: list[tuple[str, str]]) -> str:
    # All named messages must exist, else nothing is deleted (gap: SMSC's behaviour for a
    # partly unknown list is not captured).
    found = [store.find(login, mid, phone) for mid, phone in pairs]
    messages = [m for m in found if m is not None]
    if len(messages) != len(found):
        raise ApiFailure(5, error_text(5, "status.php"))
    for message in messages:
        store.delete(message)
    # Gap: the success body is not captured; the emulator answers like phones.php does.
    if call.fmt == FMT_JSON:
        return to_json({"result": "OK"})
    if call.fmt == FMT_XML:
        return to_xml({"result": "OK"})
    return "OK"


class _Row:
    __slots__ = ("fields", "hlr", "id", "phone")

    def __init__(self, message_id: str, phone: str, fields: dict[str, object], hlr: bool):
        self.id = message_id
        self.phone = phone
        self.fields = fields
        self.hlr = hlr

    def csv(self, level: int) -> str:
        # fmt=1 column order of the official libraries (§7.2): HLR fields right after
        # status/time/err; all=2 region columns before the text (after HLR fields for HLR).
        f = self.fields
        columns: list[object] = [f["status"], f["last_timestamp"], f["err"]]
        has_more = "send_timestamp" in f
        if self.hlr:
            columns += [f[key] for key in _HLR_KEYS if key in f]
        if has_more and level == 2 and self.hlr:
            columns += [f[key] for key in _REGION_KEYS]
        if has_more:
            columns += [f[key] for key in _FULL_KEYS]
            if level == 2 and not self.hlr:
                columns += [f[key] for key in _REGION_KEYS]
            columns.append(f["message"])
        return ",".join(str(c) for c in columns)

    def text(self, level: int) -> str:
        # fmt=0 as on the page: `Status = <status>, check_time = <last_date>, err = <err>`
        # (err always, even 0), then for all=1 `send_date, phone, cost, sender_id,
        # status_name, message, comment, type`. The JSON-only fields (last_timestamp, flag,
        # send_timestamp, sms_cnt, mccmnc) are not in the text. Where the page is silent:
        # HLR fields right after err (as in fmt=1), all=2's country/operator/region after
        # type (as in JSON).
        f = self.fields
        keys: list[str] = list(_HLR_KEYS) if self.hlr else []
        if level >= 1:
            keys += _TEXT_FULL_KEYS
        if level == 2:
            keys += _REGION_KEYS
        parts = [
            f"Status = {f['status']}",
            f"check_time = {f['last_date']}",
            f"err = {f['err']}",
        ]
        parts += [f"{key} = {f[key]}" for key in keys if key in f]
        return ", ".join(parts)


def _row(store: Store, now: float, login: str, mid: str, phone: str, level: int) -> _Row:
    message = store.find(login, mid, phone)
    if message is None:
        unix = int(store.unix(now))
        # Gap: the dates of an unknown message are not captured; the check time is used.
        fields: dict[str, object] = {
            "status": -3,
            "last_date": moscow_date(unix),
            "last_timestamp": unix,
            "flag": 0,
            "err": 0,
        }
        return _Row(mid, normalize_recipient(phone), fields, hlr=False)
    status, err, changed_at, final = store.status_at(message, now)
    last = int(store.unix(changed_at))
    fields = {
        "status": status,
        "last_date": moscow_date(last),
        "last_timestamp": last,
        "flag": 0,
        "err": err,
    }
    if level >= 1:
        fields.update(_full_fields(store, message, status))
    if level == 2:
        country, operator, region = operator_of(message.phone)[:3]
        fields.update(country=country, operator=operator, region=region)
    hlr = message.kind == "hlr"
    if hlr and final:
        fields.update(_hlr_fields(message.phone))
    return _Row(mid, message.phone, fields, hlr)


def _full_fields(store: Store, message: Message, status: int) -> dict[str, object]:
    sent = int(store.unix(message.accepted_at))
    mcc, mnc = operator_of(message.phone)[3:]
    return {
        "send_date": moscow_date(sent),
        "send_timestamp": sent,
        "phone": message.phone,
        "cost": money(message.cost),
        # The official libraries spot HLR rows by the literal "HLR" in the sender column.
        "sender_id": "HLR" if message.kind == "hlr" else message.sender,
        "status_name": STATUS_NAMES.get(status, ""),
        "message": message.text,
        "comment": "",
        "type": MESSAGE_TYPES[message.kind],
        "sms_cnt": message.parts,
        "mccmnc": f"{mcc}{mnc}" if mcc != "0" else "0",
    }


def _hlr_fields(phone: str) -> dict[str, object]:
    # Invented but well-formed HLR data: home network, no roaming.
    country, operator, _, mcc, mnc = operator_of(phone)
    digits = "".join(ch for ch in phone if ch.isdigit())
    return {
        "imsi": f"{mcc}{mnc}{digits[-10:]:0>10}" if mcc != "0" else "",
        "msc": f"{digits[:4]}0000000" if digits else "",
        "mcc": mcc,
        "mnc": mnc,
        "cn": country,
        "net": operator,
        "rcn": "",
        "rnet": "",
    }


def handle_balance(store: Store, call: Call) -> str:
    """Answer balance.php: the balance, with ``cur=1`` the currency and a non-zero credit."""
    state = call.account
    balance = money(state.balance)
    with_currency = call.params.get("cur", "").strip() not in ("", "0")
    credit = state.account.credit
    if call.fmt == FMT_XML and not with_currency:
        # The page: `<balance>250.80</balance>`, the root element itself (not <result>).
        return f"<?xml version='1.0'?><balance>{balance}</balance>"
    if call.fmt in (FMT_JSON, FMT_XML):
        document: dict[str, object] = {"balance": balance}
        if with_currency:
            if credit != Decimal(0):
                document["credit"] = money(credit)
            document["currency"] = state.account.currency
        # Gap: fmt=2 with cur=1 is not shown. One root must hold several values, so they go
        # under <result> (like the error envelope); <balance> still holds the balance.
        return to_json(document) if call.fmt == FMT_JSON else to_xml(document)
    if not with_currency:
        return balance
    # Gap: fmt=0/1 with cur=1 is not captured: `balance,currency`, or
    # `balance,credit,currency` when the credit is non-zero (the JSON key order).
    if credit != Decimal(0):
        return f"{balance},{money(credit)},{state.account.currency}"
    return f"{balance},{state.account.currency}"
