"""Keyless kernels for JupyterHub: a token service on the hub holds the key, scopes and audits.

On the hub, one line of ``jupyterhub_config.py``::

    from workato_ipywidget.hub import configure
    configure(c, policy="/etc/jupyterhub/workato-policy.toml")

In every user's kernel, ``signer=HubSigner()`` wherever ``signer=`` goes. Importing this package
never imports JupyterHub: only the service (`workato-ipywidget hub-service`) needs it.
"""

from __future__ import annotations

from .client import HubSigner, HubSignerError
from .config import configure
from .policy import Policy, PolicyError, load_policy

__all__ = ["HubSigner", "HubSignerError", "Policy", "PolicyError", "configure", "load_policy"]
