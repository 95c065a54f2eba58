"""ConnectionWidget: Workato's Embedded connections iframe in a cell, its events as Python state.

The widget wires the pieces together and holds no protocol rules: tokens come from
`token.py`, URLs from `endpoints.py`, message validation from `protocol.py`. Tokens and
URLs travel to the page only in custom messages and are never stored in synced traits.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import math
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import anywidget
import traitlets

from . import endpoints, protocol
from .token import IdLike, TokenSigner, redact

__all__ = ["ConnectionWidget", "LoggedEvent"]

log = logging.getLogger(__name__)

_BUNDLE = Path(__file__).parent / "static" / "widget.js"
if not _BUNDLE.is_file():  # pragma: no cover - only in a checkout that was never built
    raise ImportError(
        f"workato-ipywidget's frontend bundle is missing ({_BUNDLE}). In a source checkout run "
        "`npm ci && npm run build`, or reinstall with `pip install -e .`."
    )

Status = Literal["loading", "connected", "disconnected", "error"]
Callback = Callable[[protocol.Event], object]

_MAX_VIEW_ID = 64
_MAX_LOGGED_REJECTIONS = 20
_MAX_ERROR_TEXT = 500
_MAX_ORIGIN_SHOWN = 200


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One accepted event from a view's iframe, with when it arrived (UTC) and from which view."""

    at: datetime
    view: str
    event: protocol.Event


