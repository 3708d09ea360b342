"""Deferred exports: downloads.php.

SMSC prepares large exports of sent messages as deferred tasks. A task (made in SMSC's personal
cabinet; the API has no command to create one) is pending (0), in progress (1), then completed
(2), or it ends cancelled (3) or failed (4). The API lists the tasks and, once a task is
completed, answers its file: a CSV of sent messages. :class:`Exports` (``smsc.exports``) lists
the tasks, waits for one, and downloads its file as a stream::

    async with SMSCClient(login, password) as smsc:
        task = await smsc.exports.wait(task_id, timeout=3600, on_poll=show_status)
        await smsc.exports.download(task, on_progress=show_bar).save_to("sent.csv")

        async with smsc.exports.download(task) as download:
            async for row in download.rows():
                print(row.phone, row.status)

Memory stays constant whatever the file's size: the body is read in chunks, rows are parsed
as the chunks arrive, and :meth:`Download.save_to` writes each chunk from a worker thread into a
temporary file that replaces the target only once the whole file has arrived.

Limits: SMSC answers error 9 to a fourth identical downloads.php request within a minute (the
list and each task's file count separately). Waiting asks for the same list each time, so
:meth:`Exports.wait` polls every :data:`POLL_INTERVAL` seconds by default (three polls a minute,
with a margin), and the client's gate spaces any further requests (e.g. two waits at once).

Gaps: SMSC's documentation page is cut where it names the file request's parameters, and it
never shows the file's columns. The choices made here are marked
"Gap" below; the bundled emulator answers the same way.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import inspect
import math
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from ._api import NO_RECORDS, Namespace, Requester, decoder
from ._endpoints import Endpoint
from ._export_files import EXPORT_COLUMNS, ExportRow, ExportStatus, ExportTask
from ._export_rows import _ExportParser
from ._export_writer import _AtomicFile, _target_path
from ._transport import CHUNK_SIZE
from ._validate import check_id
from ._wire import raise_json_error, raise_plain_error
from .errors import (
    ExportCancelledError,
    ExportFailedError,
    ExportTimeoutError,
    NotFoundError,
)

__all__ = [
    "EXPORT_COLUMNS",
    "POLL_INTERVAL",
    "Download",
    "ExportRow",
    "ExportStatus",
    "ExportTask",
    "Exports",
]

POLL_INTERVAL: Final = 20.5
"""Default seconds between two polls of :meth:`Exports.wait` (SMSC allows three a minute)."""

_SCRIPT: Final = "downloads.php"
# An SMSC error answered instead of the file is a short body; this much of the start is enough
# to recognise one whole before any byte is handed to the caller.
_PROBE: Final = 4096
_READ_ONCE: Final = "a Download is read once; ask smsc.exports.download() again"


# --- endpoints -----------------------------------------------------------------------------------
# Both share the name "downloads": SMSC allows three identical downloads.php requests a minute.

LIST: Final = Endpoint(
    "downloads", _SCRIPT, {}, safe=True, decoder=decoder(builtins.list[ExportTask])
)
# Gap: the page is cut where it names the file request's parameters (it shows two forms). The
# file is asked as ``get=1&id=<task id>``: the task id is what a caller holds (the ``file`` name
# appears only once a task completes), and SMSC's other scripts read one item with get=1 + id.
# A download is a read: repeated after a failure before the body starts, like any list.
FILE: Final[Endpoint[None]] = Endpoint("downloads", _SCRIPT, {"get": "1"}, safe=True, decoder=None)
FILE_TASK_FIELD: Final = "id"


# --- the download --------------------------------------------------------------------------------

ProgressCallback = Callable[[int, int | None], object]
"""``on_progress(received, total)``: bytes so far and the size when known; may be async."""
PollCallback = Callable[[ExportTask], object]
"""``on_poll(task)``: the task as last seen while waiting; may be async."""


async def _notify(callback: Callable[..., object], *args: object) -> None:
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


class Download:
    """One download of a completed task's file (from :meth:`Exports.download`); single use.

    Read it one way: :meth:`chunks` (bytes), :meth:`rows` (parsed rows) or :meth:`save_to` (a
    file). Each may be used directly; inside ``async with download:`` the request is made on
    entry (so an SMSC error raises there, and :attr:`total` is known before reading) and the
    connection is released on exit even when reading stops early. Without the block, break out
    of :meth:`chunks`/:meth:`rows` only inside ``contextlib.aclosing``, or the connection stays
    busy until the iterator is garbage-collected.

    Attributes:
        task_id: The task whose file this is.
        total: The file's size in bytes once the answer started, when SMSC said it.
        received: Bytes received so far.
    """

    __slots__ = (
        "_chunk_size",
        "_client",
        "_head",
        "_idle_timeout",
        "_on_progress",
        "_rest",
        "_stack",
        "_state",
        "received",
        "task_id",
        "total",
    )

    def __init__(
        self,
        client: Requester,
        task_id: int,
        *,
        on_progress: ProgressCallback | None,
        chunk_size: int,
        idle_timeout: float | None,
    ) -> None:
        self._client = client
        self.task_id = task_id
        self._on_progress = on_progress
        self._chunk_size = chunk_size
        self._idle_timeout = idle_timeout
        self._state = "new"  # new -> open -> reading -> closed
        self._stack: contextlib.AsyncExitStack | None = None
        self._head = b""
        self._rest: AsyncIterator[bytes] | None = None
        self.total: int | None = None
        self.received = 0

    def __repr__(self) -> str:
        return f"<Download of export task {self.task_id}: {self.received}/{self.total} bytes>"

    async def __aenter__(self) -> Self:
        """Ask for the file and check that it is not an SMSC error.

        Raises:
            NotFoundError: no such task (error 3).
            APIError: another SMSC error answered instead of the file (e.g. error 5 for a task
                that is not completed; the code SMSC uses is not documented).
            TransportError: the request failed.
            RuntimeError: this download was already used.
        """
        if self._state != "new":
            raise RuntimeError(_READ_ONCE)
        self._state = "open"
        try:
            async with contextlib.AsyncExitStack() as stack:
                fields = {FILE_TASK_FIELD: str(self.task_id)}
                body = await stack.enter_async_context(
                    self._client._stream(FILE, fields, idle_timeout=self._idle_timeout)
                )
                self.total = body.total
                rest = body.chunks(self._chunk_size)
                aclose = getattr(rest, "aclose", None)
                if aclose is not None:
                    stack.push_async_callback(aclose)
                head = b""
                async for chunk in rest:
                    head += chunk
                    if len(head) >= _PROBE:
                        break
                start = head.lstrip()[:1]
                if start == b"{":
                    raise_json_error(_SCRIPT, head)
                elif start == b"E":
                    raise_plain_error(_SCRIPT, head)
                self._head, self._rest = head, rest
                self._stack = stack.pop_all()
        except BaseException:
            self._state = "closed"
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = "closed"
        stack, self._stack = self._stack, None
        if stack is not None:
            await stack.__aexit__(exc_type, exc, tb)

    async def _drain(self) -> AsyncIterator[bytes]:
        if self._state != "open":
            raise RuntimeError(_READ_ONCE)
        assert self._rest is not None
        self._state = "reading"
        size, progress = self._chunk_size, self._on_progress
        if progress is not None:
            await _notify(progress, 0, self.total)
        head, self._head = self._head, b""
        for start in range(0, len(head), size):
            piece = head[start : start + size]
            self.received += len(piece)
            if progress is not None:
                await _notify(progress, self.received, self.total)
            yield piece
        async for chunk in self._rest:
            self.received += len(chunk)
            if progress is not None:
                await _notify(progress, self.received, self.total)
            yield chunk
        if self._state != "reading":
            raise RuntimeError("the download was closed while being read")

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """Yield the file's bytes as they arrive, in chunks of at most ``chunk_size``.

        SMSC: ``downloads.php`` ``get=1&id=<task id>``.

        Raises:
            NotFoundError: no such task (error 3).
            APIError: another SMSC error instead of the file.
            TransportError: the connection broke, or the file ended short of its size.
            RequestTimeoutError: no data for longer than the idle timeout.
            HTTPStatusError, RateLimitedError: a non-200 answer, or the gate would wait too
                long (as for every request).
            RuntimeError: this download was already read.
        """
        if self._state == "new":
            async with self:
                async for chunk in self._drain():
                    yield chunk
        else:
            async for chunk in self._drain():
                yield chunk

    def rows(self, *, delimiter: str | None = None) -> AsyncGenerator[ExportRow, None]:
        """Yield the file's rows, parsed as they arrive (constant memory).

        SMSC: ``downloads.php`` ``get=1&id=<task id>``.

        Args:
            delimiter: The field separator; by default the most frequent of ``,`` ``;`` and
                tab in the first line (gap: SMSC's separator is not documented).

        Returns:
            An async iterator of :class:`ExportRow`; a header row, when present, names the
            columns and is not yielded.

        Raises:
            TypeError, ValueError: a ``delimiter`` that is not one character (at once).
            ResponseDecodeError: a record over 16 MiB (a broken file), while reading.
            NotFoundError, APIError, TransportError, HTTPStatusError, RateLimitedError: as
                :meth:`chunks`, while reading (also ``RuntimeError``).
        """
        if delimiter is not None:
            if not isinstance(delimiter, str):
                raise TypeError(f"delimiter must be a str, got {type(delimiter).__name__}")
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise ValueError(f"delimiter must be one character such as ';', got {delimiter!r}")
        return self._rows(delimiter)

    async def _rows(self, delimiter: str | None) -> AsyncGenerator[ExportRow, None]:
        parser = _ExportParser(delimiter)
        chunks = self.chunks()
        try:
            async for chunk in chunks:
                for batch in parser.feed(chunk):
                    for row in batch:
                        yield row
            for batch in parser.close():
                for row in batch:
                    yield row
        finally:
            await chunks.aclose()

    async def save_to(self, path: str | os.PathLike[str], *, fsync: bool = False) -> Path:
        """Write the file to ``path`` atomically; return the path.

        The bytes go to a temporary file in the same directory, written from a worker thread,
        which replaces ``path`` only when the whole file has arrived. On any failure or
        cancellation the temporary file is removed and an existing ``path`` is left untouched.

        SMSC: ``downloads.php`` ``get=1&id=<task id>``.

        Args:
            path: The file to write (its directory must exist).
            fsync: Also force the file and the rename onto the disk before returning, so they
                survive a power loss, not only a failure of the process (slower: the whole
                file is written out first).

        Returns:
            The path written.

        Raises:
            TypeError, ValueError: ``path`` is not a non-empty path, names a directory, or its
                directory does not exist (before any request).
            NotFoundError, APIError, TransportError, HTTPStatusError, RateLimitedError: as
                :meth:`chunks` (also ``RuntimeError``).
            OSError: writing failed (e.g. no permission, a full disk).
        """
        target = _target_path(path)
        if not isinstance(fsync, bool):
            raise TypeError(f"fsync must be a bool, got {fsync!r}")
        file = _AtomicFile(target)
        try:
            await file.open()
            async for chunk in self.chunks():
                await file.write(chunk)
            await file.commit(fsync=fsync)
        except BaseException:
            await file.discard()
            raise
        return target


# --- the namespace -------------------------------------------------------------------------------


def _task_id(task: object) -> int:
    if isinstance(task, ExportTask):
        return task.id
    return int(check_id(task, "task"))


def _seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def _callback(value: object, name: str) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")


class Exports(Namespace):
    """Deferred export tasks and their files (``smsc.exports``; downloads.php)."""

    __slots__ = ()

    async def list(self) -> builtins.list[ExportTask]:
        """List the account's deferred tasks.

        SMSC: ``downloads.php`` (no command flag).

        Returns:
            The tasks as SMSC lists them; ``[]`` when there are none.

        Raises:
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._client._request_list(LIST, {})

    async def get(self, task: int | str | ExportTask) -> ExportTask:
        """Return one task as the list shows it now.

        SMSC: ``downloads.php`` (the list; there is no command for one task).

        Args:
            task: The task id, or a task seen before.

        Returns:
            The task.

        Raises:
            TypeError, ValueError: ``task`` is not a task id.
            NotFoundError: the list has no such task.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        return await self._find(_task_id(task))

    async def _find(self, task_id: int) -> ExportTask:
        for found in await self.list():
            if found.id == task_id:
                return found
        raise NotFoundError(NO_RECORDS, f"no deferred task {task_id}", script=_SCRIPT)

    async def wait(
        self,
        task: int | str | ExportTask,
        *,
        # The caller's limit is a parameter (not asyncio.timeout around the call) so that the
        # error can say which task and what status it had when time ran out.
        timeout: float | None = None,  # noqa: ASYNC109
        interval: float = POLL_INTERVAL,
        on_poll: PollCallback | None = None,
    ) -> ExportTask:
        """Poll a task until it is completed; return it as last seen.

        Polls start ``interval`` seconds apart; the client's gate spaces them further if the
        same list was asked elsewhere (SMSC allows three identical requests a minute).

        SMSC: ``downloads.php`` (the list, once per poll).

        Args:
            task: The task id, or a task seen before.
            timeout: Seconds to wait at most (the gate's waits included); ``None``: no limit.
            interval: Seconds between the starts of two polls.
            on_poll: Called (or awaited, when it returns an awaitable) with the task after every
                poll, e.g. to show its status.

        Returns:
            The completed task.

        Raises:
            TypeError, ValueError: a bad ``task``, ``timeout``, ``interval`` or ``on_poll``
                (before any request).
            ExportCancelledError: the task was cancelled (status 3).
            ExportFailedError: the task ended with an execution error (status 4).
            ExportTimeoutError: not completed within ``timeout`` (``.status`` is the last seen).
            NotFoundError: the list has no such task.
            BadRequestError, AuthenticationError, IPBlockedError, ServerRateLimitError: SMSC
                errors 1, 2, 4, 9.
            TransportError, HTTPStatusError, ResponseDecodeError, RateLimitedError: no usable
                answer, or the gate would wait too long (as for every request).
        """
        task_id = _task_id(task)
        limit = None if timeout is None else _seconds(timeout, "timeout")
        pause = _seconds(interval, "interval")
        _callback(on_poll, "on_poll")
        loop = asyncio.get_running_loop()
        last: ExportTask | None = None
        scope = asyncio.timeout_at(None if limit is None else loop.time() + limit)
        try:
            async with scope:
                while True:
                    started = loop.time()
                    last = await self._find(task_id)
                    if on_poll is not None:
                        await _notify(on_poll, last)
                    if last.status == ExportStatus.COMPLETED:
                        return last
                    if last.status == ExportStatus.CANCELLED:
                        raise ExportCancelledError(
                            f"export task {task_id} was cancelled", task_id=task_id, status=3
                        )
                    if last.status == ExportStatus.FAILED:
                        raise ExportFailedError(
                            f"export task {task_id} failed at SMSC", task_id=task_id, status=4
                        )
                    await asyncio.sleep(max(0.0, started + pause - loop.time()))
        except TimeoutError:
            if not scope.expired():
                raise  # e.g. a request that timed out: not the caller's limit
            status = None if last is None or last.status is None else int(last.status)
            raise ExportTimeoutError(
                f"export task {task_id} did not complete within {limit:g} s"
                f" (last status: {status})",
                task_id=task_id,
                status=status,
            ) from None

    def download(
        self,
        task: int | str | ExportTask,
        *,
        on_progress: ProgressCallback | None = None,
        chunk_size: int = CHUNK_SIZE,
        idle_timeout: float | None = None,
    ) -> Download:
        """Prepare the download of a completed task's file (nothing is sent yet).

        SMSC: ``downloads.php`` ``get=1&id=<task id>``.

        Args:
            task: The task id, or a task seen before (e.g. what :meth:`wait` returned).
            on_progress: Called (or awaited) as ``on_progress(received, total)`` when reading
                starts and after every chunk; ``total`` is ``None`` when SMSC does not say.
            chunk_size: Most bytes per chunk read.
            idle_timeout: Seconds without data before giving up (default: the client's
                request timeout); the whole download has no time limit.

        Returns:
            A :class:`Download`: read it with ``chunks()``, ``rows()`` or ``save_to(path)``.

        Raises:
            TypeError, ValueError: a bad argument.
        """
        task_id = _task_id(task)
        _callback(on_progress, "on_progress")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
            raise TypeError(f"chunk_size must be an int, got {chunk_size!r}")
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        idle = None if idle_timeout is None else _seconds(idle_timeout, "idle_timeout")
        return Download(
            self._client,
            task_id,
            on_progress=on_progress,
            chunk_size=chunk_size,
            idle_timeout=idle,
        )
