"""What a connection record from Workato's Embedded API means, as a panel row and as widget traits.

`classify` reads Workato's fields the way its own connection sample does (`authorization_status`,
then `connection_lost_at`); `widget_state` turns that into a ConnectionWidget's traits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .protocol import MAX_ERROR_TEXT, clean_text

if TYPE_CHECKING:  # api.py imports httpx: loaded only by those who built an EmbeddedApi
    from .records import Connection

__all__ = ["RowStatus", "WidgetState", "classify", "problem_text", "widget_state"]

RowStatus = Literal["failed", "lost", "not_connected", "connected"]
"""A connection's state as a panel shows it, problems first."""


def classify(record: Connection) -> RowStatus:
    """What a connection record means: a failed authorization, a lost connection, never (or no
    longer) authorized, or connected."""
    if record.authorization_status in ("failed", "exception"):
        return "failed"
    if record.connection_lost_at is not None:
        return "lost"
    if record.authorization_status == "success":
        return "connected"
    return "not_connected"


def problem_text(record: Connection) -> str | None:
    """The error a record carries: the failed authorization's text, or why it was lost."""
    status = classify(record)
    if status == "failed":
        text = record.authorization_error or "Authorization failed (Workato gave no reason)"
    elif status == "lost":
        text = f"Connection lost: {record.connection_lost_reason or 'Workato gave no reason'}"
    else:
        return None
    return clean_text(text, MAX_ERROR_TEXT)  # Workato's own text, bound for synced state


@dataclass(frozen=True, slots=True)
class WidgetState:
    """A ConnectionWidget's traits as an Embedded API record determines them."""

    provider: str | None
    connected: bool
    status: Literal["connected", "disconnected", "error"]
    error: str | None


def widget_state(record: Connection) -> WidgetState:
    """`success` -> connected; `failed`/`exception` -> error with `authorization_error`;
    `connection_lost_at` set -> disconnected with its reason in `error`."""
    status = classify(record)
    shown = {"connected": "connected", "failed": "error"}.get(status, "disconnected")
    return WidgetState(
        provider=record.provider,
        connected=status == "connected",
        status=shown,  # type: ignore[arg-type]
        error=problem_text(record),
    )
