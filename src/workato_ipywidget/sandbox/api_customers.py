"""The sandbox's Embedded API for customers (Workato's "managed users")."""

from __future__ import annotations

from typing import Any

from ..rate_limits import Family
from .api_base import CUSTOMER_PATH, ApiHandler, moment
from .base import Routes, SandboxConfig
from .records import StoredCustomer


def customer_routes(config: SandboxConfig) -> Routes:
    """The customers endpoints' routes."""
    args = {"config": config}
    return [
        (r"/api/managed_users", CustomersHandler, args),
        (CUSTOMER_PATH, CustomerHandler, args),
    ]


def describe_customer(customer: StoredCustomer) -> dict[str, Any]:
    """A customer as Workato's managed-user endpoints answer it."""
    return {
        "id": int(customer.id) if customer.id.isdigit() else customer.id,
        "external_id": customer.external_id,
        "name": customer.name,
        "notification_email": None,
        "plan_id": "oem_plan",
        "origin_url": None,
        "in_trial": False,
        "created_at": moment(customer.created_at),
        "updated_at": moment(customer.updated_at),
    }


class CustomersHandler(ApiHandler):
    """`GET /api/managed_users?page=&per_page=`: every customer, 100 a page at most."""

    family: Family = "customers"

    def get(self) -> None:
        customers = self.sandbox.state.customers()[self.page_window()]
        self.write_json({"result": [describe_customer(c) for c in customers]})


class CustomerHandler(ApiHandler):
    """`GET /api/managed_users/:id`: one customer."""

    family: Family = "customers"

    def get(self, _reference: str) -> None:
        self.write_json(describe_customer(self.customer()))
