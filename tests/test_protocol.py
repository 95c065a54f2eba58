"""protocol.parse(): Workato's postMessages become typed events; anything else is Rejected."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from workato_ipywidget.protocol import (
    MAX_DEPTH,
    MAX_HEIGHT,
    MAX_MESSAGE_BYTES,
    MAX_PAYLOAD_SIZE,
    MAX_STRING,
    TRUNCATION_MARKER,
    Click,
    ConnectionStatusChange,
    ErrorMessage,
    Event,
    HeightChange,
    Loaded,
    Navigated,
    Rejected,
    Unknown,
    Unloaded,
    describe,
    parse,
)


def both_forms(message: dict[str, Any]) -> list[object]:
    """The message as the bridge may forward it: an object, or Workato's JSON string."""
    return [message, json.dumps(message)]


def accepted(raw: object) -> Event:
    result = parse(raw)
    assert not isinstance(result, Rejected), result
    return result


def rejected(raw: object) -> str:
    result = parse(raw)
    assert isinstance(result, Rejected), result
    assert result.reason
    return result.reason


# --- valid messages of each type, as an object and as a JSON string ---------------------------


@pytest.mark.parametrize(
    ("message", "event"),
    [
        ({"type": "heightChange", "payload": {"height": 420}}, HeightChange(420)),
        (
            {
                "type": "connectionStatusChange",
                "payload": {"id": 42, "provider": "salesforce", "connected": True},
            },
            ConnectionStatusChange(id=42, provider="salesforce", connected=True, error=None),
        ),
        (
            {
                "type": "connectionStatusChange",
                "payload": {"id": 42, "provider": "jira", "connected": False, "error": "Bad creds"},
            },
            ConnectionStatusChange(id=42, provider="jira", connected=False, error="Bad creds"),
        ),
        ({"type": "error", "payload": {"message": "Boom"}}, ErrorMessage("Boom")),
        (
            {"type": "error", "payload": {"message": "Boom", "type": "auth", "details": "why"}},
            ErrorMessage("Boom", type="auth", details="why"),
        ),
        ({"type": "loaded", "payload": {"url": "https://x.test/a"}}, Loaded("https://x.test/a")),
        (
            {"type": "navigated", "payload": {"url": "https://x.test/b", "replaced": True}},
            Navigated("https://x.test/b", replaced=True),
        ),
        ({"type": "unloaded"}, Unloaded()),
        ({"type": "click", "payload": {}}, Click()),
    ],
)
def test_each_known_type_parses_from_object_and_json_string(
    message: dict[str, Any], event: Event
) -> None:
    for raw in both_forms(message):
        assert parse(raw) == event


def test_seed_example_messages_parse_as_workato_documents_them() -> None:
    # The shapes in Workato's "Embedded connections" page, sent as JSON strings.
    assert parse('{"type":"heightChange","payload":{"height":150}}') == HeightChange(150)
    assert parse(
        '{"type":"connectionStatusChange","payload":{"id":123,"provider":"salesforce"}}'
    ) == ConnectionStatusChange(id=123, provider="salesforce", connected=None, error=None)
    assert parse('{"type":"error","payload":{"message":"Unexpected"}}') == ErrorMessage(
        "Unexpected"
    )


def test_error_beside_the_payload_is_used_as_workatos_sample_reads_data_error() -> None:
    event = accepted(
        {"type": "connectionStatusChange", "payload": {"connected": False}, "error": "Expired"}
    )
    assert isinstance(event, ConnectionStatusChange)
    assert event.error == "Expired"


def test_error_inside_the_payload_wins_over_one_beside_it() -> None:
    event = accepted(
        {"type": "connectionStatusChange", "payload": {"error": "inner"}, "error": "outer"}
    )
    assert isinstance(event, ConnectionStatusChange)
    assert event.error == "inner"


def test_missing_payload_is_empty_for_events_without_fields() -> None:
    assert parse({"type": "unloaded"}) == Unloaded()
    assert parse({"type": "click", "payload": None}) == Click()
    assert parse({"type": "loaded"}) == Loaded(None)
    assert parse({"type": "navigated"}) == Navigated(None, replaced=False)
    assert parse({"type": "somethingNew"}) == Unknown("somethingNew", {})


