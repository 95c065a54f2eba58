"""Awaiting a value that the page's messages (or a poller thread) will change, inside a cell.

One rule for every `wait_for`: check the value now, otherwise wake on each change (from this
thread or another) until the predicate holds or the timeout passes; and refuse at once where the
kernel cannot deliver widget messages while a cell awaits.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from .checks import check_seconds

__all__ = ["await_blocker", "refuse_if_blocked", "wait_until"]

T = TypeVar("T")

Subscribe = Callable[[Callable[[T], None]], Callable[[], None]]
"""`subscribe(on_value)` calls `on_value(new)` on every change and returns its unsubscribe."""


async def wait_until(
    current: Callable[[], T],
    subscribe: Subscribe[T],
    predicate: Callable[[T], object],
    timeout: float | None,
    describe_timeout: Callable[[T], str],
) -> T:
    """Return the first value satisfying `predicate`: the current one, or a later change.

    Changes may arrive from any thread. Raises TimeoutError with `describe_timeout(last value)`;
    an exception raised by `predicate` comes out of the await.
    """
    if not callable(predicate):
        raise TypeError(f"wait_for: predicate must be callable, not {type(predicate).__name__}")
    if timeout is not None:  # 0 checks once, now; infinity waits as None does
        check_seconds("wait_for: timeout", timeout, zero=True, finite=False, off=" or None")
    value = current()
    if predicate(value):
        return value
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()
    owner = threading.get_ident()

    def settle(new: T) -> None:
        if future.done():
            return
        try:
            if predicate(new):
                future.set_result(new)
        except Exception as exc:  # the caller's predicate; surface it from the await
            future.set_exception(exc)

    def on_value(new: T) -> None:
        if threading.get_ident() == owner:
            settle(new)
        else:
            loop.call_soon_threadsafe(settle, new)

    unsubscribe = subscribe(on_value)
    try:
        # A change between the first check and the subscription is caught here.
        settle(current())
        return await asyncio.wait_for(future, timeout)
    except asyncio.TimeoutError:
        raise TimeoutError(describe_timeout(current())) from None
    finally:
        unsubscribe()


def refuse_if_blocked(instead: str) -> None:
    """Raise RuntimeError at once where `wait_for` cannot work, naming what to do `instead`."""
    blocker = await_blocker()
    if blocker is not None:
        raise RuntimeError(
            f"wait_for cannot work here: {blocker}, so the page's messages would only arrive "
            f"after this cell finished. {instead}"
        )


def await_blocker() -> str | None:
    """Why this kernel cannot deliver widget messages while a cell awaits, or None if it can."""
    marimo = sys.modules.get("marimo")
    running_in_notebook = getattr(marimo, "running_in_notebook", None)
    if callable(running_in_notebook) and running_in_notebook():
        return "marimo runs one kernel request at a time"
    if os.environ.get("VOILA_KERNEL_ID"):
        return "Voila renders the dashboard only after every cell has run"
    if "ipykernel" in sys.modules:
        from ipykernel.kernelbase import Kernel

        if Kernel.initialized():
            version = _version_tuple(getattr(sys.modules["ipykernel"], "__version__", "0"))
            if version < (7, 4):
                return (
                    f"ipykernel {'.'.join(map(str, version))} handles no comm message while a "
                    "cell runs (7.4 and later do: pip install -U ipykernel)"
                )
    return None


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(itertools.takewhile(str.isdigit, piece))
        parts.append(int(digits or 0))
    return tuple(parts)
