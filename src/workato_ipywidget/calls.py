"""Every Embedded API call as a plan, without I/O: paths, queries, paging, parsing and errors.

A plan is a generator: it yields a `Call` (method, path, query, body, rate-limit family), is sent
the decoded JSON answer, and returns the typed result. The sync `EmbeddedApi` and the async
`AsyncEmbeddedApi` run the same plans, so there is one copy of each path, page loop, record
parser and error rule, and two small drivers that differ only in how they wait. Arguments are
checked before the first yield: a bad id raises before any request.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from .checks import check_whole_number, check_workato_id
from .endpoints import validate_connection_id
from .errors import ApiError, AuthenticationError, NotFoundError, RateLimitError, RecipeStartError
from .protocol import MAX_ERROR_TEXT, clean_text
from .rate_limits import Family
from .records import (
    Connection,
    Customer,
    Folder,
    Job,
    Project,
    Recipe,
    Record,
    json_kind,
)
from .token import ExternalId, IdLike

__all__ = [
    "PER_PAGE",
    "Answer",
    "Call",
    "Plan",
    "Refusal",
    "check_customer_id",
    "customer_segment",
    "decode",
    "refusal",
]

PER_PAGE = 100
"""Workato's largest page (``per_page``) for customers, recipes and folders."""

_R = TypeVar("_R")
_Rec = TypeVar("_Rec", bound=Record)

# One path segment: unreserved characters and %XX escapes (e.g. "EAM10%3AXV303").
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
_CONNECTION_FIELDS = frozenset({"name", "folder_id", "parent_id", "external_id", "input"})
_CUSTOMER_FIELDS = frozenset(
    {
        "name",
        "notification_email",
        "external_id",
        "plan_id",
        "origin_url",
        "frame_ancestors",
        "time_zone",
        "in_trial",
    }
)
_STOP_CAUSES = ("trigger_errors_limit", "action_quota_limit", "trial_expired", "txn_quota_limit")
_JOB_STATUSES = ("succeeded", "failed", "pending")
_JOBS_ROLE_HINT = (
    "reading jobs needs the API client's role to grant Customer workspaces > Projects > "
    "List and Get details (Workspace admin > API clients > Client roles)"
)


Refusal = Callable[[int, str, Any], "ApiError | None"]
"""A call's own reading of a refusal: (status, redacted message, decoded body) -> error or None."""


@dataclass(frozen=True)
class Call:
    """One request a plan needs: what to send and which rate limit it counts against."""

    method: str
    path: str
    family: Family
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None
    refused: Refusal | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Answer:
    """What the client keeps of an HTTP answer: plain values, no request, no headers object.

    Its repr leaves out the reason and the body: a verbose traceback shows the locals holding
    an answer, and a server may echo the token in either.
    """

    status: int
    reason: str = field(repr=False)
    content: bytes = field(repr=False)
    retry_after: str | None = None


Plan = Generator[Call, Any, _R]


# --- answers ------------------------------------------------------------------------------------


def decode(answer: Answer, call: Call) -> Any:
    """The JSON body of a successful answer (None when empty).

    Args:
        answer: the answer.
        call: the call it answers.

    Returns:
        The decoded JSON.

    Raises:
        ApiError: the body is not JSON (or nests too deep to read).
    """
    if not answer.content:
        return None
    problem = "the answer is not JSON"
    try:
        return json.loads(answer.content)
    except RecursionError:
        problem = "the answer's JSON nests too deeply to read"
    except ValueError:
        pass
    raise ApiError(answer.status, unexpected(problem), call.method, call.path)


