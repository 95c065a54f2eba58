"""The sandbox as Workato's Embedded API behaves, driven by `EmbeddedApi` over real HTTP:
customers, every connections endpoint, statuses, rate limits, scoping, replays and redirects.

Every answer is also validated by Workato's own pydantic `Connection` model (from the
`workato-platform-cli` package, loaded by file path so that the CLI itself is not imported).
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from workato_ipywidget import (
    ApiError,
    EmbeddedApi,
    ExternalId,
    NotFoundError,
)
from workato_ipywidget.sandbox import RateLimits, Sandbox

PAGE = "/direct_link/embedded/connections"


_MODELS = "workato_platform_cli.client.workato_api.models"


def load_workato_model(stem: str, name: str, *, needs: tuple[str, ...] = ()) -> Any:
    """Workato's generated pydantic model `name` from `models/<stem>.py`, loaded by file path so
    that the CLI package (and its dependencies) is not imported; `needs` are the model modules
    it imports, registered first under their dotted names."""
    spec = importlib.util.find_spec("workato_platform_cli")
    assert spec is not None, "workato-platform-cli is missing: pip install -e '.[test]'"
    assert spec.origin is not None
    folder = Path(spec.origin).parent / "client" / "workato_api" / "models"
    module: ModuleType | None = None
    for part in (*needs, stem):
        dotted = f"{_MODELS}.{part}"
        if dotted in sys.modules:
            module = sys.modules[dotted]
            continue
        module_spec = importlib.util.spec_from_file_location(dotted, folder / f"{part}.py")
        assert module_spec is not None
        assert module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        # pydantic resolves the model's postponed annotations through sys.modules
        sys.modules[dotted] = module
        module_spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.fixture(scope="module")
def workato_model() -> Any:
    return load_workato_model("connection", "Connection")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield server


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[EmbeddedApi]:
    with EmbeddedApi(sandbox.api_token, base_url=sandbox.base_url) as client:
        yield client


def raw(sandbox: Sandbox, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request with the sandbox's API token, for answers the client hides."""
    headers = {"Authorization": f"Bearer {sandbox.api_token}"}
    return httpx.request(method, sandbox.base_url + path, headers=headers, timeout=10, **kwargs)


def listed(sandbox: Sandbox, customer: str = "acme", query: str = "") -> list[dict[str, Any]]:
    response = raw(sandbox, "GET", f"/api/managed_users/{customer}/connections{query}")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def page_url(sandbox: Sandbox, connection_id: int, token: str, base: str | None = None) -> str:
    quoted = urllib.parse.quote(token, safe="")
    return f"{base or sandbox.base_url}{PAGE}/{connection_id}?workato_dl_token={quoted}"


def page_config(response: httpx.Response) -> dict[str, Any]:
    match = re.search(r'id="sandbox-config">(.*?)</script>', response.text)
    assert match, "the page has no sandbox-config block"
    import json

    config: dict[str, Any] = json.loads(match.group(1))
    return config


# customers


def test_a_sandbox_starts_with_the_customer_acme(api: EmbeddedApi) -> None:
    customers = api.customers()

    assert [c.id for c in customers] == ["acme"]
    assert api.customer("acme").name == "ACME"


