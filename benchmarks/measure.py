"""How the benchmarks measure: run sizes, interleaved rounds, and figures with their spread.

Every comparison is made side by side in one process run: variants alternate inside each round
(A B C, then C B A, ...) so that drift on a shared machine hits them alike, and a ratio is taken
per round before its median is reported.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """How much each benchmark repeats; `FULL` for published figures, `QUICK` for a look."""

    name: str
    rounds: int  # interleaved rounds of the in-process timings (signing)
    round_seconds: float  # time each variant runs per round
    import_rounds: int  # fresh interpreters per import variant
    openssl_seconds: int  # `openssl speed -seconds N`; 0 skips it
    events: int  # latency events per variant
    storms: int  # storms per variant
    storm_size: int  # messages per storm
    memory_rounds: int  # times the widgets are rendered and removed again
    widgets: int  # widgets rendered per memory round
    http_rounds: int = 5  # interleaved rounds of the sandbox throughput benchmark
    http_requests: int = 2000  # requests per variant per round
    first_rounds: int = 15  # time-to-first-message samples per variant
    panel_rounds: int = 7  # panel vs separate widgets samples per variant
    panel_size: int = 50  # connections in the panel (and widgets beside it)


FULL = Settings("full", 21, 0.25, 30, 3, 250, 6, 10_000, 5, 50)
QUICK = Settings(
    "quick",
    7,
    0.1,
    8,
    1,
    100,
    2,
    10_000,
    1,
    50,
    http_rounds=3,
    http_requests=1000,
    first_rounds=5,
    panel_rounds=3,
)
SMOKE = Settings(
    "smoke",
    2,
    0.01,
    1,
    1,
    5,
    1,
    100,
    1,
    2,
    http_rounds=1,
    http_requests=60,
    first_rounds=1,
    panel_rounds=1,
    panel_size=4,
)


@dataclass(frozen=True)
class Summary:
    """The median of some samples and their spread (5th to 95th percentile)."""

    median: float
    low: float
    high: float
    n: int

    @property
    def spread(self) -> str:
        return "—" if self.n < 2 else f"{fmt(self.low)}-{fmt(self.high)}"


def summarize(samples: Sequence[float]) -> Summary:
    """Median and p5-p95 of `samples` (linear interpolation between order statistics)."""
    if not samples:
        raise ValueError("summarize() needs at least one sample")
    ordered = sorted(samples)
    return Summary(
        statistics.median(ordered), percentile(ordered, 5), percentile(ordered, 95), len(ordered)
    )


def percentile(ordered: Sequence[float], p: float) -> float:
    """The `p`th percentile of already sorted samples."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    lower = math.floor(rank)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (rank - lower)


def ratios(values: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Per-round ratios of two interleaved series (round i of one over round i of the other)."""
    return [v / b for v, b in zip(values, baseline, strict=True) if b]


def interleaved(variants: Mapping[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """Run every variant once per round, reversing the order each round; collect the samples."""
    names = list(variants)
    samples: dict[str, list[T]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            samples[name].append(variants[name]())
    return samples


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of `call`, run for about `seconds` (at least once), with GC paused."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        count = 0
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            call()
            count += 1
            now = time.perf_counter()
            if now >= deadline:
                return count / (now - start)
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class Figure:
    """One reported figure and how it compares with its baseline and its target."""

    benchmark: str
    name: str
    unit: str
    value: Summary
    baseline: str = ""  # what `ratio` divides by
    ratio: Summary | None = None
    target: str = ""
    met: bool | None = None  # None: no target for this figure
    notes: list[str] = field(default_factory=list)
    why: str = ""  # when a target is missed: the cause, and where the fix belongs

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: ""}[self.met]


def fmt_ratio(ratio: Summary) -> str:
    """A ratio as "1.07x (0.782-1.43)": its median and, over several rounds, its p5-p95."""
    text = f"{ratio.median:#.3g}x"
    return text + (f" ({ratio.low:#.3g}-{ratio.high:#.3g})" if ratio.n > 1 else "")


def fmt(value: float) -> str:
    """A number with about three significant digits, without scientific notation."""
    if value == 0 or not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"
