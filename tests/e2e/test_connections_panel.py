"""ConnectionsPanel in real JupyterLab (and Notebook 7 for the basics), against the sandbox.

The kernel reads the sandbox's Embedded API over loopback; the page shows the table and, for an
opened row, that connection's iframe from the sandbox's origin. Every test checks both sides:
the page's table, and the kernel's state read through the probe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from e2e_notebook import NotebookPage, OpenNotebook
from e2e_widget import VENDOR_ID, frames, inside, wait_loaded
from playwright.sync_api import Locator, Page, expect

from workato_ipywidget import EmbeddedApi
from workato_ipywidget.connection_state import classify
from workato_ipywidget.sandbox import Sandbox

BOTH_FRONTENDS = pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)
BADGES = {"failed": "Failed", "lost": "Lost", "not_connected": "Not connected",
          "connected": "Connected"}  # fmt: skip


@pytest.fixture
def panel_sandbox(sandbox: Sandbox) -> Sandbox:
    """ACME: Salesforce (1) and Jira (2) never authorized, Slack (3) lost, Zendesk (4) failed;
    Globex: one Zoom (7), which ACME's panel must never show."""
    sandbox.add_connection(3, "slack", name="Slack", connected=True)
    sandbox.lose_connection(3, "the refresh token was revoked")
    sandbox.add_connection(4, "zendesk", name="Zendesk")
    sandbox.fail_connection(4, "Zendesk refused the credentials")
    sandbox.add_customer("globex", name="Globex")
    sandbox.add_connection(7, "zoom", name="Globex Zoom", customer_id="globex")
    return sandbox


ShowPanel = Callable[..., NotebookPage]


@pytest.fixture
def show_panel(
    open_notebook: OpenNotebook, panel_sandbox: Sandbox, vendor_key_file: Path, tmp_path: Path
) -> ShowPanel:
    """Open a notebook that shows `panel` for a customer (then runs `more` cells), and wait until
    its view has heard from the kernel. The API token is read from a file, as a user keeps a
    secret out of the notebook."""
    token_file = tmp_path / "api-token"
    token_file.write_text(panel_sandbox.api_token)

    def show(*more: str, customer: str = "acme") -> NotebookPage:
        setup = (
            "from pathlib import Path\n"
            "from workato_ipywidget import ConnectionsPanel, EmbeddedApi, TokenSigner\n"
            "from workato_ipywidget.connection_state import classify\n"
            f"signer = TokenSigner({VENDOR_ID!r}, {str(vendor_key_file)!r})\n"
            f"api = EmbeddedApi(Path({str(token_file)!r}).read_text(), "
            f"base_url={panel_sandbox.base_url!r})\n"
            f"panel = ConnectionsPanel({customer!r}, api=api, signer=signer)\n"
            "changes = []\n"
            "panel.on_change(lambda old, new: changes.append([new.id, classify(new)]))\n"
        )
        notebook = open_notebook([setup, "panel", *more])
        notebook.run_all()
        expect(notebook.page.locator(".workato-panel[data-live='true']")).to_be_visible()
        return notebook

    return show


def rows(page: Page) -> Locator:
    return page.locator("tr.workato-panel-row")


def row(page: Page, connection_id: int) -> Locator:
    return page.locator(f"tr.workato-panel-row[data-id='{connection_id}']")


def badge(page: Page, connection_id: int) -> Locator:
    return row(page, connection_id).locator(".workato-badge")


@BOTH_FRONTENDS
def test_the_table_shows_one_customers_connections_and_none_of_another(
    page: Page, show_panel: ShowPanel
) -> None:
    notebook = show_panel()

    expect(rows(page)).to_have_count(4)
    assert [r.get_attribute("data-id") for r in rows(page).all()] == ["4", "3", "2", "1"]
    expect(badge(page, 4)).to_have_text("Failed")
    expect(badge(page, 3)).to_have_text("Lost")
    expect(row(page, 3)).to_contain_text("Connection lost: the refresh token was revoked")
    expect(badge(page, 1)).to_have_text("Not connected")
    expect(page.locator(".workato-panel")).not_to_contain_text("Globex")
    assert notebook.kernel.value("[c.id for c in panel.connections]") == [4, 3, 2, 1]
    # Lazy: no iframe and no ConnectionWidget until a row is opened.
    expect(frames(page)).to_have_count(0)
    assert notebook.kernel.value("len(panel.widgets)") == 0


def test_another_customers_panel_shows_only_its_own(page: Page, show_panel: ShowPanel) -> None:
    show_panel(customer="globex")

    expect(rows(page)).to_have_count(1)
    expect(row(page, 7)).to_contain_text("Globex Zoom")
    for acme_id in (1, 2, 3, 4):
        expect(row(page, acme_id)).to_have_count(0)


