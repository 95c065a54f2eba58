"""The sandbox's recipes and their jobs, per customer, guarded by the state's lock.

A recipe is a trigger and actions, each through one of the customer's connections or none; a
running recipe's jobs follow those connections' states (see `jobs`). Recipes are indexed by
customer and jobs by recipe, so no request scans every recipe of the sandbox.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from . import jobs
from .records import RecipeStep, StoredConnection, StoredJob, StoredRecipe, now

TRIGGER_ERRORS_LIMIT = 5
"""Consecutive failed jobs after which a recipe stops with stop_cause "trigger_errors_limit"."""
MAX_JOBS_PER_RECIPE = 10_000
"""Jobs kept per recipe, newest first; older ones are forgotten as Workato's job history ages."""
_CLOCK = "clock"


class RecipeRefused(ValueError):
    """A recipe cannot start: `errors` are Workato's `config_errors` entries."""

    def __init__(self, recipe_id: int, errors: list[list[Any]]) -> None:
        messages = "; ".join(str(error[-1]) for error in errors)
        super().__init__(f"recipe {recipe_id} cannot start: {messages}")
        self.errors = errors


def parse_recipe_id(value: object) -> int:
    """A recipe id: a positive integer, or its decimal digits (at most 18)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"a recipe id is a positive integer, got {str(value)[:40]!r}")
    return value


def recipe_steps(
    connections: Iterable[StoredConnection], trigger: str | None
) -> tuple[RecipeStep, ...]:
    """The trigger (line 1) and one action per other connection.

    `trigger` names the trigger's adapter: a connection's provider makes that connection the
    trigger's; another adapter (such as "clock" or "webhook") needs none. By default the first
    connection triggers, or a clock when there is none.
    """
    remaining = list(connections)
    if trigger is not None and (not isinstance(trigger, str) or not trigger.strip()):
        raise ValueError(
            f"trigger is an adapter name such as 'salesforce' or 'clock', got {trigger!r}"
        )
    adapter = trigger or (remaining[0].provider if remaining else _CLOCK)
    source = next((c for c in remaining if c.provider == adapter), None)
    if source is not None:
        remaining.remove(source)
    steps = [
        RecipeStep(1, adapter, "new_record" if source else "trigger", source.id if source else None)
    ]
    for line, connection in enumerate(remaining, start=2):
        steps.append(RecipeStep(line, connection.provider, "upsert_record", connection.id))
    return tuple(steps)


class RecipeStore:
    """Recipes by id and by customer, and each recipe's jobs, newest last."""

    def __init__(self, lock: threading.RLock, trigger_errors_limit: int) -> None:
        self._lock = lock
        self._errors_limit = trigger_errors_limit
        self._recipes: dict[int, StoredRecipe] = {}
        self._by_customer: dict[str, dict[int, None]] = {}
        self._jobs: dict[int, list[StoredJob]] = {}
        self._job_index: dict[str, StoredJob] = {}
        self._flow_runs = 0
        self._next_id = 1
        self.touched = 0
        """Recipes and jobs read to answer requests: a bound on work per request, for tests."""

    def add(self, recipe: StoredRecipe) -> StoredRecipe:
        """Add or replace a recipe (its jobs are forgotten)."""
        with self._lock:
            self._forget(recipe.id)
            self._recipes[recipe.id] = recipe
            self._by_customer.setdefault(recipe.customer_id, {})[recipe.id] = None
            self._jobs[recipe.id] = []
            self._next_id = max(self._next_id, recipe.id + 1)
            return recipe

    @property
    def errors_limit(self) -> int:
        """Consecutive failed jobs that stop a recipe."""
        return self._errors_limit

    def free_id(self) -> int:
        """The lowest id above every recipe's."""
        with self._lock:
            return self._next_id

    def drop(self, recipe_id: int) -> None:
        with self._lock:
            self._forget(recipe_id)

    def _forget(self, recipe_id: int) -> None:
        old = self._recipes.pop(recipe_id, None)
        if old is None:
            return
        self._by_customer.get(old.customer_id, {}).pop(recipe_id, None)
        for job in self._jobs.pop(recipe_id, []):
            self._job_index.pop(job.id, None)

    def get(self, recipe_id: int) -> StoredRecipe | None:
        with self._lock:
            self.touched += 1
            return self._recipes.get(recipe_id)

    def of_customer(self, customer_id: str) -> tuple[StoredRecipe, ...]:
        """The customer's recipes, highest id first as Workato lists them."""
        with self._lock:
            ids = self._by_customer.get(customer_id, {})
            self.touched += len(ids)
            return tuple(self._recipes[i] for i in sorted(ids, reverse=True))

    def drop_customer(self, customer_id: str) -> None:
        with self._lock:
            for recipe_id in list(self._by_customer.pop(customer_id, {})):
                self._forget(recipe_id)

    def start(self, recipe_id: int, lookup: jobs.Lookup) -> StoredRecipe:
        """Start the recipe, or raise `RecipeRefused` when a connection it uses is broken."""
        with self._lock:
            recipe = self._recipes[recipe_id]
            errors = jobs.config_errors(recipe.steps, lookup)
            if errors:
                raise RecipeRefused(recipe_id, errors)
            if recipe.running:
                return recipe
            return self._put(replace(recipe, running=True, stop_cause=None, consecutive_failures=0))

    def stop(self, recipe_id: int, cause: str | None = None) -> StoredRecipe:
        with self._lock:
            recipe = self._recipes[recipe_id]
            if not recipe.running:
                return recipe
            stamp = now()
            return self._put(replace(recipe, running=False, stopped_at=stamp, stop_cause=cause))

    def run(self, recipe_id: int, count: int, lookup: jobs.Lookup) -> tuple[StoredJob, ...]:
        """Run the running recipe's trigger `count` times; it stops on too many errors."""
        with self._lock:
            recipe = self._recipes[recipe_id]
            if not recipe.running:
                raise ValueError(
                    f"recipe {recipe_id} is stopped, so its trigger does not fire; start it "
                    "first (Sandbox.start_recipe, or PUT .../recipes/:id/start)"
                )
            made = []
            for _ in range(count):
                self._flow_runs += 1
                job = jobs.run(recipe.id, recipe.steps, lookup, self._flow_runs, now())
                made.append(job)
                self._keep(job)
                recipe = self._counted(recipe, job, self._errors_limit)
                if not recipe.running:
                    break
            self._put(recipe)
            return tuple(made)

    def _keep(self, job: StoredJob) -> None:
        history = self._jobs[job.recipe_id]
        history.append(job)
        self._job_index[job.id] = job
        if len(history) > MAX_JOBS_PER_RECIPE:
            self._job_index.pop(history.pop(0).id, None)

    @staticmethod
    def _counted(recipe: StoredRecipe, job: StoredJob, limit: int) -> StoredRecipe:
        failed = job.error_parts is not None
        recipe = replace(
            recipe,
            job_succeeded_count=recipe.job_succeeded_count + (not failed),
            job_failed_count=recipe.job_failed_count + failed,
            lifetime_task_count=recipe.lifetime_task_count + len(job.lines) - 1,
            last_run_at=job.completed_at,
            consecutive_failures=recipe.consecutive_failures + 1 if failed else 0,
        )
        if recipe.consecutive_failures >= limit:
            recipe = replace(
                recipe,
                running=False,
                stopped_at=job.completed_at,
                stop_cause="trigger_errors_limit",
            )
        return recipe

    def _put(self, recipe: StoredRecipe) -> StoredRecipe:
        recipe = replace(recipe, updated_at=now())
        self._recipes[recipe.id] = recipe
        return recipe

    def jobs(self, recipe_id: int) -> tuple[StoredJob, ...]:
        """The recipe's jobs, newest first."""
        with self._lock:
            return tuple(reversed(self._jobs.get(recipe_id, ())))

    def job_page(
        self, recipe_id: int, *, offset: str | None, newer: bool, status: str | None, size: int
    ) -> tuple[StoredJob, ...] | None:
        """Up to `size` jobs newest first: older than the `offset` job (newer with `newer`),
        of one `status` when given; None when `offset` is no job of this recipe."""
        with self._lock:
            history = self._jobs.get(recipe_id, [])
            end = len(history)
            start = 0
            if offset is not None:
                anchor = self._job_index.get(offset)
                if anchor is None or anchor.recipe_id != recipe_id:
                    return None
                position = _position(history, anchor)
                if newer:
                    start = position + 1
                else:
                    end = position
            found: list[StoredJob] = []
            if newer:
                # the `size` jobs just after the offset, still listed newest first
                index = start
                while index < end and len(found) < size:
                    self.touched += 1
                    if status is None or history[index].status == status:
                        found.append(history[index])
                    index += 1
                return tuple(reversed(found))
            index = end - 1
            while index >= start and len(found) < size:
                self.touched += 1
                if status is None or history[index].status == status:
                    found.append(history[index])
                index -= 1
            return tuple(found)

    def job(self, recipe_id: int, job_id: str) -> StoredJob | None:
        with self._lock:
            self.touched += 1
            job = self._job_index.get(job_id)
            return job if job is not None and job.recipe_id == recipe_id else None


def _position(history: list[StoredJob], job: StoredJob) -> int:
    """Where `job` is in its recipe's history (ordered by flow_run_id): a binary search."""
    low, high = 0, len(history)
    while low < high:
        middle = (low + high) // 2
        if history[middle].flow_run_id < job.flow_run_id:
            low = middle + 1
        else:
            high = middle
    return low
