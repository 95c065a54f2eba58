"""Property tests: whatever a page sends, the widget's handler never raises, answers only a
view's `ready`, and its synced traits only ever hold values the frontend can trust."""

from __future__ import annotations

import json
from typing import Any, get_args
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fakes import FakeFrontend
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values, messages, scalars, texts

from workato_ipywidget import ConnectionWidget, TokenSigner
from workato_ipywidget.endpoints import normalize_origin
from workato_ipywidget.protocol import MAX_HEIGHT, MAX_STRING, Event, Rejected

CONNECTION_ID = 4321
MAX_EVENTS = 5
STATUSES = {"loading", "connected", "disconnected", "error"}
FAST = settings(max_examples=150, deadline=None)

iframe_messages = messages | messages.map(json.dumps) | json_values

views = st.sampled_from(["view-1", "view-2", "", "x" * 64, "x" * 65]) | st.text(max_size=70)
# Origins: well-formed ones, very long well-formed ones, and junk.
long_hosts = st.integers(min_value=1, max_value=60).map(lambda n: ".".join(["a" * 63] * n))
origins = (
    st.sampled_from(["http://localhost:8888", "https://nb.example", "null", "", "javascript:x"])
    | long_hosts.map(lambda host: f"https://{host}")
    | texts
    | json_values
)
kinds = (
    st.sampled_from(
        ["ready", "message", "silent", "load", "reload", "launch", "open_tab", "tab_closed"]
    )
    | json_values
)
frontend_contents = (
    st.fixed_dictionaries(
        {"kind": kinds, "view": views | json_values},
        optional={
            "origin": origins,
            "message": iframe_messages,
            "seconds": scalars,
        },
    )
    | json_values
)


@pytest.fixture(scope="module")
def signer(rsa_key: rsa.RSAPrivateKey) -> TokenSigner:
    return TokenSigner("vendor-p", rsa_key)


class Observed:
    """A fresh widget on a fake page, with every callback kind recorded."""

    def __init__(self, signer: TokenSigner) -> None:
        self.widget = ConnectionWidget(
            CONNECTION_ID, signer=signer, customer_id="cust-p", max_events=MAX_EVENTS
        )
        self.page = FakeFrontend(self.widget)
        self.called: list[object] = []
        for subscribe in (
            self.widget.on_message,
            self.widget.on_status_change,
            self.widget.on_error,
        ):
            subscribe(self.called.append)
        # The comm handler below is all ipywidgets calls for a custom message; calling it
        # directly means an exception would reach the test instead of ipywidgets' log.
        assert self.widget._msg_callbacks.callbacks == [self.widget._on_frontend_msg]

    def handle(self, content: object) -> list[dict[str, Any]]:
        """Run the widget's comm handler on `content` (raising if it raises); return its replies."""
        before = len(self.page.sent)
        self.widget._on_frontend_msg(self.widget, content, [])
        return self.page.sent[before:]


def assert_traits_valid(widget: ConnectionWidget) -> None:
    assert type(widget.height) is int
    assert 0 <= widget.height <= MAX_HEIGHT
    assert widget.connected is None or type(widget.connected) is bool
    for text in (widget.provider, widget.error):
        assert text is None or (isinstance(text, str) and len(text) <= MAX_STRING)
        if text is not None:
            text.encode("utf-8")  # no lone surrogates: the frontend must be able to receive it
    assert widget.status in STATUSES
    assert len(widget.events) <= MAX_EVENTS
    json.dumps(widget.get_state(), allow_nan=False)  # strict JSON: it is synced and saved


def assert_expected_replies(
    content: object, replies: list[dict[str, Any]], public_pem: bytes
) -> None:
    """Only a `ready` (or `open_tab`) with a valid view id is answered, once, to that view."""
    view = content.get("view") if isinstance(content, dict) else None
    kind = content.get("kind") if isinstance(content, dict) else None
    answered = kind in ("ready", "open_tab") and isinstance(view, str) and 0 < len(view) <= 64
    if not answered:
        assert replies == []
        return
    assert len(replies) == 1
    (reply,) = replies
    assert reply["view"] == view
    url_kind, error_kind = ("load", "load_error") if kind == "ready" else ("tab", "tab_error")
    assert reply["kind"] in {url_kind, error_kind}
    if reply["kind"] == error_kind:
        assert set(reply) == {"kind", "view", "message"}
        assert isinstance(reply["message"], str)
        return
    assert set(reply) == (
        {"kind", "view", "url", "origins"} if kind == "ready" else {"kind", "view", "url"}
    )
    prefix = f"https://app.workato.com/direct_link/embedded/connections/{CONNECTION_ID}?"
    assert reply["url"].startswith(prefix)
    (token,) = parse_qs(urlsplit(reply["url"]).query)["workato_dl_token"]
    claims = jwt.decode(token, public_pem, algorithms=["RS256"])
    assert claims["origin"] == normalize_origin(content["origin"])


@FAST
@given(st.lists(iframe_messages, max_size=8))
def test_any_iframe_messages_never_raise_and_keep_traits_valid(
    signer: TokenSigner, public_pem: bytes, batch: list[object]
) -> None:
    observed = Observed(signer)

    for message in batch:
        content = {"kind": "message", "view": "view-1", "message": message}
        assert observed.handle(content) == []
        assert_traits_valid(observed.widget)

    assert all(not isinstance(event, Rejected) for event in observed.called)
    assert all(isinstance(event, get_args(Event)) for event in observed.called)


@FAST
@given(st.lists(frontend_contents, max_size=8))
def test_any_frontend_contents_never_raise_and_answer_only_a_ready_or_open_tab(
    signer: TokenSigner, public_pem: bytes, batch: list[object]
) -> None:
    observed = Observed(signer)

    for content in batch:
        replies = observed.handle(content)
        assert_expected_replies(content, replies, public_pem)
        assert_traits_valid(observed.widget)
