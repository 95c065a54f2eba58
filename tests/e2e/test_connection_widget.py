"""ConnectionWidget in real JupyterLab and Notebook 7, against the sandbox on another origin.

Every test checks both sides: the kernel's state, read from the notebook's own kernel, and what
the page shows (the status line, the iframe and the page inside it).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from e2e_notebook import NotebookPage, OpenNotebook
from playwright.sync_api import FrameLocator, Locator, Page, expect

from workato_ipywidget.sandbox import Sandbox

VENDOR_ID = "e2e-vendor"  # the vendor whose key the `make_sandbox` fixture registers
BOTH_FRONTENDS = pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)

STATUS_EVENTS = (
    "[[e.view, e.event.connected] for e in w.events "
    "if type(e.event).__name__ == 'ConnectionStatusChange']"
)


def setup_cell(sandbox: Sandbox, key_file: Path, *, options: str = "") -> str:
    """Code that creates `w` on the sandbox's Salesforce connection, signing in the kernel."""
    return (
        "from workato_ipywidget import ConnectionWidget, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(key_file)!r})\n"
        "w = ConnectionWidget(1, signer=signer, customer_id='acme', "
        f"base_url={sandbox.base_url!r}{options})\n"
        "connected_changes = []\n"
        "w.observe(lambda change: connected_changes.append(change['new']), names='connected')\n"
    )


# --- page helpers ------------------------------------------------------------------------------
def frames(page: Page) -> Locator:
    return page.locator("iframe.workato-connection-frame")


def inside(page: Page, index: int = 0) -> FrameLocator:
    """The sandbox's connection page inside our `index`-th iframe."""
    return frames(page).nth(index).content_frame


def status_lines(page: Page) -> Locator:
    return page.locator(".workato-connection-status")


def jti_of(frame: Locator) -> str:
    """The jti of the token in an iframe's URL (read from the page, never from the kernel)."""
    src = frame.get_attribute("src") or ""
    token = parse_qs(urlparse(src).query)["workato_dl_token"][0]
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def content_height(frame: Locator) -> int:
    """The height of the page inside an iframe, measured as the sandbox measures it."""
    inner = frame.element_handle().content_frame()
    assert inner is not None
    return int(inner.evaluate("Math.ceil(document.body.getBoundingClientRect().height)"))


def wait_loaded(page: Page, count: int = 1, *, kind: str = "connection") -> None:
    """Wait until `count` iframes show the sandbox's page (`connection` or `error`) for their src.

    Waiting for the frame's own URL to equal its src makes sure a just-reloaded iframe is not
    mistaken for the page it showed before.
    """
    expect(frames(page)).to_have_count(count)
    for i in range(count):
        frame = frames(page).nth(i)
        expect(frame).to_have_attribute("src", re.compile("workato_dl_token="))
        src = frame.get_attribute("src")
        inner = frame.element_handle().content_frame()
        assert inner is not None
        inner.wait_for_url(lambda url, src=src: url == src)  # type: ignore[misc]
        expect(inside(page, i).locator(f"body[data-page='{kind}']")).to_be_attached()


def connect(page: Page, index: int = 0, *, succeed: bool = True) -> None:
    """Click Connect, then Authorize (or Fail) inside our `index`-th iframe, as a user does."""
    frame = inside(page, index)
    frame.locator("#connect").click()
    frame.locator("#authorize" if succeed else "#fail").click()


def wait_status_views(notebook: NotebookPage, views: int) -> list[list[object]]:
    """Wait until status events from `views` distinct views reached the kernel; return them."""
    return notebook.kernel.wait_until(  # type: ignore[no-any-return]
        STATUS_EVENTS, lambda events: len({view for view, _ in events}) >= views
    )


