"""The recipes behind a panel's connections: one paged list read, bounded last-job reads.

`read_recipes` lists a customer's recipes once (every page), then reads the newest job only of
the recipes that need it (stopped, or with failed jobs), at most `MAX_JOB_READS` a refresh,
newest first, and reuses what an earlier read found for a recipe that has not run since. What it
finds becomes each row's recipe summary (`summary`) and an opened row's recipe list (`details`).
When recipes cannot be read (an API without recipe support, a role without the privilege), the
read says why and the connections are shown without them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .api_failures import customer_label
from .protocol import MAX_ERROR_TEXT, clean_text
from .token import IdLike

if TYPE_CHECKING:
    from .api import EmbeddedApi
    from .records import Job, JobLine, Recipe

__all__ = [
    "MAX_JOB_READS",
    "JobInfo",
    "RecipeRead",
    "details",
    "newest_job",
    "read_recipes",
    "recipe_state",
    "summary",
]

log = logging.getLogger(__name__)

MAX_JOB_READS = 10
"""Job reads one refresh may make (each recipe's newest job, and a failed one's lines)."""

TRIGGER_ERRORS = "trigger_errors_limit"


@dataclass(frozen=True, slots=True)
class JobInfo:
    """A recipe's newest job as a row shows it: when, whether it failed, why, and which step."""

    id: str
    at: datetime | None
    failed: bool
    error: str | None = None
    step: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": None if self.at is None else self.at.isoformat(),
            "failed": self.failed,
            "error": self.error,
            "step": self.step,
        }


@dataclass(frozen=True)
class RecipeRead:
    """What one refresh found: the customer's recipes, each read recipe's newest job, and why
    recipes (or some jobs) could not be read."""

    recipes: tuple[Recipe, ...] = ()
    last_jobs: Mapping[int, JobInfo | None] = field(default_factory=dict)
    keys: Mapping[int, tuple[Any, ...]] = field(default_factory=dict)
    missing: str | None = None
    """Why the recipes are not shown (None when they were read)."""
    jobs_note: str | None = None
    """Why some recipes' last jobs are not shown (a failed or capped job read)."""
    requests: int = 0

    def using(self, connection_id: int) -> tuple[Recipe, ...]:
        """The recipes whose config names `connection_id`, newest first."""
        return tuple(r for r in self.recipes if connection_id in r.connection_ids)


def read_recipes(
    api: EmbeddedApi, customer_id: IdLike, previous: RecipeRead | None = None
) -> RecipeRead:
    """List the customer's recipes and the last jobs that need reading; never raises for a
    refused or failed read (the answer's `missing` says why)."""
    lister = getattr(api, "recipes", None)
    if not callable(lister):
        return RecipeRead(
            missing=f"this {type(api).__name__} has no recipes() (recipe support is missing)"
        )
    try:
        recipes = tuple(lister(customer_id))
    except Exception as exc:
        return RecipeRead(missing=_why(exc, f"{customer_label(customer_id)}'s recipes"), requests=1)
    requests = 1
    old = previous if previous is not None and previous.missing is None else RecipeRead()
    last_jobs: dict[int, JobInfo | None] = {}
    keys: dict[int, tuple[Any, ...]] = {}
    wanted: list[Recipe] = []
    for recipe in recipes:
        key = _run_key(recipe)
        keys[recipe.id] = key
        if recipe.id in old.last_jobs and old.keys.get(recipe.id) == key:
            last_jobs[recipe.id] = old.last_jobs[recipe.id]  # nothing ran since: reuse
        elif _needs_last_job(recipe):
            wanted.append(recipe)
    wanted.sort(key=lambda r: (bool(r.running), -_timestamp(r.last_run_at)))
    budget = MAX_JOB_READS
    note: str | None = None
    for recipe in wanted:
        if budget <= 0:
            note = (
                f"the last job of {len(wanted) - len(last_jobs)} recipe(s) is not shown: at most "
                f"{MAX_JOB_READS} job reads a refresh; refresh again for more"
            )
            break
        try:
            info, used = _last_job(api, customer_id, recipe, budget)
        except Exception as exc:
            note = _why(exc, f"the jobs of recipe {recipe.id}")
            budget -= 1
            requests += 1
            keys.pop(recipe.id, None)  # try again next refresh
            continue
        budget -= used
        requests += used
        last_jobs[recipe.id] = info  # None: it has no job yet
    return RecipeRead(recipes, last_jobs, keys, None, note, requests)


def recipe_state(recipe: Recipe) -> tuple[bool, str | None]:
    """What a recipe's on_change compares: running, and why it stopped."""
    return bool(recipe.running), None if recipe.running else recipe.stop_cause


