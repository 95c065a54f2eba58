"""How a failed Embedded API read is said to the user: in `error` traits and log lines.

One paragraph naming what could not be read and what to check; never a token.
"""

from __future__ import annotations

from .protocol import MAX_ERROR_TEXT, clean_text

__all__ = ["customer_label", "describe_api_failure"]


def customer_label(customer_id: object) -> str:
    """A customer id as messages show it: quoted, an `ExternalId` by its value, cut short."""
    text = customer_id.value if hasattr(customer_id, "value") else str(customer_id)
    return repr(text[:60]) if isinstance(text, str) else repr(customer_id)


def describe_api_failure(what: str, exc: BaseException, customer: object = None) -> str:
    """A one-paragraph reason for a failed read of `what` (of `customer`), for `error` and
    log lines, with what to check for an unknown customer or a refused token; never a token."""
    from .errors import ApiError, AuthenticationError, NotFoundError

    if isinstance(exc, NotFoundError) and customer is not None:
        text = (
            f"Workato's Embedded API knows no customer {customer_label(customer)}: {exc}. Check "
            "customer_id: Workato's id of the managed user, or ExternalId(...) for your own id."
        )
    elif isinstance(exc, AuthenticationError):
        text = f"Workato's Embedded API refused the API token: {exc}"
    elif isinstance(exc, ApiError):
        text = f"Could not read {what} from Workato's Embedded API: {exc}"
    else:
        text = f"Could not read {what} from Workato's Embedded API: {type(exc).__name__}: {exc}"
    return clean_text(text, MAX_ERROR_TEXT)
