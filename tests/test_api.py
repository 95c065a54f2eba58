"""The Embedded API client against a running sandbox over real HTTP, and its typed records."""

from __future__ import annotations

import email.utils
import logging
import pickle
import socket
import time
import traceback
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from workato_ipywidget import (
    ApiConnectionError,
    ApiError,
    AsyncEmbeddedApi,
    AuthenticationError,
    Connection,
    Customer,
    DataCenter,
    EmbeddedApi,
    RateLimitError,
    RateLimits,
)
from workato_ipywidget.api import parse_retry_after
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_connection(1, "salesforce")
        server.add_connection(2, "jira", name="Team Jira", connected=True)
        yield server


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[EmbeddedApi]:
    with EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url, max_retry_wait=0.05) as client:
        yield client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


_TESTS = str(Path(__file__).parent)


def full_text(exc: BaseException) -> str:
    """What a traceback can show of an exception: str, repr, the chain, and the locals of every
    frame outside the test files (whose own locals hold the secret on purpose)."""
    shown = traceback.TracebackException.from_exception(exc, capture_locals=True)
    parts = [str(exc), repr(exc)]
    current: traceback.TracebackException | None = shown
    while current is not None:
        for frame in current.stack:
            if not frame.filename.startswith(_TESTS):
                parts += [frame.filename, frame.line or "", repr(frame.locals)]
        parts.append("".join(current.format_exception_only()))
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# the client


def test_connections_are_listed_as_typed_records(api: EmbeddedApi) -> None:
    connections = api.connections("acme")

    by_id = {c.id: c for c in connections}
    assert by_id[2].name == "Team Jira"
    assert by_id[2].provider == "jira"
    assert by_id[2].connected is True
    assert by_id[1].connected is False


def test_data_center_picks_workatos_api_host() -> None:
    us = EmbeddedApi("t0ken")
    eu = EmbeddedApi("t0ken", data_center="eu")
    custom = EmbeddedApi("t0ken", base_url="https://workato.example.com/")

    assert (us.base_url, us.data_center) == ("https://www.workato.com", DataCenter.US)
    assert (eu.base_url, eu.data_center) == ("https://app.eu.workato.com", DataCenter.EU)
    assert (custom.base_url, custom.data_center) == ("https://workato.example.com", None)


@pytest.mark.parametrize("client", [EmbeddedApi, AsyncEmbeddedApi])
@pytest.mark.parametrize("center", ["us", "eu", DataCenter.US])
def test_data_center_and_base_url_together_are_refused_as_widgets_refuse_them(
    client: type[EmbeddedApi] | type[AsyncEmbeddedApi], center: str | DataCenter
) -> None:
    with pytest.raises(ValueError, match="pass data_center= or base_url=, not both") as caught:
        client("t0ken", data_center=center, base_url="https://workato.example.com")

    assert "base_url='https://workato.example.com'" in str(caught.value)
    assert "t0ken" not in str(caught.value)


def test_wrong_token_raises_an_authentication_error_without_the_token(sandbox: Sandbox) -> None:
    secret = "wrong-but-secret-token-1234"
    with (
        EmbeddedApi(secret, base_url=sandbox.base_url) as api,
        pytest.raises(AuthenticationError) as caught,
    ):
        api.connections("acme")

    error = caught.value
    assert error.status == 401
    assert (error.method, error.path) == ("GET", "/api/managed_users/acme/connections")
    assert "API token" in str(error)
    assert secret not in full_text(error)


def test_unreachable_host_names_the_host_and_the_timeout() -> None:
    secret = "unreachable-secret-token-5678"
    port = free_port()
    with (
        EmbeddedApi(secret, base_url=f"http://127.0.0.1:{port}", timeout=2.5) as api,
        pytest.raises(ApiConnectionError) as caught,
    ):
        api.connections("acme")

    error = caught.value
    assert error.status is None
    assert f"127.0.0.1:{port}" in str(error)
    assert "2.5 s" in str(error)
    assert error.__cause__ is None
    assert error.__context__ is None
    assert secret not in full_text(error)


