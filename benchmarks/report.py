"""The run's report: machine, versions, and every figure, as a console table and as Markdown."""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from .measure import Figure, Settings, fmt, fmt_ratio

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ("Benchmark", "Figure", "Median", "Spread (p5-p95)", "n", "Ratio (p5-p95)", "vs",
           "Target", "Result")  # fmt: skip


def machine() -> dict[str, str]:
    """CPU, cores, RAM, OS and the load while the run starts."""
    cpu = _first_match(_read("/proc/cpuinfo"), r"^model name\s*:\s*(.+)$") or platform.processor()
    ram_kb = _first_match(_read("/proc/meminfo"), r"^MemTotal:\s*(\d+) kB")
    os_name = _first_match(_read("/etc/os-release"), r'^PRETTY_NAME="?([^"\n]+)"?')
    return {
        "CPU": cpu or "unknown",
        "Cores (logical)": str(os.cpu_count()),
        "RAM": f"{int(ram_kb) / 1024 / 1024:.1f} GiB" if ram_kb else "unknown",
        "OS": f"{os_name or platform.system()} ({platform.platform()})",
        "Load average at start (1/5/15 min)": load_average(),
    }


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine skews every figure."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def versions() -> dict[str, str]:
    """Python, the libraries measured, OpenSSL (bundled and CLI), Chromium, Node, the commit."""
    from cryptography.hazmat.backends.openssl import backend

    found = {"Python": platform.python_version()}
    for package in ("cryptography", "PyJWT", "anywidget", "ipywidgets", "jupyterlab", "ipykernel",
                    "playwright"):  # fmt: skip
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    found["OpenSSL (in cryptography)"] = backend.openssl_version_text()
    found["OpenSSL (CLI)"] = _command_output(["openssl", "version"])
    found["Chromium"] = _command_output(["chromium", "--version"])
    found["Node"] = _command_output(["node", "--version"])
    found["workato-ipywidget commit"] = _command_output(["git", "-C", str(REPO), "describe",
                                                         "--always", "--dirty"])  # fmt: skip
    return found


def console_table(figures: Sequence[Figure]) -> str:
    """The figures as an aligned plain-text table."""
    rows = [COLUMNS, *(_cells(f, markdown=False) for f in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown(
    figures: Sequence[Figure],
    settings: Settings,
    command: str,
    seconds: float,
    machine_info: dict[str, str],
    version_info: dict[str, str],
) -> str:
    """results.md: how it was run, on what, each figure, and what a missed target means."""
    out = [
        "# Benchmark results",
        "",
        f"Written by `{command}` ({settings.name} settings) in {seconds:.0f} s. "
        "Each ratio divides a figure by its baseline measured in the same run, interleaved "
        "with it; its median and p5-p95 are over rounds (or blocks of events). "
        "See README.md for what each benchmark measures.",
        "",
        "## Machine",
        "",
        *_key_values(machine_info),
        "",
        "## Versions",
        "",
        *_key_values(version_info),
        "",
        "## Results",
        "",
        "| " + " | ".join(COLUMNS) + " | Notes |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for figure in figures:
        cells = [*_cells(figure, markdown=True), "; ".join(_notes(figure))]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    missed = [f for f in figures if f.met is False]
    out += ["", "## Targets", ""]
    for figure in figures:
        if figure.met is not None:
            verdict = "met" if figure.met else "**missed**"
            out.append(f"- {figure.benchmark}, {figure.name}: target {figure.target}, {verdict}.")
    if missed:
        out += ["", "Why the missed targets were missed:", ""]
        for figure in missed:
            out.append(f"- {figure.benchmark}, {figure.name}: {figure.why or 'see its notes'}")
    return "\n".join(out) + "\n"


def _cells(figure: Figure, *, markdown: bool) -> tuple[str, ...]:
    value = figure.value
    ratio_text = "" if figure.ratio is None else fmt_ratio(figure.ratio)
    verdict = figure.verdict if markdown else figure.verdict.strip("*").upper()
    return (
        figure.benchmark,
        figure.name if markdown else figure.name.replace("`", ""),
        f"{fmt(value.median)} {figure.unit}",
        value.spread,
        str(value.n),
        ratio_text,
        figure.baseline if markdown else figure.baseline.replace("`", ""),
        figure.target,
        verdict,
    )


def _notes(figure: Figure) -> list[str]:
    return [*figure.notes, f"missed: {figure.why}"] if figure.why else figure.notes


def _key_values(values: dict[str, str]) -> list[str]:
    return ["| | |", "|---|---|", *(f"| {key} | {value} |" for key, value in values.items())]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _first_match(text: str, pattern: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1).strip() if match else None


def _command_output(args: list[str]) -> str:
    if shutil.which(args[0]) is None:
        return "not installed"
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=30)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"
