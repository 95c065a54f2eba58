"""How a sandbox recipe runs: a job per trigger event, succeeding when every connection it uses
is authorized and not lost, failing on the first step whose connection is not, with the text
Workato shows for it. Pure functions over snapshots; `RecipeStore` keeps the results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .records import RecipeStep, StoredConnection, StoredJob, StoredJobLine, provider_title

Lookup = Callable[[int], StoredConnection | None]
"""A connection by id, or None when it was deleted."""

_HANDLE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def handle(prefix: str, *parts: object) -> str:
    """A Workato-like string handle such as `j-KGAKfhsz-GYoLe`, reproducible from `parts`."""
    number = int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:12], "big")
    chars = []
    for _ in range(13):
        number, digit = divmod(number, len(_HANDLE_ALPHABET))
        chars.append(_HANDLE_ALPHABET[digit])
    text = "".join(chars)
    return f"{prefix}-{text[:8]}-{text[8:]}"


def broken(step: RecipeStep, lookup: Lookup) -> str | None:
    """Why the step's connection cannot be used, in Workato's words; None when it can."""
    if step.connection_id is None:
        return None
    connection = lookup(step.connection_id)
    app = provider_title(step.adapter)
    if connection is None:
        return f"{app} connection {step.connection_id} was deleted; select another connection"
    if connection.connection_lost_at is not None:
        reason = connection.connection_lost_reason or "no reason given"
        return f"{app} connection '{connection.name}' was lost: {reason}. Reconnect it"
    if connection.authorization_status != "success":
        detail = f": {connection.authorization_error}" if connection.authorization_error else ""
        return f"{app} connection '{connection.name}' is not authorized{detail}. Reconnect it"
    return None


def config_errors(steps: tuple[RecipeStep, ...], lookup: Lookup) -> list[list[Any]]:
    """Why a recipe cannot start: `[recipe_line_number, adapter, message]` per broken step."""
    errors = []
    for step in steps:
        reason = broken(step, lookup)
        if reason is not None:
            errors.append([step.line, step.adapter, reason])
    return errors


def run(
    recipe_id: int,
    steps: tuple[RecipeStep, ...],
    lookup: Lookup,
    flow_run_id: int,
    at: datetime,
) -> StoredJob:
    """One job: each step in order until one whose connection is broken fails it."""
    lines = []
    error_parts: dict[str, Any] | None = None
    for step in steps:
        reason = broken(step, lookup)
        lines.append(StoredJobLine(step.line, step.adapter, step.operation, reason))
        if reason is not None:
            error_parts = {
                "adapter": step.adapter,
                "error_type": "connection_error",
                "message": reason,
                "error_id": handle("e", recipe_id, flow_run_id),
                "error_at": at,
                "input": {},
                "inner_message": reason,
            }
            break
    trigger = provider_title(steps[0].adapter)
    return StoredJob(
        id=handle("j", recipe_id, flow_run_id),
        flow_run_id=flow_run_id,
        recipe_id=recipe_id,
        title=f"{trigger} event #{flow_run_id}",
        started_at=at,
        completed_at=at,
        lines=tuple(lines),
        error_parts=error_parts,
    )
