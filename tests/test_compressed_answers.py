"""Compressed answers: the bound on what is read counts inflated bytes, not wire bytes.

The client asks for gzip and deflate (aiohttp's default). A few hundred KB on the wire can
inflate to hundreds of MB; the answers here are small on the wire and inflate to 50 times
``max_body``, and memory is measured with tracemalloc around the request.
"""

from __future__ import annotations

import contextlib
import functools
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp import web

from smsc_async import ResponseDecodeError, SMSCClient

from .conftest import LOGIN, PASSWORD

MAX_BODY = 4 * 1024 * 1024
INFLATED = 50 * MAX_BODY
# A valid answer padded with whitespace: read whole, it would even decode as a balance.
HEAD, PAD, TAIL = b'{"balance": "1.00"', b" ", b"}"
ROW = b"1,abc,01.01.2026 10:00:00,01.01.2026 10:00:05,79990000001,SMSC,hello,1,1.50,1,0\n"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@functools.cache
def compressed(encoding: str, fill: bytes, size: int, *, json: bool) -> tuple[bytes, int]:
    """Return about ``size`` bytes of ``fill`` compressed, and the exact inflated size.

    With ``json``, the fill is wrapped in a JSON head and tail. Made once a run (0.5 s each).
    """
    packer = zlib.compressobj(6, zlib.DEFLATED, {"gzip": 31, "deflate": 15}[encoding])
    block = fill * (1024 * 1024 // len(fill))
    head, tail = (HEAD, TAIL) if json else (b"", b"")
    parts = [packer.compress(head)]
    parts.extend(packer.compress(block) for _ in range(size // len(block)))
    parts += [packer.compress(tail), packer.flush()]
    return b"".join(parts), len(head) + size // len(block) * len(block) + len(tail)


@contextlib.asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.StreamResponse:
        await request.read()
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def bomb(encoding: str, *, chunked: bool) -> Handler:
    body, _ = compressed(encoding, PAD, INFLATED, json=True)
    assert len(body) < MAX_BODY // 4  # small on the wire: well inside max_body

    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
        if not chunked:
            return web.Response(body=body, headers=headers)
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)  # no Content-Length: chunked
        for start in range(0, len(body), 16384):
            await response.write(body[start : start + 16384])
        await response.write_eof()
        return response

    return handler


@contextlib.contextmanager
def peak_growth() -> Iterator[list[int]]:
    """Measure the peak of traced memory above its level at entry, in bytes."""
    got: list[int] = []
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        yield got
        got.append(tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("encoding", "chunked"),
    [("gzip", False), ("deflate", False), ("gzip", True)],
    ids=["gzip-with-length", "deflate-with-length", "gzip-chunked"],
)
async def test_an_answer_inflating_past_max_body_is_refused_in_bounded_memory(
    encoding: str, chunked: bool
) -> None:
    async with (
        server(bomb(encoding, chunked=chunked)) as url,
        SMSCClient(LOGIN, PASSWORD, base_url=url, max_body=MAX_BODY, retry_backoff=0) as smsc,
    ):
        with peak_growth() as growth, pytest.raises(ResponseDecodeError) as info:
            await smsc.get_balance()
    assert f"larger than {MAX_BODY} bytes" in str(info.value)
    assert info.value.body_prefix.startswith(HEAD)
    # max_body of answer plus aiohttp's read buffer (about 1 MB); all of it would be 200 MiB.
    assert growth[0] < 1.5 * MAX_BODY, f"peak growth {growth[0]} bytes"


@pytest.mark.asyncio
async def test_a_compressed_answer_within_max_body_is_read() -> None:
    body = zlib.compress(b'{"balance": "7.25", "currency": "RUR"}' + b" " * 100_000, wbits=31)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async with (
        server(handler) as url,
        SMSCClient(LOGIN, PASSWORD, base_url=url, max_body=200_000) as smsc,
    ):
        assert (await smsc.get_balance()).currency == "RUR"


@pytest.mark.asyncio
async def test_a_compressed_export_streams_in_constant_memory() -> None:
    # An export may legitimately be huge: what is bounded is memory per chunk, not the size.
    body, size = compressed("gzip", ROW, 64 * 1024 * 1024, json=False)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    received = 0
    async with (
        server(handler) as url,
        SMSCClient(LOGIN, PASSWORD, base_url=url, max_body=MAX_BODY) as smsc,
    ):
        with peak_growth() as growth:
            async with smsc.exports.download(1, chunk_size=65536) as download:
                # Content-Length counts compressed bytes: it is not the size handed over.
                assert download.total is None
                async for chunk in download.chunks():
                    received += len(chunk)
    assert received == download.received == size
    assert growth[0] < 4 * 1024 * 1024, f"peak growth {growth[0]} bytes"
