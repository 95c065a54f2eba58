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
from . import full_page, populate
from .api_connections import connection_routes
from .api_customers import customer_routes
from .api_folders import folder_routes
from .api_recipes import recipe_routes
from .base import NotFoundHandler, SandboxConfig, log_request
from .gate import Gate
from .page_handlers import page_routes
from .recipes import TRIGGER_ERRORS_LIMIT, parse_recipe_id
from .records import (
    Refusal,
    StoredConnection,
    StoredCustomer,
    StoredFolder,
    StoredJob,
    StoredRecipe,
    parse_connection_id,
)
from .state import DEFAULT_CUSTOMER, SandboxState

_STOP_TIMEOUT = 10.0


def make_app(config: SandboxConfig) -> tornado.web.Application:
    """The Tornado application: the pages and the Embedded API, on Workato's URLs."""
    return tornado.web.Application(
        [
            *page_routes(config),
            *customer_routes(config),
            *connection_routes(config),
            *recipe_routes(config),
            *folder_routes(config),
            (r".*", NotFoundHandler, {"config": config}),
        ],
        log_function=log_request,
        xsrf_cookies=False,
        serve_traceback=False,
    )


class Sandbox:
    """A local stand-in for Workato: its connection page, full-page embeds and Embedded API
    (customers, connections, recipes and their jobs, folders and projects).

    It verifies tokens as strictly as Workato (RS256 only, a registered vendor key, sane
    `iat`/`exp`, no replayed `jti`, a customer it knows). It starts with one customer,
    ``"acme"``; a connection, folder or recipe belongs to one customer, and a token (or an API
    path) naming another customer does not see it. A running recipe's jobs follow the states of
    the connections it uses (`run_jobs`), as the full-page embeds and the API both show.

    Origin allowlist: when `allowed_origins` is set, a token whose `origin` claim is missing or
    not listed still gets its connection page (status 200), but the page posts nothing, which is
    Workato's silent failure; it is logged in `refusals` as `origin_not_allowed` and marked
    `data-silent="origin_not_allowed"` on the page's <body>.

    `rate_limits`: False (the default) serves every API request; True applies Workato's documented
    limits, one quota per endpoint family for the whole sandbox (Workato counts per Embed admin
    workspace, whichever API token calls), answering 429 with `Retry-After`; a `RateLimits` sets
    other limits.

    `trigger_errors_limit`: a running recipe stops (stop cause ``"trigger_errors_limit"``)
    after this many consecutive failed jobs.

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
        trigger_errors_limit: int = TRIGGER_ERRORS_LIMIT,
    ) -> None:
        """Set up a sandbox with its own vendor id and key (`signer`); `start()` serves it.

        Args:
            host: The address to listen on.
            port: The port to listen on; 0 takes a free one (see `port` once started).
            allowed_origins: The page origins tokens may name; None allows every origin.
            rate_limits: False serves every API request, True applies Workato's documented
                limits, a `RateLimits` other limits.
            redirect_pages_to: A host name page requests under any other name are redirected
                to, or None.
            api_token: The Embedded API token to accept (at least 16 characters); None makes
                one (`api_token`).
            trigger_errors_limit: Consecutive failed jobs that stop a running recipe.

        Raises:
            ValueError: A value out of range (a port, an origin, the limit).
        """
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an int from 0 (any free port) to 65535, got {port!r}")
        self._host = host
        self._requested_port = port
        self._allowed_origins = _normalize_allowlist(allowed_origins)
        self._rate_limits = _rate_limits(rate_limits)
        if (
            isinstance(trigger_errors_limit, bool)
            or not isinstance(trigger_errors_limit, int)
            or trigger_errors_limit < 1
        ):
            raise ValueError(
                "trigger_errors_limit is the number of consecutive failed jobs that stop a "
                f"recipe, a whole number >= 1; got {trigger_errors_limit!r}"
            )
        self._state = SandboxState(trigger_errors_limit)
        self._gate = Gate()
        self.redirect_pages_to(redirect_pages_to)
        self._vendor_id = f"sandbox-{secrets.token_hex(4)}"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._signer = TokenSigner(self._vendor_id, key)
        self._gate.register_public_key(self._vendor_id, self._signer.public_key_pem())
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
            self._state, self._gate, self._allowed_origins, self._api_token, self._rate_limits
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
        """Also accept tokens of `vendor_id` signed by the private half of this public key.

        Args:
            vendor_id: The vendor id the tokens' ``sub`` starts with.
            pem: The RSA public key (SubjectPublicKeyInfo PEM, as `TokenSigner.public_key_pem()`).
        """
        self._gate.register_public_key(vendor_id, pem)

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

        Args:
            host: The host name to redirect to, or None to stop redirecting.
        """
        self._gate.page_host = None if host is None else _page_host(host)

    # customers, connections and observations

    def add_customer(
        self, customer_id: str | int, *, name: str | None = None, external_id: str | None = None
    ) -> StoredCustomer:
        """Add a customer (a Workato "managed user"), or rename one with the same id.

        Tokens and API paths name it by `customer_id` or by ``E`` + its URL-encoded
        `external_id` (``ExternalId(external_id)`` in this package).

        Args:
            customer_id: Its id (Workato's are numbers; the sandbox also takes names).
            name: Its display name.
            external_id: The id your own system gives it.

        Returns:
            The stored customer.
        """
        return self._state.add_customer(customer_id, name, external_id)

    @property
    def customers(self) -> tuple[StoredCustomer, ...]:
        """Every customer, the default ``"acme"`` first."""
        return self._state.customers()

    def customer(self, customer_id: str | int) -> StoredCustomer:
        """One customer by its id.

        Args:
            customer_id: The customer's id.

        Raises:
            KeyError: The sandbox has no such customer.
        """
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

        Args:
            connection_id: Its id, a positive int.
            provider: The connector, e.g. ``"salesforce"``.
            customer_id: The customer it belongs to.
            name: Its display name (``My <Provider> account`` when None).
            connected: Start authorized.
            description: Its description.
            folder_id: The folder it is in.
            parent_id: The id of its parent connection.
            external_id: The id your own system gives it.
            tags: Its tags, answered with ``includes[]=tags``.
            runtime: A runtime user's connection, listed only with
                ``include_runtime_connections``.
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

    def lose_connection(self, connection_id: int | str, reason: str) -> StoredConnection:
        """Workato lost the connection (`connection_lost_at`/`_reason` set): its page reports
        it disconnected, an open page within about a second, until it is authorized again.

        Args:
            connection_id: The connection's id.
            reason: Workato's `connection_lost_reason`.
        """
        return self._state.lose(self._known(connection_id), reason)

    def fail_connection(
        self, connection_id: int | str, error: str, *, exception: bool = False
    ) -> StoredConnection:
        """An authorization failed with Workato's `error` text, as the page's Fail does.

        Args:
            connection_id: The connection's id.
            error: Workato's `authorization_error` text.
            exception: Status ``exception`` (an error raised while authorizing) instead of
                ``failed``.
        """
        status = "exception" if exception else "failed"
        return self._state.fail(self._known(connection_id), error, status)

    @property
    def connections(self) -> tuple[StoredConnection, ...]:
        """A snapshot of every connection's current state, by id."""
        return self._state.connections()

    def connection(self, connection_id: int | str) -> StoredConnection:
        """The current state of one connection.

        Args:
            connection_id: The connection's id.

        Raises:
            KeyError: The sandbox does not serve that connection.
        """
        found = self._state.connection(parse_connection_id(connection_id))
        if found is None:
            raise KeyError(
                f"the sandbox serves no connection {connection_id!r}; add it with add_connection"
            )
        return found

    def _known(self, connection_id: int | str) -> int:
        return self.connection(connection_id).id

    def authorize_connection(self, connection_id: int | str) -> StoredConnection:
        """What Authorize on the connection page does: connected now, any earlier failure or
        loss forgotten (an open page shows it within about a second).

        Args:
            connection_id: The connection's id.
        """
        return self._state.authorize(self._known(connection_id))

    # folders, recipes and jobs

    def add_folder(
        self,
        folder_id: int | None,
        name: str,
        *,
        customer_id: str | int = DEFAULT_CUSTOMER,
        parent_id: int | None = None,
    ) -> StoredFolder:
        """Add a folder to a customer's workspace (or rename one with the same id); returns it.

        Args:
            folder_id: Its id, a positive int, or None for the next free one.
            name: Its name.
            customer_id: The customer whose workspace holds it.
            parent_id: The folder it goes in; None is the customer's home folder, and a folder
                directly in the home folder is a project.
        """
        if folder_id is not None and (
            isinstance(folder_id, bool) or not isinstance(folder_id, int) or folder_id <= 0
        ):
            raise ValueError(f"folder_id is a positive int or None, got {folder_id!r}")
        customer = self.customer(customer_id)
        parent = customer.folder_id if parent_id is None else parent_id
        return self._state.folders.add(folder_id, name, customer.id, parent)

    def add_recipe(
        self,
        recipe_id: int,
        name: str,
        *,
        customer_id: str | int = DEFAULT_CUSTOMER,
        connections: Iterable[int | str] = (),
        running: bool = False,
        folder_id: int | None = None,
        trigger: str | None = None,
    ) -> StoredRecipe:
        """Add a recipe of `customer_id` using its `connections` (or replace one with the same
        id, forgetting its jobs); returns it.

        Its trigger is the first connection's app unless `trigger` names another adapter (a
        connection's provider, or one that needs none such as ``"clock"``); every other
        connection is an action.

        Args:
            recipe_id: Its id, a positive int.
            name: Its name.
            customer_id: The customer it belongs to.
            connections: The ids of the customer's connections it uses, trigger first.
            running: Start it now.
            folder_id: The folder it is in.
            trigger: The trigger's adapter, when not the first connection's.

        Raises:
            ValueError: `running=True` while a connection it uses is not authorized or is lost,
                as Workato refuses such a start.
        """
        return self._state.add_recipe(
            recipe_id,
            name,
            customer_id=customer_id,
            connections=connections,
            running=running,
            folder_id=folder_id,
            trigger=trigger,
        )

    def recipe(self, recipe_id: int) -> StoredRecipe:
        """The current state of one recipe.

        Args:
            recipe_id: The recipe's id.

        Raises:
            KeyError: The sandbox has no such recipe.
        """
        found = self._state.recipes.get(parse_recipe_id(recipe_id))
        if found is None:
            raise KeyError(f"the sandbox has no recipe {recipe_id!r}; add it with add_recipe")
        return found

    def recipes(self, customer_id: str | int = DEFAULT_CUSTOMER) -> tuple[StoredRecipe, ...]:
        """A customer's recipes, highest id first (as Workato lists them).

        Args:
            customer_id: The customer's id.
        """
        return self._state.recipes.of_customer(self.customer(customer_id).id)

    def recipe_path(self, recipe_id: int) -> str:
        """The full-page path of a sandbox recipe, e.g. ``"/recipes/101"``; its job history is
        at ``<path>/jobs``.

        Args:
            recipe_id: The recipe's id.
        """
        return full_page.recipe_path(self.recipe(recipe_id).id)

    def start_recipe(self, recipe_id: int) -> StoredRecipe:
        """Start a recipe as `PUT .../start` does.

        Args:
            recipe_id: The recipe's id.

        Raises:
            ValueError: A connection it uses is not authorized or is lost (the message names it).
        """
        return self._state.start_recipe(self.recipe(recipe_id).id)

    def stop_recipe(self, recipe_id: int) -> StoredRecipe:
        """Stop a recipe as `PUT .../stop` does (no stop cause).

        Args:
            recipe_id: The recipe's id.
        """
        return self._state.recipes.stop(self.recipe(recipe_id).id)

    def run_jobs(self, recipe_id: int, count: int = 1) -> tuple[StoredJob, ...]:
        """Fire a running recipe's trigger `count` times; returns the jobs, newest last.

        A job succeeds when every connection the recipe uses is authorized and not lost, and
        otherwise fails on the first step whose connection is not. After
        `trigger_errors_limit` consecutive failures the recipe stops (fewer jobs than `count`
        are run then).

        Args:
            recipe_id: The recipe's id.
            count: How many times to fire the trigger, from 1 to 10,000.
        """
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ValueError(f"count is a whole number from 1 to 10000, got {count!r}")
        return self._state.run_jobs(self.recipe(recipe_id).id, count)

    def jobs(self, recipe_id: int) -> tuple[StoredJob, ...]:
        """A recipe's jobs, newest first.

        Args:
            recipe_id: The recipe's id.
        """
        return self._state.recipes.jobs(self.recipe(recipe_id).id)

    def populate(
        self,
        customers: int,
        *,
        connections: tuple[int, int] = (2, 6),
        recipes: tuple[int, int] = (0, 4),
        broken: float = 0.05,
        seed: int = 0,
    ) -> tuple[StoredCustomer, ...]:
        """Add `customers` customers in realistic states, the same ones for the same seed.

        Each gets a number of connections and recipes drawn from the (low, high) ranges; a
        `broken` share of the connections is lost, failed or never authorized, and the running
        recipes using a lost or failed one have stopped on trigger errors after their jobs
        failed. Customers are named ``customer-<n>`` (external id ``EXT-<seed>-<n>``).

        Args:
            customers: how many customers to add.
            connections: the fewest and most connections a customer gets.
            recipes: the fewest and most recipes a customer gets (each uses one or two of its
                connections).
            broken: the share of connections that are not connected, from 0 to 1.
            seed: the random seed: the same seed fills the same states.

        Returns:
            The customers added.
        """
        if isinstance(customers, bool) or not isinstance(customers, int) or customers < 0:
            raise ValueError(f"customers is a whole number >= 0, got {customers!r}")
        if isinstance(broken, bool) or not isinstance(broken, int | float) or not 0 <= broken <= 1:
            raise ValueError(f"broken is a share of connections from 0 to 1, got {broken!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"seed is an int, got {seed!r}")
        return populate.fill(
            self._state,
            customers,
            connections=populate.Spread.of("connections", connections),
            recipes=populate.Spread.of("recipes", recipes),
            broken=float(broken),
            seed=seed,
        )

    @property
    def rows_touched(self) -> int:
        """How many stored records (customers, connections, folders, recipes, jobs) requests
        have read so far: tests compare it before and after a request to bound its work."""
        return self._state.rows_touched

    @property
    def seen_jti(self) -> frozenset[str]:
        """The ids of every token accepted so far (each can be used once)."""
        return self._gate.seen_jti()

    @property
    def refusals(self) -> tuple[Refusal, ...]:
        """Recent refusals and silent pages, oldest first (bounded), without any token."""
        return self._gate.refusals()

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
