"""Following connections through Workato's Embedded API: what a record says, and polling it.

`classify` reads Workato's fields the way its own connection sample does (`authorization_status`,
then `connection_lost_at`); `widget_state` turns that into a ConnectionWidget's traits. `Poller`
repeats a read on a daemon thread, spaced within Workato's rate limits, and hands each result to
the kernel's event loop (so traits and callbacks change on the thread that handles the page's
messages) or, outside a running loop, applies it on its own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .protocol import MAX_ERROR_TEXT, clean_text
from .redaction import redact

if TYPE_CHECKING:  # api.py imports httpx: loaded only by those who built an EmbeddedApi
    from .records import Connection

__all__ = [
    "LIST_REQUESTS_PER_MINUTE",
    "MIN_POLL_SECONDS",
    "Followed",
    "Poller",
    "RowStatus",
    "WidgetState",
    "check_interval",
    "check_seconds",
    "classify",
    "customer_label",
    "describe_api_failure",
    "problem_text",
    "widget_state",
]

log = logging.getLogger(__name__)

LIST_REQUESTS_PER_MINUTE = 1000
"""Workato's documented limit for listing a customer's connections, per API client."""
MIN_POLL_SECONDS = 2.0
"""The shortest interval a poller may use: 30 list requests a minute, 3% of Workato's limit,
which every panel, widget and script sharing the API client draws on."""

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


def customer_label(customer_id: object) -> str:
    """A customer id as messages show it: quoted, an `ExternalId` by its value, cut short."""
    text = customer_id.value if hasattr(customer_id, "value") else str(customer_id)
    return repr(text[:60]) if isinstance(text, str) else repr(customer_id)


def describe_api_failure(what: str, exc: BaseException, customer: object = None) -> str:
    """A one-paragraph reason for a failed read of `customer`'s connections, for `error` and
    log lines, with what to check for an unknown customer or a refused token; never a token."""
    from .errors import ApiError, AuthenticationError, NotFoundError

    if isinstance(exc, NotFoundError) and customer is not None:
        text = (
            f"Workato's Embedded API knows no customer {customer_label(customer)}: {exc}. Check "
            "customer_id: Workato's id of the managed user, or ExternalId(...) for your own id."
        )
    elif isinstance(exc, AuthenticationError):
        text = f"Workato's Embedded API refused the API token: {exc}"
    elif isinstance(exc, ApiError):
        text = f"Could not read {what} from Workato's Embedded API: {exc}"
    else:
        text = f"Could not read {what} from Workato's Embedded API: {type(exc).__name__}: {exc}"
    return clean_text(text, MAX_ERROR_TEXT)


def check_seconds(name: str, value: object, *, off: str = "") -> float:
    """A positive, finite number of seconds; `off` names what else the caller accepts, for the
    message (e.g. " or None (no polling)")."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name} must be a positive number of seconds{off}, got {value!r}")
    return float(value)


def check_interval(name: str, value: object, *, off: str = "") -> float:
    """A polling interval in seconds, refused when it would crowd Workato's rate limit."""
    seconds = check_seconds(name, value, off=off)
    if seconds < MIN_POLL_SECONDS:
        raise ValueError(
            f"{name}={seconds:g} s is too often: Workato allows {LIST_REQUESTS_PER_MINUTE:,} "
            "connection-list requests a minute, shared by every panel, widget and script using "
            f"the API client, so poll every {MIN_POLL_SECONDS:g} s or more "
            f"({60 / MIN_POLL_SECONDS:g} a minute at most)"
        )
    return seconds


class Followed(Protocol):
    """What a Poller polls for: a read (on the poller's thread), and what to do with its result
    or failure (where the kernel's state lives); either returns True to stop polling."""

    def _poll_read(self) -> Any: ...

    def _poll_apply(self, result: Any) -> object: ...

    def _poll_failed(self, exc: Exception) -> object: ...


