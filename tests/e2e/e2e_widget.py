"""The ConnectionWidget's view as any frontend shows it: its iframe, status line and console.

Shared by the JupyterLab / Notebook 7 tests and the Voila / marimo ones: the view is the same
bundle everywhere, so finding its iframe, clicking through the sandbox's page and reading the
console work the same way in each frontend.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
from playwright.sync_api import FrameLocator, Locator, Page, expect

from workato_ipywidget.sandbox import Sandbox

VENDOR_ID = "e2e-vendor"  # the vendor whose key the `make_sandbox` fixture registers
CUSTOMER_ID = "acme"


STATUS_EVENTS = (
    "[[e.view, e.event.connected] for e in w.events "
    "if type(e.event).__name__ == 'ConnectionStatusChange']"
)
"""An expression for the kernel probe: each status event's view and `connected`, in order."""

INJECT = """([id, src]) => {
  const frame = document.createElement("iframe");
  frame.id = id;
  frame.src = src;
  document.body.append(frame);
}"""
"""Page script: add an iframe of our own (another frame on the notebook page) at `src`."""


def jti_of(frame: Locator) -> str:
    """The jti of the token in an iframe's URL (read from the page, never from the kernel)."""
    src = frame.get_attribute("src") or ""
    token = parse_qs(urlparse(src).query)["workato_dl_token"][0]
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def setup_cell(sandbox: Sandbox, key_file: Path, *, options: str = "") -> str:
    """Code that creates `w` on the sandbox's Salesforce connection, signing in the kernel."""
    return (
        "from workato_ipywidget import ConnectionWidget, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(key_file)!r})\n"
        f"w = ConnectionWidget(1, signer=signer, customer_id={CUSTOMER_ID!r}, "
        f"base_url={sandbox.base_url!r}{options})\n"
        "connected_changes = []\n"
        "w.observe(lambda change: connected_changes.append(change['new']), names='connected')\n"
    )


def frames(page: Page) -> Locator:
    return page.locator("iframe.workato-connection-frame")


def inside(page: Page, index: int = 0) -> FrameLocator:
    """The sandbox's connection page inside our `index`-th iframe."""
    return frames(page).nth(index).content_frame


def status_lines(page: Page) -> Locator:
    return page.locator(".workato-connection-status")


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
    """Click Connect, then Authorize (or Fail) inside our `index`-th iframe, as a user does.

    A user whose click did not take clicks again; so does this, once. Playwright waits until the
    button is still inside its iframe, but not until the iframe is still in the page: when a
    status line or a re-run cell above pushes the iframe down just as the click is sent, the
    click lands beside the button. A page whose buttons do not work fails the second try too.
    """
    frame = inside(page, index)
    click_as_a_user(frame.locator("#connect"))
    click_as_a_user(frame.locator("#authorize" if succeed else "#fail"))


def click_as_a_user(button: Locator) -> None:
    """Click `button`, and once more if it is still there to click 5 s later (the click was lost).

    Connect, Authorize and Fail each hide themselves once they have acted (Authorize and Fail
    when the sandbox has answered); a button still shown and enabled was never clicked.
    """
    button.click()
    try:
        expect(button).to_be_hidden(timeout=5_000)
    except AssertionError:
        if button.is_visible() and button.is_enabled():
            button.click()


def assert_no_deprecation_warning(console: list[str]) -> None:
    """No console message of the page so far mentions a deprecation (anywidget logs one when
    a bundle exports `render` by name besides `export default { render }`), and no warning or
    error names anywidget or this package (a failing bundle, a rejected model message)."""
    warned = [
        line
        for line in console
        if re.search(r"deprecat", line, re.IGNORECASE)
        or (line.startswith(_COMPLAINTS) and re.search(r"anywidget|workato", line, re.IGNORECASE))
    ]
    assert not warned, "the console has warnings about our widgets:\n" + "\n".join(warned)


_COMPLAINTS = ("[warning]", "[error]", "[pageerror]")