def refusal(answer: Answer, call: Call, message: str, retry_after: float | None) -> ApiError:
    """The error for a non-2xx `answer`, by status, or the call's own reading of it.

    Args:
        answer: the refusal.
        call: the call it answers.
        message: Workato's message, already redacted.
        retry_after: the ``Retry-After`` advice in seconds, for a 429.

    Returns:
        The error to raise.
    """
    status, method, path = answer.status, call.method, call.path
    if call.refused is not None:
        own = call.refused(status, message, _json_or_none(answer.content))
        if own is not None:
            return own
    if status in (401, 403):
        return AuthenticationError(status, message, method, path)
    if status == 404:
        return NotFoundError(status, message, method, path)
    if status == 429:
        return RateLimitError(status, message, method, path, retry_after=retry_after)
    return ApiError(status, message, method, path)


def message_of(answer: Answer) -> str:
    """Workato's ``{"message": ...}`` (or ``{"error": ...}``) text, else the reason phrase;
    not yet redacted."""
    body = _json_or_none(answer.content)
    text: object = None
    if isinstance(body, dict):
        text = body.get("message") or body.get("error")
        if isinstance(text, dict):
            text = text.get("message")
    if not isinstance(text, str) or not text.strip():
        text = answer.reason or "no message"
    return text


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content) if content else None
    except (ValueError, RecursionError):
        return None


def unexpected(problem: str) -> str:
    """`problem` with what it means: the server is not Workato's Embedded API as documented."""
    return (
        f"{problem}, which is not what Workato's Embedded API documents; check base_url= "
        "(it must be the API's origin, e.g. https://www.workato.com)"
    )


def _items(body: object, call: Call, *keys: str) -> list[Any]:
    """The list in ``{"result": [...]}`` (or ``items``, as older pages show), or a bare list."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for key in (*keys, "result", "items", "data"):
            found = body.get(key)
            if isinstance(found, list):
                return found
    raise ApiError(
        200,
        unexpected(f"expected {{'result': [...]}}, got {json_kind(body)}"),
        call.method,
        call.path,
    )


def _one(body: object) -> object:
    """A single record, bare or wrapped in ``{"result": {...}}``."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict) and "id" not in body:
        return body["result"]
    return body


def _build(cls: type[_Rec], item: object, call: Call) -> _Rec:
    problem = ""
    try:
        return cls.from_api(item)
    except ValueError as exc:
        problem = str(exc)
    raise ApiError(200, unexpected(problem), call.method, call.path)


def _build_all(cls: type[_Rec], items: Iterable[object], call: Call) -> list[_Rec]:
    return [_build(cls, item, call) for item in items]


# --- ids and paths ------------------------------------------------------------------------------


def customer_segment(customer_id: IdLike) -> str:
    """A customer id as one path segment: Workato's id, or ``E`` + the URL-encoded external id.

    Args:
        customer_id: Workato's id (int or str) or an `ExternalId`.

    Returns:
        The segment.

    Raises:
        TypeError: not a str, int or ExternalId.
        ValueError: empty, not positive, a dot segment, or not one path segment; the text
            names the id.
    """
    if isinstance(customer_id, ExternalId):
        return customer_id.encoded  # "E" + fully percent-encoded: one segment, never a dot
    if isinstance(customer_id, bool) or not isinstance(customer_id, int | str):
        raise TypeError(
            f"customer_id must be a str, an int or an ExternalId, not {json_kind(customer_id)}"
        )
    if isinstance(customer_id, int):
        if customer_id <= 0:
            raise ValueError(f"customer_id must be a positive Workato id, got {customer_id}")
        return str(customer_id)
    if not customer_id.strip():
        raise ValueError("customer_id is empty; expected Workato's id of the customer")
    return _segment(customer_id, "customer_id", external_hint=True)


