"""The repair loop in real JupyterLab, against the sandbox: the lost connection and the recipe it
stopped shown in the panel, Authorize inside the iframe, Start from the panel (confirmed), the
next job run by the sandbox, and the row saying it succeeded. Both sides are checked: the page,
and the kernel's state read through the probe.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_notebook import NotebookPage, OpenNotebook
from e2e_widget import VENDOR_ID, wait_loaded
from playwright.sync_api import Page, expect

from workato_ipywidget.sandbox import Sandbox

SLACK, ALERTS = 3, 102


@pytest.fixture
def repair_sandbox(sandbox: Sandbox) -> Sandbox:
    """ACME's Slack (3) was connected, its recipe "Post alerts" (102) ran, then Slack was lost
    and five jobs in a row failed on it: Workato stopped the recipe on trigger errors."""
    sandbox.add_connection(SLACK, "slack", name="Slack", connected=True)
    sandbox.add_recipe(ALERTS, "Post alerts", connections=[SLACK], running=True)
    sandbox.run_jobs(ALERTS, 2)
    sandbox.lose_connection(SLACK, "the refresh token was revoked")
    sandbox.run_jobs(ALERTS, 5)
    assert sandbox.recipe(ALERTS).stop_cause == "trigger_errors_limit"
    return sandbox


@pytest.fixture
def notebook(
    open_notebook: OpenNotebook, repair_sandbox: Sandbox, vendor_key_file: Path, tmp_path: Path
) -> NotebookPage:
    token_file = tmp_path / "api-token"
    token_file.write_text(repair_sandbox.api_token)
    setup = (
        "from pathlib import Path\n"
        "from workato_ipywidget import ConnectionsPanel, EmbeddedApi, Recipe, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(vendor_key_file)!r})\n"
        f"api = EmbeddedApi(Path({str(token_file)!r}).read_text(), "
        f"base_url={repair_sandbox.base_url!r})\n"
        "panel = ConnectionsPanel('acme', api=api, signer=signer)\n"
        "recipe_changes = []\n"
        "panel.on_change(lambda old, new: isinstance(new, Recipe)"
        " and recipe_changes.append([new.id, old.running, new.running]))\n"
    )
    opened = open_notebook([setup, "panel"])
    opened.run_all()
    expect(opened.page.locator(".workato-panel[data-live='true']")).to_be_visible()
    return opened


def test_the_repair_loop_reconnect_start_and_the_next_job_succeeds(
    page: Page, notebook: NotebookPage, repair_sandbox: Sandbox
) -> None:
    slack = page.locator(f"tr.workato-panel-row[data-id='{SLACK}']")
    # The lost connection and the recipe it stopped, before anything is opened.
    expect(slack.locator(".workato-badge")).to_have_text("Lost")
    cell = slack.locator(".workato-panel-recipes-cell")
    expect(cell).to_contain_text("1 recipe · 1 stopped · last job failed")
    expect(cell.locator(".workato-panel-warning")).to_have_text(
        "⚠ A recipe stopped on trigger errors"
    )

    slack.click()  # open the row: Slack's widget, and under it the recipe
    wait_loaded(page)
    detail = page.locator(f"tr.workato-panel-detail[data-id='{SLACK}']")
    recipe = detail.locator(f"li.workato-panel-recipe[data-recipe='{ALERTS}']")
    expect(recipe.locator(".workato-panel-recipe-state")).to_have_text(
        "Stopped after too many trigger errors in a row"
    )
    expect(recipe.locator(".workato-panel-recipe-job")).to_contain_text("Last job failed")
    expect(recipe.locator(".workato-panel-recipe-job")).to_contain_text(
        "at step 1: slack new_record: Slack connection 'Slack' was lost"
    )

    # The customer reconnects inside the iframe: the row follows at once.
    iframe = detail.locator("iframe.workato-connection-frame").content_frame
    iframe.locator("#connect").click()
    iframe.locator("#authorize").click()
    expect(slack.locator(".workato-badge")).to_have_text("Connected")

    # Start from the panel: it asks first, and only Confirm starts it.
    recipe.locator(".workato-panel-recipe-start").click()
    expect(recipe).to_contain_text("Start “Post alerts”?")
    assert repair_sandbox.recipe(ALERTS).running is False
    recipe.locator(".workato-panel-recipe-confirm").click()
    expect(recipe.locator(".workato-panel-recipe-state")).to_have_text("Running")
    expect(recipe.locator(".workato-panel-recipe-message")).to_have_text("Started")
    assert repair_sandbox.recipe(ALERTS).running is True
    notebook.kernel.wait_until("recipe_changes", lambda changes: changes == [[ALERTS, False, True]])

    # The next deal comes in: the job succeeds, and after Refresh the row says so.
    repair_sandbox.run_jobs(ALERTS)
    page.locator(".workato-panel-refresh").click()
    expect(cell).to_contain_text("1 recipe · last job succeeded")
    expect(cell.locator(".workato-panel-warning")).to_have_count(0)
    expect(recipe.locator(".workato-panel-recipe-job")).to_contain_text("Last job succeeded")
    assert notebook.kernel.value("panel.recipes_for(3)[0].running") is True
    assert notebook.kernel.value(
        "[r['recipes']['stopped'] for r in panel.rows if r['id'] == 3]"
    ) == [0]
