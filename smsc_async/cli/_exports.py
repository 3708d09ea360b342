"""Export commands: ``exports list``, ``exports wait`` and ``exports download``."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, Final

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .._client import SMSCClient
from ..errors import APIError
from ..exports import POLL_INTERVAL, ExportTask
from ._output import Output, json_record, name_of
from ._runtime import HelpGroup, Settings, pass_settings, seconds_option
from ._sandbox import COMPLETED_EXPORT, SANDBOX_INTERVAL

__all__ = ["exports"]

_STDOUT = "-"
_NOT_READY: Final = 5  # downloads.php's error for a task that has no file yet


def _task_json(task: ExportTask) -> dict[str, Any]:
    """A task as JSON, its times in ISO 8601 (SMSC's raw ``created``/``time`` are Moscow time)."""
    times = {
        "created": ("created_time", task.created_time),
        "time": ("start_time", task.start_time),
    }
    return json_record(task, times=times)


@click.group(cls=HelpGroup)
def exports() -> None:
    """Export tasks made in the SMSC cabinet, and their files."""


@exports.command("list")
@pass_settings
def list_exports(settings: Settings) -> int:
    """Show the export tasks."""

    async def show(smsc: SMSCClient) -> None:
        tasks = await smsc.exports.list()
        if settings.json:
            settings.output.document([_task_json(task) for task in tasks])
            return
        rows = [(t.id, t.name, t.status, t.created_time, t.file_name) for t in tasks]
        columns = ("id", "name", "status", "created", "file")
        settings.output.table(columns, rows, empty="no export tasks")

    return settings.run(show)


@exports.command("wait")
@click.argument("task_id", type=click.IntRange(min=1))
@seconds_option("--timeout", "limit", help="Give up after this long (exit code 5). Default: none.")
@seconds_option(
    "--interval",
    help=f"Seconds between checks (default {POLL_INTERVAL:g}, {SANDBOX_INTERVAL:g} with "
    "--sandbox; SMSC allows 3 a minute).",
)
@pass_settings
def wait_export(
    settings: Settings, task_id: int, limit: float | None, interval: float | None
) -> int:
    """Wait until export task TASK_ID is completed.

    Each check is shown on standard error. A cancelled or failed task ends with exit code 1.
    """
    every = settings.poll_interval(interval, POLL_INTERVAL)
    out = settings.output

    def polled(task: ExportTask) -> None:
        if not settings.json:
            out.note(f"task {task.id} ({task.name}): {name_of(task.status) or 'no status'}")

    async def wait(smsc: SMSCClient) -> None:
        task = await smsc.exports.wait(task_id, timeout=limit, interval=every, on_poll=polled)
        if settings.json:
            out.document(_task_json(task))
        else:
            out.line(
                f"task {task.id} is completed; get its file with `smsc exports download {task.id}`"
            )

    return settings.run(wait)


@contextlib.contextmanager
def _progress_bar(out: Output, task_id: int) -> Iterator[Callable[[int, int | None], None] | None]:
    """Yield a progress callback drawing a bar on standard error, or ``None`` for no bar.

    No bar with ``--json`` or when standard error is not a terminal (a log, a pipe).
    """
    console = out.err_console
    if out.json or not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn(f"export {task_id}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        job = bar.add_task("download", total=None)

        def update(received: int, total: int | None) -> None:
            bar.update(job, completed=received, total=total)

        yield update


@exports.command("download")
@click.argument("task_id", type=click.IntRange(min=1))
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="Where to write the file (default export_TASK_ID.csv; - writes to standard output).",
)
@pass_settings
def download_export(settings: Settings, task_id: int, target: str | None) -> int:
    """Download the file of completed export task TASK_ID.

    The file is written beside FILE and renamed only once complete, so a broken download never
    leaves a partial file. A progress bar is drawn on standard error when it is a terminal.
    """
    path = target or f"export_{task_id}.csv"
    out = settings.output
    if path == _STDOUT and settings.json:
        raise click.UsageError("--json and --output - would both write to standard output")

    async def download(smsc: SMSCClient) -> int | None:
        try:
            await save(smsc)
        except APIError as exc:
            if exc.script != "downloads.php" or exc.code != _NOT_READY:
                raise
            hint = (
                f"export task {task_id} has no file until it is completed: wait for it with "
                f"`smsc exports wait {task_id}`, then download it"
            )
            if settings.sandbox:  # a fresh emulator every command: its tasks start over
                hint += (
                    f" (the sandbox starts afresh each time; its task {COMPLETED_EXPORT} is ready)"
                )
            return out.failure(exc, hint=hint)
        return None

    async def save(smsc: SMSCClient) -> None:
        if path == _STDOUT:
            sys.stdout.flush()
            sink = sys.stdout.buffer
            async for chunk in smsc.exports.download(task_id).chunks():
                sink.write(chunk)
            sink.flush()
            return
        with _progress_bar(out, task_id) as progress:
            file = smsc.exports.download(task_id, on_progress=progress)
            saved = await file.save_to(path)
        if settings.json:
            out.document({"task_id": task_id, "path": str(saved), "bytes": file.received})
        else:
            out.line(f"saved {file.received:,} bytes to {saved}")

    return settings.run(download)
