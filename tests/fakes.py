"""A stand-in for the JS bridge, for tests that drive a widget without a browser."""

from __future__ import annotations

from typing import Any

PAGE_ORIGIN = "http://localhost:8888"


class FakeFrontend:
    """Plays the JS bridge for one widget: delivers custom messages through the widget's comm
    message handler exactly as the bridge sends them, and records what the kernel sends back."""

    def __init__(self, widget: Any) -> None:
        self.widget = widget
        self.sent: list[dict[str, Any]] = []
        widget.comm.send = self._capture

    def _capture(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        if isinstance(data, dict) and data.get("method") == "custom":
            self.sent.append(data["content"])

    def deliver(self, content: object) -> None:
        self.widget._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )

    def ready(self, view: str = "view-1", origin: str = PAGE_ORIGIN) -> dict[str, Any]:
        """Render a view; return the kernel's answer to it (`load` or `load_error`)."""
        self.deliver({"kind": "ready", "view": view, "origin": origin})
        return self.sent[-1]

    def post(self, message: object, view: str = "view-1") -> None:
        """Forward one postMessage from the view's iframe."""
        self.deliver({"kind": "message", "view": view, "message": message})
