"""Workato's Embedded connections widget in Jupyter, with its browser events observable from Python.

Names load lazily so that `import workato_ipywidget` stays cheap; the widget, the signer and
the sandbox import their dependencies only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `import X as X` marks X re-exported (PEP 484), as `__all__` is derived
    from .api import AsyncEmbeddedApi as AsyncEmbeddedApi
    from .api import EmbeddedApi as EmbeddedApi
    from .endpoints import DataCenter as DataCenter
    from .errors import ApiConnectionError as ApiConnectionError
    from .errors import ApiError as ApiError
    from .errors import AuthenticationError as AuthenticationError
    from .errors import NotFoundError as NotFoundError
    from .errors import RateLimitError as RateLimitError
    from .errors import RecipeStartError as RecipeStartError
    from .frame import LoggedEvent as LoggedEvent
    from .frame import WorkatoFrame as WorkatoFrame
    from .health import AccountHealth as AccountHealth
    from .health_rows import CustomerHealth as CustomerHealth
    from .hub import HubSigner as HubSigner
    from .hub import HubSignerError as HubSignerError
    from .page import EmbeddedPage as EmbeddedPage
    from .panel import ConnectionsPanel as ConnectionsPanel
    from .protocol import Click as Click
    from .protocol import ConnectionStatusChange as ConnectionStatusChange
    from .protocol import ErrorMessage as ErrorMessage
    from .protocol import Event as Event
    from .protocol import HeightChange as HeightChange
    from .protocol import Loaded as Loaded
    from .protocol import Navigated as Navigated
    from .protocol import Rejected as Rejected
    from .protocol import Unknown as Unknown
    from .protocol import Unloaded as Unloaded
    from .rate_limits import ApiStats as ApiStats
    from .rate_limits import RateLimits as RateLimits
    from .records import Connection as Connection
    from .records import Customer as Customer
    from .records import ErrorParts as ErrorParts
    from .records import Folder as Folder
    from .records import Job as Job
    from .records import JobLine as JobLine
    from .records import Project as Project
    from .records import Recipe as Recipe
    from .records import RecipeConfig as RecipeConfig
    from .records import to_frame as to_frame
    from .sandbox import Sandbox as Sandbox
    from .signing import Signer as Signer
    from .token import ExternalId as ExternalId
    from .token import InvalidKeyError as InvalidKeyError
    from .token import TokenSigner as TokenSigner
    from .widget import ConnectionWidget as ConnectionWidget

__version__ = "0.1.0"

# The one list of public names: each name and the module that defines it. `__all__`, `dir()` and
# the lazy `__getattr__` below read it; the TYPE_CHECKING imports above repeat it for type checkers,
# and tests/test_exports.py fails when the two disagree or a name does not import.
_EXPORTS: dict[str, str] = {
    "AsyncEmbeddedApi": "api",
    "EmbeddedApi": "api",
    "DataCenter": "endpoints",
    "ApiConnectionError": "errors",
    "ApiError": "errors",
    "AuthenticationError": "errors",
    "NotFoundError": "errors",
    "RateLimitError": "errors",
    "RecipeStartError": "errors",
    "LoggedEvent": "frame",
    "WorkatoFrame": "frame",
    "AccountHealth": "health",
    "CustomerHealth": "health_rows",
    "HubSigner": "hub",
    "HubSignerError": "hub",
    "EmbeddedPage": "page",
    "ConnectionsPanel": "panel",
    "Click": "protocol",
    "ConnectionStatusChange": "protocol",
    "ErrorMessage": "protocol",
    "Event": "protocol",
    "HeightChange": "protocol",
    "Loaded": "protocol",
    "Navigated": "protocol",
    "Rejected": "protocol",
    "Unknown": "protocol",
    "Unloaded": "protocol",
    "ApiStats": "rate_limits",
    "RateLimits": "rate_limits",
    "Connection": "records",
    "Customer": "records",
    "ErrorParts": "records",
    "Folder": "records",
    "Job": "records",
    "JobLine": "records",
    "Project": "records",
    "Recipe": "records",
    "RecipeConfig": "records",
    "to_frame": "records",
    "Sandbox": "sandbox",
    "Signer": "signing",
    "ExternalId": "token",
    "InvalidKeyError": "token",
    "TokenSigner": "token",
    "ConnectionWidget": "widget",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workato_ipywidget' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
