"""`python -m benchmarks`: run the benchmarks, print the table, write results.md.

Runs the in-process benchmarks first (signing, imports, bundle, sandbox) and the browser ones last,
so the Jupyter server and Chromium never run beside a CPU-bound timing.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from . import report
from .measure import FULL, QUICK, Figure, Settings

BENCHMARKS = (
    "signing", "redaction", "imports", "bundle", "sandbox", "sandbox_scale", "pacing", "health",
    "hub",
    "latency", "storm", "memory", "first", "panel", "panel_recipes",
)  # fmt: skip
GROUPS = {
    "browser": ("latency", "storm", "memory", "first", "panel", "panel_recipes"),
    "all": BENCHMARKS,
}
RESULTS = Path(__file__).resolve().parent / "results.md"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        selected = _select(args.only)
    except ValueError as exc:
        print(f"python -m benchmarks: {exc}", file=sys.stderr)
        return 2
    settings = QUICK if args.quick else FULL
    output = args.output
    if output is None and not args.quick and selected == BENCHMARKS:
        output = RESULTS
    command = shlex.join([".venv/bin/python", "-m", "benchmarks", *sys.argv[1:]])

    started = time.perf_counter()
    machine = report.machine()
    figures = run(selected, settings)
    seconds = time.perf_counter() - started
    machine["Load average at end (1/5/15 min)"] = report.load_average()
    print(report.console_table(figures))
    print(f"\n{len(figures)} figures in {seconds:.0f} s ({settings.name})")
    if output is not None:
        text = report.markdown(figures, settings, command, seconds, machine, report.versions())
        output.write_text(text)
        print(f"wrote {output}")
    return 0


def run(selected: tuple[str, ...], settings: Settings) -> list[Figure]:
    """Run the selected benchmarks in a fixed order and return their figures."""
    figures: list[Figure] = []
    for name in (
        "signing", "redaction", "imports", "bundle", "sandbox", "sandbox_scale", "pacing", "health"
    ):  # fmt: skip
        if name in selected:
            print(f"running {name} ...", flush=True)
            module = __import__(f"benchmarks.{name}", fromlist=["run"])
            figures += module.run(settings)
    if "hub" in selected:
        from . import hub  # a real JupyterHub with five users' servers and kernels

        print("running hub (token service from users' kernels) on a JupyterHub ...", flush=True)
        figures += hub.run(settings)
    parts = tuple(name for name in ("latency", "storm", "memory") if name in selected)
    if parts:
        from . import browser  # Playwright and the e2e harness, only when needed

        print(f"running {', '.join(parts)} in JupyterLab + Chromium ...", flush=True)
        figures += browser.run(settings, parts)
    if "first" in selected:
        from . import first_message

        print("running first (time to first message) in JupyterLab + Chromium ...", flush=True)
        figures += first_message.run(settings)
    if "panel" in selected:
        from . import panel

        print("running panel (ConnectionsPanel vs separate widgets) in JupyterLab ...", flush=True)
        figures += panel.run(settings)
    if "panel_recipes" in selected:
        from . import panel_recipes

        print("running panel_recipes (the panel with and without recipes) ...", flush=True)
        figures += panel_recipes.run(settings)
    return figures


def _select(only: str | None) -> tuple[str, ...]:
    if not only:
        return BENCHMARKS
    chosen: set[str] = set()
    for name in (n.strip() for n in only.split(",") if n.strip()):
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in BENCHMARKS:
            chosen.add(name)
        else:
            raise ValueError(
                f"unknown benchmark {name!r} in --only; choose from "
                f"{', '.join((*BENCHMARKS, *GROUPS))}"
            )
    return tuple(name for name in BENCHMARKS if name in chosen)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run workato-ipywidget's benchmarks side by side with their baselines.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repeats (about 2 min); for a look, not to publish",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated subset of {', '.join(BENCHMARKS)} (or 'browser' for the last five)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="Markdown report to write (default: benchmarks/results.md after a full run of "
        "everything; partial or --quick runs write none unless given)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
