"""The token service on a real JupyterHub, called from real user kernels, as a team would use it."""

from __future__ import annotations

import json
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from hub_harness import SERVICE, VENDOR_ID, HubProcess, KernelProbe
from hub_team import ALICE, BOB


def audit_for(hub: HubProcess, **fields: Any) -> list[dict[str, Any]]:
    """The audit lines (from the policy's audit_log) whose fields match."""
    return [
        line
        for line in hub.audit_lines()
        if all(line.get(key) == value for key, value in fields.items())
    ]


def verified(hub: HubProcess, token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, hub.public_pem, algorithms=["RS256"]))


# --- minting -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "customer", "segment"),
    [(ALICE, "'acme'", "acme"), (BOB, "'globex'", "globex"),
     (BOB, "ExternalId('AM10:XV303')", "EAM10%3AXV303")],
    ids=["alice-by-group", "bob-by-name", "bob-external-id"],
)  # fmt: skip
def test_granted_customer_gets_a_token_that_verifies_with_the_right_sub_and_origin(
    hub: HubProcess, alice: KernelProbe, bob: KernelProbe, who: str, customer: str, segment: str
) -> None:
    kernel = alice if who == ALICE else bob

    answer = kernel.value(f"hub_sign({customer}, origin={hub.origin!r})")

    assert "token" in answer, answer
    claims = verified(hub, answer["token"])
    assert claims["sub"] == f"{VENDOR_ID}:{segment}"
    assert claims["origin"] == hub.origin
    assert claims["exp"] - claims["iat"] == 300
    [line] = audit_for(hub, event="mint", jti=claims["jti"])
    assert line["user"] == who
    assert line["customer"] == segment
    assert line["origin"] == hub.origin
    assert line["exp"] == claims["exp"]
    assert line["token_id"]
    assert "token" not in line


def test_customer_user_id_becomes_the_third_sub_segment(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value(f"hub_sign('acme', user_id='u-7', origin={hub.origin!r})")

    assert verified(hub, answer["token"])["sub"] == f"{VENDOR_ID}:acme:u-7"


def test_a_token_from_the_service_is_redacted_in_the_kernel_like_a_local_one(
    hub: HubProcess, alice: KernelProbe
) -> None:
    alice.execute(f"_t = hub_sign('acme', origin={hub.origin!r})['token']")

    shown = alice.value("__import__('workato_ipywidget.redaction').redaction.redact(_t[20:80])")

    assert shown == "[redacted]"


def test_each_mint_is_also_an_audit_line_on_the_services_stdout(
    hub: HubProcess, alice: KernelProbe
) -> None:
    token = alice.value(f"hub_sign('acme', origin={hub.origin!r})")["token"]
    jti = verified(hub, token)["jti"]

    deadline = time.monotonic() + 10
    while jti not in hub.stdout_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)  # the hub's stdout file, written by another process
    line = next(ln for ln in hub.stdout_path.read_text().splitlines() if jti in ln)
    assert '"event":"mint"' in line
    assert token not in hub.stdout_path.read_text()


def test_concurrent_requests_from_two_users_each_come_back_for_their_own_customer(
    hub: HubProcess, alice: KernelProbe, bob: KernelProbe
) -> None:
    at = time.time() + 1.0  # both kernels fire together
    with ThreadPoolExecutor(2) as pool:
        runs = {
            user: pool.submit(kernel.value, f"burst({customer!r}, {hub.origin!r}, 10, {at})", 60)
            for user, kernel, customer in ((ALICE, alice, "acme"), (BOB, bob, "globex"))
        }
    minted = {line["jti"]: line for line in hub.audit_lines() if line["event"] == "mint"}

    for user, customer in ((ALICE, "acme"), (BOB, "globex")):
        result = runs[user].result()
        assert result["errors"] == []
        claims = [verified(hub, token) for token in result["tokens"]]
        assert {c["sub"] for c in claims} == {f"{VENDOR_ID}:{customer}"}
        assert len({c["jti"] for c in claims}) == 10
        assert {minted[c["jti"]]["user"] for c in claims} == {user}


