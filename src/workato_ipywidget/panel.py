"""ConnectionsPanel: a customer's connections in one table, each opened inline on demand.

The table is read from Workato's Embedded API (as Workato's own connection sample does: list,
seed each status from `authorization_status`, only then open a widget). Opening a row creates
that connection's `ConnectionWidget`, seeded with the row's record, and the page renders it under
the row through anywidget's composition API; the iframe logic stays in ConnectionWidget. A row
follows its opened widget at once: the iframe's word on a row wins over an API answer read
before it, as it does on the widget.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import traitlets

from . import endpoints, protocol, tracking
from .callbacks import call_each, subscribe
from .frame import _BUNDLE, MAX_VIEW_ID, _token_source
from .redaction import redact
from .signing import Signer
from .token import IdLike
from .tracking import customer_label as _customer_name
from .waiting import refuse_if_blocked, wait_until
from .widget import ConnectionWidget

if TYPE_CHECKING:
    import pandas

    from .api import EmbeddedApi
    from .records import Connection

__all__ = ["ChangeCallback", "ConnectionsPanel"]

log = logging.getLogger(__name__)

ChangeCallback = Callable[["Connection", "Connection"], object]
"""`callback(old, new)`: a row's status (or its error text) changed."""

_RANK = {"failed": 0, "lost": 1, "not_connected": 2, "connected": 3}
_STATUS_FILTERS = ("", *_RANK)
_VIEW_LEASE = 90.0
"""Seconds a view counts as displayed after its last sign of life (views ping every 20 s)."""


def _refs(widgets: Mapping[str, ConnectionWidget], _panel: object) -> dict[str, str]:
    """The opened widgets as anywidget 0.11 composition refs: the page renders each with
    `host.getWidget(ref)`. Nothing else of the widget (and never a token) is in the ref."""
    return {key: f"anywidget:{widget.model_id}" for key, widget in widgets.items()}


