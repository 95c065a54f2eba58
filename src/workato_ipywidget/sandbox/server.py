"""`Sandbox`: the local Workato stand-in, served by Tornado on its own event loop and thread.

A notebook kernel already runs an asyncio loop in its main thread, so the sandbox brings its own
loop in a daemon thread; `start()` returns once the socket listens and `stop()` joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import threading
from collections.abc import Iterable
from types import TracebackType

import tornado.web
from cryptography.hazmat.primitives.asymmetric import rsa
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..endpoints import normalize_origin
from ..rate_limits import RateLimits
from ..token import TokenSigner
from . import full_page
from .api_connections import connection_routes
from .api_customers import customer_routes
from .base import NotFoundHandler, SandboxConfig, log_request
from .page_handlers import page_routes
from .records import Refusal, StoredConnection, StoredCustomer, parse_connection_id
from .state import DEFAULT_CUSTOMER, SandboxState

_STOP_TIMEOUT = 10.0


def make_app(config: SandboxConfig) -> tornado.web.Application:
    """The Tornado application: the pages and the Embedded API, on Workato's URLs."""
    return tornado.web.Application(
        [
            *page_routes(config),
            *customer_routes(config),
            *connection_routes(config),
            (r".*", NotFoundHandler, {"config": config}),
        ],
        log_function=log_request,
        xsrf_cookies=False,
        serve_traceback=False,
    )


