"""The sandbox's HTTP surface on Tornado: the connection page, its actions, and the Embedded API.

The page URL carries the token, so nothing here logs a URL with its query string, and every
response tells browsers not to cache it nor send it on as a referrer.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import tornado.web

from . import pages
from .state import Connection, SandboxState, parse_connection_id
from .verify import Refused, unverified_origin, verify_token

logger = logging.getLogger("workato_ipywidget.sandbox")

PAGE_PATH = "/direct_link/embedded/connections/"
SECRET_HEADER = "X-Sandbox-Page-Secret"  # noqa: S105 -- a header name, not a secret


@dataclass(frozen=True)
class SandboxConfig:
    """What every handler needs: the shared state and the sandbox's fixed configuration."""

    state: SandboxState
    allowed_origins: frozenset[str] | None
    api_token: str


def make_app(config: SandboxConfig) -> tornado.web.Application:
    """The Tornado application; routes mirror Workato's URLs."""
    args = {"config": config}
    return tornado.web.Application(
        [
            (r"/direct_link/embedded/connections/([^/]+)", ConnectionPageHandler, args),
            (
                r"/direct_link/embedded/connections/([^/]+)/(authorize|fail|disconnect)",
                ConnectionActionHandler,
                args,
            ),
            (r"/api/managed_users/([^/]+)/connections", ApiConnectionsHandler, args),
            (r".*", NotFoundHandler, args),
        ],
        log_function=_log_request,
        xsrf_cookies=False,
        serve_traceback=False,
    )


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Access log without the query string: the page URL holds a token."""
    request = handler.request
    logger.debug(
        "%d %s %s %.1fms",
        handler.get_status(),
        request.method,
        request.path,
        1000.0 * request.request_time(),
    )


class BaseHandler(tornado.web.RequestHandler):
    """Shared headers, logging without the query string, and error bodies."""

    def initialize(self, config: SandboxConfig) -> None:
        self.sandbox = config

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("X-Content-Type-Options", "nosniff")

    def compute_etag(self) -> None:
        return None

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, tornado.web.HTTPError):
            logger.debug("%d %s %s", value.status_code, self.request.method, self.request.path)
        else:
            logger.error(
                "uncaught exception in %s %s",
                self.request.method,
                self.request.path,
                exc_info=(typ, value, tb),  # type: ignore[arg-type]
            )

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        self.write_json({"message": f"{status_code} {reason}"})

    def write_json(self, data: object) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data))

    def refuse(self, code: str, message: str) -> None:
        """Record a refusal under the path only (never the query: it may hold a token)."""
        self.sandbox.state.refuse(code, message, self.request.path)
        logger.info("refused %s %s: %s", self.request.method, self.request.path, code)


class ConnectionPageHandler(BaseHandler):
    """Workato's connection iframe: strict token checks, then the page or an error page.

    Origin allowlist (issue 3): when `allowed_origins` is set and the token's `origin` claim is
    missing or not listed, the page still renders with status 200 but posts nothing, which is
    how Workato fails for an origin missing from its allowlist. That silence is recorded as an
    `origin_not_allowed` refusal and shown as `data-silent="origin_not_allowed"` on <body>.
    """

    def get(self, raw_id: str) -> None:
        token = self.get_query_argument("workato_dl_token", None)
        try:
            verified = verify_token(token, self.sandbox.state)
        except Refused as refusal:
            self._error_page(refusal, unverified_origin(token))
            return
        connection = self._connection(raw_id)
        if connection is None:
            unknown = Refused(
                "unknown_connection",
                "there is no connection with this id; add it with "
                "Sandbox.add_connection(id, provider) or use an id from the API's list",
                status=404,
            )
            self._error_page(unknown, verified.origin)
            return
        silent = self._silent_reason(verified.origin)
        if silent is not None:
            self.refuse(
                silent,
                f"the token's origin {verified.origin or '(none)'} is not in allowed_origins; "
                "the page rendered but posts nothing to its parent",
            )
        base = f"{PAGE_PATH}{connection.id}"
        nonce = self._csp()
        self.finish(
            pages.connection_page(
                connection,
                target_origin=verified.origin or "*",
                silent_reason=silent,
                secret=self.sandbox.state.grant_page(connection.id),
                action_urls={a: f"{base}/{a}" for a in ("authorize", "fail", "disconnect")},
                nonce=nonce,
            )
        )

    def _connection(self, raw_id: str) -> Connection | None:
        try:
            return self.sandbox.state.connection(parse_connection_id(raw_id))
        except ValueError:
            return None

    def _silent_reason(self, origin: str | None) -> str | None:
        allowed = self.sandbox.allowed_origins
        if allowed is not None and (origin is None or origin not in allowed):
            return "origin_not_allowed"
        return None

    def _csp(self) -> str:
        """A nonce for this response's inline style and script; framing stays unrestricted.

        No `frame-ancestors` and no X-Frame-Options: any notebook origin (including non-http
        ones such as VS Code's webviews) may embed the page, as with Workato's embedded widget.
        """
        nonce = secrets.token_urlsafe(16)
        self.set_header(
            "Content-Security-Policy",
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; form-action 'none'; base-uri 'none'",
        )
        return nonce

    def _error_page(self, refusal: Refused, origin: str | None) -> None:
        self.refuse(refusal.code, refusal.message)
        self.set_status(refusal.status)
        self.finish(
            pages.error_page(
                refusal.code,
                refusal.message,
                target_origin=origin or "*",
                silent_reason=self._silent_reason(origin),
                nonce=self._csp(),
            )
        )


class ConnectionActionHandler(BaseHandler):
    """The page's Authorize / Fail / Disconnect, allowed only with the secret of a rendered page."""

    def post(self, raw_id: str, action: str) -> None:
        state = self.sandbox.state
        secret = self.request.headers.get(SECRET_HEADER, "")
        try:
            connection_id = parse_connection_id(raw_id)
        except ValueError:
            connection_id = 0
        if not secret or not state.check_grant(secret, connection_id):
            message = (
                "this request does not carry the secret of a page the sandbox rendered for this "
                "connection (or that page is too old); reload the page and try again"
            )
            self.refuse("invalid_page_secret", message)
            self.set_status(403)
            self.write_json({"error": {"type": "invalid_page_secret", "message": message}})
            return
        if action == "authorize":
            connection = state.set_connected(connection_id, True, None)
        elif action == "fail":
            connection = state.set_connected(connection_id, False, pages.AUTHORIZATION_FAILED)
        else:
            connection = state.set_connected(connection_id, False, None)
        self.write_json(
            {
                "id": connection.id,
                "provider": connection.provider,
                "connected": connection.connected,
                "error": connection.error,
            }
        )


class ApiConnectionsHandler(BaseHandler):
    """`GET /api/managed_users/<customer>/connections`, as Workato's Embedded API answers it.

    The sandbox keeps no customers: every customer sees every connection.
    `include_runtime_connections` is accepted and changes nothing.
    """

    def get(self, customer_id: str) -> None:
        if not self._authorized():
            message = (
                "missing or wrong API token; send 'Authorization: Bearer <token>' with the "
                "sandbox's api_token"
            )
            self.refuse("unauthorized", message)
            self.set_status(401)
            self.set_header("WWW-Authenticate", 'Bearer realm="workato-sandbox"')
            self.write_json({"message": message})
            return
        self.write_json({"result": [self._describe(c) for c in self.sandbox.state.connections()]})

    def _authorized(self) -> bool:
        scheme, _, credentials = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return False
        expected = self.sandbox.api_token.encode()
        return hmac.compare_digest(credentials.strip().encode(), expected)

    @staticmethod
    def _describe(connection: Connection) -> dict[str, Any]:
        return {
            "id": connection.id,
            "application": connection.provider,
            "provider": connection.provider,
            "name": connection.name,
            "authorization_status": connection.authorization_status,
            "authorization_error": connection.error,
        }


class NotFoundHandler(BaseHandler):
    """Anything else: a 404 through `write_error`, logged without its query string."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)
