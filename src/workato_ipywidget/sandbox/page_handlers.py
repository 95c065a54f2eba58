"""The sandbox's pages: Workato's connection page and its actions, and full-page embeds.

Each page verifies its token as Workato does; a refusal is an error page, never a stack trace.
"""

from __future__ import annotations

import secrets

from . import full_page, pages
from .base import BaseHandler, Routes, SandboxConfig, routes
from .records import StoredConnection, parse_connection_id
from .verify import Refused, VerifiedToken, unverified_origin, verify_token

PAGE_PATH = "/direct_link/embedded/connections/"
MAX_PAGE_PATH = 2000
SECRET_HEADER = "X-Sandbox-Page-Secret"  # noqa: S105 -- a header name, not a secret


def page_routes(config: SandboxConfig) -> Routes:
    """The pages' routes: Workato's URLs, and the connection page's own requests."""
    return routes(
        config,
        (r"/direct_link", FullPageHandler),
        (r"/direct_link/embedded/connections/([^/]+)", ConnectionPageHandler),
        (
            r"/direct_link/embedded/connections/([^/]+)/(authorize|fail|disconnect)",
            ConnectionActionHandler,
        ),
        (r"/direct_link/embedded/connections/([^/]+)/state", PageStateHandler),
    )


class PageHandler(BaseHandler):
    """A page Workato would serve in an iframe; answers a redirect when asked under another host.

    Shared by the connection page and full-page embeds: the redirect, the origin allowlist's
    silence, the CSP nonce and the error page.

    With `Sandbox.redirect_pages_to(host)`, a page request whose Host names another host name
    gets a 302 to the same port, path and query on `host`, before any token check: the token is
    verified (and its `jti` used) only by the page the redirect leads to.
    """

    ERROR_HEADING = "This page cannot be shown"

    def prepare(self) -> None:
        target = self.sandbox.gate.page_host
        if target is None or self.request.host_name.lower() == target:
            return
        _, colon, port = self.request.host.rpartition(":")
        suffix = f":{port}" if colon and port.isdigit() else ""
        self.set_status(302)
        self.set_header("Location", f"{self.request.protocol}://{target}{suffix}{self.request.uri}")
        self.finish()

    def _verified(self) -> VerifiedToken | None:
        """The page's verified token, or None once the refusal's error page was sent."""
        token = self.get_query_argument("workato_dl_token", None)
        try:
            return verify_token(token, self.sandbox.gate, self.sandbox.state)
        except Refused as refusal:
            self._error_page(refusal, unverified_origin(token))
            return None

    def _silence(self, origin: str | None) -> str | None:
        """Why this page must post nothing (its origin is not allowed), recorded; else None."""
        silent = self._silent_reason(origin)
        if silent is not None:
            self.refuse(
                silent,
                f"the token's origin {origin or '(none)'} is not in allowed_origins; "
                "the page rendered but posts nothing to its parent",
            )
        return silent

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
                heading=self.ERROR_HEADING,
                target_origin=origin or "*",
                silent_reason=self._silent_reason(origin),
                nonce=self._csp(),
            )
        )


class ConnectionPageHandler(PageHandler):
    """Workato's connection iframe: strict token checks, then the page or an error page.

    Origin allowlist: when `allowed_origins` is set and the token's `origin` claim is
    missing or not listed, the page still renders with status 200 but posts nothing, which is
    how Workato fails for an origin missing from its allowlist. That silence is recorded as an
    `origin_not_allowed` refusal and shown as `data-silent="origin_not_allowed"` on <body>.
    """

    ERROR_HEADING = "This connection cannot be shown"

    def get(self, raw_id: str) -> None:
        verified = self._verified()
        if verified is None:
            return
        connection = self._connection(raw_id)
        if connection is None or connection.customer_id != verified.customer.id:
            # Another customer's connection is answered as a missing one: nothing tells a page
            # which ids exist in other accounts.
            named = raw_id if raw_id.isascii() and raw_id.isdigit() else repr(raw_id[:40])
            unknown = Refused(
                "unknown_connection",
                f"customer {verified.customer.id!r} (the token's sub) has no connection "
                f"{named[:40]}; check that the token names the connection's customer, or add it "
                "with Sandbox.add_connection(id, provider, customer_id=...)",
                status=404,
            )
            self._error_page(unknown, verified.origin)
            return
        silent = self._silence(verified.origin)
        base = f"{PAGE_PATH}{connection.id}"
        nonce = self._csp()
        self.finish(
            pages.connection_page(
                connection,
                target_origin=verified.origin or "*",
                silent_reason=silent,
                secret=self.sandbox.gate.grant_page(connection.id),
                action_urls={a: f"{base}/{a}" for a in ("authorize", "fail", "disconnect")},
                state_url=f"{base}/state",
                nonce=nonce,
            )
        )

    def _connection(self, raw_id: str) -> StoredConnection | None:
        try:
            return self.sandbox.state.connection(parse_connection_id(raw_id))
        except ValueError:
            return None


