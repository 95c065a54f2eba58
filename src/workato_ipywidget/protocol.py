"""Typed events for the messages Workato's iframe posts, and `parse()`, which validates them.

The JS bridge forwards each postMessage `{type, payload}` (an object, or the JSON string Workato
sent) to the kernel; everything here is pure: no widgets, no tokens, no network. `parse()` never
raises: a message that would put the widget in an invalid state becomes a `Rejected` with a reason.

Every string of every event passes one step, `clean_text`: lone surrogates replaced, secrets
redacted (`redaction.redact`), then capped; the kernel's own error texts take the same step.
Redacting comes before capping so that a cut can never leave part of a token behind. A
rejection reason shows an offending value redacted and cut short (`_show`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypeAlias, Union

from .redaction import redact

__all__ = [
    "JSON",
    "MAX_DEPTH",
    "MAX_ERROR_TEXT",
    "MAX_HEIGHT",
    "MAX_MESSAGE_BYTES",
    "MAX_PAYLOAD_SIZE",
    "MAX_STRING",
    "MAX_TYPE_LENGTH",
    "TRUNCATION_MARKER",
    "Click",
    "ConnectionStatusChange",
    "ErrorMessage",
    "Event",
    "HeightChange",
    "Loaded",
    "Navigated",
    "Rejected",
    "Unknown",
    "Unloaded",
    "clean_text",
    "describe",
    "parse",
]

MAX_HEIGHT: Final = 100_000
"""Largest height (px) an event may carry; larger values are capped to it."""
MAX_STRING: Final = 2_000
"""Longest string (chars) an event may carry, truncation marker included."""
TRUNCATION_MARKER: Final = "…[truncated]"
"""Ends every string (and marks every container) that was cut short."""
MAX_ERROR_TEXT: Final = 500
"""The cap on an error text the kernel composes (a failed load or API read, a row's problem)."""
MAX_MESSAGE_BYTES: Final = 65_536
"""Largest JSON string (UTF-8 bytes) `parse()` will decode; the bridge drops larger ones too."""
MAX_TYPE_LENGTH: Final = 100
"""Longest accepted message `type`."""
MAX_DEPTH: Final = 8
"""Nesting kept in an `Unknown` payload (or a dumped error); deeper containers become the marker."""
MAX_PAYLOAD_SIZE: Final = 65_536
"""Budget (about the serialized size in chars) of a sanitized payload; the rest is dropped."""

# Recursive JSON type. `Union` (not `|`) because the forward references are strings at runtime.
JSON: TypeAlias = Union[bool, int, float, str, list["JSON"], dict[str, "JSON"], None]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class HeightChange:
    """The iframe's content height changed.

    Attributes:
        height: The new height in px, an int in [0, MAX_HEIGHT] (larger values are capped).
    """

    height: int


@dataclass(frozen=True, slots=True)
class ConnectionStatusChange:
    """The connection was connected, disconnected, or failed.

    Attributes:
        id: The connection's id, as Workato sent it.
        provider: The connector, e.g. ``"salesforce"``.
        connected: True once connected, False when disconnected or failed, None if not said.
        error: Workato's text when connecting failed (redacted).
    """

    id: int | str | None = None
    provider: str | None = None
    connected: bool | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    """The iframe reported an unexpected error.

    Attributes:
        message: Workato's error text (redacted).
        type: The error's kind, when Workato names one.
        details: JSON text of any data Workato sent with it (redacted, capped).
    """

    message: str
    type: str | None = None
    details: str | None = None


@dataclass(frozen=True, slots=True)
class Loaded:
    """A full-embed page finished loading.

    Attributes:
        url: Where the page is, as Workato sent it (redacted).
        title: The page's title, when Workato sends one (redacted).
    """

    url: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Navigated:
    """A full-embed page navigated.

    Attributes:
        url: Where the page is now, as Workato sent it (redacted).
        replaced: True when the move replaced the current history entry.
        title: The page's title, when Workato sends one (redacted).
    """

    url: str | None = None
    replaced: bool = False
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Unloaded:
    """A full-embed page unloaded."""


@dataclass(frozen=True, slots=True)
class Click:
    """The user clicked inside a full-embed page."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """A message type this version does not know; `payload` is sanitized plain JSON.

    Strings are capped, nesting is cut at MAX_DEPTH, the whole is bounded by MAX_PAYLOAD_SIZE,
    and NaN/infinities become None, so the payload is safe to store, log and `json.dumps`.

    Attributes:
        type: The message's `type`, as sent.
        payload: Its payload, sanitized as above.
    """

    type: str
    payload: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message `parse()` refused.

    Attributes:
        reason: What was wrong with the message and what was expected.
    """

    reason: str


Event: TypeAlias = Union[  # noqa: UP007
    HeightChange,
    ConnectionStatusChange,
    ErrorMessage,
    Loaded,
    Navigated,
    Unloaded,
    Click,
    Unknown,
]


_KNOWN_TYPES: Final = frozenset(
    {
        "heightChange",
        "connectionStatusChange",
        "error",
        "loaded",
        "navigated",
        "unloaded",
        "click",
    }
)


_SHAPES: Final = {
    "heightChange": "{height: number}",
    "connectionStatusChange": "{id, provider, connected?, error?}",
    "error": "{message, type?, details?}",
}


class _Invalid(Exception):
    """Internal: a field failed validation; carries the `Rejected` reason."""


def parse(raw: object) -> Event | Rejected:
    """Validate one forwarded postMessage (a dict, or a JSON string of one) into a typed event.

    Never raises: anything malformed, hostile or oversized comes back as `Rejected(reason)`.
    """
    try:
        return _parse(raw)
    except _Invalid as exc:
        return Rejected(str(exc))
    except RecursionError:
        return Rejected("message is nested too deeply to read; expected a flat {type, payload}")
    except Exception as exc:  # a hostile object (e.g. a dict subclass) misbehaved
        return Rejected(
            f"message could not be read ({type(exc).__name__}); expected a plain dict "
            "or a JSON string of the form {type, payload}"
        )


def _parse(raw: object) -> Event:
    message = _decode(raw) if isinstance(raw, str) else raw
    if not isinstance(message, dict):
        raise _Invalid(
            f"message must be an object {{type, payload}} or a JSON string of one, "
            f"got {_show(message)}"
        )
    kind = message.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise _Invalid(f"message type must be a non-empty string, got {_show(kind)}")
    if len(kind) > MAX_TYPE_LENGTH:
        raise _Invalid(
            f"message type must be at most {MAX_TYPE_LENGTH} characters, got {len(kind)}"
        )
    kind = clean_text(kind, MAX_TYPE_LENGTH)
    payload = message.get("payload")
    if payload is not None and not isinstance(payload, dict):
        where = kind if kind in _KNOWN_TYPES else "message"
        raise _Invalid(f"{where}.payload must be an object when present, got {_show(payload)}")

    if kind == "heightChange":
        return _height_change(_required(kind, payload))
    if kind == "connectionStatusChange":
        return _connection_status_change(_required(kind, payload), message)
    if kind == "error":
        return _error_message(_required(kind, payload))
    body: dict[object, object] = payload or {}
    if kind == "loaded":
        return Loaded(url=_url(kind, body), title=_title(kind, body))
    if kind == "navigated":
        replaced = body.get("replaced")
        if replaced is not None and not isinstance(replaced, bool):
            raise _Invalid(
                f"navigated.replaced must be true or false when present, got {_show(replaced)}"
            )
        return Navigated(url=_url(kind, body), replaced=bool(replaced), title=_title(kind, body))
    if kind == "unloaded":
        return Unloaded()
    if kind == "click":
        return Click()
    sanitized = _sanitize(body, 0, _Budget())
    assert isinstance(sanitized, dict)
    return Unknown(type=kind, payload=sanitized)


def _decode(raw: str) -> object:
    """Decode a JSON string message, refusing oversized text before parsing it."""
    if len(raw) > MAX_MESSAGE_BYTES or len(_utf8(raw)) > MAX_MESSAGE_BYTES:
        raise _Invalid(
            f"message is larger than the {MAX_MESSAGE_BYTES // 1024} KiB limit "
            f"({MAX_MESSAGE_BYTES} bytes of JSON); Workato's messages are far smaller"
        )
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _Invalid(
            f"message is not valid JSON ({exc.msg} at position {exc.pos}); "
            "expected a JSON object {type, payload}"
        ) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise _Invalid(
            f"message JSON could not be decoded ({_short(str(exc), 120)}); "
            "expected a JSON object {type, payload}"
        ) from None


def _required(kind: str, payload: dict[object, object] | None) -> dict[object, object]:
    if payload is None:
        raise _Invalid(f"{kind} needs an object payload {_SHAPES[kind]}, got none")
    return payload


def _height_change(payload: dict[object, object]) -> HeightChange:
    height = payload.get("height")
    if (
        isinstance(height, bool)
        or not isinstance(height, (int, float))
        or (isinstance(height, float) and not math.isfinite(height))
        or height < 0
    ):
        raise _Invalid(f"heightChange.height must be a finite number >= 0, got {_show(height)}")
    if height >= MAX_HEIGHT:
        return HeightChange(MAX_HEIGHT)
    return HeightChange(min(round(height), MAX_HEIGHT))


def _connection_status_change(
    payload: dict[object, object], message: dict[object, object]
) -> ConnectionStatusChange:
    connected = payload.get("connected")
    if connected is not None and not isinstance(connected, bool):
        raise _Invalid(
            "connectionStatusChange.connected must be true or false when present, "
            f"got {_show(connected)}"
        )
    provider = payload.get("provider")
    if provider is not None and not isinstance(provider, str):
        raise _Invalid(
            f"connectionStatusChange.provider must be a string when present, got {_show(provider)}"
        )
    # Workato's own sample reads `data.error`, so accept an error beside the payload too.
    error = payload["error"] if "error" in payload else message.get("error")
    return ConnectionStatusChange(
        id=_connection_id(payload.get("id")),
        provider=None if provider is None else clean_text(provider),
        connected=connected,
        error=_error_text(error),
    )


def _connection_id(value: object) -> int | str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return value
    raise _Invalid(
        f"connectionStatusChange.id must be an integer or a string when present, got {_show(value)}"
    )


def _error_text(value: object) -> str | None:
    """Workato's error as text: None, False and "" mean no error; non-strings are JSON-dumped."""
    if value is None or value is False:
        return None
    if isinstance(value, str):
        return clean_text(value) if value.strip() else None
    return _dump(value)


def _error_message(payload: dict[object, object]) -> ErrorMessage:
    message = payload.get("message")
    if not isinstance(message, str):
        raise _Invalid(f"error.message must be a string, got {_show(message)}")
    return ErrorMessage(
        message=clean_text(message),
        type=_text(payload.get("type")),
        details=_text(payload.get("details")),
    )


def _text(value: object) -> str | None:
    """An informational field as text: strings capped, other JSON values dumped, null kept."""
    if value is None:
        return None
    return clean_text(value) if isinstance(value, str) else _dump(value)


def _url(kind: str, payload: dict[object, object]) -> str | None:
    url = payload.get("url")
    if url is None:
        return None
    if not isinstance(url, str):
        raise _Invalid(f"{kind}.url must be a string when present, got {_show(url)}")
    return clean_text(url)


def _title(kind: str, payload: dict[object, object]) -> str | None:
    title = payload.get("title")
    if title is None:
        return None
    if not isinstance(title, str):
        raise _Invalid(f"{kind}.title must be a string when present, got {_show(title)}")
    return clean_text(title) if title.strip() else None


# --- strings and sanitizing -------------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _clean(text: str) -> str:
    """Replace lone surrogates (JSON allows them) so the text is always encodable as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def clean_text(text: str, limit: int = MAX_STRING) -> str:
    """The one step every outside string takes on its way to traits, events, callbacks or logs:
    made encodable, redacted, then capped (redacting can lengthen a text, so the cap comes last).
    """
    return _cap(redact(_clean(text)), limit)


def _cap(text: str, limit: int = MAX_STRING) -> str:
    """Cap `text` at `limit` chars, the last ones being TRUNCATION_MARKER when it was cut."""
    if len(text) > limit:
        text = text[: limit - len(TRUNCATION_MARKER)] + TRUNCATION_MARKER
    return text


def _dump(value: object) -> str:
    """Compact JSON text of a sanitized (so already redacted) `value`, capped."""
    return _cap(
        json.dumps(
            _sanitize(value, 0, _Budget()),
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    )


class _Budget:
    """How much more (about serialized chars) a sanitized value may hold."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_PAYLOAD_SIZE

    def take(self, cost: int) -> bool:
        if cost > self.left:
            self.left = 0
            return False
        self.left -= cost
        return True


def _sanitize(value: object, depth: int, budget: _Budget) -> JSON:
    """Copy `value` as plain JSON: strings capped, depth and size bounded, non-JSON dropped.

    Walks at most MAX_DEPTH levels, so cyclic containers cannot recurse forever. Once the
    budget is spent, the value in hand becomes TRUNCATION_MARKER and its containers stop there.
    """
    if isinstance(value, str):
        text = clean_text(value)
        return text if budget.take(len(text) + 2) else TRUNCATION_MARKER
    if isinstance(value, (dict, list, tuple)):
        if not budget.take(len(TRUNCATION_MARKER) + 2) or depth >= MAX_DEPTH:
            return TRUNCATION_MARKER
        if isinstance(value, dict):
            out: dict[str, JSON] = {}
            for key, item in value.items():
                if not budget.take(len(key) + 6 if isinstance(key, str) else 1):
                    out[TRUNCATION_MARKER] = None
                    break
                if isinstance(key, str):  # JSON keys are strings; others are not from a browser
                    out[clean_text(key)] = _sanitize(item, depth + 1, budget)
            return out
        items: list[JSON] = []
        for item in value:
            if not budget.take(2):
                items.append(TRUNCATION_MARKER)
                break
            items.append(_sanitize(item, depth + 1, budget))
        return items
    cost = value.bit_length() // 3 + 2 if isinstance(value, int) else 24
    if not budget.take(cost):
        return TRUNCATION_MARKER
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 1024 else None  # beyond any JS number
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None


def _show(value: object) -> str:
    """A short, safe description of an offending value for a rejection reason."""
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = redact(_clean(value))
        shown = shown if len(shown) <= 40 else shown[:40] + "…"
        return f"{shown!r} (str)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (bool)"
    if isinstance(value, int):
        return f"{value} (int)" if value.bit_length() <= 128 else "a very large int"
    if isinstance(value, float):
        return f"{value!r} (float)"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    return f"a {type(value).__name__} object"


# --- description ------------------------------------------------------------------------------


def describe(event: Event | Rejected) -> str:
    """A short one-line description of an event, for logs and reprs (URLs without query)."""
    if isinstance(event, HeightChange):
        return f"heightChange: {event.height}px"
    if isinstance(event, ConnectionStatusChange):
        who = _short(event.provider) if event.provider else "connection"
        if event.id is not None:
            who += f" #{_short(str(event.id))}"
        state = {True: "connected", False: "disconnected", None: "status unknown"}[event.connected]
        text = f"connectionStatusChange: {who} {state}"
        return text + (f" (error: {_short(event.error)})" if event.error else "")
    if isinstance(event, ErrorMessage):
        kind = f" [{_short(event.type)}]" if event.type else ""
        return f"error{kind}: {_short(event.message)}"
    if isinstance(event, Loaded):
        return f"loaded: {_short_url(event.url)}"
    if isinstance(event, Navigated):
        how = " (replaced)" if event.replaced else ""
        return f"navigated: {_short_url(event.url)}{how}"
    if isinstance(event, Unloaded):
        return "unloaded"
    if isinstance(event, Click):
        return "click"
    if isinstance(event, Unknown):
        keys = ", ".join(_short(k, 20) for k in list(event.payload)[:5])
        more = ", …" if len(event.payload) > 5 else ""
        return f"{_short(event.type)} (unknown type): {{{keys}{more}}}"
    return f"rejected: {_short(event.reason, 200)}"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _short(text: str, limit: int = 80) -> str:
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_url(url: str | None) -> str:
    if not url:
        return "(no url)"
    return _short(re.split(r"[?#]", url, maxsplit=1)[0])
