"""ConnectionWidget in Voila and marimo, in real Chromium, against the sandbox on another origin.

Each test proves the whole path in that frontend: the view renders, the handshake completes (the
iframe shows the sandbox's page for a token the kernel signed), Connect + Authorize inside the
iframe reach Python (read from the kernel, not from the page), and anywidget logs no deprecation.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from e2e_kernel import KernelProbe
from e2e_notebook import write_notebook
from e2e_servers import MarimoServer, VoilaServer
from e2e_widget import (
    assert_no_deprecation_warning,
    connect,
    frames,
    setup_cell,
    status_lines,
    wait_loaded,
)
from playwright.sync_api import Page, expect

from workato_ipywidget.sandbox import Sandbox

# Voila puts the page's kernel id into the page config it renders.
VOILA_KERNEL_ID = "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"


# --- Voila -------------------------------------------------------------------------------------
def test_voila_dashboard_connects_and_the_kernel_sees_it(
    voila_server: VoilaServer,
    page: Page,
    console: list[str],
    sandbox: Sandbox,
    vendor_key_file: Path,
) -> None:
    notebook = write_notebook(voila_server, [setup_cell(sandbox, vendor_key_file), "w"])
    page.goto(voila_server.render_url(notebook))

    wait_loaded(page)
    probe = KernelProbe(voila_server.connection_file(page.evaluate(VOILA_KERNEL_ID)))
    try:
        assert probe.wait_until("w.status", lambda s: s != "loading") == "disconnected"
        connect(page)
        assert probe.wait_until("w.connected", lambda c: c is True) is True
        assert probe.value("[w.status, connected_changes]") == ["connected", [False, True]]
    finally:
        probe.close()
    assert sandbox.connection(1).connected
    expect(status_lines(page).first).to_have_attribute("data-status", "connected")
    assert_no_deprecation_warning(console)


# --- marimo ------------------------------------------------------------------------------------
def read_state(path: Path, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Wait until the app's kernel wrote widget state satisfying `predicate`; return it."""
    deadline = time.monotonic() + timeout
    last: dict[str, Any] | None = None
    while True:
        if path.exists():
            last = json.loads(path.read_text())
            if predicate(last):
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f} s the marimo kernel's state is {last!r}")
        time.sleep(0.1)  # a file another process writes: nothing to await


def test_marimo_app_connects_and_the_kernel_sees_it(
    marimo_server: MarimoServer,
    page: Page,
    console: list[str],
    sandbox: Sandbox,
    vendor_key_file: Path,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    page.goto(
        marimo_server.app_url(
            "widget_app.py", sandbox=sandbox.base_url, key=str(vendor_key_file), state=str(state)
        )
    )

    wait_loaded(page)
    handshake = read_state(state, lambda s: s["status"] != "loading")
    assert handshake == {"connected": False, "status": "disconnected"}
    connect(page)
    assert read_state(state, lambda s: s["connected"]) == {"connected": True, "status": "connected"}
    assert sandbox.connection(1).connected
    expect(frames(page)).to_have_count(1)
    expect(status_lines(page).first).to_have_attribute("data-status", "connected")
    assert_no_deprecation_warning(console)


def test_marimo_demo_cells_follow_the_widgets_state(
    marimo_server: MarimoServer, page: Page, console: list[str], widget_js: Path
) -> None:
    page.goto(marimo_server.app_url("demo_marimo.py"))
    wait_loaded(page, 2)
    salesforce_line = page.get_by_text("Salesforce is")
    expect(salesforce_line).to_contain_text("Salesforce is disconnected")
    expect(page.get_by_text("Waiting for Jira")).to_be_visible()

    connect(page, 0)
    expect(salesforce_line).to_contain_text("Salesforce is connected (connected is True)")
    expect(page.get_by_text("salesforce (connection 1): connected")).to_be_visible()
    connect(page, 1)
    expect(page.get_by_text("Jira is connected.")).to_be_visible()
    expect(page.get_by_text("Waiting for Jira")).to_have_count(0)
    assert_no_deprecation_warning(console)
