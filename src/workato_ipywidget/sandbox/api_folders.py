"""The sandbox's Embedded API for a customer's folders and projects."""

from __future__ import annotations

from typing import Any

from ..rate_limits import Family
from .api_base import CUSTOMER_PATH, ApiHandler, ApiRefusal, moment
from .base import Routes, SandboxConfig, routes
from .records import StoredFolder


def folder_routes(config: SandboxConfig) -> Routes:
    """The folders and projects endpoints' routes."""
    return routes(
        config,
        (CUSTOMER_PATH + r"/folders", FoldersHandler),
        (CUSTOMER_PATH + r"/projects", ProjectsHandler),
    )


def describe_folder(folder: StoredFolder) -> dict[str, Any]:
    """A folder as Workato answers it."""
    return {
        "id": folder.id,
        "name": folder.name,
        "parent_id": folder.parent_id,
        "is_project": folder.is_project,
        "project_id": folder.project_id,
        "created_at": moment(folder.created_at),
        "updated_at": moment(folder.updated_at),
    }


def describe_project(folder: StoredFolder) -> dict[str, Any]:
    """A project (a folder directly in the home folder) as Workato answers it."""
    return {
        "id": folder.project_id,
        "name": folder.name,
        "description": folder.description,
        "folder_id": folder.id,
    }


class FoldersHandler(ApiHandler):
    """`GET .../folders?parent_id=`: the folders in `parent_id` (the home folder by default)."""

    family: Family = "folders"

    def get(self, _reference: str) -> None:
        customer = self.customer()
        parent_id = self.int_query("parent_id")
        folders = self.sandbox.state.folders
        if parent_id is not None:
            parent = folders.get(parent_id)
            if parent is None or parent.customer_id != customer.id:
                raise ApiRefusal(404, f"customer {customer.id!r} has no folder {parent_id}")
        children = folders.children(customer.folder_id if parent_id is None else parent_id)
        self.write_json({"result": [describe_folder(f) for f in children[self.page_window()]]})


class ProjectsHandler(ApiHandler):
    """`GET .../projects`: the customer's projects, paged as folders are."""

    family: Family = "projects"

    def get(self, _reference: str) -> None:
        customer = self.customer()
        projects = self.sandbox.state.folders.children(customer.folder_id)
        self.write_json({"result": [describe_project(p) for p in projects[self.page_window()]]})
