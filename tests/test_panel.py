"""ConnectionsPanel against a running accounts over real HTTP (never a stand-in for the API).

Records and their order, filters, scoping to one customer, lazy expand / collapse, rows that
follow their opened widget at once, on_change, wait_for, refresh, polling while shown, and every
error case: each shows in `error` and nothing raises out of the page's messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import traitlets
from accounts import (
    ASANA,
    GLOBEX_ZOOM,
    HUBSPOT,
    JIRA,
    JIRA_ERROR,
    SF,
    SLACK,
    SLACK_LOST,
    ZENDESK,
)
from fakes import PAGE_ORIGIN, FakeFrontend
from ipywidgets.widgets.widget import _instances

from workato_ipywidget import Connection, ConnectionsPanel, ConnectionWidget, EmbeddedApi
from workato_ipywidget.panel import REFRESH_SPACING
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def make(
    accounts: Sandbox, accounts_api: EmbeddedApi, closing: Callable[[Any], Any]
) -> Callable[..., ConnectionsPanel]:
    def make_(customer_id: str = "acme", **kwargs: Any) -> ConnectionsPanel:
        options = {"api": accounts_api, "signer": accounts.signer, **kwargs}
        return closing(ConnectionsPanel(customer_id, **options))  # type: ignore[no-any-return]

    return make_


@pytest.fixture
def panel(make: Callable[..., ConnectionsPanel]) -> ConnectionsPanel:
    return make()


def ids(records: tuple[Connection, ...] | list[dict[str, Any]]) -> list[int]:
    return [r["id"] if isinstance(r, dict) else r.id for r in records]


def post_status(widget: ConnectionWidget, **payload: Any) -> FakeFrontend:
    """Play the widget's view: render it, then forward a status from its iframe."""
    page = FakeFrontend(widget)
    page.ready()
    page.post(
        {"type": "connectionStatusChange", "payload": {"id": widget.connection_id, **payload}}
    )
    return page


def connection_widgets() -> int:
    return sum(isinstance(w, ConnectionWidget) for w in list(_instances.values()))


# -- records, order, scoping ----------------------------------------------------------------


def test_rows_show_the_customers_connections_problems_first(panel: ConnectionsPanel) -> None:
    assert panel.status == "ready"
    assert panel.error is None
    assert ids(panel.connections) == [JIRA, ZENDESK, SLACK, ASANA, HUBSPOT, SF]
    assert [r["status"] for r in panel.rows] == [
        "failed",
        "failed",
        "lost",
        "not_connected",
        "not_connected",
        "connected",
    ]
    assert ids(panel.rows) == ids(panel.connections)
    jira = panel.rows[0]
    assert jira["error"] == JIRA_ERROR
    assert jira["when_kind"] == "failed"
    assert panel.rows[1]["error"] == "Zendesk raised a timeout"
    slack = panel.rows[2]
    assert slack["error"] == f"Connection lost: {SLACK_LOST}"
    assert slack["when_kind"] == "lost"
    assert panel.rows[-1]["when_kind"] == "authorized"
    assert panel.rows[-1]["when"] == panel.connections[-1].authorized_at.isoformat()  # type: ignore[union-attr]


def test_a_failed_authorization_wins_over_a_loss_in_the_row(
    make: Callable[..., ConnectionsPanel], accounts: Sandbox
) -> None:
    accounts.lose_connection(JIRA, "the grant was revoked")  # Jira had failed already

    panel = make()

    row = next(r for r in panel.rows if r["id"] == JIRA)
    assert (row["status"], row["error"]) == ("failed", JIRA_ERROR)
    assert panel.visible[0].id in (JIRA, ZENDESK)  # still among the failed, first
    panel.status_filter = "lost"
    assert [r.id for r in panel.visible] == [SLACK]


def test_another_customers_connections_never_appear(make: Callable[..., ConnectionsPanel]) -> None:
    acme = make("acme")
    globex = make("globex")

    assert GLOBEX_ZOOM not in ids(acme.connections)
    assert ids(globex.connections) == [GLOBEX_ZOOM]
    with pytest.raises(LookupError, match=r"connection 9 is not one of 'acme'"):
        acme.expand(GLOBEX_ZOOM)


