"""ConnectionWidget driven through its comm handler exactly as the JS bridge drives it."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from fakes import PAGE_ORIGIN, FakeFrontend

from workato_ipywidget import (
    ConnectionStatusChange,
    ConnectionWidget,
    ErrorMessage,
    ExternalId,
    HeightChange,
    TokenSigner,
)

VENDOR = "vendor-7"
CUSTOMER = "cust-42"


@pytest.fixture
def signer(rsa_key: Any) -> TokenSigner:
    return TokenSigner(VENDOR, rsa_key)


@pytest.fixture
def widget(signer: TokenSigner) -> ConnectionWidget:
    return ConnectionWidget(1234, signer=signer, customer_id=CUSTOMER)


@pytest.fixture
def page(widget: ConnectionWidget) -> FakeFrontend:
    return FakeFrontend(widget)


def token_of(reply: dict[str, Any]) -> str:
    assert reply["kind"] == "load", reply
    return parse_qs(urlsplit(reply["url"]).query)["workato_dl_token"][0]


def claims_of(reply: dict[str, Any], public_pem: bytes) -> dict[str, Any]:
    return jwt.decode(token_of(reply), public_pem, algorithms=["RS256"])


def status(connected: bool | None = None, error: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"id": 1234, "provider": "salesforce"}
    if connected is not None:
        payload["connected"] = connected
    if error is not None:
        payload["error"] = error
    return {"type": "connectionStatusChange", "payload": payload}


# -- loading views ------------------------------------------------------------------------


def test_ready_view_gets_connection_url_with_fresh_token_for_its_origin(
    page: FakeFrontend, public_pem: bytes
) -> None:
    reply = page.ready(view="v1", origin=PAGE_ORIGIN)

    assert reply["view"] == "v1"
    url = urlsplit(reply["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        "https://app.workato.com/direct_link/embedded/connections/1234"
    )
    claims = claims_of(reply, public_pem)
    assert claims["sub"] == f"{VENDOR}:{CUSTOMER}"
    assert claims["origin"] == PAGE_ORIGIN


def test_each_view_gets_its_own_jti(page: FakeFrontend, public_pem: bytes) -> None:
    first = claims_of(page.ready(view="v1"), public_pem)
    second = claims_of(page.ready(view="v2"), public_pem)

    assert first["jti"] != second["jti"]


def test_user_id_and_external_ids_reach_the_subject(signer: TokenSigner, public_pem: bytes) -> None:
    w = ConnectionWidget(
        "77", signer=signer, customer_id=ExternalId("AM10:XV303"), user_id=5, data_center="eu"
    )

    reply = FakeFrontend(w).ready()

    assert reply["url"].startswith(
        "https://app.eu.workato.com/direct_link/embedded/connections/77?"
    )
    assert claims_of(reply, public_pem)["sub"] == f"{VENDOR}:EAM10%3AXV303:5"


def test_token_provider_is_called_with_the_page_origin_per_view() -> None:
    origins: list[str] = []

    def provider(origin: str) -> str:
        origins.append(origin)
        return f"h.p{len(origins)}.s"

    page = FakeFrontend(ConnectionWidget(5, token_provider=provider, base_url="https://x.example"))

    first, second = page.ready(view="a"), page.ready(view="b", origin="https://nb.example")

    assert origins == [PAGE_ORIGIN, "https://nb.example"]
    assert token_of(first) == "h.p1.s"
    assert token_of(second) == "h.p2.s"


def test_premade_token_is_used_for_every_view() -> None:
    page = FakeFrontend(ConnectionWidget(5, token="aaa.bbb.ccc", data_center="jp"))

    assert token_of(page.ready(view="a")) == token_of(page.ready(view="b")) == "aaa.bbb.ccc"


def test_failing_token_provider_answers_load_error_and_sets_error() -> None:
    def provider(origin: str) -> str:
        raise RuntimeError("vault unreachable")

    w = ConnectionWidget(5, token_provider=provider)
    page = FakeFrontend(w)
    errors: list[Any] = []
    w.on_error(errors.append)

    reply = page.ready(view="v9")

    assert reply == {"kind": "load_error", "view": "v9", "message": reply["message"]}
    assert "token_provider raised RuntimeError: vault unreachable" in reply["message"]
    assert w.error == reply["message"]
    assert w.status == "error"
    assert errors == [ErrorMessage(message=reply["message"], type="load_error")]


def test_load_error_never_echoes_a_token_from_the_provider_exception(
    signer: TokenSigner, caplog: pytest.LogCaptureFixture
) -> None:
    leaked = signer.sign("c1")

    def provider(origin: str) -> str:
        raise ValueError(f"refusing {leaked}")

    w = ConnectionWidget(5, token_provider=provider)
    with caplog.at_level(logging.DEBUG):
        reply = FakeFrontend(w).ready()

    assert reply["kind"] == "load_error"
    assert leaked not in reply["message"]
    assert leaked not in (w.error or "")
    assert leaked not in caplog.text
    assert leaked.split(".")[1] not in caplog.text


@pytest.mark.parametrize("bad", [None, 42, "", "not-a-jwt", "a.b", "a b.c.d"])
def test_provider_returning_something_other_than_a_jwt_is_a_load_error(bad: object) -> None:
    reply = FakeFrontend(ConnectionWidget(5, token_provider=lambda origin: bad)).ready()

    assert reply["kind"] == "load_error"
    assert "token_provider returned" in reply["message"]


@pytest.mark.parametrize("origin", ["", "null", "javascript:alert(1)", 7, "http://x/path"])
def test_ready_with_a_malformed_origin_is_a_load_error(page: FakeFrontend, origin: object) -> None:
    page.deliver({"kind": "ready", "view": "v1", "origin": origin})

    assert page.sent[-1]["kind"] == "load_error"
    assert page.widget.status == "error"


def test_reload_tells_every_view_to_ask_again_and_next_ready_gets_a_new_token(
    page: FakeFrontend, public_pem: bytes
) -> None:
    before = claims_of(page.ready(), public_pem)["jti"]

    page.widget.reload()
    assert page.sent[-1] == {"kind": "reload"}
    after = claims_of(page.ready(), public_pem)["jti"]

    assert after != before


# -- no secrets in state, repr or logs ------------------------------------------------------


def test_synced_state_and_repr_hold_no_token_or_jti(page: FakeFrontend, public_pem: bytes) -> None:
    reply = page.ready()
    token, jti = token_of(reply), claims_of(reply, public_pem)["jti"]
    page.post(status(connected=True))

    state = json.dumps(page.widget.get_state(), default=str)
    for secret in (token, jti, "workato_dl_token"):
        assert secret not in state
        assert secret not in repr(page.widget)
    assert repr(page.widget) == (
        "ConnectionWidget(connection_id=1234, status='connected', provider='salesforce')"
    )


def test_first_state_sent_to_the_page_names_the_connection(
    signer: TokenSigner, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[dict[str, Any]] = []
    monkeypatch.setattr(
        ConnectionWidget, "open", lambda self: opened.append(self.get_state()), raising=True
    )

    ConnectionWidget(4321, signer=signer, customer_id=CUSTOMER)

    assert opened[0]["connection_id"] == 4321


# -- construction errors ------------------------------------------------------------------


def test_needs_exactly_one_token_source(signer: TokenSigner) -> None:
    with pytest.raises(TypeError, match=r"exactly one way to get tokens.*got none"):
        ConnectionWidget(1)
    with pytest.raises(TypeError, match="got signer and token"):
        ConnectionWidget(1, signer=signer, customer_id="c", token="a.b.c")


def test_signer_without_customer_id_is_refused(signer: TokenSigner) -> None:
    with pytest.raises(TypeError, match="customer_id"):
        ConnectionWidget(1, signer=signer)


def test_customer_id_with_colon_is_refused_pointing_to_external_id(signer: TokenSigner) -> None:
    with pytest.raises(ValueError, match="ExternalId"):
        ConnectionWidget(1, signer=signer, customer_id="AM10:XV303")


def test_malformed_premade_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError, match="not a JWT") as info:
        ConnectionWidget(1, token="secret-ish value")
    assert "secret-ish" not in str(info.value)


@pytest.mark.parametrize("connection_id", [0, -3, "12a", True, 1.5])
def test_bad_connection_id_is_refused(connection_id: Any) -> None:
    with pytest.raises((TypeError, ValueError), match="connection"):
        ConnectionWidget(connection_id, token="a.b.c")


def test_plain_http_base_url_off_loopback_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        ConnectionWidget(1, token="a.b.c", base_url="http://workato.example")


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "15", True])
def test_bad_diagnose_after_is_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="diagnose_after"):
        ConnectionWidget(1, token="a.b.c", diagnose_after=value)


# -- messages become traits, events and callbacks ---------------------------------------------


def test_height_change_sets_height(page: FakeFrontend) -> None:
    page.post({"type": "heightChange", "payload": {"height": 321.6}})

    assert page.widget.height == 322


def test_json_string_messages_are_accepted(page: FakeFrontend) -> None:
    page.post(json.dumps(status(connected=True)))

    assert page.widget.connected is True
    assert page.widget.provider == "salesforce"
    assert page.widget.status == "connected"


def test_failed_authorization_sets_error_and_status(page: FakeFrontend) -> None:
    page.post(status(connected=False, error="Authorization failed: bad password"))

    assert page.widget.connected is False
    assert page.widget.error == "Authorization failed: bad password"
    assert page.widget.status == "error"


def test_later_connected_status_without_error_clears_error(page: FakeFrontend) -> None:
    page.post(status(connected=False, error="Authorization failed"))
    page.post(status(connected=True))

    assert page.widget.error is None
    assert page.widget.status == "connected"


def test_disconnected_status(page: FakeFrontend) -> None:
    page.post(status(connected=True))
    page.post(status(connected=False))

    assert (page.widget.connected, page.widget.status) == (False, "disconnected")


def test_error_message_sets_error(page: FakeFrontend) -> None:
    page.post({"type": "error", "payload": {"message": "Token expired", "type": "expired_token"}})

    assert (page.widget.error, page.widget.status) == ("Token expired", "error")


def test_error_text_echoing_a_token_is_redacted_before_it_is_synced(
    page: FakeFrontend, signer: TokenSigner
) -> None:
    token = signer.sign("c1")

    page.post({"type": "error", "payload": {"message": f"invalid token {token}"}})

    assert page.widget.error == "invalid token [redacted]"
    assert token not in json.dumps(page.widget.get_state(), default=str)


def test_rejected_message_changes_nothing_and_is_logged(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        page.post({"type": "heightChange", "payload": {"height": "tall"}})
        page.post({"type": "connectionStatusChange", "payload": {"connected": "yes"}})

    assert page.widget.height == 150
    assert page.widget.connected is None
    assert page.widget.events == ()
    assert caplog.text.count("rejected a message from the iframe") == 2


@pytest.mark.parametrize(
    "content",
    [
        None,
        "ready",
        [],
        {"kind": "ready"},
        {"kind": "ready", "view": ""},
        {"kind": "ready", "view": "x" * 65, "origin": PAGE_ORIGIN},
        {"kind": "launch", "view": "v1"},
    ],
)
def test_malformed_frontend_messages_are_dropped_with_a_warning(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture, content: object
) -> None:
    with caplog.at_level(logging.WARNING):
        page.deliver(content)

    assert page.sent == []
    assert "ignored a frontend message" in caplog.text


def test_events_are_timestamped_typed_and_bounded(signer: TokenSigner) -> None:
    w = ConnectionWidget(1, signer=signer, customer_id="c", max_events=3)
    page = FakeFrontend(w)

    for height in range(10):
        page.post({"type": "heightChange", "payload": {"height": height}}, view="v7")

    assert [e.event for e in w.events] == [HeightChange(7), HeightChange(8), HeightChange(9)]
    assert all(e.view == "v7" and e.at.tzinfo is timezone.utc for e in w.events)


def test_callbacks_get_typed_events_and_can_be_removed(page: FakeFrontend) -> None:
    statuses: list[Any] = []
    errors: list[Any] = []
    messages: list[Any] = []
    unsubscribe = page.widget.on_status_change(statuses.append)
    page.widget.on_error(errors.append)
    page.widget.on_message(messages.append)

    page.post(status(connected=True))
    page.post({"type": "heightChange", "payload": {"height": 10}})
    page.post(status(connected=False, error="nope"))
    unsubscribe()
    page.widget.on_error(errors.append, remove=True)
    page.post(status(connected=True))

    assert statuses == [
        ConnectionStatusChange(id=1234, provider="salesforce", connected=True, error=None),
        ConnectionStatusChange(id=1234, provider="salesforce", connected=False, error="nope"),
    ]
    assert len(errors) == 1
    assert len(messages) == 4


def test_raising_callback_is_logged_and_others_still_run(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Any] = []

    def broken(event: object) -> None:
        raise RuntimeError("user bug")

    page.widget.on_status_change(broken)
    page.widget.on_status_change(seen.append)
    with caplog.at_level(logging.ERROR):
        page.post(status(connected=True))

    assert len(seen) == 1
    assert page.widget.connected is True
    assert "user bug" in caplog.text


def test_observe_sees_connected_once(page: FakeFrontend) -> None:
    changes: list[Any] = []
    page.widget.observe(lambda change: changes.append(change["new"]), names="connected")

    page.post(status(connected=True))
    page.post(status(connected=True))

    assert changes == [True]


# -- wait_for -----------------------------------------------------------------------------


async def test_wait_for_returns_at_once_when_already_true(page: FakeFrontend) -> None:
    page.post(status(connected=True))

    assert await page.widget.wait_for("connected", lambda v: v is True, timeout=0.01) is True


async def test_wait_for_resolves_when_a_message_arrives_later(page: FakeFrontend) -> None:
    loop = asyncio.get_running_loop()
    loop.call_later(0.01, page.post, status(connected=True))

    assert (
        await page.widget.wait_for("status", lambda v: v == "connected", timeout=5) == "connected"
    )


async def test_wait_for_times_out_naming_the_last_value(page: FakeFrontend) -> None:
    page.post(status(connected=False))

    with pytest.raises(TimeoutError, match=r"connected.*last value was False"):
        await page.widget.wait_for("connected", lambda v: v is True, timeout=0.05)


async def test_wait_for_unknown_trait_is_refused(page: FakeFrontend) -> None:
    with pytest.raises(ValueError, match="'token' is not a state trait"):
        await page.widget.wait_for("token")


async def test_wait_for_leaves_no_observer_behind(page: FakeFrontend) -> None:
    before = len(page.widget._trait_notifiers.get("connected", {}).get("change", []))
    for _ in range(20):
        with pytest.raises(TimeoutError):
            await page.widget.wait_for("connected", timeout=0.001)

    after = len(page.widget._trait_notifiers.get("connected", {}).get("change", []))
    assert after == before


# -- diagnostics --------------------------------------------------------------------------


def test_silent_iframe_explains_allowlist_and_cookies(page: FakeFrontend) -> None:
    page.ready()
    errors: list[Any] = []
    page.widget.on_error(errors.append)

    page.deliver({"kind": "silent", "view": "view-1", "origin": PAGE_ORIGIN, "seconds": 15})

    assert page.widget.status == "error"
    assert PAGE_ORIGIN in page.widget.error
    assert "allowed origins" in page.widget.error
    assert "third-party cookies for https://app.workato.com" in page.widget.error
    assert "15 s" in page.widget.error
    assert len(errors) == 1


def test_any_later_message_clears_the_diagnosis(page: FakeFrontend) -> None:
    page.post(status(connected=False))
    page.deliver({"kind": "silent", "view": "view-1", "origin": PAGE_ORIGIN, "seconds": 2})

    page.post({"type": "heightChange", "payload": {"height": 200}})

    assert page.widget.error is None
    assert page.widget.status == "disconnected"


# -- the kernel side does not grow with views ------------------------------------------------


def test_many_views_leave_no_per_view_state(page: FakeFrontend) -> None:
    w = page.widget
    baseline = {k: len(v) for k, v in vars(w).items() if isinstance(v, (list, dict, set))}

    for i in range(300):
        page.ready(view=f"v{i}")
        page.post({"type": "heightChange", "payload": {"height": i}}, view=f"v{i}")
    page.sent.clear()

    grown = {
        k: len(v)
        for k, v in vars(w).items()
        if isinstance(v, (list, dict, set)) and len(v) > baseline.get(k, 0) + 5
    }
    assert grown == {}
    assert len(w.events) == 200
