"""The iframe core both widgets share, each test run against ConnectionWidget and EmbeddedPage.

Handshake, trusted origins, reload, the silent-iframe diagnosis, the new-tab token, callbacks,
the event log and wait_for are WorkatoFrame's: one behaviour, proven once per widget.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import sys
import types
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fakes import PAGE_ORIGIN, FakeFrontend

from workato_ipywidget import (
    ConnectionWidget,
    EmbeddedPage,
    ErrorMessage,
    HeightChange,
    TokenSigner,
    WorkatoFrame,
)

VENDOR = "vendor-core"
CUSTOMER = "cust-9"

Make = Callable[..., WorkatoFrame]


def make_connection(**kwargs: Any) -> WorkatoFrame:
    return ConnectionWidget(77, **kwargs)


def make_page(**kwargs: Any) -> WorkatoFrame:
    return EmbeddedPage("/recipes?folder_id=7", **kwargs)


@pytest.fixture(params=[make_connection, make_page], ids=["connection", "page"])
def make(request: pytest.FixtureRequest) -> Make:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def signer(rsa_key: Any) -> TokenSigner:
    return TokenSigner(VENDOR, rsa_key)


@pytest.fixture
def frame(make: Make, signer: TokenSigner) -> WorkatoFrame:
    return make(signer=signer, customer_id=CUSTOMER, diagnose_after=2)


@pytest.fixture
def page(frame: WorkatoFrame) -> FakeFrontend:
    return FakeFrontend(frame)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["workato_dl_token"][0]


# -- handshake ------------------------------------------------------------------------------


def test_each_view_gets_a_fresh_token_for_its_origin_and_the_trusted_origins(
    page: FakeFrontend, public_pem: bytes
) -> None:
    first = page.ready(view="v1", origin="http://localhost:8888")
    second = page.ready(view="v2", origin="https://hub.example.com")

    claims = [
        jwt.decode(token_of(r["url"]), public_pem, algorithms=["RS256"]) for r in (first, second)
    ]
    assert [c["origin"] for c in claims] == ["http://localhost:8888", "https://hub.example.com"]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert claims[0]["sub"] == f"{VENDOR}:{CUSTOMER}"
    assert first["origins"] == [
        "https://app.workato.com",
        "https://workato.com",
        "https://www.workato.com",
    ]
    assert first["url"].startswith("https://app.workato.com/direct_link")


@pytest.mark.parametrize(
    "origin",
    [
        "vscode-webview://1a2b3c4d5e",
        "https://0a1b2c3d.vscode-cdn.net",
        "https://x1y2z3-0-colab.googleusercontent.com",
    ],
)
def test_the_origin_claim_is_what_a_vscode_or_colab_page_reports(
    page: FakeFrontend, public_pem: bytes, origin: str
) -> None:
    reply = page.ready(origin=origin)

    claims = jwt.decode(token_of(reply["url"]), public_pem, algorithms=["RS256"])
    assert claims["origin"] == origin


def test_a_custom_base_url_trusts_itself_and_the_origins_given(
    make: Make, signer: TokenSigner
) -> None:
    frame = make(
        signer=signer,
        customer_id=CUSTOMER,
        base_url="http://127.0.0.1:9000",
        trusted_origins=["http://localhost:9000"],
    )

    reply = FakeFrontend(frame).ready()

    assert reply["origins"] == ["http://127.0.0.1:9000", "http://localhost:9000"]
    assert frame.trusted_origins == ("http://127.0.0.1:9000", "http://localhost:9000")


def test_a_plain_http_trusted_origin_off_loopback_is_refused(
    make: Make, signer: TokenSigner
) -> None:
    with pytest.raises(ValueError, match=r"trusted_origins holds a bad origin.*plain http"):
        make(signer=signer, customer_id=CUSTOMER, trusted_origins=["http://proxy.example.com"])


def test_needs_exactly_one_token_source_naming_the_widget(make: Make, signer: TokenSigner) -> None:
    with pytest.raises(TypeError, match=r"needs exactly one way to get tokens.*got none"):
        make()
    with pytest.raises(TypeError, match="got signer and token"):
        make(signer=signer, customer_id=CUSTOMER, token="a.b.c")


def test_reload_asks_every_view_again(page: FakeFrontend) -> None:
    page.widget.reload()

    assert page.sent[-1] == {"kind": "reload"}


def test_a_failing_token_provider_is_a_load_error_naming_the_widget_kind(make: Make) -> None:
    def provider(origin: str) -> str:
        raise RuntimeError("backend down")

    frame = make(token_provider=provider)
    reply = FakeFrontend(frame).ready()

    assert reply["kind"] == "load_error"
    assert "token_provider raised RuntimeError: backend down" in reply["message"]
    assert frame.status == "error"


# -- messages -------------------------------------------------------------------------------


def test_height_and_error_messages_set_the_shared_traits(page: FakeFrontend) -> None:
    page.post({"type": "heightChange", "payload": {"height": 321}})
    page.post(json.dumps({"type": "error", "payload": {"message": "boom"}, "wk": True}))

    assert page.widget.height == 321
    assert page.widget.error == "boom"
    assert page.widget.status == "error"
    assert [type(e.event) for e in page.widget.events] == [HeightChange, ErrorMessage]


def test_error_and_message_callbacks_get_typed_events_and_unsubscribe(page: FakeFrontend) -> None:
    errors: list[object] = []
    messages: list[object] = []
    page.widget.on_error(errors.append)
    stop = page.widget.on_message(messages.append)

    page.post({"type": "error", "payload": {"message": "boom"}})
    stop()
    page.post({"type": "click"})

    assert errors == [ErrorMessage(message="boom")]
    assert len(messages) == 1


def test_a_raising_callback_is_logged_without_tokens_and_others_run(
    page: FakeFrontend, signer: TokenSigner, caplog: pytest.LogCaptureFixture
) -> None:
    secret = signer.sign(CUSTOMER)
    seen: list[object] = []

    def bad(event: object) -> None:
        raise ValueError(f"callback saw {secret}")

    page.widget.on_message(bad)
    page.widget.on_message(seen.append)
    with caplog.at_level(logging.ERROR):
        page.post({"type": "click"})

    assert len(seen) == 1
    assert "callback" in caplog.text
    assert "ValueError" in caplog.text
    assert secret not in caplog.text


def test_a_raising_callback_holding_a_token_in_its_arguments_is_logged_without_it(
    page: FakeFrontend, signer: TokenSigner, caplog: pytest.LogCaptureFixture
) -> None:
    secret = signer.sign(CUSTOMER)

    def bad(event: object, token: str) -> None:
        raise ValueError("no")

    page.widget.on_message(functools.partial(bad, token=secret))  # its repr shows the token
    with caplog.at_level(logging.ERROR):
        page.post({"type": "click"})

    assert "functools.partial" in caplog.text
    assert secret not in caplog.text


def test_events_are_bounded(make: Make, signer: TokenSigner) -> None:
    frame = make(signer=signer, customer_id=CUSTOMER, max_events=3)
    page = FakeFrontend(frame)

    for height in range(10):
        page.post({"type": "heightChange", "payload": {"height": height}})

    assert [e.event for e in frame.events] == [HeightChange(7), HeightChange(8), HeightChange(9)]


# -- diagnosis ------------------------------------------------------------------------------


def test_a_silent_iframe_is_diagnosed_and_cleared_by_the_next_message(page: FakeFrontend) -> None:
    page.deliver({"kind": "silent", "view": "view-1", "origin": PAGE_ORIGIN, "seconds": 2})

    assert page.widget.status == "error"
    assert "not on Workato's allowed origins" in (page.widget.error or "")
    assert PAGE_ORIGIN in (page.widget.error or "")

    page.post({"type": "heightChange", "payload": {"height": 10}})
    assert page.widget.error is None
    assert page.widget.status == "loading"


def test_messages_dropped_from_an_untrusted_origin_are_named_with_the_fix(
    page: FakeFrontend,
) -> None:
    page.deliver(
        {
            "kind": "silent",
            "view": "view-1",
            "origin": PAGE_ORIGIN,
            "seconds": 2,
            "dropped_origin": "http://localhost:9000",
        }
    )

    error = page.widget.error or ""
    assert "posted its messages from http://localhost:9000" in error
    assert "does not trust" in error
    assert "trusted_origins=['http://localhost:9000']" in error


@pytest.mark.parametrize(
    ("origin", "says"),
    [
        ("vscode-webview://1a2b3c4d", "runs in VS Code"),
        ("https://0abc.vscode-cdn.net", "runs in VS Code"),
        ("https://x1y2-0-colab.googleusercontent.com", "Colab shows each output"),
    ],
)
def test_the_diagnosis_names_the_frontend_and_what_to_do_there(
    page: FakeFrontend, origin: str, says: str
) -> None:
    page.deliver({"kind": "silent", "view": "view-1", "origin": origin, "seconds": 2})

    assert says in (page.widget.error or "")
    assert origin in (page.widget.error or "")


# -- open in a new tab ----------------------------------------------------------------------


def test_open_tab_answers_a_fresh_single_use_token_for_that_view(
    page: FakeFrontend, public_pem: bytes
) -> None:
    load = page.ready()
    page.deliver({"kind": "open_tab", "view": "view-1", "origin": PAGE_ORIGIN})
    tab = page.sent[-1]

    assert tab["kind"] == "tab"
    assert tab["view"] == "view-1"
    assert set(tab) == {"kind", "view", "url"}
    jtis = {
        jwt.decode(token_of(r["url"]), public_pem, algorithms=["RS256"])["jti"] for r in (load, tab)
    }
    assert len(jtis) == 2
    assert token_of(tab["url"]) not in json.dumps(page.widget.get_state())


def test_open_tab_with_a_failing_source_is_a_tab_error(make: Make) -> None:
    calls = iter(["eyJh.eyJi.c2ln"])

    def provider(origin: str) -> str:
        return next(calls)

    page = FakeFrontend(make(token_provider=provider))
    page.ready()
    page.deliver({"kind": "open_tab", "view": "view-1", "origin": PAGE_ORIGIN})

    assert page.sent[-1]["kind"] == "tab_error"
    assert "StopIteration" in page.sent[-1]["message"]


def test_new_tab_link_must_be_a_bool_or_none(make: Make, signer: TokenSigner) -> None:
    assert make(signer=signer, customer_id=CUSTOMER).new_tab_link is None
    assert make(signer=signer, customer_id=CUSTOMER, new_tab_link=True).new_tab_link is True
    with pytest.raises(TypeError, match="new_tab_link must be True, False or None"):
        make(signer=signer, customer_id=CUSTOMER, new_tab_link="yes")


# -- wait_for -------------------------------------------------------------------------------


async def test_wait_for_resolves_on_a_later_message(page: FakeFrontend) -> None:
    waiting = asyncio.ensure_future(page.widget.wait_for("height", lambda h: h == 99, timeout=5))
    await asyncio.sleep(0)
    page.post({"type": "heightChange", "payload": {"height": 99}})

    assert await waiting == 99


async def test_wait_for_refuses_at_once_under_marimo(
    page: FakeFrontend, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_marimo = types.ModuleType("marimo")
    fake_marimo.running_in_notebook = lambda: True  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "marimo", fake_marimo)

    with pytest.raises(RuntimeError, match="marimo runs one kernel request at a time") as caught:
        await page.widget.wait_for("height", lambda h: h == 99, timeout=60)

    assert "observe(...)" in str(caught.value)
    assert "later cell" in str(caught.value)


async def test_wait_for_refuses_at_once_under_voila(
    page: FakeFrontend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOILA_KERNEL_ID", "0f3a")

    with pytest.raises(RuntimeError, match="Voila renders the dashboard only after every cell"):
        await page.widget.wait_for("height", lambda h: h == 99, timeout=60)


async def test_wait_for_works_beside_an_imported_marimo_outside_its_notebooks(
    page: FakeFrontend, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_marimo = types.ModuleType("marimo")
    fake_marimo.running_in_notebook = lambda: False  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "marimo", fake_marimo)

    assert await page.widget.wait_for("height", lambda h: h == 150, timeout=1) == 150


async def test_wait_for_an_unknown_trait_names_the_widget_and_its_traits(
    page: FakeFrontend,
) -> None:
    with pytest.raises(ValueError, match=f"not a state trait of {type(page.widget).__name__}"):
        await page.widget.wait_for("nope")


@pytest.mark.parametrize(
    ("predicate", "timeout", "error"),
    [
        ("connected", 5, r"predicate must be callable, not str"),
        (bool, -1, r"timeout must be a number of seconds >= 0 or None, got -1"),
        (bool, float("nan"), r"timeout must be a number of seconds >= 0 or None, got nan"),
        (bool, "5", r"timeout must be a number of seconds >= 0 or None, got '5'"),
    ],
)
async def test_wait_for_refuses_a_bad_predicate_or_timeout_by_name(
    make: Make, signer: TokenSigner, predicate: Any, timeout: Any, error: str
) -> None:
    frame = make(signer=signer, customer_id=CUSTOMER)
    with pytest.raises((TypeError, ValueError), match=error):
        await frame.wait_for("status", predicate, timeout)
