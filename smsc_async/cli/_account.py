"""Account commands: ``balance``, ``history``, ``contacts ...`` and ``senders list``."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import click

from .._client import SMSCClient
from ..history import MAX_HISTORY_MONTHS, MAX_HISTORY_PAGE
from ._runtime import HelpGroup, Settings, pass_settings, take
from ._status import state_words, status_json

__all__ = ["balance", "contacts", "history", "senders"]

_DATE = click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"])
_DEFAULT_DAYS = 7
_SMSC_ZONE = timezone(timedelta(hours=3))  # Moscow time, the calendar SMSC counts days in
_TEXT_WIDTH = 40


def _clip(text: str | None, width: int = _TEXT_WIDTH) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@click.command()
@pass_settings
def balance(settings: Settings) -> int:
    """Show the account balance."""

    async def show(smsc: SMSCClient) -> None:
        result = await smsc.get_balance()
        if settings.json:
            settings.output.document(result)
            return
        credit = f" (credit {result.credit})" if result.credit else ""
        settings.output.line(f"{result.balance} {result.currency or ''}".rstrip() + credit)

    return settings.run(show)


def _check_period(start: date, end: date | None) -> None:
    """Refuse a period SMSC would refuse (with error 1): backwards, or over 6 months.

    Without an end SMSC lists up to its own today (Moscow time), which counts for the limit.
    """
    if end is not None and end < start:
        raise click.UsageError(f"--until {end} is before --since {start}")
    last = end if end is not None else datetime.now(_SMSC_ZONE).date()
    months = last.month - start.month + 12 * (last.year - start.year)
    if months > MAX_HISTORY_MONTHS or (months == MAX_HISTORY_MONTHS and last.day > start.day):
        span = f"--since {start} to --until {end}" if end else f"--since {start} to today ({last})"
        raise click.UsageError(
            f"{span} is more than {MAX_HISTORY_MONTHS} months, the most SMSC lists at once; "
            f"give a later --since or an --until at most {MAX_HISTORY_MONTHS} months after it"
        )


@click.command()
@click.option(
    "--since",
    type=_DATE,
    metavar="DATE",
    help=f"First day, YYYY-MM-DD or DD.MM.YYYY (default: {_DEFAULT_DAYS} days ago).",
)
@click.option("--until", type=_DATE, metavar="DATE", help="Last day (at most 6 months later).")
@click.option("--phone", "phones", multiple=True, metavar="PHONE", help="Only messages to PHONE.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Most messages to show.",
)
@pass_settings
def history(
    settings: Settings,
    since: datetime | None,
    until: datetime | None,
    phones: tuple[str, ...],
    limit: int,
) -> int:
    """Show sent messages, newest first.

    \b
    Examples:
      smsc history --phone +79990000001
      smsc history --since 2026-11-01 --until 2026-11-30 --limit 500
    """  # noqa: D301
    start = since.date() if since is not None else date.today() - timedelta(days=_DEFAULT_DAYS)
    end = until.date() if until is not None else None
    _check_period(start, end)

    async def show(smsc: SMSCClient) -> None:
        found = smsc.iter_history(
            start, end, phones=list(phones) or None, page_size=min(limit, MAX_HISTORY_PAGE)
        )
        messages = await take(found, limit)
        if settings.json:
            settings.output.document([status_json(m) for m in messages])
            return
        rows = [
            (
                m.send_time,
                m.id,
                m.phone,
                state_words(m.status, m.err),
                m.sms_cnt,
                m.cost,
                _clip(m.message),
            )
            for m in messages
        ]
        columns = ("sent", "id", "phone", "status", "parts", "cost", "text")
        settings.output.table(columns, rows, empty="no messages")

    return settings.run(show)


@click.group(cls=HelpGroup)
def contacts() -> None:
    """List, add and delete phone contacts."""


@contacts.command("list")
@click.option("--group", "group", type=int, metavar="GROUP_ID", help="Only this group's contacts.")
@click.option("--search", metavar="TEXT", help="Only contacts whose name or number match.")
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Most contacts to show.",
)
@pass_settings
def list_contacts(settings: Settings, group: int | None, search: str | None, limit: int) -> int:
    """Show the contacts."""

    async def show(smsc: SMSCClient) -> None:
        found = await smsc.contacts.list(group=group, search=search, limit=limit)
        if settings.json:
            settings.output.document(found)
            return
        rows = [
            (c.int_id, c.name, ", ".join(c.addresses), ", ".join(map(str, c.group_ids)))
            for c in found
        ]
        settings.output.table(("id", "name", "phones", "groups"), rows, empty="no contacts")

    return settings.run(show)


@contacts.command("add")
@click.argument("phone")
@click.option("--name", help="The contact's name (default: the number).")
@click.option(
    "--group",
    "groups",
    type=int,
    multiple=True,
    metavar="GROUP_ID",
    help="File the contact in this group (may be repeated).",
)
@pass_settings
def add_contact(settings: Settings, phone: str, name: str | None, groups: tuple[int, ...]) -> int:
    """Add a contact with the number PHONE."""

    async def add(smsc: SMSCClient) -> None:
        new_id = await smsc.contacts.add(phone, name or phone, groups=list(groups) or None)
        if settings.json:
            settings.output.document({"id": new_id, "phone": phone})
        else:
            settings.output.line(f"added contact {new_id}: {name or phone} {phone}")

    return settings.run(add)


@contacts.command("delete")
@click.argument("phone")
@pass_settings
def delete_contact(settings: Settings, phone: str) -> int:
    """Delete the contact with the number PHONE."""

    async def delete(smsc: SMSCClient) -> None:
        await smsc.contacts.delete(phone)
        if settings.json:
            settings.output.document({"deleted": phone})
        else:
            settings.output.line(f"deleted the contact with number {phone}")

    return settings.run(delete)


@click.group(cls=HelpGroup)
def senders() -> None:
    """Sender names of the account."""


@senders.command("list")
@click.option(
    "--all",
    "include_all",
    is_flag=True,
    help="Also names waiting for moderation or disabled (default: approved ones).",
)
@pass_settings
def list_senders(settings: Settings, include_all: bool) -> int:
    """Show the sender names."""

    async def show(smsc: SMSCClient) -> None:
        names = [name async for name in smsc.senders.iterate(include_all=include_all)]
        if settings.json:
            settings.output.document(names)
            return
        rows = [(n.id, n.sender, n.status) for n in names]
        settings.output.table(("id", "name", "status"), rows, empty="no sender names")

    return settings.run(show)
