"""The sandbox's Embedded API for a customer's recipes and their jobs, as Workato documents them:
list (filtered, paged, highest id first), get, start and stop; jobs (newest first, Workato's
`offset_job_id` cursor) and one job with its lines."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..rate_limits import Family
from .api_base import CUSTOMER_PATH, ApiHandler, ApiRefusal, moment
from .base import Routes, SandboxConfig, routes
from .recipes import RecipeRefused, parse_recipe_id
from .records import StoredCustomer, StoredJob, StoredRecipe

_RECIPE = CUSTOMER_PATH + r"/recipes/([^/]+)"
JOBS_PER_PAGE = 100
"""Jobs in one answer; the next are read with `offset_job_id` set to the last one's id."""
STOP_CAUSES = frozenset(
    {"trigger_errors_limit", "action_quota_limit", "trial_expired", "txn_quota_limit"}
)
JOB_STATUSES = frozenset({"succeeded", "failed", "pending"})


def recipe_routes(config: SandboxConfig) -> Routes:
    """The recipes and jobs endpoints' routes."""
    return routes(
        config,
        (CUSTOMER_PATH + r"/recipes", RecipesHandler),
        (_RECIPE, RecipeHandler),
        (_RECIPE + r"/(start|stop)", RecipeSwitchHandler),
        (_RECIPE + r"/jobs", JobsHandler),
        (_RECIPE + r"/jobs/([^/]+)", JobHandler),
    )


def describe_recipe(recipe: StoredRecipe, customer: StoredCustomer) -> dict[str, Any]:
    """A recipe with every field Workato documents; `config` names each connection it uses."""
    providers = {step.connection_id: step.adapter for step in recipe.steps}
    return {
        "id": recipe.id,
        "user_id": recipe.user_id,
        "name": recipe.name,
        "description": recipe.description,
        "created_at": moment(recipe.created_at),
        "updated_at": moment(recipe.updated_at),
        "copy_count": 0,
        "trigger_application": recipe.trigger_application,
        "action_applications": list(recipe.action_applications),
        "applications": list(recipe.applications),
        "folder_id": recipe.folder_id,
        "running": recipe.running,
        "job_succeeded_count": recipe.job_succeeded_count,
        "job_failed_count": recipe.job_failed_count,
        "lifetime_task_count": recipe.lifetime_task_count,
        "last_run_at": moment(recipe.last_run_at),
        "stopped_at": moment(recipe.stopped_at),
        "stop_cause": recipe.stop_cause,
        "version_no": recipe.version_no,
        "webhook_url": None,
        "parameters_schema": [],
        "parameters": {},
        "config": [
            {
                "keyword": "application",
                "name": providers[connection_id],
                "provider": providers[connection_id],
                "skip_validation": False,
                "account_id": connection_id,
            }
            for connection_id in recipe.connection_ids
        ],
        # Workato's developer API answers these too (its generated model requires them)
        "trigger_closure": None,
        "code": "",
        "author_name": customer.name,
        "version_author_name": customer.name,
        "version_author_email": customer.notification_email or "",
        "version_comment": None,
    }


def describe_job(job: StoredJob, *, with_lines: bool) -> dict[str, Any]:
    """A job as Workato answers it; `lines` only for one job."""
    parts = None
    if job.error_parts is not None:
        parts = {**job.error_parts, "error_at": moment(job.error_parts["error_at"])}
    answer: dict[str, Any] = {
        "id": job.id,
        "flow_run_id": job.flow_run_id,
        "started_at": moment(job.started_at),
        "completed_at": moment(job.completed_at),
        "status": job.status,
        "title": job.title,
        "is_error": job.error_parts is not None,
        "is_poll_error": False,
        "error": job.error,
        "error_parts": parts,
    }
    if with_lines:
        answer["lines"] = [
            {
                "recipe_line_number": line.recipe_line_number,
                "adapter_name": line.adapter_name,
                "adapter_operation": line.adapter_operation,
                "input": None,  # runtime data is not available through the Embedded API
                "output": None,
                "error": line.error,
                "line_stat": {"status": "failed" if line.error else "succeeded"},
            }
            for line in job.lines
        ]
    return answer


class RecipeHandlerBase(ApiHandler):
    """Finds the path's recipe among the customer's."""

    def recipe(self, customer: StoredCustomer, raw_id: str) -> StoredRecipe:
        """The customer's recipe, or a 404 (also for another customer's recipe)."""
        return self.owned(
            customer, "recipe", raw_id, parse_recipe_id, self.sandbox.state.recipes.get
        )

    def flag(self, name: str) -> bool | None:
        """A true/false query argument, None when absent."""
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        if value not in ("true", "false"):
            raise ApiRefusal(400, f"{name} must be true or false, got {value[:40]!r}")
        return value == "true"


