"""Account health: a scan of every customer at the pace Workato's rate limits allow.

The sandbox runs in its own process with Workato's limits scaled (every family's count divided by
10, the window 1.5 s instead of 60 s, so that a scan of 1,000 customers spans ten windows of the
connection list, which sets the pace), behind a proxy in this process that delays every answer by
50 ms, as a network would (loopback answers in a millisecond, which would flatter a sequential
loop and hide what concurrency buys). Figures, all from one run:

- the scan's pace: the least time the limit allows for its connection lists (the client's sliding
  window: list k may start floor(k / L) windows in), divided by the time they took;
- the same scan beside a sequential loop over `EmbeddedApi.connections` (the first customers only,
  extrapolated per customer);
- time from `AccountHealth.scan()` to the first row in the widget's synced state;
- kernel memory (RSS, after a collection) per customer, 10,000 customers read without limits or
  delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

from workato_ipywidget import AccountHealth, EmbeddedApi, RateLimits
from workato_ipywidget.health_scan import HealthScan, scan_clients

from .measure import Figure, Settings, Summary

BENCHMARK = "Account health"
API_TOKEN = "benchmark-health-token-0123456789"
LATENCY = 0.05
LIMITS = RateLimits(
    list_connections=100,
    connections=6,
    customers=6,
    create_customer=100,
    list_recipes=200,
    get_recipe=200,
    recipe_versions=6,
    recipes=100,
    jobs=100,
    folders=100,
    projects=100,
    window=1.5,
)
"""Workato's documented limits, each count divided by 10, in a 1.5 s window."""


SMOKE_LIMITS = RateLimits(list_connections=10, customers=6, list_recipes=20, window=0.3)
"""For the smoke test: few customers that still span three windows."""


@dataclass(frozen=True)
class Sizes:
    scan: int  # customers scanned under the limits
    sequential: int  # customers read one by one for the baseline
    memory: int  # customers read for the memory figure
    limits: RateLimits = LIMITS


SIZES = {
    "full": Sizes(1000, 150, 10_000),
    "quick": Sizes(400, 60, 3000),
    "smoke": Sizes(30, 5, 60, SMOKE_LIMITS),
}


def run(settings: Settings) -> list[Figure]:
    sizes = SIZES.get(settings.name, SIZES["quick"])
    limits = sizes.limits
    with sandbox_process(sizes.scan, limits) as port, latency_proxy(port, LATENCY) as proxied:
        base_url = f"http://127.0.0.1:{proxied}"
        pace = _pace(base_url, sizes.scan, limits)
        first = _first_row(base_url, limits)
        sequential = _sequential(base_url, sizes.sequential, limits)
    with sandbox_process(sizes.memory, None) as port:
        memory = _memory(f"http://127.0.0.1:{port}", sizes.memory)
    return _figures(sizes, pace, first, sequential, memory)


# --- measurements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pace:
    listed: float  # seconds to list the customers
    scanned: float  # seconds from the list to the last customer's row
    requests: int
    rate_limited: int
    lists: int  # connection lists sent
    floor: float  # the least time a sliding window allows for them (the first L at once)


def _client(base_url: str, limits: RateLimits) -> EmbeddedApi:
    return EmbeddedApi(API_TOKEN, base_url=base_url, rate_limits=limits)


def _stats(api: EmbeddedApi) -> tuple[int, int]:
    return api.stats.requests, api.stats.rate_limited


def _pace(base_url: str, customers: int, limits: RateLimits) -> Pace:
    """One scan through the engine, the listing and the reading timed apart."""
    api = _client(base_url, limits)
    marks: dict[str, float] = {}

    def on_total(_total: int) -> None:
        marks["listed"] = time.perf_counter()

    def on_row(_row: object) -> None:
        marks["last"] = time.perf_counter()

    async def scan() -> int:
        _, make_source = scan_clients(api)
        engine = HealthScan(make_source(), on_total=on_total, on_row=on_row)
        return await engine.run()

    start = time.perf_counter()
    read = asyncio.run(scan())
    if read != customers + 1:
        raise RuntimeError(f"the scan read {read} customers, expected {customers + 1}")
    requests, limited = _stats(api)
    api.close()
    lists = customers + 1
    floor = (lists - 1) // limits.list_connections * limits.window
    scanned = marks["last"] - marks["listed"]
    return Pace(marks["listed"] - start, scanned, requests, limited, lists, floor)


def _first_row(base_url: str, limits: RateLimits) -> tuple[float, float]:
    """Seconds from `AccountHealth.scan()` to the first row in the synced state, and to the end."""
    api = _client(base_url, limits)
    health = AccountHealth(api)
    seen: list[float] = []

    def on_rows(change: dict[str, object]) -> None:
        if change["new"] and not seen:
            seen.append(time.perf_counter())

    health.observe(on_rows, names="page_rows")
    start = time.perf_counter()
    health.scan()
    end = time.perf_counter()
    health.close()
    api.close()
    return seen[0] - start, end - start


def _sequential(base_url: str, customers: int, limits: RateLimits) -> float:
    """Seconds per customer of `for c in api.customers(): api.connections(c.id)`, the first
    `customers` only (a full loop at 20 a second would take most of a minute)."""
    api = _client(base_url, limits)
    listed = api.customers()[:customers]
    start = time.perf_counter()
    for customer in listed:
        api.connections(customer.id)
    seconds = time.perf_counter() - start
    api.close()
    return seconds / len(listed)


