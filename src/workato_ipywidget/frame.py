"""WorkatoFrame: what every Workato iframe in a cell needs, shared by both widgets.

The per-view token handshake, the origins a view trusts, height, the silent-iframe diagnosis,
`reload()`, the event log, callbacks and `wait_for` live here once. A subclass names its URL
(`_frame_url`) and folds its own events into its own traits (`_apply`); it holds no protocol rules.
Tokens and URLs travel to the page only in custom messages and are never stored in synced traits.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import traitlets

from . import endpoints, protocol
from .callbacks import call_each, subscribe
from .checks import check_seconds, check_whole_number
from .redaction import redact
from .signing import Signer
from .token import IdLike
from .token_source import token_source
from .waiting import refuse_if_blocked, wait_until

__all__ = ["BUNDLE", "MAX_VIEW_ID", "Callback", "LoggedEvent", "WorkatoFrame"]

log = logging.getLogger(__name__)

BUNDLE = Path(__file__).parent / "static" / "widget.js"
"""The built frontend, shared by every widget of the package."""
if not BUNDLE.is_file():  # pragma: no cover - only in a checkout that was never built
    raise ImportError(
        f"workato-ipywidget's frontend bundle is missing ({BUNDLE}). In a source checkout run "
        "`npm ci && npm run build`, or reinstall with `pip install -e .`."
    )

Callback = Callable[[protocol.Event], object]

MAX_VIEW_ID = 64
"""The longest view id a frontend message may carry (the JS makes 32-character ones)."""
_MAX_LOGGED_WARNINGS = 20
"""Warnings of one kind a widget logs at WARNING; the rest go to DEBUG (a hostile page can send
endless bad messages, and a log line each would flood the notebook)."""
MAX_OPEN_TABS = 32
"""Views of one widget that may have a page open in a new tab at once."""
TAB_TOKENS_PER_MINUTE = 3
"""New-tab tokens one view may get in a minute (each click of "Open in a new tab" is one)."""
TAB_TOKENS_PER_MINUTE_IN_ALL = 20
"""New-tab tokens all views of one widget may get in a minute."""
_MINUTE = 60.0
_MAX_ORIGIN_SHOWN = 200


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One accepted event from a view's iframe, with when it arrived and from which view.

    Attributes:
        at: When the kernel received it (UTC).
        view: The id of the view whose iframe sent it.
        event: The typed event.
    """

    at: datetime
    view: str
    event: protocol.Event


