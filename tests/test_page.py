"""EmbeddedPage: any Workato page in a cell, its path followed and moved from Python."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fakes import FakeFrontend

from workato_ipywidget import EmbeddedPage, Loaded, Navigated, TokenSigner, Unloaded
from workato_ipywidget.endpoints import page_url, validate_page_path, workato_path

CUSTOMER = "cust-1"


@pytest.fixture
def signer(rsa_key: Any) -> TokenSigner:
    return TokenSigner("vendor-page", rsa_key)


@pytest.fixture
def page(signer: TokenSigner) -> FakeFrontend:
    return FakeFrontend(EmbeddedPage("/recipes", signer=signer, customer_id=CUSTOMER))


def loaded(url: str, **extra: Any) -> str:
    return json.dumps({"type": "loaded", "payload": {"url": url, **extra}, "wk": True})


def navigated(url: str, replaced: bool = False) -> str:
    return json.dumps({"type": "navigated", "payload": {"url": url, "replaced": replaced}})


# -- paths ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/recipes", "/recipes?folder_id=7", "/recipes/12/jobs", "/"])
def test_a_workato_path_with_a_query_is_accepted(path: str) -> None:
    assert validate_page_path(path) == path


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("recipes", "starts with '/'"),
        ("https://app.workato.com/recipes", "not a path inside Workato"),
        ("//evil.example/recipes", "not a path inside Workato"),
        ("/x?a=1 b", "whitespace or control characters"),
        ("", "is empty"),
        ("/r?workato_dl_token=eyJx", "holds a workato_dl_token"),
        ("/r?WORKATO_DL_TOKEN%3Dabc", "holds a workato_dl_token"),
        ("/r?x=workato_dl_token%253Dabc", "holds a workato_dl_token"),
        ("/" + "a" * 3000, "at most 2000"),
    ],
)
def test_a_bad_path_is_refused_saying_what_a_path_is(path: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        EmbeddedPage(path, token="eyJh.eyJi.c2ln")


def test_a_path_that_is_no_string_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        EmbeddedPage(7, token="eyJh.eyJi.c2ln")  # type: ignore[arg-type]


def test_the_iframe_url_is_built_as_workatos_embedding_client_builds_it(
    page: FakeFrontend,
) -> None:
    reply = page.ready()
    url = urlsplit(reply["url"])
    query = parse_qs(url.query)

    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://app.workato.com/direct_link"
    assert query["workato_dl_path"] == ["/recipes"]
    assert reply["url"].startswith(
        "https://app.workato.com/direct_link?workato_dl_path=%2Frecipes&workato_dl_token=eyJ"
    )


TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2OmMifQ.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/recipes/5", "/recipes/5"),
        ("/recipes/5?tab=jobs", "/recipes/5?tab=jobs"),
        ("https://app.workato.com/recipes/5?tab=jobs#top", "/recipes/5?tab=jobs"),
        (
            f"https://app.workato.com/recipes/5?workato_dl_token={TOKEN}&tab=jobs",
            "/recipes/5?tab=jobs",
        ),
        (f"/dashboard?workato_dl_token={TOKEN}", "/dashboard"),
        (
            "https://app.workato.com/direct_link?workato_dl_path="
            f"{quote('/recipes/5?tab=jobs', safe='')}&workato_dl_token={TOKEN}",
            "/recipes/5?tab=jobs",
        ),
        (f"/recipes/5#workato_dl_token={TOKEN}", "/recipes/5"),
        ("https://app.workato.com", "/"),
    ],
)
def test_workato_path_reduces_every_url_shape_to_path_and_query_without_tokens(
    url: str, path: str
) -> None:
    assert workato_path(url) == path


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "", "recipes", "/a b", "/direct_link?x=1", 7, None]
)
def test_workato_path_gives_none_for_what_is_no_workato_url(url: object) -> None:
    assert workato_path(url) is None


def test_page_url_refuses_a_path_carrying_a_token() -> None:
    with pytest.raises(ValueError, match="holds a workato_dl_token"):
        page_url("https://app.workato.com", f"/r?workato_dl_token={TOKEN}", TOKEN)


# -- following the page ---------------------------------------------------------------------


def test_loaded_and_navigated_set_path_status_and_title(page: FakeFrontend) -> None:
    widget = page.widget
    assert (widget.path, widget.status) == ("/recipes", "loading")

    page.post(loaded("https://app.workato.com/recipes?workato_dl_token=x.y.z", title="Recipes"))
    assert (widget.path, widget.status, widget.title) == ("/recipes", "loaded", "Recipes")

    page.post(navigated("/recipes/42?tab=jobs"))
    assert widget.path == "/recipes/42?tab=jobs"

    page.post(json.dumps({"type": "unloaded"}))
    assert widget.status == "loading"
    assert [type(e.event) for e in widget.events] == [Loaded, Navigated, Unloaded]


def test_a_url_that_is_no_workato_path_leaves_path_alone(page: FakeFrontend) -> None:
    page.post(navigated("javascript:alert(1)"))

    assert page.widget.path == "/recipes"


def test_on_navigate_runs_for_loaded_and_navigated_only(page: FakeFrontend) -> None:
    seen: list[object] = []
    page.widget.on_navigate(seen.append)

    page.post(loaded("/recipes"))
    page.post({"type": "click"})
    page.post(navigated("/jobs", replaced=True))

    assert seen == [Loaded(url="/recipes"), Navigated(url="/jobs", replaced=True)]


def test_a_later_view_opens_where_the_page_is_now(page: FakeFrontend) -> None:
    page.post(navigated("/recipes/42"))
    reply = page.ready(view="view-2")

    assert parse_qs(urlsplit(reply["url"]).query)["workato_dl_path"] == ["/recipes/42"]


def test_navigate_sends_workatos_navigation_to_every_view(page: FakeFrontend) -> None:
    page.widget.navigate("/dashboard?range=7d")

    assert page.sent[-1] == {"kind": "navigate", "path": "/dashboard?range=7d"}
    assert page.widget.path == "/recipes"  # until the page says it got there


def test_a_view_that_loads_after_navigate_opens_where_navigate_asked(page: FakeFrontend) -> None:
    page.widget.navigate("/dashboard")  # no view was listening yet (displayed in the same cell)
    reply = page.ready()

    assert parse_qs(urlsplit(reply["url"]).query)["workato_dl_path"] == ["/dashboard"]
    page.post(loaded("/dashboard"))
    page.post(navigated("/recipes/7"))
    later = page.ready(view="view-2")
    assert parse_qs(urlsplit(later["url"]).query)["workato_dl_path"] == ["/recipes/7"]


def test_navigate_validates_the_path(page: FakeFrontend) -> None:
    with pytest.raises(ValueError, match="not a path inside Workato"):
        page.widget.navigate("https://evil.example/")
    assert page.sent == []


async def test_wait_for_path_resolves_when_the_page_reports_it(page: FakeFrontend) -> None:
    page.widget.navigate("/dashboard")
    waiting = asyncio.ensure_future(
        page.widget.wait_for("path", lambda p: p == "/dashboard", timeout=5)
    )
    await asyncio.sleep(0)
    page.post(navigated("https://app.workato.com/dashboard"))

    assert await waiting == "/dashboard"


def test_path_is_set_by_the_page_not_by_assignment(page: FakeFrontend) -> None:
    with pytest.raises(Exception, match="read-only"):
        page.widget.path = "/elsewhere"  # type: ignore[misc]


def test_repr_names_path_and_status_only(page: FakeFrontend) -> None:
    assert repr(page.widget) == "EmbeddedPage(path='/recipes', status='loading')"