def test_extra_fields_are_ignored() -> None:
    message = {"type": "heightChange", "payload": {"height": 10, "extra": [1]}, "x": 1}
    assert parse(message) == HeightChange(10)


# --- heightChange -----------------------------------------------------------------------------


@pytest.mark.parametrize(("height", "expected"), [(0, 0), (0.4, 0), (99.6, 100), (-0.0, 0)])
def test_height_is_rounded_to_an_int(height: float, expected: int) -> None:
    event = accepted({"type": "heightChange", "payload": {"height": height}})
    assert event == HeightChange(expected)
    assert isinstance(event, HeightChange)
    assert type(event.height) is int


@pytest.mark.parametrize("height", [MAX_HEIGHT + 1, 1e300, 10**400])
def test_huge_height_is_capped_at_max_height(height: float) -> None:
    assert parse({"type": "heightChange", "payload": {"height": height}}) == HeightChange(
        MAX_HEIGHT
    )


@pytest.mark.parametrize(
    "height",
    [-1, -0.5, math.nan, math.inf, -math.inf, "150", "abc", True, False, None, [1], {"v": 1}],
)
def test_invalid_height_is_rejected(height: object) -> None:
    reason = rejected({"type": "heightChange", "payload": {"height": height}})
    assert reason.startswith("heightChange.height must be a finite number >= 0, got ")


def test_rejection_quotes_the_offending_value_and_its_type() -> None:
    reason = rejected({"type": "heightChange", "payload": {"height": "abc"}})
    assert reason == "heightChange.height must be a finite number >= 0, got 'abc' (str)"


def test_rejection_quotes_at_most_forty_characters_of_a_value() -> None:
    reason = rejected({"type": "heightChange", "payload": {"height": "s" * 10_000}})
    assert "s" * 40 + "…" in reason
    assert "s" * 41 not in reason
    assert len(reason) < 200


def test_nan_and_infinity_in_a_json_string_are_rejected_as_heights() -> None:
    for literal in ("NaN", "Infinity", "-Infinity"):
        reason = rejected('{"type":"heightChange","payload":{"height":' + literal + "}}")
        assert "finite number" in reason


def test_height_change_without_a_payload_is_rejected() -> None:
    assert "needs an object payload" in rejected({"type": "heightChange"})


def test_height_change_without_a_height_is_rejected() -> None:
    assert "got null" in rejected({"type": "heightChange", "payload": {}})


# --- connectionStatusChange ---------------------------------------------------------------------


@pytest.mark.parametrize("connected", ["true", 1, 0, [], {}])
def test_connected_that_is_not_a_bool_is_rejected(connected: object) -> None:
    reason = rejected({"type": "connectionStatusChange", "payload": {"connected": connected}})
    assert reason.startswith("connectionStatusChange.connected must be true or false")


def test_connected_null_means_unknown() -> None:
    event = parse({"type": "connectionStatusChange", "payload": {"connected": None}})
    assert event == ConnectionStatusChange(connected=None)


def test_connection_status_change_without_a_payload_is_rejected() -> None:
    assert "needs an object payload" in rejected({"type": "connectionStatusChange"})


@pytest.mark.parametrize(("raw_id", "expected"), [(7, 7), ("E7", "E7"), (7.0, 7), (None, None)])
def test_connection_id_may_be_an_int_or_a_string(raw_id: object, expected: object) -> None:
    event = accepted({"type": "connectionStatusChange", "payload": {"id": raw_id}})
    assert isinstance(event, ConnectionStatusChange)
    assert event.id == expected


@pytest.mark.parametrize("raw_id", [True, 1.5, math.nan, [1], {"a": 1}, 2**70])
def test_connection_id_of_another_kind_is_rejected(raw_id: object) -> None:
    reason = rejected({"type": "connectionStatusChange", "payload": {"id": raw_id}})
    assert reason.startswith("connectionStatusChange.id must be an integer or a string")


