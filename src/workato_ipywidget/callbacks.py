"""Lists of user callbacks: subscribing returns an unsubscribe, and calling them never lets one
callback's exception break the widget (it is logged, with anything token-shaped redacted)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from .redaction import redact

__all__ = ["call_each", "subscribe"]

F = TypeVar("F", bound=Callable[..., object])


def subscribe(callbacks: list[F], callback: F, remove: bool, takes: str) -> Callable[[], None]:
    """Add `callback` to `callbacks` once (or take it out when `remove`); return an unsubscribe.

    `takes` says what a callback is called with, for the TypeError a non-callable gets.
    """
    if not callable(callback):
        raise TypeError(f"expected a callable taking {takes}, got {type(callback).__name__}")
    if remove:
        if callback in callbacks:
            callbacks.remove(callback)
    elif callback not in callbacks:
        callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in callbacks:
            callbacks.remove(callback)

    return unsubscribe


def call_each(
    callbacks: list[F], args: tuple[Any, ...], log: logging.Logger, owner: str, kind: str
) -> None:
    """Call every callback with `args`; one that raises is logged and the others still run."""
    for callback in list(callbacks):
        try:
            callback(*args)
        except Exception:
            log.error(
                "%s: a %s callback %s raised; it carries on:\n%s",
                owner,
                kind,
                redact(repr(callback)),  # a partial may hold a token among its arguments
                redact(traceback.format_exc()),
            )
