"""The token service: a JupyterHub managed service that holds the vendor's key and signs for users.

`POST <prefix>sign` with a hub token (``Authorization: token <JUPYTERHUB_API_TOKEN>``) and a body
``{"customer_id", "user_id"?, "origin"}`` answers ``{"token": "<jwt>"}`` when the policy grants the
hub user (or one of their groups) that customer and the origin is allowed. The caller names a
customer, never a claim: the service builds every claim itself. The hub is asked who the token
belongs to with an awaited lookup (never blocking the loop), cached for the policy's
``cache_max_age``, so a revoked hub token stops working within that many seconds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import tornado.web

from .. import protocol
from ..endpoints import normalize_origin
from ..json_body import BodyError, read_json_body
from ..token import InvalidKeyError, TokenSigner, id_segment
from .audit import AuditLog
from .names import access_scope, role_name
from .policy import Policy, PolicyError, load_policy

__all__ = ["BODY_KEYS", "TokenService", "build_signer", "main", "make_app"]

BODY_KEYS = frozenset({"customer_id", "user_id", "origin"})
_MAX_BODY = 4096


class Refusal(Exception):
    """A request the service turns down: the status, and a text naming user and customer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class _Caller:
    name: str
    groups: tuple[str, ...]
    token_id: str | None


class TokenService:
    """What the handler needs: the policy, the signer, the audit log and the hub lookup.

    Args:
        policy: the checked policy.
        signer: signs with the policy's key (see `build_signer`).
        audit: where mint and refusal lines go.
        hub_auth: a `jupyterhub.services.auth.HubAuth`, configured from the service's environment.
        name: the service's name, as in ``c.JupyterHub.services``.
    """

    def __init__(
        self, policy: Policy, signer: TokenSigner, audit: AuditLog, hub_auth: Any, name: str
    ) -> None:
        self.policy = policy
        self.signer = signer
        self.audit = audit
        self.hub_auth = hub_auth
        self.name = name

    async def caller(self, token: str | None) -> _Caller:
        """The hub user behind `token`, who must hold this service's access scope."""
        if not token:
            raise Refusal(
                401,
                "no hub token: send the kernel's JUPYTERHUB_API_TOKEN as "
                "'Authorization: token ...' (HubSigner does)",
            )
        try:
            model = await self.hub_auth.user_for_token(token, sync=False)
        except tornado.web.HTTPError as exc:
            raise Refusal(
                502, f"the hub could not be asked who this token belongs to: {exc.log_message}"
            ) from None
        if not model:
            raise Refusal(
                401,
                "the hub does not know this token (expired or revoked?); restart your server "
                "from the hub's control panel for a fresh one",
            )
        if model.get("kind", "user") != "user":
            raise Refusal(
                403,
                f"the token belongs to the {model.get('kind')} {model.get('name')!r}, not a hub "
                "user; the policy's grants name users and groups, so only users get tokens",
            )
        caller = _Caller(
            name=str(model.get("name")),
            groups=tuple(str(g) for g in model.get("groups") or ()),
            token_id=model.get("token_id"),
        )
        if not self.hub_auth.check_scopes({access_scope(self.name)}, model):
            raise _Denied(
                caller,
                f"{caller.name} may not use the token service {self.name!r}: this token lacks "
                f"the scope {access_scope(self.name)}. A hub admin grants it with the role "
                f"{role_name(self.name)!r} (workato_ipywidget.hub.configure gives it to every "
                "user and group in the policy's [grants]); then restart your server so its "
                "token carries it",
            )
        return caller

    def mint(self, caller: _Caller, body: dict[str, Any]) -> str:
        """Check the grant and the origin, sign, and record the mint."""
        customer = body["customer_id"]
        if not self.policy.allows(caller.name, caller.groups, customer):
            groups = f" or their groups ({', '.join(caller.groups)})" if caller.groups else ""
            raise _Denied(
                caller,
                f"{caller.name} may not act for customer {customer}: the token service's policy "
                f"grants it to neither {caller.name}{groups}; ask a hub admin to add it to "
                f"[grants] in {self.policy.path.name}",
                customer,
                body["origin"],
            )
        if body["origin"] not in self.policy.allowed_origins:
            raise _Denied(
                caller,
                f"{caller.name} asked for customer {customer} for a page at {body['origin']}, "
                "which the token service's policy does not allow; allowed origins: "
                f"{', '.join(sorted(self.policy.allowed_origins))}",
                customer,
                body["origin"],
            )
        token = self.signer.sign(customer, user_id=body.get("user_id"), origin=body["origin"])
        claims = _claims(token)
        self.audit.mint(
            user=caller.name, customer=customer, jti=claims["jti"], exp=claims.get("exp"),
            origin=body["origin"], token_id=caller.token_id,
        )  # fmt: skip
        return token


