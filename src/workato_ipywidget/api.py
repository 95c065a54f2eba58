"""A synchronous client for Workato's Embedded API: a customer's connections and the customers.

The API token travels only in the ``Authorization`` header of each request. It is never part of a
``repr``, a log record or an exception: transport failures are re-raised as `ApiConnectionError`
outside the ``except`` block that caught httpx's own error, so no exception chain leads back to a
request object, and Workato's error texts are redacted before they become `ApiError.message`.
"""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
import urllib.parse
from collections.abc import Mapping
from datetime import timezone
from typing import Any, NoReturn, TypeVar

import httpx

from .endpoints import DataCenter, api_base_url, resolve_data_center, validate_connection_id
from .errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
)
from .protocol import MAX_ERROR_TEXT, clean_text
from .records import Connection, Customer, json_kind
from .token import ExternalId, IdLike

__all__ = ["EmbeddedApi", "check_customer_id", "parse_retry_after"]

logger = logging.getLogger("workato_ipywidget.api")

_CUSTOMERS_PER_PAGE = 100
# A customer id written in a path: unreserved characters and %XX escapes (e.g. "EAM10%3AXV303").
_PATH_ID = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})+")
# An API token as Workato issues them: visible ASCII, no spaces (anything else cannot be a header).
_TOKEN_SHAPE = re.compile(r"[\x21-\x7e]+")
_UPDATABLE = frozenset({"name", "folder_id", "parent_id", "external_id", "input"})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


_Record = TypeVar("_Record", Connection, Customer)

# --- the client ---------------------------------------------------------------------------------


