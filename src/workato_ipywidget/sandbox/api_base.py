"""What every Embedded API endpoint of the sandbox shares: authentication, per-family rate limits,
Workato's error shape, and reading paths, queries and bodies.

Every request needs `Authorization: Bearer <api_token>`; errors are `{"message": ...}` with
Workato's status codes (400 bad input, 401 no or wrong token, 404 unknown customer or another
customer's record, 429 over a rate limit, with `Retry-After`). A handler raises `ApiRefusal`
anywhere; `write_error` answers it, so there is one way to refuse.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import tornado.web

from ..json_body import BodyError, read_json_body
from ..rate_limits import Family
from .base import BaseHandler
from .records import StoredConnection, StoredCustomer, parse_connection_id

CUSTOMER_PATH = r"/api/managed_users/([^/]+)"
MAX_PER_PAGE = 100
MAX_ID_DIGITS = 18
"""Ids and page numbers are at most this many digits: Workato's are 64-bit integers."""


class _CustomersRecord(Protocol):
    @property
    def customer_id(self) -> str: ...


Owned = TypeVar("Owned", bound=_CustomersRecord)


class ApiRefusal(tornado.web.HTTPError):
    """Answer `{"message": message}` with `status` (and `headers`), wherever a handler raises it.

    A tornado `HTTPError`, so raising it in `prepare` or a method ends the request the same way,
    logged at DEBUG without the query string.
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.message = message
        self.headers = dict(headers or {})


class ApiHandler(BaseHandler):
    """Authentication, rate limits and Workato's error shape for every Embedded API endpoint.

    `family` names the rate limit an endpoint counts against (see `RateLimits`); `family_of`
    may pick one by method.
    """

    family: Family = "connections"

    def prepare(self) -> None:
        if not self._authorized():
            message = (
                "missing or wrong API token; send 'Authorization: Bearer <token>' with the "
                "sandbox's api_token"
            )
            self.refuse("unauthorized", message)
            raise ApiRefusal(401, message, {"WWW-Authenticate": 'Bearer realm="workato-sandbox"'})
        limits = self.sandbox.rate_limits
        if limits is None:
            return
        family = self.family_of(self.request.method or "GET")
        limit = limits.limit(family)
        wait = self.sandbox.gate.take(family, limit, limits.window)
        if wait is not None:
            raise ApiRefusal(
                429,
                f"rate limit exceeded: {limit} requests per {limits.window:g} s for this "
                "endpoint family in this workspace (every API token shares it); retry after the "
                "Retry-After seconds",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )

    def family_of(self, method: str) -> Family:
        """The rate-limit family a request with `method` counts against."""
        return self.family

    def _authorized(self) -> bool:
        scheme, _, credentials = self.request.headers.get("Authorization", "").partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            return False
        expected = self.sandbox.api_token.encode()
        return hmac.compare_digest(credentials.encode(), expected)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, ApiRefusal):
            for name, value in error.headers.items():
                self.set_header(name, value)
            self.write_json({"message": error.message})
        else:
            super().write_error(status_code, **kwargs)

    # lookups and input

    def customer(self) -> StoredCustomer:
        """The customer the path names (id, or "E" + URL-encoded external id), or a 404."""
        raw = self._raw_segment(3) or ""
        found = self.sandbox.state.customer(raw)
        if found is None:
            raise ApiRefusal(
                404,
                f"no customer {raw[:60]!r}; name one by its id or by 'E' + its URL-encoded "
                "external id, e.g. EAM10%3AXV303",
            )
        return found

    def connection(self, customer: StoredCustomer, raw_id: str) -> StoredConnection:
        """The customer's connection, or a 404 (also for another customer's connection)."""
        return self.owned(
            customer, "connection", raw_id, parse_connection_id, self.sandbox.state.connection
        )

    def owned(
        self,
        customer: StoredCustomer,
        kind: str,
        raw_id: str,
        parse: Callable[[str], int],
        find: Callable[[int], Owned | None],
    ) -> Owned:
        """The customer's record of `kind` with the path's id, or a 404: also for an id that
        is no id at all, and for another customer's record (nothing tells which ids exist)."""
        try:
            found = find(parse(raw_id))
        except ValueError:
            found = None
        if found is None or found.customer_id != customer.id:
            raise ApiRefusal(
                404, f"customer {customer.id!r} has no {kind} {raw_id[:40]!r}; list them first"
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
            data = read_json_body(self.request.body, expected="a JSON object")
        except BodyError as exc:
            raise ApiRefusal(400, str(exc)) from None
        if not isinstance(data, dict):
            raise ApiRefusal(400, "the request body must be a JSON object")
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ApiRefusal(
                400,
                f"unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}",
            )
        return data

    def changed(self, work: Any, *args: Any, **fields: Any) -> Any:
        """Run a state change; its ValueError (bad input) becomes a 400 with the same text."""
        try:
            return work(*args, **fields)
        except (ValueError, TypeError) as exc:
            raise ApiRefusal(400, str(exc)) from None

    def int_query(self, name: str) -> int | None:
        """An integer query argument, or None when absent; a 400 when it is no integer id."""
        value = self.get_query_argument(name, None)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit()) or len(value) > MAX_ID_DIGITS:
            raise ApiRefusal(
                400,
                f"{name} must be an integer of at most {MAX_ID_DIGITS} digits, got "
                f"{value[:40]!r}" + ("..." if len(value) > 40 else ""),
            )
        return int(value)

    def positive_query(self, name: str, default: int) -> int:
        """An integer query argument of at least 1, `default` when absent."""
        value = self.int_query(name)
        if value is None:
            return default
        if value < 1:
            raise ApiRefusal(400, f"{name} must be 1 or more, got {value}")
        return value

    def page_window(self) -> slice:
        """The slice Workato's `page` (from 1) and `per_page` (at most 100) select."""
        page = self.positive_query("page", 1)
        per_page = min(MAX_PER_PAGE, self.positive_query("per_page", MAX_PER_PAGE))
        return slice((page - 1) * per_page, page * per_page)


def moment(value: datetime | None) -> str | None:
    """A timestamp as Workato writes it: ISO 8601 with milliseconds, or None."""
    return None if value is None else value.isoformat(timespec="milliseconds")