def test_rows_carry_only_what_the_table_shows_and_no_secret(
    panel: ConnectionsPanel, accounts: Sandbox
) -> None:
    widget = panel.expand(SF)
    token_url = FakeFrontend(widget).ready()["url"]

    state = json.dumps(panel.get_state(), default=str)

    assert {frozenset(row) for row in panel.rows} == {
        frozenset({"id", "name", "provider", "status", "error", "when", "when_kind", "recipes"})
    }
    for secret in (accounts.api_token, token_url.split("workato_dl_token=")[1]):
        assert secret not in state
        assert secret not in repr(panel)


# -- filters --------------------------------------------------------------------------------


def test_the_filter_box_matches_name_or_provider_ignoring_case(panel: ConnectionsPanel) -> None:
    panel.filter_text = "  SLACK "
    assert ids(panel.visible) == [SLACK]
    panel.filter_text = "tasks"
    assert ids(panel.visible) == [ASANA]
    panel.filter_text = "nothing like it"
    assert panel.visible == ()


def test_the_status_filter_keeps_one_status_and_refuses_others(panel: ConnectionsPanel) -> None:
    panel.status_filter = "not_connected"
    assert ids(panel.visible) == [ASANA, HUBSPOT]
    panel.filter_text = "hub"
    assert ids(panel.visible) == [HUBSPOT]
    with pytest.raises(traitlets.TraitError):
        panel.status_filter = "pending"


# -- lazy expand / collapse -----------------------------------------------------------------


def test_a_panel_of_200_connections_creates_no_widget_and_signs_nothing_until_opened(
    accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    accounts.add_customer("big", name="Big")
    for n in range(200):
        accounts.add_connection(1000 + n, "salesforce", customer_id="big", name=f"SF {n:03}")
    minted: list[str] = []
    before = connection_widgets()

    panel = ConnectionsPanel(
        "big",
        api=accounts_api,
        token_provider=lambda origin: minted.append(origin) or accounts.signer.sign("big"),
    )

    assert len(panel.connections) == 200
    assert connection_widgets() == before
    assert panel.widgets == {}
    assert minted == []
    widget = panel.expand(1007)
    assert connection_widgets() == before + 1
    assert minted == []  # a token is signed only when a view of the widget asks
    FakeFrontend(widget).ready()
    assert minted == [PAGE_ORIGIN]
    panel.close()


def test_expand_opens_one_seeded_widget_synced_as_a_widget_ref(
    panel: ConnectionsPanel, accounts: Sandbox
) -> None:
    widget = panel.expand(JIRA)

    assert panel.expand(str(JIRA)) is widget
    assert dict(panel.widgets) == {JIRA: widget}
    assert (widget.status, widget.connected, widget.error) == (
        "error",
        False,
        JIRA_ERROR,
    )
    assert widget.base_url == accounts.base_url
    assert panel.get_state()["expanded"] == {str(JIRA): f"anywidget:{widget.model_id}"}


def test_collapse_closes_the_widget_and_forgets_it(panel: ConnectionsPanel) -> None:
    widget = panel.expand(SF)

    panel.collapse(SF)
    panel.collapse(SF)  # twice is harmless

    assert panel.widgets == {}
    assert widget.comm is None
    assert panel.get_state()["expanded"] == {}


def test_a_click_on_a_row_expands_it_and_a_second_collapses_it(panel: ConnectionsPanel) -> None:
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})
    assert page.sent[-1] == {"kind": "hello", "view": "p1"}

    page.deliver({"kind": "expand", "view": "p1", "id": SLACK})
    assert list(panel.widgets) == [SLACK]
    page.deliver({"kind": "collapse", "view": "p1", "id": SLACK})
    assert panel.widgets == {}


def test_the_pages_refresh_button_reads_off_the_kernels_thread_and_shows_the_answer(
    panel: ConnectionsPanel, accounts: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})
    readers: list[str] = []
    read = panel._api.connections

    def traced(*args: Any, **kwargs: Any) -> list[Connection]:
        readers.append(threading.current_thread().name)
        return read(*args, **kwargs)

    monkeypatch.setattr(panel._api, "connections", traced)  # the same client, its thread noted
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    updated = threading.Event()
    panel.observe(lambda _change: updated.set(), names="rows")

    page.deliver({"kind": "refresh", "view": "p1"})  # returns before the read

    assert updated.wait(15)
    assert readers == ["workato-panel-refresh-'acme'"]
    assert [r["status"] for r in panel.rows if r["id"] == HUBSPOT] == ["connected"]
    panel._refresh_reads.join(10)
    assert not panel._refresh_reads.busy


