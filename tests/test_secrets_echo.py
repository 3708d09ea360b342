"""Answers that repeat the request body: the credentials never reach errors, logs or output.

A proxy or firewall error page may echo the form it was sent, ``psw=...`` or ``apikey=...``
included, in any encoding. The server here does that, in several ways; the test looks for the
secret in every form it may take (the forms are spelled out here, independently of the library)
in everything the caller gets: the exception's text and repr, ``body_prefix``, the whole cause
and context chain of a failed send, the log at DEBUG, and the ``smsc`` command's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import html
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
from aiohttp import web
from click.testing import CliRunner

from smsc_async import (
    HTTPStatusError,
    ResponseDecodeError,
    SendOutcomeUnknownError,
    SMSCClient,
    TransportError,
)
from smsc_async.cli._app import cli

PASSWORD = "p@ss w+rd/é&=%"  # every character that an encoding changes
APIKEY = "k3y/é+ 42&=%\"'x"
LOGIN = "echo-login"
PHONE = "+79990000001"

Page = Callable[[bytes], web.Response]


def spellings(secret: str) -> set[str]:
    """Every way an echo may write ``secret``: as sent, form-, percent-, JSON-, HTML-encoded."""
    forms = {
        secret,
        quote_plus(secret),
        quote_plus(secret, safe="/"),
        quote(secret),
        quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),  # PHP's json_encode
        html.escape(secret),
        html.escape(secret, quote=False),
        repr(secret.encode())[2:-1],  # Python's repr of the bytes
    }
    forms |= {form.lower() for form in forms if "%" in form}  # %2f as well as %2F
    return forms


def leaks(secret: str) -> set[str]:
    """The spellings of the secret, and of its first and last five characters (a cut-off)."""
    return spellings(secret) | spellings(secret[:5]) | spellings(secret[-5:])


def assert_clean(text: str | bytes, secrets: list[str], where: str) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "backslashreplace")
    for secret in secrets:
        for form in leaks(secret):
            assert form not in text, f"{where} holds {form!r}: {text!r}"


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every one in its cause and context chain."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        todo += [link.__cause__, link.__context__]


def assert_exception_clean(exc: BaseException, secrets: list[str]) -> None:
    for link in chain(exc):
        name = type(link).__name__
        assert_clean(str(link), secrets, f"str({name})")
        assert_clean(repr(link), secrets, f"repr({name})")
        for attribute, value in vars(link).items():
            assert_clean(repr(value), secrets, f"{name}.{attribute}")
        if isinstance(link, HTTPStatusError | ResponseDecodeError):
            assert_clean(link.body_prefix, secrets, f"{name}.body_prefix")


# --- the echoing server --------------------------------------------------------------------------


def _decoded(body: bytes) -> str:
    return "&".join(f"{k}={v}" for k, v in parse_qsl(body.decode()))


def _straddling(page: bytes, body: bytes) -> bytes:
    """Pad ``page`` so that the echoed credential starts just before byte 200 (the cut)."""
    field = b"psw=" if b"psw=" in body else b"apikey="
    start = page.find(field)
    if start < 0:
        return page
    return b" " * max(0, 195 - (start + len(field))) + page


PAGES: dict[str, Page] = {
    "502-html-as-sent": lambda body: web.Response(
        status=502,
        content_type="text/html",
        body=b"<html><h1>502 Bad Gateway</h1><p>request: " + body + b"</p></html>",
    ),
    "502-html-decoded": lambda body: web.Response(
        status=502,
        content_type="text/html",
        text=f"<html><pre>{html.escape(_decoded(body))}</pre></html>",
    ),
    "502-straddling-the-cut": lambda body: web.Response(
        status=502, content_type="text/html", body=_straddling(b"<p>" + body + b"</p>", body)
    ),
    "200-html-as-sent": lambda body: web.Response(
        content_type="text/html", body=b"<html>blocked: " + body + b"</html>"
    ),
    "200-plain-decoded": lambda body: web.Response(text=_decoded(body)),
    "200-percent-20": lambda body: web.Response(
        text="&".join(f"{k}={quote(v)}" for k, v in parse_qsl(body.decode()))
    ),
    "200-straddling-the-cut": lambda body: web.Response(
        content_type="text/html", body=_straddling(b"<p>" + body + b"</p>", body)
    ),
    "200-broken-json": lambda body: web.Response(
        content_type="application/json",
        text='{"error": "rejected", "echo": ' + json.dumps(dict(parse_qsl(body.decode()))),
    ),
    "200-broken-json-php": lambda body: web.Response(
        content_type="application/json",
        text=(
            '{"error": "rejected", "echo": '
            + json.dumps(dict(parse_qsl(body.decode())), ensure_ascii=False).replace("/", "\\/")
        ),
    ),
}


@contextlib.asynccontextmanager
async def echo_server(page: Page, *, also: str = "") -> AsyncIterator[str]:
    """Serve ``page(body)`` to every request; ``also`` is added to the page (a quoted password)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        return page(body + (f"&quoted={quote_plus(also)}".encode() if also else b""))

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def raw_server(answer: Callable[[bytes], bytes]) -> AsyncIterator[str]:
    """A server below HTTP: it writes ``answer(request body)`` as the whole response."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        writer.write(answer(await reader.readexactly(length)))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


# --- the credentials -----------------------------------------------------------------------------

MD5 = hashlib.md5(PASSWORD.encode()).hexdigest()  # SMSC's md5_password scheme
CREDENTIALS: dict[str, tuple[dict[str, object], list[str], str]] = {
    # (client arguments, secrets to look for, text the page quotes besides the echo)
    "password": ({"login": LOGIN, "password": PASSWORD}, [PASSWORD], ""),
    # The MD5 is what is sent; a page quoting the plain password (known to the client) too.
    "md5": (
        {"login": LOGIN, "password": PASSWORD, "md5_password": True},
        [MD5, PASSWORD],
        PASSWORD,
    ),
    "apikey": ({"apikey": APIKEY}, [APIKEY], ""),
}


def client(url: str, credentials: dict[str, object]) -> SMSCClient:
    return SMSCClient(
        **credentials,  # type: ignore[arg-type]
        base_url=url,
        backup_urls=[],
        retry_backoff=0,
        reconcile_delay=0,
        max_retries=1,
    )


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", CREDENTIALS)
@pytest.mark.parametrize("page", PAGES)
async def test_an_echoed_body_leaves_no_credential_in_errors_or_logs(
    page: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    credentials, secrets, also = CREDENTIALS[kind]
    async with echo_server(PAGES[page], also=also) as url, client(url, credentials) as smsc:
        with pytest.raises((HTTPStatusError, ResponseDecodeError)) as read:
            await smsc.get_balance()
        with pytest.raises(SendOutcomeUnknownError) as send:
            await smsc.send_sms(PHONE, "hello")
    # The answers did hold the secret (else the test proves nothing): the mask is there.
    assert isinstance(read.value, HTTPStatusError | ResponseDecodeError)
    assert b"***" in read.value.body_prefix
    assert_exception_clean(read.value, secrets)
    assert_exception_clean(send.value, secrets)
    assert isinstance(send.value.__cause__, HTTPStatusError | ResponseDecodeError)
    assert send.value.__context__ is not None  # the reconciliation failed too: checked above
    assert caplog.records
    for record in caplog.records:
        assert_clean(logging.Formatter().format(record), secrets, f"log {record.getMessage()!r}")


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", CREDENTIALS)
async def test_a_status_line_that_echoes_the_body_is_not_chained(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    # aiohttp quotes a malformed status line in its error: the body must not ride along in the
    # cause chain either.
    caplog.set_level(logging.DEBUG)
    credentials, secrets, _ = CREDENTIALS[kind]
    async with raw_server(lambda body: body + b"\r\n\r\n") as url, client(url, credentials) as smsc:
        with pytest.raises(TransportError) as read:
            await smsc.get_balance()
        with pytest.raises(SendOutcomeUnknownError) as send:
            await smsc.send_sms(PHONE, "hello")
    assert "***" in str(read.value)
    assert read.value.__cause__ is None
    assert_exception_clean(read.value, secrets)
    assert_exception_clean(send.value, secrets)
    for record in caplog.records:
        assert_clean(logging.Formatter().format(record), secrets, f"log {record.getMessage()!r}")


@pytest.mark.asyncio
async def test_a_status_line_without_secrets_stays_chained() -> None:
    async with (
        raw_server(lambda body: b"garbage\r\n\r\n") as url,
        client(url, CREDENTIALS["password"][0]) as smsc,
    ):
        with pytest.raises(TransportError) as read:
            await smsc.get_balance()
    assert read.value.__cause__ is not None


@pytest.mark.asyncio
@pytest.mark.parametrize("json_output", [False, True])
@pytest.mark.parametrize("page", ["200-straddling-the-cut", "200-broken-json"])
async def test_the_smsc_command_prints_no_credential(page: str, json_output: bool) -> None:
    # The error line of a read quotes the body; a send's says only that its outcome is unknown.
    # (A 502 page's error line quotes nothing, and is retried: slow.)
    command = ["--json", "balance"] if json_output else ["balance"]
    async with echo_server(PAGES[page]) as url:
        env = {
            "SMSC_BASE_URL": url,
            "SMSC_LOGIN": LOGIN,
            "SMSC_PASSWORD": PASSWORD,
            "SMSC_APIKEY": None,
            "SMSC_REDIS_URL": None,
        }
        result = await asyncio.to_thread(
            CliRunner().invoke, cli, command, env=env, catch_exceptions=False
        )
    assert result.exit_code == 3, result.output
    assert "***" in result.stderr + result.stdout
    assert_clean(result.stderr, [PASSWORD], "stderr")
    assert_clean(result.stdout, [PASSWORD], "stdout")


def test_errors_built_anywhere_are_scrubbed() -> None:
    # The layers that build errors do not know the credentials: the constructors scrub.
    keep = SMSCClient(LOGIN, PASSWORD)
    echoed = ("x" * 190 + quote_plus(PASSWORD)).encode()
    for exc in (
        ResponseDecodeError("bad", script="send.php", body_prefix=echoed),
        HTTPStatusError(502, url="http://h/sys/send.php", body_prefix=echoed),
        TransportError(f"ClientResponseError: {echoed!r}", url="http://h/sys/send.php"),
    ):
        assert_exception_clean(exc, [PASSWORD])
    del keep


def test_a_collected_clients_secrets_are_forgotten() -> None:
    secret = "forgotten-" + "s3cret"
    SMSCClient(LOGIN, secret)
    gc.collect()
    got = ResponseDecodeError("bad", script="x.php", body_prefix=secret.encode())
    assert got.body_prefix == secret.encode()
