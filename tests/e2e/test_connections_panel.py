"""ConnectionsPanel in real JupyterLab (and Notebook 7 for the basics), against the sandbox.

The kernel reads the sandbox's Embedded API over loopback; the page shows the table and, for an
opened row, that connection's iframe from the sandbox's origin. Every test checks both sides:
the page's table, and the kernel's state read through the probe.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_notebook import NotebookPage, OpenNotebook
from e2e_widget import VENDOR_ID, frames, inside, wait_loaded
from playwright.sync_api import Locator, Page, expect

from workato_ipywidget import EmbeddedApi
from workato_ipywidget.sandbox import Sandbox
from workato_ipywidget.tracking import classify

BOTH_FRONTENDS = pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)
BADGES = {"failed": "Failed", "lost": "Lost", "not_connected": "Not connected",
          "connected": "Connected"}  # fmt: skip


@pytest.fixture
def accounts(sandbox: Sandbox) -> Sandbox:
    """ACME: Salesforce (1) and Jira (2) never authorized, Slack (3) lost, Zendesk (4) failed;
    Globex: one Zoom (7), which ACME's panel must never show."""
    sandbox.add_connection(3, "slack", name="Slack", connected=True)
    sandbox.lose_connection(3, "the refresh token was revoked")
    sandbox.add_connection(4, "zendesk", name="Zendesk")
    sandbox.fail_connection(4, "Zendesk refused the credentials")
    sandbox.add_customer("globex", name="Globex")
    sandbox.add_connection(7, "zoom", name="Globex Zoom", customer_id="globex")
    return sandbox


@pytest.fixture
def api_token_file(accounts: Sandbox, tmp_path: Path) -> Path:
    """The API token where the notebook reads it, as a user keeps a secret out of the notebook."""
    path = tmp_path / "api-token"
    path.write_text(accounts.api_token)
    return path


def panel_cell(sandbox: Sandbox, key_file: Path, token_file: Path, customer: str = "acme") -> str:
    """Code that creates `panel` for `customer`, listing through the sandbox's Embedded API."""
    return (
        "from pathlib import Path\n"
        "from workato_ipywidget import ConnectionsPanel, EmbeddedApi, TokenSigner\n"
        "from workato_ipywidget.tracking import classify\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(key_file)!r})\n"
        f"api = EmbeddedApi(Path({str(token_file)!r}).read_text(), base_url={sandbox.base_url!r})\n"
        f"panel = ConnectionsPanel({customer!r}, api=api, signer=signer)\n"
        "changes = []\n"
        "panel.on_change(lambda old, new: changes.append([new.id, classify(new)]))\n"
    )


def rows(page: Page) -> Locator:
    return page.locator("tr.workato-panel-row")


def row(page: Page, connection_id: int) -> Locator:
    return page.locator(f"tr.workato-panel-row[data-id='{connection_id}']")


def badge(page: Page, connection_id: int) -> Locator:
    return row(page, connection_id).locator(".workato-badge")


def shown_panel(open_notebook: OpenNotebook, cells: list[str]) -> NotebookPage:
    notebook = open_notebook(cells)
    notebook.run_all()
    expect(notebook.page.locator(".workato-panel[data-live='true']")).to_be_visible()
    return notebook


@BOTH_FRONTENDS
def test_the_table_shows_one_customers_connections_and_none_of_another(
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    notebook = shown_panel(
        open_notebook, [panel_cell(accounts, vendor_key_file, api_token_file), "panel"]
    )

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


def test_another_customers_panel_shows_only_its_own(
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    shown_panel(
        open_notebook,
        [panel_cell(accounts, vendor_key_file, api_token_file, customer="globex"), "panel"],
    )

    expect(rows(page)).to_have_count(1)
    expect(row(page, 7)).to_contain_text("Globex Zoom")
    for acme_id in (1, 2, 3, 4):
        expect(row(page, acme_id)).to_have_count(0)


@BOTH_FRONTENDS
def test_clicking_a_row_opens_its_iframe_and_authorizing_follows_without_a_refresh(
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    notebook = shown_panel(
        open_notebook, [panel_cell(accounts, vendor_key_file, api_token_file), "panel"]
    )
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
    assert accounts.connection(2).connected
    # Jira sorts last now, and its iframe moved with it without reloading: same URL, one token.
    expect(page.locator("tbody > tr").last).to_have_attribute("data-id", "2")
    assert [r.get_attribute("data-id") for r in rows(page).all()] == ["4", "3", "1", "2"]
    assert frames(page).first.get_attribute("src") == src
    assert len(accounts.seen_jti) == 1
    expect(inside(page).locator("body")).to_have_attribute("data-connected", "true")

    row(page, 2).click()
    expect(frames(page)).to_have_count(0)
    notebook.kernel.wait_until("len(panel.widgets)", lambda n: n == 0)


def test_the_status_badges_after_refresh_match_the_api(
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    notebook = shown_panel(
        open_notebook,
        [panel_cell(accounts, vendor_key_file, api_token_file), "panel", "panel.refresh()"],
    )
    expect(badge(page, 2)).to_have_text("Not connected")
    accounts.add_connection(2, "jira", name="Jira", connected=True)
    accounts.lose_connection(2, "the admin revoked it")
    accounts.fail_connection(1, "Salesforce said no")
    accounts.add_connection(3, "slack", name="Slack", connected=True)

    notebook.run_cell(2)

    with EmbeddedApi(accounts.api_token, base_url=accounts.base_url) as api:
        expected = {c.id: BADGES[classify(c)] for c in api.connections("acme")}
    assert expected == {1: "Failed", 2: "Lost", 3: "Connected", 4: "Failed"}
    for connection_id, text in expected.items():
        expect(badge(page, connection_id)).to_have_text(text)
    expect(row(page, 2)).to_contain_text("Connection lost: the admin revoked it")
    assert [r.get_attribute("data-id") for r in rows(page).all()] == ["1", "4", "2", "3"]


def test_the_filters_hide_rows_at_once_and_reach_the_kernel(
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    notebook = shown_panel(
        open_notebook, [panel_cell(accounts, vendor_key_file, api_token_file), "panel"]
    )

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
    save_widget_state: None,
    open_notebook: OpenNotebook,
    page: Page,
    accounts: Sandbox,
    vendor_key_file: Path,
    api_token_file: Path,
) -> None:
    notebook = shown_panel(
        open_notebook, [panel_cell(accounts, vendor_key_file, api_token_file), "panel"]
    )
    row(page, 2).click()
    wait_loaded(page)
    token = re.search(r"workato_dl_token=([^&]+)", frames(page).first.get_attribute("src") or "")
    assert token is not None
    secrets = [token.group(1), accounts.api_token, *accounts.seen_jti]

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
