"""A hub user's JupyterLab, reached through the hub's proxy: a keyless kernel's widget connects.

The user logs in to a real JupyterHub (configurable-http-proxy in front), opens a notebook in
their own server (running as their own Unix user), and shows a
`ConnectionWidget(signer=HubSigner(), ...)` against the sandbox, which trusts only the hub's
public key and origin. Clicking Authorize in the sandbox's iframe reaches Python.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_notebook import NotebookPage, write_notebook
from e2e_widget import connect, frames, status_lines, wait_loaded
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hub"))

from hub_harness import VENDOR_ID, HubProcess, HubSetup, missing_tools

from workato_ipywidget.sandbox import Sandbox

USER = "wkhub-alice"


class HubUserServer:
    """A hub user's server as the notebook harness sees a JupyterServer: its URL, root, kernels."""

    frontend = "lab"

    def __init__(self, hub: HubProcess, user: str) -> None:
        self.hub = hub
        self.user = user
        self.root_dir = hub.homes[user]
        self.base_url = f"{hub.origin}/user/{user}"

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.hub.request("GET", f"/user/{self.user}/api/sessions"))

    def kernel_id_for(self, notebook_path: str) -> str | None:
        for session in self.sessions():
            if session.get("path") == notebook_path and session.get("kernel"):
                return str(session["kernel"]["id"])
        return None

    def connection_file(self, kernel_id: str) -> Path:
        return self.hub.connection_file(self.user, kernel_id)

    def shutdown_all_sessions(self) -> None:
        for session in self.sessions():
            self.hub.request("DELETE", f"/user/{self.user}/api/sessions/{session['id']}")


@pytest.fixture(scope="module")
def hub() -> Iterator[HubProcess]:
    reason = missing_tools(unix_users=True)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, but CI is set, so the hub browser test must run")
        pytest.skip(f"{reason}; set CI=1 to fail instead")
    process = HubProcess(
        HubSetup(users=[USER], groups={"analysts": [USER]}, grants={"group:analysts": ["acme"]})
    )
    try:
        process.start()
        process.prepare_lab(USER)
        process.spawn(USER)
        yield process
    finally:
        process.stop()


@pytest.fixture
def hub_sandbox(hub: HubProcess, widget_js: Path) -> Iterator[Sandbox]:
    """The sandbox trusting the hub's key (not the kernel's: it has none) and the hub's origin."""
    sandbox = Sandbox(allowed_origins=[hub.origin])
    sandbox.register_public_key(VENDOR_ID, hub.public_pem)
    sandbox.add_connection(1, "salesforce", name="Salesforce")
    sandbox.start()
    yield sandbox
    sandbox.stop()


def log_in(page: Page, hub: HubProcess, user: str) -> None:
    page.goto(f"{hub.origin}/hub/login")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(hub.password)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_url(f"**/user/{user}/**", timeout=60_000)


def open_hub_notebook(page: Page, hub: HubProcess, cells: list[str]) -> NotebookPage:
    """Log in as the user, write a notebook into their home and open it in their JupyterLab."""
    server = HubUserServer(hub, USER)
    path = write_notebook(server, cells)  # type: ignore[arg-type]
    hub.chown_tree(USER, server.root_dir / path)
    log_in(page, hub, USER)
    return NotebookPage(page, server, path).open()  # type: ignore[arg-type]


def widget_cell(sandbox: Sandbox, customer: str) -> str:
    return (
        "import os\n"
        "from workato_ipywidget import ConnectionWidget, HubSigner\n"
        f"w = ConnectionWidget(1, signer=HubSigner(), customer_id={customer!r}, "
        f"base_url={sandbox.base_url!r})\n"
        "w"
    )


def test_a_hub_users_keyless_kernel_shows_a_widget_and_authorize_reaches_python(
    page: Page, hub: HubProcess, hub_sandbox: Sandbox
) -> None:
    notebook = open_hub_notebook(page, hub, [widget_cell(hub_sandbox, "acme")])

    notebook.run_cell(0)
    wait_loaded(page)
    connect(page)

    assert notebook.kernel.wait_until("w.connected", lambda v: v is True) is True
    expect(status_lines(page).first).to_have_attribute("data-status", "connected")
    assert hub_sandbox.connection(1).connected
    assert notebook.kernel.value("os.getuid()") != 0
    assert notebook.kernel.value("'PRIVATE KEY' in str(dict(os.environ))") is False
    [mint] = [line for line in hub.audit_lines() if line["event"] == "mint"]
    assert mint["user"] == USER
    assert mint["origin"] == hub.origin
    notebook.close_probe()
    notebook.server.shutdown_all_sessions()


def test_a_customer_the_user_is_not_granted_shows_the_services_refusal_in_the_view(
    page: Page, hub: HubProcess, hub_sandbox: Sandbox
) -> None:
    notebook = open_hub_notebook(page, hub, [widget_cell(hub_sandbox, "globex")])

    notebook.run_cell(0)

    status = status_lines(page).first
    expect(status).to_have_attribute("data-status", "error")
    expect(status).to_contain_text(f"{USER} may not act for customer globex")
    assert "workato_dl_token=" not in (frames(page).first.get_attribute("src") or "")
    events = notebook.kernel.value("[e.event.message for e in w.events]")
    assert any("may not act for customer globex" in message for message in events)
    assert any(
        line["event"] == "refused" and line["customer"] == "globex" for line in hub.audit_lines()
    )
    notebook.close_probe()
    notebook.server.shutdown_all_sessions()