class _Denied(Refusal):
    """A 403 for a known hub user; carries what the audit line names."""

    def __init__(
        self, caller: _Caller, reason: str, customer: str | None = None, origin: str | None = None
    ) -> None:
        super().__init__(403, reason)
        self.caller = caller
        self.customer = customer
        self.origin = origin


class SignHandler(tornado.web.RequestHandler):
    """`POST <prefix>sign`: a token for a granted customer, or a refusal that says why."""

    def initialize(self, service: TokenService) -> None:
        self.service = service

    def check_xsrf_cookie(self) -> None:
        """Token-authenticated API: no cookies, so no cross-site request forgery to guard."""

    async def post(self) -> None:
        service = self.service
        body: Any = None
        caller: _Caller | None = None
        try:
            with contextlib.suppress(Refusal):  # for the audit line, even of a 401
                body = _raw_body(self.request.body)
            caller = await service.caller(_hub_token(self.request.headers.get("Authorization")))
            token = service.mint(caller, _checked_body(_raw_body(self.request.body)))
        except Refusal as refusal:
            caller = getattr(refusal, "caller", None) or caller
            customer = getattr(refusal, "customer", None)
            origin = getattr(refusal, "origin", None)
            if isinstance(body, dict):
                customer = customer or body.get("customer_id")
                origin = origin or body.get("origin")
            reason = refusal.reason
            if isinstance(customer, (str, int)) and not isinstance(customer, bool):
                shown = protocol.clean_text(str(customer), 80)
                if f"customer {shown}" not in reason:
                    reason += f" (a request for customer {shown})"
            service.audit.refused(
                reason=reason,
                user=caller.name if caller else None,
                customer=customer,
                origin=origin,
                token_id=caller.token_id if caller else None,
            )
            self.set_status(refusal.status)
            self.finish({"error": reason})
            return
        self.set_header("Cache-Control", "no-store")
        self.finish({"token": token})


class InfoHandler(tornado.web.RequestHandler):
    """`GET <prefix>`: what this service is, for a person checking that it runs."""

    def initialize(self, service: TokenService) -> None:
        self.service = service

    def get(self) -> None:
        self.finish(
            {
                "service": self.service.name,
                "sign": f"POST {self.request.path.rstrip('/')}/sign",
                "vendor_id": self.service.policy.vendor_id,
            }
        )


def _hub_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() not in ("token", "bearer") or not value.strip():
        return None
    return value.strip()


_EXPECTED_BODY = 'a small JSON object {"customer_id": ..., "origin": ...}'


def _raw_body(data: bytes) -> Any:
    try:
        return read_json_body(data, expected=_EXPECTED_BODY, limit=_MAX_BODY)
    except BodyError as exc:
        raise Refusal(400, str(exc)) from None