@pytest.mark.parametrize("provider", [1, True, ["salesforce"], {}])
def test_provider_that_is_not_a_string_is_rejected(provider: object) -> None:
    reason = rejected({"type": "connectionStatusChange", "payload": {"provider": provider}})
    assert reason.startswith("connectionStatusChange.provider must be a string")


def test_error_object_is_kept_as_compact_json() -> None:
    event = accepted(
        {
            "type": "connectionStatusChange",
            "payload": {"connected": False, "error": {"code": 401, "text": "Unauthorized"}},
        }
    )
    assert isinstance(event, ConnectionStatusChange)
    assert event.error == '{"code":401,"text":"Unauthorized"}'


def test_error_object_with_nan_still_dumps_as_strict_json() -> None:
    event = accepted({"type": "connectionStatusChange", "payload": {"error": [math.nan, 1]}})
    assert isinstance(event, ConnectionStatusChange)
    assert event.error == "[null,1]"


@pytest.mark.parametrize("error", [None, False, "", "   "])
def test_empty_or_false_error_means_no_error(error: object) -> None:
    event = accepted({"type": "connectionStatusChange", "payload": {"error": error}})
    assert isinstance(event, ConnectionStatusChange)
    assert event.error is None


def test_huge_error_object_is_capped() -> None:
    event = accepted(
        {"type": "connectionStatusChange", "payload": {"error": {"k": ["v" * 500] * 100}}}
    )
    assert isinstance(event, ConnectionStatusChange)
    assert event.error is not None
    assert len(event.error) == MAX_STRING
    assert event.error.endswith(TRUNCATION_MARKER)


# --- error --------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", [{}, {"message": None}, {"message": 5}, {"message": ["x"]}])
def test_error_without_a_string_message_is_rejected(payload: dict[str, object]) -> None:
    assert rejected({"type": "error", "payload": payload}).startswith(
        "error.message must be a string"
    )


def test_error_without_a_payload_is_rejected() -> None:
    assert "needs an object payload" in rejected('{"type":"error"}')


def test_error_details_that_are_not_a_string_are_dumped_as_json() -> None:
    event = accepted(
        {"type": "error", "payload": {"message": "m", "type": 3, "details": {"a": [1, None]}}}
    )
    assert event == ErrorMessage("m", type="3", details='{"a":[1,null]}')


# --- loaded / navigated -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["loaded", "navigated"])
def test_url_that_is_not_a_string_is_rejected(kind: str) -> None:
    assert rejected({"type": kind, "payload": {"url": 5}}).startswith(
        f"{kind}.url must be a string"
    )


def test_navigated_replaced_that_is_not_a_bool_is_rejected() -> None:
    reason = rejected({"type": "navigated", "payload": {"url": "u", "replaced": "yes"}})
    assert reason.startswith("navigated.replaced must be true or false")


def test_token_in_a_reported_url_is_redacted() -> None:
    url = "https://app.workato.com/direct_link?workato_dl_path=%2Fa&workato_dl_token=eyJh.eyJi.sig"
    event = accepted({"type": "loaded", "payload": {"url": url}})
    assert isinstance(event, Loaded)
    assert event.url == (
        "https://app.workato.com/direct_link?workato_dl_path=%2Fa&workato_dl_token=[redacted]"
    )


# --- envelope: type and payload -----------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, "", "   ", 5, True, ["heightChange"], {"a": 1}])
def test_type_that_is_not_a_non_empty_string_is_rejected(kind: object) -> None:
    assert rejected({"type": kind, "payload": {}}).startswith(
        "message type must be a non-empty string"
    )


def test_missing_type_is_rejected() -> None:
    assert rejected({"payload": {"height": 1}}).startswith("message type must be")


def test_overlong_type_is_rejected() -> None:
    assert "at most 100 characters" in rejected({"type": "t" * 101})
    assert parse({"type": "t" * 100}) == Unknown("t" * 100, {})


