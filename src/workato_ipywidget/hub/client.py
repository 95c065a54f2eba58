"""`HubSigner`: tokens from the hub's token service, for a kernel that holds no key.

It goes wherever ``signer=`` goes (`ConnectionWidget`, `EmbeddedPage`, `ConnectionsPanel`, ...).
The only secret in the kernel is the user's own hub token, which JupyterHub gives every server.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any, NoReturn

from ..redaction import remember
from ..token import IdLike, id_segment
from .names import URL_ENV

__all__ = ["HubSigner", "HubSignerError"]

_TOKEN_ENVS = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")


class HubSignerError(RuntimeError):
    """The token service could not be reached or refused; the message says what to do.

    Args:
        message: what went wrong and what to do (never a token).
        status: the service's HTTP status, or None when it was not reached.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HubSigner:
    """Asks the JupyterHub token service for each token, as the hub user this kernel runs for.

    Args:
        url: the service's base URL (``.../services/<name>/``); default the kernel's
            ``WORKATO_TOKEN_SERVICE_URL``, which `workato_ipywidget.hub.configure` sets.
        api_token: the hub token to authenticate with; default the kernel's
            ``JUPYTERHUB_API_TOKEN``.
        timeout: seconds to wait for the service.

    Raises:
        HubSignerError: not running under JupyterHub, or the hub did not say where the service is.
    """

    __slots__ = ("_client", "_sign_url", "_token", "_user")

    def __init__(
        self, url: str | None = None, *, api_token: str | None = None, timeout: float = 10.0
    ) -> None:
        token = api_token or next((os.environ[n] for n in _TOKEN_ENVS if os.environ.get(n)), None)
        if not token:
            raise HubSignerError(
                "HubSigner works in a JupyterHub user's kernel, and this kernel has no "
                "JUPYTERHUB_API_TOKEN (it is not running under JupyterHub); outside a hub, sign "
                "with TokenSigner(vendor_id, key_file) instead"
            )
        base = url or os.environ.get(URL_ENV)
        if not base:
            raise HubSignerError(
                f"the hub did not tell this kernel where the token service is ({URL_ENV} is not "
                "set): a hub admin adds it with workato_ipywidget.hub.configure(c, policy=...) in "
                "jupyterhub_config.py, then you restart your server; or pass HubSigner(url=...)"
            )
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HubSignerError(
                f"the token service URL {base!r} is not an http(s) URL; expected e.g. "
                "http://127.0.0.1:10101/services/workato-tokens/"
            )
        import httpx

        self._sign_url = base.rstrip("/") + "/sign"
        self._token = token
        self._user = os.environ.get("JUPYTERHUB_USER")
        self._client = httpx.Client(timeout=timeout, trust_env=False)

    @property
    def url(self) -> str:
        """Where tokens are asked for: ``<service prefix>sign``."""
        return self._sign_url

    def sign(
        self, customer_id: IdLike, *, user_id: IdLike | None = None, origin: str | None = None
    ) -> str:
        """Return a fresh token for ``customer_id`` (and ``user_id``), for a page at ``origin``.

        Args:
            customer_id: the Workato customer id, or an ExternalId; the policy must grant it.
            user_id: the customer user id, the optional third ``sub`` segment.
            origin: the embedding page's origin; the service requires it and checks it.

        Returns:
            The token the service signed.

        Raises:
            HubSignerError: the service refused (its reason names the user and customer, or
                the role missing) or could not be reached.
        """
        import httpx

        body: dict[str, Any] = {"customer_id": id_segment(customer_id, "customer_id")}
        if user_id is not None:
            body["user_id"] = id_segment(user_id, "user_id")
        if origin is not None:
            body["origin"] = origin
        try:
            response = self._client.post(
                self._sign_url, json=body, headers={"Authorization": f"token {self._token}"}
            )
        except httpx.HTTPError as exc:
            raise HubSignerError(
                f"cannot reach the token service at {self._sign_url} ({type(exc).__name__}); "
                "is it running? A hub admin finds why in the hub's log"
            ) from None
        token = _token_from(response)
        remember(token)  # redacted wherever it comes back, as a TokenSigner's tokens are
        return token

    def public_key_pem(self) -> NoReturn:
        """Not available here: the key lives in the token service, not in this kernel.

        Raises:
            HubSignerError: always, saying where to get the public key.
        """
        raise HubSignerError(
            "HubSigner holds no key: the token service on the hub signs with it, so its public "
            "half is not in this kernel. A hub admin prints it with: workato-ipywidget "
            "hub-service --policy POLICY.toml --public-key"
        )

    def close(self) -> None:
        """Close the connection to the service."""
        self._client.close()

    def __repr__(self) -> str:
        url = getattr(self, "_sign_url", None)
        return f"HubSigner(url={url!r}, user={getattr(self, '_user', None)!r})"

    def __getstate__(self) -> NoReturn:
        _refuse_pickling()

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        _refuse_pickling()


def _refuse_pickling() -> NoReturn:
    raise TypeError(
        "a HubSigner holds this kernel's hub token and cannot be pickled or copied; build a new "
        "one with HubSigner() where it is needed"
    )


def _token_from(response: Any) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if (
        response.status_code == 200
        and isinstance(data, dict)
        and isinstance(data.get("token"), str)
    ):
        return str(data["token"])
    reason = data.get("error") if isinstance(data, dict) else None
    if not isinstance(reason, str):
        reason = f"HTTP {response.status_code} without a reason"
    status = int(response.status_code)
    if status == 401:
        reason = f"the token service did not accept this kernel's hub token: {reason}"
    elif status == 403:
        reason = f"the token service refused: {reason}"
    elif status == 400:
        reason = f"the token service refused the request: {reason}"
    else:
        reason = f"the token service answered {status}: {reason}"
    raise HubSignerError(reason, status)