class Sandbox:
    """A local stand-in for Workato's embedded connections: connection pages and Embedded API.

    It verifies tokens as strictly as Workato (RS256 only, a registered vendor key, sane
    `iat`/`exp`, no replayed `jti`, a customer it knows). It starts with one customer,
    ``"acme"``; a connection belongs to one customer, and a token (or an API path) naming
    another customer does not see it.

    Origin allowlist: when `allowed_origins` is set, a token whose `origin` claim is missing or
    not listed still gets its connection page (status 200), but the page posts nothing, which is
    Workato's silent failure; it is logged in `refusals` as `origin_not_allowed` and marked
    `data-silent="origin_not_allowed"` on the page's <body>.

    `rate_limits`: False (the default) serves every API request; True applies Workato's documented
    limits per API token, answering 429 with `Retry-After`; a `RateLimits` sets other limits.

    `redirect_pages_to`: a host name (e.g. ``"localhost"``) that page requests arriving under
    another host name are redirected to with a 302, same port, path and query; the token is
    checked only where the redirect leads. Change it later with `redirect_pages_to(host)`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: Iterable[str] | None = None,
        *,
        rate_limits: bool | RateLimits = False,
        redirect_pages_to: str | None = None,
        api_token: str | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 (any free port) to 65535, got {port!r}")
        self._host = host
        self._requested_port = port
        self._allowed_origins = _normalize_allowlist(allowed_origins)
        self._rate_limits = _rate_limits(rate_limits)
        self._state = SandboxState()
        self.redirect_pages_to(redirect_pages_to)
        self._vendor_id = f"sandbox-{secrets.token_hex(4)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._signer = TokenSigner(self._vendor_id, key)
        self._state.register_public_key(self._vendor_id, self._signer.public_key_pem())
        self._api_token = _api_token(api_token)
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._port: int | None = None

    # lifecycle

    def start(self) -> Sandbox:
        """Bind and serve in a background thread; returns once the server listens."""
        with self._lifecycle:
            if self._thread is not None:
                raise RuntimeError("this sandbox is already running; call stop() first")
            sockets = bind_sockets(self._requested_port, self._host)
            ready = threading.Event()
            failure: list[BaseException] = []
            thread = threading.Thread(
                target=self._run,
                args=(sockets, ready, failure),
                name=f"workato-sandbox-{sockets[0].getsockname()[1]}",
                daemon=True,
            )
            thread.start()
            ready.wait()
            if failure:
                thread.join(_STOP_TIMEOUT)
                for sock in sockets:
                    sock.close()
                raise RuntimeError("the sandbox server failed to start") from failure[0]
            self._port = sockets[0].getsockname()[1]
            self._thread = thread
            return self

    def stop(self) -> None:
        """Stop serving and join the thread; safe to call twice or before start()."""
        with self._lifecycle:
            thread, loop, stop_event = self._thread, self._loop, self._stop_event
            if thread is None:
                return
            if loop is not None and stop_event is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(stop_event.set)
            thread.join(_STOP_TIMEOUT)
            self._thread = self._loop = self._stop_event = None
            self._port = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(
        self, sockets: list[socket.socket], ready: threading.Event, failure: list[BaseException]
    ) -> None:
        try:
            asyncio.run(self._serve(sockets, ready))
        except BaseException as exc:
            failure.append(exc)
        finally:
            ready.set()

    async def _serve(self, sockets: list[socket.socket], ready: threading.Event) -> None:
        config = SandboxConfig(
            self._state, self._allowed_origins, self._api_token, self._rate_limits
        )
        server = HTTPServer(make_app(config))
        server.add_sockets(sockets)
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        ready.set()
        await self._stop_event.wait()
        server.stop()
        await server.close_all_connections()

    # configuration

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def port(self) -> int:
        """The port the server listens on (the one chosen when created with port=0)."""
        if self._port is None:
            raise RuntimeError("the sandbox is not running, so it has no port; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        """`http://<host>:<port>`, to pass as a widget's `base_url`."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def vendor_id(self) -> str:
        return self._vendor_id

    @property
    def signer(self) -> TokenSigner:
        """Signs tokens this sandbox accepts; its key was generated in memory for this sandbox."""
        return self._signer

    @property
    def api_token(self) -> str:
        """The bearer token of this sandbox's Embedded API."""
        return self._api_token

    @property
    def allowed_origins(self) -> frozenset[str] | None:
        return self._allowed_origins

    def register_public_key(self, vendor_id: str, pem: str | bytes) -> None:
        """Also accept tokens of `vendor_id` signed by the private half of this public key."""
        self._state.register_public_key(vendor_id, pem)

    @property
    def rate_limits(self) -> RateLimits | None:
        """The API's rate limits, or None when every request is served."""
        return self._rate_limits

    def redirect_pages_to(self, host: str | None) -> None:
        """Answer page requests under any other host name with a 302 to `host` (same port,
        path and query), e.g. ``"localhost"`` for a sandbox reached at 127.0.0.1; None stops it.

        Only pages redirect (the connection page, and pages Workato would serve in an iframe);
        the API and the page's own requests do not. The token travels on in the Location and is
        verified, and its `jti` used, only by the page the redirect leads to.
        """
        self._state.page_host = None if host is None else _page_host(host)

    # customers, connections and observations

    def add_customer(
        self, customer_id: str | int, *, name: str | None = None, external_id: str | None = None
    ) -> StoredCustomer:
        """Add a customer (a Workato "managed user"), or rename one with the same id.

        Tokens and API paths name it by `customer_id` or by ``E`` + its URL-encoded
        `external_id` (``ExternalId(external_id)`` in this package).
        """
        return self._state.add_customer(customer_id, name, external_id)

    @property
    def customers(self) -> tuple[StoredCustomer, ...]:
        """Every customer, the default ``"acme"`` first."""
        return self._state.customers()

    def customer(self, customer_id: str | int) -> StoredCustomer:
        """One customer by its id; KeyError if the sandbox has none."""
        found = self._state.customer(str(customer_id))
        if found is None or found.id != str(customer_id):
            raise KeyError(f"the sandbox has no customer {customer_id!r}; add it with add_customer")
        return found

    def add_connection(
        self,
        connection_id: int | str,
        provider: str,
        *,
        customer_id: str | int = DEFAULT_CUSTOMER,
        name: str | None = None,
        connected: bool = False,
        description: str | None = None,
        folder_id: int | None = None,
        parent_id: int | None = None,
        external_id: str | None = None,
        tags: Iterable[str] = (),
        runtime: bool = False,
    ) -> StoredConnection:
        """Serve a connection of `customer_id` (or replace one with the same id); returns it.

        `runtime` marks a runtime user's connection, listed only with
        ``include_runtime_connections``; `tags` are answered with ``includes[]=tags``.
        """
        return self._state.add_connection(
            connection_id,
            provider,
            customer_id=customer_id,
            name=name,
            connected=connected,
            description=description,
            folder_id=folder_id,
            parent_id=parent_id,
            external_id=external_id,
            tags=tuple(tags) if not isinstance(tags, str) else tags,
            runtime=runtime,
        )

    def recipe_path(self, connection_id: int | str) -> str:
        """The full-page path of the sandbox recipe that uses this connection, e.g.
        ``"/recipes/101"``; its job history is at ``<path>/jobs``."""
        return full_page.recipe_path(full_page.RECIPE_ID_OFFSET + self._known(connection_id))

    def lose_connection(self, connection_id: int | str, reason: str) -> StoredConnection:
        """Workato lost the connection (`connection_lost_at`/`_reason` set): its page reports
        it disconnected, an open page within about a second, until it is authorized again."""
        return self._state.lose(self._known(connection_id), reason)

    def fail_connection(
        self, connection_id: int | str, error: str, *, exception: bool = False
    ) -> StoredConnection:
        """An authorization failed (status ``failed``, or ``exception`` for an error raised
        while authorizing) with Workato's `error` text, as the page's Fail does."""
        status = "exception" if exception else "failed"
        return self._state.fail(self._known(connection_id), error, status)

    @property
    def connections(self) -> tuple[StoredConnection, ...]:
        """A snapshot of every connection's current state, by id."""
        return self._state.connections()

    def connection(self, connection_id: int | str) -> StoredConnection:
        """The current state of one connection; KeyError if the sandbox does not serve it."""
        found = self._state.connection(parse_connection_id(connection_id))
        if found is None:
            raise KeyError(
                f"the sandbox serves no connection {connection_id!r}; add it with add_connection"
            )
        return found

    def _known(self, connection_id: int | str) -> int:
        return self.connection(connection_id).id

    @property
    def seen_jti(self) -> frozenset[str]:
        """The ids of every token accepted so far (each can be used once)."""
        return self._state.seen_jti()

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """Recent refusals and silent pages, oldest first (bounded), without any token."""
        return self._state.refusals()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "not running"
        return (
            f"Sandbox({where}, vendor_id={self._vendor_id!r}, connections={len(self.connections)})"
        )


