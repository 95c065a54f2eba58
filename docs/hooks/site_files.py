"""MkDocs hook: pages that live elsewhere in the repository, shown in the site from their one place.

- `benchmarks/README.md` and `benchmarks/results.md` become `benchmarks/index.md` and
  `benchmarks/results.md`, so the benchmarks stay documented beside their code.
- `notebooks/demo_marimo.py` becomes a page showing its code. (The `.ipynb` notebooks are linked
  into `docs/examples/` and rendered, never executed, by mkdocs-jupyter; the test suite executes
  them against the sandbox.)
- `reference.md` is written from the package's public names: one mkdocstrings block per public
  name, grouped by the module that defines it, so a new export is in the reference without an edit.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]

COPIED = {
    "benchmarks/index.md": "benchmarks/README.md",
    "benchmarks/results.md": "benchmarks/results.md",
}

# Modules in the order a reader meets them; a module not named here follows, alphabetically.
READING_ORDER = [
    "workato_ipywidget.widget",
    "workato_ipywidget.page",
    "workato_ipywidget.panel",
    "workato_ipywidget.frame",
    "workato_ipywidget.token",
    "workato_ipywidget.endpoints",
    "workato_ipywidget.api",
    "workato_ipywidget.rate_limits",
    "workato_ipywidget.protocol",
]

MARIMO_PAGE = """# The demo as a marimo app

`notebooks/demo_marimo.py`, the demo notebook as a [marimo](https://marimo.io) app on the local
sandbox. Run it with `.venv/bin/marimo run notebooks/demo_marimo.py` (`marimo edit` shows its code).

```python
{source}
```
"""


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, source in COPIED.items():
        files.append(File.generated(config, uri, abs_src_path=str(ROOT / source)))
    marimo = (ROOT / "notebooks" / "demo_marimo.py").read_text(encoding="utf-8")
    files.append(
        File.generated(
            config, "examples/demo_marimo.md", content=MARIMO_PAGE.format(source=marimo.strip())
        )
    )
    files.append(File.generated(config, "reference.md", content=_reference()))
    return files


def _public_names() -> dict[str, list[str]]:
    """Module -> names, read from the package's `if TYPE_CHECKING:` imports (`from .m import X`).

    tests/test_exports.py holds those imports equal to `__all__`; reading them here (rather than
    each object's `__module__`) also places type aliases such as `Event` under their module.
    """
    tree = ast.parse((ROOT / "src" / "workato_ipywidget" / "__init__.py").read_text("utf-8"))
    by_module: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    module = f"workato_ipywidget.{statement.module}"
                    by_module.setdefault(module, []).extend(a.name for a in statement.names)
    return by_module


def _reference() -> str:
    by_module = _public_names()
    lines = [
        "# API reference",
        "",
        "Every public name, imported from the package itself "
        "(`from workato_ipywidget import ConnectionWidget`), grouped by the module that defines "
        "it. Generated from the docstrings.",
        "",
    ]

    def place(module: str) -> tuple[int, str]:
        known = module in READING_ORDER
        return (READING_ORDER.index(module) if known else len(READING_ORDER), module)

    for module in sorted(by_module, key=place):
        names = by_module[module]
        summary = (importlib.import_module(module).__doc__ or "").strip().split("\n\n")[0]
        lines += [f"## `{module}`", "", " ".join(summary.split()), ""]
        lines += [f"::: workato_ipywidget.{name}\n" for name in names]
    return "\n".join(lines)
