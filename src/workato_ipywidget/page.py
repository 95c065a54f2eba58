"""EmbeddedPage: any Workato page in a cell (a full-page embed), navigated from both sides.

The iframe core is `frame.WorkatoFrame`; this module adds the page's path, its title, and
Workato's `navigation` message, which the JS view queues until its page has posted `loaded`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import traitlets

from . import endpoints, protocol
from .frame import Callback, WorkatoFrame

__all__ = ["EmbeddedPage"]


class EmbeddedPage(WorkatoFrame):
    """Shows a Workato page (``/recipes``, ``/dashboard``, a recipe) and follows where it goes.

    `path` is where the page is now, as Workato reports it in `loaded` and `navigated` (reduced to
    Workato's path and query, tokens removed); `navigate(path)` moves every view of the page. A
    view that loads later opens where the last `navigate()` asked, until the page reports a move,
    and at the current `path` after that.
    """

    path = traitlets.Unicode(read_only=True).tag(sync=True)
    title = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    status = traitlets.Enum(("loading", "loaded", "error"), default_value="loading").tag(sync=True)

    _KIND: ClassVar[str] = "page"
    _STATE_TRAITS: ClassVar[frozenset[str]] = WorkatoFrame._STATE_TRAITS | {
        "path",
        "title",
    }
    _CALLBACK_KINDS: ClassVar[tuple[str, ...]] = ("navigate", *WorkatoFrame._CALLBACK_KINDS)

    def __init__(self, path: str, **kwargs: Any) -> None:
        """Show the Workato page at `path`.

        Args:
            path: A Workato path with an optional query, e.g. ``"/recipes?folder_id=7"``; it
                starts with ``/`` and carries no scheme, host or ``workato_dl_token``.
            **kwargs: As `WorkatoFrame`: one token source (`signer=` + `customer_id=`,
                `token_provider=` or `token=`), and `data_center=` or `base_url=`.

        Raises:
            ValueError: `path` is not a Workato path.
        """
        self.set_trait("path", endpoints.validate_page_path(path))
        self._requested: str | None = None  # the last navigate() the page has not reported yet
        super().__init__(**kwargs)

    def navigate(self, path: str) -> None:
        """Send Workato's `navigation` to every view; `path` changes once the page reports it.

        A view whose page has not posted `loaded` yet keeps the latest request until it has, and a
        view that asks for its URL later (one displayed in the same cell, whose listener was not
        there yet) loads at `path` directly. `await page.wait_for("path", lambda p: p == path)`
        waits for the page to get there.

        Args:
            path: A Workato path with an optional query, e.g. ``"/dashboard"``.

        Raises:
            ValueError: `path` is not a Workato path.
        """
        self._requested = endpoints.validate_page_path(path)
        self.send({"kind": "navigate", "path": self._requested})

    def on_navigate(self, callback: Callback, *, remove: bool = False) -> Callable[[], None]:
        """Call `callback(event)` for each `loaded` and `navigated`.

        Args:
            callback: Called with each `Loaded` or `Navigated` event.
            remove: Take `callback` out instead of adding it.

        Returns:
            A function that unsubscribes `callback`.
        """
        return self._subscribe("navigate", callback, remove)

    def __repr__(self) -> str:
        return f"EmbeddedPage(path={self.path!r}, status={self.status!r})"

    def _frame_url(self, token: str) -> str:
        return endpoints.page_url(self.base_url, self._requested or self.path, token)

    def _describe_self(self) -> str:
        return f"page {self.path[:80]}"

    def _apply(self, event: protocol.Event) -> None:
        if isinstance(event, (protocol.Loaded, protocol.Navigated)):
            where = endpoints.workato_path(event.url)
            if where is not None:
                self._requested = None  # the page moved: from now on, views open where it is
                self.set_trait("path", where)
            if event.title is not None:
                self.title = event.title
            self.error = None
            self.status = "loaded"
        elif isinstance(event, protocol.Unloaded):
            self.status = "loading"
        else:
            super()._apply(event)

    def _callback_kinds(self, event: protocol.Event) -> tuple[str, ...]:
        if isinstance(event, (protocol.Loaded, protocol.Navigated)):
            return ("navigate",)
        return super()._callback_kinds(event)
