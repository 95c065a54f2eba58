"""AccountHealth: every customer of the account in one table, scanned at the pace Workato's rate
limits allow, each customer's ConnectionsPanel opened under its row on demand.

The scan (health_scan.py) runs on a thread and event loop of its own; this module keeps the rows,
decides what the page shows of them (a window of the filtered rows, problems first, and running
counts for the summary chart) and publishes it at most a few times a second, so a scan of
10,000 customers never floods the page. Rows hold records, never responses.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import anywidget
import traitlets

from . import protocol
from .api_failures import describe_api_failure
from .callbacks import call_each, subscribe
from .health_rows import (
    HEALTH_STATES,
    CustomerHealth,
    Summary,
    customer_key,
    row_for_page,
    sort_key,
)
from .health_scan import (
    AsyncSource,
    HealthScan,
    ScanLoop,
    ScanProgress,
    check_concurrency,
    scan_clients,
)
from .poller import check_interval
from .redaction import redact
from .signing import Signer

if TYPE_CHECKING:
    import pandas

    from .panel import ConnectionsPanel

__all__ = ["AccountHealth", "HealthChangeCallback", "TokenProvider"]

log = logging.getLogger(__name__)

HealthChangeCallback = Callable[[CustomerHealth, CustomerHealth], object]
"""`callback(old, new)`: a customer's state (or its worst problem) changed."""
TokenProvider = Callable[[Any, str], str]
"""`token_provider(customer_id, origin) -> token`: a token for that customer's pages."""

MAX_SHOWN = 200
"""Rows the page draws at most (problems first); the filters narrow the rest."""
_PUBLISH_EVERY = 0.25
_VIEW_LEASE = 90.0
_STATE_FILTERS = ("", "problems", *HEALTH_STATES)
_BUNDLE = Path(__file__).parent / "static" / "widget.js"
_FRAME_COLUMNS = (
    "id",
    "name",
    "external_id",
    "state",
    "connected",
    "failed",
    "lost",
    "not_connected",
    "stopped_recipes",
    "problem",
)


def _refs(panels: Mapping[str, Any], _owner: object) -> dict[str, str]:
    """The opened customers' panels as anywidget composition refs (never anything else)."""
    return {key: f"anywidget:{panel.model_id}" for key, panel in panels.items()}


