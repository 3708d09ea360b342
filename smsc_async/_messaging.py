"""Messaging commands: every kind of send, cost, status, delete and balance.

:class:`MessagingCommands` is a mixin of :class:`~smsc_async.SMSCClient`, so these are flat
methods on the client. Sends carry a client-assigned message id and are never repeated once
they may have reached SMSC: an ambiguous failure is reconciled through status.php or raised as
:class:`~smsc_async.errors.SendOutcomeUnknownError`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, Unpack

import msgspec

from . import _endpoints as ep
from ._api import Progress, Requester, decode_answer
from ._transport import sleep
from .errors import (
    HTTPStatusError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    SMSCError,
    TransportError,
)
from .models import Balance, CostResult, MessageState, MessageStatus, SendResult
from .params import (
    Attachment,
    MessageKind,
    SendOptions,
    Voice,
    check_parts,
    check_recipients,
    check_text,
    encode_list,
    encode_send_options,
    join_phones,
    validate_message_id,
    validate_status_id,
)

__all__ = ["MessagingCommands"]

log = logging.getLogger("smsc_async")

# Kinds whose status.php "message" is the text that was sent, so a reconciliation can compare it.
_PLAIN_TEXT_KINDS = frozenset(
    {
        MessageKind.SMS,
        MessageKind.FLASH,
        MessageKind.VIBER,
        MessageKind.SOCIAL,
        MessageKind.TELEGRAM,
        MessageKind.WHATSAPP,
    }
)


# Kinds SMSC splits into SMS parts, whose part count ``maxsms`` caps.
_SPLIT_KINDS = frozenset({MessageKind.SMS, MessageKind.FLASH})


def _first_recipient(phones: str) -> str | None:
    first = phones.split(",", 1)[0]
    # A group ("G<number>") has no single recipient to look up in status.php.
    if first[:1] in ("G", "g") and first[1:].isdigit():
        return None
    return first


def _read_attachments(items: Sequence[Attachment]) -> list[tuple[str, bytes]]:
    # Runs in a worker thread: reading files must not block the event loop.
    return [_read_attachment(item) for item in items]


def _same_text(text: str) -> str:
    return " ".join(text.replace("\r\n", "\n").split())


def _read_attachment(item: Attachment) -> tuple[str, bytes]:
    if isinstance(item, Path):
        return item.name, item.read_bytes()
    if (
        isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], bytes | bytearray)
    ):
        return item[0], bytes(item[1])
    raise TypeError("an attachment must be a pathlib.Path or a (filename, bytes) pair")


# The recipient of a message as sent: a number, an e-mail address, a Telegram nickname or #ID.
_RECIPIENT: Final = re.compile(r"[\w@#+.\-() ]{1,100}")


RECONCILE_CLOCK_SKEW: Final = 30.0
"""Seconds SMSC's clock may be behind this host's before a message found under a send's id
counts as an older one. SMSC stamps a message when it accepts it, after the attempt began, so
only clock skew can put it earlier; an identical send cannot repeat within a minute (SMSC's rule),
so a message of the same text under the same id this close is this send. (Gap: what
``send_timestamp`` holds for a scheduled message is not documented; a later time passes.)"""


@dataclass(frozen=True, slots=True)
class _Attempt:
    """What a send knew when its answer was lost: enough to recognise its message."""

    message_id: int | str
    own_id: bool  # the caller gave the id (it may be reused); generated ids are random
    at: float  # wall time when the attempt began
    recipient: str | None
    expected_text: str | None


def _status_fields(id: object, phone: object, all: object) -> dict[str, str]:
    if isinstance(id, str | int) and not isinstance(id, bool) and "," in str(id):
        raise ValueError("one id and one phone here; use get_statuses() for several messages")
    checked_id = validate_status_id(id)
    if not isinstance(phone, str) or not phone.strip():
        raise ValueError(f"phone must be the recipient of the message, got {phone!r}")
    if "," in phone:
        raise ValueError("one id and one phone here; use get_statuses() for several messages")
    if all not in (0, 1, 2):
        raise ValueError(f"all must be 0, 1 or 2, got {all!r}")
    if not _RECIPIENT.fullmatch(phone.strip()):
        raise ValueError(f"phone {phone!r} is not the recipient of a message")
    fields = {"id": checked_id, "phone": phone.strip()}
    if all:
        fields["all"] = str(all)
    return fields


def _mass_status_fields(checked: Iterable[Mapping[str, str]], all: object) -> dict[str, str]:
    """Join single-message status fields into one mass request.

    The trailing comma makes SMSC answer a list even for one message.
    """
    messages = list(checked)
    fields = {
        "id": ",".join(f["id"] for f in messages) + ",",
        "phone": ",".join(f["phone"] for f in messages) + ",",
    }
    if all:
        fields["all"] = str(all)
    return fields


class MessagingCommands(Requester):
    """Send, cost, status, delete and balance commands (flat methods of ``SMSCClient``)."""

    __slots__ = ()

    # Set by SMSCClient.__init__.
    _state: str
    _new_id: Callable[[], int | str]
    _max_in_flight: int
    _reconcile: bool
    _reconcile_delay: float

    # -- sending ---------------------------------------------------------------------------

    async def _send(
        self,
        kind: MessageKind,
        phones: str | Sequence[str],
        message: str,
        options: Mapping[str, object],
        *,
        extra: Mapping[str, str] | None = None,
        files: Sequence[Attachment] = (),
    ) -> SendResult:
        fields = encode_send_options(options, kind=kind)
        recipients = join_phones(phones)
        if not (extra and "bot" in extra):  # a bot's recipients are its own (e.g. nicknames)
            check_recipients(recipients, kind)
        fields.update(phones=recipients, mes=check_text(message, kind))
        if kind in _SPLIT_KINDS and not extra:  # a bot's channel is not split into SMS parts
            check_parts(message, options)
        fields.update(kind.flags)
        if extra:
            fields.update(extra)
        expected = message if kind in _PLAIN_TEXT_KINDS and not extra else None
        return await self._submit(fields, options, _first_recipient(recipients), expected, files)

    async def _submit(
        self,
        fields: dict[str, str],
        options: Mapping[str, object],
        recipient: str | None,
        expected_text: str | None,
        files: Sequence[Attachment] = (),
    ) -> SendResult:
        own_id = "id" in options
        raw_id = options["id"] if own_id else self._new_id()
        message_id = validate_message_id(raw_id)
        fields["id"] = str(message_id)
        loaded = await asyncio.to_thread(_read_attachments, files) if files else []
        progress = Progress()
        attempted_at = time.time()
        try:
            try:
                body = await self._post(ep.SEND, fields, loaded, progress)
                result = decode_answer(ep.SEND, body)
            except (TransportError, HTTPStatusError, ResponseDecodeError) as exc:
                if isinstance(exc, TransportError) and not exc.request_sent:
                    raise  # surely never reached SMSC: the caller may simply send again
                attempt = _Attempt(message_id, own_id, attempted_at, recipient, expected_text)
                return await self._reconcile_send(attempt, fields, exc)
        except asyncio.CancelledError as exc:
            if progress.started:
                # The caller's cancellation must not lose the one handle on the message.
                log.warning(
                    "send %r was cancelled after it may have reached SMSC; "
                    "check its status before sending again",
                    message_id,
                )
                exc.add_note(
                    f"smsc_async: the send with message id {message_id!r} may have reached "
                    "SMSC; check get_status() before sending it again"
                )
            raise
        return result

    async def _reconcile_send(
        self, attempt: _Attempt, fields: Mapping[str, str], cause: SMSCError
    ) -> SendResult:
        """Find out through status.php whether a send whose answer was lost took effect.

        The message counts as sent only when status.php knows it under this id and nothing
        says it is another message: a different text (where the kind keeps it), or a send time
        before this attempt (an id used before; SMSC keeps ids as given, not unique). Anything
        ambiguous raises :class:`SendOutcomeUnknownError`.
        """
        message_id, recipient, expected_text = (
            attempt.message_id,
            attempt.recipient,
            attempt.expected_text,
        )
        phones = fields.get("phones", "") or "list"
        if not self._reconcile or recipient is None:
            raise SendOutcomeUnknownError(message_id, phones) from cause
        closed = SendOutcomeUnknownError(
            message_id, phones, reason="the client was closed before it could be checked"
        )
        if self._state != "open":
            raise closed from cause
        log.debug("send %s: outcome unknown after %s; checking status", message_id, cause)
        await sleep(self._reconcile_delay)
        try:
            status = await self.get_status(message_id, recipient, all=1)
        except SMSCError:
            raise SendOutcomeUnknownError(message_id, phones) from cause
        except RuntimeError:  # closed meanwhile
            if self._state == "open":
                raise
            raise closed from cause
        if status.status == MessageState.NOT_FOUND:
            raise SendOutcomeUnknownError(message_id, phones, checked=True) from cause
        # Ids need not be unique at SMSC: a message found under a reused id with another text is
        # not this send. (Transliteration changes the stored text, so it is not compared then.)
        if (
            expected_text is not None
            and status.message is not None
            and "translit" not in fields
            and _same_text(status.message) != _same_text(expected_text)
        ):
            raise SendOutcomeUnknownError(
                message_id, phones, checked=True, reason="SMSC has another text under this id"
            ) from cause
        sent_at = status.send_timestamp
        if sent_at is None and attempt.own_id:
            # A caller's id may be an old message's: without a send time nothing tells them apart.
            raise SendOutcomeUnknownError(
                message_id, phones, checked=True, reason="SMSC does not say when it was sent"
            ) from cause
        if sent_at is not None and sent_at < attempt.at - RECONCILE_CLOCK_SKEW:
            raise SendOutcomeUnknownError(
                message_id,
                phones,
                checked=True,
                reason="SMSC has an older message under this id",
            ) from cause
        return SendResult(id=message_id, reconciled=True)

    async def send_sms(
        self,
        phones: str | Sequence[str],
        message: str,
        *,
        flash: bool = False,
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send an SMS (send.php).

        Args:
            phones: One number, a comma-separated string, or a sequence of numbers in
                international format (``+`` keeps SMSC from correcting the number); ``G<n>``
                sends to contact group ``n``.
            message: The text, at most 1000 characters (split into parts by SMSC).
            flash: Send a flash SMS, shown at once on the screen.
            **options: :class:`~smsc_async.params.SendOptions` (sender, time, validity, ...).

        Returns:
            The message id and number of parts (price and balance when asked for).

        Raises:
            ValueError: bad input, before any request.
            TypeError: an unknown option or a value of the wrong type.
            BadRequestError: SMSC refused the parameters (error 1).
            InsufficientFundsError: not enough money (error 3; carries ``message_id``).
            InvalidDateError: a send time SMSC cannot read (error 5).
            MessageForbiddenError: text or sender name forbidden (error 6; carries ``message_id``).
            InvalidPhoneError: no valid number (error 7; carries ``message_id``).
            UndeliverableError: the message cannot be delivered to the number (error 8).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and status.php could not confirm the message; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        kind = MessageKind.FLASH if flash else MessageKind.SMS
        return await self._send(kind, phones, message, options)

    async def send_batch(
        self,
        messages: Mapping[str, str] | Iterable[tuple[str, str]],
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send personalised SMS, one text per number, in one request (send.php ``list=``).

        Args:
            messages: ``{phone: text}`` or ``(phones, text)`` pairs.
            **options: :class:`~smsc_async.params.SendOptions` applied to every message.

        Returns:
            One message id for the whole batch and the total number of parts.

        Raises:
            ValueError: bad input (see :func:`~smsc_async.params.encode_list`).
            TypeError: an unknown option or a value of the wrong type.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        fields = encode_send_options(options)
        encoded, first, first_text = encode_list(messages, options)
        fields["list"] = encoded
        return await self._submit(fields, options, _first_recipient(first), first_text)

    async def send_binary(
        self, phones: str | Sequence[str], data: bytes, **options: Unpack[SendOptions]
    ) -> SendResult:
        """Send a binary SMS (send.php ``bin=2``: the bytes travel as hex).

        Raises:
            TypeError: ``data`` is not bytes.
            ValueError: ``data`` is empty.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        if not isinstance(data, bytes | bytearray):
            raise TypeError("data must be bytes")
        if not data:
            raise ValueError("data is empty")
        return await self._send(MessageKind.BINARY, phones, bytes(data).hex().upper(), options)

    async def send_wap_push(
        self, phones: str | Sequence[str], url: str, title: str, **options: Unpack[SendOptions]
    ) -> SendResult:
        """Send a WAP push with a link and its title (send.php ``push=1``).

        Raises:
            ValueError: empty ``url``, or a title holding a line break.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        if not url.strip():
            raise ValueError("url is empty")
        if "\n" in url or "\n" in title:
            raise ValueError("url and title must be single lines")
        return await self._send(MessageKind.WAP_PUSH, phones, f"{url}\n{title}", options)

    async def send_hlr(
        self, phones: str | Sequence[str], **options: Unpack[SendOptions]
    ) -> SendResult:
        """Request an HLR lookup (send.php ``hlr=1``); read results with :meth:`get_status`.

        Raises:
            ValueError, TypeError: bad input or options, before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        return await self._send(MessageKind.HLR, phones, "", options)

    async def send_ping(
        self, phones: str | Sequence[str], **options: Unpack[SendOptions]
    ) -> SendResult:
        """Send an invisible ping SMS (send.php ``ping=1``); its status tells reachability.

        Raises:
            ValueError, TypeError: bad input or options, before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        return await self._send(MessageKind.PING, phones, "", options)

    async def send_mms(
        self,
        phones: str | Sequence[str],
        message: str,
        *,
        subject: str | None = None,
        files: Sequence[Attachment] = (),
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send an MMS with optional files (send.php ``mms=1``; files as multipart).

        Args:
            phones: Recipients.
            message: The text.
            subject: MMS subject (SMSC uses the sender name when left out).
            files: Pictures, sounds or videos to attach.
            **options: :class:`~smsc_async.params.SendOptions`.

        Raises:
            ValueError, TypeError: bad input, options or attachments, before any request.
            OSError: an attachment file cannot be read (nothing was sent).
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        extra = {"subj": subject} if subject is not None else None
        return await self._send(MessageKind.MMS, phones, message, options, extra=extra, files=files)

    async def send_email(
        self,
        addresses: str | Sequence[str],
        message: str,
        *,
        subject: str,
        from_address: str,
        files: Sequence[Attachment] = (),
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send an e-mail (send.php ``mail=1``).

        Args:
            addresses: Recipient e-mail addresses.
            message: The body (text or HTML).
            subject: The subject line (required by SMSC).
            from_address: The sender address (SMSC's ``sender``, required for e-mail).
            files: Attachments.
            **options: :class:`~smsc_async.params.SendOptions` (without ``sender``).

        Raises:
            ValueError: empty subject, or a from_address that is not an address.
            TypeError: ``sender=`` given (the address goes in ``from_address``), an unknown
                option or a value of the wrong type.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
            OSError: an attachment file cannot be read (nothing was sent).
        """
        if not subject.strip():
            raise ValueError("subject is empty; SMSC requires a subject for e-mail")
        if "@" not in from_address:
            raise ValueError(f"from_address {from_address!r} is not an e-mail address")
        if "sender" in options:
            raise TypeError("pass the sender address as from_address=, not as sender=")
        extra = {"subj": subject, "sender": from_address}
        return await self._send(
            MessageKind.EMAIL, addresses, message, options, extra=extra, files=files
        )

    async def send_voice(
        self,
        phones: str | Sequence[str],
        message: str,
        *,
        voice: Voice | str | None = None,
        param: str | None = None,
        files: Sequence[Attachment] = (),
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Make a voice call that reads ``message`` aloud or plays files (send.php ``call=1``).

        Args:
            phones: Recipients.
            message: Text to speak.
            voice: Text-to-speech voice (:class:`~smsc_async.params.Voice`).
            param: SMSC's voice parameters string, passed as is.
            files: Sound files to play.
            **options: :class:`~smsc_async.params.SendOptions`.

        Returns:
            The result; ``cnt`` counts seconds of the call.

        Raises:
            ValueError, TypeError: bad input, options or attachments, before any request.
            OSError: an attachment file cannot be read (nothing was sent).
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        extra: dict[str, str] = {}
        if voice is not None:
            extra["voice"] = Voice(voice).value
        if param is not None:
            extra["param"] = param
        return await self._send(
            MessageKind.VOICE, phones, message, options, extra=extra, files=files
        )

    async def send_call_code(self, phone: str, **options: Unpack[SendOptions]) -> SendResult:
        """Confirm a number by a flash call (send.php ``call=1``, ``mes=code``).

        SMSC calls the number from a number whose last digits are the code; the user enters
        them and you compare with ``result.code``.

        Returns:
            The result with ``code`` set.

        Raises:
            ValueError, TypeError: bad input or options, before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        return await self._send(MessageKind.VOICE, [phone], "code", options)

    async def send_viber(
        self, phones: str | Sequence[str], message: str, **options: Unpack[SendOptions]
    ) -> SendResult:
        """Send a Viber message (send.php ``viber=1``; a picture via ``fileurl``).

        Raises:
            ValueError, TypeError: bad input or options, before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        return await self._send(MessageKind.VIBER, phones, message, options)

    async def send_social(
        self, phones: str | Sequence[str], message: str, **options: Unpack[SendOptions]
    ) -> SendResult:
        """Send a message to social networks (send.php ``soc=1``).

        Raises:
            ValueError, TypeError: bad input or options, before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        return await self._send(MessageKind.SOCIAL, phones, message, options)

    async def send_telegram(
        self,
        recipients: str | Sequence[str],
        message: str,
        *,
        bot: str | None = None,
        smsreq: int | None = None,
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send a Telegram message (send.php ``tg=1``, or through your bot with ``bot=``).

        Args:
            recipients: Phone numbers, ``@nickname`` or ``#ID``.
            message: The text (for ``tg=1``, the confirmation code message).
            bot: Your bot, ``@name_bot``: send through it instead of SMSC's code channel.
            smsreq: With ``bot``: hide the text and ask the user to confirm the number again
                when the last confirmation is older than this many days (10 to 999).
            **options: :class:`~smsc_async.params.SendOptions`.

        Raises:
            ValueError: a bot name not of the form ``@name_bot``, or smsreq out of range.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        extra: dict[str, str] = {}
        kind = MessageKind.TELEGRAM
        if bot is not None:
            if not (bot.startswith("@") and len(bot) > 1):
                raise ValueError(f"bot {bot!r} must be a Telegram bot name such as @name_bot")
            extra["bot"] = bot
            kind = MessageKind.SMS  # the bot parameter selects the channel by itself
        if smsreq is not None:
            if bot is None:
                raise ValueError("smsreq applies only together with bot=")
            if not 10 <= smsreq <= 999:
                raise ValueError(f"smsreq must be 10..999 days, got {smsreq}")
            extra["smsreq"] = str(smsreq)
        return await self._send(kind, recipients, message, options, extra=extra)

    async def send_whatsapp(
        self,
        phones: str | Sequence[str],
        message: str,
        *,
        bot: str | None = None,
        **options: Unpack[SendOptions],
    ) -> SendResult:
        """Send a WhatsApp message (send.php ``whatsapp=1``, or ``bot=wa:<number>``).

        Args:
            phones: Recipients.
            message: The text.
            bot: Your WhatsApp bot number (digits); sent as ``wa:<number>``.
            **options: :class:`~smsc_async.params.SendOptions`.

        Raises:
            ValueError, TypeError: bad input or options (e.g. a ``bot`` that is not a
                number), before any request.
            APIError: SMSC refused the send (the subclass by error code, as for :meth:`send_sms`).
            SendOutcomeUnknownError: the request may have reached SMSC but the answer was lost,
                and the message could not be confirmed; it was not re-sent.
            ConnectError, RateLimitedError: nothing was sent (no connection; the gate would wait
                too long).
        """
        if bot is None:
            return await self._send(MessageKind.WHATSAPP, phones, message, options)
        number = bot.removeprefix("wa:")
        if not number.lstrip("+").isdigit():
            raise ValueError(f"bot {bot!r} must be a WhatsApp number such as wa:79991234567")
        extra = {"bot": f"wa:{number}"}
        return await self._send(MessageKind.SMS, phones, message, options, extra=extra)

    # -- cost ------------------------------------------------------------------------------

    async def get_cost(
        self,
        phones: str | Sequence[str],
        message: str,
        *,
        kind: MessageKind = MessageKind.SMS,
        **options: Unpack[SendOptions],
    ) -> CostResult:
        """Ask what a send would cost, without sending (send.php ``cost=1``).

        Args:
            phones: Recipients.
            message: The text.
            kind: Kind of message to price.
            **options: :class:`~smsc_async.params.SendOptions` as for the send.

        Returns:
            Price (Decimal) and number of parts.

        Raises:
            ValueError: bad input.
            TypeError: an unknown option or a value of the wrong type.
            BadRequestError: SMSC refused the parameters (error 1).
            MessageForbiddenError, InvalidPhoneError, UndeliverableError: errors 6, 7, 8, as for
                a send.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = encode_send_options(options, cost_only=True, kind=kind)
        recipients = check_recipients(join_phones(phones), kind)
        fields.update(phones=recipients, mes=check_text(message, kind), **kind.flags)
        return await self._request(ep.SEND_COST, fields)

    async def get_batch_cost(
        self,
        messages: Mapping[str, str] | Iterable[tuple[str, str]],
        **options: Unpack[SendOptions],
    ) -> CostResult:
        """Ask what a personalised batch would cost (send.php ``cost=1`` with ``list=``).

        Raises:
            ValueError: bad input.
            TypeError: an unknown option or a value of the wrong type.
            BadRequestError: SMSC refused the parameters (error 1).
            MessageForbiddenError, InvalidPhoneError, UndeliverableError: errors 6, 7, 8, as for
                a send.
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = encode_send_options(options, cost_only=True)
        fields["list"] = encode_list(messages)[0]
        return await self._request(ep.SEND_COST, fields)

    # -- status ----------------------------------------------------------------------------

    async def get_status(
        self, id: int | str, phone: str, *, all: Literal[0, 1, 2] = 0
    ) -> MessageStatus:
        """Get the delivery status of one message (status.php).

        Args:
            id: Message id.
            phone: Recipient number (or e-mail address) of that message.
            all: 0 for the status only, 1 for full details, 2 adding country, operator, region.

        Returns:
            The status; ``status`` is ``MessageState.NOT_FOUND`` for an unknown message.

        Raises:
            ValueError: bad id, phone or ``all``.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        fields = _status_fields(id, phone, all)
        return await self._request(ep.STATUS, fields)

    async def get_statuses(
        self,
        messages: Iterable[tuple[int | str, str]],
        *,
        all: Literal[0, 1, 2] = 0,
    ) -> list[MessageStatus]:
        """Get the statuses of several messages in one request (status.php, multi-message form).

        SMSC allows one such "mass" request per minute per login; the gate spaces them. The ids
        and phones are sent with a trailing comma, which makes SMSC answer a list even for one
        message. A single message goes as an ordinary status request instead, which the mass
        rule does not limit.

        Args:
            messages: ``(id, phone)`` pairs.
            all: Detail level as for :meth:`get_status`.

        Returns:
            One status per message, each with ``id`` and ``phone`` set, in SMSC's order.

        Raises:
            ValueError: no messages, or a bad id or phone.
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        pairs = list(messages)
        if not pairs:
            raise ValueError("messages is empty; give at least one (id, phone) pair")
        checked = [_status_fields(i, p, all) for i, p in pairs]
        if len(checked) == 1:
            one = await self._request(ep.STATUS, checked[0])
            first = checked[0]
            return [msgspec.structs.replace(one, id=pairs[0][0], phone=first["phone"])]
        return await self._request(ep.STATUS_MASS, _mass_status_fields(checked, all))

    async def delete_message(self, id: int | str, phone: str) -> None:
        """Delete a sent or scheduled message (status.php ``del=1``).

        Raises:
            ValueError: a bad id or phone, before any request.
            OperationFailedError: SMSC could not delete it (error 5).
            BadRequestError: SMSC refused the parameters (error 1).
            AuthenticationError, IPBlockedError, ServerRateLimitError: errors 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        await self._command(ep.STATUS_DELETE, _status_fields(id, phone, 0))

    # -- balance ---------------------------------------------------------------------------

    async def get_balance(self) -> Balance:
        """Get the account balance with its currency (balance.php ``cur=1``).

        Returns:
            Balance (Decimal), currency, and credit when a credit is set.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._request(ep.BALANCE, {})
