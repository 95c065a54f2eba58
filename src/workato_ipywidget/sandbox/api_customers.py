"""The sandbox's Embedded API for customers (Workato's "managed users"): list, get, create,
update and delete."""

from __future__ import annotations

from typing import Any

from ..rate_limits import Family
from .api_base import CUSTOMER_PATH, ApiHandler, ApiRefusal, moment
from .base import Routes, SandboxConfig, routes
from .records import StoredCustomer

_FIELDS = frozenset(
    {"name", "notification_email", "external_id", "plan_id", "origin_url", "in_trial"}
)


def customer_routes(config: SandboxConfig) -> Routes:
    """The customers endpoints' routes."""
    return routes(
        config,
        (r"/api/managed_users", CustomersHandler),
        (CUSTOMER_PATH, CustomerHandler),
    )


def describe_customer(customer: StoredCustomer) -> dict[str, Any]:
    """A customer as Workato's managed-user endpoints answer it."""
    return {
        "id": int(customer.id) if customer.id.isdigit() else customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "notification_email": customer.notification_email,
        "plan_id": customer.plan_id,
        "origin_url": customer.origin_url,
        "in_trial": customer.in_trial,
        "created_at": moment(customer.created_at),
        "updated_at": moment(customer.updated_at),
    }


class CustomersHandler(ApiHandler):
    """`GET /api/managed_users?page=&per_page=` (100 a page at most) and `POST` (create)."""

    def family_of(self, method: str) -> Family:
        return "create_customer" if method == "POST" else "customers"

    def get(self) -> None:
        customers = self.sandbox.state.customers(self.page_window())
        self.write_json({"result": [describe_customer(c) for c in customers]})

    def post(self) -> None:
        data = self.body(_FIELDS)
        for required in ("name", "notification_email"):
            if not isinstance(data.get(required), str) or not data[required].strip():
                raise ApiRefusal(400, f"{required} is required: a non-empty string")
        customer = self.changed(self.sandbox.state.create_customer, **data)
        self.write_json(describe_customer(customer))


class CustomerHandler(ApiHandler):
    """`GET`, `PUT` (only the properties sent change; null clears) and `DELETE` one customer."""

    family: Family = "customers"

    def get(self, _reference: str) -> None:
        self.write_json(describe_customer(self.customer()))

    def put(self, _reference: str) -> None:
        customer = self.customer()
        data = self.body(_FIELDS)
        if not data:
            raise ApiRefusal(400, f"nothing to update; send one of {', '.join(sorted(_FIELDS))}")
        if "notification_email" in data and data["notification_email"] is None:
            raise ApiRefusal(400, "notification_email cannot be cleared: Workato requires one")
        updated = self.changed(self.sandbox.state.update_customer, customer.id, **data)
        self.write_json(describe_customer(updated))

    def delete(self, _reference: str) -> None:
        customer = self.customer()
        self.sandbox.state.delete_customer(customer.id)
        self.write_json({"success": True})
