"""ConnectionWidget in real JupyterLab and Notebook 7, against the sandbox on another origin.

Every test checks both sides: the kernel's state, read from the notebook's own kernel, and what
the page shows (the status line, the iframe and the page inside it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from e2e_notebook import NotebookPage, OpenNotebook
from e2e_servers import JupyterServer
from e2e_widget import (
    INJECT,
    STATUS_EVENTS,
    VENDOR_ID,
    assert_no_deprecation_warning,
    connect,
    frames,
    inside,
    jti_of,
    setup_cell,
    status_lines,
    wait_loaded,
)
from playwright.sync_api import Locator, Page, expect

from workato_ipywidget import TokenSigner
from workato_ipywidget.endpoints import connection_url
from workato_ipywidget.sandbox import Sandbox

BOTH_FRONTENDS = pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)


# --- page helpers ------------------------------------------------------------------------------
def content_height(frame: Locator) -> int:
    """The height of the page inside an iframe, measured as the sandbox measures it."""
    inner = frame.element_handle().content_frame()
    assert inner is not None
    return int(inner.evaluate("Math.ceil(document.body.getBoundingClientRect().height)"))


def wait_status_views(notebook: NotebookPage, views: int) -> list[list[object]]:
    """Wait until status events from `views` distinct views reached the kernel; return them."""
    return notebook.kernel.wait_until(  # type: ignore[no-any-return]
        STATUS_EVENTS, lambda events: len({view for view, _ in events}) >= views
    )


# --- 1. render, connect, observe, wait_for -----------------------------------------------------
@BOTH_FRONTENDS
def test_connecting_in_the_iframe_sets_connected_and_wakes_an_awaiting_cell(
    open_notebook: OpenNotebook,
    page: Page,
    console: list[str],
    sandbox: Sandbox,
    vendor_key_file: Path,
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
    assert_no_deprecation_warning(console)


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
    # The other view's page notices the change made elsewhere through its poll and says so too;
    # wait for that before reloading, so the count below does not race the poll.
    expect(inside(page, 0).locator("body")).to_have_attribute("data-connected", "true")
    followed = notebook.kernel.wait_until(
        STATUS_EVENTS, lambda ev: sum(1 for _, connected in ev if connected) >= 2
    )
    authorized, other = (view for view, connected in followed if connected)
    assert authorized == followed[2][0]  # the re-run view, where Connect was clicked
    assert other in {followed[0][0], followed[1][0]} - {authorized}
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
        STATUS_EVENTS, lambda ev: sum(1 for _, connected in ev if connected) >= 4
    )
    # 2 first loads, 1 re-run, 1 authorization, 1 followed by the other page, 2 reloads
    assert len(events) == 7
    assert notebook.kernel.value("w.connected") is True
    for i in range(2):
        expect(inside(page, i).locator("body")).to_have_attribute("data-connected", "true")


# --- 4. hostile frames -------------------------------------------------------------------------
FORGED = [
    {
        "type": "connectionStatusChange",
        "payload": {"id": 1, "provider": "forged", "connected": True},
    },
    {"type": "heightChange", "payload": {"height": 999}},
    {"type": "error", "payload": {"type": "forged", "message": "forged error"}},
]

POST_FORGED = """(messages) => {
  for (const m of messages) {
    parent.postMessage(JSON.stringify(m), "*");
    parent.postMessage(m, "*");
  }
}"""

COUNT_FORGED = """() => {
  window.__forgedSeen = 0;
  window.addEventListener("message", (event) => {
    const text = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
    if (text.includes("forged") || text.includes("999")) window.__forgedSeen += 1;
  });
}"""


def test_messages_from_other_frames_do_not_change_the_kernel_state(
    open_notebook: OpenNotebook,
    page: Page,
    sandbox: Sandbox,
    make_sandbox: Callable[..., Sandbox],
    vendor_key_file: Path,
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w"])
    notebook.run_all()
    wait_loaded(page)
    wait_status_views(notebook, 1)
    page.evaluate(COUNT_FORGED)
    elsewhere = make_sandbox()  # a second server: another origin
    sandbox.add_connection(2, "jira", connected=True)
    genuine_page_not_ours = TokenSigner(VENDOR_ID, vendor_key_file).sign(
        "acme", origin=notebook.server.base_url
    )
    hostile = {
        "same-origin-as-sandbox": f"{sandbox.base_url}/not-our-frame",
        "other-origin": f"{elsewhere.base_url}/elsewhere",
        "same-origin-as-notebook": "about:blank",
        # The sandbox's real page for another connection: it posts a genuine `connected: true`.
        "sandbox-page-not-ours": connection_url(sandbox.base_url, 2, genuine_page_not_ours),
    }

    for frame_id, src in hostile.items():
        page.evaluate(INJECT, [frame_id, src])
        handle = page.locator(f"#{frame_id}").element_handle()
        frame = handle.content_frame()
        assert frame is not None
        frame.wait_for_load_state()
        frame.evaluate(POST_FORGED, FORGED)
    page.evaluate(POST_FORGED.replace("parent.", "window."), FORGED)  # the notebook page itself
    forged_posts = 2 * len(FORGED) * (len(hostile) + 1)
    page.wait_for_function(f"() => window.__forgedSeen >= {forged_posts}")

    # A genuine event sent after the forged ones: once the kernel has it, it had them all.
    inside(page).locator("#connect").click()
    height = notebook.kernel.wait_until("w.height", lambda h: h not in (150, 999) and h > 200)
    expect(frames(page).first).to_have_attribute("style", re.compile(rf"height: {height}px"))
    state = notebook.kernel.value(
        "[w.connected, w.status, w.error, w.provider, [repr(e.event) for e in w.events "
        "if 'forged' in repr(e.event) or 'jira' in repr(e.event) or '999' in repr(e.event)]]"
    )
    assert state == [False, "disconnected", None, "salesforce", []]
    expect(status_lines(page).first).to_have_attribute("data-status", "disconnected")
    assert notebook.kernel.value("connected_changes") == [False]


# --- 5. saved widget state ---------------------------------------------------------------------


def test_saved_notebook_with_widget_state_holds_no_token(
    save_widget_state: None,
    open_notebook: OpenNotebook,
    page: Page,
    sandbox: Sandbox,
    vendor_key_file: Path,
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w", "w"])
    notebook.run_all()
    wait_loaded(page, 2)
    connect(page)
    notebook.kernel.wait_until("w.connected", lambda c: c is True)
    tokens = [
        parse_qs(urlparse(frames(page).nth(i).get_attribute("src") or "").query)[
            "workato_dl_token"
        ][0]
        for i in range(2)
    ]
    secrets = [*tokens, *sandbox.seen_jti]
    assert len(secrets) == 4

    saved = notebook.save()

    text = notebook.file_text()
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [m["state"] for m in state.values() if m["state"].get("connection_id") == 1]
    assert ours, "the saved widget state should hold the ConnectionWidget's model"
    assert ours[0]["status"] == "connected"
    for secret in secrets:
        assert secret not in text
    for marker in ("eyJ", "workato_dl_token", "PRIVATE KEY"):
        assert marker not in text


# --- 6. kernel restart -------------------------------------------------------------------------
def test_after_a_kernel_restart_the_widget_works_and_records_each_event_once(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w"])
    notebook.run_all()
    wait_loaded(page)
    wait_status_views(notebook, 1)
    old_src = frames(page).first.get_attribute("src") or ""
    notebook.kernel.execute("before_restart = True")

    notebook.restart_kernel()
    assert notebook.kernel.value("'before_restart' in globals()") is False
    notebook.run_all()

    expect(frames(page)).to_have_count(1)
    expect(frames(page).first).not_to_have_attribute("src", old_src)
    wait_loaded(page)
    connect(page)
    notebook.kernel.wait_until("w.connected", lambda c: c is True)
    inside(page).locator("#disconnect").click()
    notebook.kernel.wait_until("w.connected", lambda c: c is False)
    events = notebook.kernel.value(STATUS_EVENTS)
    assert [connected for _, connected in events] == [False, True, False]
    assert len({view for view, _ in events}) == 1
    assert notebook.kernel.value("connected_changes") == [False, True, False]
    expect(status_lines(page)).to_have_count(1)
    expect(status_lines(page).first).to_have_attribute("data-status", "disconnected")


@BOTH_FRONTENDS
def test_a_restarted_kernel_turns_the_view_offline_with_nothing_stale_shown(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w"])
    notebook.run_all()
    wait_loaded(page)
    connect(page)
    notebook.kernel.wait_until("w.connected", lambda c: c is True)
    status = status_lines(page).first
    expect(status).to_contain_text("Connected")

    notebook.restart_kernel()  # and nothing is run again

    expect(status).to_have_attribute("data-status", "offline", timeout=10_000)
    expect(status).to_contain_text("needs a running Python kernel")
    expect(status).not_to_contain_text("Connected")
    expect(frames(page).first).to_be_hidden()
    expect(frames(page).first).to_have_attribute("src", "about:blank")
    expect(page.locator(".workato-open-tab").first).to_be_hidden()


# --- 7. refusals and diagnostics ---------------------------------------------------------------
def test_replayed_token_is_refused_with_the_reason_in_error_and_status_line(
    open_notebook: OpenNotebook,
    page: Page,
    server: JupyterServer,
    sandbox: Sandbox,
    vendor_key_file: Path,
) -> None:
    one_token = (
        "from workato_ipywidget import ConnectionWidget, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(vendor_key_file)!r})\n"
        f"token = signer.sign('acme', origin={server.base_url!r})\n"
        f"w = ConnectionWidget(1, token=token, base_url={sandbox.base_url!r})\n"
    )
    notebook = open_notebook([one_token, "w", "w.reload()"])
    notebook.run_cell(0)
    notebook.run_cell(1)
    wait_loaded(page)
    wait_status_views(notebook, 1)

    notebook.run_cell(2)  # the same token again: Workato refuses a replay

    wait_loaded(page, kind="error")
    expect(inside(page).locator("body")).to_have_attribute("data-error", "replayed_token")
    error = notebook.kernel.wait_until("w.error", lambda e: bool(e))
    assert "already used" in error
    assert notebook.kernel.value("w.status") == "error"
    status = status_lines(page).first
    expect(status).to_have_attribute("data-status", "error")
    expect(status).to_contain_text("already used")
    assert sandbox.refusals[-1].code == "replayed_token"


def test_origin_missing_from_the_allowlist_is_diagnosed_naming_the_page_origin(
    open_notebook: OpenNotebook,
    page: Page,
    make_sandbox: Callable[..., Sandbox],
    vendor_key_file: Path,
) -> None:
    strict = make_sandbox(allowed_origins=["https://notebooks.example.com"])
    notebook = open_notebook(
        [setup_cell(strict, vendor_key_file, options=", diagnose_after=2"), "w"]
    )
    notebook.run_all()
    wait_loaded(page)
    expect(inside(page).locator("body")).to_have_attribute("data-silent", "origin_not_allowed")

    error = notebook.kernel.wait_until("w.error", lambda e: bool(e), timeout=20)

    origin = notebook.server.base_url
    assert origin in error
    assert "allowed origins" in error
    assert notebook.kernel.value("w.status") == "error"
    assert notebook.kernel.value("w.connected") is None
    status = status_lines(page).first
    expect(status).to_have_attribute("data-status", "error")
    expect(status).to_contain_text(origin)
    assert [r.code for r in strict.refusals] == ["origin_not_allowed"]
