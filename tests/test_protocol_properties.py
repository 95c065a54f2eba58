"""Property tests: protocol.parse() never raises and accepted events only hold valid values."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import KNOWN_TYPES, json_values, messages, payloads

from workato_ipywidget.protocol import (
    MAX_DEPTH,
    MAX_HEIGHT,
    MAX_MESSAGE_BYTES,
    MAX_PAYLOAD_SIZE,
    MAX_STRING,
    MAX_TYPE_LENGTH,
    ConnectionStatusChange,
    Event,
    HeightChange,
    Rejected,
    Unknown,
    describe,
    parse,
)

FAST = settings(max_examples=300, deadline=None)


def strings_in(value: object) -> list[str]:
    """Every string inside an event field, payload keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings_in(k) + strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def check(result: Event | Rejected) -> None:
    """The invariants the widget relies on."""
    if isinstance(result, Rejected):
        assert isinstance(result.reason, str)
        assert result.reason
        return
    for item in dataclasses.fields(result):
        value = getattr(result, item.name)
        for text in strings_in(value):
            assert len(text) <= MAX_STRING
            text.encode("utf-8")  # no lone surrogates
    if isinstance(result, HeightChange):
        assert type(result.height) is int
        assert 0 <= result.height <= MAX_HEIGHT
    if isinstance(result, ConnectionStatusChange):
        assert result.connected is None or isinstance(result.connected, bool)
        assert result.id is None or isinstance(result.id, (int, str))
        assert not isinstance(result.id, bool)
    if isinstance(result, Unknown):
        assert 0 < len(result.type) <= MAX_TYPE_LENGTH
        text = json.dumps(result.payload, allow_nan=False, ensure_ascii=False)  # strict JSON
        assert len(text) <= MAX_PAYLOAD_SIZE + 1_000
        assert depth_of(result.payload) <= MAX_DEPTH
    line = describe(result)
    assert "\n" not in line


@FAST
@given(messages)
def test_any_message_dict_never_raises_and_keeps_invariants(message: dict[str, Any]) -> None:
    check(parse(message))


@FAST
@given(messages)
def test_any_message_as_json_string_never_raises_and_matches_the_dict(
    message: dict[str, Any],
) -> None:
    raw = json.dumps(message, ensure_ascii=False)
    as_string = parse(raw)
    check(as_string)
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
        assert isinstance(as_string, Rejected)
    else:
        assert type(as_string) is type(parse(message))


@FAST
@given(json_values)
def test_any_json_value_never_raises(value: object) -> None:
    check(parse(value))
    check(parse(json.dumps(value)))


@FAST
@given(st.text(max_size=200))
def test_any_text_never_raises(text: str) -> None:
    check(parse(text))


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(KNOWN_TYPES), payloads)
def test_known_type_with_arbitrary_payload_never_raises(kind: str, payload: dict[str, Any]) -> None:
    check(parse({"type": kind, "payload": payload}))


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0) | st.integers(min_value=0))
def test_any_finite_non_negative_height_is_accepted_and_capped(height: float) -> None:
    result = parse({"type": "heightChange", "payload": {"height": height}})
    assert isinstance(result, HeightChange)
    assert result.height == min(round(height), MAX_HEIGHT)
