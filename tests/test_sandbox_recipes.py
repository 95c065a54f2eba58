"""The sandbox's recipes, jobs, folders, projects and customers as Workato's Embedded API serves
them, over real HTTP: every documented field (checked by Workato's own generated models where the
`workato-platform-cli` package has one), paging, filters, the job cursor, refused starts, jobs
that follow their connections' states, and Workato's errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from test_sandbox_api import load_workato_model

from workato_ipywidget.sandbox import RateLimits, Sandbox

ACME = "/api/managed_users/acme"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", connected=True)
        server.add_connection(2, "jira", connected=True)
        yield server


def call(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sandbox.api_token}"}
    return httpx.request(method, sandbox.base_url + path, headers=headers, timeout=10, **kwargs)


def answer(sandbox: Sandbox, path: str, **params: Any) -> Any:
    response = call(sandbox, "GET", path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def recipe_ids(sandbox: Sandbox, customer: str = "acme", **params: Any) -> list[int]:
    return [
        r["id"]
        for r in answer(sandbox, f"/api/managed_users/{customer}/recipes", **params)["result"]
    ]


# recipes: fields, paging, filters


def test_a_recipe_answers_every_documented_field_and_names_its_connections(
    sandbox: Sandbox,
) -> None:
    recipe_model = load_workato_model("recipe", "Recipe", needs=("recipe_config_inner",))
    sandbox.add_recipe(101, "Sync leads", connections=[1, 2], running=True)
    sandbox.run_jobs(101, 3)

    listed = answer(sandbox, f"{ACME}/recipes")["result"][0]
    single = answer(sandbox, f"{ACME}/recipes/101")

    assert listed == single
    model = recipe_model.from_dict(single)
    assert (model.id, model.name, model.running) == (101, "Sync leads", True)
    assert single["config"] == [
        {
            "keyword": "application",
            "name": "salesforce",
            "provider": "salesforce",
            "skip_validation": False,
            "account_id": 1,
        },
        {
            "keyword": "application",
            "name": "jira",
            "provider": "jira",
            "skip_validation": False,
            "account_id": 2,
        },
    ]
    assert single["trigger_application"] == "salesforce"
    assert single["action_applications"] == ["jira"]
    assert single["applications"] == ["salesforce", "jira"]
    assert single["job_succeeded_count"] == 3
    assert single["folder_id"] == sandbox.customer("acme").folder_id
    for key in (
        "user_id",
        "description",
        "created_at",
        "updated_at",
        "copy_count",
        "lifetime_task_count",
        "last_run_at",
        "stopped_at",
        "stop_cause",
        "version_no",
        "webhook_url",
        "parameters_schema",
        "parameters",
    ):
        assert key in single


def test_a_trigger_that_needs_no_connection_makes_every_connection_an_action(
    sandbox: Sandbox,
) -> None:
    sandbox.add_recipe(7, "Nightly", connections=[1, 2], trigger="clock")

    recipe = answer(sandbox, f"{ACME}/recipes/7")

    assert recipe["trigger_application"] == "clock"
    assert recipe["action_applications"] == ["salesforce", "jira"]
    assert [c["account_id"] for c in recipe["config"]] == [1, 2]


@pytest.mark.parametrize(
    ("count", "pages"),
    [(0, [0]), (1, [1, 0]), (100, [100, 0]), (101, [100, 1, 0]), (250, [100, 100, 50, 0])],
)
def test_recipes_are_paged_100_at_most_highest_id_first(
    sandbox: Sandbox, count: int, pages: list[int]
) -> None:
    for number in range(1, count + 1):
        sandbox.add_recipe(number, f"Recipe {number}")

    sizes = []
    seen: list[int] = []
    for page in range(1, len(pages) + 1):
        ids = recipe_ids(sandbox, page=page, per_page=500)
        sizes.append(len(ids))
        seen += ids

    assert sizes == pages
    assert seen == list(range(count, 0, -1))


def test_recipe_filters_select_as_workato_documents(sandbox: Sandbox) -> None:
    sandbox.add_connection(3, "slack", connected=True)
    folder = sandbox.add_folder(None, "Sales")
    sandbox.add_recipe(10, "Leads", connections=[1, 2], running=True, folder_id=folder.id)
    sandbox.add_recipe(11, "Tickets", connections=[2], running=True)
    sandbox.add_recipe(12, "Alerts", connections=[3, 1])
    sandbox.lose_connection(2, "revoked")
    sandbox.run_jobs(11, 5)  # stops on trigger errors
    stopped_at = sandbox.recipe(11).stopped_at
    assert stopped_at is not None

    assert recipe_ids(sandbox, running="true") == [10]
    assert recipe_ids(sandbox, running="false") == [12, 11]
    assert recipe_ids(sandbox, folder_id=folder.id) == [10]
    assert recipe_ids(sandbox, since_id=12) == [11, 10]
    assert recipe_ids(sandbox, stop_cause="trigger_errors_limit") == [11]
    before = (stopped_at - timedelta(seconds=1)).isoformat()
    assert recipe_ids(sandbox, stopped_after=before) == [11]
    assert recipe_ids(sandbox, stopped_after=stopped_at.isoformat()) == []
    assert recipe_ids(sandbox, adapter_names_any="slack,jira") == [12, 11, 10]
    assert recipe_ids(sandbox, adapter_names_all="salesforce,jira") == [10]
    assert recipe_ids(sandbox, adapter_names_all="salesforce,slack") == [12]


def test_another_customers_recipes_are_not_listed_and_answer_404(sandbox: Sandbox) -> None:
    sandbox.add_customer("beta")
    sandbox.add_connection(9, "box", customer_id="beta")
    sandbox.add_recipe(90, "Beta files", customer_id="beta", connections=[9])

    assert recipe_ids(sandbox) == []
    assert recipe_ids(sandbox, customer="beta") == [90]
    for method, path in (
        ("GET", "/recipes/90"),
        ("PUT", "/recipes/90/start"),
        ("GET", "/recipes/90/jobs"),
    ):
        response = call(sandbox, method, ACME + path)
        assert response.status_code == 404
        assert set(response.json()) == {"message"}


def test_a_recipe_uses_only_its_own_customers_connections(sandbox: Sandbox) -> None:
    sandbox.add_customer("beta")

    with pytest.raises(ValueError, match="has no connection 1"):
        sandbox.add_recipe(5, "Stolen", customer_id="beta", connections=[1])


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("running=yes", "running"),
        ("stop_cause=bored", "stop_cause"),
        ("stopped_after=yesterday", "stopped_after"),
        ("folder_id=x", "folder_id"),
        ("page=0", "page"),
        ("since_id=-1", "since_id"),
    ],
)
def test_bad_recipe_queries_are_a_400_saying_what_was_wrong(
    sandbox: Sandbox, query: str, needle: str
) -> None:
    response = call(sandbox, "GET", f"{ACME}/recipes?{query}")

    assert response.status_code == 400
    assert needle in response.json()["message"]


def test_recipe_endpoints_need_the_api_token(sandbox: Sandbox) -> None:
    sandbox.add_recipe(1, "Sync", connections=[1])

    response = httpx.get(f"{sandbox.base_url}{ACME}/recipes/1/jobs", timeout=10)

    assert response.status_code == 401
    assert set(response.json()) == {"message"}


# starting, stopping and running


def test_start_and_stop_answer_success(sandbox: Sandbox) -> None:
    start_model = load_workato_model("recipe_start_response", "RecipeStartResponse")
    sandbox.add_recipe(101, "Sync", connections=[1])

    started = call(sandbox, "PUT", f"{ACME}/recipes/101/start")
    running = sandbox.recipe(101).running
    stopped = call(sandbox, "PUT", f"{ACME}/recipes/101/stop")

    assert started.json() == {"success": True}
    assert start_model.from_dict(started.json()).success is True
    assert running is True
    assert stopped.json() == {"success": True}
    recipe = answer(sandbox, f"{ACME}/recipes/101")
    assert (recipe["running"], recipe["stop_cause"]) == (False, None)
    assert recipe["stopped_at"] is not None


@pytest.mark.parametrize("breakage", ["never_authorized", "lost", "failed", "deleted"])
def test_a_recipe_cannot_start_while_a_connection_it_uses_is_broken(
    sandbox: Sandbox, breakage: str
) -> None:
    start_model = load_workato_model("recipe_start_response", "RecipeStartResponse")
    sandbox.add_connection(3, "slack", connected=breakage != "never_authorized")
    sandbox.add_recipe(101, "Sync", connections=[1, 3])
    if breakage == "lost":
        sandbox.lose_connection(3, "the refresh token was revoked")
    elif breakage == "failed":
        sandbox.fail_connection(3, "invalid credentials")
    elif breakage == "deleted":
        call(sandbox, "DELETE", f"{ACME}/connections/3")

    response = call(sandbox, "PUT", f"{ACME}/recipes/101/start")

    assert response.status_code == 200  # Workato's documented answer to a refused start
    refused = response.json()
    assert refused["success"] is False
    assert refused["code_errors"] == []
    ((line, adapter, message),) = refused["config_errors"]
    assert (line, adapter) == (2, "slack")
    assert "Slack connection" in message
    assert start_model.from_dict(refused).success is False
    assert sandbox.recipe(101).running is False
    with pytest.raises(ValueError, match="cannot start"):
        sandbox.start_recipe(101)


def test_jobs_succeed_while_every_connection_is_connected(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)

    jobs = sandbox.run_jobs(101, 2)

    assert [j.status for j in jobs] == ["succeeded", "succeeded"]
    listed = answer(sandbox, f"{ACME}/recipes/101/jobs")
    assert (listed["job_succeeded_count"], listed["job_failed_count"], listed["job_count"]) == (
        2,
        0,
        2,
    )
    assert [j["id"] for j in listed["items"]] == [jobs[1].id, jobs[0].id]  # newest first
    assert listed["items"][0]["flow_run_id"] > listed["items"][1]["flow_run_id"]


def test_a_job_fails_on_the_step_of_a_lost_connection_with_workatos_error_parts(
    sandbox: Sandbox,
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)
    sandbox.lose_connection(2, "the refresh token was revoked")

    (job,) = sandbox.run_jobs(101)
    listed = answer(sandbox, f"{ACME}/recipes/101/jobs")["items"][0]
    detail = answer(sandbox, f"{ACME}/recipes/101/jobs/{job.id}")

    assert job.id.startswith("j-")
    assert isinstance(detail["flow_run_id"], int)
    assert listed["is_error"] is True
    assert listed["status"] == "failed"
    parts = detail["error_parts"]
    assert parts["adapter"] == "jira"
    assert "the refresh token was revoked" in parts["message"]
    assert set(parts) == {
        "adapter",
        "error_type",
        "message",
        "error_id",
        "error_at",
        "input",
        "inner_message",
    }
    assert [line["recipe_line_number"] for line in detail["lines"]] == [1, 2]
    failing = detail["lines"][-1]
    assert failing["adapter_name"] == "jira"
    assert "the refresh token was revoked" in failing["error"]
    assert detail["lines"][0]["error"] is None
    assert "lines" not in listed


def test_consecutive_failures_stop_the_recipe_on_the_trigger_errors_limit(
    sandbox: Sandbox,
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    sandbox.fail_connection(1, "invalid credentials")

    jobs = sandbox.run_jobs(101, 8)

    assert len(jobs) == 5  # stopped after the fifth
    recipe = answer(sandbox, f"{ACME}/recipes/101")
    assert (recipe["running"], recipe["stop_cause"]) == (False, "trigger_errors_limit")
    assert recipe["job_failed_count"] == 5
    with pytest.raises(ValueError, match="is stopped"):
        sandbox.run_jobs(101)


def test_the_limit_counts_consecutive_failures_only() -> None:
    with Sandbox(trigger_errors_limit=2) as sandbox:
        sandbox.add_connection(1, "salesforce", connected=True)
        sandbox.add_recipe(101, "Sync", connections=[1], running=True)
        sandbox.fail_connection(1, "invalid credentials")
        sandbox.run_jobs(101)
        sandbox.authorize_connection(1)
        sandbox.run_jobs(101)
        sandbox.fail_connection(1, "invalid credentials")
        sandbox.run_jobs(101)

        assert sandbox.recipe(101).running is True
        sandbox.run_jobs(101)
        assert sandbox.recipe(101).stop_cause == "trigger_errors_limit"


def test_the_repair_loop_authorize_then_start_then_the_next_job_succeeds(
    sandbox: Sandbox,
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)
    sandbox.lose_connection(2, "revoked")
    sandbox.run_jobs(101, 5)
    assert call(sandbox, "PUT", f"{ACME}/recipes/101/start").json()["success"] is False

    repaired = sandbox.authorize_connection(2)
    started = call(sandbox, "PUT", f"{ACME}/recipes/101/start").json()
    (job,) = sandbox.run_jobs(101)

    assert repaired.connected is True
    assert repaired.connection_lost_at is None
    assert started == {"success": True}
    assert job.status == "succeeded"
    assert answer(sandbox, f"{ACME}/recipes/101")["stop_cause"] is None


# the job cursor


def test_jobs_are_read_page_after_page_with_workatos_offset_cursor(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    made = sandbox.run_jobs(101, 250)
    newest_first = [j.id for j in reversed(made)]

    pages = []
    offset = None
    while True:
        params = {} if offset is None else {"offset_job_id": offset}
        items = answer(sandbox, f"{ACME}/recipes/101/jobs", **params)["items"]
        if not items:
            break
        pages.append([j["id"] for j in items])
        offset = items[-1]["id"]

    assert [len(p) for p in pages] == [100, 100, 50]
    assert [i for p in pages for i in p] == newest_first
    newer = answer(
        sandbox, f"{ACME}/recipes/101/jobs", offset_job_id=newest_first[150], prev="true"
    )
    assert [j["id"] for j in newer["items"]] == newest_first[50:150]


def test_jobs_filter_by_status_and_rerun_only(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    ok = sandbox.run_jobs(101, 2)
    sandbox.lose_connection(1, "revoked")
    failed = sandbox.run_jobs(101, 2)

    def ids(**params: Any) -> list[str]:
        return [j["id"] for j in answer(sandbox, f"{ACME}/recipes/101/jobs", **params)["items"]]

    assert ids(status="failed") == [failed[1].id, failed[0].id]
    assert ids(status="succeeded") == [ok[1].id, ok[0].id]
    assert ids(status="pending") == []
    assert ids(rerun_only="true") == []  # the sandbox never reruns a job


@pytest.mark.parametrize(
    ("query", "status"),
    [("offset_job_id=j-nope-nope", 404), ("status=done", 400), ("prev=maybe", 400)],
)
def test_bad_job_queries_are_refused(sandbox: Sandbox, query: str, status: int) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    sandbox.run_jobs(101)

    response = call(sandbox, "GET", f"{ACME}/recipes/101/jobs?{query}")

    assert response.status_code == status
    assert set(response.json()) == {"message"}


def test_an_unknown_job_is_a_404(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1])

    assert call(sandbox, "GET", f"{ACME}/recipes/101/jobs/j-AAAAAAAA-AAAAA").status_code == 404


# folders and projects


def test_folders_list_the_home_folders_children_by_default(sandbox: Sandbox) -> None:
    folder_model = load_workato_model("folder", "Folder")
    project_model = load_workato_model("project", "Project")
    home = sandbox.customer("acme").folder_id
    sales = sandbox.add_folder(None, "Sales")
    leads = sandbox.add_folder(None, "Leads", parent_id=sales.id)

    top = answer(sandbox, f"{ACME}/folders")["result"]
    inner = answer(sandbox, f"{ACME}/folders", parent_id=sales.id)["result"]
    projects = answer(sandbox, f"{ACME}/projects")["result"]

    assert [(f["id"], f["parent_id"], f["is_project"]) for f in top] == [(sales.id, home, True)]
    assert [(f["id"], f["name"], f["is_project"]) for f in inner] == [(leads.id, "Leads", False)]
    assert projects == [
        {"id": sales.project_id, "name": "Sales", "description": None, "folder_id": sales.id}
    ]
    for folder in (*top, *inner):
        assert folder_model.from_dict(folder).id == folder["id"]
    assert project_model.from_dict(projects[0]).folder_id == sales.id


def test_folders_are_paged_and_scoped_to_their_customer(sandbox: Sandbox) -> None:
    for number in range(1, 131):
        sandbox.add_folder(5000 + number, f"F{number}")
    sandbox.add_customer("beta")
    beta_folder = sandbox.add_folder(None, "Beta only", customer_id="beta")

    first = answer(sandbox, f"{ACME}/folders", page=1)["result"]
    second = answer(sandbox, f"{ACME}/folders", page=2, per_page=100)["result"]
    other = call(sandbox, "GET", f"{ACME}/folders", params={"parent_id": beta_folder.id})

    assert (len(first), len(second)) == (100, 30)
    assert other.status_code == 404


def test_a_folder_needs_a_parent_of_its_own_customer(sandbox: Sandbox) -> None:
    sandbox.add_customer("beta")
    beta_folder = sandbox.add_folder(None, "Beta", customer_id="beta")

    with pytest.raises(ValueError, match="not a folder of customer 'acme'"):
        sandbox.add_folder(None, "X", parent_id=beta_folder.id)
    with pytest.raises(ValueError, match="not a folder of customer 'acme'"):
        sandbox.add_recipe(1, "X", folder_id=beta_folder.id)


# customers: create, update, delete


def test_a_customer_is_created_updated_and_deleted(sandbox: Sandbox) -> None:
    created = call(
        sandbox,
        "POST",
        "/api/managed_users",
        json={
            "name": "Globex",
            "notification_email": "ops@globex.example",
            "external_id": "G-1",
            "origin_url": "https://globex.example",
        },
    )
    assert created.status_code == 200, created.text
    customer = created.json()
    assert isinstance(customer["id"], int)
    assert (customer["name"], customer["external_id"]) == ("Globex", "G-1")

    updated = call(
        sandbox, "PUT", "/api/managed_users/EG-1", json={"origin_url": None, "name": "Globex Inc"}
    )
    assert updated.json()["origin_url"] is None
    assert updated.json()["name"] == "Globex Inc"
    assert updated.json()["notification_email"] == "ops@globex.example"  # not sent: unchanged

    key = str(customer["id"])
    sandbox.add_connection(50, "box", customer_id=key)
    sandbox.add_recipe(500, "Files", customer_id=key, connections=[50])
    deleted = call(sandbox, "DELETE", f"/api/managed_users/{key}")

    assert deleted.json() == {"success": True}
    assert call(sandbox, "GET", f"/api/managed_users/{key}").status_code == 404
    with pytest.raises(KeyError):
        sandbox.connection(50)
    with pytest.raises(KeyError):
        sandbox.recipe(500)
    assert call(sandbox, "GET", "/api/managed_users/EG-1").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "", {"name": "x"}, "notification_email is required"),
        ("POST", "", {"notification_email": "a@b.c"}, "name is required"),
        ("POST", "", {"name": "x", "notification_email": "a@b.c", "colour": "red"}, "colour"),
        ("POST", "", {"name": "x", "notification_email": "a@b.c", "in_trial": "no"}, "in_trial"),
        ("PUT", "/acme", {}, "nothing to update"),
        ("PUT", "/acme", {"name": None}, "name"),
        ("PUT", "/acme", {"notification_email": None}, "notification_email"),
    ],
)
def test_bad_customer_input_is_a_400_saying_what_was_wrong(
    sandbox: Sandbox, method: str, path: str, body: dict[str, Any], needle: str
) -> None:
    response = call(sandbox, method, f"/api/managed_users{path}", json=body)

    assert response.status_code == 400
    assert needle in response.json()["message"]


def test_an_external_id_stays_unique_through_the_api(sandbox: Sandbox) -> None:
    sandbox.add_customer("globex", external_id="G-1")

    response = call(sandbox, "PUT", "/api/managed_users/acme", json={"external_id": "G-1"})

    assert response.status_code == 400
    assert "already has the external id" in response.json()["message"]


def test_timestamps_are_iso_8601_with_a_zone(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    (job,) = sandbox.run_jobs(101)

    stamp = answer(sandbox, f"{ACME}/recipes/101/jobs/{job.id}")["started_at"]

    assert datetime.fromisoformat(stamp).tzinfo == timezone.utc


# rate limits, one quota per endpoint family

FAMILIES = [
    ("list_recipes", "GET", f"{ACME}/recipes"),
    ("get_recipe", "GET", f"{ACME}/recipes/101"),
    ("recipes", "PUT", f"{ACME}/recipes/101/stop"),
    ("jobs", "GET", f"{ACME}/recipes/101/jobs"),
    ("folders", "GET", f"{ACME}/folders"),
    ("projects", "GET", f"{ACME}/projects"),
    ("customers", "GET", "/api/managed_users"),
    ("create_customer", "POST", "/api/managed_users"),
    ("list_connections", "GET", f"{ACME}/connections"),
    ("connections", "POST", f"{ACME}/connections/1/disconnect"),
]


@pytest.mark.parametrize(("family", "method", "path"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_each_endpoint_family_has_its_own_quota(family: str, method: str, path: str) -> None:
    limits = RateLimits(**{name: 1 for name, _, _ in FAMILIES}, window=30)
    body = {"name": "N", "notification_email": "n@example.com"} if method == "POST" else None
    with Sandbox(rate_limits=limits) as sandbox:
        sandbox.add_connection(1, "salesforce", connected=True)
        sandbox.add_recipe(101, "Sync", connections=[1])
        first = call(sandbox, method, path, json=body)
        second = call(sandbox, method, path, json=body)
        others = [
            call(sandbox, m, p, json=body if m == "POST" else None).status_code
            for name, m, p in FAMILIES
            if name != family
        ]

    assert first.status_code == 200, first.text
    assert second.status_code == 429
    assert "Retry-After" in second.headers
    assert "every API token shares it" in second.json()["message"]
    assert 429 not in others  # every other family still has its one request


def test_the_documented_limits_cover_every_family_the_sandbox_serves() -> None:
    limits = RateLimits()

    assert (limits.list_recipes, limits.get_recipe, limits.recipes, limits.jobs) == (
        2000,
        2000,
        1000,
        1000,
    )
    assert (limits.customers, limits.create_customer) == (60, 1000)