# --- 1. render, connect, observe, wait_for -----------------------------------------------------
@BOTH_FRONTENDS
def test_connecting_in_the_iframe_sets_connected_and_wakes_an_awaiting_cell(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook(
        [
            setup_cell(sandbox, vendor_key_file),
            "w",
            "print('waiting', flush=True)\n"
            "value = await w.wait_for('connected', lambda v: v is True, timeout=60)\n"
            "print('connected is', value)",
        ]
    )
    notebook.run_cell(0)
    notebook.run_cell(1)
    wait_loaded(page)
    status = status_lines(page).first
    expect(status).to_have_attribute("data-status", "disconnected")
    expect(status).to_contain_text("salesforce")
    iframe = frames(page).first
    initial = notebook.kernel.wait_until("w.height", lambda h: h != 150)
    expect(iframe).to_have_attribute("style", re.compile(rf"height: {initial}px"))

    inside(page).locator("#connect").click()
    expect(inside(page).locator("#auth-form")).to_be_visible()
    taller = notebook.kernel.wait_until("w.height", lambda h: h > initial)
    expect(iframe).to_have_attribute("style", re.compile(rf"height: {taller}px"))
    assert content_height(iframe) == taller

    notebook.run_cell(2, wait=False)  # awaits in the kernel from before the connecting click
    notebook.expect_output_text(2, "waiting")
    inside(page).locator("#authorize").click()

    notebook.wait_cell_done(2)
    notebook.expect_output_text(2, "connected is True")
    assert notebook.kernel.value("w.connected") is True
    assert notebook.kernel.value("w.status") == "connected"
    assert notebook.kernel.value("connected_changes") == [False, True]
    assert sandbox.connection(1).connected
    expect(status).to_have_attribute("data-status", "connected")
    expect(status).to_have_text(re.compile(r"salesforce · Connected"))
    expect(inside(page).locator("body")).to_have_attribute("data-connected", "true")


# --- 2. a failed authorization -----------------------------------------------------------------
def test_failed_authorization_shows_the_sandbox_message_as_error(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w"])
    notebook.run_all()
    wait_loaded(page)

    connect(page, succeed=False)

    expected = "Authorization failed: invalid credentials"
    assert notebook.kernel.wait_until("w.status", lambda s: s == "error") == "error"
    assert notebook.kernel.value("w.error") == expected
    assert notebook.kernel.value("w.connected") is False
    status = status_lines(page).first
    expect(status).to_have_attribute("data-status", "error")
    expect(status).to_contain_text(expected)
    expect(inside(page).locator("#error")).to_have_text(expected)


# --- 3. one widget, two views ------------------------------------------------------------------
@BOTH_FRONTENDS
def test_each_view_loads_with_its_own_token_and_reload_renews_them_all(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w", "w", "w.reload()"])
    notebook.run_cell(0)
    notebook.run_cell(1)
    notebook.run_cell(2)
    wait_loaded(page, 2)
    first_src = [frames(page).nth(i).get_attribute("src") or "" for i in range(2)]
    first = [jti_of(frames(page).nth(i)) for i in range(2)]
    assert first[0] != first[1]
    assert set(first) <= sandbox.seen_jti
    assert len(wait_status_views(notebook, 2)) == 2
    expect(status_lines(page)).to_have_count(2)
    for i in range(2):
        expect(status_lines(page).nth(i)).to_have_attribute("data-status", "disconnected")

    # Re-running a cell replaces its view: a third view, with a third token.
    notebook.run_cell(2)
    expect(frames(page).nth(1)).not_to_have_attribute("src", first_src[1])
    wait_loaded(page, 2)
    rerun_src = frames(page).nth(1).get_attribute("src") or ""
    rerun = jti_of(frames(page).nth(1))
    assert rerun not in first
    assert jti_of(frames(page).first) == first[0]
    wait_status_views(notebook, 3)

    # Connecting in one view shows in both; reload() then gives every view a new token.
    connect(page, 1)
    for i in range(2):
        expect(status_lines(page).nth(i)).to_have_attribute("data-status", "connected")
    before = {first[0], rerun}
    notebook.run_cell(3)
    for i, old_src in enumerate((first_src[0], rerun_src)):
        expect(frames(page).nth(i)).not_to_have_attribute("src", old_src)
    wait_loaded(page, 2)
    renewed = {jti_of(frames(page).nth(i)) for i in range(2)}
    assert len(renewed) == 2
    assert not renewed & before
    assert renewed <= sandbox.seen_jti
    # Each reloaded view reports the (still connected) status again.
    events = notebook.kernel.wait_until(
        STATUS_EVENTS, lambda ev: sum(1 for _, connected in ev if connected) >= 3
    )
    assert len(events) == 6  # 2 first loads, 1 re-run, 1 authorization, 2 reloads
    assert notebook.kernel.value("w.connected") is True
    for i in range(2):
        expect(inside(page, i).locator("body")).to_have_attribute("data-connected", "true")
