"""The browser benchmarks run end to end in JupyterLab and Chromium with one round each. Nothing
about their timings is asserted: this only proves the benchmark code works. They live here, among
the e2e tests, so that Playwright's sync API runs after every asyncio test (tests/conftest.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # `benchmarks/` at the repo root

from test_benchmarks_smoke import assert_well_formed

from benchmarks import first_message, panel
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


def test_panel_benchmark_runs_in_jupyterlab_with_one_round(widget_js: Path) -> None:
    figures = panel.run(SMOKE)

    assert_well_formed(figures)
    assert [f.unit for f in figures] == ["ms", "ms", "KiB", "KiB"]
    assert f"ConnectionsPanel of {SMOKE.panel_size} connections" in figures[1].name