def _memory(base_url: str, customers: int) -> tuple[float, int]:
    """Kernel RSS growth per customer (bytes) after a scan of `customers`, and the rows held."""
    api = EmbeddedApi(API_TOKEN, base_url=base_url, pace=False)  # the sandbox has no limits here
    health = AccountHealth(api, include_recipes=False)
    gc.collect()
    before = _rss()
    rows = len(health.scan())
    gc.collect()
    after = _rss()
    held = len(health.rows)
    health.close()
    api.close()
    if rows != customers + 1 or held != rows:
        raise RuntimeError(f"the memory scan read {rows} customers, expected {customers + 1}")
    return (after - before) / rows, rows


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _figures(
    sizes: Sizes,
    pace: Pace,
    first: tuple[float, float],
    sequential: float,
    memory: tuple[float, int],
) -> list[Figure]:
    limits = sizes.limits
    ceiling = limits.per_second("list_connections")
    achieved = pace.lists / pace.scanned if pace.scanned else 0.0
    fraction = achieved / ceiling
    pages = -(-(sizes.scan + 1) // 100)
    per_customer = pace.scanned / (sizes.scan + 1)
    speedup = sequential / per_customer if per_customer else 0.0
    counts = f"{pace.requests:,} requests, {pace.rate_limited} answered 429"
    one = lambda value: Summary(value, value, value, 1)  # noqa: E731 - one run each
    return [
        Figure(
            BENCHMARK,
            f"scan of {sizes.scan:,} customers at Workato's limits scaled "
            f"({limits.list_connections} lists per {limits.window:g} s), +50 ms latency: "
            "connection lists a second / the limit's ceiling",
            "x",
            one(fraction),
            target=">= 0.9",
            met=fraction >= 0.9 and pace.rate_limited <= 0,
            notes=[
                f"{pace.lists:,} connection lists in {pace.scanned:.2f} s: {achieved:.1f} a "
                f"second against a ceiling of {ceiling:.1f} ({limits.list_connections} per "
                f"{limits.window:g} s)",
                f"a sliding window that let the first {limits.list_connections} go at once would "
                f"allow {pace.floor:.2f} s at best ({pace.floor / pace.scanned:.2f} of the time "
                "taken); the client counts each window from the answers, so every window also "
                "holds one round trip",
                f"listing the customers took {pace.listed:.2f} s (not counted)",
                counts,
            ],
            why="" if fraction >= 0.9 else "the scan did not keep the limiter busy",
        ),
        Figure(
            BENCHMARK,
            "the same scan, per customer, beside a sequential EmbeddedApi.connections loop",
            "ms/customer",
            one(per_customer * 1000),
            baseline=f"sequential loop ({sequential * 1000:.1f} ms/customer, first "
            f"{sizes.sequential} customers)",
            ratio=one(per_customer / sequential if sequential else 0.0),
            notes=[f"speed-up {speedup:.1f}x"],
        ),
        Figure(
            BENCHMARK,
            "AccountHealth.scan(): time to the first row in the synced state",
            "ms",
            one(first[0] * 1000),
            notes=[
                f"the whole scan took {first[1]:.2f} s; the first row waits for the customer "
                f"list ({pages} pages of 100, {limits.customers} pages a window)"
            ],
        ),
        Figure(
            BENCHMARK,
            f"kernel memory (RSS) per customer, {memory[1]:,} customers scanned",
            "KiB",
            one(memory[0] / 1024),
            notes=["rows hold records (customer, ~5 connections each), never the answers"],
        ),
    ]


# --- the sandbox in its own process, and a proxy that delays answers -----------------------------


@contextlib.contextmanager
def sandbox_process(customers: int, limits: RateLimits | None) -> Iterator[int]:
    """A sandbox with `customers` customers (plus ACME) on a free port, in a spawned process."""
    context = multiprocessing.get_context("spawn")
    port = _free_port()
    ready, stop = context.Event(), context.Event()
    process = context.Process(
        target=_serve, args=(port, customers, limits, ready, stop), daemon=True
    )
    process.start()
    try:
        if not ready.wait(300):
            raise RuntimeError("the benchmark sandbox did not start within 300 s")
        yield port
    finally:
        stop.set()
        process.join(10)
        if process.is_alive():
            process.terminate()


def _serve(
    port: int, customers: int, limits: RateLimits | None, ready: EventType, stop: EventType
) -> None:
    from workato_ipywidget.sandbox import Sandbox

    sandbox = Sandbox(port=port, rate_limits=limits or False, api_token=API_TOKEN)
    sandbox.populate(customers=customers, seed=0)
    with sandbox:
        ready.set()
        stop.wait()


@contextlib.contextmanager
def latency_proxy(upstream: int, delay: float) -> Iterator[int]:
    """A TCP proxy on a free port that forwards to `upstream` and holds every chunk of the
    answers for `delay` seconds (requests pass at once): a round trip `delay` longer."""
    loop = asyncio.new_event_loop()
    started: list[asyncio.AbstractServer] = []
    ready = threading.Event()

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, hold: float) -> None:
        chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            while True:
                data = await source.read(65536)
                await chunks.put((loop.time() + hold, data))
                if not data:
                    return

        async def write() -> None:
            while True:
                at, data = await chunks.get()
                await asyncio.sleep(max(0.0, at - loop.time()))
                if not data:
                    sink.close()
                    return
                sink.write(data)
                await sink.drain()

        with contextlib.suppress(OSError, asyncio.CancelledError):
            await asyncio.gather(read(), write())

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):  # closed at the end of a run
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
            await asyncio.gather(pipe(reader, up_writer, 0.0), pipe(up_reader, writer, delay))

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        started.append(server)
        ready.set()

    thread = threading.Thread(target=loop.run_forever, name="latency-proxy", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop)
    ready.wait(10)

    async def shut() -> None:
        started[0].close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        loop.stop()

    try:
        yield started[0].sockets[0].getsockname()[1]
    finally:
        asyncio.run_coroutine_threadsafe(shut(), loop)
        thread.join(5)
        loop.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
