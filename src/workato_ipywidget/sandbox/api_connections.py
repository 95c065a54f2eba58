"""The sandbox's Embedded API for a customer's connections, as Workato documents it: list
(filtered), create a shell connection, update, disconnect and delete."""

from __future__ import annotations

from typing import Any

from ..rate_limits import Family
from .api_base import CUSTOMER_PATH, ApiHandler, ApiRefusal, moment
from .base import Routes, SandboxConfig, routes
from .records import StoredConnection

_CONNECTION = CUSTOMER_PATH + r"/connections/([^/]+)"
_CREATE_FIELDS = frozenset({"name", "provider", "folder_id", "parent_id", "external_id", "input"})
_UPDATE_FIELDS = frozenset({"name", "folder_id", "parent_id", "external_id", "input"})


def connection_routes(config: SandboxConfig) -> Routes:
    """The connections endpoints' routes."""
    return routes(
        config,
        (CUSTOMER_PATH + r"/connections", ConnectionsHandler),
        (_CONNECTION, ConnectionHandler),
        (_CONNECTION + r"/disconnect", DisconnectHandler),
    )


def describe_connection(connection: StoredConnection, *, include_tags: bool) -> dict[str, Any]:
    """A connection with every field Workato documents, typed as its OpenAPI model says."""
    return {
        "id": connection.id,
        "application": connection.provider,
        "name": connection.name,
        "description": connection.description,
        "authorized_at": moment(connection.authorized_at),
        "authorization_status": connection.authorization_status,
        "authorization_error": connection.authorization_error,
        "created_at": moment(connection.created_at),
        "updated_at": moment(connection.updated_at),
        "external_id": connection.external_id,
        "folder_id": connection.folder_id,
        "connection_lost_at": moment(connection.connection_lost_at),
        "connection_lost_reason": connection.connection_lost_reason,
        "parent_id": connection.parent_id,
        "provider": connection.provider,
        "tags": list(connection.tags) if include_tags else None,
    }


class ConnectionsHandler(ApiHandler):
    """`GET` (list, filtered) and `POST` (create a shell connection) of a customer's connections."""

    def family_of(self, method: str) -> Family:
        return "list_connections" if method == "GET" else "connections"

    def get(self, _reference: str) -> None:
        customer = self.customer()
        provider = self.get_query_argument("provider", None)
        folder_id = self.int_query("folder_id")
        parent_id = self.int_query("parent_id")
        external_id = self.get_query_argument("external_id", None)
        runtime = self.get_query_argument("include_runtime_connections", "") == "true"
        include_tags = "tags" in self.get_query_arguments("includes[]")
        found = [
            c
            for c in self.sandbox.state.connections(customer.id)
            if (provider is None or c.provider == provider)
            and (folder_id is None or c.folder_id == folder_id)
            and (parent_id is None or c.parent_id == parent_id)
            and (external_id is None or c.external_id == external_id)
            and (runtime or not c.runtime)
        ]
        self.write_json(
            {"result": [describe_connection(c, include_tags=include_tags) for c in found]}
        )

    def post(self, _reference: str) -> None:
        customer = self.customer()
        data = self.body(_CREATE_FIELDS)
        for required in ("name", "provider"):
            if not isinstance(data.get(required), str) or not data[required].strip():
                raise ApiRefusal(400, f"{required} is required: a non-empty string")
        provider = data.pop("provider")
        connection = self.changed(
            self.sandbox.state.create_connection, customer.id, provider, **data
        )
        self.write_json(describe_connection(connection, include_tags=False))


class ConnectionHandler(ApiHandler):
    """`PUT` (update) and `DELETE` one connection of a customer."""

    def put(self, _reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(), raw_id)
        data = self.body(_UPDATE_FIELDS)
        if not data:
            fields = ", ".join(sorted(_UPDATE_FIELDS))
            raise ApiRefusal(400, f"nothing to update; send one of {fields}")
        updated = self.changed(self.sandbox.state.update_connection, connection.id, **data)
        self.write_json(describe_connection(updated, include_tags=False))

    def delete(self, _reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(), raw_id)
        self.sandbox.state.delete_connection(connection.id)
        self.write_json({"result": "success"})


class DisconnectHandler(ApiHandler):
    """`POST .../connections/:id/disconnect`: nothing happens to a connection not connected."""

    def post(self, _reference: str, raw_id: str) -> None:
        connection = self.connection(self.customer(), raw_id)
        if connection.authorization_status is not None or connection.connection_lost_at:
            self.sandbox.state.disconnect(connection.id)
        self.write_json({"result": "success"})
