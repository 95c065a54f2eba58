"""AccountHealth against a running sandbox over real HTTP: what a scan finds, error rows, a refused
token, Stop, on_change between scans, the page's messages, filters, and a customer's panel
opened under its row changing that customer's row."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakes import FakeFrontend
from health_accounts import expected_states, fleet

from workato_ipywidget import (
    AccountHealth,
    ApiConnectionError,
    AsyncEmbeddedApi,
    AuthenticationError,
    ConnectionsPanel,
    EmbeddedApi,
    RateLimits,
)
from workato_ipywidget.health_rows import CustomerHealth
from workato_ipywidget.sandbox import Sandbox

Make = Callable[..., AccountHealth]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield fleet(server)


@pytest.fixture
def make(sandbox: Sandbox, closing: Callable[[Any], Any]) -> Make:
    def make_(api: Any = None, **kwargs: Any) -> AccountHealth:
        client = api or EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url, max_retries=0)
        return closing(AccountHealth(client, signer=sandbox.signer, **kwargs))  # type: ignore[no-any-return]

    return make_


def by_id(rows: tuple[CustomerHealth, ...]) -> dict[str, CustomerHealth]:
    return {row.key: row for row in rows}


def test_a_scan_finds_exactly_the_customers_with_problems(make: Make, sandbox: Sandbox) -> None:
    health = make(include_recipes=False)

    rows = health.scan()

    assert len(rows) == len(sandbox.customers) == 13
    assert {row.key for row in health.problems} == {"c003", "c005"}
    found = by_id(rows)
    assert found["c003"].state == "failed"
    assert found["c003"].problem == "Jira: Jira refused the credentials"
    assert found["c005"].state == "lost"
    assert found["c005"].problem == "Slack: Connection lost: the refresh token was revoked"
    assert found["c007"].state == "not_connected"
    assert found["c001"].state == "healthy"
    assert found["c001"].external_id == "EXT-1"
    assert {key: dict(row.counts) for key, row in found.items()} == expected_states(sandbox)


def test_a_scan_of_a_populated_sandbox_matches_its_state_recipes_included(
    closing: Callable[[Any], Any],
) -> None:
    with Sandbox() as populated:
        populated.populate(customers=60, broken=0.2, seed=7)
        api = EmbeddedApi(populated.api_token, base_url=populated.base_url, max_retries=0)
        health = closing(AccountHealth(api))

        rows = by_id(health.scan())

        stopped = {
            customer.id: sum(
                1
                for r in populated.recipes(customer.id)
                if r.stop_cause == "trigger_errors_limit" and not r.running
            )
            for customer in populated.customers
        }
        expected = expected_states(populated)
    assert len(rows) == 61
    assert {key: dict(row.counts) for key, row in rows.items()} == expected
    assert {key: len(row.stopped_recipes or ()) for key, row in rows.items()} == stopped
    broken = {
        key
        for key, counts in expected.items()
        if counts["failed"] or counts["lost"] or stopped[key]
    }
    assert broken  # the seed makes some, so the comparison below means something
    assert {row.key for row in health.problems} == broken
    assert any(stopped.values())
    for key, row in rows.items():
        if stopped[key] and not (expected[key]["failed"] or expected[key]["lost"]):
            assert row.state == "recipes_stopped"


def test_with_rate_limits_a_scan_gets_no_429_and_takes_what_the_limits_ask(
    closing: Callable[[Any], Any],
) -> None:
    limits = RateLimits(list_connections=5, list_recipes=10, customers=10, window=0.5)
    with Sandbox(rate_limits=limits) as limited:
        fleet(limited, customers=12)
        api = EmbeddedApi(
            limited.api_token, base_url=limited.base_url, rate_limits=limits, max_retries=0
        )
        health = closing(AccountHealth(api))

        started = time.monotonic()
        rows = health.scan()
        took = time.monotonic() - started

    assert len(rows) == 13
    assert all(row.error is None for row in rows)
    assert api.stats.rate_limited == 0
    assert api.stats.requests == 1 + 13 + 13  # one page of customers, two lists per customer
    # 13 connection lists at 5 per window: the 6th and the 11th wait a window each.
    assert api.stats.paced >= 13 - 5
    assert took >= (13 - 1) // 5 * limits.window


def test_rows_list_problems_first_and_hold_connection_records(make: Make) -> None:
    health = make(include_recipes=False)

    rows = health.scan()

    assert [row.key for row in rows[:3]] == ["c003", "c005", "c007"]
    assert [c.provider for c in by_id(rows)["c003"].connections] == ["jira", "slack", "hubspot"]
    assert health.progress["state"] == "done"
    assert health.progress["read"] == health.progress["total"] == 13


def test_the_frame_has_one_row_per_customer_problems_first(make: Make) -> None:
    health = make(include_recipes=False)
    health.scan()

    frame = health.frame()

    assert list(frame.columns[:4]) == ["id", "name", "external_id", "state"]
    assert len(frame) == 13
    assert list(frame["id"][:2]) == ["c003", "c005"]
    assert frame.set_index("id").loc["c005", "lost"] == 1


def test_a_customer_whose_reads_fail_is_a_row_with_its_error(sandbox: Sandbox, make: Make) -> None:
    with Sandbox(rate_limits=RateLimits(list_connections=4, window=600)) as limited:
        fleet(limited, customers=6)
        # Unpaced, as if another script spent the account's budget: the sandbox answers 429.
        api = EmbeddedApi(limited.api_token, base_url=limited.base_url, max_retries=0, pace=False)
        health = make(api, include_recipes=False, concurrency=1)

        rows = health.scan()

    assert len(rows) == 7  # the scan went on: every customer has a row
    failed = [row for row in rows if row.state == "error"]
    assert len(failed) == 3  # the sandbox allowed 4 connection lists
    assert all("429" in (row.error or "") for row in failed)
    assert all(row.has_problem and row.connections == () for row in failed)
    assert health.progress["state"] == "done"


def test_an_async_client_is_taken_and_scans_and_panels_count_against_its_budget(
    sandbox: Sandbox, closing: Callable[[Any], Any]
) -> None:
    api = AsyncEmbeddedApi(sandbox.api_token, base_url=sandbox.base_url, max_retries=0)
    health = closing(AccountHealth(api, signer=sandbox.signer, include_recipes=False))

    rows = health.scan()
    scanned = api.stats.requests
    panel = health.expand("c003")

    assert len(rows) == 13
    assert {c.id for c in panel.connections} == {c.id for c in by_id(rows)["c003"].connections}
    # The scan's and the panel's clients are twins of `api`: one pacer, one count.
    assert scanned == 1 + 13
    assert api.stats.requests > scanned


def test_a_refused_api_token_stops_the_scan_with_a_clear_error(
    make: Make, sandbox: Sandbox
) -> None:
    health = make(EmbeddedApi("not-the-token", base_url=sandbox.base_url, max_retries=0))

    with pytest.raises(AuthenticationError, match="401") as raised:
        health.scan()

    assert "check the API token" in str(raised.value)
    assert health.progress["state"] == "failed"
    assert health.error is not None
    assert "refused the API token" in health.error
    assert health.rows == ()


def test_an_unreachable_host_fails_the_scan_naming_the_host(make: Make) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the socket is closed
    health = make(EmbeddedApi("some-token", base_url=f"http://127.0.0.1:{port}", max_retries=0))

    with pytest.raises(ApiConnectionError, match=f"could not reach 127.0.0.1:{port}"):
        health.scan()

    assert health.progress["state"] == "failed"


def test_stop_ends_a_running_scan_and_keeps_the_rows_read(make: Make) -> None:
    with Sandbox(rate_limits=RateLimits(list_connections=3, window=2)) as slow:
        fleet(slow, customers=40)
        api = EmbeddedApi(slow.api_token, base_url=slow.base_url, max_retries=5)
        health = make(api, include_recipes=False, concurrency=2)
        some = threading.Event()
        health.observe(lambda _c: some.set() if health.progress["read"] >= 2 else None, "progress")
        result: list[tuple[CustomerHealth, ...]] = []
        scanning = threading.Thread(target=lambda: result.append(health.scan()))
        scanning.start()
        assert some.wait(30)

        health.stop()
        scanning.join(10)

        assert not scanning.is_alive()
        assert not health.scanning
        assert health.progress["state"] == "stopped"
        assert 2 <= len(result[0]) < 41
        read = len(health.rows)
        assert len(health.rows) == read  # nothing arrives after the stop


def test_on_change_reports_a_customer_whose_state_changed_between_scans(
    make: Make, sandbox: Sandbox
) -> None:
    health = make(include_recipes=False)
    health.scan()
    changes: list[tuple[str, str, str]] = []
    health.on_change(lambda old, new: changes.append((new.key, old.state, new.state)))
    lost = next(c for c in sandbox.connections if c.customer_id == "c001")
    sandbox.lose_connection(lost.id, "password changed")

    health.scan()

    assert changes == [("c001", "healthy", "lost")]
    assert "c001" in {row.key for row in health.problems}


async def test_scanned_awaits_the_scan_inside_a_running_loop(make: Make) -> None:
    health = make(include_recipes=False)
    changes: list[str] = []
    health.on_change(lambda old, new: changes.append(new.key))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.ensure_future(tick())
    rows = await health.scanned()
    ticking.cancel()

    assert len(rows) == 13
    assert ticks > 1  # the loop stayed free while the scan ran on its own thread


def test_scan_works_when_called_from_a_running_loop(make: Make) -> None:
    health = make(include_recipes=False)

    async def cell() -> int:
        return len(health.scan())  # what a notebook cell does in JupyterLab

    assert asyncio.run(cell()) == 13


def test_showing_the_table_starts_a_scan_and_the_page_gets_rows_problems_first(
    make: Make,
) -> None:
    health = make(include_recipes=False)
    page = FakeFrontend(health)

    page.deliver({"kind": "ready", "view": "view-1"})
    health.scan()  # joins the scan the view started

    assert page.sent[0] == {"kind": "hello", "view": "view-1"}
    assert [row["id"] for row in health.get_state()["page_rows"][:2]] == ["c003", "c005"]
    assert health.get_state()["matching"] == 13
    summary = health.get_state()["summary"]
    assert summary["customers"]["failed"] == 1
    assert summary["connections"]["lost"] == 1
    assert {p["provider"] for p in summary["providers"]} == {"jira", "slack", "hubspot"}


def test_refresh_every_scans_again_while_a_view_shows_the_table(
    make: Make, sandbox: Sandbox
) -> None:
    health = make(include_recipes=False, refresh_every=2)
    changed = threading.Event()
    health.on_change(lambda old, new: changed.set() if new.key == "c002" else None)
    page = FakeFrontend(health)
    page.deliver({"kind": "ready", "view": "view-1"})  # shown: the first scan starts
    health.scan()
    lost = next(c for c in sandbox.connections if c.customer_id == "c002")
    sandbox.lose_connection(lost.id, "password changed")

    assert changed.wait(30)  # a second scan, unasked, saw it
    assert by_id(health.rows)["c002"].state == "lost"


def test_the_stop_button_stops_a_scan_the_page_started(make: Make) -> None:
    with Sandbox(rate_limits=RateLimits(list_connections=2, window=1)) as slow:
        fleet(slow, customers=20)
        limits = RateLimits(list_connections=2, window=1)
        api = EmbeddedApi(slow.api_token, base_url=slow.base_url, rate_limits=limits)
        health = make(api, include_recipes=False)
        started = threading.Event()
        health.observe(lambda _c: started.set() if health.progress["read"] else None, "progress")
        page = FakeFrontend(health)
        page.deliver({"kind": "ready", "view": "view-1"})
        assert started.wait(30)

        stopped = threading.Event()
        health.observe(
            lambda change: stopped.set() if change["new"]["state"] == "stopped" else None,
            "progress",
        )

        page.deliver({"kind": "stop", "view": "view-1"})

        assert stopped.wait(30)  # a scan() after this would start a new one: wait, not join
        assert health.progress["state"] == "stopped"
        assert 1 <= len(health.rows) < 21
        assert api.stats.rate_limited == 0


def test_the_filters_narrow_the_rows_the_page_draws(make: Make) -> None:
    health = make(include_recipes=False)
    health.scan()

    health.state_filter = "problems"
    assert [row["id"] for row in health.get_state()["page_rows"]] == ["c003", "c005"]
    health.state_filter = ""
    health.filter_text = "ext-1"
    assert {row["id"] for row in health.get_state()["page_rows"]} == {
        "c001",
        "c010",
        "c011",
        "c012",
    }
    assert health.get_state()["matching"] == 4


def test_the_page_draws_at_most_a_window_of_rows_however_many_customers(
    sandbox: Sandbox, make: Make
) -> None:
    for n in range(250):
        sandbox.add_customer(f"x{n:03d}", name=f"Extra {n:03d}")
    health = make(include_recipes=False)

    health.scan()

    assert len(health.rows) == 263
    assert len(health.get_state()["page_rows"]) == 200
    assert health.get_state()["matching"] == 263


def test_clicking_a_row_opens_its_customers_panel_and_a_repair_there_changes_the_row(
    make: Make, sandbox: Sandbox
) -> None:
    health = make(include_recipes=False)
    health.scan()
    page = FakeFrontend(health)
    page.ready()
    changes: list[tuple[str, str]] = []
    health.on_change(lambda old, new: changes.append((new.key, new.state)))

    page.deliver({"kind": "expand", "view": "view-1", "id": "c005"})

    panel = health.panels["c005"]
    assert isinstance(panel, ConnectionsPanel)
    assert health.get_state()["expanded"] == {"c005": f"anywidget:{panel.model_id}"}
    lost = next(c for c in panel.connections if c.connection_lost_at is not None)
    sandbox.authorize_connection(lost.id) if hasattr(sandbox, "authorize_connection") else (
        sandbox.add_connection(lost.id, "slack", customer_id="c005", name="Slack", connected=True)
    )
    panel.refresh()

    assert changes == [("c005", "healthy")]
    assert by_id(health.rows)["c005"].state == "healthy"
    assert "c005" not in {row.key for row in health.problems}

    page.deliver({"kind": "collapse", "view": "view-1", "id": "c005"})
    assert health.panels == {}


def test_opening_a_customer_without_a_token_source_says_what_is_missing(
    sandbox: Sandbox, closing: Callable[[Any], Any]
) -> None:
    api = EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url)
    health = closing(AccountHealth(api, include_recipes=False))
    health.scan()

    with pytest.raises(TypeError, match="signer="):
        health.expand("c001")
    with pytest.raises(LookupError, match="no customer 'nobody'"):
        health.expand("nobody")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"concurrency": 0}, ValueError, "concurrency must be None"),
        ({"concurrency": True}, ValueError, "concurrency must be None"),
        ({"refresh_every": 0.5}, ValueError, "refresh_every=0.5 s is too often"),
        ({"token_provider": "nope"}, TypeError, "token_provider must be a callable"),
    ],
)
def test_bad_options_are_refused_by_name(
    sandbox: Sandbox, kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    api = EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url)
    with pytest.raises(error, match=match):
        AccountHealth(api, **kwargs)


def test_an_api_that_is_not_a_client_is_refused() -> None:
    with pytest.raises(TypeError, match="api must be an EmbeddedApi or AsyncEmbeddedApi"):
        AccountHealth("https://www.workato.com")


def test_no_api_token_reaches_the_synced_state_or_repr(make: Make, sandbox: Sandbox) -> None:
    health = make(include_recipes=False)
    health.scan()
    health.expand("c003")

    assert sandbox.api_token not in repr(health.get_state())
    assert sandbox.api_token not in repr(health)