def test_customers_are_found_by_id_and_by_external_id(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_customer(4242, name="Globex", external_id="AM10:XV303")

    assert api.customer(4242).external_id == "AM10:XV303"
    assert api.customer(ExternalId("AM10:XV303")).id == 4242
    assert api.customer("EAM10%3AXV303").name == "Globex"
    assert {c.id for c in api.customers()} == {"acme", 4242}


def test_an_unknown_customer_is_a_404_with_workatos_message_shape(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    with pytest.raises(NotFoundError) as caught:
        api.connections("nobody")

    assert caught.value.status == 404
    assert "nobody" in caught.value.message
    assert set(raw(sandbox, "GET", "/api/managed_users/nobody").json()) == {"message"}


def test_customers_are_paged_100_at_a_time(sandbox: Sandbox, api: EmbeddedApi) -> None:
    for number in range(120):
        sandbox.add_customer(f"c{number}")

    first = raw(sandbox, "GET", "/api/managed_users", params={"page": 1}).json()["result"]

    assert len(first) == 100
    assert len(api.customers()) == 121


def test_an_external_id_names_one_customer_only(sandbox: Sandbox) -> None:
    sandbox.add_customer("a", external_id="X-1")

    with pytest.raises(ValueError, match="already has the external id"):
        sandbox.add_customer("b", external_id="X-1")


# connections: every endpoint


def test_create_makes_a_shell_connection_in_the_customers_root_folder(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    created = api.create_connection("acme", name="Sales", provider="salesforce", external_id="u1")

    assert created.authorization_status is None
    assert created.authorized_at is None
    assert created.connected is False
    assert created.folder_id == sandbox.customer("acme").folder_id
    assert (created.application, created.external_id) == ("salesforce", "u1")
    assert created.created_at is not None
    assert sandbox.connection(created.id).name == "Sales"


def test_update_changes_the_given_fields_only(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(5, "jira", name="Old name", connected=True)

    updated = api.update_connection("acme", 5, name="New name", folder_id=77, input={"k": "v"})

    assert (updated.name, updated.folder_id) == ("New name", 77)
    assert updated.authorization_status == "success"
    assert updated.updated_at is not None
    assert updated.created_at is not None
    assert updated.updated_at >= updated.created_at


def test_update_refuses_a_parent_of_another_provider_with_a_400(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_connection(6, "jira")
    sandbox.add_connection(7, "slack")

    with pytest.raises(ApiError) as caught:
        api.update_connection("acme", 6, parent_id=7)

    assert caught.value.status == 400
    assert "same provider" in caught.value.message


def test_disconnect_clears_the_authorization(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(8, "box", connected=True)

    api.disconnect_connection("acme", 8)
    api.disconnect_connection("acme", 8)  # already disconnected: nothing happens

    (connection,) = [c for c in api.connections("acme") if c.id == 8]
    assert connection.authorization_status is None
    assert connection.authorized_at is None


def test_delete_removes_the_connection(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(9, "box")

    api.delete_connection("acme", 9)

    assert 9 not in {c.id for c in api.connections("acme")}
    with pytest.raises(NotFoundError):
        api.delete_connection("acme", 9)


def test_list_filters_by_provider_folder_parent_and_external_id(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_connection(1, "salesforce", external_id="user-1")
    sandbox.add_connection(2, "salesforce", parent_id=1, folder_id=50)
    sandbox.add_connection(3, "jira")

    assert {c.id for c in api.connections("acme", provider="salesforce")} == {1, 2}
    assert [c.id for c in api.connections("acme", folder_id=50)] == [2]
    assert [c.id for c in api.connections("acme", parent_id=1)] == [2]
    assert [c.id for c in api.connections("acme", external_id="user-1")] == [1]


def test_runtime_connections_are_listed_only_when_asked(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(1, "salesforce")
    sandbox.add_connection(2, "salesforce", runtime=True, external_id="end-user-9")

    assert [c.id for c in api.connections("acme")] == [1]
    assert [c.id for c in api.connections("acme", include_runtime_connections=True)] == [1, 2]


def test_tags_are_answered_only_with_includes_tags(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(1, "salesforce", tags=["env:prod", "team:sales"])

    assert api.connections("acme")[0].tags is None
    assert api.connections("acme", include_tags=True)[0].tags == ("env:prod", "team:sales")


@pytest.mark.parametrize(
    ("method", "path", "body", "needle"),
    [
        ("POST", "/connections", b"{not json", "not JSON"),
        ("POST", "/connections", b'{"name": "x"}', "provider is required"),
        ("POST", "/connections", b'{"name": "x", "provider": "y", "color": 1}', "color"),
        ("PUT", "/connections/1", b"{}", "nothing to update"),
        ("PUT", "/connections/1", b'{"folder_id": "12"}', "folder_id"),
        ("GET", "/connections?folder_id=abc", None, "folder_id"),
    ],
)
def test_bad_input_is_a_400_saying_what_was_wrong(
    sandbox: Sandbox, method: str, path: str, body: bytes | None, needle: str
) -> None:
    sandbox.add_connection(1, "salesforce")

    response = raw(sandbox, method, f"/api/managed_users/acme{path}", content=body)

    assert response.status_code == 400
    assert set(response.json()) == {"message"}
    assert needle in response.json()["message"]


# customer scoping through the API


def test_another_customers_connection_is_a_404_for_every_endpoint(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_customer("beta")
    sandbox.add_connection(1, "salesforce", customer_id="acme", connected=True)

    assert api.connections("beta") == []
    for call in (
        lambda: api.update_connection("beta", 1, name="stolen"),
        lambda: api.disconnect_connection("beta", 1),
        lambda: api.delete_connection("beta", 1),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert sandbox.connection(1).connected is True
    assert sandbox.connection(1).name == "My Salesforce account"


def test_a_connection_needs_a_known_customer(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="add_customer"):
        sandbox.add_connection(1, "salesforce", customer_id="nobody")


# statuses, as the page and Python change them


def authorize_on_the_page(sandbox: Sandbox, connection_id: int, action: str) -> httpx.Response:
    page = httpx.get(page_url(sandbox, connection_id, sandbox.signer.sign("acme")), timeout=10)
    config = page_config(page)
    return httpx.post(
        sandbox.base_url + config["actions"][action],
        headers={"X-Sandbox-Page-Secret": config["secret"]},
        timeout=10,
    )


def test_authorizing_sets_success_and_authorized_at(sandbox: Sandbox, api: EmbeddedApi) -> None:
    sandbox.add_connection(1, "salesforce")

    authorize_on_the_page(sandbox, 1, "authorize")

    (connection,) = api.connections("acme")
    assert connection.authorization_status == "success"
    assert connection.authorized_at is not None
    assert connection.connected is True


def test_a_failed_authorization_sets_failed_and_the_error(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_connection(1, "salesforce")

    authorize_on_the_page(sandbox, 1, "fail")

    (connection,) = api.connections("acme")
    assert connection.authorization_status == "failed"
    assert connection.authorization_error == "Authorization failed: invalid credentials"


def test_a_lost_connection_is_reported_by_the_api_and_its_page(
    sandbox: Sandbox, api: EmbeddedApi
) -> None:
    sandbox.add_connection(1, "salesforce", connected=True)

    sandbox.lose_connection(1, "the refresh token was revoked")

    (connection,) = api.connections("acme")
    assert connection.connection_lost_reason == "the refresh token was revoked"
    assert connection.connection_lost_at is not None
    assert connection.connected is False
    page = httpx.get(page_url(sandbox, 1, sandbox.signer.sign("acme")), timeout=10)
    assert page_config(page)["connection"]["connected"] is False
    assert "the refresh token was revoked" in page_config(page)["connection"]["error"]
    assert 'data-connected="false"' in page.text


def test_an_open_page_learns_a_change_made_elsewhere_from_its_state_endpoint(
    sandbox: Sandbox,
) -> None:
    sandbox.add_connection(1, "salesforce", connected=True)
    page = httpx.get(page_url(sandbox, 1, sandbox.signer.sign("acme")), timeout=10)
    config = page_config(page)

    sandbox.lose_connection(1, "revoked")
    state = httpx.get(
        sandbox.base_url + config["stateUrl"],
        headers={"X-Sandbox-Page-Secret": config["secret"]},
        timeout=10,
    ).json()

    assert state["connected"] is False
    assert state["error"] == "Connection lost: revoked"
    assert state["version"] > config["connection"]["version"]
    assert config["pollMs"] <= 1000


def test_the_state_endpoint_needs_the_page_secret(sandbox: Sandbox) -> None:
    sandbox.add_connection(1, "salesforce")

    response = httpx.get(f"{sandbox.base_url}{PAGE}/1/state", timeout=10)

    assert response.status_code == 403


# answers validated by Workato's own model


def test_every_answer_validates_against_workatos_connection_model(
    sandbox: Sandbox, api: EmbeddedApi, workato_model: Any
) -> None:
    sandbox.add_connection(1, "salesforce")  # never authorized: status null
    sandbox.add_connection(2, "jira", connected=True, tags=["a"])  # success, with tags
    sandbox.add_connection(3, "slack")
    sandbox.fail_connection(3, "invalid credentials")  # failed
    sandbox.add_connection(4, "box", connected=True, description="Files")
    sandbox.lose_connection(4, "revoked")  # lost
    sandbox.add_connection(5, "box", parent_id=4, external_id="u5", runtime=True)
    sandbox.add_connection(6, "hubspot")
    sandbox.fail_connection(6, "boom", exception=True)  # exception
    created = raw(
        sandbox, "POST", "/api/managed_users/acme/connections", json={"name": "n", "provider": "p"}
    ).json()
    updated = raw(sandbox, "PUT", "/api/managed_users/acme/connections/1", json={"name": "m"})

    answers = [
        *listed(sandbox, query="?include_runtime_connections=true"),
        *listed(sandbox, query="?includes[]=tags"),
        created,
        updated.json(),
    ]

    statuses = set()
    for answer in answers:
        model = workato_model.from_dict(answer)
        assert model.id == answer["id"]
        statuses.add(model.authorization_status)
    assert statuses == {None, "success", "failed", "exception"}
    assert workato_model.from_dict(listed(sandbox, query="?includes[]=tags")[1]).tags == ["a"]


# rate limits


def test_rate_limits_are_off_by_default(sandbox: Sandbox, api: EmbeddedApi) -> None:
    for _ in range(70):
        api.customer("acme")

    assert sandbox.rate_limits is None


def test_over_the_limit_is_a_429_with_retry_after() -> None:
    limits = RateLimits(list_connections=2, connections=1, customers=1, window=30)
    with Sandbox(rate_limits=limits) as server:
        answers = [listed_status(server) for _ in range(3)]
        other = raw(server, "POST", "/api/managed_users/acme/connections/1/disconnect")

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert set(answers[2].json()) == {"message"}
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 30
    assert other.status_code == 404  # another bucket: still allowed, then not found


def listed_status(server: Sandbox) -> httpx.Response:
    return raw(server, "GET", "/api/managed_users/acme/connections")


def test_workatos_documented_limits_are_the_defaults() -> None:
    assert RateLimits() == RateLimits(list_connections=1000, connections=60, window=60.0)
    assert Sandbox(rate_limits=True).rate_limits == RateLimits()


# token scoping, replays and redirects


def test_a_token_for_another_customer_is_refused_as_workato_refuses_a_missing_connection(
    sandbox: Sandbox,
) -> None:
    sandbox.add_customer("beta")
    sandbox.add_connection(1, "salesforce", customer_id="acme")
    token = sandbox.signer.sign("beta")

    response = httpx.get(page_url(sandbox, 1, token), timeout=10)

    assert response.status_code == 404
    error = page_config(response)["error"]
    assert error["type"] == "unknown_connection"
    assert "beta" in error["message"]
    assert sandbox.refusals[-1].code == "unknown_connection"
    assert token not in response.text


def test_a_token_for_an_unknown_customer_is_refused(sandbox: Sandbox) -> None:
    sandbox.add_connection(1, "salesforce")
    token = sandbox.signer.sign("nobody")

    response = httpx.get(page_url(sandbox, 1, token), timeout=10)

    assert response.status_code == 401
    assert page_config(response)["error"]["type"] == "unknown_customer"
    assert sandbox.refusals[-1].code == "unknown_customer"
    assert not sandbox.seen_jti  # refused before its jti was used


def test_a_token_naming_the_customer_by_external_id_is_accepted(sandbox: Sandbox) -> None:
    sandbox.add_customer("globex", external_id="AM10:XV303")
    sandbox.add_connection(1, "salesforce", customer_id="globex")

    token = sandbox.signer.sign(ExternalId("AM10:XV303"))

    assert httpx.get(page_url(sandbox, 1, token), timeout=10).status_code == 200


async def test_one_token_presented_by_50_concurrent_requests_is_accepted_once(
    sandbox: Sandbox,
) -> None:
    sandbox.add_connection(1, "salesforce")
    url = page_url(sandbox, 1, sandbox.signer.sign("acme"))

    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(*(client.get(url) for _ in range(50)))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 49
    assert sum(r.code == "replayed_token" for r in sandbox.refusals) == 49


def test_a_page_request_under_another_host_is_redirected_without_using_the_token() -> None:
    with Sandbox(redirect_pages_to="localhost") as server:
        server.add_connection(1, "salesforce")
        token = server.signer.sign("acme")
        url = page_url(server, 1, token)

        first = httpx.get(url, timeout=10)
        assert not server.seen_jti
        final = httpx.get(first.headers["Location"], timeout=10)
        api_answer = listed_status(server)

    assert first.status_code == 302
    assert first.headers["Location"] == url.replace("127.0.0.1", "localhost")
    assert final.status_code == 200
    assert len(server.seen_jti) == 1
    assert api_answer.status_code == 200  # the API is never redirected


def test_redirects_can_be_turned_on_and_off_while_running(sandbox: Sandbox) -> None:
    sandbox.add_connection(1, "salesforce")

    def check() -> int:
        return httpx.get(page_url(sandbox, 1, sandbox.signer.sign("acme")), timeout=10).status_code

    sandbox.redirect_pages_to("localhost")
    redirected = check()
    sandbox.redirect_pages_to("127.0.0.1")
    same_host = check()
    sandbox.redirect_pages_to(None)

    assert (redirected, same_host, check()) == (302, 200, 200)


@pytest.mark.parametrize("host", ["http://localhost", "localhost:8888", "", "a b"])
def test_a_redirect_target_must_be_a_bare_host(host: str) -> None:
    with pytest.raises(ValueError, match="host name"):
        Sandbox(redirect_pages_to=host)
