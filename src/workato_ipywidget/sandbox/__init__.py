"""A local stand-in for Workato's embedded connections, for demos and tests without an account."""

from __future__ import annotations

from ..rate_limits import RateLimits
from .records import Refusal, StoredConnection, StoredCustomer
from .server import Sandbox

__all__ = ["RateLimits", "Refusal", "Sandbox", "StoredConnection", "StoredCustomer"]