class ConnectionWidget(anywidget.AnyWidget):
    """Shows one Workato connection in a notebook cell and mirrors its state into traits.

    Every view asks the kernel for a freshly signed token when it renders, so each iframe
    gets its own `jti` and an `origin` claim matching the page that shows it.
    """

    _esm = _BUNDLE

    connection_id = traitlets.Int(read_only=True).tag(sync=True)
    height = traitlets.Int(150).tag(sync=True)
    connected = traitlets.Bool(None, allow_none=True).tag(sync=True)
    provider = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    error = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    status = traitlets.Enum(
        ("loading", "connected", "disconnected", "error"), default_value="loading"
    ).tag(sync=True)
    diagnose_after = traitlets.Float(15.0, allow_none=True).tag(sync=True)

    def __init__(
        self,
        connection_id: int | str,
        *,
        signer: TokenSigner | None = None,
        customer_id: IdLike | None = None,
        user_id: IdLike | None = None,
        token_provider: Callable[[str], str] | None = None,
        token: str | None = None,
        data_center: endpoints.DataCenter | str = "us",
        base_url: str | None = None,
        diagnose_after: float | None = 15.0,
        max_events: int = 200,
        **kwargs: Any,
    ) -> None:
        cid = endpoints.validate_connection_id(connection_id)
        self._mint = _token_source(signer, customer_id, user_id, token_provider, token)
        self._base_url = endpoints.resolve_base_url(data_center, base_url)
        if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 1:
            raise ValueError(f"max_events must be a positive int, got {max_events!r}")
        # Set before the comm opens, so the page's first state already names the connection.
        self.set_trait("connection_id", cid)
        super().__init__(diagnose_after=_check_diagnose_after(diagnose_after), **kwargs)
        self._events: collections.deque[LoggedEvent] = collections.deque(maxlen=max_events)
        self._callbacks: dict[str, list[Callback]] = {"status": [], "error": [], "message": []}
        self._diagnosing = False
        self._status_before_diagnosis: Status = "loading"
        self._rejections = 0
        self.on_msg(self._on_frontend_msg)

    # -- public API -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Workato base URL the iframe loads from."""
        return self._base_url

    @property
    def events(self) -> tuple[LoggedEvent, ...]:
        """Recent accepted events, oldest first, bounded by `max_events`."""
        return tuple(self._events)

    def on_status_change(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each `connectionStatusChange`; returns an unsubscribe."""
        return self._subscribe("status", callback, remove)

    def on_error(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each error: iframe errors, failed loads, silent iframes."""
        return self._subscribe("error", callback, remove)

    def on_message(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for every accepted event from any view."""
        return self._subscribe("message", callback, remove)

    def reload(self) -> None:
        """Give every view a freshly signed token and reload its iframe."""
        self._clear_diagnosis()
        self.send({"kind": "reload"})

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], object] = bool,
        timeout: float | None = 60.0,
    ) -> Any:
        """Wait until trait `name` satisfies `predicate`, and return its value.

        Works inside a running cell: the page's messages are custom comm messages, which
        ipykernel >= 7.4 handles while a cell awaits. Raises TimeoutError with the last value.
        """
        if name not in _STATE_TRAITS:
            raise ValueError(
                f"wait_for: {name!r} is not a state trait of ConnectionWidget; use one of "
                f"{', '.join(sorted(_STATE_TRAITS))}"
            )
        current = getattr(self, name)
        if predicate(current):
            return current
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        owner = threading.get_ident()

        def settle(value: Any) -> None:
            if future.done():
                return
            try:
                if predicate(value):
                    future.set_result(value)
            except Exception as exc:  # the caller's predicate; surface it from the await
                future.set_exception(exc)

        def on_change(change: dict[str, Any]) -> None:
            if threading.get_ident() == owner:
                settle(change["new"])
            else:
                loop.call_soon_threadsafe(settle, change["new"])

        self.observe(on_change, names=name)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(
                f"wait_for: {name} did not satisfy the predicate within {timeout:g} s; "
                f"its last value was {getattr(self, name)!r}"
            ) from None
        finally:
            self.unobserve(on_change, names=name)

    def __repr__(self) -> str:
        parts = [f"connection_id={self.connection_id}", f"status={self.status!r}"]
        if self.provider is not None:
            parts.append(f"provider={self.provider!r}")
        return f"ConnectionWidget({', '.join(parts)})"

    # -- frontend messages ----------------------------------------------------------------

    def _on_frontend_msg(self, _widget: object, content: object, _buffers: object) -> None:
        """Route one custom message from a view; anything malformed is logged and dropped."""
        if not isinstance(content, dict):
            log.warning("ignored a frontend message that is not an object")
            return
        view, kind = content.get("view"), content.get("kind")
        if not isinstance(view, str) or not 0 < len(view) <= _MAX_VIEW_ID:
            log.warning("ignored a frontend message without a valid view id")
            return
        if kind == "ready":
            self._load(view, content.get("origin"))
        elif kind == "message":
            self._receive(view, content.get("message"))
        elif kind == "silent":
            self._diagnose(view, content.get("origin"), content.get("seconds"))
        else:
            log.warning("ignored a frontend message of unknown kind %.40r", kind)

    def _load(self, view: str, origin: object) -> None:
        """Answer a view's `ready` with a URL holding a fresh token, or with why there is none."""
        try:
            page_origin = endpoints.normalize_origin(origin)
            url = endpoints.connection_url(
                self._base_url, self.connection_id, self._mint(page_origin)
            )
        except Exception as exc:
            message = _describe_load_failure(exc)
            log.warning("connection %s: could not load a view: %s", self.connection_id, message)
            self.send({"kind": "load_error", "view": view, "message": message})
            self._clear_diagnosis()
            self._record(view, protocol.ErrorMessage(message=message, type="load_error"))
            return
        self.send({"kind": "load", "view": view, "url": url})

    def _receive(self, view: str, message: object) -> None:
        result = protocol.parse(message)
        if isinstance(result, protocol.Rejected):
            self._rejections += 1
            level = logging.WARNING if self._rejections <= _MAX_LOGGED_REJECTIONS else logging.DEBUG
            log.log(
                level,
                "connection %s: rejected a message from the iframe: %s",
                self.connection_id,
                result.reason,
            )
            if self._rejections == _MAX_LOGGED_REJECTIONS:
                log.warning(
                    "connection %s: further rejected messages are logged at DEBUG",
                    self.connection_id,
                )
            return
        self._clear_diagnosis()
        self._record(view, result)

    def _diagnose(self, view: str, origin: object, seconds: object) -> None:
        """A view's iframe loaded but stayed silent: explain the two usual causes."""
        try:
            page_origin = endpoints.normalize_origin(origin)
        except ValueError:
            page_origin = "this notebook page's origin"
        if len(page_origin) > _MAX_ORIGIN_SHOWN:  # keep the explanation within MAX_STRING
            page_origin = page_origin[: _MAX_ORIGIN_SHOWN - 1] + "…"
        waited = (
            f"{seconds:g} s"
            if isinstance(seconds, (int, float))
            and not isinstance(seconds, bool)
            and abs(seconds) < 1e9  # finite; and a huge int would overflow float formatting
            else "a while"
        )
        message = _clean_text(
            f"The Workato iframe loaded but sent no message after {waited}. Usually either "
            f"{page_origin} is not on Workato's allowed origins for this customer (add it there), "
            f"or the browser blocks third-party cookies for {endpoints.origin_of(self._base_url)} "
            "(allow them for that site, or use a browser that does)."
        )
        if not self._diagnosing:
            self._status_before_diagnosis = self.status  # type: ignore[assignment]
        self._diagnosing = True
        with self.hold_trait_notifications():
            self.error = message
            self.status = "error"
        self._record(view, protocol.ErrorMessage(message=message, type="silent_iframe"), False)

    # -- state ----------------------------------------------------------------------------

    def _record(self, view: str, event: protocol.Event, apply: bool = True) -> None:
        event = _without_tokens(event)
        self._events.append(LoggedEvent(datetime.now(timezone.utc), view, event))
        if apply:
            self._apply(event)
        if isinstance(event, protocol.ConnectionStatusChange):
            self._notify("status", event)
        if isinstance(event, protocol.ErrorMessage) or (
            isinstance(event, protocol.ConnectionStatusChange) and event.error
        ):
            self._notify("error", event)
        self._notify("message", event)

    def _apply(self, event: protocol.Event) -> None:
        """Fold one event into the synced traits."""
        with self.hold_trait_notifications():
            if isinstance(event, protocol.HeightChange):
                self.height = event.height
            elif isinstance(event, protocol.ConnectionStatusChange):
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
            elif isinstance(event, protocol.ErrorMessage):
                self.error = event.message
                self.status = "error"

    def _clear_diagnosis(self) -> None:
        if self._diagnosing:
            self._diagnosing = False
            with self.hold_trait_notifications():
                self.error = None
                self.status = self._status_before_diagnosis

    def _subscribe(self, kind: str, callback: Callback, remove: bool) -> Callable[[], None]:
        if not callable(callback):
            raise TypeError(f"expected a callable taking one event, got {type(callback).__name__}")
        callbacks = self._callbacks[kind]
        if remove:
            if callback in callbacks:
                callbacks.remove(callback)
        elif callback not in callbacks:
            callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in callbacks:
                callbacks.remove(callback)

        return unsubscribe

    def _notify(self, kind: str, event: protocol.Event) -> None:
        for callback in list(self._callbacks[kind]):
            try:
                callback(event)
            except Exception:
                log.exception(
                    "connection %s: a %s callback %r raised; the widget carries on",
                    self.connection_id,
                    kind,
                    callback,
                )


_STATE_TRAITS = frozenset(
    {"connection_id", "height", "connected", "provider", "error", "status", "diagnose_after"}
)


class _TokenSourceFailed(Exception):
    """A user's token_provider raised; carries a redacted one-line reason."""


def _check_diagnose_after(value: float | None) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not (math.isfinite(value) and value > 0)
    ):
        raise ValueError(
            f"diagnose_after must be a positive number of seconds or None (off), got {value!r}"
        )
    return float(value)


def _token_source(
    signer: TokenSigner | None,
    customer_id: IdLike | None,
    user_id: IdLike | None,
    token_provider: Callable[[str], str] | None,
    token: str | None,
) -> Callable[[str], str]:
    """Turn the one way of getting tokens the caller chose into `origin -> token`."""
    given = [
        n
        for n, v in (("signer", signer), ("token_provider", token_provider), ("token", token))
        if v is not None
    ]
    if len(given) != 1:
        got = f"got {' and '.join(given)}" if given else "got none"
        raise TypeError(
            "ConnectionWidget needs exactly one way to get tokens: signer= with customer_id=, "
            f"token_provider=, or token= ({got})"
        )
    if signer is not None:
        if not isinstance(signer, TokenSigner):
            raise TypeError(f"signer must be a TokenSigner, got {type(signer).__name__}")
        if customer_id is None:
            raise TypeError(
                "signer= needs customer_id=: the Workato customer whose connection this is"
            )
        signer.subject(customer_id, user_id=user_id)  # refuse bad ids now, not per view
        return lambda origin: signer.sign(customer_id, user_id=user_id, origin=origin)
    if customer_id is not None or user_id is not None:
        raise TypeError(
            "customer_id= and user_id= go with signer=; a token_provider or token "
            "already names the customer"
        )
    if token_provider is not None:
        if not callable(token_provider):
            raise TypeError(
                "token_provider must be a callable taking the page origin and "
                f"returning a token, got {type(token_provider).__name__}"
            )
        provider = token_provider

        def call_provider(origin: str) -> str:
            try:
                value = provider(origin)
            except Exception as exc:
                log.debug(
                    "token_provider failed:\n%s",
                    redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))),
                )
                raise _TokenSourceFailed(
                    f"token_provider raised {type(exc).__name__}: {exc}"
                ) from None
            return _checked_token(value, "token_provider returned")

        return call_provider
    assert token is not None
    fixed = _checked_token(token, "token=")
    return lambda _origin: fixed


