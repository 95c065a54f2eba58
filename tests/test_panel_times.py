"""A panel's times are Workato's, and an opened widget starts from its row: against the sandbox.

The row said "Authorized just now" with `authorized_at` the moment the iframe spoke; the widget
`expand` returned said `disconnected` until its own iframe spoke. Here the times come from the
Embedded API, and the widget's first state is the row's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from accounts import HUBSPOT, JIRA, SF, SLACK
from fakes import FakeFrontend

from workato_ipywidget import ConnectionsPanel, EmbeddedApi
from workato_ipywidget.connection_state import widget_state
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def panel(
    accounts: Sandbox, accounts_api: EmbeddedApi, closing: Callable[[Any], Any]
) -> ConnectionsPanel:
    made = ConnectionsPanel("acme", api=accounts_api, signer=accounts.signer)
    return closing(made)  # type: ignore[no-any-return]


def listed(api: EmbeddedApi, connection_id: int) -> Any:
    return next(r for r in api.connections("acme") if r.id == connection_id)


def test_a_row_connected_in_its_iframe_shows_workatos_authorization_time(
    panel: ConnectionsPanel, accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)  # elsewhere
    authorized_at = listed(accounts_api, HUBSPOT).authorized_at
    widget = panel.expand(HUBSPOT)  # the row still holds the older read: not connected
    page = FakeFrontend(widget)
    page.ready()

    page.post({"type": "connectionStatusChange", "payload": {"id": HUBSPOT, "connected": True}})
    panel._time_reads.join(15)  # the one read that asks Workato when

    record = next(r for r in panel.connections if r.id == HUBSPOT)
    assert record.connected
    assert record.authorized_at == authorized_at  # Workato's, not the moment the iframe spoke
    row = next(r for r in panel.rows if r["id"] == HUBSPOT)
    assert (row["when_kind"], row["when"]) == ("authorized", authorized_at.isoformat())
    assert widget.api_record == record


def test_until_workato_says_when_a_row_shows_no_time_rather_than_now(
    panel: ConnectionsPanel,
) -> None:
    widget = panel.expand(HUBSPOT)  # the sandbox never hears of this authorization
    page = FakeFrontend(widget)
    page.ready()

    page.post({"type": "connectionStatusChange", "payload": {"id": HUBSPOT, "connected": True}})
    panel._time_reads.join(15)

    row = next(r for r in panel.rows if r["id"] == HUBSPOT)
    assert row["status"] == "connected"  # the iframe's word stands: the API has not caught up
    assert (row["when"], row["when_kind"]) == (None, None)


@pytest.mark.parametrize("connection_id", [SF, SLACK, JIRA, HUBSPOT])
def test_an_opened_widget_starts_from_its_rows_record(
    panel: ConnectionsPanel, connection_id: int
) -> None:
    record = next(r for r in panel.connections if r.id == connection_id)
    expected = widget_state(record)

    widget = panel.expand(connection_id)  # before any view: no iframe has spoken

    assert (widget.status, widget.connected, widget.provider, widget.error) == (
        expected.status,
        expected.connected,
        expected.provider,
        expected.error,
    )
    assert widget.api_record == record


def test_a_connection_authorized_elsewhere_opens_connected_after_a_refresh(
    panel: ConnectionsPanel, accounts: Sandbox, accounts_api: EmbeddedApi
) -> None:
    accounts.add_connection(HUBSPOT, "hubspot", name="HubSpot", connected=True)
    panel.refresh()

    widget = panel.expand(HUBSPOT)

    assert (widget.status, widget.connected) == ("connected", True)
    assert widget.api_record is not None
    assert widget.api_record.authorized_at == listed(accounts_api, HUBSPOT).authorized_at
