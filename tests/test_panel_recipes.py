"""The recipes behind a panel's connections, against a running sandbox over real HTTP.

Each row's recipe summary, an opened row's recipes, `recipes_for`, on_change for a recipe's
state, Start from the page (off the kernel's thread, a refusal said in the panel), the repair
loop end to end, one paged recipe read per refresh and bounded job reads, and connections still
shown when recipes cannot be read.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from accounts import JIRA, SF, SLACK
from fakes import FakeFrontend

from workato_ipywidget import ConnectionsPanel, EmbeddedApi, Recipe
from workato_ipywidget.connection_recipes import MAX_JOB_READS
from workato_ipywidget.sandbox import Sandbox

SYNC, ALERTS, EXPORT = 101, 102, 103
LOST = "the refresh token was revoked"


@pytest.fixture
def shop(accounts: Sandbox) -> Sandbox:
    """ACME with three recipes: Sync leads (Salesforce, running, two good jobs), Post alerts
    (Slack, stopped after five failed jobs once Slack was lost), Nightly export (Salesforce and
    Jira, stopped by hand, never run)."""
    accounts.add_recipe(SYNC, "Sync leads", connections=[SF], running=True)
    accounts.run_jobs(SYNC, 2)
    accounts.authorize_connection(SLACK)
    accounts.add_recipe(ALERTS, "Post alerts", connections=[SLACK], running=True)
    accounts.lose_connection(SLACK, LOST)
    accounts.run_jobs(ALERTS, 5)
    accounts.add_recipe(EXPORT, "Nightly export", connections=[SF, JIRA])
    return accounts


@pytest.fixture
def make(
    shop: Sandbox, accounts_api: EmbeddedApi, closing: Callable[[Any], Any]
) -> Callable[..., ConnectionsPanel]:
    def make_(**kwargs: Any) -> ConnectionsPanel:
        options = {"api": accounts_api, "signer": shop.signer, **kwargs}
        return closing(ConnectionsPanel("acme", **options))  # type: ignore[no-any-return]

    return make_


@pytest.fixture
def panel(make: Callable[..., ConnectionsPanel]) -> ConnectionsPanel:
    return make()


def row(panel: ConnectionsPanel, connection_id: int) -> dict[str, Any]:
    return next(r for r in panel.rows if r["id"] == connection_id)


def settle(sandbox: Sandbox) -> None:
    """Wait until the sandbox has logged every request answered so far.

    The sandbox logs a request just after its answer went out, so a client can be done before
    the line is written; its one loop logs a request before it reads the next, so one more
    request answered means every earlier line is in.
    """
    httpx.get(f"{sandbox.base_url}/settled", timeout=10)


def requests(caplog: pytest.LogCaptureFixture, what: str, sandbox: Sandbox) -> int:
    """Requests the sandbox answered whose line (`<status> <method> <path>`) contains `what`."""
    settle(sandbox)
    return sum(what in r.getMessage() for r in caplog.records if r.name.endswith("sandbox"))


def test_each_row_says_how_many_recipes_use_it_and_how_many_stopped(
    panel: ConnectionsPanel, shop: Sandbox
) -> None:
    last_failed = shop.recipe(ALERTS)  # its newest job failed on the lost Slack connection
    slack, salesforce, jira = row(panel, SLACK), row(panel, SF), row(panel, JIRA)

    assert slack["recipes"]["count"] == 1
    assert slack["recipes"]["stopped"] == 1
    assert slack["recipes"]["trigger_errors"] == 1
    assert slack["recipes"]["last_job_failed"] is True
    assert slack["recipes"]["last_failed_at"] is not None
    assert last_failed.stop_cause == "trigger_errors_limit"
    assert (salesforce["recipes"]["count"], salesforce["recipes"]["stopped"]) == (2, 1)
    assert salesforce["recipes"]["trigger_errors"] == 0
    assert salesforce["recipes"]["last_job_failed"] is False  # Sync leads ran and never failed
    assert (jira["recipes"]["count"], jira["recipes"]["stopped"]) == (1, 1)
    assert row(panel, 4)["recipes"] == {  # HubSpot: no recipe uses it
        "count": 0, "stopped": 0, "trigger_errors": 0, "last_failed_at": None,
        "last_job_failed": None, "last_job_at": None,
    }  # fmt: skip


def test_an_opened_row_lists_its_recipes_with_the_last_jobs_error_and_failing_step(
    panel: ConnectionsPanel,
) -> None:
    assert panel.recipes == {}  # nothing opened, nothing synced

    panel.expand(SLACK)

    (alerts,) = panel.recipes[str(SLACK)]
    assert (alerts["id"], alerts["name"], alerts["running"]) == (ALERTS, "Post alerts", False)
    assert alerts["stop_cause"] == "trigger_errors_limit"
    job = alerts["last_job"]
    assert job["failed"] is True
    assert job["error"]
    assert "slack" in job["error"].lower()
    assert job["step"]
    assert job["step"].startswith("step ")


def test_recipes_for_gives_the_recipes_of_the_latest_read(panel: ConnectionsPanel) -> None:
    recipes = panel.recipes_for(SF)

    assert all(isinstance(r, Recipe) for r in recipes)
    assert [r.id for r in recipes] == [EXPORT, SYNC]  # newest first, as Workato lists them
    assert panel.recipes_for(4) == ()
    with pytest.raises(LookupError, match="connection 77 is not one of 'acme'"):
        panel.recipes_for(77)


def test_one_refresh_reads_the_recipe_list_once_and_only_the_jobs_that_matter(
    panel: ConnectionsPanel, shop: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    settle(shop)  # the panel's first read is not this refresh's
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget.sandbox")

    panel.refresh()

    jobs = requests(caplog, "/jobs", shop)
    lists = requests(caplog, "GET /api/managed_users/acme/recipes", shop) - jobs
    assert lists == 1  # one list read, not one per row
    # Nothing ran since the panel's first read: no job is read again.
    assert jobs == 0


def test_job_reads_per_refresh_are_bounded(
    shop: Sandbox, make: Callable[..., ConnectionsPanel], caplog: pytest.LogCaptureFixture
) -> None:
    shop.authorize_connection(SLACK)
    for recipe_id in range(200, 215):  # fifteen recipes that stopped on the lost connection
        shop.add_recipe(recipe_id, f"Alert {recipe_id}", connections=[SLACK], running=True)
    shop.lose_connection(SLACK, LOST)
    for recipe_id in range(200, 215):
        shop.run_jobs(recipe_id, 5)
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget.sandbox")

    panel = make()

    assert 0 < requests(caplog, "/jobs", shop) <= MAX_JOB_READS
    assert panel.recipes_note is not None
    assert "at most" in panel.recipes_note
    assert len(panel.connections) == 6


def test_start_from_the_page_runs_off_the_kernels_thread_and_a_refusal_is_said(
    panel: ConnectionsPanel, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})
    panel.expand(SLACK)
    threads: list[str] = []
    start = panel._api.start_recipe

    def traced(*args: Any, **kwargs: Any) -> None:
        threads.append(threading.current_thread().name)
        start(*args, **kwargs)

    monkeypatch.setattr(panel._api, "start_recipe", traced)  # the same client, its thread noted

    page.deliver({"kind": "start_recipe", "view": "p1", "id": ALERTS})  # Slack is still lost
    panel._starts[ALERTS].join(15)

    assert threads == [f"workato-panel-start-{ALERTS}"]
    action = panel.recipe_actions[str(ALERTS)]
    assert action["state"] == "failed"
    assert f"recipe {ALERTS}" in action["message"]
    assert "slack" in action["message"].lower()
    assert next(r for r in panel.recipes_for(SLACK)).running is False


def test_an_unknown_recipe_from_the_page_is_ignored(panel: ConnectionsPanel) -> None:
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})

    for bad in (999, "101", True, None):
        page.deliver({"kind": "start_recipe", "view": "p1", "id": bad})

    assert panel.recipe_actions == {}
    assert panel._starts == {}


def test_the_repair_loop_reconnect_start_and_the_next_job_succeeds(
    panel: ConnectionsPanel, shop: Sandbox
) -> None:
    changes: list[tuple[Any, Any]] = []
    panel.on_change(lambda old, new: changes.append((old, new)))
    page = FakeFrontend(panel)
    page.deliver({"kind": "ready", "view": "p1"})
    panel.expand(SLACK)
    assert row(panel, SLACK)["status"] == "lost"

    shop.authorize_connection(SLACK)  # the customer reconnects in the iframe
    panel.refresh()
    page.deliver({"kind": "start_recipe", "view": "p1", "id": ALERTS})
    panel._starts[ALERTS].join(15)
    panel._refresh_reads.join(15)  # a start is followed by a read

    assert panel.recipe_actions[str(ALERTS)] == {"state": "started", "message": None}
    assert panel.recipes_for(SLACK)[0].running is True
    recipe_changes = [(o.running, n.running) for o, n in changes if isinstance(n, Recipe)]
    assert recipe_changes == [(False, True)]

    shop.run_jobs(ALERTS)
    panel.refresh()

    summary = row(panel, SLACK)["recipes"]
    assert (row(panel, SLACK)["status"], summary["stopped"]) == ("connected", 0)
    assert summary["last_job_failed"] is False
    (alerts,) = panel.recipes[str(SLACK)]
    assert alerts["last_job"]["failed"] is False


# -- when recipes cannot be read ------------------------------------------------------------


class _NoRecipes(http.server.BaseHTTPRequestHandler):
    """An Embedded API whose role may list connections but not recipes (403), as Workato
    answers a client without the recipe privileges."""

    def do_GET(self) -> None:
        if self.path.startswith("/api/managed_users/acme/connections"):
            status, body = 200, {"result": [{"id": SF, "name": "Salesforce",
                                             "provider": "salesforce",
                                             "authorization_status": "success"}]}  # fmt: skip
        elif self.path.startswith("/api/managed_users/acme/recipes"):
            status, body = 403, {"message": "Access denied"}
        else:
            status, body = 404, {"message": "Not found"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def no_recipes_api() -> Iterator[EmbeddedApi]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoRecipes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with EmbeddedApi("test-token", base_url=base, max_retries=0) as api:
            yield api
    finally:
        server.shutdown()
        server.server_close()


def test_a_role_without_recipe_access_still_shows_the_connections_and_says_why(
    no_recipes_api: EmbeddedApi, accounts: Sandbox, closing: Callable[[Any], Any]
) -> None:
    panel = closing(ConnectionsPanel("acme", api=no_recipes_api, signer=accounts.signer))

    assert [r.id for r in panel.connections] == [SF]
    assert (panel.status, panel.error) == ("ready", None)
    assert panel.rows[0]["recipes"] is None
    assert panel.recipes_note is not None
    assert "403" in panel.recipes_note
    assert "privilege" in panel.recipes_note
    assert panel.recipes_for(SF) == ()


def test_a_panel_without_recipes_reads_none(
    make: Callable[..., ConnectionsPanel], shop: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget.sandbox")

    panel = make(recipes=False)

    assert requests(caplog, "/recipes", shop) == 0
    assert {r["recipes"] for r in panel.rows} == {None}
    assert (panel.recipes_note, panel.recipes_for(SLACK)) == (None, ())
    with pytest.raises(TypeError, match="recipes must be True or False"):
        make(recipes="no")
