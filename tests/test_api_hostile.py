"""The client against a local server that misbehaves on purpose: paths built from hostile ids,
answers that break decoders, and servers that echo the API token back in other encodings."""

from __future__ import annotations

import gzip
import html
import http.server
import json
import logging
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from test_api import full_text

from workato_ipywidget import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    EmbeddedApi,
    ExternalId,
    RecipeStartError,
)

TOKEN = "Hostile-Secret-Token_0123456789abcdef:/+=XYZ"  # >= 24 chars; ':/+=' change when encoded


def encodings(token: str) -> list[str]:
    """Every form of `token` a test checks for."""
    return [
        token,
        urllib.parse.quote(token, safe=""),
        urllib.parse.quote(token, safe="").lower(),
        urllib.parse.quote_plus(token),
        urllib.parse.quote(urllib.parse.quote(token, safe=""), safe=""),
        token[:24],
        token[-24:],
    ]


@dataclass
class Reply:
    status: int = 200
    reason: str = "OK"
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


class Hostile(http.server.ThreadingHTTPServer):
    """Answers each path with the `Reply` set for it; records every path it was asked for."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.replies: dict[str, Reply] = {}
        self.asked: list[str] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Hostile

    def _answer(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.asked.append(self.path)
        reply = self.server.replies.get(path, Reply(404, "Not Found", b'{"message": "no"}'))
        self.send_response(reply.status, reply.reason)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Hostile]:
    hostile = Hostile()
    thread = threading.Thread(target=hostile.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield hostile
    hostile.shutdown()
    hostile.server_close()
    thread.join(5)


@pytest.fixture
def api(server: Hostile) -> Iterator[EmbeddedApi]:
    with EmbeddedApi(TOKEN, base_url=server.base_url, pace=False, max_retries=0) as client:
        yield client


def assert_no_token(error: BaseException) -> None:
    """No form of the token in what a traceback shows, and no HTTP object in the chain."""
    shown = full_text(error)
    for form in encodings(TOKEN):
        assert form not in shown
    current: BaseException | None = error
    while current is not None:
        for value in vars(current).values():
            assert not isinstance(value, httpx.Request | httpx.Response | httpx.Headers)
        current = current.__cause__ or current.__context__


# ids that are not one path segment


@pytest.mark.parametrize("customer_id", ["..", ".", "%2E%2E", "%2e", "a/b", "a%2Fb", "a%5Cb"])
def test_a_customer_id_that_is_not_one_segment_is_refused_before_any_request(
    server: Hostile, api: EmbeddedApi, customer_id: str
) -> None:
    calls = [
        lambda: api.connections(customer_id),
        lambda: api.delete_connection(customer_id, 7),
        lambda: api.recipes(customer_id),
        lambda: api.jobs(customer_id, 1),
        lambda: api.delete_customer(customer_id),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="customer_id") as caught:
            call()
        assert repr(customer_id[:60]) in str(caught.value)

    assert server.asked == []


@pytest.mark.parametrize("job_id", ["..", ".", "a/b", "%2E%2E", ""])
def test_a_job_id_that_is_not_a_handle_is_refused(
    server: Hostile, api: EmbeddedApi, job_id: str
) -> None:
    with pytest.raises(ValueError, match="job_id"):
        api.job("acme", 1, job_id)

    assert server.asked == []


@pytest.mark.parametrize("recipe_id", ["..", "1/2", "-1", 0, "\uff11"])
def test_a_recipe_id_that_is_not_a_number_is_refused(
    server: Hostile, api: EmbeddedApi, recipe_id: object
) -> None:
    with pytest.raises(ValueError, match="recipe_id"):
        api.recipe("acme", recipe_id)  # type: ignore[arg-type]

    assert server.asked == []


def test_an_external_id_with_dots_and_slashes_stays_one_segment(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/E..%2F..%2Fx/connections"] = Reply(body=b'{"result": []}')

    assert api.connections(ExternalId("../../x")) == []
    assert server.asked == ["/api/managed_users/E..%2F..%2Fx/connections"]


# answers that break decoders


def test_a_gzip_answer_with_a_garbage_body_is_an_api_error(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/acme/connections"] = Reply(
        body=b"this is not gzip at all",
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    with pytest.raises(ApiError) as caught:
        api.connections("acme")

    assert not isinstance(caught.value, ApiConnectionError)
    assert "DecodingError" in str(caught.value)
    assert_no_token(caught.value)


def test_a_deeply_nested_json_answer_is_an_api_error(server: Hostile, api: EmbeddedApi) -> None:
    depth = 200_000
    server.replies["/api/managed_users/acme/connections"] = Reply(body=b"[" * depth + b"]" * depth)

    with pytest.raises(ApiError, match="nests too deeply") as caught:
        api.connections("acme")

    assert_no_token(caught.value)


def test_a_deeply_nested_refusal_is_an_api_error_with_its_status(
    server: Hostile, api: EmbeddedApi
) -> None:
    depth = 200_000
    server.replies["/api/managed_users/acme/connections"] = Reply(
        500, "Server Error", b'{"message": ' + b"[" * depth + b"]" * depth + b"}"
    )

    with pytest.raises(ApiError) as caught:
        api.connections("acme")

    assert caught.value.status == 500
    assert_no_token(caught.value)


def test_a_valid_gzip_answer_is_read(server: Hostile, api: EmbeddedApi) -> None:
    server.replies["/api/managed_users/acme/connections"] = Reply(
        body=gzip.compress(b'{"result": [{"id": 1, "name": "SF"}]}'),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )

    assert [c.name for c in api.connections("acme")] == ["SF"]


# servers that echo the token


@pytest.mark.parametrize(
    "echo",
    [
        pytest.param(lambda t: t, id="literal"),
        pytest.param(lambda t: urllib.parse.quote(t, safe=""), id="percent"),
        pytest.param(lambda t: urllib.parse.quote(t, safe="").lower(), id="percent-lower"),
        pytest.param(lambda t: urllib.parse.quote_plus(t), id="plus"),
        pytest.param(
            lambda t: urllib.parse.quote(urllib.parse.quote(t, safe=""), safe=""), id="twice"
        ),
        pytest.param(lambda t: "".join(f"&#{ord(c)};" for c in t), id="html"),
        pytest.param(lambda t: "".join(f"\\u{ord(c):04x}" for c in t), id="json-escapes"),
        pytest.param(lambda t: f"...{t[5:35]}...", id="a-long-piece"),
    ],
)
def test_a_token_echoed_in_any_encoding_never_reaches_the_error(
    server: Hostile, api: EmbeddedApi, echo: Any
) -> None:
    text = echo(TOKEN)
    body = json.dumps({"message": f"bad token {text} for this account"}).replace("\\\\", "\\")
    server.replies["/api/managed_users/acme/connections"] = Reply(
        401, "Unauthorized", body.encode()
    )

    with pytest.raises(AuthenticationError) as caught:
        api.connections("acme")

    assert "bad token" in caught.value.message
    assert "[redacted]" in caught.value.message
    assert_no_token(caught.value)


def test_the_http_libraries_log_records_never_hold_the_token(
    server: Hostile, api: EmbeddedApi, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    quoted = urllib.parse.quote(TOKEN, safe="")
    server.replies["/api/managed_users/acme/connections"] = Reply(
        401,
        f"Bad token {TOKEN}",  # the reason phrase httpx logs at INFO and httpcore at DEBUG
        json.dumps({"message": f"bad {quoted}"}).encode(),
        {"Content-Type": "application/json", "X-Echo": quoted},
    )

    with pytest.raises(AuthenticationError):
        api.connections("acme")

    records = [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]
    assert any("receive_response_headers" in r.getMessage() for r in records)
    assert any("HTTP Request" in r.getMessage() for r in records)
    for record in records:
        shown = f"{record.getMessage()} {record.args!r} {vars(record)!r}"
        for form in encodings(TOKEN):
            assert form not in shown, record.name


def test_a_token_in_a_malformed_record_does_not_reach_the_error(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/acme/connections"] = Reply(
        body=json.dumps({"result": [{"id": 1, "name": "x", "created_at": TOKEN[:40]}]}).encode()
    )

    with pytest.raises(ApiError, match="created_at") as caught:
        api.connections("acme")

    assert_no_token(caught.value)


def test_a_refused_start_that_quotes_the_token_keeps_it_out_of_the_errors_lists(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/acme/recipes/5/start"] = Reply(
        body=json.dumps(
            {
                "success": False,
                "code_errors": [[2, f"token {html.escape(TOKEN)} is wrong"]],
                "config_errors": [[1, "jira", f"Authorization: Bearer {TOKEN}"]],
            }
        ).encode()
    )

    with pytest.raises(RecipeStartError) as caught:
        api.start_recipe("acme", 5)

    error = caught.value
    assert error.recipe_id == 5
    assert "step 1 (jira)" in str(error)
    assert len(error.config_errors) == 1
    assert_no_token(error)
    for form in encodings(TOKEN):
        assert form not in repr(error.code_errors) + repr(error.config_errors)


def test_a_403_on_jobs_names_the_role_the_api_client_needs(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/acme/recipes/5/jobs"] = Reply(
        403, "Forbidden", b'{"message": "Forbidden"}'
    )

    with pytest.raises(AuthenticationError) as caught:
        api.jobs("acme", 5)

    assert "Customer workspaces > Projects > List and Get details" in str(caught.value)
    assert caught.value.status == 403


def test_an_unreadable_answer_is_an_api_error_for_every_method(server: Hostile) -> None:
    server.replies["/api/managed_users"] = Reply(body=b"<html>not json</html>")
    server.replies["/api/managed_users/acme/recipes"] = Reply(body=b'{"result": "nope"}')

    with EmbeddedApi(TOKEN, base_url=server.base_url, pace=False) as api:
        with pytest.raises(ApiError, match="not JSON"):
            api.customers()
        with pytest.raises(ApiError, match="expected"):
            api.recipes("acme")


def test_a_start_refused_with_a_422_is_a_recipe_start_error(
    server: Hostile, api: EmbeddedApi
) -> None:
    server.replies["/api/managed_users/acme/recipes/5/start"] = Reply(
        422, "Unprocessable Entity", b'{"message": "Recipe has errors", "code_errors": [[3, "x"]]}'
    )

    with pytest.raises(RecipeStartError) as caught:
        api.start_recipe("acme", 5)

    assert (caught.value.status, caught.value.code_errors) == (422, ([3, "x"],))
    assert "Recipe has errors" in str(caught.value)


def test_older_wrappers_are_read_too(server: Hostile, api: EmbeddedApi) -> None:
    recipe = {"id": 7, "name": "Sync", "config": [{"provider": "jira", "account_id": 3}]}
    server.replies["/api/managed_users/acme/recipes"] = Reply(
        body=json.dumps({"items": [recipe]}).encode()  # as some older pages show lists
    )
    server.replies["/api/managed_users/acme/recipes/7/jobs"] = Reply(
        body=json.dumps({"result": [{"id": "j-1"}]}).encode()  # jobs wrapped like other lists
    )
    server.replies["/api/managed_users/acme"] = Reply(
        body=json.dumps({"result": {"id": 12, "name": "ACME"}}).encode()
    )

    assert [r.connection_ids for r in api.recipes("acme")] == [(3,)]
    assert [j.id for j in api.jobs("acme", 7)] == ["j-1"]
    assert api.customer("acme").id == 12
