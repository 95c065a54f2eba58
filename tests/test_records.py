"""The typed records, built from answers shaped as Workato's Embedded API documents them."""

from __future__ import annotations

import dataclasses
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from workato_ipywidget import (
    Connection,
    Customer,
    ErrorParts,
    Folder,
    Job,
    JobLine,
    Project,
    Recipe,
    RecipeConfig,
    to_frame,
)

# Samples from Workato's Embedded API pages (Recipes, Jobs, Folders, Projects), trimmed.
RECIPE: dict[str, Any] = {
    "id": 1913515,
    "user_id": 4848,
    "name": "Callable service: JIRA ticket sync",
    "created_at": "2021-11-25T07:07:38.568-08:00",
    "updated_at": "2021-11-25T07:14:40.822-08:00",
    "copy_count": 1,
    "trigger_application": "workato_service",
    "action_applications": ["jira"],
    "applications": ["workato_service", "jira"],
    "description": "When there is a new call for callable recipe, do action",
    "parameters_schema": [],
    "parameters": {},
    "webhook_url": None,
    "folder_id": 241557,
    "running": False,
    "job_succeeded_count": 1,
    "job_failed_count": 0,
    "lifetime_task_count": 0,
    "last_run_at": "2021-11-25T07:10:27.424-08:00",
    "stopped_at": "2021-11-25T07:11:06.346-08:00",
    "version_no": 3,
    "stop_cause": None,
    "config": [
        {
            "keyword": "application",
            "name": "workato_service",
            "provider": "workato_service",
            "skip_validation": False,
            "account_id": None,
        },
        {
            "keyword": "application",
            "name": "jira",
            "provider": "jira",
            "skip_validation": False,
            "account_id": 196,
        },
    ],
    "code": '{"number": 0}',
}
JOB: dict[str, Any] = {
    "id": "j-KGAKfhsz-GYoLe",
    "flow_run_id": 3948296,
    "started_at": "2022-03-30T01:52:50.282-07:00",
    "completed_at": "2022-03-30T01:52:52.418-07:00",
    "title": "New/updated record in Salesforce",
    "is_error": True,
    "is_poll_error": False,
    "error": "Authentication failed",
    "error_parts": {
        "adapter": "salesforce",
        "error_type": "Authentication",
        "message": "Authentication failed",
        "error_id": "f0e0d0",
        "error_at": "2022-03-30T01:52:52.000-07:00",
        "input": {"id": 1},
        "inner_message": "INVALID_SESSION_ID",
    },
    "lines": [
        {
            "recipe_line_number": 0,
            "adapter_name": "salesforce",
            "adapter_operation": "new_or_updated_object",
            "input": None,
            "output": None,
            "error": None,
            "line_stat": {"total": 12},
        },
        {
            "recipe_line_number": 1,
            "adapter_name": "jira",
            "adapter_operation": "create_issue",
            "input": None,
            "output": None,
            "error": "Authentication failed",
            "line_stat": None,
        },
    ],
}


def test_recipe_reads_every_documented_field_and_its_config() -> None:
    recipe = Recipe.from_api(RECIPE)

    assert (recipe.id, recipe.user_id, recipe.name) == (1913515, 4848, RECIPE["name"])
    assert recipe.running is False
    assert recipe.applications == ("workato_service", "jira")
    assert recipe.action_applications == ("jira",)
    assert recipe.stopped_at == datetime(
        2021, 11, 25, 7, 11, 6, 346000, tzinfo=timezone(timedelta(hours=-8))
    )
    assert (recipe.version_no, recipe.job_succeeded_count, recipe.folder_id) == (3, 1, 241557)
    assert recipe.config[1] == RecipeConfig(
        keyword="application", name="jira", provider="jira", skip_validation=False, account_id=196
    )
    assert recipe.extra == {"code": '{"number": 0}'}


def test_a_recipes_connection_ids_are_its_configs_accounts_once_each() -> None:
    record = dict(RECIPE, config=[*RECIPE["config"], {"provider": "jira", "account_id": 196}])

    assert Recipe.from_api(record).connection_ids == (196,)
    assert Recipe.from_api(dict(RECIPE, config=[])).connection_ids == ()


def test_job_reads_its_error_parts_and_lines() -> None:
    job = Job.from_api(JOB)

    assert (job.id, job.flow_run_id, job.is_error) == ("j-KGAKfhsz-GYoLe", 3948296, True)
    assert isinstance(job.error_parts, ErrorParts)
    assert job.error_parts.adapter == "salesforce"
    assert job.error_parts.inner_message == "INVALID_SESSION_ID"
    assert job.error_parts.error_at is not None
    assert job.error_parts.error_at.utcoffset() == timedelta(hours=-7)
    assert job.lines is not None
    assert [line.recipe_line_number for line in job.lines] == [0, 1]
    assert job.failed_line == JobLine.from_api(JOB["lines"][1])


