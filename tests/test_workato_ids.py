"""One rule for a Workato id, wherever one is taken: the client's calls, a connection URL, the
sandbox's records."""

from __future__ import annotations

import pytest

from workato_ipywidget.checks import check_workato_id
from workato_ipywidget.sandbox.records import parse_connection_id


@pytest.mark.parametrize(("given", "expected"), [(1, 1), ("42", 42), (10**17, 10**17)])
def test_an_id_is_a_positive_int_or_its_digits(given: int | str, expected: int) -> None:
    assert check_workato_id("recipe_id", given) == expected
    assert parse_connection_id(given) == expected


@pytest.mark.parametrize("bad", [0, -3, "0", "", "12a", " 12", "-1", "1e3", "١٢", "²"])
def test_anything_else_is_a_value_error_naming_the_id_and_an_example(bad: int | str) -> None:
    with pytest.raises(ValueError, match=r"^recipe_id .*e\.g\. 12345$"):
        check_workato_id("recipe_id", bad)


@pytest.mark.parametrize("bad", [True, 1.0, None, [1]])
def test_a_value_of_the_wrong_type_is_a_type_error_naming_its_type(bad: object) -> None:
    with pytest.raises(TypeError, match=f"not {type(bad).__name__}$"):
        check_workato_id("since_id", bad)
