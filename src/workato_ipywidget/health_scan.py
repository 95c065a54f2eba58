"""The account-health scan: every customer's connections (and recipes stopped on errors) read
over the async Embedded API client, as many at once as its rate limiter lets through.

The scan holds no pace of its own: it keeps `concurrency` readers busy, and the client's limiter
(one per endpoint family, shared by everything using the client) decides when each request may
leave, so a scan runs at Workato's documented limit without needing a 429 to find it. A
customer whose read fails becomes a row with its error; only what makes every read impossible
(a refused API token, or the customer list itself failing) fails the scan.

`ScanLoop` runs scans on a thread and event loop of their own, off the kernel's shell thread, so
a cell stays responsive and `AccountHealth.scan()` can block even inside JupyterLab's running
loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from .api_failures import customer_label, describe_api_failure
from .health_rows import STOPPED_ON_ERRORS, CustomerHealth, health_row, read_failed_row

if TYPE_CHECKING:
    from .api import EmbeddedApi
    from .records import Connection, Customer, Recipe

__all__ = [
    "DEFAULT_CONCURRENCY",
    "AsyncSource",
    "HealthScan",
    "InFlight",
    "ScanLoop",
    "ScanProgress",
    "check_concurrency",
    "is_fatal",
    "scan_clients",
]

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 32
"""Readers kept busy by default: enough to fill Workato's connection-list limit (about 17 a
second) at a few hundred milliseconds a request, and a scaled-down sandbox's at a few; readers
beyond what the limiter allows wait in it and send nothing."""
MAX_CONCURRENCY = 256

T = TypeVar("T")


class AsyncSource(Protocol):
    """What a scan reads through: `AsyncEmbeddedApi`'s methods of the same names."""

    def customers(self) -> Awaitable[list[Customer]]: ...

    def connections(self, customer_id: Any) -> Awaitable[list[Connection]]: ...

    def recipes(
        self, customer_id: Any, *, stop_cause: str | None = None
    ) -> Awaitable[list[Recipe]]: ...

    def aclose(self) -> Awaitable[None]: ...


def check_concurrency(value: object) -> int:
    """`concurrency=`: None for the default, else a whole number of readers from 1 to 256."""
    if value is None:
        return DEFAULT_CONCURRENCY
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise ValueError(
            f"concurrency must be None (the default, {DEFAULT_CONCURRENCY}) or a whole number of "
            f"readers from 1 to {MAX_CONCURRENCY}, got {value!r}; the API client's rate limiter "
            "sets the pace either way"
        )
    return value


def is_fatal(exc: BaseException) -> bool:
    """An error no other customer's read would escape: the API token refused (401). Anything
    else (a timeout, a 404, a 429 after its retries, a 403 for one customer) is that customer's
    row; a failed customer list fails the scan before any row."""
    from .errors import AuthenticationError

    return isinstance(exc, AuthenticationError) and exc.status == 401


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """How far a scan has come: customers read of `total` (None while still listing them)."""

    state: str
    """"idle", "listing", "scanning", "done", "stopped" or "failed"."""
    read: int = 0
    total: int | None = None
    elapsed: float = 0.0
    """Seconds since the scan began."""
    eta: float | None = None
    """Seconds left at the rate measured so far, None until a customer was read."""

    def for_page(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "read": self.read,
            "total": self.total,
            "elapsed": round(self.elapsed, 1),
            "eta": None if self.eta is None else round(self.eta, 1),
        }


