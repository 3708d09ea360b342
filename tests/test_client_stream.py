"""The streamed request path: gate slot held, retries only before the body, errors mapped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web

from smsc_async import HTTPStatusError, ResponseDecodeError, SMSCClient, TransportError
from smsc_async._endpoints import Endpoint

from .conftest import LOGIN, PASSWORD

READ: Endpoint[None] = Endpoint("downloads", "downloads.php", {"get": "1"}, True, None)
WRITE: Endpoint[None] = Endpoint("downloads", "downloads.php", {"del": "1"}, False, None)
BODY = bytes(range(256)) * 4096  # 1 MiB

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []

    async def record(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        seen.append(str(form.get("login", "")))
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def streamed(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/csv"})
    response.content_length = len(BODY)
    await response.prepare(request)
    for start in range(0, len(BODY), 65536):
        await response.write(BODY[start : start + 65536])
    await response.write_eof()
    return response


def client_for(url: str, **options: object) -> SMSCClient:
    return SMSCClient(LOGIN, PASSWORD, base_url=url, retry_backoff=0, **options)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_body_is_handed_over_in_chunks() -> None:
    async with (
        server(streamed) as (url, seen),
        client_for(url) as smsc,
        smsc._stream(READ, {"id": "1"}) as body,
    ):
        assert body.total == len(BODY)
        assert body.content_type == "text/csv"
        sizes = [len(chunk) async for chunk in body.chunks(100_000)]
    assert sum(sizes) == len(BODY)
    assert max(sizes) <= 100_000
    assert len(sizes) > 10
    assert seen == [LOGIN]  # credentials went in the body


@pytest.mark.asyncio
async def test_failures_before_the_body_are_retried_for_reads_only() -> None:
    calls = 0

    async def flaky(request: web.Request) -> web.StreamResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.Response(status=502, text="<html>bad gateway</html>")
        return await streamed(request)

    async with server(flaky) as (url, seen), client_for(url) as smsc:
        async with smsc._stream(READ, {}) as body:
            assert sum([len(c) async for c in body.chunks()]) == len(BODY)
        assert len(seen) == 2
        calls = 0
        with pytest.raises(HTTPStatusError):
            async with smsc._stream(WRITE, {}):
                pass
        assert len(seen) == 3


@pytest.mark.asyncio
async def test_a_connection_lost_mid_body_is_a_transport_error_and_not_repeated() -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = len(BODY)
        await response.prepare(request)
        await response.write(BODY[:100_000])
        assert request.transport is not None
        request.transport.close()
        return response

    got = 0

    async def download(smsc: SMSCClient) -> None:
        nonlocal got
        async with smsc._stream(READ, {}) as body:
            async for chunk in body.chunks():
                got += len(chunk)

    async with server(cut) as (url, seen), client_for(url) as smsc:
        with pytest.raises(TransportError) as info:
            await download(smsc)
    assert info.value.request_sent
    assert 0 < got < len(BODY)
    assert len(seen) == 1


@pytest.mark.asyncio
async def test_errors_of_the_callers_block_are_not_mapped() -> None:
    async def download(smsc: SMSCClient) -> None:
        async with smsc._stream(READ, {}) as body:
            async for _chunk in body.chunks():
                raise OSError("disk full")

    async with server(streamed) as (url, _), client_for(url) as smsc:
        with pytest.raises(OSError, match="disk full") as info:
            await download(smsc)
    assert not isinstance(info.value, TransportError)


@pytest.mark.asyncio
@pytest.mark.looptime
async def test_the_in_flight_slot_is_held_until_the_block_ends() -> None:
    release = asyncio.Event()

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("balance.php"):
            return web.json_response({"balance": "1.00"})
        return await streamed(request)

    async with server(answer) as (url, seen), client_for(url, max_in_flight=1) as smsc:

        async def download() -> None:
            async with smsc._stream(READ, {}) as body:
                async for _chunk in body.chunks():
                    pass
                await release.wait()

        task = asyncio.create_task(download())
        balance = asyncio.create_task(smsc.get_balance())
        await asyncio.sleep(0.2)
        assert not balance.done()  # waits for the slot the download holds
        release.set()
        await task
        assert (await balance).balance == 1
    assert len(seen) == 2


async def chunked_balance(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)  # no Content-Length: the answer comes chunked
    await response.write(b'{"balance": "12.50", ')
    await response.write(b'"currency": "RUR"}')
    await response.write_eof()
    return response


@pytest.mark.asyncio
async def test_answers_are_read_whole_up_to_max_body() -> None:
    async with server(chunked_balance) as (url, _):
        async with client_for(url) as smsc:
            assert (await smsc.get_balance()).currency == "RUR"
        async with client_for(url, max_body=20) as smsc:
            with pytest.raises(ResponseDecodeError, match="larger than 20 bytes"):
                await smsc.get_balance()
    async with server(streamed) as (url, _), client_for(url, max_body=1000) as smsc:
        with pytest.raises(ResponseDecodeError, match="larger than 1000 bytes"):
            await smsc.get_balance()  # announced 1 MiB: refused as it arrives
