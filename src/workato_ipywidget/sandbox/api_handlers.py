"""The sandbox's Embedded API: customers (managed users) and their connections, as Workato
documents them.

Every request needs `Authorization: Bearer <api_token>`; errors are `{"message": ...}` with
Workato's status codes (400 bad input, 401 no or wrong token, 404 unknown customer or another
customer's connection, 429 over a rate limit, with `Retry-After`).
"""

from __future__ import annotations

import hmac
import json
import math
from datetime import datetime
from typing import Any

import tornado.web

from .handlers import BaseHandler
from .state import Connection, Customer, parse_connection_id

_CUSTOMER = r"/api/managed_users/([^/]+)"
_CONNECTION = _CUSTOMER + r"/connections/([^/]+)"
_CREATE_FIELDS = frozenset({"name", "provider", "folder_id", "parent_id", "external_id", "input"})
_UPDATE_FIELDS = frozenset({"name", "folder_id", "parent_id", "external_id", "input"})
_MAX_PER_PAGE = 100


def api_routes(args: dict[str, Any]) -> list[tuple[str, type[tornado.web.RequestHandler], Any]]:
    """The Embedded API's routes, for `handlers.make_app`."""
    return [
        (r"/api/managed_users", CustomersHandler, args),
        (_CUSTOMER, CustomerHandler, args),
        (_CUSTOMER + r"/connections", ConnectionsHandler, args),
        (_CONNECTION, ConnectionHandler, args),
        (_CONNECTION + r"/disconnect", DisconnectHandler, args),
    ]


class ApiError(Exception):
    """Answer `{"message": message}` with `status` (raised by a handler, written once)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiHandler(BaseHandler):
    """Authentication, rate limits and Workato's error shape for every Embedded API endpoint.

    `bucket` names the rate limit an endpoint counts against (see `RateLimits`).
    """

    bucket = "connections"

    def prepare(self) -> None:
        token = self._bearer_token()
        if token is None:
            message = (
                "missing or wrong API token; send 'Authorization: Bearer <token>' with the "
                "sandbox's api_token"
            )
            self.refuse("unauthorized", message)
            self.set_header("WWW-Authenticate", 'Bearer realm="workato-sandbox"')
            self._answer_error(401, message)
            return
        limits = self.sandbox.rate_limits
        if limits is not None:
            bucket = self._bucket()
            limit = getattr(limits, bucket)
            wait = self.sandbox.state.take(token, bucket, limit, limits.window)
            if wait is not None:
                self.set_header("Retry-After", str(max(1, math.ceil(wait))))
                self._answer_error(
                    429,
                    f"rate limit exceeded: {limit} requests per {limits.window:g} s for this "
                    "endpoint and API token; retry after the Retry-After seconds",
                )

    def _bucket(self) -> str:
        return self.bucket

    def _bearer_token(self) -> str | None:
        scheme, _, credentials = self.request.headers.get("Authorization", "").partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            return None
        expected = self.sandbox.api_token.encode()
        return credentials if hmac.compare_digest(credentials.encode(), expected) else None

    def _answer_error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.write_json({"message": message})

    def _execute_guarded(self, work: Any, *args: Any) -> None:
        try:
            work(*args)
        except ApiError as error:
            self._answer_error(error.status, error.message)

    # lookups and input

    def customer(self, reference: str) -> Customer:
        """The customer a path names (id, or "E" + URL-encoded external id), or a 404."""
        raw = self._raw_segment(3) or reference
        found = self.sandbox.state.customer(raw)
        if found is None:
            raise ApiError(
                404,
                f"no customer {raw[:60]!r}; name one by its id or by 'E' + its URL-encoded "
                "external id, e.g. EAM10%3AXV303",
            )
        return found

    def connection(self, customer: Customer, raw_id: str) -> Connection:
        """The customer's connection, or a 404 (also for another customer's connection)."""
        try:
            found = self.sandbox.state.connection(parse_connection_id(raw_id))
        except ValueError:
            found = None
        if found is None or found.customer_id != customer.id:
            raise ApiError(
                404, f"customer {customer.id!r} has no connection {raw_id[:40]!r}; list them first"
            )
        return found

    def _raw_segment(self, index: int) -> str | None:
        """A path segment as sent, still percent-encoded (Tornado hands handlers decoded ones)."""
        parts = self.request.path.split("/")
        return parts[index] if len(parts) > index else None

    def body(self, allowed: frozenset[str]) -> dict[str, Any]:
        """The JSON object sent, with only `allowed` keys, or a 400 saying what was wrong."""
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "the request body is not JSON; send a JSON object") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ApiError(
                400,
                f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}",
            )
        return data

    def changed(self, work: Any, *args: Any, **fields: Any) -> Any:
        """Run a state change; its ValueError (bad input) becomes a 400 with the same text."""
        try:
            return work(*args, **fields)
        except (ValueError, TypeError) as exc:
            raise ApiError(400, str(exc)) from None


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="milliseconds")


def describe_connection(connection: Connection, *, include_tags: bool) -> dict[str, Any]:
    """A connection with every field Workato documents, typed as its OpenAPI model says."""
    return {
        "id": connection.id,
        "application": connection.provider,
        "name": connection.name,
        "description": connection.description,
        "authorized_at": _moment(connection.authorized_at),
        "authorization_status": connection.authorization_status,
        "authorization_error": connection.authorization_error,
        "created_at": _moment(connection.created_at),
        "updated_at": _moment(connection.updated_at),
        "external_id": connection.external_id,
        "folder_id": connection.folder_id,
        "connection_lost_at": _moment(connection.connection_lost_at),
        "connection_lost_reason": connection.connection_lost_reason,
        "parent_id": connection.parent_id,
        "provider": connection.provider,
        "tags": list(connection.tags) if include_tags else None,
    }


def describe_customer(customer: Customer) -> dict[str, Any]:
    """A customer as Workato's managed-user endpoints answer it."""
    return {
        "id": int(customer.id) if customer.id.isdigit() else customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "notification_email": None,
        "plan_id": "oem_plan",
        "origin_url": None,
        "in_trial": False,
        "created_at": _moment(customer.created_at),
        "updated_at": _moment(customer.updated_at),
    }