def test_300_refresh_clicks_make_one_read_in_flight_one_queued_at_most_one_a_second(
    panel: ConnectionsPanel, accounts: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget.sandbox")  # its access log
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)

    began = time.monotonic()
    for _ in range(300):  # a user (or a page) clicking Refresh every 10 ms
        page.deliver({"kind": "refresh", "view": "p1"})
        time.sleep(0.01)
    clicking = time.monotonic() - began
    panel._refresh_reads.join(30)

    reads = [r for r in caplog.records if "GET /api/managed_users/acme/connections" in r.message]
    # Not one read per click (301 before): one a REFRESH_SPACING, plus the one queued at the end.
    assert 1 <= len(reads) <= clicking / REFRESH_SPACING + 2
    assert [r["status"] for r in panel.rows if r["id"] == HUBSPOT] == ["connected"]


def test_nothing_raises_out_of_the_pages_messages(panel: ConnectionsPanel) -> None:
    page = FakeFrontend(panel)
    for content in (
        "text",
        {"kind": "expand"},
        {"kind": "expand", "view": "p1", "id": True},
        {"kind": "bogus", "view": "p1"},
        {"kind": "ready", "view": "x" * 65},
    ):
        page.deliver(content)
    assert panel.error is None

    page.deliver({"kind": "expand", "view": "p1", "id": 424242})
    assert panel.error is not None
    assert panel.error.startswith("connection 424242 is not one of 'acme'")
    page.deliver({"kind": "expand", "view": "p1", "id": "not-a-number"})
    assert "connection id" in panel.error
    assert panel.widgets == {}


# -- rows follow their widget ---------------------------------------------------------------


def test_an_opened_widgets_status_updates_its_row_at_once(panel: ConnectionsPanel) -> None:
    changes: list[tuple[Connection, Connection]] = []
    panel.on_change(lambda old, new: changes.append((old, new)))
    widget = panel.expand(HUBSPOT)

    post_status(widget, provider="hubspot", connected=True)

    assert ids(panel.connections) == [JIRA, ZENDESK, SLACK, ASANA, HUBSPOT, SF]  # by name
    row = next(r for r in panel.rows if r["id"] == HUBSPOT)
    assert row["status"] == "connected"
    assert row["when"] is None  # when it was authorized is for Workato to say, not us
    assert [(old.id, old.connected, new.connected) for old, new in changes] == [
        (HUBSPOT, False, True)
    ]


def test_a_failed_authorization_in_the_iframe_fails_its_row(panel: ConnectionsPanel) -> None:
    widget = panel.expand(HUBSPOT)

    post_status(widget, connected=False, error=JIRA_ERROR)

    record = next(r for r in panel.connections if r.id == HUBSPOT)
    assert record.authorization_status == "failed"
    assert record.authorization_error == JIRA_ERROR
    assert ids(panel.connections)[:2] == [HUBSPOT, JIRA]  # failed first, by name


def test_a_lost_connections_page_restating_the_loss_keeps_its_row_lost(
    panel: ConnectionsPanel,
) -> None:
    changes: list[tuple[Connection, Connection]] = []
    panel.on_change(lambda old, new: changes.append((old, new)))
    widget = panel.expand(SLACK)
    shown = next(r for r in panel.rows if r["id"] == SLACK)["error"]

    # What the connection page posts on load (the sandbox's does): its state, with the loss.
    page = post_status(widget, connected=False, error=shown)
    page.post({"type": "error", "payload": {"type": "lost", "message": shown}})

    row = next(r for r in panel.rows if r["id"] == SLACK)
    assert (row["status"], row["error"]) == ("lost", shown)
    assert changes == []

    page.post(
        {
            "type": "connectionStatusChange",
            "payload": {"id": SLACK, "connected": False, "error": "Slack refused the grant"},
        }
    )  # a reconnect that failed: news, so the row fails

    row = next(r for r in panel.rows if r["id"] == SLACK)
    assert (row["status"], row["error"]) == ("failed", "Slack refused the grant")
    assert [(old.id, new.authorization_status) for old, new in changes] == [(SLACK, "failed")]