class EmbeddedApi:
    """Workato's Embedded API for one vendor: customers and their connections, synchronously.

    ``data_center`` picks Workato's API host (US: ``https://www.workato.com``); ``base_url``
    overrides it (https, or http on loopback for the local sandbox). A 429 is retried after
    Workato's ``Retry-After`` (each wait capped at ``max_retry_wait`` seconds) at most
    ``max_retries`` times, then raised as `RateLimitError`.
    """

    def __init__(
        self,
        api_token: str,
        *,
        data_center: DataCenter | str | None = "us",
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
    ) -> None:
        problem = _token_problem(api_token)
        authorization = _Hidden(f"Bearer {api_token}" if problem is None else "")
        del api_token  # a verbose traceback (locals shown) of a failure below must not show it
        if problem is not None:
            raise problem
        self._base_url = api_base_url(data_center, base_url)
        self._data_center = None if base_url is not None else resolve_data_center(data_center)
        self._timeout = _positive(timeout, "timeout")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        self._max_retries = max_retries
        self._max_retry_wait = _positive(max_retry_wait, "max_retry_wait", zero=True)
        self._host = urllib.parse.urlsplit(self._base_url).netloc
        self._client = httpx.Client(
            base_url=self._base_url,
            timeout=self._timeout,
            follow_redirects=False,  # never carry the Authorization header to another host
            headers={
                "Authorization": authorization.value,
                "Accept": "application/json",
                "User-Agent": "workato-ipywidget",
            },
        )

    @property
    def base_url(self) -> str:
        """The API's origin, e.g. ``https://app.eu.workato.com`` (requests go to ``/api/...``)."""
        return self._base_url

    @property
    def data_center(self) -> DataCenter | None:
        """The data center, or None when built with a custom ``base_url``."""
        return self._data_center

    # connections

    def connections(
        self,
        customer_id: IdLike,
        *,
        provider: str | None = None,
        folder_id: int | None = None,
        parent_id: int | None = None,
        external_id: str | None = None,
        include_runtime_connections: bool = False,
        include_tags: bool = False,
    ) -> list[Connection]:
        """A customer's connections, optionally filtered; Workato does not paginate this list."""
        params: list[tuple[str, str]] = []
        for name, value in (
            ("provider", provider),
            ("folder_id", folder_id),
            ("parent_id", parent_id),
            ("external_id", external_id),
        ):
            if value is not None:
                params.append((name, str(_checked_filter(name, value))))
        if include_runtime_connections:
            params.append(("include_runtime_connections", "true"))
        if include_tags:
            params.append(("includes[]", "tags"))
        path = f"{_customer_path(customer_id)}/connections"
        body = self._request("GET", path, params=params)
        return [
            self._build(Connection, item, "GET", path) for item in _result_list(body, "GET", path)
        ]

    def create_connection(
        self,
        customer_id: IdLike,
        *,
        name: str,
        provider: str,
        folder_id: int | None = None,
        parent_id: int | None = None,
        external_id: str | None = None,
        input: Mapping[str, Any] | None = None,
    ) -> Connection:
        """Create a shell connection (not yet authorized) in the customer's account."""
        payload: dict[str, Any] = {"name": _nonempty(name, "name"), "provider": provider}
        _nonempty(provider, "provider")
        for key, value in (
            ("folder_id", folder_id),
            ("parent_id", parent_id),
            ("external_id", external_id),
        ):
            if value is not None:
                payload[key] = _checked_filter(key, value)
        if input is not None:
            payload["input"] = dict(input)
        path = f"{_customer_path(customer_id)}/connections"
        return self._build(Connection, self._request("POST", path, json=payload), "POST", path)

    def update_connection(
        self, customer_id: IdLike, connection_id: int | str, **fields: Any
    ) -> Connection:
        """Change a connection's ``name``, ``folder_id``, ``parent_id``, ``external_id`` or
        ``input``; returns the connection as Workato now has it."""
        unknown = sorted(set(fields) - _UPDATABLE)
        if unknown:
            raise TypeError(
                f"update_connection() cannot change {', '.join(unknown)}; Workato's update "
                f"accepts {', '.join(sorted(_UPDATABLE))}"
            )
        if not fields:
            raise TypeError("update_connection() needs at least one field to change, e.g. name=")
        path = _connection_path(customer_id, connection_id)
        return self._build(Connection, self._request("PUT", path, json=fields), "PUT", path)

    def disconnect_connection(self, customer_id: IdLike, connection_id: int | str) -> None:
        """Disconnect (de-authorize) a connection; nothing happens if it is not connected."""
        self._request("POST", f"{_connection_path(customer_id, connection_id)}/disconnect")

    def delete_connection(self, customer_id: IdLike, connection_id: int | str) -> None:
        """Delete a connection from the customer's account."""
        self._request("DELETE", _connection_path(customer_id, connection_id))

    # customers

    def customers(self) -> list[Customer]:
        """Every customer (managed user) of the vendor, reading Workato's pages to the end."""
        customers: list[Customer] = []
        path = "/api/managed_users"
        page = 1
        while True:
            params = [("page", str(page)), ("per_page", str(_CUSTOMERS_PER_PAGE))]
            items = _result_list(self._request("GET", path, params=params), "GET", path)
            customers += [self._build(Customer, item, "GET", path) for item in items]
            if len(items) < _CUSTOMERS_PER_PAGE:
                return customers
            page += 1

    def customer(self, customer_id: IdLike) -> Customer:
        """One customer (managed user) by Workato id or `ExternalId`."""
        path = _customer_path(customer_id)
        body = self._request("GET", path)
        if isinstance(body, dict) and isinstance(body.get("result"), dict):
            body = body["result"]
        return self._build(Customer, body, "GET", path)

    # lifecycle

    def close(self) -> None:
        """Close the connection pool; the client cannot be used afterwards."""
        self._client.close()

    def __enter__(self) -> EmbeddedApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        center = getattr(self, "_data_center", None)
        return (
            f"EmbeddedApi(base_url={getattr(self, '_base_url', None)!r}, "
            f"data_center={None if center is None else center.value!r})"
        )

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "an EmbeddedApi holds an API token and cannot be pickled or copied; build a new one "
            "where it is needed"
        )

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self.__getstate__()

    # plumbing

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
    ) -> Any:
        """Send with retries on 429; return the decoded JSON body (None when empty)."""
        attempt = 0
        while True:
            response = self._send(method, path, params, json)
            if response.status_code != 429 or attempt >= self._max_retries:
                break
            wait = parse_retry_after(response.headers.get("Retry-After"))
            wait = min(self._max_retry_wait, 1.0 if wait is None else wait)
            attempt += 1
            logger.info(
                "%s %s answered 429; retry %d of %d in %.1f s",
                method,
                path,
                attempt,
                self._max_retries,
                wait,
            )
            time.sleep(wait)
        if response.is_success:
            return self._decode(response, method, path)
        raise self._error(response, method, path)

    def _send(
        self, method: str, path: str, params: list[tuple[str, str]] | None, json: Any
    ) -> httpx.Response:
        failure: str | None = None
        try:
            query = tuple(params or ())  # a tuple: httpx accepts a tuple of pairs
            return self._client.request(method, path, params=query, json=json)
        except httpx.TimeoutException as exc:
            failure = (
                f"{self._host} did not answer within the {self._timeout:g} s timeout "
                f"({type(exc).__name__}); check the network, or raise timeout="
            )
        except httpx.TransportError as exc:
            failure = (
                f"could not reach {self._host} ({type(exc).__name__}: {_transport_reason(exc)}); "
                f"check data_center= / base_url= and the network (timeout {self._timeout:g} s)"
            )
        # Raised here, outside the except blocks: no __context__ leads back to httpx's request.
        raise ApiConnectionError(None, failure, method, path)

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            problem = "the answer is not JSON"
        raise ApiError(response.status_code, self._unexpected(problem), method, path)

    def _error(self, response: httpx.Response, method: str, path: str) -> ApiError:
        status = response.status_code
        message = self._message(response)
        if status in (401, 403):
            return AuthenticationError(status, message, method, path)
        if status == 404:
            return NotFoundError(status, message, method, path)
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            return RateLimitError(status, message, method, path, retry_after=wait)
        return ApiError(status, message, method, path)

    def _message(self, response: httpx.Response) -> str:
        """Workato's ``{"message": ...}`` (or ``{"error": ...}``), redacted and capped."""
        text: object = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            text = body.get("message") or body.get("error")
            if isinstance(text, dict):
                text = text.get("message")
        if not isinstance(text, str) or not text.strip():
            text = response.reason_phrase or "no message"
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        token = self._client.headers.get("Authorization", "").removeprefix("Bearer ")
        if token:
            text = text.replace(token, "[redacted]")
        return clean_text(text, MAX_ERROR_TEXT)

    def _unexpected(self, problem: str) -> str:
        return (
            f"{problem}, which is not what Workato's Embedded API documents; check base_url= "
            "(it must be the API's origin, e.g. https://www.workato.com)"
        )

    def _build(self, cls: type[_Record], item: object, method: str, path: str) -> _Record:
        problem: str | None = None
        try:
            return cls.from_api(item)
        except ValueError as exc:
            problem = self._scrub(str(exc))
        raise ApiError(200, self._unexpected(problem), method, path)


