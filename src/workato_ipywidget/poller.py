"""Poller: repeat an Embedded API read on a daemon thread, spaced within Workato's rate limits.

Each result goes to the kernel's event loop (so traits and callbacks change on the thread that
handles the page's messages) or, outside a running loop, is applied on the poller's own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol

from .checks import check_seconds
from .redaction import redact

__all__ = [
    "LIST_REQUESTS_PER_MINUTE",
    "MIN_POLL_SECONDS",
    "CoalescedReads",
    "PollTarget",
    "Poller",
    "check_interval",
]

log = logging.getLogger(__name__)

LIST_REQUESTS_PER_MINUTE = 1000
"""Workato's documented limit for listing a customer's connections, per API client."""
MIN_POLL_SECONDS = 2.0
"""The shortest interval a poller may use: 30 list requests a minute, 3% of Workato's limit,
which every panel, widget and script sharing the API client draws on."""


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


class PollTarget(Protocol):
    """What a Poller polls for: a read (on the poller's thread), and what to do with its result
    or failure (where the kernel's state lives); either returns True to stop polling."""

    def _poll_read(self) -> Any: ...

    def _poll_apply(self, result: Any) -> object: ...

    def _poll_failed(self, exc: Exception) -> object: ...


class Poller:
    """Run `target._poll_read()` every `every` seconds on a daemon thread, and
    `target._poll_apply(result)` after each (the caller has just read, so the first round
    waits `every` too).

    `_poll_apply` runs on the event loop that was running when `start()` was called (the
    kernel's), or on the poller's thread when there was none; it returns True to stop polling. A
    failed read is handed to `_poll_failed` the same way (True stops too), and the next
    round tries again: after what Workato asks for a `RateLimitError` (at least `every`). Polling
    stops after `limit` seconds, on `stop()`, or after the one last round `finish()` asks for;
    `start()` begins again.
    """

    def __init__(
        self, name: str, target: PollTarget, *, every: float, limit: float | None = None
    ) -> None:
        self._name = name
        self._target = target
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
            run.stop()

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
        if run is not None:
            run.join(timeout)

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
                result = self._target._poll_read()
            except Exception as exc:  # a read must never end the thread silently
                if isinstance(exc, RateLimitError):
                    wait = max(self._every, exc.retry_after or 0.0)
                # `_poll_failed` says what failed, where the user sees it; this is the schedule.
                log.debug("%s: the read failed; next read in %.0f s", self._name, wait)
                if run.deliver(self._target._poll_failed, exc):
                    break
            else:
                if run.deliver(self._target._poll_apply, result):
                    break
            if last:
                break
        run.stopped.set()


class CoalescedReads:
    """Reads on request, on a daemon thread: one read in flight and at most one queued.

    `request()` returns at once. A request while a read is in flight queues one more read (and
    every further request joins that one), and reads begin at least `spacing` seconds apart
    (after a `RateLimitError`, what Workato asks), so a burst of requests (300 Refresh clicks)
    makes a handful of reads. Each result goes to `apply`, a failure to `failed`, on the event
    loop that was running at the request (the kernel's), or on the thread without one.
    """

    def __init__(
        self,
        name: str,
        read: Callable[[], Any],
        apply: Callable[[Any], object],
        failed: Callable[[Exception], object],
        *,
        spacing: float,
    ) -> None:
        self._name = name
        self._read = read
        self._apply = apply
        self._failed = failed
        self._spacing = check_seconds("spacing", spacing)
        self._lock = threading.Lock()
        self._queued = False
        self._run: _Run | None = None
        self._next_at = 0.0  # monotonic time before which no read begins
        self._closed = False

    @property
    def busy(self) -> bool:
        """A read is in flight or queued."""
        run = self._run
        return run is not None and run.thread.is_alive()

    def request(self) -> None:
        """Ask for a read: now if none is in flight, else once more after it (coalesced)."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            if self._closed:
                return
            self._queued = True
            if self._run is not None:
                return  # the running thread takes the queued request
            run = _Run(loop)
            run.thread = threading.Thread(
                target=self._loop, args=(run,), name=self._name, daemon=True
            )
            self._run = run
        run.thread.start()

    def stop(self) -> None:
        """No further reads; one in flight finishes but is not applied."""
        with self._lock:
            self._closed = True
            run = self._run
        if run is not None:
            run.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait until no read is in flight or queued (tests, and closing)."""
        run = self._run
        if run is not None:
            run.join(timeout)

    def _loop(self, run: _Run) -> None:
        from .errors import RateLimitError

        while True:
            delay = self._next_at - time.monotonic()
            if delay > 0 and run.wake.wait(delay) and run.stopped.is_set():
                break
            with self._lock:
                if run.stopped.is_set() or not self._queued:
                    self._run = None
                    return
                self._queued = False  # requests from now on queue one more read
            self._next_at = time.monotonic() + self._spacing
            try:
                result = self._read()
            except Exception as exc:  # a read must never end the thread silently
                if isinstance(exc, RateLimitError):
                    self._next_at = time.monotonic() + max(self._spacing, exc.retry_after or 0.0)
                run.deliver(self._failed, exc)
            else:
                run.deliver(self._apply, result)
        with self._lock:
            self._run = None


class _Run:
    """One start() of a Poller: its thread, its signals, and the loop results go to."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.loop = loop
        self.wake = threading.Event()
        self.stopped = threading.Event()
        self.last_round = False
        self.thread: threading.Thread

    def stop(self) -> None:
        """No further rounds; wake the thread so that it sees it."""
        self.stopped.set()
        self.wake.set()

    def join(self, timeout: float | None) -> None:
        """Wait for the thread to end (never from the thread itself)."""
        if self.thread is not threading.current_thread():
            self.thread.join(timeout)

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