def test_a_listed_job_has_no_lines() -> None:
    listed = {key: value for key, value in JOB.items() if key != "lines"}

    job = Job.from_api(listed)

    assert job.lines is None
    assert job.failed_line is None


def test_folders_and_projects_read_their_documented_fields() -> None:
    folder = Folder.from_api(
        {"id": 7498, "name": "Netsuite production", "parent_id": 3319,
         "created_at": "2020-07-31T03:08:29.486-07:00",
         "updated_at": "2020-07-31T03:08:29.493-07:00"}
    )  # fmt: skip
    project = Project.from_api(
        {"id": 649122, "description": "Coupa to Netsuite automations", "folder_id": 1563029,
         "name": "Procure to Pay"}
    )  # fmt: skip

    assert (folder.id, folder.parent_id, folder.created_at is not None) == (7498, 3319, True)
    assert (project.id, project.folder_id, project.name) == (649122, 1563029, "Procure to Pay")


def test_a_date_time_without_an_offset_is_taken_as_utc() -> None:
    folder = Folder.from_api({"id": 1, "name": "x", "created_at": "2024-05-01T10:00:00"})

    assert folder.created_at == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("kind", "record", "named"),
    [
        (Recipe, [], "recipe record must be a JSON object"),
        (Recipe, {"name": "x"}, "field 'id' is missing"),
        (Recipe, {"id": 1, "name": "x", "running": "yes"}, "'running' should be true, false"),
        (Recipe, {"id": 1, "name": "x", "applications": "jira"}, "'applications' should be a list"),
        (Recipe, {"id": 1, "name": "x", "config": [{"account_id": "7"}]}, "'config.0.account_id'"),
        (Recipe, {"id": 1, "name": "x", "config": {"a": 1}}, "'config' should be a list"),
        (Job, {"id": None}, "'id' should be an integer or a string"),
        (Job, {"id": "j-1", "error_parts": "oops"}, "'error_parts' should be a JSON object"),
        (Job, {"id": "j-1", "lines": [{"recipe_line_number": 1.5}]}, "'lines.0.recipe_line"),
        (Folder, {"id": 1, "name": "x", "updated_at": "noon"}, "'updated_at' should be an ISO"),
        (Project, {"id": 1, "name": 5}, "project 1: field 'name' should be a string, got int"),
    ],
)
def test_a_malformed_record_names_the_record_and_the_field(
    kind: type[Recipe | Job | Folder | Project], record: object, named: str
) -> None:
    with pytest.raises(ValueError, match=named) as caught:
        kind.from_api(record)

    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


def test_records_are_frozen_and_replace_checks_the_new_value() -> None:
    recipe = Recipe.from_api(RECIPE)

    changed = recipe.replace(running=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        recipe.running = True  # type: ignore[misc]
    with pytest.raises(ValueError, match="running"):
        recipe.replace(running="yes")
    assert (recipe.running, changed.running, changed.extra) == (False, True, recipe.extra)


def test_records_built_in_python_are_checked_like_answers() -> None:
    with pytest.raises(ValueError, match="id"):
        Connection(id="7", name="x")  # type: ignore[arg-type]

    assert Connection(id=7, name="x").extra == {}


def test_to_frame_makes_one_row_per_record_and_utc_timestamps() -> None:
    pandas = pytest.importorskip("pandas")
    recipes = [Recipe.from_api(RECIPE), Recipe.from_api(dict(RECIPE, id=2, running=True))]

    frame = to_frame(recipes)

    assert list(frame["id"]) == [1913515, 2]
    assert list(frame["running"]) == [False, True]
    assert "extra" not in frame.columns
    assert isinstance(frame["stopped_at"].dtype, pandas.DatetimeTZDtype)
    assert frame["stopped_at"][0] == pandas.Timestamp("2021-11-25T15:11:06.346Z")


def test_to_frame_of_mixed_kinds_and_of_nothing() -> None:
    pytest.importorskip("pandas")
    mixed = to_frame([Customer(id="acme", name="ACME"), Connection(id=1, name="SF")])

    assert len(to_frame([])) == 0
    assert list(mixed["id"]) == ["acme", 1]
    with pytest.raises(TypeError, match="item 0 is a dict"):
        to_frame([{"id": 1}])  # type: ignore[list-item]


def test_to_frame_without_pandas_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an environment without pandas sees

    with pytest.raises(ImportError, match=r"pip install 'workato-ipywidget\[pandas\]'"):
        to_frame([Connection(id=1, name="SF")])
