"""Typed, immutable records of Workato's Embedded API answers, declared with pydantic.

One record kind per thing the API describes: `Connection`, `Customer`, `Recipe` (with its
`RecipeConfig` entries), `Job` (with its `ErrorParts` and `JobLine` steps), `Folder` and `Project`.
Each is built from one JSON object of an answer by ``from_api``, whose ValueError names the
record and the malformed field; every documented field is declared, datetimes are timezone-aware,
and fields Workato adds later are kept, read-only, in ``extra``. `to_frame` turns any list of
records into a pandas table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

from pydantic import PlainValidator, SkipValidation, ValidationError, model_validator
from pydantic.dataclasses import dataclass

if TYPE_CHECKING:
    import pandas

__all__ = [
    "Connection",
    "Customer",
    "ErrorParts",
    "Folder",
    "Job",
    "JobLine",
    "Project",
    "Recipe",
    "RecipeConfig",
    "json_kind",
    "to_frame",
]


def json_kind(value: object) -> str:
    """How an error names a JSON value's kind: ``null``, ``str``, ``list``..."""
    return "null" if value is None else type(value).__name__


# --- field types: each check's text is what the error says the field "should be" ----------------


class _Expected(ValueError):
    """A field's value is not of its kind; the text says what was expected."""


def _integer(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Expected("an integer")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Expected("a string")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Expected("true, false or null")
    return value


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise _Expected("a list of strings")
    return tuple(value)


def _id(value: object) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Expected("an integer or a string")
    return value


def _moment(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if not isinstance(value, str):
        raise _Expected("an ISO 8601 date-time string")
    parsed = parse_datetime(value)
    if parsed is None:
        raise _Expected(f"an ISO 8601 date-time, not {value[:40]!r}")
    return parsed


Int = Annotated[int, PlainValidator(_integer)]
Text = Annotated[str, PlainValidator(_text)]
Flag = Annotated[bool, PlainValidator(_flag)]
Texts = Annotated[tuple[str, ...], PlainValidator(_texts)]
Id = Annotated[int | str, PlainValidator(_id)]
Moment = Annotated[datetime, PlainValidator(_moment)]
Json = SkipValidation[Any]
"""Workato's free-form JSON (a step's input, a recipe's parameters), kept as it arrived."""


def parse_datetime(text: str) -> datetime | None:
    """ISO 8601 as Workato writes it ("2019-09-10T18:20:08.854-07:00", or with "Z"), tz-aware.

    Args:
        text: the date-time; one without an offset is taken as UTC.

    Returns:
        The moment, or None when `text` is not ISO 8601.
    """
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _no_extra() -> Mapping[str, Any]:
    return MappingProxyType({})


_R = TypeVar("_R", bound="Record")


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    """What every record kind shares: ``extra`` (fields Workato sent that are not declared, read
    only), ``from_api`` and ``replace``."""

    kind: ClassVar[str] = "record"
    extra: SkipValidation[Mapping[str, Any]] = dataclasses.field(
        default_factory=_no_extra, compare=False, repr=False
    )

    @model_validator(mode="before")
    @classmethod
    def _keep_unknown_fields(cls, data: Any) -> Any:
        """A JSON object's undeclared fields go to ``extra``; keyword construction is untouched."""
        if not isinstance(data, dict):
            return data
        known = {item.name for item in dataclasses.fields(cls)} - {"extra"}
        declared = {name: value for name, value in data.items() if name in known}
        rest = {name: value for name, value in data.items() if name not in known}
        return {**declared, "extra": MappingProxyType(rest)}

    @classmethod
    def from_api(cls: type[_R], record: object) -> _R:
        """Build from one JSON object of Workato's answer.

        Args:
            record: the decoded JSON object.

        Returns:
            The record.

        Raises:
            ValueError: `record` is not an object, or a field is missing or malformed; the text
                names the record and the field.
        """
        if not isinstance(record, dict):
            raise ValueError(f"a {cls.kind} record must be a JSON object, got {json_kind(record)}")
        what = f"{cls.kind} {record.get('id')!r}" if "id" in record else f"a {cls.kind} record"
        problem = ""
        try:
            built: _R = cls.__pydantic_validator__.validate_python(record)  # type: ignore[attr-defined]
        except ValidationError as exc:
            problem = _explain(exc, what)
        else:
            return built
        raise ValueError(problem)  # outside the except: no chain to pydantic's copy of the input

    def replace(self: _R, **changes: Any) -> _R:
        """A copy with `changes` applied (and checked like every field).

        Args:
            **changes: field names and their new values.

        Returns:
            The new record; this one is unchanged.
        """
        return dataclasses.replace(self, **changes)


def _explain(exc: ValidationError, what: str) -> str:
    """The first problem pydantic found, as ``<record>: field 'a.b' should be ..., got <kind>``."""
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "?"
    if error["type"] == "missing":
        return f"{what}: field {where!r} is missing"
    cause = error.get("ctx", {}).get("error")
    expected = str(cause) if isinstance(cause, _Expected) else _PYDANTIC_WORDS.get(error["type"])
    if expected is None:
        expected = error["msg"]
    return f"{what}: field {where!r} should be {expected}, got {json_kind(error.get('input'))}"


_PYDANTIC_WORDS = {
    "tuple_type": "a list",
    "dataclass_type": "a JSON object",
    "dataclass_exact_type": "a JSON object",
    "model_attributes_type": "a JSON object",
}


# --- connections and customers ------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection(Record):
    """One connection of a customer, as Workato's Embedded API describes it.

    ``authorization_status`` is ``"success"``, ``"failed"``, ``"exception"`` or None (never
    authorized); ``tags`` is None unless the list asked for them.
    """

    kind: ClassVar[str] = "connection"
    id: Int
    name: Text
    provider: Text | None = None
    application: Text | None = None
    description: Text | None = None
    authorization_status: Text | None = None
    authorization_error: Text | None = None
    authorized_at: Moment | None = None
    created_at: Moment | None = None
    updated_at: Moment | None = None
    external_id: Text | None = None
    folder_id: Int | None = None
    parent_id: Int | None = None
    connection_lost_at: Moment | None = None
    connection_lost_reason: Text | None = None
    tags: Texts | None = None

    @property
    def connected(self) -> bool:
        """Authorized and not lost since: what Workato's own samples show as "connected"."""
        return self.authorization_status == "success" and self.connection_lost_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer(Record):
    """One customer (a "managed user") of the vendor.

    ``id`` is Workato's id (an int on Workato; the local sandbox also uses names such as
    ``"acme"``).
    """

    kind: ClassVar[str] = "customer"
    id: Id
    name: Text | None = None
    external_id: Text | None = None
    notification_email: Text | None = None
    plan_id: Text | None = None
    origin_url: Text | None = None
    in_trial: Flag | None = None
    created_at: Moment | None = None
    updated_at: Moment | None = None


# --- recipes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RecipeConfig(Record):
    """One entry of a recipe's ``config``: an application the recipe uses and, in
    ``account_id``, the connection it uses for it (None while none is picked)."""

    kind: ClassVar[str] = "recipe config"
    keyword: Text | None = None
    name: Text | None = None
    provider: Text | None = None
    skip_validation: Flag | None = None
    account_id: Int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Recipe(Record):
    """One recipe of a customer: its state (``running``, ``stop_cause``), its counts and the
    connections its ``config`` names.

    ``stop_cause`` is Workato's reason for a stop it made itself, e.g. ``trigger_errors_limit``
    (too many consecutive trigger errors), ``action_quota_limit``, ``trial_expired`` or
    ``txn_quota_limit``; None after a stop by hand or while running.
    """

    kind: ClassVar[str] = "recipe"
    id: Int
    name: Text
    user_id: Int | None = None
    description: Text | None = None
    created_at: Moment | None = None
    updated_at: Moment | None = None
    copy_count: Int | None = None
    trigger_application: Text | None = None
    action_applications: Texts | None = None
    applications: Texts | None = None
    folder_id: Int | None = None
    running: Flag | None = None
    job_succeeded_count: Int | None = None
    job_failed_count: Int | None = None
    lifetime_task_count: Int | None = None
    last_run_at: Moment | None = None
    stopped_at: Moment | None = None
    stop_cause: Text | None = None
    version_no: Int | None = None
    webhook_url: Text | None = None
    parameters_schema: Json = None
    parameters: Json = None
    config: tuple[RecipeConfig, ...] = ()

    @property
    def connection_ids(self) -> tuple[int, ...]:
        """The connections the recipe's ``config`` names, in order, each once."""
        ids = (entry.account_id for entry in self.config if entry.account_id is not None)
        return tuple(dict.fromkeys(ids))


# --- jobs ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorParts(Record):
    """Workato's breakdown of a failed job's error: which adapter, what kind, its text."""

    kind: ClassVar[str] = "error_parts"
    adapter: Text | None = None
    error_type: Text | None = None
    message: Text | None = None
    error_id: Text | None = None
    error_at: Moment | None = None
    input: Json = None
    inner_message: Text | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobLine(Record):
    """One step of a job; the Embedded API gives no runtime data, so input and output may be
    None."""

    kind: ClassVar[str] = "job line"
    recipe_line_number: Int | None = None
    adapter_name: Text | None = None
    adapter_operation: Text | None = None
    input: Json = None
    output: Json = None
    error: Json = None
    line_stat: Json = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Job(Record):
    """One run of a recipe. ``id`` is Workato's handle (a string like ``j-KGAKfhsz-GYoLe``);
    ``status`` is ``succeeded``, ``failed`` or ``pending``; ``lines`` is None in a list and the
    job's steps when read one by one."""

    kind: ClassVar[str] = "job"
    id: Id
    flow_run_id: Int | None = None
    started_at: Moment | None = None
    completed_at: Moment | None = None
    title: Text | None = None
    status: Text | None = None
    is_error: Flag | None = None
    is_poll_error: Flag | None = None
    error: Json = None
    error_parts: ErrorParts | None = None
    lines: tuple[JobLine, ...] | None = None

    @property
    def failed_line(self) -> JobLine | None:
        """The first step with an error, when the job's lines are known."""
        return next((line for line in self.lines or () if line.error), None)


# --- folders and projects -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Folder(Record):
    """One folder of a customer's workspace; ``parent_id`` None is the home folder's level."""

    kind: ClassVar[str] = "folder"
    id: Int
    name: Text
    parent_id: Int | None = None
    is_project: Flag | None = None
    created_at: Moment | None = None
    updated_at: Moment | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Project(Record):
    """One project of a customer's workspace (a top-level folder with its own settings)."""

    kind: ClassVar[str] = "project"
    id: Int
    name: Text
    description: Text | None = None
    folder_id: Int | None = None


# --- pandas -------------------------------------------------------------------------------------


def to_frame(records: Iterable[Record]) -> pandas.DataFrame:
    """A pandas table of `records`, one row per record and one column per declared field.

    Date-times become UTC timestamps; ``extra`` is left out (its keys differ from row to row).

    Args:
        records: records of any kind(s); rows of another kind leave other kinds' columns empty.

    Returns:
        The DataFrame (no rows for no records).

    Raises:
        ImportError: pandas is not installed (it is an optional dependency).
        TypeError: an item is not a record.
    """
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_frame() needs pandas, which is optional: pip install 'workato-ipywidget[pandas]'"
        ) from None
    rows: list[dict[str, Any]] = []
    columns: dict[str, None] = {}
    for index, record in enumerate(records):
        if not isinstance(record, Record):
            raise TypeError(
                f"to_frame() takes records (Connection, Recipe, Job, ...); item {index} is a "
                f"{type(record).__name__}"
            )
        names = [item.name for item in dataclasses.fields(record) if item.name != "extra"]
        columns.update(dict.fromkeys(names))
        rows.append({name: getattr(record, name) for name in names})
    frame = pandas.DataFrame(rows, columns=list(columns))
    for name in columns:
        if _all_moments(frame[name].tolist()):
            frame[name] = pandas.to_datetime(frame[name], utc=True)
    return frame


def _all_moments(values: Sequence[Any]) -> bool:
    present = [value for value in values if value is not None]
    return bool(present) and all(isinstance(value, datetime) for value in present)
