"""The errors of Workato's Embedded API client: one `ApiError` family, none holding a secret.

Every failure of a call becomes one of these: Workato's refusals by status, no answer at all
(`ApiConnectionError`), an answer the client cannot read, and a recipe start Workato refused
(`RecipeStartError`). They carry plain values only (status, message, method, path): no request or
response object, no header, and so no API token, in their attributes or their chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "RecipeStartError",
]


class ApiError(Exception):
    """Workato's Embedded API refused a request or could not be used; never holds the API token.

    Args:
        status: the HTTP status (None when no answer arrived).
        message: Workato's own ``{"message": ...}`` text, redacted.
        method: the request's method.
        path: the request's path, without its query.
    """

    def __init__(self, status: int | None, message: str, method: str, path: str) -> None:
        self.status = status
        self.message = message
        self.method = method
        self.path = path
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.method} {self.path}"
        if self.status is None:
            return f"{where}: {self.message}"
        return f"{where} answered {self.status}: {self.message}"

    def _arguments(self) -> tuple[Any, ...]:
        """What `__init__` takes, in order: for pickling and for a redacted copy."""
        return (self.status, self.message, self.method, self.path)

    def redacted(self, scrub: Callable[[Any], Any]) -> ApiError:
        """The same error, same class, with `scrub` applied to each of its values (the client
        passes its token scrubber: Workato's texts and errors may quote the token).

        Args:
            scrub: maps a value (a text, a list of Workato's errors) to its redacted form.

        Returns:
            The new error.
        """
        return type(self)(*(scrub(value) for value in self._arguments()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._arguments())


class AuthenticationError(ApiError):
    """401 or 403: the API token is missing, wrong, expired, or lacks the privilege asked for."""

    def _describe(self) -> str:
        return (
            f"{super()._describe()} (check the API token: an Embedded API client's token with "
            "access to this customer, for this data center)"
        )


class NotFoundError(ApiError):
    """404: no such customer, or no such connection, recipe or job in that customer's account."""


class RateLimitError(ApiError):
    """429 after every retry: Workato's rate limit.

    Args:
        status: the HTTP status (429).
        message: Workato's text, redacted.
        method: the request's method.
        path: the request's path.
        retry_after: Workato's advice (``Retry-After``), in seconds, or None.
    """

    def __init__(
        self,
        status: int | None,
        message: str,
        method: str,
        path: str,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(status, message, method, path)

    def _describe(self) -> str:
        wait = "" if self.retry_after is None else f"; Workato asks to wait {self.retry_after:g} s"
        return f"{super()._describe()}{wait}"

    def _arguments(self) -> tuple[Any, ...]:
        return (*super()._arguments(), self.retry_after)


class ApiConnectionError(ApiError):
    """No answer: the host could not be reached, or did not answer within the timeout."""


class RecipeStartError(ApiError):
    """Workato refused to start a recipe: a connection not authorized, a config or code error.

    Args:
        status: the HTTP status of the refusal (200 when Workato answered ``success: false``).
        message: a summary, redacted.
        method: the request's method.
        path: the request's path.
        recipe_id: the recipe that did not start.
        code_errors: Workato's ``code_errors`` (each a list or text, as Workato sent it).
        config_errors: Workato's ``config_errors``.
    """

    def __init__(
        self,
        status: int | None,
        message: str,
        method: str,
        path: str,
        recipe_id: int | None = None,
        code_errors: tuple[Any, ...] = (),
        config_errors: tuple[Any, ...] = (),
    ) -> None:
        self.recipe_id = recipe_id
        self.code_errors = tuple(code_errors)
        self.config_errors = tuple(config_errors)
        super().__init__(status, message, method, path)

    def _describe(self) -> str:
        return f"recipe {self.recipe_id} did not start: {super()._describe()}"

    def _arguments(self) -> tuple[Any, ...]:
        return (*super()._arguments(), self.recipe_id, self.code_errors, self.config_errors)
