"""The sandbox at scale: `populate` fills realistic states reproducibly, and with 1,000 customers
and 5,000 connections every request reads only the records it answers (counted, not timed)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from workato_ipywidget.endpoints import page_url
from workato_ipywidget.sandbox import Sandbox

CUSTOMERS = 1000
CONNECTIONS_EACH = 5


def snapshot(sandbox: Sandbox) -> tuple[Any, ...]:
    connections = tuple(
        (c.id, c.customer_id, c.provider, c.authorization_status, c.connection_lost_reason)
        for c in sandbox.connections
    )
    recipes = tuple(
        (r.id, r.name, r.running, r.stop_cause, r.connection_ids, r.job_failed_count)
        for customer in sandbox.customers
        for r in sandbox.recipes(customer.id)
    )
    customers = tuple((c.id, c.name, c.external_id) for c in sandbox.customers)
    return customers, connections, recipes


def test_the_same_seed_fills_the_same_states_and_another_seed_others() -> None:
    first, second, other = Sandbox(), Sandbox(), Sandbox()

    first.populate(50, seed=3)
    second.populate(50, seed=3)
    other.populate(50, seed=4)

    assert snapshot(first) == snapshot(second)
    assert snapshot(first) != snapshot(other)


def test_populated_states_are_realistic_and_consistent() -> None:
    sandbox = Sandbox()

    added = sandbox.populate(300, connections=(2, 6), recipes=(0, 4), broken=0.2, seed=0)

    assert len(added) == 300
    assert all(
        2 <= len([c for c in sandbox.connections if c.customer_id == customer.id]) <= 6
        for customer in added[:20]
    )
    states = {c.id: c for c in sandbox.connections}
    lost = [c for c in states.values() if c.connection_lost_at is not None]
    failed = [c for c in states.values() if c.authorization_status == "failed"]
    never = [c for c in states.values() if c.authorization_status is None]
    assert lost
    assert failed
    assert never
    broken_share = (len(lost) + len(failed) + len(never)) / len(states)
    assert 0.1 < broken_share < 0.3
    recipes = [r for customer in added for r in sandbox.recipes(customer.id)]
    stopped = [r for r in recipes if r.stop_cause == "trigger_errors_limit"]
    assert stopped
    for recipe in stopped:
        assert any(not states[c].connected for c in recipe.connection_ids)
        assert sandbox.jobs(recipe.id)[0].status == "failed"
    for recipe in recipes:
        if recipe.running:
            assert all(states[c].connected for c in recipe.connection_ids)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"connections": (3, 2)}, "connections"),
        ({"recipes": 4}, "recipes"),
        ({"broken": 1.5}, "broken"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_populate_arguments_say_what_was_expected(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        Sandbox().populate(1, **kwargs)


@pytest.fixture(scope="module")
def crowded() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.populate(CUSTOMERS, connections=(CONNECTIONS_EACH, CONNECTIONS_EACH), seed=1)
        yield sandbox


def touched_by(sandbox: Sandbox, request: Callable[[], httpx.Response]) -> tuple[int, Any]:
    before = sandbox.rows_touched
    response = request()
    assert response.status_code == 200, response.text
    return sandbox.rows_touched - before, response


def test_a_crowded_sandbox_reads_only_what_each_request_answers(crowded: Sandbox) -> None:
    assert len(crowded.connections) == CUSTOMERS * CONNECTIONS_EACH
    target = next(c for c in crowded.customers[500:] if crowded.recipes(c.id))
    recipe = crowded.recipes(target.id)[0]
    job = crowded.jobs(recipe.id)[0]
    connection = next(c for c in crowded.connections if c.customer_id == target.id)
    headers = {"Authorization": f"Bearer {crowded.api_token}"}
    base = f"{crowded.base_url}/api/managed_users"
    mine = f"{base}/{target.id}"
    by_external = f"{base}/E{urllib.parse.quote(target.external_id or '', safe='')}"

    def get(url: str, **params: Any) -> Callable[[], httpx.Response]:
        return lambda: httpx.get(url, headers=headers, params=params, timeout=10)

    def send(method: str, url: str, body: Any = None) -> Callable[[], httpx.Response]:
        return lambda: httpx.request(method, url, headers=headers, json=body, timeout=10)

    def page(path: str) -> Callable[[], httpx.Response]:
        token = crowded.signer.sign(target.id)
        if path.startswith("/direct_link/embedded"):
            return lambda: httpx.get(
                f"{crowded.base_url}{path}?workato_dl_token={token}", timeout=10
            )
        return lambda: httpx.get(page_url(crowded.base_url, path, token), timeout=10)

    requests = {
        "customers page 10": (get(base, page=10), 100),
        "customer by id": (get(mine), 1),
        "customer by external id": (get(by_external), 1),
        "connections": (get(f"{mine}/connections"), CONNECTIONS_EACH),
        "create connection": (
            send("POST", f"{mine}/connections", {"name": "n", "provider": "box"}),
            0,
        ),
        "update connection": (send("PUT", f"{mine}/connections/{connection.id}", {"name": "m"}), 1),
        "recipes": (get(f"{mine}/recipes"), 4),
        "recipe": (get(f"{mine}/recipes/{recipe.id}"), 1),
        "stop": (send("PUT", f"{mine}/recipes/{recipe.id}/stop"), 1),
        "start": (send("PUT", f"{mine}/recipes/{recipe.id}/start"), 1),
        "jobs": (get(f"{mine}/recipes/{recipe.id}/jobs"), 100),
        "job": (get(f"{mine}/recipes/{recipe.id}/jobs/{job.id}"), 1),
        "folders": (get(f"{mine}/folders"), 1),
        "projects": (get(f"{mine}/projects"), 1),
        "create customer": (send("POST", base, {"name": "N", "notification_email": "n@x.io"}), 0),
        "connection page": (page(f"/direct_link/embedded/connections/{connection.id}"), 0),
        "full page": (page("/recipes"), 4 * 20),
    }
    for name, (request, answered) in requests.items():
        touched, _ = touched_by(crowded, request)
        # a few lookups (customer, connections a recipe uses, folders) beside what it answers
        assert touched <= answered + 20, f"{name} read {touched} records"
