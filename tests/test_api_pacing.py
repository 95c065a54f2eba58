"""The per-family pacer, and both clients keeping a sandbox's rate limits without a 429."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from workato_ipywidget import AsyncEmbeddedApi, EmbeddedApi, RateLimitError, RateLimits
from workato_ipywidget.rate_limits import Pacer
from workato_ipywidget.sandbox import Sandbox


class FakeClock:
    """A clock the test moves by hand: each request is answered the moment it starts."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def scan(pacer: Pacer, clock: FakeClock, count: int, *, latency: float = 0.0) -> list[float]:
    """Start times of `count` sequential requests of one family, each taking `latency`."""
    starts = []
    for _ in range(count):
        slot = pacer.reserve("list_connections")
        clock.now += slot.delay()
        assert slot.delay() == 0
        starts.append(clock.now)
        clock.now += latency
        slot.done()
    return starts


def test_a_steady_scan_runs_at_the_limit_and_no_faster() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimits(list_connections=10, window=60), clock=clock)

    starts = scan(pacer, clock, 35)

    elapsed = starts[-1] - starts[0]
    assert elapsed >= (35 - 10) / 10 * 60  # (N - L) / L windows
    assert elapsed <= (35 - 10) / 10 * 60 + 60  # and close to it: within one window
    for i in range(10, 35):  # no span of one window ever holds more than the limit
        assert starts[i] - starts[i - 10] >= 60


def test_the_window_counts_from_each_answer_not_from_its_request() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimits(list_connections=2, window=10), clock=clock)

    starts = scan(pacer, clock, 3, latency=1.5)

    assert starts[2] - starts[0] == pytest.approx(10 + 1.5)


def test_families_are_paced_apart() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimits(list_connections=1, customers=1, window=60), clock=clock)

    pacer.reserve("list_connections").done()

    assert pacer.reserve("customers").delay() == 0
    assert pacer.reserve("list_connections").delay() == pytest.approx(60)


def test_a_429_holds_its_family_for_the_advised_time() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimits(), clock=clock)

    pacer.hold("jobs", 7.5)

    assert pacer.reserve("jobs").delay() == pytest.approx(7.5)
    assert pacer.reserve("recipes").delay() == 0


def test_a_request_waits_for_the_one_a_window_before_it_while_that_one_is_in_flight() -> None:
    clock = FakeClock()
    pacer = Pacer(RateLimits(list_connections=2, window=10), clock=clock, poll=0.5)
    first, second = pacer.reserve("list_connections"), pacer.reserve("list_connections")
    third = pacer.reserve("list_connections")

    clock.now += 30
    in_flight = third.delay()
    first.done()

    assert in_flight == 0.5  # look again soon: when `first` is answered is not known yet
    assert third.delay() == pytest.approx(10)
    second.done()


def test_threads_sharing_a_pacer_never_exceed_the_limit_together() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    pacer = Pacer(RateLimits(list_connections=5, window=60), clock=clock)
    starts: list[float] = []

    def worker() -> None:
        for _ in range(5):
            slot = pacer.reserve("list_connections")
            while (wait := slot.delay()) > 0:
                with lock:
                    clock.now = max(clock.now, clock.now + min(wait, 1.0))
            with lock:
                starts.append(clock.now)
            slot.done()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    starts.sort()
    assert len(starts) == 20
    for i in range(5, 20):
        assert starts[i] - starts[i - 5] >= 60


# against the sandbox, over HTTP


LIMITS = RateLimits(list_connections=4, window=0.6)


@pytest.fixture
def limited() -> Iterator[Sandbox]:
    with Sandbox(rate_limits=LIMITS) as server:  # one per test: the window counts per token
        server.add_connection(1, "salesforce")
        yield server


def test_the_sync_client_keeps_the_sandboxs_limit_without_a_429(limited: Sandbox) -> None:
    count = 10
    with EmbeddedApi(
        limited.api_token, base_url=limited.base_url, rate_limits=LIMITS, max_retries=0
    ) as api:
        started = time.monotonic()
        for _ in range(count):
            api.connections("acme")
        elapsed = time.monotonic() - started

    assert api.stats.rate_limited == 0
    assert api.stats.requests == count
    assert api.stats.paced >= (count - 1) // LIMITS.list_connections
    assert elapsed >= (count - 4) // 4 * LIMITS.window  # two full windows waited


def test_the_async_client_keeps_the_limit_with_many_requests_in_flight(limited: Sandbox) -> None:
    async def run() -> AsyncEmbeddedApi:
        async with AsyncEmbeddedApi(
            limited.api_token, base_url=limited.base_url, rate_limits=LIMITS, max_retries=0
        ) as api:
            await asyncio.gather(*(api.connections("acme") for _ in range(10)))
        return api

    started = time.monotonic()
    api = asyncio.run(run())
    elapsed = time.monotonic() - started

    assert api.stats.rate_limited == 0
    assert api.stats.requests == 10
    assert elapsed >= 2 * LIMITS.window


def test_without_pacing_the_sandbox_answers_429_and_it_is_counted(limited: Sandbox) -> None:
    def burst(api: EmbeddedApi) -> None:
        for _ in range(12):
            api.connections("acme")

    with (
        EmbeddedApi(
            limited.api_token,
            base_url=limited.base_url,
            pace=False,
            max_retries=1,
            max_retry_wait=0.01,
        ) as api,
        pytest.raises(RateLimitError),
    ):
        burst(api)

    assert api.stats.rate_limited >= 1
    assert api.stats.retries >= 1


def test_a_429_is_retried_after_retry_after_and_then_succeeds() -> None:
    limits = RateLimits(list_connections=1, window=1)
    with (
        Sandbox(rate_limits=limits) as server,
        EmbeddedApi(server.api_token, base_url=server.base_url, pace=False, max_retries=2) as api,
    ):
        server.add_connection(1, "salesforce")
        api.connections("acme")
        found = api.connections("acme")  # 429 with Retry-After: 1, then allowed

    assert [c.id for c in found] == [1]
    assert (api.stats.rate_limited, api.stats.retries, api.stats.requests) == (1, 1, 3)


def test_rate_limits_none_means_workatos_documented_limits() -> None:
    api = EmbeddedApi("t0ken")

    assert api.rate_limits == RateLimits()
    assert api.rate_limits.list_connections == 1000
    with pytest.raises(TypeError, match="rate_limits must be a RateLimits"):
        EmbeddedApi("t0ken", rate_limits={"list_connections": 5})  # type: ignore[arg-type]
