"""The JS bundle the browser downloads: `static/widget.js` as built by `npm run build`, gzipped."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

from .measure import Figure, Settings, summarize

BENCHMARK = "JS bundle"
REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "src" / "workato_ipywidget" / "static" / "widget.js"
BUDGET_BYTES = 8 * 1024


def run(_settings: Settings) -> list[Figure]:
    ensure_built()
    data = BUNDLE.read_bytes()
    zipped = len(gzip.compress(data, compresslevel=9, mtime=0))
    notes = [f"unminified bundle {len(source):,} B" for source in [_unminified()] if source]
    return [
        Figure(BENCHMARK, "`widget.js` minified", "bytes", summarize([len(data)]), notes=notes),
        Figure(
            BENCHMARK,
            "`widget.js` minified + gzip -9",
            "bytes",
            summarize([zipped]),
            baseline="8 KiB budget",
            ratio=summarize([zipped / BUDGET_BYTES]),
            target="<= 8 KiB",
            met=zipped <= BUDGET_BYTES,
            why=""
            if zipped <= BUDGET_BYTES
            else "three views share one bundle (frame, panel, account health): see 'The JS bundle' "
            "in benchmarks/README.md; also look for a dependency bundled into js/widget.ts",
        ),
    ]


def ensure_built() -> None:
    """Run `npm run build` when the bundle is missing or older than a js/ source."""
    sources = [p for p in (REPO / "js").glob("*.ts") if not p.name.endswith(".test.ts")]
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    if not BUNDLE.exists() or BUNDLE.stat().st_mtime < newest:
        subprocess.run(["npm", "run", "build"], cwd=REPO, check=True, capture_output=True)


def _unminified() -> bytes:
    """The same bundle without --minify (for scale only); empty when esbuild is not installed."""
    esbuild = REPO / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists() or shutil.which("node") is None:
        return b""
    done = subprocess.run(
        [str(esbuild), "js/widget.ts", "--bundle", "--format=esm", "--target=es2020"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else b""