class WorkatoFrame(anywidget.AnyWidget):
    """A Workato iframe in a notebook cell whose messages become Python state.

    Every view asks the kernel for a freshly signed token when it renders, so each iframe gets its
    own `jti` and an `origin` claim matching the page that shows it. Subclasses: ConnectionWidget
    (one connection) and EmbeddedPage (any Workato page).
    """

    _esm = BUNDLE

    frame_kind = traitlets.Unicode(read_only=True).tag(sync=True)
    height = traitlets.Int(150).tag(sync=True)
    error = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    diagnose_after = traitlets.Float(15.0, allow_none=True).tag(sync=True)
    new_tab_link = traitlets.Bool(None, allow_none=True).tag(sync=True)
    """Show "Open in a new tab" on the status line: None decides by frontend (shown in VS Code)."""
    # Each subclass declares `status` as an Enum of its own states, "loading" first.

    _KIND: ClassVar[str]
    """The `frame_kind` the page sees: "connection" or "page"."""
    _STATE_TRAITS: ClassVar[frozenset[str]] = frozenset(
        {"height", "error", "status", "diagnose_after"}
    )
    _CALLBACK_KINDS: ClassVar[tuple[str, ...]] = ("error", "message")

    def __init__(
        self,
        *,
        signer: Signer | None = None,
        customer_id: IdLike | None = None,
        user_id: IdLike | None = None,
        token_provider: Callable[[str], str] | None = None,
        token: str | None = None,
        data_center: endpoints.DataCenter | str | None = None,
        base_url: str | None = None,
        trusted_origins: Iterable[str] | None = None,
        diagnose_after: float | None = 15.0,
        new_tab_link: bool | None = None,
        max_events: int = 200,
        **kwargs: Any,
    ) -> None:
        """Set up the iframe core; a subclass says what the iframe shows.

        Give one token source: `signer` with `customer_id`, a `token_provider`, or a `token`.

        Args:
            signer: Signs a fresh token for every view.
            customer_id: The customer (managed user) the page acts for: Workato's id or an
                `ExternalId`.
            user_id: A user of that customer, when the page acts for one.
            token_provider: Called with the page's origin, returns a token minted elsewhere.
            token: One token minted elsewhere (single use: a second view or a reload needs
                another).
            data_center: Workato's data center: ``"us"`` (when neither this nor `base_url` is
                given), ``"eu"``, ``"jp"``, ``"sg"``, ``"au"``, ``"il"``, ``"trial"`` or ``"cn"``.
            base_url: Workato's base URL instead of a data center's (https, or http on
                loopback, e.g. a `Sandbox`); not together with `data_center`.
            trusted_origins: More origins to accept the iframe's messages from.
            diagnose_after: Seconds a loaded iframe may stay silent before the widget explains
                why in `error`; None turns the diagnosis off.
            new_tab_link: Show "Open in a new tab" on the status line; None shows it where the
                frontend needs it (VS Code).
            max_events: How many recent events `events` keeps.
            **kwargs: Passed to `anywidget.AnyWidget`.

        Raises:
            TypeError: No token source or more than one, or an argument of the wrong type.
            ValueError: A value out of range (an origin, `max_events`, `diagnose_after`), or
                both `data_center` and `base_url`.
        """
        if new_tab_link is not None and not isinstance(new_tab_link, bool):
            raise TypeError(
                "new_tab_link must be True, False or None (shown where the frontend needs it), "
                f"got {type(new_tab_link).__name__}"
            )
        self._mint = token_source(
            type(self).__name__, signer, customer_id, user_id, token_provider, token
        )
        center = endpoints.one_host(data_center, base_url)
        self._base_url = endpoints.resolve_base_url(center, base_url)
        self._trusted = endpoints.trusted_origins(center, base_url, trusted_origins)
        self._chosen_by = (  # what picked the host, for the silent-iframe diagnosis
            f"base_url={self._base_url!r}"
            if base_url is not None
            else f"data_center={str(center)!r}"
        )
        check_whole_number("max_events", max_events)
        # Set before the comm opens, so the page's first state already says what it shows.
        self.set_trait("frame_kind", self._KIND)
        super().__init__(
            diagnose_after=_check_diagnose_after(diagnose_after),
            new_tab_link=new_tab_link,
            **kwargs,
        )
        self._events: collections.deque[LoggedEvent] = collections.deque(maxlen=max_events)
        self._callbacks: dict[str, list[Callback]] = {kind: [] for kind in self._CALLBACK_KINDS}
        self._diagnosis: str | None = None  # the silent-iframe text in `error`, while shown
        self._status_before_diagnosis: str = "loading"
        self._warnings: collections.Counter[str] = collections.Counter()
        self._tabs: set[str] = set()  # views whose "Open in a new tab" page is open
        # When new-tab tokens were minted, per view (bounded like _tabs) and in all.
        self._tab_mints: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )
        self._all_tab_mints: collections.deque[float] = collections.deque()
        self.on_msg(self._on_frontend_msg)

    # -- public API -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Workato base URL the iframe loads from."""
        return self._base_url

    @property
    def trusted_origins(self) -> tuple[str, ...]:
        """The origins a view accepts its iframe's messages from, `base_url`'s first."""
        return self._trusted

    @property
    def events(self) -> tuple[LoggedEvent, ...]:
        """Recent accepted events, oldest first, bounded by `max_events`."""
        return tuple(self._events)

    def on_error(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each error: iframe errors, failed loads, silent iframes.

        Args:
            callback: Called with each `ErrorMessage`.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
        return self._subscribe("error", callback, remove)

    def on_message(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for every accepted event from any view.

        Args:
            callback: Called with each event.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
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
        ipykernel >= 7.4 handles while a cell awaits.

        Args:
            name: A state trait, e.g. ``"status"`` or ``"connected"``.
            predicate: Called with each value; the wait ends when it returns a truthy value.
            timeout: Seconds to wait, or None to wait as long as it takes.

        Returns:
            The trait's value that satisfied `predicate`.

        Raises:
            TimeoutError: `timeout` passed first; the message holds the last value.
            ValueError: `name` is not a state trait, or `timeout` is not a number >= 0.
            TypeError: `predicate` is not callable.
            RuntimeError: Messages cannot arrive while a cell awaits here (marimo, Voila, an
                older ipykernel); the message names what to use instead.
        """
        if name not in self._STATE_TRAITS:
            raise ValueError(
                f"wait_for: {name!r} is not a state trait of {type(self).__name__}; use one of "
                f"{', '.join(sorted(self._STATE_TRAITS))}"
            )
        refuse_if_blocked(
            "React with observe(...) or on_status_change(...) / on_navigate(...) callbacks "
            "instead, or read the trait in a later cell."
        )

        def subscribe(on_value: Callable[[Any], None]) -> Callable[[], None]:
            def on_change(change: dict[str, Any]) -> None:
                on_value(change["new"])

            self.observe(on_change, names=name)
            return lambda: self.unobserve(on_change, names=name)

        return await wait_until(
            lambda: getattr(self, name),
            subscribe,
            predicate,
            timeout,
            lambda last: (
                f"wait_for: {name} did not satisfy the predicate within {timeout:g} s; "
                f"its last value was {last!r}"
            ),
        )

    # -- what a subclass provides -----------------------------------------------------------

    def _frame_url(self, token: str) -> str:
        """The iframe URL carrying `token`."""
        raise NotImplementedError

    def _describe_self(self) -> str:
        """Names this frame in log lines, e.g. "connection 42"."""
        raise NotImplementedError

    def _apply(self, event: protocol.Event) -> None:
        """Fold one event into the synced traits (inside held notifications)."""
        if isinstance(event, protocol.HeightChange):
            self.height = event.height
        elif isinstance(event, protocol.ErrorMessage):
            self.error = event.message
            self.status = "error"

    def _callback_kinds(self, event: protocol.Event) -> tuple[str, ...]:
        """Which callback lists `event` goes to, besides "message"."""
        return ("error",) if isinstance(event, protocol.ErrorMessage) else ()

    # -- frontend messages ----------------------------------------------------------------

    def _on_frontend_msg(self, _widget: object, content: object, _buffers: object) -> None:
        """Route one custom message from a view; anything malformed is logged and dropped."""
        if not isinstance(content, dict):
            self._warn("frontend", "ignored a frontend message that is not an object")
            return
        view, kind = content.get("view"), content.get("kind")
        if not isinstance(view, str) or not 0 < len(view) <= MAX_VIEW_ID:
            self._warn("frontend", "ignored a frontend message without a valid view id")
            return
        if kind == "ready":
            self._load(view, content.get("origin"))
        elif kind == "message":
            self._receive(view, content.get("message"))
        elif kind == "silent":
            self._diagnose(
                view,
                content.get("origin"),
                content.get("seconds"),
                content.get("dropped_origin"),
                content.get("loaded", True),
            )
        elif kind == "open_tab":
            self._open_tab(view, content.get("origin"))
        elif kind == "tab_closed":
            self._tab_closed(view)
        elif kind == "ping":  # the view wonders whether this kernel is still there
            self.send({"kind": "pong", "view": view})
        else:
            self._warn(
                "frontend",
                "ignored a frontend message of unknown kind %.40r",
                redact(str(kind)[:200]),
            )

    def _load(self, view: str, origin: object) -> None:
        """Answer a view's `ready` with a URL holding a fresh token, or with why there is none."""
        try:
            page_origin = endpoints.normalize_origin(origin)
            url = self._frame_url(self._mint(page_origin))
        except Exception as exc:
            message = _describe_load_failure(self._KIND, exc)
            self._warn("load", "%s: could not load a view: %s", self._describe_self(), message)
            self.send({"kind": "load_error", "view": view, "message": message})
            self._clear_diagnosis()
            self._record(view, protocol.ErrorMessage(message=message, type="load_error"))
            return
        self.send({"kind": "load", "view": view, "url": url, "origins": list(self._trusted)})

    def _open_tab(self, view: str, origin: object) -> None:
        """A view's "Open in a new tab" was clicked: a URL with a fresh single-use token for it.

        Bounded: at most MAX_OPEN_TABS views with a tab open, TAB_TOKENS_PER_MINUTE tokens a
        minute for one view and TAB_TOKENS_PER_MINUTE_IN_ALL for the widget.
        """
        refusal = self._tab_refusal(view)
        if refusal is not None:
            self._warn("tab", "%s: refused a new tab: %s", self._describe_self(), refusal)
            self.send({"kind": "tab_error", "view": view, "message": refusal})
            return
        try:
            url = self._frame_url(self._mint(endpoints.normalize_origin(origin)))
        except Exception as exc:
            message = _describe_load_failure(self._KIND, exc)
            self._warn("tab", "%s: could not open a new tab: %s", self._describe_self(), message)
            self.send({"kind": "tab_error", "view": view, "message": message})
            return
        log.info("%s: opened in a new tab", self._describe_self())
        self._tabs.add(view)
        self.send({"kind": "tab", "view": view, "url": url})
        self._tab_opened()

    def _tab_refusal(self, view: str) -> str | None:
        """Why `view` may not have a new-tab token now, or None (and then it is counted)."""
        if view not in self._tabs and len(self._tabs) >= MAX_OPEN_TABS:
            return (
                f"{MAX_OPEN_TABS} views of this widget already have a tab open; close one "
                "and try again"
            )
        now = time.monotonic()
        mints = self._tab_mints.pop(view, None) or collections.deque()
        for times in (mints, self._all_tab_mints):
            while times and now - times[0] >= _MINUTE:
                times.popleft()
        if len(mints) >= TAB_TOKENS_PER_MINUTE or (
            len(self._all_tab_mints) >= TAB_TOKENS_PER_MINUTE_IN_ALL
        ):
            if mints:
                self._tab_mints[view] = mints
            return "too many new tabs in a minute; wait a minute and try again"
        mints.append(now)
        self._all_tab_mints.append(now)
        self._tab_mints[view] = mints  # the most recent last
        while len(self._tab_mints) > MAX_OPEN_TABS:
            self._tab_mints.popitem(last=False)
        return None

    def _tab_closed(self, view: str) -> None:
        self._tabs.discard(view)

    def _tab_opened(self) -> None:
        """Hook: a view's page opened in a tab of its own (where its messages cannot reach us)."""

    def _receive(self, view: str, message: object) -> None:
        result = protocol.parse(message)
        if isinstance(result, protocol.Rejected):
            self._warn(
                "rejected",
                "%s: rejected a message from the iframe: %s",
                self._describe_self(),
                result.reason,
            )
            return
        self._clear_diagnosis()
        self._record(view, result)

    def _diagnose(
        self, view: str, origin: object, seconds: object, dropped: object, loaded: object = True
    ) -> None:
        """A view's iframe stayed silent (or never loaded): explain the usual causes, the host it
        loaded from first."""
        page_origin = _shown_origin(origin) or "this notebook page's origin"
        frontend = endpoints.frontend_of(page_origin)
        waited = (
            f"{seconds:g} s"
            if isinstance(seconds, (int, float))
            and not isinstance(seconds, bool)
            and abs(seconds) < 1e9  # finite; and a huge int would overflow float formatting
            else "a while"
        )
        dropped_origin = _shown_origin(dropped)
        host = endpoints.origin_of(self._base_url)
        unreachable = (
            f"{host} did not answer or is not a Workato host (the iframe then shows the "
            f"browser's error page): check {self._chosen_by}, which chose {host}, and that this "
            "browser can reach it"
        )
        if loaded is False:
            text = (
                f"The Workato iframe from {host} did not finish loading after {waited}. Most "
                f"likely {unreachable}."
            )
        elif dropped_origin is not None:
            trusted = ", ".join(self._trusted)
            text = (
                f"The Workato iframe posted its messages from {dropped_origin}, which this "
                f"widget does not trust (it trusts {trusted}), so all were dropped. If "
                f"{dropped_origin} is a Workato host you expect the page to move to, pass "
                f"trusted_origins=[{dropped_origin!r}]; otherwise check base_url."
            )
        elif frontend == "vscode":
            text = (
                f"The Workato iframe loaded but sent no message after {waited}. This notebook "
                f"runs in VS Code, whose outputs live in a {page_origin} page: Workato cannot "
                "allowlist that origin (it changes every session), and iframes there cannot open "
                'the pop-ups OAuth needs. Use "Open in a new tab" on the status line.'
            )
        elif frontend == "colab":
            text = (
                f"The Workato iframe loaded but sent no message after {waited}. Colab shows each "
                f"output in its own frame on {page_origin}: add that origin to Workato's allowed "
                "origins for this customer (it can change between sessions), and allow "
                f"third-party cookies for {endpoints.origin_of(self._base_url)}."
            )
        else:
            text = (
                f"The Workato iframe from {host} loaded but sent no message after {waited}. "
                f"Usually one of: {unreachable}; {page_origin} is not on Workato's allowed "
                "origins for this customer (add it there); or the browser blocks third-party "
                f"cookies for {host} (allow them for that site, or use a browser that does)."
            )
        message = protocol.clean_text(text)
        if self._diagnosis is None:
            self._status_before_diagnosis = self.status
        self._diagnosis = message
        with self.hold_trait_notifications():
            self.error = message
            self.status = "error"
        self._record(view, protocol.ErrorMessage(message=message, type="silent_iframe"), False)

    # -- state ----------------------------------------------------------------------------

    def _record(self, view: str, event: protocol.Event, apply: bool = True) -> None:
        self._events.append(LoggedEvent(datetime.now(timezone.utc), view, event))
        if apply:
            with self.hold_trait_notifications():
                self._apply(event)
        for kind in self._callback_kinds(event):
            self._notify(kind, event)
        self._notify("message", event)

    def _clear_diagnosis(self) -> None:
        """Take the silent-iframe diagnosis back, unless something newer (an API read, say)
        has replaced it in `error` since: then that newer state stays."""
        diagnosis, self._diagnosis = self._diagnosis, None
        if diagnosis is not None and self.error == diagnosis:
            with self.hold_trait_notifications():
                self.error = None
                self.status = self._status_before_diagnosis

    def _warn(self, topic: str, text: str, *args: object) -> None:
        """Log a warning of one `topic`: the first _MAX_LOGGED_WARNINGS at WARNING, then DEBUG."""
        self._warnings[topic] += 1
        count = self._warnings[topic]
        log.log(logging.WARNING if count <= _MAX_LOGGED_WARNINGS else logging.DEBUG, text, *args)
        if count == _MAX_LOGGED_WARNINGS:
            what = _WARNING_TOPICS.get(topic, "warnings like this")
            log.warning("%s: further %s are logged at DEBUG", self._describe_self(), what)

    def _subscribe(self, kind: str, callback: Callback, remove: bool) -> Callable[[], None]:
        return subscribe(self._callbacks[kind], callback, remove, "one event")

    def _notify(self, kind: str, event: protocol.Event) -> None:
        callbacks = self._callbacks[kind]
        if callbacks:  # most events have none: no owner text to build for each
            call_each(callbacks, (event,), log, self._describe_self(), kind)


_WARNING_TOPICS = {
    "rejected": "rejected messages",
    "frontend": "malformed frontend messages",
    "load": "failed loads",
    "tab": "refused new tabs",
}


def _check_diagnose_after(value: float | None) -> float | None:
    return None if value is None else check_seconds("diagnose_after", value, off=" or None (off)")


def _shown_origin(value: object) -> str | None:
    """A page-reported origin fit for an explanation, or None when it is not an origin."""
    try:
        origin = endpoints.normalize_origin(value)
    except ValueError:
        return None
    if len(origin) > _MAX_ORIGIN_SHOWN:  # keep the explanation within MAX_STRING
        origin = origin[: _MAX_ORIGIN_SHOWN - 1] + "…"
    return origin


def _describe_load_failure(kind: str, exc: BaseException) -> str:
    """A readable reason for the view's status line, with anything token- or key-shaped removed."""
    return protocol.clean_text(f"Could not load the {kind}: {exc}", protocol.MAX_ERROR_TEXT)
