"""Typed, immutable records of Workato's Embedded API answers: connections and customers.

Each record is built from one JSON object of an answer by ``from_api``, which names the malformed
field in its ValueError; fields Workato adds later are kept, read-only, in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, NoReturn

__all__ = ["Connection", "Customer", "json_kind"]

_CONNECTION_FIELDS = (
    "id",
    "application",
    "name",
    "description",
    "authorized_at",
    "authorization_status",
    "authorization_error",
    "created_at",
    "updated_at",
    "external_id",
    "folder_id",
    "connection_lost_at",
    "connection_lost_reason",
    "parent_id",
    "provider",
    "tags",
)


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection of a customer, as Workato's Embedded API describes it.

    ``authorization_status`` is ``"success"``, ``"failed"``, ``"exception"`` or None (never
    authorized); ``tags`` is None unless the list asked for them. Fields Workato adds later are
    kept, read-only, in ``extra``.
    """

    id: int
    name: str
    provider: str | None = None
    application: str | None = None
    description: str | None = None
    authorization_status: str | None = None
    authorization_error: str | None = None
    authorized_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    external_id: str | None = None
    folder_id: int | None = None
    parent_id: int | None = None
    connection_lost_at: datetime | None = None
    connection_lost_reason: str | None = None
    tags: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    @property
    def connected(self) -> bool:
        """Authorized and not lost since: what Workato's own samples show as "connected"."""
        return self.authorization_status == "success" and self.connection_lost_at is None

    @classmethod
    def from_api(cls, record: object) -> Connection:
        """Build from one JSON object of Workato's answer; ValueError names a malformed field."""
        data = _record(record, "connection")
        what = f"connection {data.get('id')!r}" if "id" in data else "a connection record"
        reader = _Reader(data, what)
        return cls(
            id=reader.integer("id", required=True),  # type: ignore[arg-type]
            name=reader.text("name", required=True),  # type: ignore[arg-type]
            provider=reader.text("provider"),
            application=reader.text("application"),
            description=reader.text("description"),
            authorization_status=reader.text("authorization_status"),
            authorization_error=reader.text("authorization_error"),
            authorized_at=reader.moment("authorized_at"),
            created_at=reader.moment("created_at"),
            updated_at=reader.moment("updated_at"),
            external_id=reader.text("external_id"),
            folder_id=reader.integer("folder_id"),
            parent_id=reader.integer("parent_id"),
            connection_lost_at=reader.moment("connection_lost_at"),
            connection_lost_reason=reader.text("connection_lost_reason"),
            tags=reader.texts("tags"),
            extra=reader.rest(_CONNECTION_FIELDS),
        )


_CUSTOMER_FIELDS = (
    "id",
    "external_id",
    "name",
    "notification_email",
    "plan_id",
    "origin_url",
    "in_trial",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True, slots=True)
class Customer:
    """One customer (a "managed user") of the vendor, as Workato's Embedded API describes it.

    ``id`` is Workato's id (an int on Workato; the local sandbox also uses names such as
    ``"acme"``). Undocumented fields are kept, read-only, in ``extra``.
    """

    id: int | str
    name: str | None = None
    external_id: str | None = None
    notification_email: str | None = None
    plan_id: str | None = None
    origin_url: str | None = None
    in_trial: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    @classmethod
    def from_api(cls, record: object) -> Customer:
        """Build from one JSON object of Workato's answer; ValueError names a malformed field."""
        data = _record(record, "customer")
        what = f"customer {data.get('id')!r}" if "id" in data else "a customer record"
        reader = _Reader(data, what)
        customer_id = data.get("id")
        if isinstance(customer_id, bool) or not isinstance(customer_id, int | str):
            raise ValueError(f"{what} has no id (an int or a str); got {json_kind(customer_id)}")
        return cls(
            id=customer_id,
            name=reader.text("name"),
            external_id=reader.text("external_id"),
            notification_email=reader.text("notification_email"),
            plan_id=reader.text("plan_id"),
            origin_url=reader.text("origin_url"),
            in_trial=reader.flag("in_trial"),
            created_at=reader.moment("created_at"),
            updated_at=reader.moment("updated_at"),
            extra=reader.rest(_CUSTOMER_FIELDS),
        )


def _record(record: object, what: str) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ValueError(f"a {what} record must be a JSON object, got {json_kind(record)}")
    return record


def json_kind(value: object) -> str:
    """How an error names a JSON value's kind: ``null``, ``str``, ``list``..."""
    return "null" if value is None else type(value).__name__


class _Reader:
    """Typed reads of one record's fields, each failure naming the record and the field."""

    def __init__(self, data: dict[str, Any], what: str) -> None:
        self._data = data
        self._what = what

    def _fail(self, name: str, expected: str) -> NoReturn:
        raise ValueError(
            f"{self._what}: field {name!r} should be {expected}, "
            f"got {json_kind(self._data.get(name))}"
        )

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self._data.get(name)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self._fail(name, "an integer")
        return value

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self._data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            self._fail(name, "a string")
        return value

    def flag(self, name: str) -> bool | None:
        value = self._data.get(name)
        if value is None or isinstance(value, bool):
            return value
        self._fail(name, "true, false or null")

    def texts(self, name: str) -> tuple[str, ...] | None:
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self._fail(name, "a list of strings")
        return tuple(value)

    def moment(self, name: str) -> datetime | None:
        value = self._data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self._fail(name, "an ISO 8601 date-time string")
        parsed = _parse_datetime(value)
        if parsed is None:
            raise ValueError(
                f"{self._what}: field {name!r} is not an ISO 8601 date-time: {value[:40]!r}"
            )
        return parsed

    def rest(self, known: tuple[str, ...]) -> Mapping[str, Any]:
        return MappingProxyType({k: v for k, v in self._data.items() if k not in known})


def _parse_datetime(text: str) -> datetime | None:
    """ISO 8601 as Workato writes it ("2019-09-10T18:20:08.854-07:00", or with "Z"), tz-aware."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
