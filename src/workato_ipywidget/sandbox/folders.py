"""The sandbox's folders and projects, per customer, guarded by the state's lock.

Each customer has a home folder (its `folder_id`, never listed); a folder directly in it is a
project, as in Workato's workspaces. Folders are indexed by parent, so a listing reads only the
folders it answers.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from .records import StoredFolder, now

FIRST_FOLDER_ID = 1001
HOME_FOLDER_NAME = "Home"


class FolderStore:
    """Folders by id and by parent; home folders have no parent."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._folders: dict[int, StoredFolder] = {}
        self._children: dict[int, dict[int, None]] = {}
        self._next_id = FIRST_FOLDER_ID
        self._next_project = 1
        self.touched = 0
        """Folders read to answer requests: a bound on work per request, for tests."""

    def new_home(self, customer_id: str) -> int:
        """Make a customer's home folder; returns its id."""
        with self._lock:
            folder_id = self._free_id()
            stamp = now()
            self._folders[folder_id] = StoredFolder(
                folder_id, customer_id, HOME_FOLDER_NAME, None, None, stamp, stamp
            )
            return folder_id

    def _free_id(self) -> int:
        while self._next_id in self._folders:
            self._next_id += 1
        self._next_id += 1
        return self._next_id - 1

    def add(
        self, folder_id: int | None, name: str, customer_id: str, parent_id: int
    ) -> StoredFolder:
        """Add a folder under `parent_id` (a folder of the same customer), or replace one with
        the same id and customer; its id is the next free one when `folder_id` is None."""
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"a folder's name is a non-empty string, got {name!r}")
        with self._lock:
            parent = self._folders.get(parent_id)
            if parent is None or parent.customer_id != customer_id:
                raise ValueError(
                    f"parent_id {parent_id} is not a folder of customer {customer_id!r}; add it "
                    "first with Sandbox.add_folder, or leave it out for the home folder"
                )
            if folder_id is None:
                folder_id = self._free_id()
            old = self._folders.get(folder_id)
            if old is not None and (old.customer_id != customer_id or old.parent_id is None):
                raise ValueError(
                    f"folder {folder_id} is already a folder of customer {old.customer_id!r}"
                    + (" (its home folder)" if old.parent_id is None else "")
                    + "; folder ids are unique across the sandbox"
                )
            if folder_id == parent_id or self._within(parent_id, folder_id):
                raise ValueError(f"folder {folder_id} cannot be inside itself")
            stamp = now()
            project_id = None
            if parent.parent_id is None:  # directly in the home folder: a project
                project_id = old.project_id if old and old.project_id else self._next_project
                self._next_project = max(self._next_project, project_id + 1)
            if old is not None:
                self._children.get(old.parent_id or 0, {}).pop(folder_id, None)
                folder = replace(
                    old, name=name, parent_id=parent_id, project_id=project_id, updated_at=stamp
                )
            else:
                folder = StoredFolder(
                    folder_id, customer_id, name, parent_id, project_id, stamp, stamp
                )
            self._folders[folder_id] = folder
            self._children.setdefault(parent_id, {})[folder_id] = None
            return folder

    def _within(self, folder_id: int, ancestor: int) -> bool:
        """Whether `folder_id` is `ancestor` or inside it; the lock is held."""
        seen = self._folders.get(folder_id)
        while seen is not None:
            if seen.id == ancestor:
                return True
            seen = self._folders.get(seen.parent_id) if seen.parent_id is not None else None
        return False

    def get(self, folder_id: int) -> StoredFolder | None:
        with self._lock:
            self.touched += 1
            return self._folders.get(folder_id)

    def children(self, parent_id: int) -> tuple[StoredFolder, ...]:
        """The folders directly in `parent_id`, by id."""
        with self._lock:
            ids = self._children.get(parent_id, {})
            self.touched += len(ids)
            return tuple(self._folders[i] for i in sorted(ids))

    def drop_customer(self, home_id: int) -> None:
        """Forget a customer's home folder and everything in it."""
        with self._lock:
            pending = [home_id]
            while pending:
                folder_id = pending.pop()
                folder = self._folders.pop(folder_id, None)
                if folder is not None and folder.parent_id is not None:
                    self._children.get(folder.parent_id, {}).pop(folder_id, None)
                pending.extend(self._children.pop(folder_id, {}))
