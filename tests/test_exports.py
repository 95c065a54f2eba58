"""The package's public names: one list in __init__.py, and everything that repeats it agrees.

`__init__.py` names each export in its `_EXPORTS` mapping (name -> defining module), from which
`__all__` and the lazy loader are derived, and once more in a TYPE_CHECKING block that type
checkers read. Nothing at run time ties the two together, so these tests read the file itself.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import workato_ipywidget

INIT = Path(workato_ipywidget.__file__)


def _tree() -> ast.Module:
    return ast.parse(INIT.read_text(encoding="utf-8"))


def _export_list() -> list[tuple[str, str]]:
    """The `_EXPORTS = {...}` literal as written, duplicates kept (a dict would hide them)."""
    for node in _tree().body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in targets):
                assert isinstance(node.value, ast.Dict), "_EXPORTS must be a dict literal"
                return [
                    (ast.literal_eval(key), ast.literal_eval(value))
                    for key, value in zip(node.value.keys, node.value.values, strict=True)
                    if key is not None
                ]
    raise AssertionError(f"{INIT} has no _EXPORTS mapping")


def _type_checking_imports() -> list[tuple[str, str]]:
    """(name, module) for every `from .module import X as X` under `if TYPE_CHECKING:`."""
    for node in _tree().body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            pairs = []
            for statement in node.body:
                written = ast.unparse(statement)
                assert isinstance(statement, ast.ImportFrom), f"not an import: {written}"
                assert statement.level == 1, f"not `from .module import ...`: {written}"
                for alias in statement.names:
                    # `import X as X` is what tells mypy and pyright that X is re-exported.
                    assert alias.asname == alias.name, f"write `import X as X`: {written}"
                    pairs.append((alias.name, str(statement.module)))
            return pairs
    raise AssertionError(f"{INIT} has no `if TYPE_CHECKING:` block")


EXPORTS = _export_list()


def test_each_public_name_is_listed_once() -> None:
    names = [name for name, _ in EXPORTS]
    assert sorted(names) == sorted(set(names)), "a name appears twice in _EXPORTS"


def test_type_checking_imports_name_the_same_modules_as_the_export_list() -> None:
    imports = _type_checking_imports()
    assert sorted(imports) == sorted(set(imports)), "a name is imported twice for type checkers"
    assert sorted(imports) == sorted(EXPORTS)


def test_all_is_the_export_list_and_the_version() -> None:
    assert workato_ipywidget.__all__ == sorted([name for name, _ in EXPORTS] + ["__version__"])
    assert set(workato_ipywidget.__all__) <= set(dir(workato_ipywidget))


@pytest.mark.parametrize(("name", "module"), EXPORTS, ids=[name for name, _ in EXPORTS])
def test_each_public_name_imports_from_the_package(name: str, module: str) -> None:
    defining = importlib.import_module(f"workato_ipywidget.{module}")
    assert getattr(workato_ipywidget, name) is getattr(defining, name)


def test_a_name_that_is_not_exported_is_refused_by_name() -> None:
    with pytest.raises(AttributeError, match="'NoSuchThing'"):
        _ = workato_ipywidget.NoSuchThing  # type: ignore[attr-defined]
