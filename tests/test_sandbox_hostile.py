"""Hostile input the sandbox must refuse as any other bad input, over real HTTP, never a 500: a
JSON body nested beyond the parser's recursion limit, integers of more than 4,300 digits (Python's
int/str conversion limit) in bodies and queries, and tokens whose time claims overflow a float."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from test_sandbox import PAGE_ORIGIN, Response, b64url, request

from workato_ipywidget.endpoints import page_url
from workato_ipywidget.sandbox import Sandbox

HUGE = "9" * 5000
NESTED = "[" * 100_000 + "]" * 100_000


@pytest.fixture(scope="module")
def vendor_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def sandbox(vendor_key: rsa.RSAPrivateKey) -> Iterator[Sandbox]:
    from cryptography.hazmat.primitives import serialization

    pem = vendor_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with Sandbox() as server:
        server.register_public_key("hostile", pem)
        server.add_connection(1, "salesforce", connected=True)
        server.add_recipe(101, "Sync", connections=[1], running=True)
        server.run_jobs(101)
        yield server


def call(sandbox: Sandbox, method: str, path: str, body: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sandbox.api_token}", "Content-Type": "application/json"}
    return httpx.request(method, sandbox.base_url + path, headers=headers, content=body, timeout=30)


def assert_api_refused(response: httpx.Response, needle: str) -> None:
    assert response.status_code == 400, response.text[:300]
    assert set(response.json()) == {"message"}
    assert needle in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/connections"), ("PUT", "/connections/1")],
)
def test_a_body_nested_too_deeply_is_a_400(sandbox: Sandbox, method: str, path: str) -> None:
    body = '{"name": ' + NESTED + "}"

    response = call(sandbox, method, f"/api/managed_users/acme{path}", body)

    assert_api_refused(response, "nested")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        (
            "POST",
            "/api/managed_users/acme/connections",
            '{"name": "x", "provider": "box", "folder_id": ' + HUGE + "}",
        ),
        ("PUT", "/api/managed_users/acme/connections/1", '{"parent_id": ' + HUGE + "}"),
        ("POST", "/api/managed_users", '{"name": "x", "notification_email": ' + HUGE + "}"),
    ],
)
def test_an_integer_beyond_4300_digits_in_a_body_is_a_400(
    sandbox: Sandbox, method: str, path: str, body: str
) -> None:
    assert_api_refused(call(sandbox, method, path, body), "digits")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (f"/api/managed_users/acme/connections?folder_id={HUGE}", "folder_id"),
        (f"/api/managed_users/acme/connections?parent_id={HUGE}", "parent_id"),
        (f"/api/managed_users?page={HUGE}", "page"),
        (f"/api/managed_users/acme/recipes?per_page={HUGE}", "per_page"),
        (f"/api/managed_users/acme/folders?parent_id={HUGE}", "parent_id"),
        (f"/api/managed_users/acme/recipes?since_id={HUGE}", "since_id"),
    ],
)
def test_an_integer_beyond_4300_digits_in_a_query_is_a_400(
    sandbox: Sandbox, path: str, name: str
) -> None:
    assert_api_refused(call(sandbox, "GET", path), name)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/managed_users/acme/connections/{HUGE}",
        f"/api/managed_users/acme/recipes/{HUGE}",
        f"/api/managed_users/acme/recipes/{HUGE}/jobs",
    ],
)
def test_an_id_beyond_4300_digits_in_a_path_is_a_404(sandbox: Sandbox, path: str) -> None:
    method = "DELETE" if path.endswith(HUGE) and "connections" in path else "GET"

    response = call(sandbox, method, path)

    assert response.status_code == 404
    assert set(response.json()) == {"message"}


def signed(key: rsa.RSAPrivateKey, payload: str) -> str:
    """An RS256 token over a payload written by hand (numbers PyJWT would not write)."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{b64url(payload.encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(signature)}"


def claims(**numbers: str) -> str:
    now = int(time.time())
    fields = {
        "sub": '"hostile:acme"',
        "jti": f'"j-{time.monotonic_ns()}"',
        "iat": str(now),
        "exp": str(now + 600),
        "origin": json.dumps(PAGE_ORIGIN),
        **numbers,
    }
    return "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"


OVERFLOWING = [
    {"exp": "1e309"},  # parses as inf
    {"exp": "1" + "0" * 400},  # an int no float holds
    {"exp": "-1e309"},
    {"iat": "1" + "0" * 400},
    {"nbf": "1e309"},
    {"exp": "9" * 4400},  # beyond Python's int parsing limit
]


def open_both(sandbox: Sandbox, token: str) -> list[Response]:
    quoted = urllib.parse.quote(token, safe="")
    connection = request(
        f"{sandbox.base_url}/direct_link/embedded/connections/1?workato_dl_token={quoted}"
    )
    full = request(page_url(sandbox.base_url, "/recipes", token))
    return [connection, full]


@pytest.mark.parametrize(
    "numbers", OVERFLOWING, ids=[next(iter(n)) + "=" + n[next(iter(n))][:8] for n in OVERFLOWING]
)
def test_a_token_whose_time_claims_overflow_is_refused_on_both_page_kinds(
    sandbox: Sandbox, vendor_key: rsa.RSAPrivateKey, numbers: dict[str, str]
) -> None:
    token = signed(vendor_key, claims(**numbers))

    for response in open_both(sandbox, token):
        assert response.status == 401
        assert response.config()["error"]["type"] == "invalid_token"
        assert token not in response.text


def test_a_token_nested_too_deeply_is_refused_on_both_page_kinds(
    sandbox: Sandbox, vendor_key: rsa.RSAPrivateKey
) -> None:
    token = signed(vendor_key, claims(origin=NESTED[:20_000] + NESTED[-20_000:]))

    for response in open_both(sandbox, token):
        assert response.status == 401
        assert response.config()["error"]["type"] == "invalid_token"


def test_the_server_logged_no_uncaught_exception(
    sandbox: Sandbox, vendor_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("ERROR", logger="workato_ipywidget.sandbox")
    call(sandbox, "POST", "/api/managed_users/acme/connections", '{"name": ' + NESTED + "}")
    open_both(sandbox, signed(vendor_key, claims(exp="1e309")))

    assert not [r for r in caplog.records if "uncaught" in r.getMessage()]


def test_an_id_of_more_digits_than_workato_uses_is_a_400_in_a_body(sandbox: Sandbox) -> None:
    body = '{"folder_id": ' + "9" * 200 + "}"

    assert_api_refused(call(sandbox, "PUT", "/api/managed_users/acme/connections/1", body), "18")