def _checked_body(body: Any) -> dict[str, Any]:
    """The request, with ids written as `sub` segments and the origin normalized."""
    if not isinstance(body, dict):
        raise Refusal(400, 'expected a JSON object {"customer_id": ..., "origin": ...}')
    extra = sorted(set(body) - BODY_KEYS)
    if extra:
        raise Refusal(
            400,
            f"unexpected key {extra[0]!r}: the caller names a customer, never a claim; the "
            f"service builds every claim itself. Send only {', '.join(sorted(BODY_KEYS))}",
        )
    if "customer_id" not in body:
        raise Refusal(400, "customer_id is missing; expected the Workato customer id")
    if body.get("origin") is None:
        raise Refusal(
            400, "origin is missing; expected the origin of the notebook page the token is for"
        )
    try:
        customer = id_segment(body["customer_id"], "customer_id")
        user = None if body.get("user_id") is None else id_segment(body["user_id"], "user_id")
        origin = normalize_origin(body["origin"])
    except (TypeError, ValueError) as exc:
        raise Refusal(400, str(exc)) from None
    return {"customer_id": customer, "user_id": user, "origin": origin}


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# --- running it ------------------------------------------------------------------------------
def build_signer(policy: Policy) -> TokenSigner:
    """The signer for the policy's key, its passphrase read from the named variable.

    Raises:
        PolicyError: the passphrase variable is not set, or the key cannot be used.
    """
    passphrase = None
    if policy.passphrase_env is not None:
        passphrase = os.environ.get(policy.passphrase_env)
        if passphrase is None:
            raise PolicyError(
                f"{policy.path}: passphrase_env names {policy.passphrase_env}, which is not set "
                "in the service's environment (configure() passes it from the hub's)"
            )
    try:
        return TokenSigner(policy.vendor_id, policy.key_file, passphrase=passphrase, ttl=policy.ttl)
    except (InvalidKeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"{policy.path}: key_file: {exc}") from None


def make_app(service: TokenService, prefix: str) -> tornado.web.Application:
    """The service's tornado application under `prefix` (e.g. ``/services/workato-tokens/``)."""
    prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
    routes: Iterable[tuple[str, type[tornado.web.RequestHandler], dict[str, Any]]] = [
        (prefix + "sign", SignHandler, {"service": service}),
        (prefix, InfoHandler, {"service": service}),
    ]
    return tornado.web.Application(list(routes))


def main(policy_path: str, *, ip: str | None = None) -> None:
    """Run the service as JupyterHub starts it: its address, name and prefix from the environment.

    Args:
        policy_path: the TOML policy file.
        ip: the interface to bind; default the host of JUPYTERHUB_SERVICE_URL when it is a
            loopback address, else all interfaces (a hub pod answering other pods).

    Raises:
        PolicyError: the policy or its key cannot be used.
        RuntimeError: not started by JupyterHub (no JUPYTERHUB_SERVICE_URL).
    """
    policy = load_policy(policy_path)
    signer = build_signer(policy)
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    name = os.environ.get("JUPYTERHUB_SERVICE_NAME", "workato-tokens")
    if not url:
        raise RuntimeError(
            "JUPYTERHUB_SERVICE_URL is not set: the token service runs as a JupyterHub managed "
            "service; add it with workato_ipywidget.hub.configure(c, policy=...) in "
            "jupyterhub_config.py"
        )
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{name}/")
    asyncio.run(_serve(policy, signer, url, name, prefix, ip))


async def _serve(
    policy: Policy, signer: TokenSigner, url: str, name: str, prefix: str, ip: str | None
) -> None:
    from jupyterhub.services.auth import HubAuth

    hub_auth = HubAuth(cache_max_age=policy.cache_max_age)
    audit = AuditLog(policy.audit_log)
    service = TokenService(policy, signer, audit, hub_auth, name)
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or "127.0.0.1"
    if ip is None:
        ip = host if host in ("127.0.0.1", "::1", "localhost") else ""
    server = make_app(service, prefix).listen(parsed.port or 80, address=ip)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(
        f"workato token service {name!r} for vendor {policy.vendor_id} on {url}{prefix} "
        f"(policy {policy.path}; grants for {len(policy.user_grants)} users and "
        f"{len(policy.group_grants)} groups)",
        flush=True,
    )
    await stop.wait()
    server.stop()
    audit.close()
