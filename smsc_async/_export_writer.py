"""The atomic file writer of :meth:`Download.save_to <smsc_async.exports.Download.save_to>`.

A temporary file next to the target, written by its own thread from a bounded queue while the
event loop goes on reading, then renamed over the target (no network).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import queue
import secrets
import threading
from pathlib import Path
from typing import Final, cast

# The writer thread writes up to _BATCH bytes at a time (one chunk of the default size), and
# the event loop waits while more than _QUEUE_LIMIT bytes (or two of its chunks) are queued,
# until half of that is taken: memory stays bounded whatever the disk's speed. Measured on 2
# cores against writes of up to 1 MiB and queues of 512 KiB to 16 MiB: small ones win, as the
# chunks are still in the CPU's cache when the thread writes them (8 MiB: half the speed), and
# larger writes came out slower and more erratic.
_BATCH: Final = 256 * 1024
_QUEUE_LIMIT: Final = 1024 * 1024
_END: Final = object()  # queued after the last chunk


def _iov_max() -> int:
    """Return how many buffers one ``writev`` may take (POSIX guarantees 16)."""
    try:
        return max(16, min(os.sysconf("SC_IOV_MAX"), 1024))
    except (AttributeError, OSError, ValueError):
        return 16


_MAX_VECTOR: Final = _iov_max()


def _write_all(fd: int, batch: builtins.list[bytes]) -> None:
    """Write every chunk of ``batch`` to ``fd`` (one ``writev`` where there is one)."""
    if len(batch) > _MAX_VECTOR or not hasattr(os, "writev"):
        batch = [b"".join(batch)]
    total = sum(map(len, batch))
    written = os.writev(fd, batch) if len(batch) > 1 else os.write(fd, batch[0])
    if written < total:  # a short write (e.g. interrupted by a signal): finish it
        rest = memoryview(b"".join(batch))[written:]
        while rest:
            rest = rest[os.write(fd, rest) :]


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _AtomicFile:
    """A temporary file next to the target, written by its own thread, then renamed over it.

    The event loop only queues chunks: no file I/O, and it waits only while more than
    :data:`_QUEUE_LIMIT` bytes are queued (a disk slower than the network). One thread creates
    the temporary file (``O_EXCL``), writes the chunks as they come (up to :data:`_BATCH` bytes
    a write, so it never idles while one is queued), and at the end renames the file over the
    target or removes it. Every file operation happens in order on that thread, so the clean-up
    of a failed or cancelled download always comes after its last write, and the thread removes
    the file whatever the event loop does meanwhile. An error in the thread is raised by the
    loop's next call.
    """

    __slots__ = (
        "_closed",
        "_end",
        "_error",
        "_limit",
        "_loop",
        "_opened",
        "_put",
        "_queue",
        "_room",
        "_state",
        "_taken",
        "_target",
        "_temp",
        "_thread",
    )

    def __init__(self, target: Path) -> None:
        self._target = target
        self._temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        # A C-level queue: a put costs the loop well under a microsecond and wakes the thread
        # only when it waits. _END after the last chunk.
        self._queue: queue.SimpleQueue[bytes | object] = queue.SimpleQueue()
        # Bytes queued by the loop and taken by the thread; each counter has one writer, so
        # their difference (what is queued) needs no lock.
        self._put = 0
        self._taken = 0
        self._limit = _QUEUE_LIMIT
        # None while writing, then "commit" or "fsync" (asked), "rename" (the thread is at the
        # point of no return), "renamed", or "abandon" (remove the temporary file instead).
        self._end: str | None = None
        self._state = threading.Lock()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opened: asyncio.Future[None] | None = None
        self._closed: asyncio.Future[None] | None = None
        self._room: asyncio.Future[None] | None = None

    # --- the event loop's side

    async def open(self) -> None:
        """Start the thread and wait until it has created the temporary file.

        Raises:
            ValueError: the target is a directory, or its directory does not exist.
            OSError: the file cannot be created.
        """
        loop = self._loop = asyncio.get_running_loop()
        self._opened, self._closed = loop.create_future(), loop.create_future()
        thread = threading.Thread(target=self._work, name="smsc-export-writer")
        thread.start()
        self._thread = thread
        await asyncio.shield(self._opened)
        self._raise()

    async def write(self, chunk: bytes) -> None:
        """Queue ``chunk``; wait only while the queue is over its limit."""
        self._raise()
        self._queue.put(chunk)
        self._put += len(chunk)
        # Room for two chunks at least, or large ones would be written one at a time.
        self._limit = max(self._limit, 2 * len(chunk))
        if self._put - self._taken > self._limit:
            assert self._loop is not None
            room = self._room = self._loop.create_future()
            # Looked at again once the waiter is published: the thread counts what it takes
            # before it looks for a waiter, so one of the two always sees the other.
            if self._put - self._taken <= self._limit // 2 or self._error is not None:
                self._room = None
                room.set_result(None)
            await room
            self._raise()

    async def commit(self, *, fsync: bool) -> None:
        """Write what is queued, then rename the file over the target."""
        self._finish("fsync" if fsync else "commit")
        assert self._closed is not None
        await asyncio.shield(self._closed)
        self._raise()

    async def discard(self) -> None:
        """Drop what is queued and remove the temporary file (unless it was already renamed)."""
        self._finish("abandon")
        if self._thread is not None:
            assert self._closed is not None
            # Shielded: a second cancellation must not stop the wait short; the thread removes
            # the file either way.
            await asyncio.shield(self._closed)

    def _finish(self, end: str) -> None:
        with self._state:
            if self._end in (None, "commit", "fsync"):
                self._end = end
        self._queue.put(_END)

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    # --- the thread's side

    def _signal(self, future: asyncio.Future[None] | None) -> None:
        if future is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self._loop.call_soon_threadsafe(_release, future)

    def _work(self) -> None:
        fd: int | None = None
        created = False
        try:
            _check_target(self._target)
            # O_EXCL: never clobber a file of the same (random) name; 0o666 less the umask,
            # like any new file (mkstemp's 0o600 would surprise).
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            fd = os.open(self._temp, flags, 0o666)
            created = True
            self._signal(self._opened)
            more = True
            while more:
                batch, more = self._next_batch()
                if batch:
                    _write_all(fd, batch)
                del batch  # free the chunks now, not after the next wait
            fsync = self._end == "fsync"
            if self._end != "abandon":
                if fsync:
                    os.fsync(fd)
                closing: int = fd
                fd = None  # closed below even if close() fails: never twice
                os.close(closing)
                self._rename(fsync=fsync)
        except BaseException as exc:  # handed to the event loop, raised there
            self._error = exc
        finally:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
            if created and self._end != "renamed":
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._temp)
            room, self._room = self._room, None
            self._signal(room)
            self._signal(self._opened)
            self._signal(self._closed)

    def _next_batch(self) -> tuple[builtins.list[bytes], bool]:
        """Wait for a chunk; take it and those queued behind it, up to :data:`_BATCH` bytes.

        Returns:
            The chunks to write, and whether more may come (not after the last chunk, nor
            once the download is abandoned: then nothing is written). What is taken leaves
            the count at once, so the loop queues more while the batch is written.
        """
        batch: builtins.list[bytes] = []
        size = 0
        more = True
        while True:
            try:
                item = self._queue.get(timeout=None if batch else 1.0)
            except queue.Empty:
                if not threading.main_thread().is_alive():
                    # The interpreter is exiting and nobody will finish this download: the
                    # thread must not keep it waiting (it joins threads like this one).
                    self._finish("abandon")
                continue
            if item is _END:
                more = False
                break
            chunk = cast(bytes, item)
            batch.append(chunk)
            size += len(chunk)
            if size >= _BATCH or len(batch) >= _MAX_VECTOR or self._queue.empty():
                break
        if self._end == "abandon":
            return [], False
        self._taken += size
        room = self._room
        if room is not None and self._put - self._taken <= self._limit // 2:
            self._room = None
            self._signal(room)
        return batch, more

    def _rename(self, *, fsync: bool) -> None:
        with self._state:
            if self._end == "abandon":
                return
            self._end = "rename"  # from here on a cancellation leaves the complete file
        os.replace(self._temp, self._target)
        self._end = "renamed"
        if fsync and os.name == "posix":  # make the rename itself durable
            directory = os.open(self._target.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)


def _check_target(target: Path) -> None:
    """Raise ValueError when ``target`` is a directory or its directory does not exist."""
    if target.is_dir():
        kind = "it is a directory; give a file name"
    elif not target.parent.is_dir():
        kind = f"the directory {str(target.parent)!r} does not exist"
    else:
        return
    raise ValueError(f"cannot save to {str(target)!r}: {kind}")


def _target_path(path: object) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a path, got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"path must be a non-empty file path, got {path!r}")
    return Path(text)