# --- refusals ------------------------------------------------------------------------------------
def test_another_users_customer_is_refused_naming_the_user_and_the_customer(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value(f"hub_sign('globex', origin={hub.origin!r})")

    assert answer["status"] == 403
    assert ALICE in answer["error"]
    assert "customer globex" in answer["error"]
    assert "analysts" in answer["error"]  # the groups that were considered
    [line] = audit_for(hub, event="refused", user=ALICE, customer="globex")
    assert line["reason"] in answer["error"]
    assert line["token_id"]
    assert line["jti"] is None


def test_a_claim_in_the_body_is_refused_with_400_and_no_token(
    hub: HubProcess, alice: KernelProbe
) -> None:
    forged = {"customer_id": "acme", "origin": hub.origin, "sub": f"{VENDOR_ID}:globex"}

    answer = alice.value(f"raw_post({forged!r})")

    assert answer["status"] == 400
    assert "token" not in answer
    assert "'sub'" in answer["error"]
    assert audit_for(hub, event="refused", user=ALICE, reason=answer["error"])


def test_a_body_nested_too_deeply_is_a_400_naming_it_not_a_server_error(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value("raw_post('[' * 2000 + ']' * 2000)")  # 4000 bytes: under the size cap

    assert answer["status"] == 400
    assert "nested too deeply" in answer["error"]
    assert "token" not in answer


@pytest.mark.parametrize("key", ["exp", "jti", "iat", "vendor_id"])
def test_every_other_key_is_refused_with_400(hub: HubProcess, alice: KernelProbe, key: str) -> None:
    answer = alice.value(
        f"raw_post({{'customer_id': 'acme', 'origin': {hub.origin!r}, {key!r}: 1}})"
    )

    assert answer["status"] == 400
    assert repr(key) in answer["error"]


def test_an_origin_the_policy_does_not_allow_is_refused(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value("hub_sign('acme', origin='https://evil.example')")

    assert answer["status"] == 403
    assert "https://evil.example" in answer["error"]
    assert ALICE in answer["error"]
    assert audit_for(hub, event="refused", user=ALICE, origin="https://evil.example")


def test_a_request_without_an_origin_is_refused(hub: HubProcess, alice: KernelProbe) -> None:
    answer = alice.value("hub_sign('acme')")

    assert answer["status"] == 400
    assert "origin is missing" in answer["error"]
    assert audit_for(hub, event="refused", user=ALICE, reason=answer["error"].split(": ", 1)[1])


def test_a_request_without_a_hub_token_is_refused_with_401_and_audited(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value(f"raw_post({{'customer_id': 'acme', 'origin': {hub.origin!r}}}, None)")

    assert answer["status"] == 401
    assert "no hub token" in answer["error"]
    assert "customer acme" in answer["error"]
    [line, *_] = audit_for(hub, event="refused", user=None, reason=answer["error"])
    assert line["customer"] == "acme"
    assert line["token_id"] is None


def test_a_token_the_hub_does_not_know_is_refused_with_401(
    hub: HubProcess, alice: KernelProbe
) -> None:
    answer = alice.value(f"hub_sign('acme', origin={hub.origin!r}, api_token='not-a-hub-token')")

    assert answer["status"] == 401
    assert "does not know this token" in answer["error"]
    assert "not-a-hub-token" not in str(hub.audit_lines())


def test_a_revoked_hub_token_stops_working_within_cache_max_age(
    hub: HubProcess, alice: KernelProbe
) -> None:
    token, token_id = hub.new_token(ALICE, [f"access:services!service={SERVICE}"])
    sign = f"hub_sign('acme', origin={hub.origin!r}, api_token={token!r})"
    assert "token" in alice.value(sign)

    hub.revoke(ALICE, token_id)

    deadline = time.monotonic() + hub.setup.cache_max_age + 10
    while "token" in (answer := alice.value(sign)):
        assert time.monotonic() < deadline, "the revoked token still signs"
        time.sleep(0.5)  # the service's cache expires on its own clock
    assert answer["status"] == 401
    assert audit_for(hub, event="refused", user=None, reason=answer["error"].split(": ", 1)[1])


def test_a_token_without_the_access_scope_is_refused_naming_the_role(
    hub: HubProcess, alice: KernelProbe
) -> None:
    token, token_id = hub.new_token(ALICE, ["read:users:name!user"])

    answer = alice.value(f"hub_sign('acme', origin={hub.origin!r}, api_token={token!r})")

    assert answer["status"] == 403
    assert f"access:services!service={SERVICE}" in answer["error"]
    assert f"'{SERVICE}-users'" in answer["error"]
    [line] = audit_for(hub, event="refused", user=ALICE, token_id=token_id)
    assert line["customer"] == "acme"


def test_a_service_token_through_the_proxy_is_refused_since_grants_name_users(
    hub: HubProcess,
) -> None:
    body = {"customer_id": "acme", "origin": hub.origin}
    with pytest.raises(urllib.error.HTTPError) as caught:
        hub.request("POST", f"/services/{SERVICE}/sign", body)  # as the admin service

    assert caught.value.code == 403
    assert "not a hub user" in json.loads(caught.value.read())["error"]
    assert audit_for(hub, event="refused", user=None, customer="acme", token_id=None)


# --- isolation: what a user's kernel cannot reach -------------------------------------------------
def test_a_users_kernel_cannot_read_the_key_file(hub: HubProcess, alice: KernelProbe) -> None:
    assert alice.value(f"try_read({str(hub.key_file)!r})") == "PermissionError"
    assert alice.value(f"try_read({str(hub.policy_file)!r})") == "read"  # no secret in it


def test_a_users_kernel_cannot_read_the_services_environment(
    hub: HubProcess, alice: KernelProbe
) -> None:
    pid = hub.service_pid()

    assert alice.value(f"try_read('/proc/{pid}/environ')") == "PermissionError"
    assert alice.value("try_read('/proc/self/environ')") == "read"  # its own, as a control


def test_a_users_kernel_cannot_read_another_users_server_token(
    hub: HubProcess, alice: KernelProbe, bob: KernelProbe
) -> None:
    pids = hub.server_pids(BOB)
    assert pids

    for pid in pids:
        assert alice.value(f"try_read('/proc/{pid}/environ')") == "PermissionError"
    assert alice.value("__import__('os').getuid()") != bob.value("__import__('os').getuid()")
