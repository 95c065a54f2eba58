"""What the sandbox stores: frozen snapshots of its customers, connections and refusals.

Named `Stored*` so that they never pass for the API client's records of the same things: these
are the sandbox's memory, the client's are what Workato answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone


def now() -> datetime:
    """The current time in UTC, to the millisecond, as Workato's timestamps are."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class StoredCustomer:
    """One customer (a Workato "managed user") of the vendor: a snapshot, never updated in place.

    `folder_id` is the root folder of the customer's account, where new connections go.
    """

    id: str
    name: str
    external_id: str | None
    folder_id: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoredConnection:
    """One connection as the sandbox knows it: a snapshot, never updated in place.

    `version` grows with every change, so an open page can tell a newer state from its own.
    """

    id: int
    customer_id: str
    provider: str
    name: str
    folder_id: int
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    authorization_status: str | None = None
    authorization_error: str | None = None
    authorized_at: datetime | None = None
    external_id: str | None = None
    parent_id: int | None = None
    connection_lost_at: datetime | None = None
    connection_lost_reason: str | None = None
    tags: tuple[str, ...] = ()
    runtime: bool = False
    """A runtime user's connection: listed only with `include_runtime_connections=true`."""
    version: int = 0

    @property
    def connected(self) -> bool:
        """Authorized and not lost since, as the connection page shows it."""
        return self.authorization_status == "success" and self.connection_lost_at is None

    @property
    def error(self) -> str | None:
        """What the connection page shows: the failed authorization's text, or why it was lost."""
        if self.connection_lost_at is not None:
            return f"Connection lost: {self.connection_lost_reason or 'no reason given'}"
        return self.authorization_error


@dataclass(frozen=True)
class Refusal:
    """A request the sandbox refused (or served silently), kept for tests and debugging."""

    at: datetime
    code: str
    message: str
    path: str


def parse_connection_id(value: int | str) -> int:
    """A connection id as Workato writes it: a positive integer, or its decimal digits."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a connection id is a positive int, got {type(value).__name__}")
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            raise ValueError(f"a connection id is a positive integer, got {value[:40]!r}")
        value = int(value)
    if value <= 0:
        raise ValueError(f"a connection id is a positive integer, got {value}")
    return value


def provider_title(provider: str) -> str:
    """A provider id as people read it: "google_sheets" -> "Google Sheets"."""
    return " ".join(word.capitalize() for word in provider.replace("_", " ").split())
