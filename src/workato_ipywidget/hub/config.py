"""`configure(c, policy=...)`: the token service in one line of ``jupyterhub_config.py``.

Adds the managed service, a role that lets the users and groups of the policy's grants call it,
the server-token scopes that let their kernels do so, and the environment variable that tells the
kernels where it is. Adds to what the config already has; never imports JupyterHub.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any

from .names import DEFAULT_NAME, URL_ENV, access_scope, role_name
from .policy import Policy, PolicyError, load_policy

__all__ = ["DEFAULT_SERVER_SCOPES", "configure"]

DEFAULT_SERVER_SCOPES = ("users:activity!user", "access:servers!server")
"""What JupyterHub's ``server`` role gives a server token, kept when adding the service's scope."""


def configure(
    c: Any,
    *,
    policy: str | os.PathLike[str],
    name: str = DEFAULT_NAME,
    url: str | None = None,
    spawner: str = "Spawner",
) -> Policy:
    """Add the Workato token service to a JupyterHub config.

    Args:
        c: the config object of ``jupyterhub_config.py`` (``c = get_config()``).
        policy: the TOML policy file (checked now, so a bad one stops the hub from starting).
        name: the service's name; its URL path is ``/services/<name>/``.
        url: where the service listens, e.g. ``http://hub:10101`` in Kubernetes; default a
            free port on 127.0.0.1 (user servers on the hub's machine).
        spawner: the config section the scopes and environment go to: ``"Spawner"``, or the
            spawner class whose own settings would override it (Zero to JupyterHub sets
            ``c.KubeSpawner.environment``, so pass ``"KubeSpawner"`` there).

    Returns:
        The checked policy.

    Raises:
        PolicyError: the policy is wrong, or its passphrase variable is not set.
        ValueError: `url` is not ``http(s)://host:port``, or a service `name` exists already.
    """
    checked = load_policy(policy)
    base = _service_url(url)
    environment: dict[str, str] = {}
    if checked.passphrase_env is not None:
        value = os.environ.get(checked.passphrase_env)
        if value is None:
            raise PolicyError(
                f"{checked.path}: passphrase_env names {checked.passphrase_env}, which is not set "
                "in the hub's environment; export it before starting JupyterHub"
            )
        environment[checked.passphrase_env] = value
    hub = c.JupyterHub
    services = list(hub.get("services") or [])
    if any(s.get("name") == name for s in services):
        raise ValueError(
            f"c.JupyterHub.services already has a service named {name!r}; call configure() once, "
            "or pass name= to run a second token service"
        )
    services.append(
        {
            "name": name,
            "url": base,
            "command": [
                sys.executable, "-m", "workato_ipywidget.cli", "hub-service",
                "--policy", str(checked.path.resolve()),
            ],
            "environment": environment,
            "display": False,
        }
    )  # fmt: skip
    hub.services = services
    hub.load_roles = [
        *list(hub.get("load_roles") or []),
        {
            "name": role_name(name),
            "description": f"Ask the Workato token service {name!r} for embedding tokens",
            "scopes": [access_scope(name)],
            "users": sorted(checked.user_grants),
            "groups": sorted(checked.group_grants),
        },
    ]
    section = c[spawner]
    section.server_token_scopes = _with_scope(
        section.get("server_token_scopes"), access_scope(name)
    )
    section.environment = {
        **dict(section.get("environment") or {}),
        URL_ENV: f"{base}/services/{name}/",
    }
    return checked


def _service_url(url: str | None) -> str:
    if url is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return f"http://127.0.0.1:{s.getsockname()[1]}"
    parts = urllib.parse.urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.port is None
        or parts.path.strip("/")
    ):
        raise ValueError(
            f"url must be http(s)://host:port, where the service listens (no path), got {url!r}"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _with_scope(existing: Any, scope: str) -> list[str] | Callable[[Any], list[str]]:
    """Server-token scopes with `scope` added: to the defaults, a list, or a callable's answer."""
    if callable(existing):
        given: Callable[[Any], list[str]] = existing

        def scopes(spawner: Any) -> list[str]:
            found = list(given(spawner))
            return found if scope in found else [*found, scope]

        return scopes
    found = list(DEFAULT_SERVER_SCOPES if existing is None else existing)
    return found if scope in found else [*found, scope]
