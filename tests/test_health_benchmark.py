"""The account-health benchmark runs end to end at smoke size; no timing is asserted."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks/` at the repo root

from benchmarks import health
from benchmarks.measure import SMOKE


def test_the_health_benchmark_reports_its_four_figures() -> None:
    figures = health.run(SMOKE)

    assert len(figures) == 4
    for figure in figures:
        assert math.isfinite(figure.value.median)
        assert figure.value.median > 0
    assert figures[0].target == ">= 0.9"
    assert figures[1].ratio is not None
    assert any(note.endswith("0 answered 429") for note in figures[0].notes)
