"""The documentation: the site builds with warnings as errors, its API reference covers every
public name, and every public class, function and method documents its parameters in Google style.

The build is MkDocs `--strict` (broken links and anchors, pages missing from the nav, references
that do not resolve and docstrings griffe cannot parse are all errors); the parameter check reads
the docstrings with griffe, the parser the site itself uses.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import griffe
import pytest

import workato_ipywidget

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = [name for name in workato_ipywidget.__all__ if not name.startswith("_")]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # Material's end-of-life banner
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}"
    return site_dir


def test_the_site_builds_with_warnings_as_errors(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "getting-started" / "index.html").is_file()


@pytest.mark.parametrize("name", PUBLIC)
def test_the_api_reference_documents_each_public_name(site: Path, name: str) -> None:
    reference = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert f'id="workato_ipywidget.{name}"' in reference


def test_the_example_notebooks_are_pages_of_the_site(site: Path) -> None:
    notebooks = sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for stem in notebooks:
        assert (site / "examples" / stem / "index.html").is_file(), f"notebooks/{stem}.ipynb"


def test_the_readme_links_only_to_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert local
    missing = [t for t in local if not (ROOT / t.split("#")[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def _documented(docstring: griffe.Docstring | None) -> set[str]:
    names: set[str] = set()
    for section in docstring.parsed if docstring else []:
        if section.kind in (
            griffe.DocstringSectionKind.parameters,
            griffe.DocstringSectionKind.other_parameters,
            griffe.DocstringSectionKind.attributes,  # a dataclass's fields are its parameters
        ):
            names |= {item.name.lstrip("*") for item in section.value}
    return names


def _parameters(function: griffe.Function) -> list[str]:
    return [
        p.name for p in function.parameters if p.name not in ("self", "cls") and p.name[0] != "_"
    ]


def _undocumented(obj: griffe.Object) -> list[str]:
    """What `obj` leaves undocumented: a missing docstring or a parameter without its entry."""
    problems: list[str] = []
    if obj.is_function:
        assert isinstance(obj, griffe.Function)
        if not obj.docstring:
            problems.append(f"{obj.path} has no docstring")
        missing = [p for p in _parameters(obj) if p not in _documented(obj.docstring)]
        problems += [f"{obj.path}: no Args entry for `{p}`" for p in missing]
    elif obj.is_class:
        assert isinstance(obj, griffe.Class)
        if not obj.docstring:
            problems.append(f"{obj.path} has no docstring")
        init = obj.members.get("__init__")
        if isinstance(init, griffe.Function):
            documented = _documented(obj.docstring) | _documented(init.docstring)
            missing = [p for p in _parameters(init) if p not in documented]
            problems += [f"{obj.path}(): no Args entry for `{p}`" for p in missing]
        for member_name, member in obj.members.items():
            if member_name.startswith("_") or member.is_alias or not member.is_function:
                continue
            assert isinstance(member, griffe.Function)
            if "property" not in member.labels:
                problems += _undocumented(member)
    return problems


@pytest.fixture(scope="module")
def package() -> griffe.Module:
    loaded = griffe.load(
        "workato_ipywidget",
        search_paths=[str(ROOT / "src")],
        docstring_parser=griffe.Parser.google,
        resolve_aliases=True,
    )
    assert isinstance(loaded, griffe.Module)
    return loaded


@pytest.mark.parametrize("name", PUBLIC)
def test_each_public_name_documents_its_parameters_in_google_style(
    package: griffe.Module, name: str
) -> None:
    problems = _undocumented(package[name].final_target)
    assert not problems, "Document each parameter under `Args:` (Google style):\n" + "\n".join(
        problems
    )
