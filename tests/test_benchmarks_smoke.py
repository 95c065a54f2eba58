"""The fast benchmarks run end to end with minimal repeats. No timing is asserted: figures vary
with the machine; these tests only prove the benchmark code works."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `benchmarks/` at the repo root

from benchmarks import (
    bundle,
    imports,
    pacing,
    redaction,
    report,
    sandbox,
    sandbox_scale,
    signing,
)
from benchmarks.__main__ import main
from benchmarks.measure import SMOKE, Figure

OPENSSL_3_OUTPUT = """\
version: 3.0.19
                  sign    verify    sign/s verify/s
rsa 2048 bits 0.000276s 0.000017s   3617.3  60556.0
"""


def assert_well_formed(figures: list[Figure]) -> None:
    assert figures
    for figure in figures:
        assert math.isfinite(figure.value.median)
        assert figure.value.median > 0
        assert figure.value.low <= figure.value.median <= figure.value.high
        if figure.ratio is not None:
            assert figure.baseline
            assert math.isfinite(figure.ratio.median)
        assert (figure.met is None) == (figure.target == "")


@pytest.mark.parametrize(
    "module",
    [signing, redaction, imports, bundle, sandbox, sandbox_scale, pacing],
    ids=lambda m: m.__name__,
)
def test_fast_benchmark_reports_figures_with_medians_and_ratios(module: object) -> None:
    figures = module.run(SMOKE)  # type: ignore[attr-defined]

    assert_well_formed(figures)
    assert any(f.met is not None for f in figures), "each fast benchmark checks a target"


def test_openssl_speed_sign_rate_is_parsed_from_its_table() -> None:
    assert signing.parse_openssl_speed(OPENSSL_3_OUTPUT) == pytest.approx(3617.3)
    assert signing.parse_openssl_speed("openssl: unknown algorithm") is None


def test_report_lists_every_figure_and_explains_a_missed_target() -> None:
    figures = bundle.run(SMOKE)
    missed = Figure("Demo", "a figure that missed", "ms", figures[0].value, target="<= 1x",
                    met=False, why="because of the demo")  # fmt: skip

    text = report.markdown(
        [*figures, missed], SMOKE, "python -m benchmarks", 1.0, report.machine(), {"Python": "3"}
    )

    for figure in figures:
        assert figure.name in text
    assert "a figure that missed: because of the demo" in text


def test_unknown_benchmark_name_is_refused_with_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--only", "signing,nope"]) == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err


def test_panel_figures_name_the_panel_and_its_size_beside_the_widgets() -> None:
    from benchmarks import panel

    samples = {
        "panel": {"ms": [100.0, 120.0], "build": [9.0, 11.0], "heap": [400.0, 500.0]},
        "widgets": {"ms": [900.0, 1000.0], "build": [300.0, 320.0], "heap": [5000.0, 6000.0]},
    }

    figures = panel.figures(samples, 50, 0.1)

    assert_well_formed(figures)
    checked = [f for f in figures if f.met is not None]
    assert len(checked) == 1
    assert "panel" in checked[0].name.lower()
    assert "50" in checked[0].name
    assert checked[0].target == "<= 0.25x"


def test_panel_recipes_figures_report_the_ratio_and_the_requests_of_each_panel() -> None:
    from benchmarks import panel_recipes

    samples = {
        "recipes": {"ms": [110.0, 130.0], "build": [60.0, 70.0], "requests": [12.0, 12.0]},
        "plain": {"ms": [100.0, 120.0], "build": [25.0, 27.0], "requests": [1.0, 1.0]},
    }

    figures = panel_recipes.figures(samples, 0.1)

    assert_well_formed(figures)
    (checked,) = [f for f in figures if f.met is not None]
    assert "50 recipes" in checked.name
    assert checked.target == "<= 1.5x"
    assert checked.met is True
    assert any("12 requests" in note for note in checked.notes)
    assert any("1 request(s)" in note for f in figures for note in f.notes)
