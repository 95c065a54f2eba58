"""Recipes, jobs, folders, projects and customers through both clients, against a running
sandbox over real HTTP: paging, filters, the job cursor, a refused start, and each error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from workato_ipywidget import (
    ApiError,
    AsyncEmbeddedApi,
    AuthenticationError,
    EmbeddedApi,
    ExternalId,
    Job,
    NotFoundError,
    Recipe,
    RecipeStartError,
)
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", connected=True)
        server.add_connection(2, "jira", connected=True)
        yield server


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[EmbeddedApi]:
    with EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url, pace=False) as client:
        yield client


def add_recipes(sandbox: Sandbox, count: int) -> None:
    for recipe_id in range(1, count + 1):
        sandbox.add_recipe(recipe_id, f"Recipe {recipe_id}", connections=[1])


# recipes


@pytest.mark.parametrize(("count", "requests"), [(0, 1), (1, 1), (100, 2), (101, 2), (250, 3)])
def test_recipes_reads_every_page_until_a_short_one(
    sandbox: Sandbox, api: EmbeddedApi, count: int, requests: int
) -> None:
    add_recipes(sandbox, count)

    found = api.recipes("acme")

    assert [r.id for r in found] == list(range(count, 0, -1))  # highest id first, each once
    assert api.stats.requests == requests
    assert all(isinstance(r, Recipe) for r in found)


def test_a_recipe_names_its_connections_and_recipes_using_finds_it(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)
    sandbox.add_recipe(102, "Jira only", connections=[2])

    recipe = api.recipe("acme", 101)

    assert (recipe.id, recipe.name, recipe.running) == (101, "Sync", True)
    assert recipe.connection_ids == (1, 2)
    assert {c.provider for c in recipe.config} == {"salesforce", "jira"}
    assert [r.id for r in api.recipes_using("acme", 1)] == [101]
    assert [r.id for r in api.recipes_using("acme", "2")] == [102, 101]


def test_each_recipe_filter_selects_what_workato_documents(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sales = sandbox.add_folder(None, "Sales")
    sandbox.add_recipe(101, "SF", connections=[1], running=True)
    sandbox.add_recipe(102, "Jira", connections=[2], folder_id=sales.id)
    sandbox.add_recipe(103, "Both", connections=[1, 2], running=True)
    sandbox.fail_connection(1, "invalid credentials")
    sandbox.run_jobs(101, 5)  # the trigger errors limit stops it
    moment = datetime.now(timezone.utc) - timedelta(minutes=1)

    def ids(**filters: object) -> list[int]:
        return [r.id for r in api.recipes("acme", **filters)]  # type: ignore[arg-type]

    assert ids(running=True) == [103]
    assert ids(running=False) == [102, 101]
    assert ids(folder_id=sales.id) == [102]
    assert ids(stop_cause="trigger_errors_limit") == [101]
    assert ids(adapter_names_any=["jira"]) == [103, 102]
    assert ids(adapter_names_all=["salesforce", "jira"]) == [103]
    assert ids(adapter_names_any="salesforce") == [103, 101]
    assert ids(since_id=103) == [102, 101]
    assert ids(stopped_after=moment) == [101]


@pytest.mark.parametrize(
    ("filters", "error", "named"),
    [
        ({"stop_cause": "tired"}, ValueError, "stop_cause must be one of"),
        ({"running": "yes"}, TypeError, "running must be True or False"),
        ({"folder_id": 0}, ValueError, "folder_id"),
        ({"stopped_after": "yesterday"}, TypeError, "stopped_after must be a datetime"),
        ({"adapter_names_any": []}, TypeError, "adapter_names_any"),
    ],
)
def test_a_bad_recipe_filter_is_refused_before_any_request(
    api: EmbeddedApi, filters: dict[str, object], error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        api.recipes("acme", **filters)  # type: ignore[arg-type]

    assert api.stats.requests == 0


def test_start_and_stop_a_recipe(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1])

    api.start_recipe("acme", 101)
    running = api.recipe("acme", 101).running
    api.stop_recipe("acme", 101)

    assert (running, api.recipe("acme", 101).running) == (True, False)


def test_a_refused_start_raises_recipe_start_error_with_workatos_errors(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2])
    sandbox.lose_connection(2, "the refresh token was revoked")

    with pytest.raises(RecipeStartError) as caught:
        api.start_recipe("acme", 101)

    error = caught.value
    assert isinstance(error, ApiError)
    assert error.recipe_id == 101
    assert error.config_errors
    assert "recipe 101 did not start" in str(error)
    assert "jira" in str(error)
    assert api.recipe("acme", 101).running is False


# jobs


def test_jobs_follow_the_cursor_to_the_end_newest_first(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    made = sandbox.run_jobs(101, 250)

    found = api.jobs("acme", 101)

    assert [j.id for j in found] == [j.id for j in reversed(made)]
    assert api.stats.requests == 4  # 100, 100, 50, then an empty page
    assert all(isinstance(j, Job) and j.lines is None for j in found)


def test_jobs_stop_reading_at_the_limit(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)
    made = sandbox.run_jobs(101, 150)

    newest = api.jobs("acme", 101, limit=5)
    reads = api.stats.requests
    more = api.jobs("acme", 101, limit=120)

    assert [j.id for j in newest] == [j.id for j in reversed(made)][:5]
    assert reads == 1
    assert len(more) == 120
    assert api.stats.requests == reads + 2


def test_jobs_filter_by_status_and_a_job_has_its_failing_step(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)
    sandbox.run_jobs(101, 2)
    sandbox.lose_connection(2, "the refresh token was revoked")
    (failed,) = sandbox.run_jobs(101)

    listed = api.jobs("acme", 101, status="failed")
    job = api.job("acme", 101, listed[0].id)

    assert [j.id for j in listed] == [failed.id]
    assert len(api.jobs("acme", 101, status="succeeded")) == 2
    assert api.jobs("acme", 101, rerun_only=True) == []
    assert job.is_error is True
    assert job.error_parts is not None
    assert job.error_parts.adapter == "jira"
    assert job.failed_line is not None
    assert job.failed_line.adapter_name == "jira"
    assert "revoked" in str(job.failed_line.error)


# customers, folders, projects


def test_customers_reads_every_page(sandbox: Sandbox, api: EmbeddedApi) -> None:
    for number in range(1, 250):
        sandbox.add_customer(f"c{number}", name=f"Customer {number}")

    found = api.customers()

    assert len(found) == 250  # "acme" and 249 more
    assert len({c.id for c in found}) == 250
    assert api.stats.requests == 3


def test_a_customer_is_created_updated_and_deleted(api: EmbeddedApi) -> None:
    made = api.create_customer(
        name="Globex", notification_email="ops@globex.example", external_id="GX-1"
    )
    renamed = api.update_customer(made.id, name="Globex Corp")
    cleared = api.update_customer(ExternalId("GX-1"), external_id=None)
    api.delete_customer(made.id)

    assert (made.name, made.external_id) == ("Globex", "GX-1")
    assert (renamed.name, renamed.notification_email) == ("Globex Corp", "ops@globex.example")
    assert (cleared.name, cleared.external_id) == ("Globex Corp", None)
    with pytest.raises(NotFoundError):
        api.customer(made.id)


def test_update_customer_names_the_fields_it_can_change(api: EmbeddedApi) -> None:
    with pytest.raises(TypeError, match="cannot change colour"):
        api.update_customer("acme", colour="red")
    with pytest.raises(TypeError, match="at least one field"):
        api.update_customer("acme")


def test_folders_and_projects(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sales = sandbox.add_folder(None, "Sales")
    leads = sandbox.add_folder(None, "Leads", parent_id=sales.id)
    for number in range(120):
        sandbox.add_folder(None, f"Team {number}")

    top = api.folders("acme")
    inner = api.folders("acme", parent_id=sales.id)
    projects = api.projects("acme")

    assert len(top) == 121
    assert [(f.id, f.name) for f in inner] == [(leads.id, "Leads")]
    assert sales.id in {p.folder_id for p in projects}
    assert len(projects) == 121


# each error class


def test_each_refusal_is_its_error_class(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1], running=True)

    with pytest.raises(NotFoundError):
        api.recipes("nobody")
    with pytest.raises(NotFoundError):
        api.recipe("acme", 999)
    with pytest.raises(NotFoundError):
        api.job("acme", 101, "j-nope")
    with pytest.raises(ApiError) as bad:
        api.update_customer("acme", notification_email=None)  # Workato requires one
    with (
        EmbeddedApi("wrong-token", base_url=sandbox.base_url) as wrong,
        pytest.raises(AuthenticationError),
    ):
        wrong.jobs("acme", 101)

    assert bad.value.status == 400
    assert "notification_email" in bad.value.message


# the async twin


def test_the_async_client_answers_the_same_records(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2], running=True)
    sandbox.run_jobs(101, 3)

    async def read() -> tuple[object, ...]:
        async with AsyncEmbeddedApi(sandbox.api_token, base_url=sandbox.base_url) as client:
            jobs = await client.jobs("acme", 101)
            return (
                await client.recipes("acme"),
                jobs,
                await client.job("acme", 101, jobs[0].id),
                await client.connections("acme"),
                await client.customers(),
            )

    recipes, jobs, job, connections, customers = asyncio.run(read())

    assert recipes == api.recipes("acme")
    assert jobs == api.jobs("acme", 101)
    assert job == api.job("acme", 101, api.jobs("acme", 101)[0].id)
    assert connections == api.connections("acme")
    assert customers == api.customers()


def test_the_async_client_raises_the_same_errors(sandbox: Sandbox) -> None:
    sandbox.add_recipe(101, "Sync", connections=[1, 2])
    sandbox.lose_connection(2, "revoked")

    async def start() -> None:
        async with AsyncEmbeddedApi(sandbox.api_token, base_url=sandbox.base_url) as client:
            await client.start_recipe("acme", 101)

    with pytest.raises(RecipeStartError, match="recipe 101 did not start"):
        asyncio.run(start())


def test_help_shows_each_methods_own_parameters_and_result() -> None:
    import inspect

    sync = inspect.signature(EmbeddedApi("t0ken").jobs)
    awaited = inspect.signature(AsyncEmbeddedApi.recipes)

    assert list(sync.parameters) == ["customer_id", "recipe_id", "status", "rerun_only", "limit"]
    assert sync.return_annotation == "list[Job]"
    assert list(awaited.parameters)[:3] == ["self", "customer_id", "running"]
    assert EmbeddedApi.jobs.__doc__ == AsyncEmbeddedApi.jobs.__doc__
    assert "offset_job_id" in (EmbeddedApi.jobs.__doc__ or "")
