"""The names `configure` gives and the service and the client quote in their messages."""

from __future__ import annotations

__all__ = ["DEFAULT_NAME", "URL_ENV", "access_scope", "role_name"]

DEFAULT_NAME = "workato-tokens"
URL_ENV = "WORKATO_TOKEN_SERVICE_URL"
"""The kernels' environment variable holding the service's base URL (``.../services/<name>/``)."""


def access_scope(name: str) -> str:
    """The JupyterHub scope a user's token needs to call the service `name`."""
    return f"access:services!service={name}"


def role_name(name: str) -> str:
    """The role `configure` makes for the users and groups of the policy's grants."""
    return f"{name}-users"