class RecipesHandler(RecipeHandlerBase):
    """`GET .../recipes`: filtered by Workato's query arguments, 100 a page at most."""

    family: Family = "list_recipes"

    def get(self, _reference: str) -> None:
        customer = self.customer()
        running = self.flag("running")
        folder_id = self.int_query("folder_id")
        since_id = self.int_query("since_id")
        stop_cause = self.get_query_argument("stop_cause", None)
        if stop_cause is not None and stop_cause not in STOP_CAUSES:
            raise ApiRefusal(
                400,
                f"stop_cause must be one of {', '.join(sorted(STOP_CAUSES))}, got "
                f"{stop_cause[:40]!r}",
            )
        stopped_after = self._moment_query("stopped_after")
        any_of = self._names("adapter_names_any")
        all_of = self._names("adapter_names_all")
        window = self.page_window()
        found = [
            r
            for r in self.sandbox.state.recipes.of_customer(customer.id)
            if (running is None or r.running == running)
            and (folder_id is None or r.folder_id == folder_id)
            and (since_id is None or r.id < since_id)
            and (stop_cause is None or r.stop_cause == stop_cause)
            and (
                stopped_after is None or (r.stopped_at is not None and r.stopped_at > stopped_after)
            )
            and (not any_of or any_of & set(r.applications))
            and (not all_of or all_of <= set(r.applications))
        ]
        self.write_json({"result": [describe_recipe(r, customer) for r in found[window]]})

    def _names(self, name: str) -> set[str]:
        value = self.get_query_argument(name, "")
        return {part.strip() for part in value.split(",") if part.strip()}

    def _moment_query(self, name: str) -> datetime | None:
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise ApiRefusal(
                400,
                f"{name} must be an ISO 8601 time with its zone, e.g. 2026-01-31T12:00:00Z; "
                f"got {value[:40]!r}",
            )
        return parsed


class RecipeHandler(RecipeHandlerBase):
    """`GET .../recipes/:recipe_id`."""

    family: Family = "get_recipe"

    def get(self, _reference: str, raw_id: str) -> None:
        customer = self.customer()
        self.write_json(describe_recipe(self.recipe(customer, raw_id), customer))


class RecipeSwitchHandler(RecipeHandlerBase):
    """`PUT .../recipes/:recipe_id/start` and `/stop`.

    A start that Workato refuses answers 200 with `success: false` and the reasons in
    `config_errors` (`[recipe_line_number, adapter, message]` per step whose connection is not
    authorized, lost or deleted), as Workato's API reference documents it.
    """

    family: Family = "recipes"

    def put(self, _reference: str, raw_id: str, action: str) -> None:
        recipe = self.recipe(self.customer(), raw_id)
        state = self.sandbox.state
        if action == "stop":
            state.recipes.stop(recipe.id)
            self.write_json({"success": True})
            return
        try:
            state.start_recipe(recipe.id)
        except RecipeRefused as refusal:
            self.write_json({"success": False, "code_errors": [], "config_errors": refusal.errors})
            return
        self.write_json({"success": True})


class JobsHandler(RecipeHandlerBase):
    """`GET .../recipes/:recipe_id/jobs`: newest first, `JOBS_PER_PAGE` at a time."""

    family: Family = "jobs"

    def get(self, _reference: str, raw_id: str) -> None:
        recipe = self.recipe(self.customer(), raw_id)
        status = self.get_query_argument("status", None)
        if status is not None and status not in JOB_STATUSES:
            raise ApiRefusal(
                400, f"status must be one of {', '.join(sorted(JOB_STATUSES))}, got {status[:40]!r}"
            )
        offset = self.get_query_argument("offset_job_id", None)
        newer = bool(self.flag("prev"))
        items: tuple[StoredJob, ...] = ()
        if not self.flag("rerun_only") and status != "pending":  # no reruns, nothing pending
            page = self.sandbox.state.recipes.job_page(
                recipe.id, offset=offset, newer=newer, status=status, size=JOBS_PER_PAGE
            )
            if page is None:
                raise ApiRefusal(
                    404, f"recipe {recipe.id} has no job {str(offset)[:40]!r} (offset_job_id)"
                )
            items = page
        self.write_json(
            {
                "job_succeeded_count": recipe.job_succeeded_count,
                "job_failed_count": recipe.job_failed_count,
                "job_count": recipe.job_succeeded_count + recipe.job_failed_count,
                "items": [describe_job(job, with_lines=False) for job in items],
            }
        )


class JobHandler(RecipeHandlerBase):
    """`GET .../recipes/:recipe_id/jobs/:job_id`: one job with its lines."""

    family: Family = "jobs"

    def get(self, _reference: str, raw_id: str, job_id: str) -> None:
        recipe = self.recipe(self.customer(), raw_id)
        job = self.sandbox.state.recipes.job(recipe.id, job_id)
        if job is None:
            raise ApiRefusal(404, f"recipe {recipe.id} has no job {job_id[:40]!r}")
        self.write_json(describe_job(job, with_lines=True))
