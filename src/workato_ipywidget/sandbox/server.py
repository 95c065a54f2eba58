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

from cryptography.hazmat.primitives.asymmetric import rsa
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from ..endpoints import normalize_origin
from ..token import TokenSigner
from .handlers import SandboxConfig, make_app
from .state import Connection, Refusal, SandboxState, parse_connection_id

_STOP_TIMEOUT = 10.0


class Sandbox:
    """A local stand-in for Workato's embedded connections: connection pages and Embedded API.

    It verifies tokens as strictly as Workato (RS256 only, a registered vendor key, sane
    `iat`/`exp`, no replayed `jti`). Origin allowlist: when `allowed_origins` is set, a token
    whose `origin` claim is missing or not listed still gets its connection page (status 200),
    but the page posts nothing, which is Workato's silent failure; it is logged in `refusals`
    as `origin_not_allowed` and marked `data-silent="origin_not_allowed"` on the page's <body>.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_origins: Iterable[str] | None = None,
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 (any free port) to 65535, got {port!r}")
        self._host = host
        self._requested_port = port
        self._allowed_origins = _normalize_allowlist(allowed_origins)
        self._state = SandboxState()
        self._vendor_id = f"sandbox-{secrets.token_hex(4)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._signer = TokenSigner(self._vendor_id, key)
        self._state.register_public_key(self._vendor_id, self._signer.public_key_pem())
        self._api_token = secrets.token_urlsafe(32)
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
        config = SandboxConfig(self._state, self._allowed_origins, self._api_token)
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

    # connections and observations

    def add_connection(
        self,
        id: int | str,
        provider: str,
        name: str | None = None,
        connected: bool = False,
    ) -> Connection:
        """Serve a connection (or replace one with the same id); returns its state."""
        return self._state.add_connection(id, provider, name, connected)

    @property
    def connections(self) -> tuple[Connection, ...]:
        """A snapshot of every connection's current state, by id."""
        return self._state.connections()

    def connection(self, id: int | str) -> Connection:
        """The current state of one connection; KeyError if the sandbox does not serve it."""
        found = self._state.connection(parse_connection_id(id))
        if found is None:
            raise KeyError(f"the sandbox serves no connection {id!r}; add it with add_connection")
        return found

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
