"""The sandbox's connection page in real Chromium: what the widget's bridge relies on.

The page is embedded by a plain host page on `localhost`, so the sandbox on 127.0.0.1 really
is another origin, and every message the host receives is recorded with its origin.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from workato_ipywidget.sandbox import Sandbox

HOST_PAGE = b"""<!doctype html><meta charset="utf-8"><body><script>
window.messages = [];
window.addEventListener("message", (e) => window.messages.push({origin: e.origin, data: e.data}));
</script><iframe id="workato" style="width:500px;height:150px;border:0"></iframe></body>"""


class _HostPageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(HOST_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def host_origin() -> Iterator[str]:
    """A page on `localhost`, so that the sandbox on 127.0.0.1 really is another origin."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostPageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_connection(1, "salesforce")
        yield server


@pytest.fixture
def allowlisted() -> Iterator[Sandbox]:
    with Sandbox(allowed_origins=["http://localhost:8888"]) as server:
        server.add_connection(1, "salesforce")
        yield server


class HostPage:
    """The embedding page: loads the sandbox iframe and reads what it posted."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.page.goto(origin + "/")
        self.frame = self.page.frame_locator("#workato")

    def load(self, url: str) -> None:
        self.page.evaluate("url => { document.getElementById('workato').src = url; }", url)

    def messages(self, count: int = 0) -> list[dict[str, Any]]:
        """Wait for the first `count` messages; return all so far, parsed, with their origin."""
        self.page.wait_for_function("n => window.messages.length >= n", arg=count)
        raw = self.page.evaluate("window.messages")
        return [{"origin": m["origin"], **json.loads(m["data"])} for m in raw]

    def next_status(self, after: int) -> tuple[dict[str, Any], int]:
        """Wait for a connectionStatusChange posted after the first `after` messages."""
        self.page.wait_for_function(
            """n => window.messages.slice(n).some(
                   m => JSON.parse(m.data).type === "connectionStatusChange")""",
            arg=after,
        )
        messages = self.messages()
        for index in range(after, len(messages)):
            if messages[index]["type"] == "connectionStatusChange":
                return messages[index], index + 1
        raise AssertionError("unreachable: the status message was just seen")


def test_page_in_a_browser_posts_height_and_status_then_follows_the_buttons(
    sandbox: Sandbox, page: Page, host_origin: str
) -> None:
    sandbox.add_connection(20, "salesforce")
    host = HostPage(page, host_origin)
    token = urllib.parse.quote(sandbox.signer.sign("acme", origin=host_origin), safe="")
    host.load(f"{sandbox.base_url}/direct_link/embedded/connections/20?workato_dl_token={token}")

    loaded = host.messages(2)
    assert {m["origin"] for m in loaded} == {sandbox.base_url}
    assert [m["type"] for m in loaded] == ["heightChange", "connectionStatusChange"]
    assert loaded[1]["payload"] == {"id": 20, "provider": "salesforce", "connected": False}
    closed_height = loaded[0]["payload"]["height"]

    host.frame.locator("#connect").click()
    opened = host.messages(3)[2]
    assert opened["type"] == "heightChange"
    assert opened["payload"]["height"] > closed_height

    host.frame.locator("#fail").click()
    failed, seen = host.next_status(after=3)
    assert failed["payload"]["connected"] is False
    assert failed["payload"]["error"] == "Authorization failed: invalid credentials"

    host.frame.locator("#connect").click()
    host.frame.locator("#authorize").click()
    connected, seen = host.next_status(after=seen)
    assert connected["payload"] == {"id": 20, "provider": "salesforce", "connected": True}
    assert sandbox.connection(20).connected is True

    host.frame.locator("#disconnect").click()
    disconnected, _ = host.next_status(after=seen)
    assert disconnected["payload"] == {"id": 20, "provider": "salesforce", "connected": False}
    assert sandbox.connection(20).connected is False


def test_page_in_a_browser_posts_the_error_of_a_refusal(
    sandbox: Sandbox, page: Page, host_origin: str
) -> None:
    host = HostPage(page, host_origin)
    host.load(f"{sandbox.base_url}/direct_link/embedded/connections/1?workato_dl_token=x.y.z")

    error = host.messages(1)[0]
    assert error["type"] == "error"
    assert error["payload"]["type"] == "invalid_token"


def test_page_in_a_browser_posts_nothing_to_a_disallowed_origin(
    allowlisted: Sandbox, page: Page, host_origin: str
) -> None:
    host = HostPage(page, host_origin)
    token = urllib.parse.quote(allowlisted.signer.sign("acme", origin=host_origin), safe="")
    host.load(f"{allowlisted.base_url}/direct_link/embedded/connections/1?workato_dl_token={token}")
    host.frame.locator("#connect").click()
    host.frame.locator("#authorize").click()
    host.frame.locator("body[data-connected='true']").wait_for()
    # Absence cannot be awaited: give any stray post a moment to cross processes.
    host.page.wait_for_timeout(300)

    assert host.page.evaluate("window.messages") == []
    assert allowlisted.connection(1).connected is True


def test_page_in_a_browser_refuses_a_token_for_another_customers_connection(
    sandbox: Sandbox, page: Page, host_origin: str
) -> None:
    sandbox.add_customer("beta")
    sandbox.add_connection(30, "jira", customer_id="acme")
    host = HostPage(page, host_origin)
    token = urllib.parse.quote(sandbox.signer.sign("beta", origin=host_origin), safe="")
    host.load(f"{sandbox.base_url}/direct_link/embedded/connections/30?workato_dl_token={token}")

    error = host.messages(1)[0]
    assert error["type"] == "error"
    assert error["payload"]["type"] == "unknown_connection"
    assert error["wk"] is True
    host.frame.locator("body[data-error='unknown_connection']").wait_for()
    assert sandbox.refusals[-1].code == "unknown_connection"


def test_an_open_page_reports_a_connection_lost_elsewhere(
    sandbox: Sandbox, page: Page, host_origin: str
) -> None:
    sandbox.add_connection(31, "salesforce", connected=True)
    host = HostPage(page, host_origin)
    token = urllib.parse.quote(sandbox.signer.sign("acme", origin=host_origin), safe="")
    host.load(f"{sandbox.base_url}/direct_link/embedded/connections/31?workato_dl_token={token}")
    loaded, seen = host.next_status(after=0)
    assert loaded["payload"]["connected"] is True
    assert loaded["wk"] is True

    sandbox.lose_connection(31, "the refresh token was revoked")

    lost, _ = host.next_status(after=seen)
    assert lost["payload"]["connected"] is False
    assert lost["payload"]["error"] == "Connection lost: the refresh token was revoked"
    host.frame.locator("body[data-connected='false']").wait_for()
