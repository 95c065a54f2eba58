"""What the sandbox stores: frozen snapshots of its customers, connections, folders, recipes,
jobs and refusals.

Named `Stored*` so that they never pass for the API client's records of the same things: these
are the sandbox's memory, the client's are what Workato answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..checks import check_workato_id


def now() -> datetime:
    """The current time in UTC, to the millisecond, as Workato's timestamps are."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class StoredCustomer:
    """One customer (a Workato "managed user") of the vendor: a snapshot, never updated in place.

    `folder_id` is the root folder of the customer's account, where new connections go.
    """

    id: str
    name: str
    external_id: str | None
    folder_id: int
    created_at: datetime
    updated_at: datetime
    notification_email: str | None = None
    plan_id: str = "oem_plan"
    origin_url: str | None = None
    in_trial: bool = False


@dataclass(frozen=True)
class StoredConnection:
    """One connection as the sandbox knows it: a snapshot, never updated in place.

    `version` grows with every change, so an open page can tell a newer state from its own.
    """

    id: int
    customer_id: str
    provider: str
    name: str
    folder_id: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    authorization_status: str | None = None
    authorization_error: str | None = None
    authorized_at: datetime | None = None
    external_id: str | None = None
    parent_id: int | None = None
    connection_lost_at: datetime | None = None
    connection_lost_reason: str | None = None
    tags: tuple[str, ...] = ()
    runtime: bool = False
    """A runtime user's connection: listed only with `include_runtime_connections=true`."""
    version: int = 0

    @property
    def connected(self) -> bool:
        """Authorized and not lost since, as the connection page shows it."""
        return self.authorization_status == "success" and self.connection_lost_at is None

    @property
    def error(self) -> str | None:
        """What the connection page shows: the failed authorization's text, or why it was lost."""
        if self.connection_lost_at is not None:
            return f"Connection lost: {self.connection_lost_reason or 'no reason given'}"
        return self.authorization_error


@dataclass(frozen=True)
class Refusal:
    """A request the sandbox refused (or served silently), kept for tests and debugging."""

    at: datetime
    code: str
    message: str
    path: str


def parse_connection_id(value: int | str) -> int:
    """A connection id as Workato writes it: a positive integer, or its decimal digits."""
    return check_workato_id("a connection id", value)


def provider_title(provider: str) -> str:
    """A provider id as people read it: "google_sheets" -> "Google Sheets"."""
    return " ".join(word.capitalize() for word in provider.replace("_", " ").split())


@dataclass(frozen=True)
class StoredFolder:
    """A folder of a customer's workspace; one directly in the home folder is a project.

    The home folder itself (`parent_id` None) is the customer's `folder_id` and is never listed.
    """

    id: int
    customer_id: str
    name: str
    parent_id: int | None
    project_id: int | None
    created_at: datetime
    updated_at: datetime
    description: str | None = None

    @property
    def is_project(self) -> bool:
        return self.project_id is not None


@dataclass(frozen=True)
class RecipeStep:
    """One step of a recipe: the trigger (`line` 1) or an action, through a connection or not."""

    line: int
    adapter: str
    operation: str
    connection_id: int | None


@dataclass(frozen=True)
class StoredRecipe:
    """A recipe of a customer: its steps (whose connections decide its jobs) and its counters."""

    id: int
    customer_id: str
    user_id: int
    name: str
    folder_id: int
    steps: tuple[RecipeStep, ...]
    created_at: datetime
    updated_at: datetime
    running: bool = False
    description: str = ""
    job_succeeded_count: int = 0
    job_failed_count: int = 0
    lifetime_task_count: int = 0
    last_run_at: datetime | None = None
    stopped_at: datetime | None = None
    stop_cause: str | None = None
    consecutive_failures: int = 0
    version_no: int = 1

    @property
    def trigger_application(self) -> str:
        return self.steps[0].adapter

    @property
    def action_applications(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.adapter for step in self.steps[1:]))

    @property
    def applications(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.adapter for step in self.steps))

    @property
    def connection_ids(self) -> tuple[int, ...]:
        """The connections the recipe uses (its `config`'s `account_id`s), in step order."""
        ids = (step.connection_id for step in self.steps if step.connection_id is not None)
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class StoredJobLine:
    """One step of a job as it ran; `error` is set on the step that failed."""

    recipe_line_number: int
    adapter_name: str
    adapter_operation: str
    error: str | None = None


@dataclass(frozen=True)
class StoredJob:
    """One run of a recipe: `id` is a string handle as Workato's, `flow_run_id` an integer."""

    id: str
    flow_run_id: int
    recipe_id: int
    title: str
    started_at: datetime
    completed_at: datetime
    lines: tuple[StoredJobLine, ...]
    error_parts: dict[str, Any] | None = field(default=None, hash=False)

    @property
    def status(self) -> str:
        return "failed" if self.error_parts is not None else "succeeded"

    @property
    def error(self) -> str | None:
        return None if self.error_parts is None else str(self.error_parts["message"])
