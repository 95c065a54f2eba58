"""A local stand-in for Workato's embedded connections, for demos and tests without an account."""

from __future__ import annotations

from ..rate_limits import RateLimits
from .server import Sandbox
from .state import Connection, Customer, Refusal

__all__ = ["Connection", "Customer", "RateLimits", "Refusal", "Sandbox"]
