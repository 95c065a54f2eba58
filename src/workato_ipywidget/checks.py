"""Argument checks shared by every module that takes seconds or counts from a caller.

One wording everywhere: the name of the argument, what was expected, and what was given.
"""

from __future__ import annotations

import math

__all__ = ["check_seconds", "check_whole_number", "check_workato_id"]


def check_seconds(
    name: str, value: object, *, zero: bool = False, finite: bool = True, off: str = ""
) -> float:
    """A positive number of seconds (or >= 0 with `zero`), finite unless `finite` is False.

    Args:
        name: the argument as the caller wrote it, for the message.
        value: what was given.
        zero: accept 0 too.
        finite: refuse infinity (NaN is always refused).
        off: what else the caller accepts, for the message (e.g. " or None (no polling)").

    Returns:
        The value as a float.

    Raises:
        ValueError: naming `name`, the expectation and the value.
    """
    number = (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and not math.isnan(value)
        and (math.isfinite(value) or not finite)
    )
    if not number or (value < 0 if zero else value <= 0):  # type: ignore[operator]
        wanted = "a number of seconds >= 0" if zero else "a positive number of seconds"
        raise ValueError(f"{name} must be {wanted}{off}, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def check_whole_number(name: str, value: object, *, minimum: int = 1, off: str = "") -> int:
    """A whole number (an int, not a bool) of at least `minimum`.

    Args:
        name: the argument as the caller wrote it, for the message.
        value: what was given.
        minimum: the smallest value accepted.
        off: what else the caller accepts, for the message.

    Returns:
        The value.

    Raises:
        ValueError: naming `name`, the expectation and the value.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}{off}, got {value!r}")
    return value


def check_workato_id(name: str, value: object) -> int:
    """A Workato id (a connection's, a recipe's): a positive int, or the string of its digits.

    Args:
        name: the id as the message names it, e.g. "the connection id" or "recipe_id".
        value: what was given.

    Returns:
        The id as an int.

    Raises:
        TypeError: `value` is neither an int nor a str (a bool is neither).
        ValueError: a str that is not ASCII digits, or an id that is not positive.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"{name} must be a positive int or a string of digits, not {type(value).__name__}"
        )
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(
                f"{name} {value[:60]!r} is not a string of digits; expected the positive number "
                "Workato shows for it, e.g. 12345"
            )
        value = int(value)
    if value <= 0:
        raise ValueError(
            f"{name} must be positive, got {value}; expected the number Workato shows for it, "
            "e.g. 12345"
        )
    return value