def test_not_connected_from_the_iframe_keeps_a_failed_rows_reason(panel: ConnectionsPanel) -> None:
    widget = panel.expand(JIRA)

    post_status(widget, connected=False)  # the page's first status after loading

    assert panel.rows[0]["status"] == "failed"
    assert panel.rows[0]["error"] == JIRA_ERROR


def test_a_refresh_read_before_the_iframe_spoke_does_not_undo_it(
    panel: ConnectionsPanel, accounts_api: EmbeddedApi
) -> None:
    widget = panel.expand(HUBSPOT)
    marks = panel._read_marks()
    records = accounts_api.connections("acme")  # began before the iframe's message below

    post_status(widget, connected=True)
    panel._take_read(records, marks)

    assert next(r for r in panel.connections if r.id == HUBSPOT).connected
    assert widget.status == "connected"


# -- on_change, wait_for, refresh -----------------------------------------------------------


def test_refresh_reads_the_list_again_and_reports_each_changed_row(
    panel: ConnectionsPanel, accounts: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[int, str | None, str | None]] = []

    def broken(old: Connection, new: Connection) -> None:
        raise RuntimeError("a user's callback failed")

    panel.on_change(broken)
    unsubscribe = panel.on_change(
        lambda old, new: seen.append((new.id, old.authorization_status, new.authorization_status))
    )
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    accounts.lose_connection(SF, "the password changed")

    records = panel.refresh()

    assert records == panel.connections
    assert sorted(seen) == [(SF, "success", "success"), (HUBSPOT, None, "success")]
    assert ids(panel.connections)[:4] == [JIRA, ZENDESK, SF, SLACK]  # SF is lost now
    assert "a user's callback failed" in caplog.text
    unsubscribe()
    accounts.add_connection(ASANA, "asana", name="asana tasks", connected=True)
    panel.refresh()
    assert len(seen) == 2


def test_refresh_drops_a_deleted_connection_and_closes_its_widget(
    panel: ConnectionsPanel, accounts_api: EmbeddedApi
) -> None:
    widget = panel.expand(ASANA)
    accounts_api.delete_connection("acme", ASANA)

    panel.refresh()

    assert ASANA not in ids(panel.connections)
    assert panel.widgets == {}
    assert widget.comm is None


def test_refresh_pushes_the_new_record_into_an_opened_widget(
    panel: ConnectionsPanel, accounts: Sandbox
) -> None:
    widget = panel.expand(SF)
    accounts.lose_connection(SF, "revoked by the admin")

    panel.refresh()

    assert (widget.status, widget.error) == (
        "disconnected",
        "Connection lost: revoked by the admin",
    )


async def test_wait_for_wakes_when_the_widget_reports_connected(panel: ConnectionsPanel) -> None:
    widget = panel.expand(HUBSPOT)
    waiting = asyncio.ensure_future(panel.wait_for(HUBSPOT, timeout=10))
    await asyncio.sleep(0)
    assert not waiting.done()

    post_status(widget, connected=True)

    record = await waiting
    assert record.id == HUBSPOT
    assert record.connected


async def test_wait_for_wakes_on_a_refresh(panel: ConnectionsPanel, accounts: Sandbox) -> None:
    accounts.fail_connection(ASANA, "Asana said no")
    loop = asyncio.get_running_loop()
    loop.call_soon(panel.refresh)

    record = await panel.wait_for(ASANA, lambda r: r.authorization_status == "failed", timeout=10)

    assert record.authorization_error == "Asana said no"


async def test_wait_for_times_out_naming_the_status(panel: ConnectionsPanel) -> None:
    with pytest.raises(TimeoutError, match=r"connection 4 .* within 0.05 s; it is not connected"):
        await panel.wait_for(HUBSPOT, timeout=0.05)


async def test_wait_for_an_unlisted_connection_is_refused(panel: ConnectionsPanel) -> None:
    with pytest.raises(LookupError, match="connection 9 is not one of 'acme'"):
        await panel.wait_for(GLOBEX_ZOOM)