def _checked_token(value: object, source: str) -> str:
    """Check that a token looks like a compact JWT, without ever echoing it."""
    if not isinstance(value, str):
        raise TypeError(f"{source} a {type(value).__name__}; expected a JWT string")
    parts = value.split(".")
    if len(parts) != 3 or not all(parts[:2]) or any(c.isspace() for c in value):
        raise ValueError(f"{source} a string that is not a JWT (expected header.payload.signature)")
    return value


def _clean_text(text: str, limit: int = protocol.MAX_STRING) -> str:
    """Free text bound for traits, the event log or callbacks: tokens redacted, then capped.

    Workato's error texts may echo the token they refused. Redacting can lengthen a text (a short
    token-shaped word becomes "[redacted]"), so the cap comes after it.
    """
    text = redact(text)
    if len(text) > limit:
        text = text[: limit - len(protocol.TRUNCATION_MARKER)] + protocol.TRUNCATION_MARKER
    return text


def _without_tokens(event: protocol.Event) -> protocol.Event:
    """`event` with its free-text fields passed through `_clean_text`."""
    if isinstance(event, protocol.ErrorMessage):
        return dataclasses.replace(
            event,
            message=_clean_text(event.message),
            type=None if event.type is None else _clean_text(event.type),
            details=None if event.details is None else _clean_text(event.details),
        )
    if isinstance(event, protocol.ConnectionStatusChange) and event.error is not None:
        return dataclasses.replace(event, error=_clean_text(event.error))
    return event


def _describe_load_failure(exc: BaseException) -> str:
    """A readable reason for the view's status line, with anything token- or key-shaped removed."""
    return _clean_text(f"Could not load the connection: {exc}", limit=_MAX_ERROR_TEXT)
