"""The origins a view trusts, in real JupyterLab: Workato redirecting its iframe between hosts.

The sandbox answers its pages under 127.0.0.1 with a redirect to localhost (same port), as Workato
might send `workato.com` on to `app.workato.com`. A redirect inside the widget's trusted set
works; one outside it is dropped, and the diagnosis names the origin the messages came from.
"""

from __future__ import annotations

from pathlib import Path

from e2e_notebook import OpenNotebook
from e2e_widget import frames, inside, setup_cell, status_lines
from playwright.sync_api import Page, expect

from workato_ipywidget.sandbox import Sandbox


def test_a_redirect_to_a_trusted_origin_keeps_every_message(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    sandbox.redirect_pages_to("localhost")
    moved_to = f"http://localhost:{sandbox.port}"
    notebook = open_notebook(
        [setup_cell(sandbox, vendor_key_file, options=f", trusted_origins=[{moved_to!r}]"), "w"]
    )
    notebook.run_all()

    expect(inside(page).locator("body[data-page='connection']")).to_be_attached()
    inner = frames(page).first.element_handle().content_frame()
    assert inner is not None
    assert inner.url.startswith(f"{moved_to}/direct_link/embedded/connections/1?")
    inside(page).locator("#connect").click()
    inside(page).locator("#authorize").click()

    notebook.kernel.wait_until("[w.connected, w.provider]", lambda v: v == [True, "salesforce"])
    expect(status_lines(page).first).to_have_attribute("data-status", "connected")


def test_a_redirect_outside_the_trusted_set_is_dropped_and_diagnosed_naming_its_origin(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    sandbox.redirect_pages_to("localhost")
    moved_to = f"http://localhost:{sandbox.port}"
    notebook = open_notebook(
        [setup_cell(sandbox, vendor_key_file, options=", diagnose_after=2"), "w"]
    )
    notebook.run_all()

    expect(inside(page).locator("body[data-page='connection']")).to_be_attached()
    error = notebook.kernel.wait_until("w.error", lambda e: e is not None, timeout=30)
    assert f"posted its messages from {moved_to}" in error
    assert f"trusted_origins=[{moved_to!r}]" in error
    assert notebook.kernel.value("[w.status, w.connected, len(w.events)]") == ["error", None, 1]
    expect(status_lines(page).first).to_contain_text(f"posted its messages from {moved_to}")