class FullPageHandler(PageHandler):
    """`/direct_link?workato_dl_path=<path>&workato_dl_token=<jwt>`: any Workato page, full size.

    The token is verified exactly as for the connection page (vendor keys, customers, replay and
    the origin allowlist, silent when the origin is missing from it); the page then shows the
    token's customer's workspace at `path` and moves inside the iframe from there.
    """

    def get(self) -> None:
        verified = self._verified()
        if verified is None:
            return
        path = self.get_query_argument("workato_dl_path", "")
        if not path.startswith("/") or path.startswith("//") or len(path) > MAX_PAGE_PATH:
            invalid = Refused(
                "invalid_path",
                "workato_dl_path must be a Workato path such as '/recipes' (URL-encoded), "
                f"starting with one '/' and at most {MAX_PAGE_PATH} characters",
                status=400,
            )
            self._error_page(invalid, verified.origin)
            return
        silent = self._silence(verified.origin)
        nonce = self._csp()
        self.finish(
            full_page.full_page(
                verified.customer,
                self.sandbox.state,
                path=path,
                target_origin=verified.origin or "*",
                silent_reason=silent,
                nonce=nonce,
            )
        )


class PageSecretHandler(BaseHandler):
    """Requests a rendered page makes for its own connection, allowed only with its secret."""

    def granted(self, raw_id: str) -> StoredConnection | None:
        """The connection, when the request carries a live secret of a page rendered for it;
        otherwise the refusal has been answered and None is returned."""
        state = self.sandbox.state
        secret = self.request.headers.get(SECRET_HEADER, "")
        try:
            connection_id = parse_connection_id(raw_id)
        except ValueError:
            connection_id = 0
        if not secret or not self.sandbox.gate.check_grant(secret, connection_id):
            message = (
                "this request does not carry the secret of a page the sandbox rendered for this "
                "connection (or that page is too old); reload the page and try again"
            )
            self.refuse("invalid_page_secret", message)
            self.set_status(403)
            self.write_json({"error": {"type": "invalid_page_secret", "message": message}})
            return None
        connection = state.connection(connection_id)
        if connection is None:
            self.set_status(404)
            self.write_json(
                {"error": {"type": "unknown_connection", "message": "the connection was deleted"}}
            )
        return connection

    def describe(self, connection: StoredConnection) -> None:
        """What the page knows of its connection; `version` orders states."""
        self.write_json(
            {
                "id": connection.id,
                "provider": connection.provider,
                "connected": connection.connected,
                "error": connection.error,
                "version": connection.version,
            }
        )


class ConnectionActionHandler(PageSecretHandler):
    """The page's Authorize / Fail / Disconnect."""

    def post(self, raw_id: str, action: str) -> None:
        connection = self.granted(raw_id)
        if connection is None:
            return
        state = self.sandbox.state
        if action == "authorize":
            connection = state.authorize(connection.id)
        elif action == "fail":
            connection = state.fail(connection.id, pages.AUTHORIZATION_FAILED)
        else:
            connection = state.disconnect(connection.id)
        self.describe(connection)


class PageStateHandler(PageSecretHandler):
    """The connection's current state, which an open page polls to learn of changes made
    elsewhere (the Embedded API, `Sandbox.lose_connection`, another page)."""

    def get(self, raw_id: str) -> None:
        connection = self.granted(raw_id)
        if connection is not None:
            self.describe(connection)
