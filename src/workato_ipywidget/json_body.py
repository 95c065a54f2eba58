"""Reading a JSON request body, for the servers of this package (the hub's token service, the
sandbox's Embedded API): one rule for what a body may be, each refusal one line saying why.

Python's parser fails on a body in ways a server must not answer with a 500: bytes that are not
UTF-8, nesting past the recursion limit (a few kilobytes of ``[`` do it), an integer of more
than 4,300 digits. Each becomes a `BodyError` naming the problem and what was expected.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BodyError", "read_json_body"]


class BodyError(ValueError):
    """A request body that is not the JSON asked for; the text says what was wrong (never the
    body itself, which may hold anything)."""


def read_json_body(data: bytes, *, expected: str, limit: int | None = None) -> Any:
    """The decoded JSON of a request body.

    Args:
        data: the body as sent.
        expected: what the caller should send, ending every message (e.g. "a JSON object").
        limit: the largest body accepted, in bytes; None for no limit of its own.

    Returns:
        The decoded JSON value (any JSON type: the caller checks its shape).

    Raises:
        BodyError: the body is too large, not JSON, nested too deeply, or holds an integer
            Python will not read.
    """
    if limit is not None and len(data) > limit:
        raise BodyError(f"the request body is over {limit} bytes; expected {expected}")
    try:
        return json.loads(data)
    except RecursionError:
        raise BodyError(
            f"the request body is nested too deeply to read; expected {expected}"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BodyError(f"the request body is not JSON; expected {expected}") from None
    except ValueError:  # an integer beyond Python's int/str conversion limit
        raise BodyError(
            f"the request body holds an integer of more than 4300 digits; expected {expected}"
        ) from None