class AccountHealth(anywidget.AnyWidget):
    """Every customer of the account in one table: connections by state, recipes stopped on
    errors, the worst problem, problems first; a click opens that customer's ConnectionsPanel.

    Args:
        api: an `EmbeddedApi` or `AsyncEmbeddedApi`; the scan reads through an async client
            sharing its rate limiter, and opened panels through a sync one.
        signer: signs the tokens of an opened customer's connection pages.
        token_provider: instead of `signer`, `token_provider(customer_id, origin)` returns a
            token for that customer (minted elsewhere).
        include_recipes: also read each customer's recipes stopped on trigger errors.
        concurrency: the most customers read at once (None: 32); the scan reads as many as
            the limit's rate needs at the measured round trip, and the limiter sets the pace.
        refresh_every: seconds between scans while a view shows the table (None: no re-scan).
        title: the table's title.
        **kwargs: passed on to `anywidget.AnyWidget` (e.g. `layout=`).

    Raises:
        TypeError: `api` is not an Embedded API client, or both token options were given.
        ValueError: a bad `concurrency` or `refresh_every`.
    """

    _esm = _BUNDLE

    frame_kind = traitlets.Unicode(read_only=True).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    page_rows = traitlets.List(traitlets.Dict(), read_only=True).tag(sync=True)
    """The rows the page draws: the filtered rows, problems first, at most MAX_SHOWN (and every
    opened row); only what the table shows, never a token."""
    matching = traitlets.Int(0, read_only=True).tag(sync=True)
    """How many rows the filters let through (the page may draw fewer)."""
    summary = traitlets.Dict(read_only=True).tag(sync=True)
    """Customers by state, connections by state and by provider, for the summary chart."""
    progress = traitlets.Dict(read_only=True).tag(sync=True)
    """The current (or last) scan: state, read, total, elapsed and eta in seconds."""
    expanded = traitlets.Dict(read_only=True).tag(sync=True, to_json=_refs)
    """The opened customers (by id, a str) -> their ConnectionsPanel, synced as widget refs."""
    recipes = traitlets.Bool(True, read_only=True).tag(sync=True)
    error = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    filter_text = traitlets.Unicode("").tag(sync=True)
    """The filter box: customers whose name, external id or id contains it (any case)."""
    state_filter = traitlets.Enum(_STATE_FILTERS, "").tag(sync=True)
    """"" (all), "problems", or one state of `HEALTH_STATES`."""

    _KIND: ClassVar[str] = "health"

    def __init__(
        self,
        api: Any,
        *,
        signer: Signer | None = None,
        token_provider: TokenProvider | None = None,
        include_recipes: bool = True,
        concurrency: int | None = None,
        refresh_every: float | None = None,
        title: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._sync_api, self._make_source = scan_clients(api)
        self._owns_sync = self._sync_api is not api
        if signer is not None and token_provider is not None:
            raise TypeError(
                "AccountHealth takes one way to get tokens for an opened customer's pages: "
                "signer= or token_provider=, not both"
            )
        if signer is not None and not isinstance(signer, Signer):
            raise TypeError(
                "signer must be a Signer (a TokenSigner, a HubSigner, or anything with "
                f"sign(customer_id, user_id=, origin=)), got {type(signer).__name__}"
            )
        if token_provider is not None and not callable(token_provider):
            raise TypeError(
                "token_provider must be a callable (customer_id, origin) -> token, got "
                f"{type(token_provider).__name__}"
            )
        self._signer = signer
        self._token_provider = token_provider
        self._include_recipes = bool(include_recipes)
        self._concurrency = check_concurrency(concurrency)
        self._refresh_every = (
            None
            if refresh_every is None
            else check_interval("refresh_every", refresh_every, off=" or None (no re-scan)")
        )
        self._lock = threading.RLock()
        self._rows: dict[str, CustomerHealth] = {}
        self._summary = Summary()
        self._panels: dict[str, ConnectionsPanel] = {}
        self._callbacks: list[HealthChangeCallback] = []
        self._views: dict[str, float] = {}
        self._loop = ScanLoop("workato-health-scan")
        self._source: AsyncSource | None = None
        self._scan: HealthScan | None = None
        self._future: concurrent.futures.Future[tuple[CustomerHealth, ...]] | None = None
        self._deliver: Callable[[Callable[[], object]], None] = _call_now
        self._home: Callable[[Callable[[], object]], None] = _call_now
        """Where callbacks of scans nobody waits for run: the kernel's loop once a view showed."""
        self._last_publish = 0.0
        self._dirty = False
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._seen: set[str] = set()
        self._closed = False
        self.set_trait("frame_kind", self._KIND)
        self.set_trait("recipes", self._include_recipes)
        self.set_trait("progress", ScanProgress("idle").for_page())
        self.set_trait("summary", self._summary.for_page())
        super().__init__(title=title or "Account health", **kwargs)
        self.on_msg(self._on_frontend_msg)
        self.observe(
            lambda _change: self._publish(force=True), names=["filter_text", "state_filter"]
        )

    # -- public API -------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[CustomerHealth, ...]:
        """Every customer read, problems first (the latest read of each)."""
        with self._lock:
            return tuple(sorted(self._rows.values(), key=sort_key))

    @property
    def problems(self) -> tuple[CustomerHealth, ...]:
        """The rows with a problem: a read error, a failed or lost connection, or a recipe
        stopped on errors."""
        return tuple(row for row in self.rows if row.has_problem)

    @property
    def panels(self) -> Mapping[str, ConnectionsPanel]:
        """The opened customers' panels, by customer id as text (a snapshot)."""
        return MappingProxyType(dict(self._panels))

    @property
    def scanning(self) -> bool:
        """Whether a scan is running."""
        future = self._future
        return future is not None and not future.done()

    def scan(self) -> tuple[CustomerHealth, ...]:
        """Scan every customer and return the rows once each was read (or the scan stopped).

        Runs on the scan's own thread, so it works inside JupyterLab's running loop; a scan
        already running is joined rather than started twice. `on_change` callbacks run here, on
        the calling thread, while it waits.

        Returns:
            Every row, problems first.

        Raises:
            ApiError: what made the whole scan impossible, e.g. a refused API token
                (`AuthenticationError`) or an unreachable host (`ApiConnectionError`).
        """
        if self._loop.on_loop:
            raise RuntimeError("scan() cannot wait on the scan's own thread; await scanned()")
        calls: queue.SimpleQueue[Callable[[], object]] = queue.SimpleQueue()
        future = self._start(deliver=calls.put)
        while True:  # run callbacks here, on the caller's thread, while the scan runs
            try:
                calls.get(timeout=0.05)()
            except queue.Empty:
                if future.done():
                    break
        while not calls.empty():
            calls.get()()
        with self._lock:
            if self._deliver == calls.put:
                self._deliver = self._home  # later scans: nobody drains this queue any more
        return future.result()

    async def scanned(self) -> tuple[CustomerHealth, ...]:
        """Await the running scan (or start one); `on_change` callbacks run on this loop.

        Returns:
            Every row, problems first.

        Raises:
            ApiError: as `scan()`.
        """
        loop = asyncio.get_running_loop()

        def deliver(call: Callable[[], object]) -> None:
            loop.call_soon_threadsafe(call)

        future = self._start(deliver=deliver)
        try:
            return await asyncio.wrap_future(future)
        finally:
            with self._lock:
                if self._deliver is deliver:
                    self._deliver = self._home

    def stop(self) -> None:
        """Stop the running scan; the rows read so far stay, and `progress` says "stopped"."""
        future, task = self._future, self._task
        if future is None or future.done() or task is None:
            return
        self._loop.loop.call_soon_threadsafe(task.cancel)
        if not self._loop.on_loop:
            concurrent.futures.wait([future], timeout=10)

    def expand(self, customer_id: Any) -> ConnectionsPanel:
        """Open a customer's ConnectionsPanel under its row (once; later calls return it).

        Args:
            customer_id: the customer's Workato id (as in `CustomerHealth.id`, or as text).

        Returns:
            The customer's panel.

        Raises:
            LookupError: no row for this customer (not scanned yet).
            TypeError: neither `signer=` nor `token_provider=` was given.
        """
        from .panel import ConnectionsPanel

        key = customer_key(customer_id)
        with self._lock:
            panel = self._panels.get(key)
            if panel is not None:
                return panel
            row = self._rows.get(key)
        if row is None:
            raise LookupError(
                f"no customer {key!r} in this account's health table; scan() first (or check "
                "the id: Workato's id of the managed user)"
            )
        if self._signer is not None:
            tokens: dict[str, Any] = {"signer": self._signer}
        elif self._token_provider is not None:
            tokens = {"token_provider": functools.partial(self._token_provider, row.id)}
        else:
            raise TypeError(
                "opening a customer's connections needs tokens for its pages: build "
                "AccountHealth(api, signer=TokenSigner(...)) or token_provider=..."
            )
        panel = ConnectionsPanel(
            row.id, api=self._sync_api, title=f"Connections of {row.name}", **tokens
        )
        panel.on_change(functools.partial(self._on_panel_change, key))
        with self._lock:
            self._panels[key] = panel
            self._publish_expanded()
        self._on_panel_change(key, None, None)  # the panel just read the customer's connections
        return panel

    def collapse(self, customer_id: Any) -> None:
        """Close a customer's panel (nothing if it is not open).

        Args:
            customer_id: the customer's Workato id.
        """
        key = customer_key(customer_id)
        with self._lock:
            panel = self._panels.pop(key, None)
            if panel is None:
                return
            self._publish_expanded()
        panel.close()

    def on_change(
        self, callback: HealthChangeCallback, *, remove: bool = False
    ) -> Callable[[], None]:
        """Call `callback(old, new)` with a customer's two rows whenever its state (or worst
        problem) changes: between scans, or in its opened panel.

        Args:
            callback: called with the old and the new `CustomerHealth`.
            remove: take `callback` out instead.

        Returns:
            A function that unsubscribes `callback`.
        """
        return subscribe(self._callbacks, callback, remove, "(old, new) rows")

    def frame(self) -> pandas.DataFrame:
        """The rows as a pandas DataFrame, problems first: one row per customer.

        Returns:
            Columns id, name, external_id, state, the four connection counts,
            stopped_recipes and problem.
        """
        try:
            import pandas
        except ImportError:
            raise ImportError(
                'frame() needs pandas: pip install "workato-ipywidget[pandas]"'
            ) from None
        data = [row_for_page(row, recipes=self._include_recipes) for row in self.rows]
        return pandas.DataFrame(data, columns=list(_FRAME_COLUMNS))

    def close(self) -> None:
        """Stop scanning, close every opened panel, the scan's client and its thread."""
        self._closed = True
        loop: ScanLoop | None = getattr(self, "_loop", None)
        if loop is not None:
            self.stop()
            source = self._source
            if source is not None:
                with contextlib.suppress(Exception):
                    loop.submit(_closing(source)).result(5)
            loop.close()
        for panel in list(getattr(self, "_panels", {}).values()):
            panel.close()
        if getattr(self, "_owns_sync", False):
            self._sync_api.close()
        super().close()

    def __repr__(self) -> str:
        rows = getattr(self, "_rows", {})
        problems = sum(1 for row in rows.values() if row.has_problem)
        state = self.progress.get("state") if self.progress else "idle"
        return f"AccountHealth(customers={len(rows)}, problems={problems}, scan={state!r})"

    # -- the scan ---------------------------------------------------------------------------

    def _start(
        self, *, deliver: Callable[[Callable[[], object]], None]
    ) -> concurrent.futures.Future[tuple[CustomerHealth, ...]]:
        with self._lock:
            if self._closed:
                raise RuntimeError("this AccountHealth is closed; build a new one")
            self._deliver = deliver
            future = self._future
            if future is None or future.done():
                self.error = None
                future = self._loop.submit(self._run())
                self._future = future
            return future

    async def _run(self) -> tuple[CustomerHealth, ...]:
        if self._source is None:
            self._source = self._make_source()  # made on the scan's loop, where it is used
        scan = HealthScan(
            self._source,
            include_recipes=self._include_recipes,
            concurrency=self._concurrency,
            on_row=self._take,
        )
        self._scan = scan
        self._task = asyncio.current_task()
        seen: set[str] = set()
        self._seen = seen
        ticker = asyncio.ensure_future(self._tick())
        try:
            await scan.run()
        except asyncio.CancelledError:
            log.info("account health: the scan was stopped")
        except Exception as exc:
            self.error = _failure_text(exc)
            raise
        else:
            with self._lock:
                for key in [k for k in self._rows if k not in seen]:
                    self._summary.add(self._rows.pop(key), -1)
        finally:
            ticker.cancel()
            self._publish(force=True)
            self._schedule_next()
        return self.rows

    async def _tick(self) -> None:
        """Publish progress (and rows read since) a few times a second while scanning."""
        while True:
            self._publish()
            await asyncio.sleep(_PUBLISH_EVERY)

    def _take(self, row: CustomerHealth) -> None:
        """One customer read (on the scan's loop)."""
        key = row.key
        with self._lock:
            self._seen.add(key)
            old = self._rows.get(key)
            self._rows[key] = row
            self._summary.replace(old, row)
            self._dirty = True
        if old is not None and _shown(old) != _shown(row):
            self._notify(old, row)

    def _notify(self, old: CustomerHealth, new: CustomerHealth) -> None:
        args = (old, new)
        self._deliver(lambda: call_each(self._callbacks, args, log, "account health", "on_change"))

    # -- the page ---------------------------------------------------------------------------

    def _publish(self, *, force: bool = False) -> None:
        """Sync the visible rows, counts and progress (rows at most every _PUBLISH_EVERY s)."""
        scan = self._scan
        progress = scan.progress() if scan is not None else ScanProgress("idle")
        with self._lock:
            now = time.monotonic()
            rows_due = force or (self._dirty and now - self._last_publish >= _PUBLISH_EVERY)
            with self.hold_sync():
                self.set_trait("progress", progress.for_page())
                if rows_due:
                    self._dirty = False
                    self._last_publish = now
                    shown, matching = self._window()
                    self.set_trait("page_rows", shown)
                    self.set_trait("matching", matching)
                    self.set_trait("summary", self._summary.for_page())

    def _window(self) -> tuple[list[dict[str, Any]], int]:
        needle = self.filter_text.strip().casefold()
        wanted = self.state_filter
        matched = [
            row
            for row in sorted(self._rows.values(), key=sort_key)
            if _wanted(row, wanted) and _contains(row, needle)
        ]
        shown = matched[:MAX_SHOWN]
        keys = {row.key for row in shown}
        shown += [
            row for row in matched[MAX_SHOWN:] if row.key in self._panels and row.key not in keys
        ]
        return [row_for_page(row, recipes=self._include_recipes) for row in shown], len(matched)

    def _publish_expanded(self) -> None:
        self.set_trait("expanded", dict(self._panels))

    def _on_panel_change(self, key: str, _old: object, _new: object) -> None:
        """A connection changed in an opened panel (authorized there, or refreshed): the
        customer's row follows."""
        panel = self._panels.get(key)
        with self._lock:
            row = self._rows.get(key)
            if row is None or panel is None:
                return
            new = row.with_connections(panel.connections)
            self._rows[key] = new
            self._summary.replace(row, new)
        self._publish(force=True)
        if _shown(row) != _shown(new):
            call_each(self._callbacks, (row, new), log, "account health", "on_change")

    def _on_frontend_msg(self, _widget: object, content: object, _buffers: object) -> None:
        try:
            self._route(content)
        except Exception as exc:
            log.error(
                "account health: handling a message from the page failed:\n%s",
                redact(traceback.format_exc()),
            )
            self.error = _cleaned(f"That did not work: {type(exc).__name__}: {exc}")

    def _route(self, content: object) -> None:
        if not isinstance(content, dict):
            return
        view, kind = content.get("view"), content.get("kind")
        if not isinstance(view, str) or not 0 < len(view) <= 64:
            return
        if kind == "ready":
            self._views[view] = time.monotonic()
            self.send({"kind": "hello", "view": view})
            self._home = self._kernel_delivery()
            if self._future is None:  # shown for the first time: scan
                self._start(deliver=self._home)
        elif kind == "seen":
            self._views[view] = time.monotonic()
        elif kind == "gone":
            self._views.pop(view, None)
        elif kind == "scan":
            self._start(deliver=self._home)
        elif kind == "stop":
            threading.Thread(target=self.stop, name="workato-health-stop", daemon=True).start()
        elif kind in ("expand", "collapse"):
            raw = content.get("id")
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                return
            try:
                if kind == "expand":
                    self.expand(raw)
                else:
                    self.collapse(raw)
            except (LookupError, TypeError, ValueError) as exc:
                self.error = _cleaned(str(exc))

    def _kernel_delivery(self) -> Callable[[Callable[[], object]], None]:
        """Callbacks of a scan the page started run on the kernel's loop, when there is one."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return _call_now

        def deliver(call: Callable[[], object]) -> None:
            loop.call_soon_threadsafe(call)

        return deliver

    def _displayed(self) -> bool:
        now = time.monotonic()
        for view, seen in list(self._views.items()):
            if now - seen > _VIEW_LEASE:
                self._views.pop(view, None)
        return bool(self._views)

    def _schedule_next(self) -> None:
        """With refresh_every, scan again later while a view shows the table (on the loop)."""
        if self._refresh_every is None or self._closed or not self._displayed():
            return

        def again() -> None:
            if not self._closed and self._displayed():
                self._start(deliver=self._home)

        self._timer = asyncio.get_running_loop().call_later(self._refresh_every, again)


async def _closing(source: AsyncSource) -> None:
    await source.aclose()


def _call_now(call: Callable[[], object]) -> None:
    call()


def _shown(row: CustomerHealth) -> tuple[str, str | None]:
    return row.state, row.problem


def _wanted(row: CustomerHealth, state: str) -> bool:
    if not state:
        return True
    if state == "problems":
        return row.has_problem
    return row.state == state


def _contains(row: CustomerHealth, needle: str) -> bool:
    if not needle:
        return True
    return any(
        needle in text.casefold() for text in (row.name, row.key, row.external_id or "") if text
    )


def _cleaned(text: str) -> str:
    return protocol.clean_text(text, protocol.MAX_ERROR_TEXT)


def _failure_text(exc: BaseException) -> str:
    return describe_api_failure("the account's customers", exc)
