"""What every sandbox handler shares: its configuration, `BaseHandler` (headers, logging without
the query string, error bodies) and the 404 for anything unrouted.

The page URL carries the token, so nothing here logs a URL with its query string (nor a redirect's
Location), and every response tells browsers not to cache it nor send it on as a referrer.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import tornado.web

from ..rate_limits import RateLimits
from .gate import Gate
from .state import SandboxState

logger = logging.getLogger("workato_ipywidget.sandbox")

Routes = list[tuple[str, type[tornado.web.RequestHandler], dict[str, "SandboxConfig"]]]
"""Tornado routes, each with the handler's `initialize` arguments."""


@dataclass(frozen=True)
class SandboxConfig:
    """What every handler needs: the shared state and the sandbox's fixed configuration."""

    state: SandboxState
    gate: Gate
    allowed_origins: frozenset[str] | None
    api_token: str
    rate_limits: RateLimits | None = None


def routes(
    config: SandboxConfig, *handlers: tuple[str, type[tornado.web.RequestHandler]]
) -> Routes:
    """Tornado routes for `handlers` (pattern, handler class), each given `config`."""
    return [(pattern, handler, {"config": config}) for pattern, handler in handlers]


def log_request(handler: tornado.web.RequestHandler) -> None:
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
        self.sandbox.gate.refuse(code, message, self.request.path)
        logger.info("refused %s %s: %s", self.request.method, self.request.path, code)


class NotFoundHandler(BaseHandler):
    """Anything else: a 404 through `write_error`, logged without its query string."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)
