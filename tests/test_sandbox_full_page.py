"""The sandbox's full-page embeds over real HTTP: verified like the connection page, scoped to the
token's customer, and Workato's direct-link URL shape."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from test_sandbox import PAGE_ORIGIN, Response, request

from workato_ipywidget.endpoints import page_url
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        server.add_customer("globex", name="Globex")
        server.add_connection(1, "salesforce", name="ACME Salesforce", connected=True)
        server.add_connection(2, "jira", name="ACME Jira")
        server.add_connection(3, "slack", name="Globex Slack", customer_id="globex")
        server.add_recipe(101, "Sync Salesforce records", connections=[1], running=True)
        server.run_jobs(101, 2)
        server.add_recipe(102, "Sync Jira issues", connections=[2])
        server.add_recipe(103, "Post to Slack", customer_id="globex", connections=[3])
        yield server


def open_page(sandbox: Sandbox, path: str, customer: str = "acme", **sign: Any) -> Response:
    token = sandbox.signer.sign(customer, origin=sign.pop("origin", PAGE_ORIGIN), **sign)
    return request(page_url(sandbox.base_url, path, token))


def test_a_direct_link_shows_the_customers_workspace_at_the_path(sandbox: Sandbox) -> None:
    page = open_page(sandbox, "/recipes?folder_id=7")

    assert page.status == 200
    assert 'data-page="full"' in page.text
    config = page.config()
    assert config["path"] == "/recipes?folder_id=7"
    assert config["targetOrigin"] == PAGE_ORIGIN
    recipes = config["workspace"]["recipes"]
    assert [r["id"] for r in recipes] == [101, 102]
    assert [r["connections"][0]["connected"] for r in recipes] == [True, False]
    assert [r["running"] for r in recipes] == [True, False]
    assert [len(r["jobs"]) for r in recipes] == [2, 0]


def test_the_page_shows_the_same_recipes_and_jobs_as_the_api(sandbox: Sandbox) -> None:
    sales = sandbox.add_folder(None, "Sales")
    sandbox.add_recipe(104, "Leads", connections=[1], running=True, folder_id=sales.id)
    sandbox.lose_connection(1, "the refresh token was revoked")
    failed = sandbox.run_jobs(104, 5)

    workspace = open_page(sandbox, "/recipes").config()["workspace"]

    recipe = next(r for r in workspace["recipes"] if r["id"] == 104)
    assert (recipe["running"], recipe["stopCause"]) == (False, "trigger_errors_limit")
    assert [j["id"] for j in recipe["jobs"]] == [j.id for j in reversed(failed)]
    assert "the refresh token was revoked" in recipe["jobs"][0]["error"]
    assert recipe["projectId"] == sales.project_id
    assert workspace["projects"] == [{"id": sales.project_id, "name": "Sales"}]
    assert recipe["connections"][0]["connected"] is False


def test_another_customers_connections_never_appear(sandbox: Sandbox) -> None:
    page = open_page(sandbox, "/recipes", customer="globex")

    recipes = page.config()["workspace"]["recipes"]
    assert [r["id"] for r in recipes] == [103]
    assert [c["name"] for r in recipes for c in r["connections"]] == ["Globex Slack"]
    assert "ACME" not in page.text


def test_a_recipes_full_page_path_is_named_by_the_sandbox(sandbox: Sandbox) -> None:
    assert sandbox.recipe_path(102) == "/recipes/102"
    with pytest.raises(KeyError, match="no recipe 99"):
        sandbox.recipe_path(99)


def test_a_replayed_token_is_refused_as_on_the_connection_page(sandbox: Sandbox) -> None:
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)
    url = page_url(sandbox.base_url, "/recipes", token)

    assert request(url).status == 200
    again = request(url)
    assert again.status == 401
    assert 'data-error="replayed_token"' in again.text
    assert "This page cannot be shown" in again.text
    assert again.config()["error"]["type"] == "replayed_token"


def test_an_unknown_customer_is_refused(sandbox: Sandbox) -> None:
    page = open_page(sandbox, "/recipes", customer="initech")

    assert page.status == 401
    assert 'data-error="unknown_customer"' in page.text


@pytest.mark.parametrize("path", ["recipes", "//evil.example/x", ""])
def test_a_path_that_is_no_workato_path_is_a_400(sandbox: Sandbox, path: str) -> None:
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)
    quoted = urllib.parse.quote(path, safe="")
    page = request(
        f"{sandbox.base_url}/direct_link?workato_dl_path={quoted}&workato_dl_token={token}"
    )

    assert page.status == 400
    assert 'data-error="invalid_path"' in page.text


def test_an_origin_missing_from_the_allowlist_renders_a_silent_page() -> None:
    with Sandbox(allowed_origins=["https://vendor.example"]) as sandbox:
        page = open_page(sandbox, "/dashboard")

        assert page.status == 200
        assert page.config()["silent"] is True
        assert 'data-silent="origin_not_allowed"' in page.text
        assert sandbox.refusals[-1].code == "origin_not_allowed"
        assert sandbox.refusals[-1].path == "/direct_link"


def test_full_pages_follow_the_redirect_between_the_sandbox_hosts(sandbox: Sandbox) -> None:
    sandbox.redirect_pages_to("localhost")
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)
    url = page_url(sandbox.base_url, "/recipes", token)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(url, timeout=10)

    assert caught.value.code == 302
    assert caught.value.headers["Location"] == url.replace("127.0.0.1", "localhost")
    assert sandbox.seen_jti == frozenset()  # verified only where the redirect leads


def test_the_page_carries_no_token_in_its_html(sandbox: Sandbox) -> None:
    token = sandbox.signer.sign("acme", origin=PAGE_ORIGIN)
    page = request(page_url(sandbox.base_url, "/recipes", token))

    assert token not in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'nonce-" in page.headers["Content-Security-Policy"]