class CustomersHandler(ApiHandler):
    """`GET /api/managed_users?page=&per_page=`: every customer, 100 a page at most."""

    bucket = "customers"

    def get(self) -> None:
        self._execute_guarded(self._list)

    def _list(self) -> None:
        page = _positive_query(self, "page", 1)
        per_page = min(_MAX_PER_PAGE, _positive_query(self, "per_page", _MAX_PER_PAGE))
        customers = self.sandbox.state.customers()[(page - 1) * per_page : page * per_page]
        self.write_json({"result": [describe_customer(c) for c in customers]})


class CustomerHandler(ApiHandler):
    """`GET /api/managed_users/:id`: one customer."""

    bucket = "customers"

    def get(self, reference: str) -> None:
        self._execute_guarded(lambda: self.write_json(describe_customer(self.customer(reference))))


class ConnectionsHandler(ApiHandler):
    """`GET` (list, filtered) and `POST` (create a shell connection) of a customer's connections."""

    def _bucket(self) -> str:
        return "list_connections" if self.request.method == "GET" else "connections"

    def get(self, reference: str) -> None:
        self._execute_guarded(self._list, reference)

    def post(self, reference: str) -> None:
        self._execute_guarded(self._create, reference)

    def _list(self, reference: str) -> None:
        customer = self.customer(reference)
        provider = self.get_query_argument("provider", None)
        folder_id = _int_query(self, "folder_id")
        parent_id = _int_query(self, "parent_id")
        external_id = self.get_query_argument("external_id", None)
        runtime = self.get_query_argument("include_runtime_connections", "") == "true"
        include_tags = "tags" in self.get_query_arguments("includes[]")
        found = [
            c
            for c in self.sandbox.state.connections(customer.id)
            if (provider is None or c.provider == provider)
            and (folder_id is None or c.folder_id == folder_id)
            and (parent_id is None or c.parent_id == parent_id)
            and (external_id is None or c.external_id == external_id)
            and (runtime or not c.runtime)
        ]
        self.write_json(
            {"result": [describe_connection(c, include_tags=include_tags) for c in found]}
        )

    def _create(self, reference: str) -> None:
        customer = self.customer(reference)
        data = self.body(_CREATE_FIELDS)
        for required in ("name", "provider"):
            if not isinstance(data.get(required), str) or not data[required].strip():
                raise ApiError(400, f"{required} is required: a non-empty string")
        provider = data.pop("provider")
        connection = self.changed(
            self.sandbox.state.create_connection, customer.id, provider, **data
        )
        self.write_json(describe_connection(connection, include_tags=False))


class ConnectionHandler(ApiHandler):
    """`PUT` (update) and `DELETE` one connection of a customer."""

    def put(self, reference: str, raw_id: str) -> None:
        self._execute_guarded(self._update, reference, raw_id)

    def delete(self, reference: str, raw_id: str) -> None:
        self._execute_guarded(self._delete, reference, raw_id)

    def _update(self, reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(reference), raw_id)
        data = self.body(_UPDATE_FIELDS)
        if not data:
            fields = ", ".join(sorted(_UPDATE_FIELDS))
            raise ApiError(400, f"nothing to update; send one of {fields}")
        updated = self.changed(self.sandbox.state.update_connection, connection.id, **data)
        self.write_json(describe_connection(updated, include_tags=False))

    def _delete(self, reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(reference), raw_id)
        self.sandbox.state.delete_connection(connection.id)
        self.write_json({"result": "success"})


class DisconnectHandler(ApiHandler):
    """`POST .../connections/:id/disconnect`: nothing happens to a connection not connected."""

    def post(self, reference: str, raw_id: str) -> None:
        self._execute_guarded(self._disconnect, reference, raw_id)

    def _disconnect(self, reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(reference), raw_id)
        if connection.authorization_status is not None or connection.connection_lost_at:
            self.sandbox.state.disconnect(connection.id)
        self.write_json({"result": "success"})


def _int_query(handler: ApiHandler, name: str) -> int | None:
    value = handler.get_query_argument(name, None)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise ApiError(400, f"{name} must be an integer id, got {value[:40]!r}")
    return int(value)


def _positive_query(handler: ApiHandler, name: str, default: int) -> int:
    value = _int_query(handler, name)
    if value is None:
        return default
    if value < 1:
        raise ApiError(400, f"{name} must be 1 or more, got {value}")
    return value
