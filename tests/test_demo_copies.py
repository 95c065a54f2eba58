"""The demo opens copies, never tracked files, and a wheel carries every notebook it points at.

Issue 18, items 4 and 5: JupyterLab autosaves the notebook it shows, so the demo opens a copy
(a clone stays clean); the copy comes with the notebooks it links to; and `demo --marimo` works
from a built wheel, outside any clone.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workato_ipywidget import cli

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], Any]]:
    calls: list[tuple[list[str], Any]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.append((argv, env)))
    return calls


def git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def linked_notebooks(path: Path) -> set[str]:
    """The demo files a notebook's text names (`real_workato.ipynb`, `demo_marimo.py`, ...)."""
    names = re.findall(r"[\w-]+\.(?:ipynb|py)\b", path.read_text())
    return {name for name in names if (NOTEBOOKS / name).is_file()}


def test_the_demo_started_in_a_clone_opens_a_copy_and_leaves_the_clone_clean(
    exec_calls: list[tuple[list[str], Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)  # where scripts/demo.sh runs it
    copies = REPO / "workato-demo"
    made = not copies.exists()
    before = git_status()
    try:
        result = CliRunner().invoke(cli.main, ["demo", "--no-browser"])

        assert result.exit_code == 0, result.output
        ((argv, _env),) = exec_calls
        opened = Path.cwd() / argv[4]
        assert opened == copies.resolve() / "demo.ipynb"
        assert opened.read_bytes() == (NOTEBOOKS / "demo.ipynb").read_bytes()
        assert git_status() == before  # the copy is no tracked file, and is ignored
    finally:
        if made:
            shutil.rmtree(copies, ignore_errors=True)


def test_the_copy_comes_with_every_notebook_the_demo_points_at(
    exec_calls: list[tuple[list[str], Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    CliRunner().invoke(cli.main, ["demo", "--no-browser", "--dir", "here"])

    for notebook in ("demo.ipynb", "demo_marimo.py"):
        for name in linked_notebooks(NOTEBOOKS / notebook) | {notebook}:
            assert (tmp_path / "here" / name).is_file(), f"{notebook} points at {name}"


def test_a_copy_the_user_changed_is_kept(
    exec_calls: list[tuple[list[str], Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "workato-demo").mkdir()
    (tmp_path / "workato-demo" / "demo.ipynb").write_text("{} ")

    CliRunner().invoke(cli.main, ["demo", "--no-browser"])

    assert (tmp_path / "workato-demo" / "demo.ipynb").read_text() == "{} "


def test_demo_marimo_opens_marimo_edit_and_says_it_waits_for_run(
    exec_calls: list[tuple[list[str], Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(cli.main, ["demo", "--marimo", "--no-browser", "--port", "2999"])

    assert result.exit_code == 0, result.output
    ((argv, _env),) = exec_calls
    assert argv[1:5] == ["-m", "marimo", "edit", "demo_marimo.py"]
    assert argv[5:7] == ["--port", "2999"]
    assert "--headless" in argv
    assert "runs no cell until you click Run" in result.output


# -- from a built wheel -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel from this clone, as `pip wheel` builds it for a user."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("workato_ipywidget-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked as pip installs a pure-Python wheel: a directory to put on the path."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_wheel_carries_every_notebook_a_notebook_points_at(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name.rsplit("/", 1)[-1] for name in archive.namelist() if "/notebooks/" in name}

    for notebook in shipped:
        assert linked_notebooks(NOTEBOOKS / notebook) <= shipped, notebook
    assert {"demo.ipynb", "real_workato.ipynb", "demo_marimo.py"} <= shipped


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def marimo_from_wheel(installed: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(installed), "HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "workato_ipywidget.cli", "demo", "--marimo", "--no-browser",
         "--port", str(port), "--dir", "copies"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield port, tmp_path / "copies"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_demo_marimo_works_from_a_wheel_outside_any_clone(
    marimo_from_wheel: tuple[int, Path],
) -> None:
    port, copies = marimo_from_wheel
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                page = answer.read().decode()
            break
        except OSError:
            assert time.monotonic() < deadline, "marimo did not answer within 90 s"
            time.sleep(0.5)

    assert "marimo" in page.lower()
    assert sorted(p.name for p in copies.iterdir()) == sorted(cli.DEMO_FILES)
