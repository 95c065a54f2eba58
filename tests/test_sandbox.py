"""The local Workato sandbox over real HTTP: strict token checks, the page, its actions, the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tornado.httpclient import AsyncHTTPClient

from workato_ipywidget.sandbox import Sandbox
from workato_ipywidget.sandbox.gate import Gate

PAGE_ORIGIN = "http://localhost:8888"
TEST_VENDOR = "test-vendor"


@dataclass
class Response:
    status: int
    headers: Message
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    def config(self) -> dict[str, Any]:
        """The page's embedded JSON configuration (what its script posts and where)."""
        match = re.search(
            r'<script type="application/json" id="sandbox-config">(.*?)</script>', self.text
        )
        assert match, "the page has no sandbox-config block"
        return json.loads(match.group(1))


def request(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return Response(resp.status, resp.headers, resp.read().decode())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, err.headers, err.read().decode())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_token(header: dict[str, Any], claims: dict[str, Any], sign: Any = None) -> str:
    """A JWT built by hand, for algorithms PyJWT rightly refuses to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = sign(signing_input.encode()) if sign else b""
    return f"{signing_input}.{b64url(signature)}"


def claims_for(vendor: str = TEST_VENDOR, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": f"{vendor}:acme", "jti": f"jti-{time.monotonic_ns()}", "iat": now}
    claims["exp"] = now + 600
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture(scope="module")
def vendor_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def vendor_public_pem(vendor_key: rsa.RSAPrivateKey) -> str:
    return (
        vendor_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture(scope="module")
def sandbox(vendor_public_pem: str) -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.register_public_key(TEST_VENDOR, vendor_public_pem)
        server.add_customer("am10", external_id="AM10:XV303")
        server.add_connection(1, "salesforce")
        server.add_connection(2, "jira", name="Team Jira")
        server.add_connection(3, "slack", connected=True)
        yield server


@pytest.fixture(scope="module")
def allowlisted() -> Iterator[Sandbox]:
    with Sandbox(allowed_origins=[PAGE_ORIGIN]) as server:
        server.add_connection(1, "salesforce")
        yield server


@pytest.fixture
def sign(vendor_key: rsa.RSAPrivateKey) -> Any:
    def _sign(**overrides: Any) -> str:
        return jwt.encode(claims_for(**overrides), vendor_key, algorithm="RS256")

    return _sign


def page(server: Sandbox, token: str | None, connection_id: int | str = 1) -> Response:
    url = f"{server.base_url}/direct_link/embedded/connections/{connection_id}"
    if token is not None:
        url += "?workato_dl_token=" + urllib.parse.quote(token, safe="")
    return request(url)


def assert_refused(response: Response, status: int, code: str, token: str | None) -> None:
    assert response.status == status
    assert response.config()["error"]["type"] == code
    assert f'data-error="{code}"' in response.text
    assert "postMessage" in response.text
    if token:
        assert token not in response.text
        signature = token.split(".")[-1]
        assert not signature or signature not in response.text


def action(server: Sandbox, connection_id: int, name: str, secret: str) -> Response:
    url = f"{server.base_url}/direct_link/embedded/connections/{connection_id}/{name}"
    return request(url, method="POST", headers={"X-Sandbox-Page-Secret": secret})


# the connection page


def test_valid_token_serves_the_connection_page(sandbox: Sandbox) -> None:
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)

    response = page(sandbox, token, 2)

    assert response.status == 200
    assert "Team Jira" in response.text
    assert 'id="connect"' in response.text
    assert 'id="disconnect"' in response.text
    assert "window.parent.postMessage" in response.text
    assert "heightChange" in response.text
    assert "connectionStatusChange" in response.text
    config = response.config()
    assert config["connection"]["version"] > 0
    del config["connection"]["version"]
    assert config["connection"] == {"id": 2, "provider": "jira", "connected": False, "error": None}
    assert config["targetOrigin"] == PAGE_ORIGIN
    assert config["silent"] is False
    assert token not in response.text


def test_page_posts_to_any_origin_when_the_token_names_none(sandbox: Sandbox) -> None:
    response = page(sandbox, sandbox.signer.sign("acme"))

    assert response.status == 200
    assert response.config()["targetOrigin"] == "*"


def test_page_headers_allow_framing_and_keep_the_token_private(sandbox: Sandbox) -> None:
    response = page(sandbox, sandbox.signer.sign("acme"))

    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_inline_script_runs_under_the_page_nonce(sandbox: Sandbox) -> None:
    response = page(sandbox, sandbox.signer.sign("acme"))

    nonce = re.search(r"script-src 'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert nonce is not None
    assert f'<script nonce="{nonce.group(1)}">' in response.text


def test_token_from_a_registered_vendor_key_is_accepted(sandbox: Sandbox, sign: Any) -> None:
    assert page(sandbox, sign()).status == 200


def test_accepted_tokens_are_remembered_by_jti(sandbox: Sandbox, sign: Any) -> None:
    page(sandbox, sign(jti="remember-me"))

    assert "remember-me" in sandbox.seen_jti


# refusals


def test_missing_token_is_refused(sandbox: Sandbox) -> None:
    assert_refused(page(sandbox, None), 401, "missing_token", None)


def test_garbage_token_is_refused(sandbox: Sandbox) -> None:
    assert_refused(page(sandbox, "not-a.jwt"), 401, "invalid_token", None)


def test_token_signed_by_another_key_is_refused(sandbox: Sandbox) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(claims_for(), other, algorithm="RS256")

    response = page(sandbox, token)

    assert_refused(response, 401, "invalid_token", token)
    assert "signature" in response.config()["error"]["message"]


def test_alg_none_token_is_refused(sandbox: Sandbox) -> None:
    token = handmade_token({"alg": "none", "typ": "JWT"}, claims_for())

    response = page(sandbox, token)

    assert_refused(response, 401, "invalid_token", token)
    assert "RS256" in response.config()["error"]["message"]


def test_hs256_token_keyed_with_the_public_key_is_refused(
    sandbox: Sandbox, vendor_public_pem: str
) -> None:
    def hmac_with_public_pem(data: bytes) -> bytes:
        return hmac.new(vendor_public_pem.encode(), data, hashlib.sha256).digest()

    token = handmade_token({"alg": "HS256", "typ": "JWT"}, claims_for(), hmac_with_public_pem)

    assert_refused(page(sandbox, token), 401, "invalid_token", token)


def test_expired_token_is_refused(sandbox: Sandbox, sign: Any) -> None:
    now = int(time.time())
    token = sign(iat=now - 1200, exp=now - 600)

    assert_refused(page(sandbox, token), 401, "expired_token", token)


def test_token_without_exp_issued_long_ago_is_refused(sandbox: Sandbox, sign: Any) -> None:
    token = sign(iat=int(time.time()) - 2 * 86400, exp=None)

    assert_refused(page(sandbox, token), 401, "expired_token", token)


def test_token_issued_in_the_future_is_refused(sandbox: Sandbox, sign: Any) -> None:
    token = sign(iat=int(time.time()) + 3600)

    response = page(sandbox, token)

    assert_refused(response, 401, "invalid_token", token)
    assert "future" in response.config()["error"]["message"]


@pytest.mark.parametrize("claim", ["jti", "iat", "sub"])
def test_token_missing_a_required_claim_is_refused(sandbox: Sandbox, sign: Any, claim: str) -> None:
    token = sign(**{claim: None})

    assert_refused(page(sandbox, token), 401, "invalid_token", token)


def test_replayed_token_is_refused(sandbox: Sandbox) -> None:
    token = sandbox.signer.sign("acme")
    assert page(sandbox, token).status == 200

    assert_refused(page(sandbox, token), 401, "replayed_token", token)


def test_replay_record_forgets_tokens_that_can_no_longer_be_valid() -> None:
    gate = Gate()
    now = time.time()

    assert gate.consume_jti("expired-long-ago", valid_until=now - 1)
    assert gate.consume_jti("live", valid_until=now + 600)

    assert gate.seen_jti() == {"live"}
    assert not gate.consume_jti("live", valid_until=now + 600)


def test_refused_signature_does_not_burn_the_jti(sandbox: Sandbox, sign: Any) -> None:
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_for(jti="shared-jti"), forged_key, algorithm="RS256")
    assert_refused(page(sandbox, forged), 401, "invalid_token", forged)

    assert page(sandbox, sign(jti="shared-jti")).status == 200


def test_unknown_vendor_is_refused(sandbox: Sandbox, vendor_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(claims_for(vendor="nobody"), vendor_key, algorithm="RS256")

    assert_refused(page(sandbox, token), 401, "unknown_vendor", token)


@pytest.mark.parametrize(
    "sub", [f"{TEST_VENDOR}", f"{TEST_VENDOR}:", ":acme", f"{TEST_VENDOR}:acme:", "a:b:c:d", 42]
)
def test_malformed_sub_is_refused(sandbox: Sandbox, sign: Any, sub: object) -> None:
    token = sign(sub=sub)

    assert_refused(page(sandbox, token), 401, "invalid_token", token)


def test_sub_with_an_external_customer_id_and_a_user_is_accepted(
    sandbox: Sandbox, sign: Any
) -> None:
    sandbox.add_connection(30, "box", customer_id="am10")

    response = page(sandbox, sign(sub=f"{TEST_VENDOR}:EAM10%3AXV303:user-7"), 30)

    assert response.status == 200


def test_malformed_origin_claim_is_refused(sandbox: Sandbox, sign: Any) -> None:
    token = sign(origin="http://localhost:8888/notebooks/x.ipynb")

    assert_refused(page(sandbox, token), 401, "invalid_token", token)


@pytest.mark.parametrize("connection_id", [999, "abc"])
def test_unknown_connection_is_refused(sandbox: Sandbox, connection_id: int | str) -> None:
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)

    response = page(sandbox, token, connection_id)

    assert_refused(response, 404, "unknown_connection", token)
    assert response.config()["targetOrigin"] == PAGE_ORIGIN


@pytest.mark.parametrize(
    ("connection_id", "named"), [(7, "no connection 7;"), ("abc", "no connection 'abc';")]
)
def test_the_unknown_connection_page_names_the_connection_and_the_customer(
    sandbox: Sandbox, connection_id: int | str, named: str
) -> None:
    response = page(sandbox, sandbox.signer.sign("acme"), connection_id)

    message = response.config()["error"]["message"]
    assert f"customer 'acme' (the token's sub) has {named}" in message


def test_refusals_are_logged_without_the_token(sandbox: Sandbox) -> None:
    token = sandbox.signer.sign("acme")
    page(sandbox, token)
    page(sandbox, token)

    last = sandbox.refusals[-1]
    assert last.code == "replayed_token"
    assert last.path == "/direct_link/embedded/connections/1"
    assert token not in last.message


# the origin allowlist


def test_allowlisted_origin_gets_posts(allowlisted: Sandbox) -> None:
    response = page(allowlisted, allowlisted.signer.sign("acme", origin=PAGE_ORIGIN))

    assert response.status == 200
    assert response.config()["silent"] is False
    assert 'data-silent=""' in response.text


@pytest.mark.parametrize("origin", ["http://evil.example", None])
def test_disallowed_origin_renders_silently(allowlisted: Sandbox, origin: str | None) -> None:
    response = page(allowlisted, allowlisted.signer.sign("acme", origin=origin))

    assert response.status == 200
    assert 'id="connect"' in response.text
    assert response.config()["silent"] is True
    assert 'data-silent="origin_not_allowed"' in response.text
    assert allowlisted.refusals[-1].code == "origin_not_allowed"


def test_error_page_to_a_disallowed_origin_is_silent(allowlisted: Sandbox) -> None:
    token = allowlisted.signer.sign("acme", origin="http://evil.example")

    response = page(allowlisted, token, 999)

    assert_refused(response, 404, "unknown_connection", token)
    assert response.config()["silent"] is True


def test_allowed_origins_are_compared_normalized() -> None:
    server = Sandbox(allowed_origins=["HTTP://LocalHost:80/", "https://a.example:443"])

    assert server.allowed_origins == {"http://localhost", "https://a.example"}


def test_malformed_allowed_origin_is_rejected() -> None:
    with pytest.raises(ValueError, match="allowed_origins"):
        Sandbox(allowed_origins=["localhost:8888"])


# page actions and state


def fresh_page(server: Sandbox, connection_id: int) -> dict[str, Any]:
    response = page(server, server.signer.sign("acme"), connection_id)
    assert response.status == 200
    return response.config()


def test_authorize_connects_and_survives_a_reload(sandbox: Sandbox) -> None:
    sandbox.add_connection(10, "hubspot")
    config = fresh_page(sandbox, 10)

    response = action(sandbox, 10, "authorize", config["secret"])

    assert response.status == 200
    body = response.json()
    assert body.pop("version") > config["connection"]["version"]
    assert body == {"id": 10, "provider": "hubspot", "connected": True, "error": None}
    assert sandbox.connection(10).connected is True
    assert fresh_page(sandbox, 10)["connection"]["connected"] is True


def test_fail_leaves_the_connection_disconnected_with_an_error(sandbox: Sandbox) -> None:
    sandbox.add_connection(11, "hubspot")
    config = fresh_page(sandbox, 11)

    body = action(sandbox, 11, "fail", config["secret"]).json()

    assert body["connected"] is False
    assert body["error"] == "Authorization failed: invalid credentials"
    assert sandbox.connection(11).error == body["error"]


def test_disconnect_disconnects(sandbox: Sandbox) -> None:
    sandbox.add_connection(12, "hubspot", connected=True)
    config = fresh_page(sandbox, 12)
    assert config["connection"]["connected"] is True

    body = action(sandbox, 12, "disconnect", config["secret"]).json()

    assert body["connected"] is False
    assert sandbox.connection(12).connected is False


@pytest.mark.parametrize("secret", ["", "wrong-secret"])
def test_action_without_the_page_secret_is_refused(sandbox: Sandbox, secret: str) -> None:
    sandbox.add_connection(13, "hubspot")

    response = action(sandbox, 13, "authorize", secret)

    assert response.status == 403
    assert response.json()["error"]["type"] == "invalid_page_secret"
    assert sandbox.connection(13).connected is False


def test_page_secret_only_acts_on_its_own_connection(sandbox: Sandbox) -> None:
    sandbox.add_connection(14, "hubspot")
    sandbox.add_connection(15, "hubspot")
    config = fresh_page(sandbox, 14)

    assert action(sandbox, 15, "authorize", config["secret"]).status == 403
    assert sandbox.connection(15).connected is False


def test_connections_snapshot_lists_every_connection(sandbox: Sandbox) -> None:
    snapshot = sandbox.connections

    assert [c.id for c in snapshot][:3] == [1, 2, 3]
    assert snapshot[2].connected is True
    assert snapshot[2].authorization_status == "success"
    assert snapshot[0].name == "My Salesforce account"


def test_unknown_connection_lookup_raises_key_error(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError):
        sandbox.connection(4242)


# the Embedded API


def api(server: Sandbox, headers: dict[str, str] | None = None) -> Response:
    url = f"{server.base_url}/api/managed_users/acme/connections?include_runtime_connections=true"
    return request(url, headers=headers)


def test_api_without_a_token_is_unauthorized(sandbox: Sandbox) -> None:
    response = api(sandbox)

    assert response.status == 401
    assert "message" in response.json()


def test_api_with_a_wrong_token_is_unauthorized(sandbox: Sandbox) -> None:
    assert api(sandbox, {"Authorization": "Bearer not-the-token"}).status == 401


def test_api_lists_connections_with_their_authorization_status(sandbox: Sandbox) -> None:
    response = api(sandbox, {"Authorization": f"Bearer {sandbox.api_token}"})

    assert response.status == 200
    by_id = {item["id"]: item for item in response.json()["result"]}
    assert by_id[1]["provider"] == "salesforce"
    assert by_id[1]["authorization_status"] is None
    assert by_id[2]["name"] == "Team Jira"
    assert by_id[3]["authorization_status"] == "success"


# logging


def test_access_log_never_contains_the_token(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget.sandbox")
    token = sandbox.signer.sign("acme")

    page(sandbox, token)
    page(sandbox, token)  # refused: logged too
    api(sandbox)  # served after the pages' logs were written, on the same loop

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/direct_link/embedded/connections/1" in logged
    assert token not in logged
    assert "workato_dl_token" not in logged


# lifecycle


def test_port_zero_binds_a_free_port_and_stop_closes_it() -> None:
    server = Sandbox(port=0).start()
    try:
        port = server.port
        assert port > 0
        assert server.base_url == f"http://127.0.0.1:{port}"
        assert page(server, None).status == 401
    finally:
        server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=5)


def test_stop_is_idempotent_and_the_context_manager_stops() -> None:
    with Sandbox() as server:
        url = server.base_url
        assert server.running
    assert not server.running
    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def test_base_url_before_start_says_what_to_do() -> None:
    with pytest.raises(RuntimeError, match=r"start\(\)"):
        _ = Sandbox().base_url


def test_starting_twice_is_refused() -> None:
    with Sandbox() as server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_busy_port_fails_at_start(sandbox: Sandbox) -> None:
    with pytest.raises(OSError, match="in use"):
        Sandbox(port=sandbox.port).start()


def test_two_sandboxes_run_at_once_with_their_own_vendors() -> None:
    with Sandbox() as first, Sandbox() as second:
        first.add_connection(1, "salesforce")
        second.add_connection(1, "salesforce")

        assert first.port != second.port
        assert first.vendor_id != second.vendor_id
        assert page(first, first.signer.sign("acme")).status == 200
        assert page(second, second.signer.sign("acme")).status == 200
        token = first.signer.sign("acme")
        assert_refused(page(second, token), 401, "unknown_vendor", token)


async def test_sandbox_serves_while_the_callers_event_loop_runs() -> None:
    """As in a notebook kernel: the caller's loop keeps running while the sandbox answers."""
    with Sandbox() as server:
        server.add_connection(1, "salesforce")
        token = urllib.parse.quote(server.signer.sign("acme"), safe="")
        url = f"{server.base_url}/direct_link/embedded/connections/1?workato_dl_token={token}"

        response = await AsyncHTTPClient().fetch(url, raise_error=False)

    assert response.code == 200


def test_repr_shows_no_secrets() -> None:
    with Sandbox() as server:
        text = repr(server)

    assert server.api_token not in text
    assert server.vendor_id in text


def test_weak_vendor_key_is_rejected() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = weak.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    with pytest.raises(ValueError, match="2048"):
        Sandbox().register_public_key("weak-vendor", pem)
