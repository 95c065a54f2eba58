"""Property: a real signed token put anywhere in any iframe message is found nowhere afterwards.

Not in the event log, synced (and so saved) state, `repr`, what callbacks receive, or log lines,
for both widgets, whatever shape the message has and however the token is written.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any
from urllib.parse import quote

import pytest
from fakes import FakeFrontend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import KNOWN_TYPES, messages

from workato_ipywidget import ConnectionWidget, EmbeddedPage, TokenSigner, WorkatoFrame
from workato_ipywidget.redaction import redact

CUSTOMER = "cust-r"


@pytest.fixture(scope="module")
def token(rsa_key: Any) -> str:
    return TokenSigner("vendor-r", rsa_key).sign(CUSTOMER, origin="http://localhost:8888")


def spellings(token: str) -> list[str]:
    """The ways a page may write a token: bare, as Workato's parameter, URL-encoded, and so on."""
    return [
        token,
        f"workato_dl_token={token}",
        f"?workato_dl_path=%2Frecipes&workato_dl_token={token}&x=1",
        f"#workato_dl_token={token}",
        f"workato_dl_token%3D{token}",
        quote(f"https://app.workato.com/r?workato_dl_token={token}", safe=""),
        quote(quote(f"/r?workato_dl_token={token}", safe=""), safe=""),
        token.replace(".", "%2E"),
        token.replace(".", "%252E"),
        f"/recipes/{token}/jobs",
        f"Bearer {token}",
    ]


def plant(value: Any, data: st.DataObject, needle: str) -> tuple[Any, bool]:
    """Put `needle` into one string of `value` (a key, a value, or a new field); say if it did."""
    if isinstance(value, str):
        at = data.draw(st.integers(0, len(value)))
        return value[:at] + needle + value[at:], True
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        keys = list(value)
        key = data.draw(st.sampled_from(keys))
        if isinstance(key, str) and data.draw(st.booleans()):
            out = dict(value)
            out[key[:1] + needle + key[1:]] = out.pop(key)
            return out, True
        planted, done = plant(value[key], data, needle)
        return {**value, key: planted}, done
    if isinstance(value, list) and value:
        i = data.draw(st.integers(0, len(value) - 1))
        planted, done = plant(value[i], data, needle)
        return [*value[:i], planted, *value[i + 1 :]], done
    return value, False


def carrier(data: st.DataObject, needle: str) -> Any:
    """A message holding `needle` somewhere: in a drawn message, or in a known field."""
    message = data.draw(messages)
    planted, done = plant(message, data, needle)
    if done:
        return planted
    kind = data.draw(st.sampled_from([*KNOWN_TYPES, "somethingNew"]))
    field = data.draw(
        st.sampled_from(["url", "message", "details", "provider", "error", "title", "id", "x"])
    )
    return {"type": kind, "payload": {field: needle, "connected": False}}


def everything_kept(frame: WorkatoFrame, received: list[Any], log_text: str) -> str:
    """Every place a user or a saved notebook can see."""
    events = [repr(e) for e in frame.events]
    events += [json.dumps(dataclasses.asdict(e.event), default=str) for e in frame.events]
    return "\n".join(
        [
            *events,
            json.dumps(frame.get_state(), default=str),
            repr(frame),
            *map(repr, received),
            log_text,
        ]
    )


@pytest.mark.parametrize("widget", [ConnectionWidget, EmbeddedPage])
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_real_token_anywhere_in_any_message_is_kept_nowhere(
    widget: type[WorkatoFrame],
    token: str,
    data: st.DataObject,
    caplog: pytest.LogCaptureFixture,
) -> None:
    needle = data.draw(st.sampled_from(spellings(token)))
    message = carrier(data, needle)
    if data.draw(st.booleans()):
        message = json.dumps(message)
    frame = (
        ConnectionWidget(5, token=token)
        if widget is ConnectionWidget
        else EmbeddedPage("/recipes", token=token)
    )
    page = FakeFrontend(frame)
    received: list[Any] = []
    frame.on_message(received.append)
    caplog.clear()

    with caplog.at_level(logging.DEBUG):
        page.post(message)

    kept = everything_kept(frame, received, caplog.text)
    signature = token.rsplit(".", 1)[1]
    assert token not in kept
    assert signature not in kept
    assert signature[:40] not in kept


def test_redaction_covers_every_spelling(token: str) -> None:
    signature = token.rsplit(".", 1)[1]
    for text in spellings(token):
        assert signature[:40] not in redact(text), text
