"""AccountHealth in real JupyterLab against the sandbox, its rate limits scaled so a scan takes a
few seconds: the progress bar moves and rows appear while the scan runs; clicking a customer opens
its ConnectionsPanel under the row; authorizing a connection in that panel's iframe changes the
customer's row, on the page and in the kernel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from e2e_notebook import NotebookPage, OpenNotebook
from e2e_widget import VENDOR_ID, connect, wait_loaded
from health_accounts import fleet
from playwright.sync_api import Page, expect

from workato_ipywidget import RateLimits
from workato_ipywidget.sandbox import Sandbox

CUSTOMERS = 24
LIMITS = RateLimits(list_connections=8, window=1.0)
"""8 connection lists a second: a scan of 25 customers takes about three seconds."""


def health_row(page: Page, customer: str):  # type: ignore[no-untyped-def]
    return page.locator(f"tr.workato-health-row[data-id='{customer}']")


def show_health(
    open_notebook: OpenNotebook, sandbox: Sandbox, key_file: Path, token_file: Path
) -> NotebookPage:
    setup = (
        "from pathlib import Path\n"
        "from workato_ipywidget import AccountHealth, EmbeddedApi, RateLimits, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(key_file)!r})\n"
        f"api = EmbeddedApi(Path({str(token_file)!r}).read_text(), base_url={sandbox.base_url!r},"
        f" rate_limits={LIMITS!r})\n"
        "health = AccountHealth(api, signer=signer, include_recipes=False)\n"
        "changes = []\n"
        "health.on_change(lambda old, new: changes.append([new.key, new.state]))\n"
    )
    notebook = open_notebook([setup, "health"])
    notebook.run_all()
    return notebook


def test_rows_appear_while_the_scan_runs_and_a_repair_in_a_customers_panel_changes_its_row(
    page: Page,
    open_notebook: OpenNotebook,
    make_sandbox: Callable[..., Sandbox],
    vendor_key_file: Path,
    tmp_path: Path,
) -> None:
    sandbox = fleet(make_sandbox(rate_limits=LIMITS), customers=CUSTOMERS)
    token_file = tmp_path / "api-token"
    token_file.write_text(sandbox.api_token)

    notebook = show_health(open_notebook, sandbox, vendor_key_file, token_file)

    view = page.locator(".workato-health[data-live='true']")
    expect(view).to_be_visible()
    # While the scan runs: rows are there and the bar has moved, but not to the end.
    running = page.locator(".workato-health[data-scan='scanning']")
    expect(running.locator("tr.workato-health-row").first).to_be_visible()
    track = page.locator(".workato-health-track")
    expect(track).to_have_attribute("aria-valuemax", str(CUSTOMERS + 1))
    early = int(track.get_attribute("aria-valuenow") or "0")
    assert early < CUSTOMERS + 1
    expect(page.locator(".workato-health[data-scan='done']")).to_be_visible(timeout=60_000)
    expect(track).to_have_attribute("aria-valuenow", str(CUSTOMERS + 1))
    expect(page.locator("tr.workato-health-row")).to_have_count(CUSTOMERS + 1)
    assert notebook.kernel.value("[r.key for r in health.problems]") == ["c003", "c005"]
    expect(health_row(page, "c005")).to_have_attribute("data-state", "lost")

    health_row(page, "c005").locator("td").first.click()

    detail = page.locator("tr.workato-health-detail[data-id='c005']")
    panel_rows = detail.locator("tr.workato-panel-row")
    expect(panel_rows).to_have_count(3)
    assert notebook.kernel.value("list(health.panels)") == ["c005"]
    lost = detail.locator("tr.workato-panel-row[data-status='lost']")
    lost.locator(".workato-panel-toggle").click()
    wait_loaded(page)
    # The page's first status reaches the kernel and comes back as the widget's status line,
    # which pushes the iframe down a line: click inside it once it has settled there.
    expect(detail.locator(".workato-connection-status")).to_contain_text("Connection lost")
    connect(page)

    expect(detail.locator(".workato-badge[data-status='lost']")).to_have_count(0)
    expect(health_row(page, "c005")).to_have_attribute("data-state", "healthy")
    # The only change is the repair: the page restating the loss when it opened changed nothing.
    changes = notebook.kernel.wait_until("changes", lambda c: c[-1:] == [["c005", "healthy"]])
    assert changes == [["c005", "healthy"]]
    assert notebook.kernel.value("[r.key for r in health.problems]") == ["c003"]
    assert notebook.kernel.value("api.stats.rate_limited") == 0
    repaired = [c for c in sandbox.connections if c.customer_id == "c005" and c.provider == "slack"]
    assert [c.connected for c in repaired] == [True]