async def test_wait_for_returns_at_once_when_it_already_holds(panel: ConnectionsPanel) -> None:
    assert (await panel.wait_for(SF, timeout=0)).id == SF


# -- errors ---------------------------------------------------------------------------------


def test_an_unknown_customer_is_said_in_the_panel_not_raised(
    make: Callable[..., ConnectionsPanel],
) -> None:
    panel = make("nobody-here")

    assert panel.status == "error"
    assert panel.error is not None
    assert panel.error.startswith("Workato's Embedded API knows no customer 'nobody-here'")
    assert "Check customer_id" in panel.error
    assert panel.rows == []


def test_a_refused_api_token_is_said_without_any_token(
    accounts: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-accounts-token-" + "q" * 16
    caplog.set_level(logging.DEBUG)
    with EmbeddedApi(wrong, base_url=accounts.base_url) as bad:
        panel = ConnectionsPanel("acme", api=bad, signer=accounts.signer)

    assert panel.status == "error"
    assert panel.error is not None
    assert panel.error.startswith("Workato's Embedded API refused the API token")
    assert "answered 401" in panel.error
    for text in (panel.error, caplog.text, json.dumps(panel.get_state(), default=str)):
        assert wrong not in text
        assert accounts.api_token not in text


def test_an_empty_account_says_how_to_add_a_connection(
    make: Callable[..., ConnectionsPanel],
) -> None:
    panel = make("initech-empty")

    assert panel.status == "empty"
    assert panel.error is not None
    assert panel.error.startswith("Customer 'initech-empty' has no connections yet")
    assert "api.create_connection('initech-empty'" in panel.error


def test_a_token_that_cannot_be_minted_is_said_in_the_panel(
    make: Callable[..., ConnectionsPanel],
) -> None:
    def refuse(origin: str) -> str:
        raise PermissionError("the token service refused this customer")

    panel = make(signer=None, token_provider=refuse)
    widget = panel.expand(JIRA)

    reply = FakeFrontend(widget).ready()

    assert reply["kind"] == "load_error"
    assert panel.error is not None
    assert panel.error.startswith("Jira (connection 2): Could not load the connection")
    assert "the token service refused this customer" in panel.error
    assert panel.rows[0]["status"] == "failed"  # the connection itself is as it was


def test_a_token_workato_refused_is_said_in_the_panel_until_the_row_connects(
    panel: ConnectionsPanel,
) -> None:
    widget = panel.expand(HUBSPOT)
    page = FakeFrontend(widget)
    page.ready()

    # What the accounts's (and Workato's) error page posts for a refused token.
    page.post({"type": "error", "payload": {"type": "invalid_signature", "message": "bad token"}})
    assert panel.error == "HubSpot (connection 4): bad token"

    page.post({"type": "connectionStatusChange", "payload": {"id": HUBSPOT, "connected": True}})
    assert panel.error is None


def test_a_failed_refresh_keeps_the_rows_and_a_good_one_clears_the_error(
    make: Callable[..., ConnectionsPanel], accounts: Sandbox
) -> None:
    with EmbeddedApi(accounts.api_token, base_url=accounts.base_url, timeout=2) as api:
        panel = make(api=api)
        port = accounts.port
        accounts.stop()

        panel.refresh()
        assert panel.status == "error"
        assert panel.error is not None
        assert "could not reach" in panel.error
        assert len(panel.connections) == 6

        restarted = Sandbox(port=port, api_token=accounts.api_token).start()
        try:
            restarted.add_connection(SF, "salesforce", name="Salesforce", connected=True)
            panel.refresh()
        finally:
            restarted.stop()
    assert panel.status == "ready"
    assert panel.error is None
    assert ids(panel.connections) == [SF]


def test_wrong_arguments_raise_at_once_with_what_to_do(
    accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    with pytest.raises(TypeError, match="api must be an EmbeddedApi"):
        ConnectionsPanel("acme", api="token", signer=accounts.signer)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs exactly one way to get tokens"):
        ConnectionsPanel("acme", api=accounts_api, signer=accounts.signer, token="a.b.c")
    with pytest.raises(ValueError, match=r"refresh_every=1 s is too often"):
        ConnectionsPanel("acme", api=accounts_api, signer=accounts.signer, refresh_every=1)
    with pytest.raises(ValueError, match=r"refresh_every must be a positive number .* or None"):
        ConnectionsPanel("acme", api=accounts_api, signer=accounts.signer, refresh_every=-5)
    with pytest.raises(ValueError, match="ExternalId"):
        ConnectionsPanel("AM10:XV303", api=accounts_api, signer=accounts.signer)


# -- polling while shown --------------------------------------------------------------------


def test_refresh_every_polls_only_while_a_view_shows_the_panel(
    make: Callable[..., ConnectionsPanel], accounts: Sandbox
) -> None:
    panel = make(refresh_every=2)
    poller = panel._poller
    assert poller is not None
    assert not poller.running  # not displayed yet: nothing polls
    page = FakeFrontend(panel)
    followed = threading.Event()

    def on_rows(change: dict[str, Any]) -> None:
        if any(r["id"] == HUBSPOT and r["status"] == "connected" for r in change["new"]):
            followed.set()

    panel.observe(on_rows, names="rows")
    page.deliver({"kind": "ready", "view": "p1"})
    assert poller.running

    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    assert followed.wait(15)

    page.deliver({"kind": "gone", "view": "p1"})
    poller.join(10)
    assert not poller.running


def test_a_view_silent_past_its_lease_stops_the_polling_without_saying_gone(
    make: Callable[..., ConnectionsPanel],
    accounts_api: EmbeddedApi,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = make(refresh_every=2)
    monkeypatch.setattr(panel, "_view_lease", 0.01)  # the page closed without a "gone" (a crash)
    poller = panel._poller
    assert poller is not None
    rounds: list[int] = []
    read = panel._api.connections

    def counted(*args: Any, **kwargs: Any) -> list[Connection]:
        rounds.append(1)
        return read(*args, **kwargs)

    monkeypatch.setattr(panel._api, "connections", counted)  # the same client, its reads counted
    FakeFrontend(panel).deliver({"kind": "ready", "view": "p1"})
    assert poller.running

    poller.join(15)  # the first round finds no live view and stops

    assert not poller.running
    assert rounds == [1]


# -- pandas ---------------------------------------------------------------------------------


def test_connections_frame_is_a_dataframe_in_table_order(panel: ConnectionsPanel) -> None:
    pandas = pytest.importorskip("pandas")

    frame = panel.connections_frame()

    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["id"]) == ids(panel.connections)
    assert list(frame.columns[:4]) == ["id", "name", "provider", "status"]
    assert list(frame["status"]) == [r["status"] for r in panel.rows]


def test_connections_frame_without_pandas_says_how_to_install_it(
    panel: ConnectionsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)

    with pytest.raises(ImportError, match=r'pip install "workato-ipywidget\[pandas\]"'):
        panel.connections_frame()


def test_workatos_own_error_texts_reach_rows_and_widgets_without_a_token(
    accounts: Sandbox, accounts_api: EmbeddedApi, make: Callable[..., ConnectionsPanel]
) -> None:
    # Workato's texts come from outside the kernel: a failed authorization or a lost connection
    # whose reason quotes a signed token must not carry it into synced state. (The records
    # themselves keep what Workato said: they are the API's answer, asked for by the user.)
    token = accounts.signer.sign("acme")
    accounts.fail_connection(JIRA, f"Jira refused {token}")
    accounts.lose_connection(SLACK, f"revoked; see ?workato_dl_token={token}")
    panel = make()
    changes: list[tuple[Connection, Connection]] = []
    panel.on_change(lambda old, new: changes.append((old, new)))
    accounts.fail_connection(ASANA, f"Asana said {token}")
    panel.refresh()
    widget = ConnectionWidget(JIRA, api=accounts_api, signer=accounts.signer, customer_id="acme")

    shown = [json.dumps(panel.rows), str(panel.error), str(widget.error), repr(widget)]
    assert token not in " ".join(shown)
    assert "Jira refused [redacted]" in json.dumps(panel.rows)
    assert widget.error == "Jira refused [redacted]"
    assert [r["error"] for r in panel.rows if r["id"] == SLACK] == [
        "Connection lost: revoked; see ?workato_dl_token=[redacted]"
    ]
    assert [new.id for _, new in changes] == [ASANA]
    widget.close()
