"""ConnectionWidget: Workato's Embedded connections iframe in a cell, its events as Python state.

Everything an iframe needs (tokens per view, trusted origins, diagnostics, the event log,
callbacks, `wait_for`) comes from `frame.WorkatoFrame`; this module adds the connection's identity
and folds `connectionStatusChange` into `connected`, `provider` and `status`. With `api=` it also
seeds those traits from Workato's Embedded API, and follows the API while the connection is open
in a tab of its own; the iframe's messages stay authoritative (see `take_record`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import traitlets

from . import endpoints, protocol
from .api_failures import customer_label, describe_api_failure
from .callbacks import call_each, subscribe
from .checks import check_seconds
from .connection_state import widget_state
from .frame import Callback, LoggedEvent, WorkatoFrame
from .poller import Poller, check_interval

if TYPE_CHECKING:  # api.py imports httpx: loaded only by those who built an EmbeddedApi
    from .api import EmbeddedApi
    from .records import Connection

__all__ = ["ConnectionWidget", "LoggedEvent", "RecordCallback"]


log = logging.getLogger(__name__)

RecordCallback = Callable[["Connection"], object]
"""`callback(record)`: the widget took an Embedded API record of its connection."""


class ConnectionWidget(WorkatoFrame):
    """Shows one Workato connection in a notebook cell and mirrors its state into traits.

    Every view asks the kernel for a freshly signed token when it renders, so each iframe
    gets its own `jti` and an `origin` claim matching the page that shows it.
    """

    connection_id = traitlets.Int(read_only=True).tag(sync=True)
    connected = traitlets.Bool(None, allow_none=True).tag(sync=True)
    provider = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    status = traitlets.Enum(
        ("loading", "connected", "disconnected", "error"), default_value="loading"
    ).tag(sync=True)

    _KIND: ClassVar[str] = "connection"
    _STATE_TRAITS: ClassVar[frozenset[str]] = WorkatoFrame._STATE_TRAITS | {
        "connection_id",
        "connected",
        "provider",
    }
    _CALLBACK_KINDS: ClassVar[tuple[str, ...]] = ("status", *WorkatoFrame._CALLBACK_KINDS)

    def __init__(
        self,
        connection_id: int | str,
        *,
        api: EmbeddedApi | None = None,
        poll_every: float = 3.0,
        poll_for: float = 600.0,
        record: Connection | None = None,
        **kwargs: Any,
    ) -> None:
        """Show connection `connection_id`; with `api=`, start from Workato's Embedded API.

        With `api=` the widget reads the connection now and on each `reload()`, and every
        `poll_every` seconds (for at most `poll_for`) while a view's "Open in a new tab" page is
        open; the iframe's own messages win over an answer read before them.

        Args:
            connection_id: Workato's id of the connection.
            api: An `EmbeddedApi` to read the connection's status from. It needs the customer:
                `customer_id=`, which with `token_provider=` or `token=` is used for the API only.
            poll_every: Seconds between reads while a new-tab page is open (at least 2).
            poll_for: Seconds after which that polling stops.
            record: This connection as `api` just listed it (a panel's row): the widget starts
                from it instead of reading the API again.
            **kwargs: As for `WorkatoFrame`: one token source (`signer=` with `customer_id=`,
                `token_provider=` or `token=`), and `data_center=` or `base_url=`.

        Raises:
            TypeError: `api` is not an `EmbeddedApi`, `customer_id=` is missing for it, or
                `record=` is given without `api=`.
            ValueError: a bad connection id or interval, or a `record` of another connection.
        """
        # Set before the comm opens, so the page's first state already names the connection.
        self.set_trait("connection_id", endpoints.validate_connection_id(connection_id))
        self._api = api
        self._api_customer = _api_customer(api, kwargs)
        self._poll_every = check_interval("poll_every", poll_every)
        self._poll_for = check_seconds("poll_for", poll_for)
        self._api_record: Connection | None = None
        self._iframe_reports = 0  # status-changing iframe events applied: the iframe's word
        self._state_lock = threading.RLock()
        self._poller = (
            None
            if api is None
            else Poller(
                f"workato-connection-{connection_id}-tab",
                self,
                every=self._poll_every,
                limit=self._poll_for,
            )
        )
        self._record_callbacks: list[RecordCallback] = []
        if record is not None and api is None:
            raise TypeError("record= goes with api=: it is this connection as that API listed it")
        if record is not None and getattr(record, "id", None) != self.connection_id:
            raise ValueError(
                f"record= is connection {getattr(record, 'id', None)!r}, not this widget's "
                f"connection {self.connection_id}"
            )
        super().__init__(**kwargs)
        if api is not None:
            if record is not None:
                self.take_record(record)
            else:
                self._read_api()

    @property
    def api_record(self) -> Connection | None:
        """The connection as the Embedded API last described it (None without `api=`)."""
        return self._api_record

    @property
    def iframe_reports(self) -> int:
        """How many status or error events the iframe has reported so far.

        Read it before a list read begins elsewhere and pass it to `take_record` with that read's
        record: if the iframe has spoken since, its word stays.
        """
        return self._iframe_reports

    def take_record(self, record: Connection, *, reports_before: int | None = None) -> bool:
        """Take this connection's record from an Embedded API read made elsewhere (a panel's
        list read): set `provider`, `connected`, `status` and `error` from it, unless the iframe
        reported since that read began.

        Args:
            record: The connection as the API listed it.
            reports_before: `iframe_reports` when that read began; None takes it regardless.

        Returns:
            True when the traits follow the record, False when the iframe's newer word stays.

        Raises:
            ValueError: The record is of another connection.
        """
        if getattr(record, "id", None) != self.connection_id:
            raise ValueError(
                f"take_record: the record is connection {getattr(record, 'id', None)!r}, not "
                f"this widget's connection {self.connection_id}"
            )
        state = widget_state(record)
        with self._state_lock:
            self._api_record = record
            if reports_before is not None and self._iframe_reports != reports_before:
                return False
            with self.hold_trait_notifications():
                self.provider = state.provider
                self.connected = state.connected
                self.error = state.error
                self.status = state.status
        call_each(self._record_callbacks, (record,), log, self._describe_self(), "record")
        return True

    def on_record(self, callback: RecordCallback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(record)` whenever the widget's traits follow an Embedded API record
        (its own reads, polls while a tab is open, `take_record`).

        Args:
            callback: Called with each `Connection` record taken.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
        return subscribe(self._record_callbacks, callback, remove, "one Connection record")

    def reload(self) -> None:
        """Give every view a freshly signed token and reload its iframe; with `api=`, read the
        connection from the API again too."""
        super().reload()
        if self._api is not None:
            self._read_api()

    def close(self) -> None:
        """Close the widget's comm and stop following the API."""
        poller = getattr(self, "_poller", None)  # None when __init__ refused its arguments
        if poller is not None:
            poller.stop()
        super().close()

    def on_status_change(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each `connectionStatusChange`.

        Args:
            callback: Called with each `ConnectionStatusChange`.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
        return self._subscribe("status", callback, remove)

    def __repr__(self) -> str:
        parts = [f"connection_id={self.connection_id}", f"status={self.status!r}"]
        if self.provider is not None:
            parts.append(f"provider={self.provider!r}")
        return f"ConnectionWidget({', '.join(parts)})"

    def _frame_url(self, token: str) -> str:
        return endpoints.connection_url(self.base_url, self.connection_id, token)

    def _describe_self(self) -> str:
        return f"connection {self.connection_id}"

    def _apply(self, event: protocol.Event) -> None:
        with self._state_lock:
            if isinstance(event, protocol.ConnectionStatusChange | protocol.ErrorMessage):
                self._iframe_reports += 1  # from now on, no API answer read earlier wins
            self._apply_event(event)

    def _apply_event(self, event: protocol.Event) -> None:
        if not isinstance(event, protocol.ConnectionStatusChange):
            super()._apply(event)
            return
        if event.provider is not None:
            self.provider = event.provider
        if event.connected is not None:
            self.connected = event.connected
        if event.error:
            self.error = event.error
            self.status = "error"
        elif event.connected is True:
            self.error = None
            self.status = "connected"
        elif event.connected is False:
            self.status = "disconnected"

    def _callback_kinds(self, event: protocol.Event) -> tuple[str, ...]:
        if isinstance(event, protocol.ConnectionStatusChange):
            return ("status", "error") if event.error else ("status",)
        return super()._callback_kinds(event)

    # -- the Embedded API -------------------------------------------------------------------

    def _read_api(self) -> None:
        """Read the connection now (on creation and reload); a failure becomes `error`."""
        assert self._api is not None
        said = self._iframe_reports
        try:
            records = self._api.connections(self._api_customer)
        except Exception as exc:
            self._api_failed(exc, said, status=True)
            return
        self._take_listed(records, said)

    def _take_listed(self, records: Sequence[Connection], said: int) -> bool:
        """Take this connection's record out of the customer's list; False when it is missing."""
        record = next((r for r in records if r.id == self.connection_id), None)
        if record is None:
            message = (
                f"Workato's Embedded API lists no connection {self.connection_id} for customer "
                f"{customer_label(self._api_customer)} ({len(records)} other "
                "connection(s)); check the connection id and customer_id"
            )
            log.warning("%s: %s", self._describe_self(), message)
            self._set_error(message, said, status=True)
            return False
        self.take_record(record, reports_before=said)
        return True

    def _api_failed(self, exc: BaseException, said: int, *, status: bool) -> None:
        message = describe_api_failure(self._describe_self(), exc, self._api_customer)
        log.warning("%s: %s", self._describe_self(), message)
        self._set_error(message, said, status=status)

    def _set_error(self, message: str, said: int, *, status: bool) -> None:
        with self._state_lock:
            if self._iframe_reports != said:
                return
            with self.hold_trait_notifications():
                self.error = message
                if status:
                    self.status = "error"

    def _tab_opened(self) -> None:
        """A view's page opened in a tab of its own: follow the connection through the API."""
        if self._poller is not None:
            self._poller.start()

    def _tab_closed(self, view: str) -> None:
        super()._tab_closed(view)
        if not self._tabs and self._poller is not None:
            self._poller.finish()  # one last read: catch what was done in the tab before closing

    def _poll_read(self) -> tuple[int, list[Connection]]:
        """On the poller's thread: the customer's connections, and the iframe's report count
        before the read."""
        assert self._api is not None
        said = self._iframe_reports
        return said, self._api.connections(self._api_customer)

    def _poll_apply(self, result: tuple[int, list[Connection]]) -> bool:
        said, records = result
        if not self._take_listed(records, said):
            return True
        record = self._api_record
        return (record is not None and record.connected) or not self._tabs

    def _poll_failed(self, exc: Exception) -> bool:
        self._api_failed(
            exc, self._iframe_reports, status=False
        )  # a blip: keep the status, say why
        return False


def _api_customer(api: EmbeddedApi | None, kwargs: dict[str, Any]) -> Any:
    """The customer `api=` reads for: `customer_id=`, taken out of `kwargs` unless a signer
    needs it too (a token_provider or token already names the customer for the iframe)."""
    if api is None:
        return None
    from .api import EmbeddedApi, check_customer_id

    if not isinstance(api, EmbeddedApi):
        raise TypeError(f"api must be an EmbeddedApi, got {type(api).__name__}")
    if kwargs.get("signer") is not None:
        customer = kwargs.get("customer_id")  # a missing one is refused with the signer's words
    else:
        customer = kwargs.pop("customer_id", None)
        if customer is None:
            raise TypeError(
                "api= reads the connection from the customer's list, so it needs customer_id= "
                "(with token_provider= or token=, it is used for the Embedded API only)"
            )
    if customer is not None:
        check_customer_id(customer)
    return customer
