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
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from workato_ipywidget.sandbox import Sandbox

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
    assert "Zendesk: failed - Zendesk refused the credentials" in text
    assert "Slack: lost - Connection lost: the refresh token was revoked" in text
    assert "HubSpot: connected - no error" in text
    assert "status: loading | connected: None" in text
    assert "Still waiting: wait_for: connected did not satisfy the predicate" in text
    assert "1: salesforce (Salesforce) not connected" in text
    assert "3: slack (Slack) lost" in text  # the panel's word, not authorization_status
    # The repair loop: the lost connection, the recipe it stopped, the refused start, the fix.
    assert "Post deal alerts to Slack: stopped (trigger_errors_limit)" in text
    assert "last job " in text
    assert "failed\n  at step " in text
    assert "Workato refused: recipe 102 did not start" in text
    assert "Slack: connected\nPost deal alerts to Slack: running" in text
    assert "Slack: 1 recipe(s), 0 stopped, last job succeeded" in text
    assert "Still waiting: wait_for: path did not satisfy the predicate" in text
    assert "The demo reached its last cell." in text
    state = json.dumps(notebook.metadata["widgets"])
    assert '"frame_kind": "panel"' in state
    assert "workato_dl_token" not in state
    assert "eyJ" not in state


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


def test_real_workato_notebook_runs_its_panel_on_a_workato_stand_in(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    key_file = tmp_path / "vendor.pem"
    key_file.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with Sandbox() as sandbox:
        sandbox.register_public_key("notebook-vendor", public_pem)
        sandbox.add_connection(1, "salesforce", name="Salesforce")
        sandbox.add_connection(2, "jira", name="Jira")
        sandbox.fail_connection(2, "Jira refused the credentials")
        sandbox.add_connection(3, "slack", name="Slack", connected=True)
        sandbox.add_recipe(7, "Post alerts", connections=[3], running=True)
        sandbox.lose_connection(3, "the refresh token was revoked")
        sandbox.run_jobs(7, 5)  # five failures in a row: Workato stops it
        notebook = execute(
            "real_workato.ipynb",
            {
                "WORKATO_VENDOR_ID": "notebook-vendor",
                "WORKATO_CUSTOMER_ID": "acme",
                "WORKATO_PRIVATE_KEY_PATH": str(key_file),
                "WORKATO_CONNECTION_ID": "1",
                "WORKATO_BASE_URL": sandbox.base_url,
                "WORKATO_API_TOKEN": sandbox.api_token,
                "WORKATO_DEMO_WAIT_SECONDS": "0.5",
            },
        )

        text = text_of(notebook)
        assert "Still waiting: wait_for: connection 1 did not satisfy the predicate" in text
        assert "Jira: failed\nSlack: lost\nSalesforce: not_connected" in text
        assert "1: salesforce (Salesforce) not connected" in text
        assert "3: slack (Slack) lost" in text  # the panel's word, not authorization_status
        assert "1 stopped recipe(s)\n7: Post alerts (trigger_errors_limit), 5 failed job(s)" in text
        assert "   failed job j-" in text
        assert "at step 1 (slack): " in text
        saved = json.dumps(notebook.metadata["widgets"]) + json.dumps(
            [cell.get("outputs", []) for cell in notebook.cells]
        )
        assert sandbox.api_token not in saved
        assert "eyJ" not in saved