def test_repr_and_pickling_never_show_the_token() -> None:
    api = EmbeddedApi("repr-secret-token-9", data_center="jp")

    assert repr(api) == "EmbeddedApi(base_url='https://app.jp.workato.com', data_center='jp')"
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(api)


@pytest.mark.parametrize(
    ("token", "error"),
    [("", ValueError), ("two words", ValueError), ("Bearer abc", ValueError), (42, TypeError)],
)
def test_malformed_tokens_are_refused_without_echoing_them(token: Any, error: type) -> None:
    with pytest.raises(error) as caught:
        EmbeddedApi(token)

    assert str(token) not in str(caught.value) or token == ""


def test_a_bad_argument_after_the_token_does_not_show_it_in_a_verbose_traceback() -> None:
    secret = "verbose-secret-token-42"
    with pytest.raises(ValueError, match="timeout") as caught:
        EmbeddedApi(secret, timeout=-1)

    assert secret not in full_text(caught.value)


def test_no_log_record_holds_the_token(sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("httpx", "httpcore", "workato_ipywidget"):
        caplog.set_level(logging.DEBUG, logger=name)
    with EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url) as api:
        api.connections("acme")
    with (
        EmbeddedApi("bad-secret-token-77", base_url=sandbox.base_url) as api,
        pytest.raises(AuthenticationError),
    ):
        api.connections("acme")

    assert caplog.records, "httpx and httpcore log at DEBUG"
    for record in caplog.records:
        shown = f"{record.getMessage()} {record.args!r} {vars(record)!r}"
        assert sandbox.api_token not in shown
        assert "bad-secret-token-77" not in shown


# the records


def test_connection_record_parses_every_documented_field() -> None:
    record = {
        "id": 6132,
        "application": "box",
        "name": "My Box account",
        "description": None,
        "authorized_at": "2019-09-10T18:20:08.854-07:00",
        "authorization_status": "success",
        "authorization_error": None,
        "created_at": "2019-09-10T18:19:57.437Z",
        "updated_at": "2019-09-10T18:20:08.859-07:00",
        "external_id": "user-7",
        "folder_id": 12,
        "connection_lost_at": None,
        "connection_lost_reason": None,
        "parent_id": None,
        "provider": "box",
        "tags": ["tag-1"],
        "later_field": {"kept": True},
    }

    connection = Connection.from_api(record)

    assert connection.id == 6132
    assert connection.authorized_at == datetime(
        2019, 9, 10, 18, 20, 8, 854000, tzinfo=timezone(timedelta(hours=-7))
    )
    assert connection.created_at is not None
    assert connection.created_at.tzinfo is not None
    assert connection.tags == ("tag-1",)
    assert connection.extra == {"later_field": {"kept": True}}
    assert connection.connected is True
    with pytest.raises(TypeError):
        connection.extra["x"] = 1  # type: ignore[index]


def test_a_lost_connection_is_not_connected() -> None:
    connection = Connection.from_api(
        {"id": 1, "name": "x", "authorization_status": "success",
         "connection_lost_at": "2024-01-01T00:00:00Z", "connection_lost_reason": "revoked"}
    )  # fmt: skip

    assert connection.connected is False


def test_records_are_immutable_and_slotted() -> None:
    connection = Connection.from_api({"id": 1, "name": "x"})

    with pytest.raises(AttributeError):
        connection.name = "y"  # type: ignore[misc]
    assert not hasattr(connection, "__dict__")


