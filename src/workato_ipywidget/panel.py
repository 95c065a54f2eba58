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

from . import endpoints, protocol
from .api_failures import customer_label, describe_api_failure
from .callbacks import call_each, subscribe
from .connection_recipes import RecipeRead, details, read_recipes, recipe_state, summary
from .connection_rows import RANK, ConnectionRows, ReadMark, Taken, shown_state
from .connection_state import classify
from .frame import BUNDLE, MAX_VIEW_ID
from .poller import CoalescedReads, Poller, check_interval
from .redaction import redact
from .signing import Signer
from .token import IdLike
from .token_source import token_source
from .waiting import refuse_if_blocked, wait_until
from .widget import ConnectionWidget

if TYPE_CHECKING:
    import pandas

    from .api import EmbeddedApi
    from .records import Connection, Recipe

__all__ = ["ChangeCallback", "ConnectionsPanel"]

log = logging.getLogger(__name__)

ChangeCallback = Callable[[Any, Any], object]
"""`callback(old, new)`: two `Connection`s when a row's status (or its error text) changed, two
`Recipe`s when a recipe using one of the connections started or stopped (or its stop cause
changed) between two reads."""

REFRESH_SPACING = 1.0
"""Seconds between the reads the page's Refresh asks for: a burst of clicks makes one read in
flight and one queued, never more than one a second (Workato's list limit is 1,000 a minute,
shared by every panel, widget and script using the API client)."""