class ConnectionsPanel(anywidget.AnyWidget):
    """A customer's connections in one table: status badges, problems first, filters, and each
    connection's widget opened inline under its row on demand.

    No iframe (and no ConnectionWidget) exists until a row is opened, by a click or
    `expand(connection_id)`. API failures never raise out of the panel: they go to `error` and
    the panel's message line.
    """

    _esm = _BUNDLE

    frame_kind = traitlets.Unicode(read_only=True).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    """One dict per connection in table order: id, name, provider, status, error, when,
    when_kind. Only what the table shows; never a token."""
    expanded = traitlets.Dict(read_only=True).tag(sync=True, to_json=_refs)
    """The opened rows: connection id (a str) -> its ConnectionWidget, synced as a widget ref."""
    status = traitlets.Enum(("loading", "ready", "empty", "error"), "loading").tag(sync=True)
    error = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    updated_at = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """When the list was last read from the API (ISO 8601, UTC)."""
    filter_text = traitlets.Unicode("").tag(sync=True)
    """The filter box: rows whose name or provider contains it (case-insensitive)."""
    status_filter = traitlets.Enum(_STATUS_FILTERS, "").tag(sync=True)
    """The status filter: "" (all), "failed", "lost", "not_connected" or "connected"."""

    _KIND: ClassVar[str] = "panel"

    def __init__(
        self,
        customer_id: IdLike,
        *,
        api: EmbeddedApi,
        signer: Signer | None = None,
        user_id: IdLike | None = None,
        token_provider: Callable[[str], str] | None = None,
        token: str | None = None,
        refresh_every: float | None = None,
        title: str | None = None,
        trusted_origins: Iterable[str] | None = None,
        diagnose_after: float | None = 15.0,
        new_tab_link: bool | None = None,
        poll_every: float = 3.0,
        **kwargs: Any,
    ) -> None:
        """`customer_id` names the customer for the API and, with `signer=`, for the tokens;
        one token source as for ConnectionWidget (`signer=`, `token_provider=` or `token=`, the
        last good for one opened connection only, since Workato takes each token once). The
        iframes load from the API's data center (or its `base_url`).

        `refresh_every` (seconds, None for never) re-reads the list while the panel is shown;
        `diagnose_after`, `new_tab_link`, `trusted_origins` and `poll_every` go to each opened
        ConnectionWidget.
        """
        from .api import EmbeddedApi, check_customer_id

        if not isinstance(api, EmbeddedApi):
            raise TypeError(
                f"api must be an EmbeddedApi (the panel lists connections through it), got "
                f"{type(api).__name__}"
            )
        check_customer_id(customer_id)
        # Refuse a wrong token option now, not at the first click.
        _token_source(
            type(self).__name__,
            signer,
            customer_id if signer is not None else None,
            user_id,
            token_provider,
            token,
        )
        tokens: dict[str, Any] = (
            {"signer": signer, "customer_id": customer_id, "user_id": user_id}
            if signer is not None
            else {"token_provider": token_provider, "token": token, "customer_id": customer_id}
        )
        location: dict[str, Any] = (
            {"data_center": api.data_center}
            if api.data_center is not None
            else {"base_url": api.base_url}
        )
        endpoints.trusted_origins(
            location.get("data_center", "us"), location.get("base_url"), trusted_origins
        )
        self._widget_options: dict[str, Any] = {
            **tokens,
            **location,
            "trusted_origins": trusted_origins,
            "diagnose_after": diagnose_after,
            "new_tab_link": new_tab_link,
            "poll_every": tracking.check_interval("poll_every", poll_every),
        }
        self._refresh_every = (
            None
            if refresh_every is None
            else tracking.check_interval(
                "refresh_every", refresh_every, off=" or None (no polling)"
            )
        )
        self._api = api
        self._customer = customer_id
        self._lock = threading.RLock()
        self._records: dict[int, Connection] = {}
        self._order: list[int] = []
        self._said: dict[int, int] = {}  # per row: status events from its opened widget
        self._widgets: dict[int, ConnectionWidget] = {}
        self._change_callbacks: list[ChangeCallback] = []
        self._watchers: list[Callable[[int], None]] = []
        self._error_from: int | None = None  # the opened connection whose error `error` shows
        self._views: dict[str, float] = {}
        self._poller = (
            None
            if self._refresh_every is None
            else tracking.Poller(
                f"workato-panel-{_customer_name(customer_id)}", self, every=self._refresh_every
            )
        )
        # The page's Refresh button reads on this poller's thread (one round, then it stops), so
        # a slow or rate-limited API never holds up the kernel; refresh() itself stays synchronous.
        self._clicked = tracking.Poller(
            f"workato-panel-refresh-{_customer_name(customer_id)}",
            self,
            every=tracking.MIN_POLL_SECONDS,
        )
        self.set_trait("frame_kind", self._KIND)
        super().__init__(title=title or f"Connections of {_customer_name(customer_id)}", **kwargs)
        self.on_msg(self._on_frontend_msg)
        self.refresh()

    # -- public API -------------------------------------------------------------------------

    @property
    def customer_id(self) -> IdLike:
        return self._customer

    @property
    def connections(self) -> tuple[Connection, ...]:
        """The latest record of each connection, in table order (problems first)."""
        with self._lock:
            return tuple(self._records[cid] for cid in self._order)

    @property
    def widgets(self) -> Mapping[int, ConnectionWidget]:
        """The opened connections' widgets, by connection id (a snapshot)."""
        return MappingProxyType(dict(self._widgets))

    @property
    def visible(self) -> tuple[Connection, ...]:
        """The records the table shows under the current `filter_text` and `status_filter`."""
        needle = self.filter_text.strip().casefold()
        wanted = self.status_filter
        return tuple(
            record
            for record in self.connections
            if (not wanted or tracking.classify(record) == wanted)
            and (
                not needle
                or needle in record.name.casefold()
                or needle in (record.provider or "").casefold()
            )
        )

    def refresh(self) -> tuple[Connection, ...]:
        """Re-read the customer's connections and return them once the table holds them.

        A failed read does not raise: `error` says why, and the table keeps its last rows.
        """
        said, widget_said = self._marks()
        try:
            records = self._api.connections(self._customer)
        except Exception as exc:
            self._failed(exc)
        else:
            self._take(records, said, widget_said)
        return self.connections

    def expand(self, connection_id: int | str) -> ConnectionWidget:
        """Open a connection's widget under its row (once; later calls return the same widget).

        Raises LookupError when the customer has no such connection in the table.
        """
        cid = endpoints.validate_connection_id(connection_id)
        with self._lock:
            widget = self._widgets.get(cid)
            if widget is not None:
                return widget
            record = self._records.get(cid)
            if record is None:
                listed = ", ".join(str(i) for i in self._order[:20]) or "none"
                raise LookupError(
                    f"connection {cid} is not one of {_customer_name(self._customer)}'s "
                    f"connections in this panel (listed: {listed}); call refresh() if it was "
                    "just created"
                )
            widget = ConnectionWidget(cid, api=self._api, _seed=record, **self._widget_options)
            widget.on_status_change(functools.partial(self._on_widget_status, cid))
            widget.on_error(functools.partial(self._on_widget_error, cid))
            widget._record_listeners.append(functools.partial(self._replace, cid))
            self._widgets[cid] = widget
            self._publish_expanded()
        return widget

    def collapse(self, connection_id: int | str) -> None:
        """Close a connection's widget and take it from under its row (nothing if not open)."""
        cid = endpoints.validate_connection_id(connection_id)
        with self._lock:
            widget = self._widgets.pop(cid, None)
            if widget is None:
                return
            self._publish_expanded()  # the page lets go of the view before the comm closes
        widget.close()

    def on_change(self, callback: ChangeCallback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(old, new)` with the two records whenever a row's status (or its
        error text) changes, from a refresh or from its opened widget; returns an unsubscribe."""
        return subscribe(self._change_callbacks, callback, remove, "(old, new) records")

    async def wait_for(
        self,
        connection_id: int | str,
        predicate: Callable[[Connection], object] | None = None,
        timeout: float | None = 60.0,
    ) -> Connection:
        """Wait until a connection's record satisfies `predicate` (default: it is connected),
        and return that record. Works inside a running cell, as `ConnectionWidget.wait_for`."""
        cid = endpoints.validate_connection_id(connection_id)
        if cid not in self._records:
            raise LookupError(
                f"wait_for: connection {cid} is not one of {_customer_name(self._customer)}'s "
                "connections in this panel; call refresh() if it was just created"
            )
        refuse_if_blocked(
            "React with on_change(...) instead, or read panel.connections in a later cell."
        )
        wanted: Callable[[Connection], object] = predicate or (lambda record: record.connected)

        def subscribe(on_value: Callable[[Connection | None], None]) -> Callable[[], None]:
            def watcher(changed: int) -> None:
                if changed == cid:
                    on_value(self._records.get(cid))

            self._watchers.append(watcher)
            return lambda: self._watchers.remove(watcher)

        def describe(last: Connection | None) -> str:
            seen = "it is no longer listed" if last is None else f"it is {_status_words(last)}"
            return (
                f"wait_for: connection {cid} did not satisfy the predicate within {timeout:g} s; "
                f"{seen}"
            )

        found: Connection | None = await wait_until(
            lambda: self._records.get(cid),
            subscribe,
            lambda record: record is not None and wanted(record),
            timeout,
            describe,
        )
        assert found is not None  # the predicate holds only for a record
        return found

    def connections_frame(self) -> pandas.DataFrame:
        """The records as a pandas DataFrame, in table order, with a `status` column."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                'connections_frame() needs pandas: pip install "workato-ipywidget[pandas]"'
            ) from None
        from .records import Connection

        names = [f.name for f in dataclasses.fields(Connection) if f.name != "extra"]
        data = [
            {"status": tracking.classify(r), **{n: getattr(r, n) for n in names}}
            for r in self.connections
        ]
        columns = ["id", "name", "provider", "status", *(n for n in names if n not in _FIRST)]
        return pandas.DataFrame(data, columns=columns)

    def close(self) -> None:
        """Close the panel, every opened widget, and stop polling."""
        for poller in (getattr(self, "_poller", None), getattr(self, "_clicked", None)):
            if poller is not None:  # None when __init__ refused its arguments
                poller.stop()
        for widget in list(getattr(self, "_widgets", {}).values()):
            widget.close()
        super().close()

    def __repr__(self) -> str:
        opened = sorted(getattr(self, "_widgets", {}))
        return (
            f"ConnectionsPanel(customer_id={_customer_name(getattr(self, '_customer', '?'))}, "
            f"connections={len(getattr(self, '_records', {}))}, expanded={opened}, "
            f"status={self.status!r})"
        )

    # -- records ----------------------------------------------------------------------------

    def _marks(self) -> tuple[dict[int, int], dict[int, int]]:
        """Where each row and each opened widget stood before a read began."""
        with self._lock:
            return dict(self._said), {cid: w._said for cid, w in self._widgets.items()}

    def _take(
        self, records: Sequence[Connection], said: dict[int, int], widget_said: dict[int, int]
    ) -> None:
        """Take a fresh list read while rows stood at `said`: a row whose widget has spoken
        since keeps what the widget said."""
        changes: list[tuple[Connection, Connection]] = []
        with self._lock:
            fresh: dict[int, Connection] = {}
            for record in records:
                old = self._records.get(record.id)
                if old is not None and self._said.get(record.id, 0) != said.get(record.id, 0):
                    record = old
                elif old is not None and _shown_state(old) != _shown_state(record):
                    changes.append((old, record))
                fresh[record.id] = record
            gone = [cid for cid in self._widgets if cid not in fresh]
            self._records = fresh
            self._said = {cid: n for cid, n in self._said.items() if cid in fresh}
            self._publish()
            self.set_trait("updated_at", datetime.now(timezone.utc).isoformat())
            if not fresh:
                self._error_from = None
                self.error = _cleaned(
                    f"Customer {_customer_name(self._customer)} has no connections yet. Create "
                    "one in "
                    f"Workato or with api.create_connection({self._customer!r}, name=..., "
                    "provider=...), then call refresh()."
                )
                self.status = "empty"
            else:
                if self._error_from is None:
                    self.error = None
                self.status = "ready"
        for cid in gone:
            self.collapse(cid)
        for cid, widget in list(self._widgets.items()):
            if cid in widget_said:
                widget._take_record(fresh[cid], widget_said[cid])
        for old, new in changes:
            self._changed(old, new)
        for cid in fresh:
            self._wake(cid)

    def _replace(self, cid: int, record: Connection) -> None:
        """A newer record of one row (from its widget's API read, or merged from its iframe)."""
        with self._lock:
            old = self._records.get(cid)
            if old is None or old == record:
                return
            self._records[cid] = record
            self._publish()
        if _shown_state(old) != _shown_state(record):
            self._changed(old, record)
        self._wake(cid)

    def _on_widget_status(self, cid: int, event: protocol.Event) -> None:
        """An opened widget's iframe reported a status: its row follows at once."""
        if not isinstance(event, protocol.ConnectionStatusChange):
            return
        with self._lock:
            old = self._records.get(cid)
            if old is None:
                return
            self._said[cid] = self._said.get(cid, 0) + 1
            new = _merged(old, event)
            if event.connected is True and self._error_from == cid:
                self._error_from = None
                self.error = None
        self._replace(cid, new)

    def _on_widget_error(self, cid: int, event: protocol.Event) -> None:
        """An opened widget could not load or was refused: say so for the whole panel too."""
        if not isinstance(event, protocol.ErrorMessage):
            return
        record = self._records.get(cid)
        name = f"{record.name} (connection {cid})" if record else f"Connection {cid}"
        self._error_from = cid
        self.error = _cleaned(f"{name}: {event.message}")

    def _failed(self, exc: BaseException) -> None:
        who = _customer_name(self._customer)
        text = tracking.describe_api_failure(f"{who}'s connections", exc, self._customer)
        log.warning("%s: %s", self._describe_self(), text)
        with self._lock:
            self._error_from = None
            self.error = text
            self.status = "error"

    def _publish(self) -> None:
        """Sort the rows, problems first, and sync them; the lock is held."""
        self._order = sorted(self._records, key=lambda cid: _sort_key(self._records[cid]))
        self.set_trait("rows", [_row(self._records[cid]) for cid in self._order])

    def _publish_expanded(self) -> None:
        self.set_trait("expanded", {str(cid): w for cid, w in self._widgets.items()})

    def _changed(self, old: Connection, new: Connection) -> None:
        call_each(self._change_callbacks, (old, new), log, self._describe_self(), "on_change")

    def _wake(self, cid: int) -> None:
        for watcher in list(self._watchers):
            watcher(cid)

    def _describe_self(self) -> str:
        return f"panel of {_customer_name(self._customer)}"

    # -- the page ---------------------------------------------------------------------------

    def _on_frontend_msg(self, _widget: object, content: object, _buffers: object) -> None:
        """One custom message from a view; nothing raises out of here."""
        try:
            self._route(content)
        except Exception as exc:
            log.error(
                "%s: handling a message from the page failed:\n%s",
                self._describe_self(),
                redact(traceback.format_exc()),
            )
            self.error = _cleaned(f"The panel could not do that: {type(exc).__name__}: {exc}")

    def _route(self, content: object) -> None:
        if not isinstance(content, dict):
            log.warning("%s: ignored a page message that is not an object", self._describe_self())
            return
        view, kind = content.get("view"), content.get("kind")
        if not isinstance(view, str) or not 0 < len(view) <= MAX_VIEW_ID:
            log.warning("%s: ignored a page message without a valid view id", self._describe_self())
            return
        if kind == "ready":
            self._views[view] = time.monotonic()
            self.send({"kind": "hello", "view": view})
            self._follow()
        elif kind == "seen":
            self._views[view] = time.monotonic()
            self._follow()
        elif kind == "gone":
            self._views.pop(view, None)
        elif kind in ("expand", "collapse"):
            self._toggle(kind, content.get("id"))
        elif kind == "refresh":
            self._clicked.finish()
        else:
            log.warning(
                "%s: ignored a page message of unknown kind %.40r",
                self._describe_self(),
                redact(str(kind)),
            )

    def _toggle(self, kind: str, raw_id: object) -> None:
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
            log.warning("%s: ignored a %s without a connection id", self._describe_self(), kind)
            return
        try:
            if kind == "expand":
                self.expand(raw_id)
            else:
                self.collapse(raw_id)
        except (LookupError, ValueError, TypeError) as exc:
            self.error = _cleaned(str(exc))

    def _displayed(self) -> bool:
        now = time.monotonic()
        for view, seen in list(self._views.items()):
            if now - seen > _VIEW_LEASE:
                self._views.pop(view, None)
        return bool(self._views)

    def _follow(self) -> None:
        """Poll the API every `refresh_every` seconds while a view shows the panel."""
        if self._poller is not None:
            self._poller.start()

    def _poll_read(self) -> tuple[dict[int, int], dict[int, int], list[Connection]]:
        said, widget_said = self._marks()
        return said, widget_said, self._api.connections(self._customer)

    def _poll_apply(self, result: tuple[dict[int, int], dict[int, int], list[Connection]]) -> bool:
        self._take(result[2], result[0], result[1])
        return not self._displayed()

    def _poll_failed(self, exc: Exception) -> bool:
        self._failed(exc)
        return not self._displayed()


_FIRST = ("id", "name", "provider", "status")


def _cleaned(text: str) -> str:
    return protocol.clean_text(text, protocol.MAX_ERROR_TEXT)


def _shown_state(record: Connection) -> tuple[str, str | None]:
    """What on_change compares: the row's status and its error text."""
    return tracking.classify(record), tracking.problem_text(record)


def _status_words(record: Connection) -> str:
    return tracking.classify(record).replace("_", " ")


def _sort_key(record: Connection) -> tuple[int, str, int]:
    return _RANK[tracking.classify(record)], record.name.casefold(), record.id


def _row(record: Connection) -> dict[str, Any]:
    """What the table shows of a record, and nothing else."""
    status = tracking.classify(record)
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
        "error": tracking.problem_text(record),
        "when": None if when is None else when.isoformat(),
        "when_kind": None
        if when is None
        else {"lost": "lost", "connected": "authorized"}.get(status, "failed"),
    }


def _merged(record: Connection, event: protocol.ConnectionStatusChange) -> Connection:
    """A row's record after its iframe reported `event` (Workato's fields, as the API would
    report them once it catches up)."""
    now = datetime.now(timezone.utc)
    if event.error:
        return dataclasses.replace(
            record,
            authorization_status="failed",
            authorization_error=event.error,
            updated_at=now,
        )
    if event.connected is True and tracking.classify(record) != "connected":
        return dataclasses.replace(
            record,
            authorization_status="success",
            authorization_error=None,
            authorized_at=now,
            connection_lost_at=None,
            connection_lost_reason=None,
            updated_at=now,
        )
    if event.connected is False and tracking.classify(record) == "connected":
        return dataclasses.replace(
            record, authorization_status=None, authorized_at=None, updated_at=now
        )
    return record  # "not connected" agrees with a failed, lost or never authorized row
