"""The one way of getting tokens a widget was given, as `origin -> token`.

`signer=` signs a fresh token per view; `token_provider=` is called per view (its failures are
redacted where they are caught); `token=` is one pre-made token. Nothing here echoes a token.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from . import protocol
from .redaction import redact, remember
from .signing import Signer
from .token import IdLike, id_segment

__all__ = ["TokenSourceFailed", "token_source"]

log = logging.getLogger(__name__)


class TokenSourceFailed(Exception):
    """A user's token_provider raised; carries a redacted one-line reason."""


def token_source(
    owner: str,
    signer: Signer | None,
    customer_id: IdLike | None,
    user_id: IdLike | None,
    token_provider: Callable[[str], str] | None,
    token: str | None,
) -> Callable[[str], str]:
    """Turn the one way of getting tokens the caller chose into `origin -> token`.

    Args:
        owner: the class asking, named in the message when not exactly one source is given.
        signer: signs a token per view (needs `customer_id`).
        customer_id: the customer the signer signs for.
        user_id: the customer's user, for the signer.
        token_provider: a callable `origin -> token`, called per view.
        token: one pre-made token.

    Returns:
        A callable taking the page's origin and returning a token.

    Raises:
        TypeError: not exactly one source, or a source of the wrong kind.
        ValueError: a bad id or a `token=` that is not a JWT.
    """
    given = [
        n
        for n, v in (("signer", signer), ("token_provider", token_provider), ("token", token))
        if v is not None
    ]
    if len(given) != 1:
        got = f"got {' and '.join(given)}" if given else "got none"
        raise TypeError(
            f"{owner} needs exactly one way to get tokens: signer= with customer_id=, "
            f"token_provider=, or token= ({got})"
        )
    if signer is not None:
        if not isinstance(signer, Signer):
            raise TypeError(
                "signer must be a Signer (a TokenSigner, a HubSigner, or anything with "
                f"sign(customer_id, user_id=..., origin=...)), got {type(signer).__name__}"
            )
        if customer_id is None:
            raise TypeError(
                "signer= needs customer_id=: the Workato customer whose connections these are"
            )
        id_segment(customer_id, "customer_id")  # refuse bad ids now, not per view
        if user_id is not None:
            id_segment(user_id, "user_id")
        return lambda origin: signer.sign(customer_id, user_id=user_id, origin=origin)
    if customer_id is not None or user_id is not None:
        raise TypeError(
            "customer_id= and user_id= go with signer= (customer_id= also with a "
            "ConnectionWidget's api=); a token_provider or token already names the customer"
        )
    if token_provider is not None:
        if not callable(token_provider):
            raise TypeError(
                "token_provider must be a callable taking the page origin and "
                f"returning a token, got {type(token_provider).__name__}"
            )
        provider = token_provider

        def call_provider(origin: str) -> str:
            try:
                value = provider(origin)
            except Exception as exc:
                log.debug(
                    "token_provider failed:\n%s",
                    redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))),
                )
                raise TokenSourceFailed(
                    protocol.clean_text(f"token_provider raised {type(exc).__name__}: {exc}")
                ) from None
            token = _checked_token(value, "token_provider returned")
            remember(token)  # a token handed to a view is redacted wherever it comes back
            return token

        return call_provider
    assert token is not None
    fixed = _checked_token(token, "token=")
    remember(fixed)
    return lambda _origin: fixed


def _checked_token(value: object, source: str) -> str:
    """Check that a token looks like a compact JWT, without ever echoing it."""
    if not isinstance(value, str):
        raise TypeError(f"{source} a {type(value).__name__}; expected a JWT string")
    parts = value.split(".")
    if len(parts) != 3 or not all(parts[:2]) or any(c.isspace() for c in value):
        raise ValueError(f"{source} a string that is not a JWT (expected header.payload.signature)")
    return value
