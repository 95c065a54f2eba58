"""The one interface every token source behind ``signer=`` has: ``sign(customer_id, ...)``.

``TokenSigner`` signs in the kernel with the vendor's key; ``HubSigner`` asks a JupyterHub service
that holds the key. Widgets take any ``Signer`` and never special-case either.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .token import IdLike

__all__ = ["Signer"]


@runtime_checkable
class Signer(Protocol):
    """Anything that returns a fresh Workato token for a customer, for a page at an origin."""

    def sign(
        self, customer_id: IdLike, *, user_id: IdLike | None = None, origin: str | None = None
    ) -> str:
        """Return a fresh token for ``customer_id`` (and ``user_id``), for a page at ``origin``.

        Args:
            customer_id: the Workato customer (managed user) id, or an ExternalId.
            user_id: the customer user id, the optional third ``sub`` segment.
            origin: the embedding page's origin, the token's ``origin`` claim.

        Returns:
            The signed JWT.
        """
        ...