def _result_list(body: object, method: str, path: str) -> list[Any]:
    result = body.get("result") if isinstance(body, dict) else None
    if isinstance(result, list):
        return result
    if isinstance(body, list):
        return body
    raise ApiError(
        200,
        f"expected {{'result': [...]}}, got {json_kind(body)}, which is not what Workato's "
        "Embedded API documents; check base_url=",
        method,
        path,
    )


def _transport_reason(exc: httpx.TransportError) -> str:
    """A short cause without URLs or request details (httpx texts are not ours to echo)."""
    cause: BaseException | None = exc
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    text = str(cause) if cause is not None else ""
    text = re.sub(r"https?://\S+", "<url>", text)
    return clean_text(text, 200) or "no detail"


class _Hidden:
    """A secret whose repr shows nothing: what a verbose traceback prints of a frame's locals."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>"


def _token_problem(api_token: object) -> Exception | None:
    """Why `api_token` cannot be one, as the exception to raise; the message never echoes it."""
    if not isinstance(api_token, str):
        return TypeError(
            f"api_token must be a str (the Embedded API client's token), not {json_kind(api_token)}"
        )
    if not api_token:
        return ValueError(
            "api_token is empty; pass the token of an API client with Embedded API access"
        )
    if not _TOKEN_SHAPE.fullmatch(api_token):
        return ValueError(
            "api_token holds whitespace or non-ASCII characters, so it cannot be an API token; "
            "check for a stray newline or quote when it was read from a file or variable"
        )
    if api_token.lower().startswith("bearer"):
        return ValueError(
            "api_token starts with 'Bearer'; pass the token alone, the client adds 'Bearer '"
        )
    return None


def _positive(value: object, name: str, *, zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be {'>= 0' if zero else 'positive'}, got {value!r}")
    return float(value)


def _nonempty(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return value


def _checked_filter(name: str, value: object) -> int | str:
    if name in ("folder_id", "parent_id"):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
        return value
    return _nonempty(value, name)


def _customer_path(customer_id: IdLike) -> str:
    """``/api/managed_users/<id>``: a Workato id, or ``E`` + the URL-encoded external id."""
    if isinstance(customer_id, ExternalId):
        segment = customer_id.encoded
    elif isinstance(customer_id, bool) or not isinstance(customer_id, int | str):
        raise TypeError(
            f"customer_id must be a str, an int or an ExternalId, not {json_kind(customer_id)}"
        )
    elif isinstance(customer_id, str) and not customer_id.strip():
        raise ValueError("customer_id is empty; expected Workato's id of the customer")
    elif isinstance(customer_id, int):
        if customer_id <= 0:
            raise ValueError(f"customer_id must be a positive Workato id, got {customer_id}")
        segment = str(customer_id)
    elif _PATH_ID.fullmatch(customer_id):
        segment = customer_id
    else:
        raise ValueError(
            f"customer_id {customer_id[:60]!r} holds characters a path cannot carry as they are; "
            f"for an id from your own system use ExternalId({customer_id[:60]!r})"
        )
    return f"/api/managed_users/{segment}"


def check_customer_id(customer_id: object) -> None:
    """Refuse (TypeError, ValueError) a customer id that Workato's API paths cannot carry."""
    _customer_path(customer_id)  # type: ignore[arg-type]


def _connection_path(customer_id: IdLike, connection_id: int | str) -> str:
    return f"{_customer_path(customer_id)}/connections/{validate_connection_id(connection_id)}"