def _segment(value: str, name: str, *, external_hint: bool = False) -> str:
    shown = repr(value[:60])
    hint = f"; for an id from your own system use ExternalId({shown})" if external_hint else ""
    if not _SEGMENT.fullmatch(value):
        raise ValueError(
            f"{name} {shown} holds characters a path cannot carry as they are "
            f"(expected letters, digits, '-', '_', '.', '~' or %XX escapes){hint}"
        )
    decoded = urllib.parse.unquote(value)
    if decoded in (".", ".."):
        raise ValueError(
            f"{name} {shown} is a dot segment: in a path it would name the parent of the "
            f"customer's resources (the vendor's own workspace), not a customer{hint}"
        )
    if any(char in decoded for char in "/\\?#") or any(ord(char) < 0x20 for char in decoded):
        raise ValueError(
            f"{name} {shown} is not one path segment once decoded (it holds a '/', '\\', '?', "
            f"'#' or a control character){hint}"
        )
    return value


def check_customer_id(customer_id: object) -> None:
    """Refuse (TypeError, ValueError) a customer id that Workato's API paths cannot carry.

    Args:
        customer_id: the id to check.
    """
    customer_segment(customer_id)  # type: ignore[arg-type]


def _job_segment(job_id: object) -> str:
    if isinstance(job_id, bool) or not isinstance(job_id, int | str):
        raise TypeError(f"job_id must be Workato's job handle (a str), not {json_kind(job_id)}")
    if isinstance(job_id, int):
        return str(check_workato_id("job_id", job_id))
    if not _JOB_ID.fullmatch(job_id):
        raise ValueError(
            f"job_id {job_id[:60]!r} is not a Workato job handle (letters, digits, '-' and '_', "
            "like 'j-KGAKfhsz-GYoLe'), so it cannot be one path segment"
        )
    return job_id


def _customer_path(customer_id: IdLike) -> str:
    return f"/api/managed_users/{customer_segment(customer_id)}"


def _connection_path(customer_id: IdLike, connection_id: int | str) -> str:
    return f"{_customer_path(customer_id)}/connections/{validate_connection_id(connection_id)}"


def _recipe_path(customer_id: IdLike, recipe_id: int | str) -> str:
    return f"{_customer_path(customer_id)}/recipes/{check_workato_id('recipe_id', recipe_id)}"


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return value