@pytest.mark.parametrize(
    ("record", "named"),
    [
        ([], "JSON object"),
        ({"name": "x"}, "'id'"),
        ({"id": "1", "name": "x"}, "'id'"),
        ({"id": True, "name": "x"}, "'id'"),
        ({"id": 1}, "'name'"),
        ({"id": 1, "name": "x", "authorized_at": "yesterday"}, "'authorized_at'"),
        ({"id": 1, "name": "x", "tags": "a,b"}, "'tags'"),
        ({"id": 1, "name": "x", "folder_id": 1.5}, "'folder_id'"),
    ],
)
def test_a_malformed_connection_record_names_the_field(record: object, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        Connection.from_api(record)


def test_customer_record_parses_workatos_managed_user() -> None:
    customer = Customer.from_api(
        {"id": 3498583, "external_id": "UU0239093498", "name": "Kevin Leary",
         "notification_email": "kevinl@acme.com", "plan_id": "oem_plan", "origin_url": None,
         "in_trial": True, "created_at": "2020-03-06T01:56:20.208Z",
         "updated_at": "2020-03-06T01:56:20.625Z", "frame_ancestors": "https://a.example"}
    )  # fmt: skip

    assert (customer.id, customer.external_id, customer.in_trial) == (3498583, "UU0239093498", True)
    assert customer.extra == {"frame_ancestors": "https://a.example"}


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 30, usegmt=True)

    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_api_error_survives_pickling_with_its_fields() -> None:
    error = ApiError(400, "Bad request", "POST", "/api/managed_users/1/connections")

    copy = pickle.loads(pickle.dumps(error))

    assert (copy.status, copy.message, copy.method) == (400, "Bad request", "POST")
    assert copy.path == "/api/managed_users/1/connections"
    assert str(copy) == str(error)


def test_no_error_class_shows_the_token(caplog: pytest.LogCaptureFixture) -> None:
    from workato_ipywidget import NotFoundError, RateLimitError
    from workato_ipywidget.sandbox import RateLimits

    caplog.set_level(logging.DEBUG)
    limits = RateLimits(list_connections=1, window=60)
    with Sandbox(rate_limits=limits) as server:
        server.add_connection(1, "salesforce")
        secret = server.api_token
        errors: list[ApiError] = []
        with EmbeddedApi(secret, base_url=server.base_url, max_retries=0) as api:
            calls = [
                lambda: api.customer("nobody"),  # 404
                lambda: api.update_connection("acme", 1, parent_id=99),  # 400
                lambda: api.connections("acme"),  # allowed
                lambda: api.connections("acme"),  # 429
            ]
            for call in calls:
                try:
                    call()
                except ApiError as exc:
                    errors.append(exc)

    assert [type(e) for e in errors] == [NotFoundError, ApiError, RateLimitError]
    assert [e.status for e in errors] == [404, 400, 429]
    for error in errors:
        assert secret not in full_text(error)
    assert all(secret not in f"{r.getMessage()} {vars(r)!r}" for r in caplog.records)


def test_a_closed_client_says_so(sandbox: Sandbox) -> None:
    api = EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url)
    api.close()

    with pytest.raises(ApiConnectionError, match="was closed; build a new one"):
        api.connections("acme")


# a 429 against a rate-limited sandbox


def test_the_client_retries_a_429_after_retry_after_and_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="workato_ipywidget.api")
    limits = RateLimits(list_connections=1, window=0.2)
    with (
        Sandbox(rate_limits=limits) as server,
        EmbeddedApi(server.api_token, base_url=server.base_url, max_retry_wait=0.25) as api,
    ):
        api.connections("acme")
        started = time.monotonic()

        assert api.connections("acme") == []

    assert time.monotonic() - started >= 0.2
    assert [r.getMessage() for r in caplog.records if "429" in r.getMessage()] == [
        "GET /api/managed_users/acme/connections answered 429; retry 1 of 3 in 0.2 s"
    ]


def test_the_client_raises_a_rate_limit_error_after_max_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="workato_ipywidget.api")
    limits = RateLimits(list_connections=1, window=60)
    with (
        Sandbox(rate_limits=limits) as server,
        EmbeddedApi(
            server.api_token, base_url=server.base_url, max_retries=2, max_retry_wait=0
        ) as api,
    ):
        api.connections("acme")
        with pytest.raises(RateLimitError) as caught:
            api.connections("acme")

    assert caught.value.status == 429
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 60
    assert sum("answered 429; retry" in r.getMessage() for r in caplog.records) == 2
    assert server.api_token not in str(caught.value)