@pytest.mark.parametrize("payload", [[1], "x", 5, True, 1.5])
@pytest.mark.parametrize("kind", ["heightChange", "click", "unloaded", "loaded", "brandNew"])
def test_payload_that_is_not_an_object_is_rejected(kind: str, payload: object) -> None:
    assert "payload must be an object" in rejected({"type": kind, "payload": payload})


@pytest.mark.parametrize(
    "raw", [None, 5, 1.5, True, [], [{"type": "click"}], "null", "5", '"click"', "[]", b"{}"]
)
def test_message_that_is_not_an_object_is_rejected(raw: object) -> None:
    assert rejected(raw).startswith("message must be an object {type, payload}")


@pytest.mark.parametrize("raw", ["", "{", "click", "{'type': 'click'}", '{"type":"click"} x'])
def test_invalid_json_is_rejected(raw: str) -> None:
    assert rejected(raw).startswith("message is not valid JSON")


def test_json_string_over_the_size_limit_is_rejected_before_parsing() -> None:
    raw = json.dumps({"type": "error", "payload": {"message": "x" * MAX_MESSAGE_BYTES}})
    assert "64 KiB" in rejected(raw)


def test_json_string_over_the_limit_in_utf8_bytes_is_rejected() -> None:
    raw = json.dumps({"type": "x", "payload": {"m": "é" * 40_000}}, ensure_ascii=False)
    assert len(raw) < MAX_MESSAGE_BYTES
    assert "64 KiB" in rejected(raw)


def test_deeply_nested_json_string_is_rejected_not_raised() -> None:
    assert rejected("[" * 60_000 + "]" * 60_000)


def test_json_number_with_too_many_digits_is_rejected_not_raised() -> None:
    assert rejected('{"type":"heightChange","payload":{"height":' + "9" * 6000 + "}}")


def test_misbehaving_dict_subclass_is_rejected_not_raised() -> None:
    class Hostile(dict[str, object]):
        def get(self, key: object, default: object = None) -> object:
            raise KeyError(key)

    assert "could not be read (KeyError)" in rejected(Hostile(type="click"))


def test_non_string_keys_are_ignored() -> None:
    assert parse({1: "x", ("t",): 2, "type": "click"}) == Click()


# --- strings are capped -------------------------------------------------------------------------


def test_long_string_is_truncated_to_max_string_with_the_marker() -> None:
    event = accepted({"type": "error", "payload": {"message": "m" * 100_000}})
    assert isinstance(event, ErrorMessage)
    assert len(event.message) == MAX_STRING
    assert event.message == "m" * (MAX_STRING - len(TRUNCATION_MARKER)) + TRUNCATION_MARKER


def test_string_at_the_limit_is_not_truncated() -> None:
    event = accepted({"type": "error", "payload": {"message": "m" * MAX_STRING}})
    assert event == ErrorMessage("m" * MAX_STRING)


@pytest.mark.parametrize("field", ["provider", "id", "error"])
def test_long_connection_fields_are_truncated(field: str) -> None:
    event = accepted({"type": "connectionStatusChange", "payload": {field: "p" * 5000}})
    value = getattr(event, field)
    assert len(value) == MAX_STRING
    assert value.endswith(TRUNCATION_MARKER)


def test_lone_surrogates_are_replaced_so_text_is_valid_utf8() -> None:
    event = accepted('{"type":"error","payload":{"message":"a\\ud800b"}}')
    assert event == ErrorMessage("a\ufffdb")


# --- unknown types ------------------------------------------------------------------------------


def test_unknown_type_keeps_a_sanitized_payload() -> None:
    event = parse(
        {"type": "newThing", "payload": {"a": [1, 2.5, True, None, "s"], "b": {"c": "d"}}}
    )
    assert event == Unknown("newThing", {"a": [1, 2.5, True, None, "s"], "b": {"c": "d"}})


