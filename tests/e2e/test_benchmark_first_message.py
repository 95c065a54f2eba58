"""The time-to-first-message benchmark runs end to end in JupyterLab and Chromium, with one sample
per variant. Nothing about its timings is asserted: this only proves the benchmark code works."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `benchmarks/` at the repo root

from benchmarks import first_message
from benchmarks.measure import SMOKE


def test_first_message_benchmark_reports_both_widgets_beside_the_iframe_baseline(
    widget_js: Path,
) -> None:
    figures = first_message.run(SMOKE)

    names = [f.name for f in figures]
    assert names == [
        "plain anywidget round trip page -> kernel -> page",
        "ConnectionWidget: display -> first event in the kernel",
        "EmbeddedPage: display -> first event in the kernel",
    ]
    for figure in figures:
        assert math.isfinite(figure.value.median)
        assert figure.value.median > 0
    for figure in figures[1:]:
        assert figure.ratio is not None
        assert figure.baseline == "IFrame first message + round trip"
        assert figure.met is not None