def summary(read: RecipeRead | None, connection_id: int) -> dict[str, Any] | None:
    """A row's recipe summary: how many recipes use it, how many stopped, whether one stopped
    on trigger errors, and its recipes' newest job (failed or not); None when not read."""
    if read is None or read.missing is not None:
        return None
    recipes = read.using(connection_id)
    stopped = [r for r in recipes if not r.running]
    jobs = [job for job in (newest_job(read, r) for r in recipes) if job is not None]
    failed = [j for j in jobs if j.failed and j.at is not None]
    newest = max(jobs, key=lambda j: _timestamp(j.at), default=None)
    last_failed = max(failed, key=lambda j: _timestamp(j.at), default=None)
    return {
        "count": len(recipes),
        "stopped": len(stopped),
        "trigger_errors": sum(r.stop_cause == TRIGGER_ERRORS for r in stopped),
        "last_failed_at": None if last_failed is None or last_failed.at is None
        else last_failed.at.isoformat(),
        "last_job_failed": None if newest is None else newest.failed,
        "last_job_at": None if newest is None or newest.at is None else newest.at.isoformat(),
    }  # fmt: skip


def details(read: RecipeRead | None, connection_id: int) -> list[dict[str, Any]]:
    """An opened row's recipes: state, stop cause, and newest job with its error and step."""
    if read is None or read.missing is not None:
        return []
    shown = []
    for recipe in read.using(connection_id):
        job = newest_job(read, recipe)
        shown.append(
            {
                "id": recipe.id,
                "name": clean_text(recipe.name, 200),
                "running": bool(recipe.running),
                "stop_cause": recipe.stop_cause,
                "stopped_at": _iso(recipe.stopped_at),
                "last_run_at": _iso(recipe.last_run_at),
                "failed_jobs": recipe.job_failed_count,
                "last_job": None if job is None else job.as_dict(),
            }
        )
    return shown


def newest_job(read: RecipeRead, recipe: Recipe) -> JobInfo | None:
    """The recipe's newest job: as read, or, for a running recipe that never failed, a success
    at its `last_run_at` (no read needed to know that)."""
    job = read.last_jobs.get(recipe.id)
    if job is not None or _needs_last_job(recipe):
        return job
    ran = recipe.last_run_at
    return None if ran is None else JobInfo("", ran, False)


def _last_job(
    api: EmbeddedApi, customer_id: IdLike, recipe: Recipe, budget: int
) -> tuple[JobInfo | None, int]:
    """The recipe's newest job (and, for a failed one with budget left, its failing line)."""
    jobs = api.jobs(customer_id, recipe.id, limit=1)
    if not jobs:
        return None, 1
    job = jobs[0]
    failed = bool(job.is_error)
    error = _job_error(job) if failed else None
    step: str | None = None
    used = 1
    if failed and budget > 1:
        try:
            full = api.job(customer_id, recipe.id, job.id)
        except Exception as exc:
            log.info("could not read job %s of recipe %s: %s", job.id, recipe.id, exc)
        else:
            step = _failing_step(full.lines or ())
            error = error or _job_error(full)
        used = 2
    at = job.completed_at or job.started_at
    return JobInfo(str(job.id), at, failed, error, step), used


def _job_error(job: Job) -> str | None:
    text = (job.error_parts.message if job.error_parts is not None else None) or job.error
    return None if not text else clean_text(str(text), MAX_ERROR_TEXT)  # Workato's own text


def _failing_step(lines: Iterable[JobLine]) -> str | None:
    for line in lines:
        if line.error:
            number = line.recipe_line_number
            adapter = line.adapter_name or "?"
            operation = line.adapter_operation
            what = f"{adapter} {operation}" if operation else adapter
            return clean_text(f"step {number}: {what}" if number is not None else what, 200)
    return None


def _needs_last_job(recipe: Recipe) -> bool:
    """Stopped, or with failed jobs (a healthy running recipe's newest job succeeded), and not
    known never to have run."""
    failed = recipe.job_failed_count
    never_ran = recipe.last_run_at is None and failed == 0 and recipe.job_succeeded_count == 0
    return (not recipe.running or failed != 0) and not never_ran


def _run_key(recipe: Recipe) -> tuple[Any, ...]:
    """Changes whenever the recipe has run (or started or stopped) since."""
    return (
        recipe.running,
        recipe.last_run_at,
        recipe.job_succeeded_count,
        recipe.job_failed_count,
    )


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _iso(moment: object) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else None


def _why(exc: BaseException, what: str) -> str:
    from .errors import ApiError

    status = getattr(exc, "status", None)
    if isinstance(exc, ApiError) and status == 403:
        text = (
            f"Workato refused to list {what} (403): the API client's role needs the recipe "
            f"privileges (Customer workspaces > Projects > List / Get details): {exc}"
        )
    elif isinstance(exc, ApiError):
        text = f"could not read {what}: {exc}"
    else:
        text = f"could not read {what}: {type(exc).__name__}: {exc}"
    return clean_text(text, MAX_ERROR_TEXT)