@BOTH_FRONTENDS
def test_clicking_a_row_opens_its_iframe_and_authorizing_follows_without_a_refresh(
    page: Page, panel_sandbox: Sandbox, show_panel: ShowPanel
) -> None:
    notebook = show_panel()
    read_at = notebook.kernel.value("panel.updated_at")

    row(page, 2).click()

    wait_loaded(page)
    detail = page.locator("tr.workato-panel-detail[data-id='2']")
    expect(detail.locator("iframe.workato-connection-frame")).to_have_count(1)
    expect(row(page, 2).locator(".workato-panel-toggle")).to_have_attribute("aria-expanded", "true")
    assert notebook.kernel.value("list(panel.widgets)") == [2]
    src = frames(page).first.get_attribute("src")
    inside(page).locator("#connect").click()
    inside(page).locator("#authorize").click()

    expect(badge(page, 2)).to_have_text("Connected")
    notebook.kernel.wait_until("panel.widgets[2].connected", lambda c: c is True)
    assert notebook.kernel.value("[c.connected for c in panel.connections if c.id == 2]") == [True]
    assert notebook.kernel.value("changes") == [[2, "connected"]]
    assert notebook.kernel.value("panel.updated_at") == read_at  # no refresh read the list
    assert panel_sandbox.connection(2).connected
    # Jira sorts last now, and its iframe moved with it without reloading: same URL, one token.
    expect(page.locator("tbody > tr").last).to_have_attribute("data-id", "2")
    assert [r.get_attribute("data-id") for r in rows(page).all()] == ["4", "3", "1", "2"]
    assert frames(page).first.get_attribute("src") == src
    assert len(panel_sandbox.seen_jti) == 1
    expect(inside(page).locator("body")).to_have_attribute("data-connected", "true")

    row(page, 2).click()
    expect(frames(page)).to_have_count(0)
    notebook.kernel.wait_until("len(panel.widgets)", lambda n: n == 0)


def test_the_status_badges_after_refresh_match_the_api(
    page: Page, panel_sandbox: Sandbox, show_panel: ShowPanel
) -> None:
    notebook = show_panel("panel.refresh()")
    expect(badge(page, 2)).to_have_text("Not connected")
    panel_sandbox.add_connection(2, "jira", name="Jira", connected=True)
    panel_sandbox.lose_connection(2, "the admin revoked it")
    panel_sandbox.fail_connection(1, "Salesforce said no")
    panel_sandbox.add_connection(3, "slack", name="Slack", connected=True)

    notebook.run_cell(2)

    with EmbeddedApi(panel_sandbox.api_token, base_url=panel_sandbox.base_url) as api:
        expected = {c.id: BADGES[classify(c)] for c in api.connections("acme")}
    assert expected == {1: "Failed", 2: "Lost", 3: "Connected", 4: "Failed"}
    for connection_id, text in expected.items():
        expect(badge(page, connection_id)).to_have_text(text)
    expect(row(page, 2)).to_contain_text("Connection lost: the admin revoked it")
    assert [r.get_attribute("data-id") for r in rows(page).all()] == ["1", "4", "2", "3"]


def test_the_filters_hide_rows_at_once_and_reach_the_kernel(
    page: Page, show_panel: ShowPanel
) -> None:
    notebook = show_panel()

    page.locator(".workato-panel-filter").fill("JI")
    expect(row(page, 2)).to_be_visible()
    for hidden in (1, 3, 4):
        expect(row(page, hidden)).to_be_hidden()
    notebook.kernel.wait_until("panel.filter_text", lambda text: text == "JI")
    assert notebook.kernel.value("[c.id for c in panel.visible]") == [2]

    page.locator(".workato-panel-filter").fill("")
    page.locator(".workato-panel-status-filter").select_option("lost")
    notebook.kernel.wait_until("panel.status_filter", lambda status: status == "lost")
    expect(row(page, 3)).to_be_visible()
    expect(row(page, 2)).to_be_hidden()
    assert notebook.kernel.value("[c.id for c in panel.visible]") == [3]


def test_the_saved_notebook_holds_no_token(
    save_widget_state: None, page: Page, panel_sandbox: Sandbox, show_panel: ShowPanel
) -> None:
    notebook = show_panel()
    row(page, 2).click()
    wait_loaded(page)
    token = re.search(r"workato_dl_token=([^&]+)", frames(page).first.get_attribute("src") or "")
    assert token is not None
    secrets = [token.group(1), panel_sandbox.api_token, *panel_sandbox.seen_jti]

    saved = notebook.save()

    text = notebook.file_text()
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    panels = [m["state"] for m in state.values() if m["state"].get("frame_kind") == "panel"]
    assert len(panels) == 1
    assert [r["id"] for r in panels[0]["rows"]] == [4, 3, 2, 1]
    assert list(panels[0]["expanded"]) == ["2"]
    assert panels[0]["expanded"]["2"].startswith("anywidget:")
    for secret in secrets:
        assert secret not in text
    for marker in ("eyJ", "workato_dl_token", "PRIVATE KEY"):
        assert marker not in text
