"""Pacing: how close the clients run to a rate limit without crossing it.

A sandbox enforces a scaled-down `RateLimits` (L requests per W seconds, a sliding window, 429
beyond it) and a client with the same limits lists connections N = 4L + 1 times: sequentially
(`EmbeddedApi`) and with 20 requests in flight (`AsyncEmbeddedApi`). The least time the limit
allows is floor((N - 1) / L) windows; the figure is the elapsed time over it (1.0 is the limit's
ceiling), beside the 429s the sandbox answered (none is the goal: the pacer must find its pace
without them).
"""

from __future__ import annotations

import asyncio
import time

from workato_ipywidget import AsyncEmbeddedApi, EmbeddedApi, RateLimits, Sandbox

from .measure import Figure, Settings, interleaved, summarize

BENCHMARK = "Pacing"
LIMIT, WINDOW, IN_FLIGHT = 50, 0.5, 20
TARGET = 1.1


def _rounds(settings: Settings) -> int:
    return {"full": 7, "quick": 3}.get(settings.name, 1)


def run(settings: Settings) -> list[Figure]:
    limits = RateLimits(list_connections=LIMIT, window=WINDOW)
    count = 4 * LIMIT + 1
    ideal = (count - 1) // LIMIT * WINDOW
    refused: dict[str, int] = {"sync": 0, "async": 0}

    def sequential() -> float:
        with Sandbox(rate_limits=limits) as server:
            server.add_connection(1, "salesforce")
            with EmbeddedApi(server.api_token, base_url=server.base_url, rate_limits=limits) as api:
                started = time.perf_counter()
                for _ in range(count):
                    api.connections("acme")
                elapsed = time.perf_counter() - started
            refused["sync"] += api.stats.rate_limited
        return elapsed / ideal

    def concurrent() -> float:
        async def scan(server: Sandbox) -> float:
            gate = asyncio.Semaphore(IN_FLIGHT)
            async with AsyncEmbeddedApi(
                server.api_token, base_url=server.base_url, rate_limits=limits
            ) as api:

                async def one() -> None:
                    async with gate:
                        await api.connections("acme")

                started = time.perf_counter()
                await asyncio.gather(*(one() for _ in range(count)))
                elapsed = time.perf_counter() - started
            refused["async"] += api.stats.rate_limited
            return elapsed

        with Sandbox(rate_limits=limits) as server:
            server.add_connection(1, "salesforce")
            return asyncio.run(scan(server)) / ideal

    samples = interleaved({"sync": sequential, "async": concurrent}, _rounds(settings))
    figures = []
    for name, label in (("sync", "`EmbeddedApi`, sequential"), ("async", "`AsyncEmbeddedApi`")):
        ratio = summarize(samples[name])
        within = ratio.median <= TARGET and refused[name] == 0
        figures.append(
            Figure(
                BENCHMARK,
                f"{label}: {count} list reads at {LIMIT} per {WINDOW:g} s"
                + (f", {IN_FLIGHT} in flight" if name == "async" else ""),
                "x the least time",
                ratio,
                target=f"<= {TARGET}x, 0 answers 429",
                met=within,
                notes=[
                    f"least time {ideal:g} s; {refused[name]} answers 429 in all rounds",
                ],
                why=""
                if within
                else "the pacer waits more than the window asks, or a 429 came back: see "
                "Pacer.delay (rate_limits.py)",
            )
        )
    return figures