def _filter(name: str, value: object) -> str:
    if name in ("folder_id", "parent_id"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
        return str(value)
    return _text(value, name)


def _flag(value: object, name: str) -> str:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, not {value!r}")
    return "true" if value else "false"


def _names(value: object, name: str) -> str:
    """Adapter names, comma-separated as Workato takes them."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise TypeError(f"{name} must be an adapter name or a list of them, got {value!r}")
    return ",".join(_text(item, name) for item in items)


def _moment(value: object, name: str) -> str:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {json_kind(value)}")
    moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return str(value)


def _check_changes(method: str, fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse an update of no field, or of a field Workato's update does not take."""
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise TypeError(
            f"{method}() cannot change {', '.join(unknown)}; Workato's update accepts "
            f"{', '.join(sorted(allowed))}"
        )
    if not fields:
        raise TypeError(f"{method}() needs at least one field to change, e.g. name=")


def _paged(
    call: Call, cls: type[_Rec], *keys: str, per_page: int = PER_PAGE
) -> Generator[Call, Any, list[_Rec]]:
    """Every record of a paged list: page 1, 2, ... until a page shorter than `per_page`."""
    found: list[_Rec] = []
    seen: set[object] = set()
    page = 1
    while True:
        params = (*call.params, ("page", str(page)), ("per_page", str(per_page)))
        this = Call(call.method, call.path, call.family, params)
        items = _build_all(cls, _items((yield this), this, *keys), this)
        fresh = [item for item in items if getattr(item, "id", None) not in seen]
        found += fresh
        seen.update(getattr(item, "id", None) for item in fresh)
        if len(items) < per_page or not fresh:  # a short page, or a server ignoring `page`
            return found
        page += 1


# --- connections --------------------------------------------------------------------------------


def connections(
    customer_id: IdLike,
    *,
    provider: str | None = None,
    folder_id: int | None = None,
    parent_id: int | None = None,
    external_id: str | None = None,
    include_runtime_connections: bool = False,
    include_tags: bool = False,
) -> Plan[list[Connection]]:
    """A customer's connections, optionally filtered; Workato does not paginate this list.

    Args:
        customer_id: Workato's id of the customer, or an `ExternalId`.
        provider: only connections of this application, e.g. ``"salesforce"``.
        folder_id: only connections in this folder.
        parent_id: only connections with this parent connection.
        external_id: only connections with this external id.
        include_runtime_connections: also runtime user connections.
        include_tags: also each connection's tags.

    Returns:
        The connections.
    """
    params: list[tuple[str, str]] = []
    for name, value in (
        ("provider", provider),
        ("folder_id", folder_id),
        ("parent_id", parent_id),
        ("external_id", external_id),
    ):
        if value is not None:
            params.append((name, _filter(name, value)))
    if include_runtime_connections:
        params.append(("include_runtime_connections", "true"))
    if include_tags:
        params.append(("includes[]", "tags"))
    path = f"{_customer_path(customer_id)}/connections"
    call = Call("GET", path, "list_connections", tuple(params))
    return _build_all(Connection, _items((yield call), call), call)


def create_connection(
    customer_id: IdLike,
    *,
    name: str,
    provider: str,
    folder_id: int | None = None,
    parent_id: int | None = None,
    external_id: str | None = None,
    input: Mapping[str, Any] | None = None,
) -> Plan[Connection]:
    """Create a shell connection (not yet authorized) in the customer's account.

    Args:
        customer_id: the customer.
        name: the connection's name.
        provider: the application, e.g. ``"salesforce"``.
        folder_id: the folder to create it in.
        parent_id: its parent connection.
        external_id: your own id for it.
        input: the connection's parameters (not its secrets' state).

    Returns:
        The connection as Workato created it.
    """
    payload: dict[str, Any] = {"name": _text(name, "name"), "provider": _text(provider, "provider")}
    for key, value in (("folder_id", folder_id), ("parent_id", parent_id)):
        if value is not None:
            payload[key] = int(_filter(key, value))
    if external_id is not None:
        payload["external_id"] = _text(external_id, "external_id")
    if input is not None:
        payload["input"] = dict(input)
    call = Call("POST", f"{_customer_path(customer_id)}/connections", "connections", json=payload)
    return _build(Connection, _one((yield call)), call)


def update_connection(
    customer_id: IdLike, connection_id: int | str, **fields: Any
) -> Plan[Connection]:
    """Change a connection's ``name``, ``folder_id``, ``parent_id``, ``external_id`` or
    ``input``.

    Args:
        customer_id: the customer.
        connection_id: the connection.
        **fields: the fields to change.

    Returns:
        The connection as Workato now has it.
    """
    _check_changes("update_connection", fields, _CONNECTION_FIELDS)
    call = Call("PUT", _connection_path(customer_id, connection_id), "connections", json=fields)
    return _build(Connection, _one((yield call)), call)


def disconnect_connection(customer_id: IdLike, connection_id: int | str) -> Plan[None]:
    """Disconnect (de-authorize) a connection; nothing happens if it is not connected.

    Args:
        customer_id: the customer.
        connection_id: the connection.
    """
    yield Call("POST", f"{_connection_path(customer_id, connection_id)}/disconnect", "connections")


def delete_connection(customer_id: IdLike, connection_id: int | str) -> Plan[None]:
    """Delete a connection from the customer's account.

    Args:
        customer_id: the customer.
        connection_id: the connection.
    """
    yield Call("DELETE", _connection_path(customer_id, connection_id), "connections")


# --- customers ----------------------------------------------------------------------------------


def customers() -> Plan[list[Customer]]:
    """Every customer (managed user) of the vendor, reading Workato's pages (100 each) to the end.

    Returns:
        The customers.
    """
    return (yield from _paged(Call("GET", "/api/managed_users", "customers"), Customer))


def customer(customer_id: IdLike) -> Plan[Customer]:
    """One customer (managed user) by Workato id or `ExternalId`.

    Args:
        customer_id: the customer.

    Returns:
        The customer.
    """
    call = Call("GET", _customer_path(customer_id), "customers")
    return _build(Customer, _one((yield call)), call)


def create_customer(
    *,
    name: str,
    notification_email: str,
    external_id: str | None = None,
    plan_id: str | None = None,
    origin_url: str | None = None,
    frame_ancestors: str | None = None,
    time_zone: str | None = None,
) -> Plan[Customer]:
    """Create a customer (managed user).

    Args:
        name: the customer's name.
        notification_email: where Workato sends the customer's notifications.
        external_id: your own id for the customer.
        plan_id: the plan it gets.
        origin_url: the URL your app embeds Workato at (for its links).
        frame_ancestors: origins allowed to embed Workato's pages, comma-separated.
        time_zone: the customer's time zone, e.g. ``"Pacific Time (US & Canada)"``.

    Returns:
        The customer as Workato created it.
    """
    payload: dict[str, Any] = {
        "name": _text(name, "name"),
        "notification_email": _text(notification_email, "notification_email"),
    }
    for key, value in (
        ("external_id", external_id),
        ("plan_id", plan_id),
        ("origin_url", origin_url),
        ("frame_ancestors", frame_ancestors),
        ("time_zone", time_zone),
    ):
        if value is not None:
            payload[key] = _text(value, key)
    call = Call("POST", "/api/managed_users", "create_customer", json=payload)
    return _build(Customer, _one((yield call)), call)


def update_customer(customer_id: IdLike, **fields: Any) -> Plan[Customer]:
    """Change a customer: only the fields given are sent, and None clears one.

    Args:
        customer_id: the customer.
        **fields: ``name``, ``notification_email``, ``external_id``, ``plan_id``, ``origin_url``,
            ``frame_ancestors``, ``time_zone`` or ``in_trial``.

    Returns:
        The customer as Workato now has it.
    """
    _check_changes("update_customer", fields, _CUSTOMER_FIELDS)
    call = Call("PUT", _customer_path(customer_id), "customers", json=dict(fields))
    return _build(Customer, _one((yield call)), call)


def delete_customer(customer_id: IdLike) -> Plan[None]:
    """Delete a customer (managed user) and everything in its workspace.

    Args:
        customer_id: the customer.
    """
    yield Call("DELETE", _customer_path(customer_id), "customers")


# --- recipes ------------------------------------------------------------------------------------


def recipes(
    customer_id: IdLike,
    *,
    running: bool | None = None,
    folder_id: int | None = None,
    stop_cause: str | None = None,
    adapter_names_any: str | list[str] | tuple[str, ...] | None = None,
    adapter_names_all: str | list[str] | tuple[str, ...] | None = None,
    since_id: int | None = None,
    stopped_after: datetime | None = None,
) -> Plan[list[Recipe]]:
    """Every recipe of a customer (newest first, as Workato lists them), 100 a page to the end.

    Args:
        customer_id: the customer.
        running: only running (True) or stopped (False) recipes.
        folder_id: only recipes in this folder.
        stop_cause: only recipes Workato stopped for this reason: ``trigger_errors_limit``,
            ``action_quota_limit``, ``trial_expired`` or ``txn_quota_limit``.
        adapter_names_any: only recipes using any of these applications.
        adapter_names_all: only recipes using all of these applications.
        since_id: only recipes with an id lower than this.
        stopped_after: only recipes stopped after this moment.

    Returns:
        The recipes.
    """
    params: list[tuple[str, str]] = []
    if running is not None:
        params.append(("running", _flag(running, "running")))
    if folder_id is not None:
        params.append(("folder_id", _filter("folder_id", folder_id)))
    if stop_cause is not None:
        params.append(("stop_cause", _choice(stop_cause, "stop_cause", _STOP_CAUSES)))
    if adapter_names_any is not None:
        params.append(("adapter_names_any", _names(adapter_names_any, "adapter_names_any")))
    if adapter_names_all is not None:
        params.append(("adapter_names_all", _names(adapter_names_all, "adapter_names_all")))
    if since_id is not None:
        params.append(("since_id", str(check_workato_id("since_id", since_id))))
    if stopped_after is not None:
        params.append(("stopped_after", _moment(stopped_after, "stopped_after")))
    call = Call("GET", f"{_customer_path(customer_id)}/recipes", "list_recipes", tuple(params))
    return (yield from _paged(call, Recipe))


def recipe(customer_id: IdLike, recipe_id: int | str) -> Plan[Recipe]:
    """One recipe of a customer.

    Args:
        customer_id: the customer.
        recipe_id: the recipe.

    Returns:
        The recipe.
    """
    call = Call("GET", _recipe_path(customer_id, recipe_id), "get_recipe")
    return _build(Recipe, _one((yield call)), call)


def recipes_using(customer_id: IdLike, connection_id: int | str) -> Plan[list[Recipe]]:
    """The customer's recipes whose ``config`` names the connection (one paged list read).

    Args:
        customer_id: the customer.
        connection_id: the connection.

    Returns:
        Those recipes, newest first.
    """
    wanted = validate_connection_id(connection_id)
    found = yield from recipes(customer_id)
    return [item for item in found if wanted in item.connection_ids]


def start_recipe(customer_id: IdLike, recipe_id: int | str) -> Plan[None]:
    """Start a recipe; a start Workato refuses raises `RecipeStartError` with its errors.

    Args:
        customer_id: the customer.
        recipe_id: the recipe.

    Raises:
        RecipeStartError: Workato refused (a connection not authorized, a config or code error).
    """
    number = check_workato_id("recipe_id", recipe_id)
    path = f"{_recipe_path(customer_id, number)}/start"

    def refused(status: int, message: str, body: Any) -> ApiError | None:
        if status in (401, 404, 429) or (status == 403 and not _has_errors(body)):
            return None
        return _start_error(status, message, body, path, number)

    body = yield Call("PUT", path, "recipes", refused=refused)
    if isinstance(body, dict) and body.get("success") is False:
        raise _start_error(200, "", body, path, number)


def stop_recipe(customer_id: IdLike, recipe_id: int | str) -> Plan[None]:
    """Stop a recipe.

    Args:
        customer_id: the customer.
        recipe_id: the recipe.
    """
    path = f"{_recipe_path(customer_id, recipe_id)}/stop"
    body = yield Call("PUT", path, "recipes")
    if isinstance(body, dict) and body.get("success") is False:
        text = body.get("message") if isinstance(body.get("message"), str) else None
        raise ApiError(200, text or "Workato answered success: false", "PUT", path)


def _has_errors(body: Any) -> bool:
    return isinstance(body, dict) and bool(body.get("code_errors") or body.get("config_errors"))


def _start_error(
    status: int, message: str, body: Any, path: str, recipe_id: int
) -> RecipeStartError:
    data = body if isinstance(body, dict) else {}
    code = _as_tuple(data.get("code_errors"))
    config = _as_tuple(data.get("config_errors"))
    parts = [message] if message and message != "no message" else []
    parts += [_error_text(item) for item in (*config, *code)]
    summary = "; ".join(part for part in parts if part) or "Workato refused to start it"
    return RecipeStartError(
        status, clean_text(summary, MAX_ERROR_TEXT), "PUT", path, recipe_id, code, config
    )


def _as_tuple(value: object) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _error_text(item: object) -> str:
    """One of Workato's errors as text: a string, a [line, text] pair, or {message: ...}."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        text = item.get("message") or item.get("error")
        return text if isinstance(text, str) else json.dumps(item)[:200]
    if isinstance(item, list) and len(item) == 3 and isinstance(item[0], int):
        line, adapter, text = item  # [recipe_line_number, adapter, message], as Workato sends
        return f"step {line} ({adapter}): {text}"[:200]
    if isinstance(item, list):
        return " ".join(str(part) for part in item)[:200]
    return str(item)[:200]


# --- jobs ---------------------------------------------------------------------------------------


class _Forbidden(AuthenticationError):
    """A 403 on jobs, naming the privilege the API client's role lacks."""

    def _describe(self) -> str:
        return f"{ApiError._describe(self)} ({_JOBS_ROLE_HINT})"


def jobs(
    customer_id: IdLike,
    recipe_id: int | str,
    *,
    status: str | None = None,
    rerun_only: bool = False,
    limit: int | None = None,
) -> Plan[list[Job]]:
    """A recipe's jobs, newest first, following Workato's ``offset_job_id`` cursor to the end
    (or to `limit`).

    Args:
        customer_id: the customer.
        recipe_id: the recipe.
        status: only ``succeeded``, ``failed`` or ``pending`` jobs.
        rerun_only: only jobs that were rerun.
        limit: at most this many jobs.

    Returns:
        The jobs, without their lines (read one with ``job()`` for those).

    Raises:
        AuthenticationError: 403: the API client's role lacks Customer workspaces > Projects >
            List / Get details.
    """
    if limit is not None:
        check_whole_number("limit", limit, off=" or None")
    path = f"{_recipe_path(customer_id, recipe_id)}/jobs"
    base: list[tuple[str, str]] = []
    if status is not None:
        base.append(("status", _choice(status, "status", _JOB_STATUSES)))
    if rerun_only:
        base.append(("rerun_only", _flag(rerun_only, "rerun_only")))
    found: list[Job] = []
    seen: set[object] = set()
    offset: str | None = None
    while limit is None or len(found) < limit:
        params = list(base)
        if offset is not None:
            params += [("offset_job_id", offset), ("prev", "false")]
        call = Call("GET", path, "jobs", tuple(params), refused=_refusing_jobs(path))
        items = _build_all(Job, _items((yield call), call), call)
        fresh = [item for item in items if item.id not in seen]
        if not fresh:
            break
        found += fresh
        seen.update(item.id for item in fresh)
        offset = str(fresh[-1].id)
    return found if limit is None else found[:limit]


def _refusing_jobs(path: str) -> Refusal:
    def refused(status: int, message: str, body: Any) -> ApiError | None:
        del body
        return _Forbidden(status, message, "GET", path) if status == 403 else None

    return refused


def job(customer_id: IdLike, recipe_id: int | str, job_id: str | int) -> Plan[Job]:
    """One job of a recipe with its ``lines`` (steps) and ``error_parts``.

    Args:
        customer_id: the customer.
        recipe_id: the recipe.
        job_id: Workato's job handle, e.g. ``"j-KGAKfhsz-GYoLe"``.

    Returns:
        The job.
    """
    path = f"{_recipe_path(customer_id, recipe_id)}/jobs/{_job_segment(job_id)}"
    call = Call("GET", path, "jobs", refused=_refusing_jobs(path))
    return _build(Job, _one((yield call)), call)


# --- folders and projects -----------------------------------------------------------------------


def folders(customer_id: IdLike, *, parent_id: int | None = None) -> Plan[list[Folder]]:
    """The folders of a customer under `parent_id` (Workato's default: the home folder), every
    page.

    Args:
        customer_id: the customer.
        parent_id: the folder whose subfolders to list.

    Returns:
        The folders.
    """
    params = () if parent_id is None else (("parent_id", _filter("parent_id", parent_id)),)
    call = Call("GET", f"{_customer_path(customer_id)}/folders", "folders", params)
    return (yield from _paged(call, Folder))


def projects(customer_id: IdLike) -> Plan[list[Project]]:
    """The projects of a customer, every page.

    Args:
        customer_id: the customer.

    Returns:
        The projects.
    """
    call = Call("GET", f"{_customer_path(customer_id)}/projects", "projects")
    return (yield from _paged(call, Project))
