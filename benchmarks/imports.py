"""Import cost: `import workato_ipywidget` in a fresh interpreter against `import anywidget, jwt`.

Each sample is a new `python -c` process. The figure is the time of the import statement itself,
timed inside that process (interpreter start-up excluded, it is the same for every variant); the
wall time of the whole process is reported beside it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from .measure import Figure, Settings, interleaved, ratios, summarize

BENCHMARK = "Import"
REPO = Path(__file__).resolve().parents[1]
TARGET = 1.15
BASELINE = "import anywidget, jwt"
VARIANTS = {
    "baseline": BASELINE,
    "package": "import workato_ipywidget",
    "widget": "from workato_ipywidget import ConnectionWidget",
    "signer": "from workato_ipywidget import TokenSigner",
}
_TIMED = "import time; t = time.perf_counter_ns(); {stmt}; print(time.perf_counter_ns() - t)"
_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")


def run(settings: Settings) -> list[Figure]:
    for stmt in VARIANTS.values():  # warm the bytecode caches: no variant pays for compiling
        _sample(stmt)
    samples = interleaved(
        {name: lambda s=stmt: _sample(s) for name, stmt in VARIANTS.items()},
        settings.import_rounds,
    )
    stmt_ms = {name: [s[0] for s in values] for name, values in samples.items()}
    wall_ms = {name: [s[1] for s in values] for name, values in samples.items()}

    figures = [
        Figure(
            BENCHMARK,
            f"`{BASELINE}` (baseline)",
            "ms",
            summarize(stmt_ms["baseline"]),
            notes=[f"whole process {summarize(wall_ms['baseline']).median:.0f} ms"],
        )
    ]
    for name, target in (("package", TARGET), ("widget", None), ("signer", None)):
        ratio = summarize(ratios(stmt_ms[name], stmt_ms["baseline"]))
        notes = [f"whole process {summarize(wall_ms[name]).median:.0f} ms"]
        missed = target is not None and ratio.median > target
        heaviest = ", ".join(heaviest_imports(VARIANTS[name])) if name == "widget" or missed else ""
        if name == "widget":
            notes.append(f"heaviest imports beyond the baseline: {heaviest}")
        figures.append(
            Figure(
                BENCHMARK,
                f"`{VARIANTS[name]}`",
                "ms",
                summarize(stmt_ms[name]),
                baseline=f"`{BASELINE}`",
                ratio=ratio,
                target=f"<= {target}x" if target else "",
                met=None if target is None else not missed,
                notes=notes,
                why=f"it imports {heaviest}; import them lazily (workato_ipywidget/__init__.py)"
                if missed
                else "",
            )
        )
    return figures


def _env() -> dict[str, str]:
    """The benchmark's environment, importing the package from this checkout."""
    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _sample(stmt: str) -> tuple[float, float]:
    """(ms spent in `stmt`, ms for the whole process) in a fresh interpreter."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(stmt=stmt)],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=120,
        check=True,
    )
    wall = time.perf_counter() - start
    return int(done.stdout.split()[-1]) / 1e6, wall * 1000


def heaviest_imports(stmt: str, count: int = 4) -> list[str]:
    """The top-level modules `stmt` imports beyond the baseline, slowest first (-X importtime)."""
    extra = _import_times(stmt)
    for module in _import_times(BASELINE):
        extra.pop(module, None)
    top = sorted(extra.items(), key=lambda item: item[1], reverse=True)[:count]
    return [f"`{module}` {us / 1000:.0f} ms" for module, us in top]


def _import_times(stmt: str) -> dict[str, int]:
    """Cumulative microseconds per top-level (least indented) module imported by `stmt`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", stmt],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=REPO,
        timeout=120,
        check=True,
    )
    times: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match and len(match.group(3)) == 1:  # one space: imported by the statement itself
            times[match.group(4)] = int(match.group(2))
    return times
