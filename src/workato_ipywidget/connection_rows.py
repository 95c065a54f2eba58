"""ConnectionRows: a panel's table of connection records, its merge rules and its order.

A plain class (no widget, no API): the panel feeds it list reads and its opened widgets'
iframe reports, and syncs what `rows()` returns. The one rule it keeps: the iframe's word on a
row wins over an API answer read before it (a read that began after it wins again).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import protocol
from .connection_state import classify, problem_text

if TYPE_CHECKING:
    from .records import Connection

__all__ = ["RANK", "ConnectionRows", "ReadMark", "Taken"]

RANK = {"failed": 0, "lost": 1, "not_connected": 2, "connected": 3}
"""Table order by status: problems first."""

ReadMark = dict[int, int]
"""Where each row stood (its count of iframe reports) when a list read began."""


@dataclass(frozen=True, slots=True)
class Taken:
    """What taking a list read changed: rows whose shown state changed, and rows now gone."""

    changes: tuple[tuple[Connection, Connection], ...]
    gone: frozenset[int]


class ConnectionRows:
    """A customer's connection records, in table order (problems first, then by name).

    Thread-safe: a list read lands from a poller's thread while the page's messages arrive on
    the kernel's.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[int, Connection] = {}
        self._order: list[int] = []
        self._iframe_reports: dict[int, int] = {}  # per row: status reports from its iframe

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self._records

    def get(self, connection_id: int) -> Connection | None:
        """The row's latest record, or None when the customer has no such connection."""
        return self._records.get(connection_id)

    def records(self) -> tuple[Connection, ...]:
        """Every record, in table order."""
        with self._lock:
            return tuple(self._records[cid] for cid in self._order)

    def ids(self) -> tuple[int, ...]:
        """The rows' connection ids, in table order."""
        with self._lock:
            return tuple(self._order)

    def rows(self) -> list[dict[str, Any]]:
        """What the table shows of each record, in table order (and nothing else)."""
        with self._lock:
            return [row_of(self._records[cid]) for cid in self._order]

    def mark(self) -> ReadMark:
        """Where the rows stand now: pass it to `take` with the read that begins now."""
        with self._lock:
            return dict(self._iframe_reports)

    def take(self, records: Sequence[Connection], mark: ReadMark) -> Taken:
        """Replace the rows with a list read that began at `mark`; a row whose iframe has
        reported since keeps what the iframe said."""
        changes: list[tuple[Connection, Connection]] = []
        with self._lock:
            fresh: dict[int, Connection] = {}
            for record in records:
                old = self._records.get(record.id)
                if old is not None and self._iframe_reports.get(record.id, 0) != mark.get(
                    record.id, 0
                ):
                    record = old
                elif old is not None and shown_state(old) != shown_state(record):
                    changes.append((old, record))
                fresh[record.id] = record
            gone = frozenset(cid for cid in self._records if cid not in fresh)
            self._records = fresh
            self._iframe_reports = {
                cid: n for cid, n in self._iframe_reports.items() if cid in fresh
            }
            self._sort()
        return Taken(tuple(changes), gone)

    def replace(self, connection_id: int, record: Connection) -> Connection | None:
        """Put a newer record in one row; return the one it replaced (None when the row is
        missing or already held an equal record)."""
        with self._lock:
            old = self._records.get(connection_id)
            if old is None or old == record:
                return None
            self._records[connection_id] = record
            self._sort()
        return old

    def report(
        self, connection_id: int, event: protocol.ConnectionStatusChange
    ) -> Connection | None:
        """An opened widget's iframe reported a status: count it (no earlier read undoes it)
        and return the row's record merged with it (None when the row is missing)."""
        with self._lock:
            old = self._records.get(connection_id)
            if old is None:
                return None
            self._iframe_reports[connection_id] = self._iframe_reports.get(connection_id, 0) + 1
            return merged(old, event)

    def _sort(self) -> None:
        self._order = sorted(self._records, key=lambda cid: sort_key(self._records[cid]))


def shown_state(record: Connection) -> tuple[str, str | None]:
    """What on_change compares: the row's status and its error text."""
    return classify(record), problem_text(record)


def sort_key(record: Connection) -> tuple[int, str, int]:
    """Problems first, then by name, then by id."""
    return RANK[classify(record)], record.name.casefold(), record.id


def row_of(record: Connection) -> dict[str, Any]:
    """What the table shows of a record, and nothing else."""
    status = classify(record)
    when: datetime | None = None
    if status == "lost":
        when = record.connection_lost_at
    elif status == "connected":
        when = record.authorized_at
    elif status == "failed":
        when = record.updated_at
    return {
        "id": record.id,
        "name": record.name,
        "provider": record.provider,
        "status": status,
        "error": problem_text(record),
        "when": None if when is None else when.isoformat(),
        "when_kind": None
        if when is None
        else {"lost": "lost", "connected": "authorized"}.get(status, "failed"),
    }


def restates(record: Connection, error: str) -> bool:
    """Whether an iframe's `error` is what the record already says: its problem text as the row
    shows it, or a text naming the reason it was lost."""
    shown = problem_text(record)
    if shown is not None and protocol.clean_text(error, protocol.MAX_ERROR_TEXT) == shown:
        return True
    reason = record.connection_lost_reason
    return classify(record) == "lost" and reason is not None and reason != "" and reason in error


def merged(record: Connection, event: protocol.ConnectionStatusChange) -> Connection:
    """A row's record after its iframe reported `event`: Workato's status fields as the API will
    report them once it catches up. The times stay Workato's: a time only Workato knows (when it
    authorized or failed) is None until an API read brings it, never the moment we heard.

    A page states its connection's error when it loads: an error the row already shows (a lost
    connection's "Connection lost: ...", a failed one's text) is that state restated, not a new
    failure, so only another error fails the row (e.g. a reconnect Workato refused)."""
    if event.error and not restates(record, event.error):
        return dataclasses.replace(
            record,
            authorization_status="failed",
            authorization_error=event.error,
            updated_at=None,
        )
    if event.connected is True and classify(record) != "connected":
        return dataclasses.replace(
            record,
            authorization_status="success",
            authorization_error=None,
            authorized_at=None,
            connection_lost_at=None,
            connection_lost_reason=None,
            updated_at=None,
        )
    if event.connected is False and classify(record) == "connected":
        return dataclasses.replace(
            record, authorization_status=None, authorized_at=None, updated_at=None
        )
    return record  # "not connected" agrees with a failed, lost or never authorized row