_STATUS_FILTERS = ("", *RANK)


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

    _esm = BUNDLE

    frame_kind = traitlets.Unicode(read_only=True).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    """One dict per connection in table order: id, name, provider, status, error, when,
    when_kind, recipes (its recipe summary, or None when recipes were not read). Only what the
    table shows; never a token."""
    recipes = traitlets.Dict(read_only=True).tag(sync=True)
    """The opened rows' recipes: connection id (a str) -> the recipes using it, each with its
    state, stop cause and newest job (its error and failing step)."""
    recipes_note = traitlets.Unicode(None, allow_none=True, read_only=True).tag(sync=True)
    """Why recipes (or some of their jobs) are not shown, e.g. a role without the privilege."""
    recipe_actions = traitlets.Dict(read_only=True).tag(sync=True)
    """Start requests from the page: recipe id (a str) -> {"state": "starting" | "started" |
    "failed", "message": Workato's refusal or None}."""
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
    _view_lease: ClassVar[float] = 90.0
    """Seconds a view counts as displayed after its last sign of life (views ping every 20 s)."""

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
        recipes: bool = True,
        **kwargs: Any,
    ) -> None:
        """List a customer's connections (and the recipes using them) in one table.

        Args:
            customer_id: The customer (managed user) for the API and, with `signer`, for the
                tokens: Workato's id or an `ExternalId`.
            api: The `EmbeddedApi` the panel reads through; the iframes load from its data
                center (or its `base_url`).
            signer: Signs a fresh token for each opened connection's view.
            user_id: A user of that customer, for the signer.
            token_provider: Called with the page's origin, returns a token minted elsewhere.
            token: One token minted elsewhere: good for one opened connection only, since
                Workato takes each token once.
            refresh_every: Seconds between re-reads while a view shows the panel (at least 2);
                None never re-reads on its own.
            title: The panel's title (default: "Connections of <customer>").
            trusted_origins: More origins each opened widget accepts its iframe's messages from.
            diagnose_after: For each opened widget: seconds before a silent iframe is explained.
            new_tab_link: For each opened widget: show "Open in a new tab".
            poll_every: For each opened widget: seconds between reads while its new-tab page is
                open.
            recipes: False reads no recipes (rows show none): for an API client whose role may
                not list them.
            **kwargs: Passed to `anywidget.AnyWidget`.

        Raises:
            TypeError: `api` is not an `EmbeddedApi`, or not exactly one token source.
            ValueError: A bad customer id, interval or origin.
        """
        from .api import EmbeddedApi, check_customer_id

        if not isinstance(api, EmbeddedApi):
            raise TypeError(
                f"api must be an EmbeddedApi (the panel lists connections through it), got "
                f"{type(api).__name__}"
            )
        check_customer_id(customer_id)
        # Refuse a wrong token option now, not at the first click.
        token_source(
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
            "poll_every": check_interval("poll_every", poll_every),
        }
        self._refresh_every = (
            None
            if refresh_every is None
            else check_interval("refresh_every", refresh_every, off=" or None (no polling)")
        )
        self._api = api
        self._customer = customer_id
        self._lock = threading.RLock()
        self._rows = ConnectionRows()
        self._widgets: dict[int, ConnectionWidget] = {}
        self._change_callbacks: list[ChangeCallback] = []
        self._watchers: list[Callable[[int], None]] = []
        self._error_from: int | None = None  # the opened connection whose error `error` shows
        self._views: dict[str, float] = {}
        self._poller = (
            None
            if self._refresh_every is None
            else Poller(
                f"workato-panel-{customer_label(customer_id)}", self, every=self._refresh_every
            )
        )
        # The page's Refresh button reads on this poller's thread (one round, then it stops), so
        # a slow or rate-limited API never holds up the kernel; refresh() itself stays synchronous.
        self._refresh_reads = CoalescedReads(
            f"workato-panel-refresh-{customer_label(customer_id)}",
            self._poll_read,
            self._apply_refresh,
            self._failed,
            spacing=REFRESH_SPACING,
        )
        # After an iframe reports a status, one read for the times only Workato knows.
        self._time_reads = CoalescedReads(
            f"workato-panel-times-{customer_label(customer_id)}",
            self._read_times,
            self._take_times,
            self._times_failed,
            spacing=REFRESH_SPACING,
        )
        if not isinstance(recipes, bool):
            raise TypeError(f"recipes must be True or False, got {type(recipes).__name__}")
        self._with_recipes = recipes
        self._recipe_read: RecipeRead | None = None
        self._starts: dict[int, CoalescedReads] = {}
        self.set_trait("frame_kind", self._KIND)
        super().__init__(title=title or f"Connections of {customer_label(customer_id)}", **kwargs)
        self.on_msg(self._on_frontend_msg)
        self.refresh()

    # -- public API -------------------------------------------------------------------------

    @property
    def customer_id(self) -> IdLike:
        return self._customer

    @property
    def connections(self) -> tuple[Connection, ...]:
        """The latest record of each connection, in table order (problems first)."""
        return self._rows.records()

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
            if (not wanted or classify(record) == wanted)
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
        marks = self._read_marks()
        try:
            records = self._api.connections(self._customer)
        except Exception as exc:
            self._failed(exc)
        else:
            recipes = self._read_recipes()
            self._take_read(records, marks)
            self._take_recipes(recipes)
        return self.connections

    def recipes_for(self, connection_id: int | str) -> tuple[Recipe, ...]:
        """The recipes whose config names the connection, from the latest read, newest first.

        Empty when none does, or when recipes could not be read (`recipes_note` says why).

        Args:
            connection_id: one of the panel's connections.

        Returns:
            The recipes as `api.recipes` returned them.

        Raises:
            LookupError: the customer has no such connection in the panel.
        """
        cid = endpoints.validate_connection_id(connection_id)
        if cid not in self._rows:
            raise LookupError(
                f"recipes_for: connection {cid} is not one of {customer_label(self._customer)}'s "
                "connections in this panel; call refresh() if it was just created"
            )
        read = self._recipe_read
        return () if read is None else read.using(cid)

    def expand(self, connection_id: int | str) -> ConnectionWidget:
        """Open a connection's widget under its row (once; later calls return the same widget).

        Args:
            connection_id: One of the panel's connections.

        Returns:
            Its `ConnectionWidget`, started from the row's record.

        Raises:
            LookupError: The customer has no such connection in the table.
        """
        cid = endpoints.validate_connection_id(connection_id)
        with self._lock:
            widget = self._widgets.get(cid)
            if widget is not None:
                return widget
            record = self._rows.get(cid)
            if record is None:
                listed = ", ".join(str(i) for i in self._rows.ids()[:20]) or "none"
                raise LookupError(
                    f"connection {cid} is not one of {customer_label(self._customer)}'s "
                    f"connections in this panel (listed: {listed}); call refresh() if it was "
                    "just created"
                )
            widget = ConnectionWidget(cid, api=self._api, record=record, **self._widget_options)
            widget.on_status_change(functools.partial(self._on_widget_status, cid))
            widget.on_error(functools.partial(self._on_widget_error, cid))
            widget.on_record(functools.partial(self._replace, cid))
            self._widgets[cid] = widget
            self._publish_expanded()
        return widget

    def collapse(self, connection_id: int | str) -> None:
        """Close a connection's widget and take it from under its row (nothing if not open).

        Args:
            connection_id: One of the panel's connections.
        """
        cid = endpoints.validate_connection_id(connection_id)
        with self._lock:
            widget = self._widgets.pop(cid, None)
            if widget is None:
                return
            self._publish_expanded()  # the page lets go of the view before the comm closes
        widget.close()

    def on_change(self, callback: ChangeCallback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(old, new)` with two records whenever one changes: two `Connection`s when
        a row's status (or its error text) changes, from a refresh or from its opened widget; two
        `Recipe`s when a recipe using a connection starts or stops between two reads.

        Args:
            callback: Called with the old and the new record.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
        return subscribe(self._change_callbacks, callback, remove, "(old, new) records")

    async def wait_for(
        self,
        connection_id: int | str,
        predicate: Callable[[Connection], object] | None = None,
        timeout: float | None = 60.0,
    ) -> Connection:
        """Wait until a connection's record satisfies `predicate`, and return that record.

        Works inside a running cell, as `ConnectionWidget.wait_for`.

        Args:
            connection_id: One of the panel's connections.
            predicate: Called with the record; None waits until it is connected.
            timeout: Seconds to wait; None waits for ever.

        Returns:
            The first record that satisfies `predicate`.

        Raises:
            LookupError: The customer has no such connection in the panel.
            TimeoutError: Not within `timeout`, naming the connection's last status.
        """
        cid = endpoints.validate_connection_id(connection_id)
        if cid not in self._rows:
            raise LookupError(
                f"wait_for: connection {cid} is not one of {customer_label(self._customer)}'s "
                "connections in this panel; call refresh() if it was just created"
            )
        refuse_if_blocked(
            "React with on_change(...) instead, or read panel.connections in a later cell."
        )
        wanted: Callable[[Connection], object] = predicate or (lambda record: record.connected)

        def subscribe(on_value: Callable[[Connection | None], None]) -> Callable[[], None]:
            def watcher(changed: int) -> None:
                if changed == cid:
                    on_value(self._rows.get(cid))

            self._watchers.append(watcher)
            return lambda: self._watchers.remove(watcher)

        def describe(last: Connection | None) -> str:
            seen = "it is no longer listed" if last is None else f"it is {_status_words(last)}"
            return (
                f"wait_for: connection {cid} did not satisfy the predicate within {timeout:g} s; "
                f"{seen}"
            )

        found: Connection | None = await wait_until(
            lambda: self._rows.get(cid),
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
            {"status": classify(r), **{n: getattr(r, n) for n in names}} for r in self.connections
        ]
        columns = ["id", "name", "provider", "status", *(n for n in names if n not in _FIRST)]
        return pandas.DataFrame(data, columns=columns)

    def close(self) -> None:
        """Close the panel, every opened widget, and stop polling."""
        for poller in (
            getattr(self, "_poller", None),
            getattr(self, "_refresh_reads", None),
            getattr(self, "_time_reads", None),
            *getattr(self, "_starts", {}).values(),
        ):
            if poller is not None:  # None when __init__ refused its arguments
                poller.stop()
        for widget in list(getattr(self, "_widgets", {}).values()):
            widget.close()
        super().close()

    def __repr__(self) -> str:
        opened = sorted(getattr(self, "_widgets", {}))
        return (
            f"ConnectionsPanel(customer_id={customer_label(getattr(self, '_customer', '?'))}, "
            f"connections={len(getattr(self, '_rows', ()))}, expanded={opened}, "
            f"status={self.status!r})"
        )

    # -- records ----------------------------------------------------------------------------

    def _read_marks(self) -> tuple[ReadMark, dict[int, int]]:
        """Where each row and each opened widget stood before a read began."""
        with self._lock:
            return self._rows.mark(), {cid: w.iframe_reports for cid, w in self._widgets.items()}

    def _take_read(
        self, records: Sequence[Connection], marks: tuple[ReadMark, dict[int, int]]
    ) -> None:
        """Take a fresh list read that began at `marks`: a row whose widget has spoken since
        keeps what the widget said."""
        rows_mark, widget_marks = marks
        with self._lock:
            taken: Taken = self._rows.take(records, rows_mark)
            self._publish()
            self.set_trait("updated_at", datetime.now(timezone.utc).isoformat())
            if not len(self._rows):
                self._error_from = None
                self.error = _cleaned(
                    f"Customer {customer_label(self._customer)} has no connections yet. Create "
                    "one in "
                    f"Workato or with api.create_connection({self._customer!r}, name=..., "
                    "provider=...), then call refresh()."
                )
                self.status = "empty"
            else:
                if self._error_from is None:
                    self.error = None
                self.status = "ready"
        for cid in taken.gone:
            self.collapse(cid)
        for cid, widget in list(self._widgets.items()):
            record = self._rows.get(cid)
            if cid in widget_marks and record is not None:
                widget.take_record(record, reports_before=widget_marks[cid])
        for old, new in taken.changes:
            self._changed(old, new)
        for cid in self._rows.ids():
            self._notify_watchers(cid)

    def _replace(self, cid: int, record: Connection) -> None:
        """A newer record of one row (from its widget's API read, or merged from its iframe)."""
        with self._lock:
            old = self._rows.replace(cid, record)
            if old is None:
                return
            self._publish()
        if shown_state(old) != shown_state(record):
            self._changed(old, record)
        self._notify_watchers(cid)

    def _on_widget_status(self, cid: int, event: protocol.Event) -> None:
        """An opened widget's iframe reported a status: its row follows at once."""
        if not isinstance(event, protocol.ConnectionStatusChange):
            return
        with self._lock:
            new = self._rows.report(cid, event)
            if new is None:
                return
            if event.connected is True and self._error_from == cid:
                self._error_from = None
                self.error = None
        self._replace(cid, new)
        self._time_reads.request()  # the iframe says what happened, Workato's API says when

    def _on_widget_error(self, cid: int, event: protocol.Event) -> None:
        """An opened widget could not load or was refused: say so for the whole panel too."""
        if not isinstance(event, protocol.ErrorMessage):
            return
        record = self._rows.get(cid)
        name = f"{record.name} (connection {cid})" if record else f"Connection {cid}"
        self._error_from = cid
        self.error = _cleaned(f"{name}: {event.message}")

    def _failed(self, exc: BaseException) -> None:
        who = customer_label(self._customer)
        text = describe_api_failure(f"{who}'s connections", exc, self._customer)
        # INFO: the panel already shows it; a WARNING would repeat it as a pink stderr line.
        log.info("%s: %s", self._describe_self(), text)
        with self._lock:
            self._error_from = None
            self.error = text
            self.status = "error"

    def _publish(self) -> None:
        """Sync the rows in table order, each with its recipe summary; the lock is held."""
        rows = self._rows.rows()
        for row in rows:
            row["recipes"] = summary(self._recipe_read, row["id"])
        self.set_trait("rows", rows)

    def _publish_recipes(self) -> None:
        """Sync the opened rows' recipes and the note on what is missing."""
        read = self._recipe_read
        self.set_trait(
            "recipes", {str(cid): details(read, cid) for cid in self._widgets if cid in self._rows}
        )
        note = None if read is None else (read.missing or read.jobs_note)
        self.set_trait("recipes_note", None if note is None else _cleaned(f"Recipes: {note}"))

    def _take_recipes(self, read: RecipeRead | None) -> None:
        """Take one read of the recipes: rows and opened rows show it; a recipe that started or
        stopped since the last read goes to on_change."""
        if read is None:
            return
        with self._lock:
            old = self._recipe_read
            self._recipe_read = read
            self._publish()
            self._publish_recipes()
        if old is None or old.missing is not None:
            return
        before = {r.id: r for r in old.recipes}
        for recipe in read.recipes:
            previous = before.get(recipe.id)
            if previous is not None and recipe_state(previous) != recipe_state(recipe):
                self._changed(previous, recipe)

    def _apply_refresh(self, result: tuple[tuple[ReadMark, dict[int, int]], Any]) -> None:
        marks, (records, recipes) = result
        self._take_read(records, marks)
        self._take_recipes(recipes)

    def _read_times(self) -> tuple[dict[int, int], list[Connection]]:
        with self._lock:
            marks = {cid: w.iframe_reports for cid, w in self._widgets.items()}
        return marks, self._api.connections(self._customer)

    def _take_times(self, result: tuple[dict[int, int], list[Connection]]) -> None:
        """A read made after an iframe reported: rows it agrees with take Workato's record (its
        times); a row it disagrees with keeps the iframe's word (the API has not caught up)."""
        marks, records = result
        for record in records:
            row = self._rows.get(record.id)
            if row is None or row == record or shown_state(row) != shown_state(record):
                continue
            widget = self._widgets.get(record.id)
            if widget is not None and record.id in marks:
                widget.take_record(record, reports_before=marks[record.id])  # the row follows
            else:
                self._replace(record.id, record)

    def _times_failed(self, exc: Exception) -> None:
        log.info("%s: could not read Workato's times after an iframe report: %s",
                 self._describe_self(), exc)  # fmt: skip

    def _start_recipe(self, raw_id: object) -> None:
        """The page's confirmed Start: start the recipe off the kernel's thread, then re-read."""
        read = self._recipe_read
        recipe = None
        if read is not None and isinstance(raw_id, int) and not isinstance(raw_id, bool):
            recipe = next((r for r in read.recipes if r.id == raw_id), None)
        if recipe is None:
            log.warning("%s: ignored a start of an unknown recipe", self._describe_self())
            return
        starter = self._starts.get(recipe.id)
        if starter is not None and starter.busy:
            return
        starter = CoalescedReads(
            f"workato-panel-start-{recipe.id}",
            functools.partial(self._api.start_recipe, self._customer, recipe.id),
            functools.partial(self._started, recipe.id),
            functools.partial(self._start_failed, recipe.id),
            spacing=REFRESH_SPACING,
        )
        self._starts[recipe.id] = starter
        self._set_action(recipe.id, "starting", None)
        starter.request()

    def _started(self, recipe_id: int, _answer: object) -> None:
        self._set_action(recipe_id, "started", None)
        self._refresh_reads.request()

    def _start_failed(self, recipe_id: int, exc: Exception) -> None:
        from .errors import ApiError

        text = str(exc) if isinstance(exc, ApiError) else f"{type(exc).__name__}: {exc}"
        message = _cleaned(f"Could not start recipe {recipe_id}: {text}")
        log.warning("%s: %s", self._describe_self(), message)
        self._set_action(recipe_id, "failed", message)

    def _set_action(self, recipe_id: int, state: str, message: str | None) -> None:
        actions = dict(self.recipe_actions)
        actions[str(recipe_id)] = {"state": state, "message": message}
        self.set_trait("recipe_actions", actions)

    def _publish_expanded(self) -> None:
        self.set_trait("expanded", {str(cid): w for cid, w in self._widgets.items()})
        self._publish_recipes()

    def _changed(self, old: Connection | Recipe, new: Connection | Recipe) -> None:
        call_each(self._change_callbacks, (old, new), log, self._describe_self(), "on_change")

    def _notify_watchers(self, cid: int) -> None:
        for watcher in list(self._watchers):
            watcher(cid)

    def _describe_self(self) -> str:
        return f"panel of {customer_label(self._customer)}"

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
            self._refresh_reads.request()
        elif kind == "start_recipe":
            self._start_recipe(content.get("id"))
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
            if now - seen > self._view_lease:
                self._views.pop(view, None)
        return bool(self._views)

    def _follow(self) -> None:
        """Poll the API every `refresh_every` seconds while a view shows the panel."""
        if self._poller is not None:
            self._poller.start()

    def _poll_read(self) -> tuple[tuple[ReadMark, dict[int, int]], Any]:
        """On a poller's thread: the connections, then the recipes (one paged read) and the
        last jobs that need reading."""
        marks = self._read_marks()
        records = self._api.connections(self._customer)
        return marks, (records, self._read_recipes())

    def _read_recipes(self) -> RecipeRead | None:
        """The recipes and the last jobs that need reading (None when the panel reads none)."""
        if not self._with_recipes:
            return None
        return read_recipes(self._api, self._customer, self._recipe_read)

    def _poll_apply(self, result: tuple[tuple[ReadMark, dict[int, int]], Any]) -> bool:
        self._apply_refresh(result)
        return not self._displayed()

    def _poll_failed(self, exc: Exception) -> bool:
        self._failed(exc)
        return not self._displayed()


_FIRST = ("id", "name", "provider", "status")


def _cleaned(text: str) -> str:
    return protocol.clean_text(text, protocol.MAX_ERROR_TEXT)


def _status_words(record: Connection) -> str:
    return classify(record).replace("_", " ")
