"""The "Open in a new tab" fallback in Chromium, for frontends whose iframes cannot finish OAuth.

The click opens the connection page top-level with a token the kernel signs at click time (a new
`jti`, refused on replay); authorizing there reaches the widget through the Embedded API, since a
top-level page has no parent to post to; and the notebook page never held that token before.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from e2e_notebook import OpenNotebook
from e2e_widget import (
    STATUS_EVENTS,
    frames,
    jti_of,
    setup_cell,
    status_lines,
    wait_loaded,
)
from playwright.sync_api import Page, expect

from workato_ipywidget.sandbox import Sandbox


def test_a_new_tab_gets_a_fresh_single_use_token_and_the_widget_follows_it_through_the_api(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    api = (
        "from workato_ipywidget import EmbeddedApi\n"
        f"api = EmbeddedApi({sandbox.api_token!r}, base_url={sandbox.base_url!r})\n"
    )
    notebook = open_notebook(
        [api + setup_cell(sandbox, vendor_key_file, options=", api=api, new_tab_link=True"), "w"]
    )
    notebook.run_all()
    wait_loaded(page)
    notebook.kernel.wait_until("[w.connected, w.status]", lambda v: v == [False, "disconnected"])
    iframe_jti = jti_of(frames(page).first)
    before = page.content()

    link = page.locator("a.workato-open-tab")
    expect(link).to_be_visible()
    with page.expect_popup() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_url(re.compile(r"/direct_link/embedded/connections/1\?workato_dl_token="))
    url = tab.url
    token = parse_qs(urlparse(url).query)["workato_dl_token"][0]
    claims = jwt.decode(token, options={"verify_signature": False})

    assert claims["jti"] != iframe_jti
    assert claims["origin"] == notebook.server.base_url
    assert token not in before
    assert claims["jti"] not in before
    assert token not in page.content()  # nor after: it went straight into the tab

    # Where the iframe cannot finish OAuth it has nothing to report either: silence the inline
    # page (it would otherwise learn of the change and post it), so only the API can tell.
    inline = frames(page).first.element_handle().content_frame()
    assert inline is not None
    inline.evaluate("() => window.stop() || document.open() || document.close()")
    statuses_before = notebook.kernel.value(STATUS_EVENTS)

    expect(tab.locator("body[data-page='connection']")).to_be_attached()
    tab.locator("#connect").click()
    tab.locator("#authorize").click()
    expect(tab.locator("body")).to_have_attribute("data-connected", "true")

    notebook.kernel.wait_until("[w.connected, w.status]", lambda v: v == [True, "connected"])
    assert notebook.kernel.value(STATUS_EVENTS) == statuses_before  # no message from a page
    assert notebook.kernel.value("w.api_record.authorization_status") == "success"
    expect(status_lines(page).first).to_have_attribute("data-status", "connected")

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)  # the same URL again: its token was used
    with refused.value as answer:
        assert answer.code == 401
        assert b'data-error="replayed_token"' in answer.read()
    tab.close()
    notebook.kernel.wait_until("len(w._tabs)", lambda n: n == 0)
