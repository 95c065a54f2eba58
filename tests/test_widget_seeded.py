"""ConnectionWidget(api=...): seeded from the Embedded API of a running sandbox, over real HTTP.

Each status Workato reports becomes the widget's traits; the iframe's own messages win over an
API answer read before them; a failing API becomes `error` and a log line, never an exception
and never a token; and while a view's "Open in a new tab" page is open the widget follows the
connection through the API until it is connected, the tab closes, or the time cap passes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from accounts import GLOBEX_ZOOM, HUBSPOT, JIRA, JIRA_ERROR, SF, SLACK, SLACK_LOST, ZENDESK
from fakes import PAGE_ORIGIN, FakeFrontend

from workato_ipywidget import ConnectionWidget, EmbeddedApi
from workato_ipywidget.sandbox import RateLimits, Sandbox


@pytest.fixture
def make(
    accounts: Sandbox, accounts_api: EmbeddedApi, closing: Callable[[Any], Any]
) -> Callable[..., ConnectionWidget]:
    def make_(connection_id: int, **kwargs: Any) -> ConnectionWidget:
        options = {"api": accounts_api, "signer": accounts.signer, "customer_id": "acme",
                   "base_url": accounts.base_url, **kwargs}  # fmt: skip
        return closing(ConnectionWidget(connection_id, **options))  # type: ignore[no-any-return]

    return make_


def state(widget: ConnectionWidget) -> tuple[object, ...]:
    return widget.status, widget.connected, widget.provider, widget.error


def reached(
    widget: ConnectionWidget, name: str, predicate: Callable[[Any], bool]
) -> threading.Event:
    """An event set once trait `name` satisfies `predicate` (changed from any thread)."""
    done = threading.Event()

    def check(change: dict[str, Any]) -> None:
        if predicate(change["new"]):
            done.set()

    widget.observe(check, names=name)
    if predicate(getattr(widget, name)):
        done.set()
    return done


# -- seeded on creation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("connection_id", "expected"),
    [
        (SF, ("connected", True, "salesforce", None)),
        (JIRA, ("error", False, "jira", JIRA_ERROR)),
        (ZENDESK, ("error", False, "zendesk", "Zendesk raised a timeout")),
        (SLACK, ("disconnected", False, "slack", f"Connection lost: {SLACK_LOST}")),
        (HUBSPOT, ("disconnected", False, "hubspot", None)),
    ],
    ids=["success", "failed", "exception", "lost", "never-authorized"],
)
def test_each_api_status_becomes_the_widgets_state_before_any_view(
    make: Callable[..., ConnectionWidget], connection_id: int, expected: tuple[object, ...]
) -> None:
    widget = make(connection_id)

    assert state(widget) == expected
    assert widget.api_record is not None
    assert widget.api_record.id == connection_id


def test_without_api_the_widget_waits_for_the_iframe(accounts: Sandbox) -> None:
    widget = ConnectionWidget(SF, signer=accounts.signer, customer_id="acme")

    assert state(widget) == ("loading", None, None, None)
    assert widget.api_record is None


def test_a_token_provider_takes_customer_id_for_the_api_only(
    accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    minted: list[str] = []

    def provider(origin: str) -> str:
        minted.append(origin)
        return accounts.signer.sign("acme", origin=origin)

    widget = ConnectionWidget(
        SF,
        api=accounts_api,
        token_provider=provider,
        customer_id="acme",
        base_url=accounts.base_url,
    )

    assert widget.status == "connected"
    assert FakeFrontend(widget).ready()["kind"] == "load"
    assert minted == [PAGE_ORIGIN]


def test_a_token_provider_without_customer_id_is_refused_naming_what_to_add(
    accounts_api: EmbeddedApi,
) -> None:
    with pytest.raises(TypeError, match=r"api= .* needs customer_id="):
        ConnectionWidget(SF, api=accounts_api, token_provider=lambda origin: "a.b.c")


def test_api_must_be_an_embedded_api(accounts: Sandbox) -> None:
    with pytest.raises(TypeError, match="api must be an EmbeddedApi, got str"):
        ConnectionWidget(SF, api="token", signer=accounts.signer, customer_id="acme")  # type: ignore[arg-type]


def test_a_poll_interval_that_would_crowd_workatos_rate_limit_is_refused(
    make: Callable[..., ConnectionWidget],
) -> None:
    with pytest.raises(ValueError, match=r"poll_every=0.5 s is too often: Workato allows 1,000"):
        make(SF, poll_every=0.5)


def test_reload_reads_the_api_again(
    make: Callable[..., ConnectionWidget], accounts: Sandbox
) -> None:
    widget = make(HUBSPOT)
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)

    widget.reload()

    assert state(widget) == ("connected", True, "hubspot", None)


def test_a_silent_iframe_diagnosis_never_brings_back_a_status_the_api_has_since_replaced(
    make: Callable[..., ConnectionWidget], accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    widget = make(HUBSPOT)
    assert state(widget) == ("disconnected", False, "hubspot", None)
    front = FakeFrontend(widget)
    front.ready()
    front.deliver({"kind": "silent", "view": "view-1", "origin": PAGE_ORIGIN, "seconds": 15})
    assert widget.status == "error"
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    record = next(r for r in accounts_api.connections("acme") if r.id == HUBSPOT)
    widget.take_record(record)  # an API read (a panel's, say) replaces the diagnosis

    # The iframe speaks at last, which takes the diagnosis back: the status it had replaced
    # ("disconnected") must not return over the API's newer word.
    front.post({"type": "heightChange", "payload": {"height": 320}})

    assert state(widget) == ("connected", True, "hubspot", None)


# -- the iframe's word wins -----------------------------------------------------------------


def test_an_iframe_message_after_the_read_began_is_not_overwritten_by_it(
    make: Callable[..., ConnectionWidget], accounts_api: EmbeddedApi
) -> None:
    widget = make(HUBSPOT)
    page = FakeFrontend(widget)
    page.ready()
    said = widget.iframe_reports
    record = next(r for r in accounts_api.connections("acme") if r.id == HUBSPOT)  # read before

    page.post({"type": "connectionStatusChange", "payload": {"id": HUBSPOT, "connected": True}})
    assert widget.take_record(record, reports_before=said) is False

    assert state(widget) == ("connected", True, "hubspot", None)
    assert widget.api_record is not None
    assert widget.api_record.connected is False  # the record is kept; the traits are the iframe's


def test_an_iframe_message_overrides_the_api_seed(make: Callable[..., ConnectionWidget]) -> None:
    widget = make(SF)
    page = FakeFrontend(widget)
    page.ready()

    page.post({"type": "connectionStatusChange", "payload": {"id": SF, "connected": False}})

    assert widget.status == "disconnected"
    assert widget.connected is False


# -- a failing API --------------------------------------------------------------------------


def test_an_unknown_customer_is_an_error_naming_it_not_an_exception(
    make: Callable[..., ConnectionWidget], caplog: pytest.LogCaptureFixture
) -> None:
    widget = make(SF, signer=None, token="a.b.c", customer_id="initech")

    assert widget.status == "error"
    assert "answered 404" in widget.error
    assert "initech" in widget.error
    assert any("initech" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_a_connection_of_another_customer_is_an_error_naming_both(
    make: Callable[..., ConnectionWidget],
) -> None:
    widget = make(GLOBEX_ZOOM)

    assert widget.status == "error"
    assert widget.error.startswith(f"Workato's Embedded API lists no connection {GLOBEX_ZOOM}")
    assert "'acme'" in widget.error


def test_a_refused_api_token_is_an_error_that_shows_no_token(
    accounts: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-api-token-" + "x" * 20
    caplog.set_level(logging.DEBUG)
    with EmbeddedApi(wrong, base_url=accounts.base_url) as bad:
        widget = ConnectionWidget(
            SF, api=bad, signer=accounts.signer, customer_id="acme", base_url=accounts.base_url
        )
        reply = FakeFrontend(widget).ready()

    assert widget.status == "error"
    assert "answered 401" in widget.error
    assert "check the API token" in widget.error
    token = reply["url"].split("workato_dl_token=")[1]
    shown = [widget.error, repr(widget), caplog.text]
    for secret in (wrong, accounts.api_token, token):
        assert all(secret not in text for text in shown)


def test_an_unreachable_api_is_an_error_and_the_iframe_still_loads(
    accounts: Sandbox,
) -> None:
    with Sandbox() as gone:
        address = gone.base_url
    with EmbeddedApi(accounts.api_token, base_url=address, timeout=2) as unreachable:
        widget = ConnectionWidget(
            SF, api=unreachable, signer=accounts.signer, customer_id="acme", base_url=address
        )

    assert widget.status == "error"
    assert "could not reach" in widget.error
    assert FakeFrontend(widget).ready()["kind"] == "load"


# -- following the API while the page is open in a tab --------------------------------------


def open_tab(page: FakeFrontend, view: str = "view-1") -> dict[str, Any]:
    page.deliver({"kind": "open_tab", "view": view, "origin": PAGE_ORIGIN})
    return page.sent[-1]


def test_an_open_tab_polls_until_the_connection_is_connected(
    make: Callable[..., ConnectionWidget], accounts: Sandbox
) -> None:
    widget = make(HUBSPOT, poll_every=2)
    page = FakeFrontend(widget)
    page.ready()
    assert open_tab(page)["kind"] == "tab"
    poller = widget._poller
    assert poller is not None
    assert poller.running

    connected = reached(widget, "connected", lambda value: value is True)
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)  # done in the tab

    assert connected.wait(15)
    poller.join(10)
    assert not poller.running
    assert widget.status == "connected"


def test_closing_the_last_tab_reads_once_more_then_stops(
    make: Callable[..., ConnectionWidget], accounts: Sandbox
) -> None:
    widget = make(HUBSPOT, poll_every=60)  # no second round before the tab closes
    page = FakeFrontend(widget)
    page.ready()
    open_tab(page, "view-1")
    open_tab(page, "view-2")
    poller = widget._poller
    assert poller is not None
    connected = reached(widget, "connected", lambda value: value is True)
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)

    page.deliver({"kind": "tab_closed", "view": "view-1"})
    assert poller.running  # another tab is still open
    page.deliver({"kind": "tab_closed", "view": "view-2"})

    assert connected.wait(15)
    poller.join(10)
    assert not poller.running


def test_closing_the_tab_after_polling_stopped_still_reads_once_more(
    make: Callable[..., ConnectionWidget], accounts: Sandbox
) -> None:
    widget = make(HUBSPOT, poll_every=2)
    page = FakeFrontend(widget)
    page.ready()
    open_tab(page)
    poller = widget._poller
    assert poller is not None
    connected = reached(widget, "connected", lambda value: value is True)
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    assert connected.wait(15)
    poller.join(10)
    assert not poller.running  # connected: polling is done, though the tab is still open
    disconnected = reached(widget, "connected", lambda value: value is False)
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot")  # disconnected in the tab

    page.deliver({"kind": "tab_closed", "view": "view-1"})

    assert disconnected.wait(15)
    poller.join(10)
    assert not poller.running
    assert widget.status == "disconnected"


def test_polling_stops_at_its_time_cap(make: Callable[..., ConnectionWidget]) -> None:
    widget = make(HUBSPOT, poll_every=2, poll_for=0.1)
    page = FakeFrontend(widget)
    page.ready()
    open_tab(page)
    poller = widget._poller
    assert poller is not None

    poller.join(10)

    assert not poller.running
    assert widget._tabs == {"view-1"}  # the tab is still open: the cap ended it


def test_without_api_an_open_tab_polls_nothing(accounts: Sandbox) -> None:
    widget = ConnectionWidget(SF, signer=accounts.signer, customer_id="acme")
    page = FakeFrontend(widget)
    page.ready()

    assert open_tab(page)["kind"] == "tab"
    assert widget._poller is None


def test_a_rate_limited_poll_says_so_in_error_and_keeps_the_status(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Sandbox(rate_limits=RateLimits(list_connections=1, window=60)) as limited:
        limited.add_connection(HUBSPOT, "hubspot", name="HubSpot")
        with EmbeddedApi(limited.api_token, base_url=limited.base_url, max_retries=0) as api:
            widget = ConnectionWidget(
                HUBSPOT, api=api, signer=limited.signer, customer_id="acme",
                base_url=limited.base_url, poll_every=2,
            )  # fmt: skip
            assert widget.status == "disconnected"  # the one request this minute allows
            page = FakeFrontend(widget)
            page.ready()
            limited_now = reached(widget, "error", lambda text: bool(text))

            open_tab(page)

            assert limited_now.wait(15)
            assert "answered 429" in widget.error
            assert widget.status == "disconnected"
            assert widget._poller is not None
            assert widget._poller.running  # it waits what Workato asks, then tries again
            widget.close()
            widget._poller.join(10)
            assert not widget._poller.running
    assert "429" in caplog.text


async def test_polled_state_reaches_a_cell_awaiting_wait_for(
    make: Callable[..., ConnectionWidget], accounts: Sandbox
) -> None:
    widget = make(HUBSPOT, poll_every=2)
    page = FakeFrontend(widget)
    page.ready()
    open_tab(page)
    applied_on: list[int] = []
    widget.observe(lambda _change: applied_on.append(threading.get_ident()), names="connected")

    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    value = await widget.wait_for("connected", lambda v: v is True, timeout=15)

    assert value is True
    assert applied_on == [threading.get_ident()]  # applied on the loop's thread, not the poller's
    await asyncio.to_thread(widget._poller.join, 10)  # type: ignore[union-attr]
