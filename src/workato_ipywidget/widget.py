"""ConnectionWidget: Workato's Embedded connections iframe in a cell, its events as Python state.

Everything an iframe needs (tokens per view, trusted origins, diagnostics, the event log,
callbacks, `wait_for`) comes from `frame.WorkatoFrame`; this module adds the connection's identity
and folds `connectionStatusChange` into `connected`, `provider` and `status`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal

import traitlets

from . import endpoints, protocol
from .frame import Callback, LoggedEvent, WorkatoFrame

__all__ = ["ConnectionWidget", "LoggedEvent"]

Status = Literal["loading", "connected", "disconnected", "error"]


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
        "diagnose_after",
    }
    _CALLBACK_KINDS: ClassVar[tuple[str, ...]] = ("status", *WorkatoFrame._CALLBACK_KINDS)

    def __init__(self, connection_id: int | str, **kwargs: Any) -> None:
        """Arguments as `WorkatoFrame`: one token source (`signer=` + `customer_id=`,
        `token_provider=` or `token=`), and `data_center=` or `base_url=`."""
        # Set before the comm opens, so the page's first state already names the connection.
        self.set_trait("connection_id", endpoints.validate_connection_id(connection_id))
        super().__init__(**kwargs)

    def on_status_change(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each `connectionStatusChange`; returns an unsubscribe."""
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
