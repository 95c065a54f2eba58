"""The example notebooks' kernel side runs top to bottom headlessly (no browser, no account)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute(name: str, env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def text_of(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )


def test_demo_notebook_runs_top_to_bottom_on_the_sandbox() -> None:
    notebook = execute("demo.ipynb", {"WORKATO_DEMO_WAIT_SECONDS": "0.5"})

    text = text_of(notebook)
    assert "sandbox at http://127.0.0.1:" in text
    assert "status: loading | connected: None" in text
    assert "Still waiting: wait_for: connected did not satisfy the predicate" in text
    assert "1: salesforce (Salesforce) not connected" in text
    assert "Still waiting: wait_for: path did not satisfy the predicate" in text
    state = json.dumps(notebook.metadata["widgets"])
    assert "workato_dl_token" not in state


def test_marimo_demo_runs_top_to_bottom_on_the_sandbox(tmp_path: Path) -> None:
    if importlib.util.find_spec("marimo") is None:
        if os.environ.get("CI"):
            pytest.fail("marimo is not installed, but CI is set: pip install -e '.[test]'")
        pytest.skip("marimo is not installed (pip install -e '.[test]')")
    app = tmp_path / "demo_marimo.py"  # a copy: marimo keeps a session cache beside the app
    shutil.copy(NOTEBOOKS / app.name, app)
    exported = tmp_path / "demo_marimo.html"

    result = subprocess.run(
        [sys.executable, "-m", "marimo", "export", "html", str(app), "-o", str(exported),
         "--no-include-code"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout + result.stderr  # 1 when any cell raised
    html = exported.read_text()
    assert "Sandbox at" in html
    assert "Waiting for Jira" in html
    assert "workato_dl_token" not in html


def test_real_workato_notebook_names_what_is_missing() -> None:
    unset = {
        name: ""
        for name in (
            "WORKATO_VENDOR_ID",
            "WORKATO_CUSTOMER_ID",
            "WORKATO_PRIVATE_KEY_PATH",
            "WORKATO_CONNECTION_ID",
        )
        if not os.environ.get(name)
    }
    if not unset:
        execute("real_workato.ipynb", {})
        return
    with pytest.raises(CellExecutionError) as info:
        execute("real_workato.ipynb", unset)
    message = str(info.value)
    assert "Missing environment variables for real Workato" in message
    for name in unset:
        assert name in message
    pytest.skip(f"real Workato not configured: {', '.join(unset)} unset (the notebook said so)")
