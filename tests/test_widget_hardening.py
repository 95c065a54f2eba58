"""The widget under load and hostile input: storms, caps, redaction and callback isolation."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fakes import PAGE_ORIGIN, FakeFrontend

from workato_ipywidget import ConnectionWidget, ErrorMessage, HeightChange, TokenSigner, frame
from workato_ipywidget.protocol import MAX_STRING, TRUNCATION_MARKER

STORM = 10_000


@pytest.fixture(scope="module")
def signer(rsa_key: rsa.RSAPrivateKey) -> TokenSigner:
    return TokenSigner("vendor-h", rsa_key)


@pytest.fixture
def page(signer: TokenSigner) -> FakeFrontend:
    return FakeFrontend(ConnectionWidget(1234, signer=signer, customer_id="cust-h", max_events=50))


def height(value: object) -> dict[str, Any]:
    return {"type": "heightChange", "payload": {"height": value}}


# -- storms ---------------------------------------------------------------------------------


def test_a_storm_of_heights_ends_at_the_exact_last_height_with_a_bounded_log(
    page: FakeFrontend,
) -> None:
    changes: list[int] = []
    seen: list[Any] = []
    page.widget.observe(lambda change: changes.append(change["new"]), names="height")
    page.widget.on_message(seen.append)

    for i in range(STORM):
        page.post(json.dumps(height(i + 0.4)) if i % 2 else height(i))

    assert page.widget.height == STORM - 1
    assert len(page.widget.events) == 50
    assert [e.event for e in page.widget.events] == [HeightChange(h) for h in range(9950, STORM)]
    assert len(seen) == STORM
    assert len(changes) == STORM  # one per new value, the first from the default 150
    assert page.sent == []


def test_a_storm_of_rejected_messages_logs_a_bounded_number_of_warnings(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")

    for _ in range(STORM):
        page.post(height("tall"))

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 25
    assert "further rejected messages are logged at DEBUG" in caplog.text
    assert page.widget.events == ()
    assert page.widget.height == 150


def test_a_storm_of_views_and_callbacks_leaves_the_kernel_side_unchanged(
    page: FakeFrontend,
) -> None:
    widget = page.widget
    for i in range(1_000):
        unsubscribe = widget.on_message(lambda event, i=i: None)
        widget.on_error(print)
        page.ready(view=f"v{i}")
        unsubscribe()
        unsubscribe()  # twice is harmless
    widget.on_error(print, remove=True)

    assert all(callbacks == [] for callbacks in widget._callbacks.values())
    assert len(page.sent) == 1_000


# -- caps: oversized strings are truncated with the marker, end to end ------------------------


def test_an_oversized_error_is_truncated_with_the_marker_in_trait_state_and_log(
    page: FakeFrontend,
) -> None:
    page.post({"type": "error", "payload": {"message": "x" * 50_000, "details": "d" * 50_000}})

    error = page.widget.error
    assert len(error) == MAX_STRING
    assert error.endswith(TRUNCATION_MARKER)
    assert page.widget.get_state()["error"] == error
    (logged,) = page.widget.events
    assert logged.event.message == error
    assert len(logged.event.details) == MAX_STRING


def test_an_oversized_provider_and_status_error_are_truncated_with_the_marker(
    page: FakeFrontend,
) -> None:
    page.post(
        {
            "type": "connectionStatusChange",
            "payload": {"provider": "p" * 9_000, "connected": False, "error": "e" * 9_000},
        }
    )

    for text in (page.widget.provider, page.widget.error):
        assert len(text) == MAX_STRING
        assert text.endswith(TRUNCATION_MARKER)


def test_redacting_tokens_never_makes_the_error_longer_than_the_cap(page: FakeFrontend) -> None:
    # "[redacted]" is longer than the shortest token-shaped word it replaces.
    page.post({"type": "error", "payload": {"message": "eyJabcd " * 1_000}})
    page.post({"type": "connectionStatusChange", "payload": {"error": "eyJabcd " * 1_000}})

    assert len(page.widget.error) <= MAX_STRING
    assert page.widget.error.endswith(TRUNCATION_MARKER)
    assert "eyJabcd" not in page.widget.error


def test_a_silent_report_from_a_very_long_origin_keeps_the_error_within_the_cap(
    page: FakeFrontend,
) -> None:
    origin = "https://" + ".".join(["a" * 63] * 60)  # a valid origin, about 3,900 characters

    page.deliver({"kind": "silent", "view": "view-1", "origin": origin, "seconds": 15})

    assert page.widget.status == "error"
    assert len(page.widget.error) <= MAX_STRING
    assert "allowed origins" in page.widget.error


# -- tokens echoed back by the iframe -----------------------------------------------------------


def test_a_token_echoed_in_an_error_is_redacted_in_the_event_log_and_callbacks(
    page: FakeFrontend, signer: TokenSigner
) -> None:
    token = signer.sign("cust-h", origin=PAGE_ORIGIN)
    received: list[Any] = []
    page.widget.on_error(received.append)

    page.post(
        {
            "type": "error",
            "payload": {"message": f"bad {token}", "type": token, "details": {"t": token}},
        }
    )
    page.post({"type": "connectionStatusChange", "payload": {"error": f"expired: {token}"}})

    shown = repr(page.widget.events) + repr(received)
    assert token not in shown
    assert token.split(".")[1] not in shown
    assert received[0] == ErrorMessage(
        message="bad [redacted]", type="[redacted]", details='{"t":"[redacted]"}'
    )
    assert received[1].error == "expired: [redacted]"


# -- callback isolation -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["message", "status", "error"])
def test_a_raising_callback_of_any_kind_is_logged_and_every_other_callback_runs(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    widget = page.widget
    subscribe = {
        "message": widget.on_message,
        "status": widget.on_status_change,
        "error": widget.on_error,
    }
    calls: dict[str, int] = {name: 0 for name in subscribe}

    def broken(event: object) -> None:
        raise RuntimeError(f"user bug in a {kind} callback")

    def counter(name: str) -> Any:
        def count(event: object) -> None:
            calls[name] += 1

        return count

    subscribe[kind](broken)  # first, so the others run after it raised
    for name, add in subscribe.items():
        add(counter(name))
    with caplog.at_level(logging.ERROR, logger="workato_ipywidget"):
        page.post({"type": "connectionStatusChange", "payload": {"connected": False, "error": "x"}})
        page.post({"type": "connectionStatusChange", "payload": {"connected": True}})

    assert calls == {"message": 2, "status": 2, "error": 1}
    assert widget.status == "connected"
    assert caplog.text.count(f"user bug in a {kind} callback") == (1 if kind == "error" else 2)
    assert f"a {kind} callback" in caplog.text


def test_a_callback_that_unsubscribes_itself_does_not_skip_the_next_one(
    page: FakeFrontend,
) -> None:
    calls: list[str] = []

    def once(event: object) -> None:
        calls.append("once")
        unsubscribe()

    unsubscribe = page.widget.on_message(once)
    page.widget.on_message(lambda event: calls.append("always"))

    page.post(height(1))
    page.post(height(2))

    assert calls == ["once", "always", "always"]


def test_a_keyboard_interrupt_in_a_callback_is_not_swallowed(
    page: FakeFrontend,
) -> None:
    """A callback's KeyboardInterrupt is the user's, and must not be swallowed."""

    def interrupt(event: object) -> None:
        raise KeyboardInterrupt

    page.widget.on_message(interrupt)

    with pytest.raises(KeyboardInterrupt):
        page.widget._on_frontend_msg(
            page.widget, {"kind": "message", "view": "v", "message": height(5)}, []
        )
    assert page.widget.height == 5


@pytest.mark.parametrize("seconds", [10**400, -(10**400), float("nan"), float("inf"), True, "15"])
def test_a_silent_report_with_absurd_seconds_says_a_while_instead_of_failing(
    page: FakeFrontend, seconds: object
) -> None:
    page.widget._on_frontend_msg(
        page.widget, {"kind": "silent", "view": "v", "origin": PAGE_ORIGIN, "seconds": seconds}, []
    )

    assert "sent no message after a while" in page.widget.error


# -- per-view state and warnings (issue 17, item 9) -----------------------------------------


class CountingProvider:
    """A token_provider that counts the tokens it was asked for."""

    def __init__(self, signer: TokenSigner) -> None:
        self.token = signer.sign("cust-h", origin=PAGE_ORIGIN)
        self.calls = 0

    def __call__(self, _origin: str) -> str:
        self.calls += 1
        return self.token


def test_a_storm_of_new_tabs_from_distinct_views_tracks_and_mints_a_bounded_number(
    signer: TokenSigner,
) -> None:
    provider = CountingProvider(signer)
    page = FakeFrontend(ConnectionWidget(1234, token_provider=provider))

    for i in range(5_000):
        page.deliver({"kind": "open_tab", "view": f"tab-{i}", "origin": PAGE_ORIGIN})

    widget = page.widget
    assert len(widget._tabs) <= frame.MAX_OPEN_TABS
    assert len(widget._tab_mints) <= frame.MAX_OPEN_TABS
    assert provider.calls == frame.TAB_TOKENS_PER_MINUTE_IN_ALL
    refused = [m for m in page.sent if m["kind"] == "tab_error"]
    assert len(refused) == 5_000 - provider.calls
    assert "too many new tabs in a minute" in refused[-1]["message"]


def test_one_view_gets_a_few_new_tab_tokens_a_minute(signer: TokenSigner) -> None:
    provider = CountingProvider(signer)
    page = FakeFrontend(ConnectionWidget(1234, token_provider=provider))

    for _ in range(10):
        page.deliver({"kind": "open_tab", "view": "view-1", "origin": PAGE_ORIGIN})

    kinds = [m["kind"] for m in page.sent]
    assert kinds == ["tab"] * frame.TAB_TOKENS_PER_MINUTE + ["tab_error"] * (
        10 - frame.TAB_TOKENS_PER_MINUTE
    )
    assert provider.calls == frame.TAB_TOKENS_PER_MINUTE
    page.deliver({"kind": "open_tab", "view": "view-2", "origin": PAGE_ORIGIN})
    assert page.sent[-1]["kind"] == "tab"  # another view still can


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("non-object messages", ["not", "an", "object"]),
        ("bad view ids", {"kind": "ready", "view": "", "origin": PAGE_ORIGIN}),
        ("unknown kinds", {"kind": "whatever", "view": "view-1"}),
        ("ready with a bad origin", {"kind": "ready", "view": "view-1", "origin": "null"}),
    ],
)
def test_a_storm_of_malformed_frontend_messages_logs_a_bounded_number_of_warnings(
    page: FakeFrontend, caplog: pytest.LogCaptureFixture, name: str, content: object
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")

    for _ in range(2_000):
        page.deliver(content)

    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 21, name
    assert "are logged at DEBUG" in warnings[-1].getMessage(), name
    assert len([r for r in caplog.records if r.levelno == logging.DEBUG]) >= 1_900, name


def test_a_ping_gets_a_pong_for_its_view_and_mints_nothing(signer: TokenSigner) -> None:
    provider = CountingProvider(signer)
    page = FakeFrontend(ConnectionWidget(1234, token_provider=provider))

    page.deliver({"kind": "ping", "view": "view-9"})

    assert page.sent == [{"kind": "pong", "view": "view-9"}]
    assert provider.calls == 0