def test_unknown_payload_replaces_non_finite_floats_and_non_json_values() -> None:
    event = accepted(
        {
            "type": "newThing",
            "payload": {"n": math.nan, "i": -math.inf, "o": object(), "t": (1, 2), 3: "int key"},
        }
    )
    assert isinstance(event, Unknown)
    assert event.payload == {"n": None, "i": None, "o": None, "t": [1, 2]}


def test_unknown_payload_caps_strings_and_keys() -> None:
    event = accepted({"type": "newThing", "payload": {"k" * 5000: "v" * 5000}})
    assert isinstance(event, Unknown)
    ((key, value),) = event.payload.items()
    assert len(key) == MAX_STRING
    assert isinstance(value, str)
    assert len(value) == MAX_STRING


def test_unknown_payload_nesting_is_cut_with_the_marker() -> None:
    nested: dict[str, Any] = {}
    inner = nested
    for _ in range(50):
        inner["d"] = {}
        inner = inner["d"]
    event = accepted({"type": "newThing", "payload": nested})
    assert isinstance(event, Unknown)
    node: Any = event.payload
    depth = 0
    while isinstance(node, dict):
        node = node["d"]
        depth += 1
    assert node == TRUNCATION_MARKER
    assert depth == MAX_DEPTH


def test_cyclic_payload_is_cut_not_recursed_forever() -> None:
    cyclic: dict[str, Any] = {"type": "newThing"}
    cyclic["payload"] = cyclic
    event = accepted(cyclic)
    assert isinstance(event, Unknown)
    json.dumps(event.payload, allow_nan=False)


def test_unknown_payload_total_size_is_bounded() -> None:
    payload = {f"k{i}": ["v" * 1000] * 100 for i in range(100)}  # about 10 MB of text
    event = accepted({"type": "newThing", "payload": payload})
    assert isinstance(event, Unknown)
    text = json.dumps(event.payload, allow_nan=False, ensure_ascii=False)
    assert len(text) <= MAX_PAYLOAD_SIZE + 1_000
    assert TRUNCATION_MARKER in text


def test_wide_cyclic_list_is_bounded_by_the_size_budget() -> None:
    wide: list[Any] = []
    wide.extend([wide] * 1000)
    event = accepted({"type": "newThing", "payload": {"w": wide}})
    assert isinstance(event, Unknown)
    assert len(json.dumps(event.payload, ensure_ascii=False)) <= MAX_PAYLOAD_SIZE + 1_000


def test_navigation_sent_by_the_host_is_an_unknown_type_here() -> None:
    assert parse('{"type":"navigation","payload":{"url":"/x"}}') == Unknown(
        "navigation", {"url": "/x"}
    )


# --- describe -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (HeightChange(420), "heightChange: 420px"),
        (
            ConnectionStatusChange(provider="salesforce", connected=True),
            "connectionStatusChange: salesforce connected",
        ),
        (
            ConnectionStatusChange(id=7, provider="jira", connected=False, error="Bad creds"),
            "connectionStatusChange: jira #7 disconnected (error: Bad creds)",
        ),
        (ConnectionStatusChange(), "connectionStatusChange: connection status unknown"),
        (ErrorMessage("Boom", type="auth"), "error [auth]: Boom"),
        (Loaded("https://x.test/a?workato_dl_token=secret#f"), "loaded: https://x.test/a"),
        (Navigated(None, replaced=True), "navigated: (no url) (replaced)"),
        (Unloaded(), "unloaded"),
        (Click(), "click"),
        (Unknown("newThing", {"a": 1, "b": 2}), "newThing (unknown type): {a, b}"),
        (Rejected("bad"), "rejected: bad"),
    ],
)
def test_describe_gives_a_short_line(event: Event | Rejected, text: str) -> None:
    assert describe(event) == text


def test_describe_is_one_short_line_even_for_hostile_text() -> None:
    event = ErrorMessage("line1\nline2\r\u2028" + "x" * 5000, type="t\n")
    text = describe(event)
    assert "\n" not in text
    assert "\r" not in text
    assert len(text) < 200


def test_events_are_frozen() -> None:
    event = HeightChange(1)
    with pytest.raises(AttributeError):
        event.height = 2  # type: ignore[misc]
