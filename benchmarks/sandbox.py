"""Sandbox throughput: the connection page and the Embedded API's list, beside a bare Tornado
handler, each under 50 concurrent clients over loopback.

Each server runs in its own process (the load generator, an asyncio httpx loop, in this one), so
the two do not share a GIL. Page requests carry fresh tokens signed before the clock starts;
every answer but a 200 counts as an error.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import time
import urllib.parse
from collections.abc import Callable
from multiprocessing.synchronize import Event as EventType

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from workato_ipywidget import TokenSigner

from .measure import Figure, Settings, interleaved, ratios, summarize

BENCHMARK = "Sandbox"
CLIENTS = 50
VENDOR = "bench-vendor"
API_TOKEN = "benchmark-api-token-0123456789"  # the throwaway sandbox's own token
CONNECTIONS = 10


def run(settings: Settings) -> list[Figure]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = TokenSigner(VENDOR, key)
    context = multiprocessing.get_context("spawn")
    sandbox_port, bare_port = _free_port(), _free_port()
    ready = [context.Event(), context.Event()]
    stop = context.Event()
    servers = [
        context.Process(
            target=_serve_sandbox,
            args=(sandbox_port, signer.public_key_pem(), ready[0], stop),
            daemon=True,
        ),
        context.Process(target=_serve_bare, args=(bare_port, ready[1], stop), daemon=True),
    ]
    for server in servers:
        server.start()
    try:
        for event in ready:
            if not event.wait(60):
                raise RuntimeError("a benchmark server did not start within 60 s")
        return _measure(settings, signer, sandbox_port, bare_port)
    finally:
        stop.set()
        for server in servers:
            server.join(10)
            if server.is_alive():
                server.terminate()


def _measure(
    settings: Settings, signer: TokenSigner, sandbox_port: int, bare_port: int
) -> list[Figure]:
    count = settings.http_requests
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    tokens = iter(
        [signer.sign("acme") for _ in range(count * settings.http_rounds)]  # not timed
    )
    errors = {"bare": 0, "page": 0, "list": 0}

    def page_urls() -> list[str]:
        return [
            f"{sandbox}/direct_link/embedded/connections/{1 + i % CONNECTIONS}"
            f"?workato_dl_token={urllib.parse.quote(next(tokens), safe='')}"
            for i in range(count)
        ]

    def variant(
        name: str, urls: list[str] | None = None, headers: dict[str, str] | None = None
    ) -> Callable[[], float]:
        def once() -> float:
            fixed = urls if urls is not None else page_urls()
            per_second, failed = asyncio.run(_load(fixed, headers or {}))
            errors[name] += failed
            return per_second

        return once

    rates = interleaved(
        {
            "bare": variant("bare", [f"http://127.0.0.1:{bare_port}/"] * count),
            "page": variant("page"),
            "list": variant(
                "list",
                [f"{sandbox}/api/managed_users/acme/connections"] * count,
                {"Authorization": f"Bearer {API_TOKEN}"},
            ),
        },
        settings.http_rounds,
    )
    total = count * settings.http_rounds
    figures = [
        Figure(
            BENCHMARK,
            f"bare Tornado handler, {CLIENTS} concurrent clients (baseline)",
            "requests/s",
            summarize(rates["bare"]),
            target="0 errors",
            met=errors["bare"] == 0,
            notes=[f"{errors['bare']} errors in {total} requests", "a 2-byte answer"],
            why="" if errors["bare"] == 0 else _why(errors["bare"]),
        )
    ]
    for name, title, note in (
        ("page", "connection page, a fresh token each", "token verified, jti recorded, page"),
        ("list", "Embedded API list of 10 connections", "bearer check, 10 records as JSON"),
    ):
        figures.append(
            Figure(
                BENCHMARK,
                f"{title}, {CLIENTS} concurrent clients",
                "requests/s",
                summarize(rates[name]),
                baseline="bare Tornado",
                ratio=summarize(ratios(rates[name], rates["bare"])),
                target="0 errors",
                met=errors[name] == 0,
                notes=[f"{errors[name]} errors in {total} requests", note],
                why="" if errors[name] == 0 else _why(errors[name]),
            )
        )
    return figures


def _why(failed: int) -> str:
    return (
        f"{failed} requests were not answered 200; look for refusals (Sandbox.refusals) and "
        "timeouts in sandbox/page_handlers.py and verify.py"
    )


async def _load(urls: list[str], headers: dict[str, str]) -> tuple[float, int]:
    """GET every URL with CLIENTS requests in flight; return requests/s and the failures."""
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    pending = iter(urls)
    failed = 0
    async with httpx.AsyncClient(limits=limits, timeout=60, headers=headers) as client:

        async def worker() -> None:
            nonlocal failed
            for url in pending:  # one shared iterator: each URL is fetched once
                try:
                    response = await client.get(url)
                except httpx.HTTPError:
                    failed += 1
                    continue
                failed += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    return len(urls) / elapsed, failed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _serve_sandbox(port: int, public_pem: str, ready: EventType, stop: EventType) -> None:
    from workato_ipywidget.sandbox import Sandbox

    sandbox = Sandbox(port=port, api_token=API_TOKEN)
    sandbox.register_public_key(VENDOR, public_pem)
    for number in range(1, CONNECTIONS + 1):
        sandbox.add_connection(number, "salesforce", connected=number % 2 == 0)
    with sandbox:
        ready.set()
        stop.wait()


def _serve_bare(port: int, ready: EventType, stop: EventType) -> None:
    import tornado.web
    from tornado.httpserver import HTTPServer

    class Bare(tornado.web.RequestHandler):
        def get(self) -> None:
            self.finish("ok")

    async def serve() -> None:
        server = HTTPServer(tornado.web.Application([(r"/", Bare)]))
        server.listen(port, "127.0.0.1")
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        server.stop()

    asyncio.run(serve())