def _rate_limits(value: bool | RateLimits) -> RateLimits | None:
    if isinstance(value, RateLimits):
        return value
    if not isinstance(value, bool):
        raise TypeError(
            f"rate_limits must be True, False or a RateLimits, not {type(value).__name__}"
        )
    return RateLimits() if value else None


def _page_host(host: object) -> str:
    """A bare host name or IP address, as a Host header carries it (no scheme, no port)."""
    if isinstance(host, str) and (host.startswith("[") or ":" not in host):
        try:
            return normalize_origin(f"http://{host}").removeprefix("http://")
        except ValueError:
            pass
    raise ValueError(
        "redirect_pages_to takes a host name such as 'localhost' or '127.0.0.1' (no scheme or "
        f"port), got {host!r}"
    )


def _api_token(token: str | None) -> str:
    if token is None:
        return secrets.token_urlsafe(32)
    if not isinstance(token, str) or len(token) < 16 or not token.isprintable() or " " in token:
        raise ValueError(
            "api_token must be at least 16 visible characters without spaces (or None for a "
            "random one)"
        )
    return token


def _normalize_allowlist(origins: Iterable[str] | None) -> frozenset[str] | None:
    if origins is None:
        return None
    if isinstance(origins, str):
        origins = [origins]
    normalized = set()
    for origin in origins:
        try:
            normalized.add(normalize_origin(origin))
        except ValueError as exc:
            raise ValueError(f"allowed_origins holds a bad page origin: {exc}") from None
    return frozenset(normalized)