class HealthScan:
    """One scan of every customer. `on_total(n)` is called once the customers are listed and
    `on_row(row)` once per customer, as each is read, both on the scan's event loop."""

    def __init__(
        self,
        api: AsyncSource,
        *,
        include_recipes: bool = True,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_total: Callable[[int], object] | None = None,
        on_row: Callable[[CustomerHealth], object] | None = None,
    ) -> None:
        self._api = api
        self._recipes = include_recipes
        self._concurrency = check_concurrency(concurrency)
        self._on_total = on_total
        self._on_row = on_row
        self._started: float | None = None
        self._first_read: float | None = None
        self._read = 0
        self._total: int | None = None
        self._state = "idle"

    def progress(self) -> ScanProgress:
        """The scan's progress now; the estimate uses the rate since the first customer."""
        if self._started is None:
            return ScanProgress(self._state)
        now = time.monotonic()
        eta = None
        if self._total is not None and self._first_read is not None and self._read:
            spent = now - self._first_read
            if self._read >= self._total:
                eta = 0.0
            elif spent > 0:
                eta = (self._total - self._read) * spent / self._read
        return ScanProgress(self._state, self._read, self._total, now - self._started, eta)

    async def run(self) -> int:
        """Read every customer; return how many were read. Raises what made the scan impossible
        (`is_fatal`, or a failed customer list); cancelling it stops every reader."""
        self._started = time.monotonic()
        self._state = "listing"
        try:
            customers = await self._api.customers()
            self._total = len(customers)
            self._state = "scanning"
            if self._on_total is not None:
                self._on_total(len(customers))
            await self._read_all(customers)
        except asyncio.CancelledError:
            self._state = "stopped"
            raise
        except BaseException:
            self._state = "failed"
            raise
        self._state = "done"
        return self._read

    async def _read_all(self, customers: Sequence[Customer]) -> None:
        pending = iter(customers)  # shared by the readers; each takes the next customer
        gate = InFlight(_list_rate(self._api), self._concurrency)

        async def reader() -> None:
            for customer in pending:
                await gate.enter()
                began = time.monotonic()
                try:
                    row = await self._read_one(customer)
                finally:
                    gate.leave(time.monotonic() - began)
                self._read += 1
                if self._first_read is None:
                    self._first_read = time.monotonic()
                if self._on_row is not None:
                    self._on_row(row)

        tasks = [
            asyncio.ensure_future(reader()) for _ in range(min(self._concurrency, len(customers)))
        ]
        if not tasks:
            return
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]

    async def _read_one(self, customer: Customer) -> CustomerHealth:
        reads: list[Awaitable[Any]] = [self._api.connections(customer.id)]
        if self._recipes:
            reads.append(self._api.recipes(customer.id, stop_cause=STOPPED_ON_ERRORS))
        results = await asyncio.gather(*reads, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError) or not isinstance(result, Exception):
                    raise result
                if is_fatal(result):
                    raise result
                what = "connections" if result is results[0] else "recipes"
                text = describe_api_failure(
                    f"{customer_label(customer.id)}'s {what}", result, customer.id
                )
                return read_failed_row(customer, text)
        connections = cast("list[Connection]", results[0])
        recipes = cast("list[Recipe]", results[1]) if self._recipes else None
        return health_row(customer, connections, recipes)


class InFlight:
    """How many customers to read at once: Little's law, the limit's rate times the round trip.

    Reading more at once than `rate * round trip` cannot go faster: the extra requests wait in
    the client's limiter and then leave together when its window opens, a burst that queues at
    the server and lengthens every round trip after it. So the gate lets through twice what the
    limit's rate needs at the shortest recent round trip (the one without waits), plus two, and
    at most `cap`; until a round trip is known, `cap`.
    """

    RECENT = 64

    def __init__(self, rate: float | None, cap: int) -> None:
        self._rate = rate
        self._cap = cap
        self._count = 0
        self._trips: deque[float] = deque(maxlen=self.RECENT)
        self._changed = asyncio.Event()

    @property
    def target(self) -> int:
        if self._rate is None or not self._trips:
            return self._cap
        return max(1, min(self._cap, math.ceil(self._rate * min(self._trips) * 2) + 2))

    async def enter(self) -> None:
        while self._count >= self.target:
            self._changed.clear()
            await self._changed.wait()
        self._count += 1

    def leave(self, seconds: float) -> None:
        self._count -= 1
        self._trips.append(seconds)
        self._changed.set()


def _list_rate(api: object) -> float | None:
    """Connection lists a second that the client's limits allow, when it says."""
    limits = getattr(api, "rate_limits", None)
    per_second = getattr(limits, "per_second", None)
    return float(per_second("list_connections")) if callable(per_second) else None


class ScanLoop:
    """A daemon thread running one asyncio event loop, where scans (and the async client they
    use) live: the kernel's shell thread only submits work and, for `scan()`, waits for it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop, started on first use."""
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                ready = threading.Event()
                loop = asyncio.new_event_loop()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name=self._name, daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    @property
    def on_loop(self) -> bool:
        """Whether the caller runs on this loop's thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the loop; cancelling the returned future cancels it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop and join its thread; scans still running are cancelled."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or loop.is_closed():
            return

        async def shut() -> None:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(shut(), loop)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if not thread.is_alive():
                loop.close()


def scan_clients(api: object) -> tuple[EmbeddedApi, Callable[[], AsyncSource]]:
    """The sync client that opened panels use, and a maker of the async client a scan reads
    through (called on the scan's own loop, where its connection pool then lives), all sharing
    `api`'s pacer and stats, so that scans and panels draw on one budget.

    Args:
        api: an `EmbeddedApi` or `AsyncEmbeddedApi`.

    Returns:
        The sync client (`api` itself when it is one) and the maker.

    Raises:
        TypeError: `api` is not an Embedded API client.
    """
    from .api import AsyncEmbeddedApi, EmbeddedApi

    if isinstance(api, EmbeddedApi):
        sync = api
    elif isinstance(api, AsyncEmbeddedApi):
        sync = api.twin(EmbeddedApi)
    else:
        raise TypeError(
            "api must be an EmbeddedApi or AsyncEmbeddedApi (the scan reads customers and their "
            f"connections through it), got {type(api).__name__}"
        )
    source = api

    def make() -> AsyncSource:
        return source.twin(AsyncEmbeddedApi)

    return sync, make
