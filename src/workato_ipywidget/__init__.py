"""Workato's Embedded connections widget in Jupyter, with its browser events observable from Python.

Names load lazily so that `import workato_ipywidget` stays cheap; the widget, the signer and
the sandbox import their dependencies only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import AsyncEmbeddedApi, EmbeddedApi
    from .endpoints import DataCenter
    from .errors import (
        ApiConnectionError,
        ApiError,
        AuthenticationError,
        NotFoundError,
        RateLimitError,
        RecipeStartError,
    )
    from .frame import LoggedEvent, WorkatoFrame
    from .health import AccountHealth
    from .health_rows import CustomerHealth
    from .page import EmbeddedPage
    from .panel import ConnectionsPanel
    from .protocol import (
        Click,
        ConnectionStatusChange,
        ErrorMessage,
        Event,
        HeightChange,
        Loaded,
        Navigated,
        Rejected,
        Unknown,
        Unloaded,
    )
    from .rate_limits import RateLimits
    from .records import (
        Connection,
        Customer,
        ErrorParts,
        Folder,
        Job,
        JobLine,
        Project,
        Recipe,
        RecipeConfig,
        to_frame,
    )
    from .sandbox import Sandbox
    from .token import ExternalId, InvalidKeyError, TokenSigner
    from .widget import ConnectionWidget

__version__ = "0.1.0"

_EXPORTS = {
    "ConnectionWidget": "widget",
    "LoggedEvent": "frame",
    "WorkatoFrame": "frame",
    "EmbeddedPage": "page",
    "ConnectionsPanel": "panel",
    "AccountHealth": "health",
    "CustomerHealth": "health_rows",
    "TokenSigner": "token",
    "ExternalId": "token",
    "InvalidKeyError": "token",
    "DataCenter": "endpoints",
    "EmbeddedApi": "api",
    "AsyncEmbeddedApi": "api",
    "Connection": "records",
    "Customer": "records",
    "Recipe": "records",
    "RecipeConfig": "records",
    "Job": "records",
    "JobLine": "records",
    "ErrorParts": "records",
    "Folder": "records",
    "Project": "records",
    "to_frame": "records",
    "ApiError": "errors",
    "AuthenticationError": "errors",
    "NotFoundError": "errors",
    "RateLimitError": "errors",
    "ApiConnectionError": "errors",
    "RecipeStartError": "errors",
    "RateLimits": "rate_limits",
    "Sandbox": "sandbox",
    "Event": "protocol",
    "HeightChange": "protocol",
    "ConnectionStatusChange": "protocol",
    "ErrorMessage": "protocol",
    "Loaded": "protocol",
    "Navigated": "protocol",
    "Unloaded": "protocol",
    "Click": "protocol",
    "Unknown": "protocol",
    "Rejected": "protocol",
}

__all__ = [
    "AccountHealth",
    "ApiConnectionError",
    "ApiError",
    "AsyncEmbeddedApi",
    "AuthenticationError",
    "Click",
    "Connection",
    "ConnectionStatusChange",
    "ConnectionWidget",
    "ConnectionsPanel",
    "Customer",
    "CustomerHealth",
    "DataCenter",
    "EmbeddedApi",
    "EmbeddedPage",
    "ErrorMessage",
    "ErrorParts",
    "Event",
    "ExternalId",
    "Folder",
    "HeightChange",
    "InvalidKeyError",
    "Job",
    "JobLine",
    "Loaded",
    "LoggedEvent",
    "Navigated",
    "NotFoundError",
    "Project",
    "RateLimitError",
    "RateLimits",
    "Recipe",
    "RecipeConfig",
    "RecipeStartError",
    "Rejected",
    "Sandbox",
    "TokenSigner",
    "Unknown",
    "Unloaded",
    "WorkatoFrame",
    "__version__",
    "to_frame",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workato_ipywidget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
