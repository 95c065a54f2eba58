"""The one rule both servers (the hub's token service, the sandbox's API) read JSON bodies by."""

from __future__ import annotations

import pytest

from workato_ipywidget.json_body import BodyError, read_json_body


def test_a_json_body_is_decoded_as_it_was_sent() -> None:
    assert read_json_body(b'{"a": [1, "x", null]}', expected="an object") == {"a": [1, "x", None]}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "is not JSON"),
        (b"\xff\xfe\xfa", "is not JSON"),
        (b"[" * 3000 + b"]" * 3000, "nested too deeply"),
        (b'{"id": ' + b"9" * 5000 + b"}", "more than 4300 digits"),
    ],
)
def test_a_body_python_cannot_read_is_one_line_naming_the_problem_and_the_expectation(
    body: bytes, problem: str
) -> None:
    with pytest.raises(BodyError) as caught:
        read_json_body(body, expected="a JSON object")

    assert problem in str(caught.value)
    assert str(caught.value).endswith("; expected a JSON object")
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_body_over_the_limit_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(BodyError, match="over 10 bytes; expected a small object"):
        read_json_body(b'{"a": "0123456789"}', expected="a small object", limit=10)
    assert read_json_body(b"[1]", expected="x", limit=3) == [1]
