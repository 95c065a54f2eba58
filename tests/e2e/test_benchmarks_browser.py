"""The browser benchmarks run end to end in JupyterLab and Chromium with one round each. Nothing
about their timings is asserted: this only proves the benchmark code works.

Each runs in a process of its own, as `python -m benchmarks` runs it: a benchmark starts its own
Playwright, which cannot share a thread with the session's browser fixture.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

RUN = """
import dataclasses, json, sys
from benchmarks import {module}
from benchmarks.measure import SMOKE
print(json.dumps([dataclasses.asdict(f) for f in {module}.run(SMOKE)]))
"""


def run_benchmark(module: str) -> list[dict[str, Any]]:
    """The figures of one browser benchmark at SMOKE settings, from a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", RUN.format(module=module)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"benchmarks.{module} failed:\n{done.stderr[-4000:]}"
    figures: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    for figure in figures:
        assert math.isfinite(figure["value"]["median"])
        assert figure["value"]["median"] > 0
        assert (figure["met"] is None) == (figure["target"] == "")
    return figures


def test_first_message_benchmark_reports_both_widgets_beside_the_iframe_baseline(
    widget_js: Path,
) -> None:
    figures = run_benchmark("first_message")

    names = [f["name"] for f in figures]
    assert names == [
        "plain anywidget round trip page -> kernel -> page",
        "plain anywidget round trip, server's kernel websocket with TCP_NODELAY",
        "plain anywidget showing the ConnectionWidget page, pre-signed, no handshake",
        "ConnectionWidget: display -> first message in the kernel, beside IPython IFrame",
        "ConnectionWidget: display -> first message, server websocket with TCP_NODELAY",
        "plain anywidget showing the EmbeddedPage page, pre-signed, no handshake",
        "EmbeddedPage: display -> first message in the kernel, beside IPython IFrame",
        "EmbeddedPage: display -> first message, server websocket with TCP_NODELAY",
    ]
    targeted = [f for f in figures if f["target"]]
    assert [f["name"] for f in targeted] == [names[3], names[6]]
    for figure in targeted:
        assert figure["ratio"] is not None
        assert figure["baseline"] == "IFrame first message + round trip"
        assert figure["met"] is not None
    # The second server's figures are each compared with the same figure on the stock server.
    for figure in (figures[1], figures[4], figures[7]):
        assert figure["ratio"] is not None
        assert "stock" in figure["baseline"]


def test_panel_benchmark_runs_in_jupyterlab_with_one_round(widget_js: Path) -> None:
    figures = run_benchmark("panel")

    assert [f["unit"] for f in figures] == ["ms", "ms", "KiB", "KiB"]
    assert "ConnectionsPanel of" in figures[1]["name"]