class Poller:
    """Run `followed._poll_read()` every `every` seconds on a daemon thread, and
    `followed._poll_apply(result)` after each (the caller has just read, so the first round
    waits `every` too).

    `_poll_apply` runs on the event loop that was running when `start()` was called (the
    kernel's), or on the poller's thread when there was none; it returns True to stop polling. A
    failed read is handed to `_poll_failed` the same way (True stops too), and the next
    round tries again: after what Workato asks for a `RateLimitError` (at least `every`). Polling
    stops after `limit` seconds, on `stop()`, or after the one last round `finish()` asks for;
    `start()` begins again.
    """

    def __init__(
        self, name: str, followed: Followed, *, every: float, limit: float | None = None
    ) -> None:
        self._name = name
        self._followed = followed
        self._every = every
        self._limit = limit
        self._run: _Run | None = None

    @property
    def running(self) -> bool:
        run = self._run
        return run is not None and run.thread.is_alive() and not run.stopped.is_set()

    def start(self) -> Poller:
        """Start polling, the first read `every` seconds from now; while running, nothing."""
        if self.running:
            return self
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        run = _Run(loop)
        run.thread = threading.Thread(target=self._loop, args=(run,), name=self._name, daemon=True)
        self._run = run
        run.thread.start()
        return self

    def stop(self) -> None:
        """No further rounds; a read in flight finishes but is not applied."""
        run = self._run
        if run is not None:
            run.stopped.set()
            run.wake.set()

    def finish(self) -> None:
        """One more round now (e.g. the last tab closed: catch what happened there), then stop;
        also when polling had already stopped (the state it stopped on may have changed since)."""
        if not self.running:
            self.start()
        run = self._run
        assert run is not None
        run.last_round = True
        run.wake.set()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end (tests, and closing a widget)."""
        run = self._run
        if run is not None and run.thread is not threading.current_thread():
            run.thread.join(timeout)

    def _loop(self, run: _Run) -> None:
        from .errors import RateLimitError

        deadline = None if self._limit is None else time.monotonic() + self._limit
        wait = self._every
        while True:
            run.wake.wait(wait)
            run.wake.clear()
            last = run.last_round
            if run.stopped.is_set():
                break
            if not last and deadline is not None and time.monotonic() >= deadline:
                log.info("%s: stopped polling after %.0f s", self._name, self._limit)
                break
            wait = self._every
            try:
                result = self._followed._poll_read()
            except Exception as exc:  # a read must never end the thread silently
                if isinstance(exc, RateLimitError):
                    wait = max(self._every, exc.retry_after or 0.0)
                # `_poll_failed` says what failed, where the user sees it; this is the schedule.
                log.debug("%s: the read failed; next read in %.0f s", self._name, wait)
                if run.deliver(self._followed._poll_failed, exc):
                    break
            else:
                if run.deliver(self._followed._poll_apply, result):
                    break
            if last:
                break
        run.stopped.set()


class _Run:
    """One start() of a Poller: its thread, its signals, and the loop results go to."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.last_round = False
        self.thread: threading.Thread

    def deliver(self, handler: Callable[[Any], object], result: Any) -> bool:
        """Hand one result (or failure) to `handler` where the kernel's state lives; True when
        polling should stop."""
        if self.stopped.is_set():
            return True
        loop = self.loop
        if loop is None or loop.is_closed():
            return _safely(handler, result)
        done = threading.Event()
        outcome = [True]

        def on_loop() -> None:
            try:
                outcome[0] = self.stopped.is_set() or _safely(handler, result)
            finally:
                done.set()

        try:
            loop.call_soon_threadsafe(on_loop)
        except RuntimeError:  # the loop closed meanwhile (kernel shutting down)
            return True
        # The loop is busy while a cell runs synchronous code; wait for it, but wake on stop().
        while not done.wait(0.5):
            if self.stopped.is_set():
                return True
        return outcome[0]


def _safely(handler: Callable[[Any], object], result: Any) -> bool:
    try:
        return bool(handler(result))
    except Exception:
        with contextlib.suppress(Exception):
            log.error(
                "applying a poll's result failed; polling stops:\n%s",
                redact(traceback.format_exc()),
            )
        return True
