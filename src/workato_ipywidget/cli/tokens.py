"""`workato-ipywidget token`: print one signed token for Workato's embedded pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ..token import ExternalId, IdLike, InvalidKeyError, TokenSigner
from .messages import fail, in_cli_words, plain_warnings


@click.command()
@click.option("--vendor-id", required=True, help="Your Workato vendor id (the JWT's API key).")
@click.option("--customer-id", required=True, help="The customer (managed user) id.")
@click.option("--user-id", help="Optional customer user id, the third `sub` segment.")
@click.option(
    "--external-ids",
    is_flag=True,
    help="Treat --customer-id and --user-id as external ids (written E<url-encoded id>).",
)
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Path to the RSA private key (PEM, PKCS#1 or PKCS#8).",
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="Name of an environment variable holding the key's passphrase (never pass it inline).",
)
@click.option("--origin", help="The embedding page's origin, e.g. http://localhost:8888.")
@click.option(
    "--ttl",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Seconds until the token expires.",
)
@click.option("--no-expiry", is_flag=True, help="Sign without an `exp` claim.")
def token(
    vendor_id: str,
    customer_id: str,
    user_id: str | None,
    external_ids: bool,
    key_path: Path,
    passphrase_env: str | None,
    origin: str | None,
    ttl: int,
    no_expiry: bool,
) -> None:
    """Print one signed token for Workato's embedded pages."""
    passphrase = None
    if passphrase_env is not None:
        passphrase = os.environ.get(passphrase_env)
        if passphrase is None:
            raise click.UsageError(
                f"--passphrase-env names {passphrase_env}, but that environment variable is not set"
            )
    customer: IdLike = ExternalId(customer_id) if external_ids else customer_id
    user: IdLike | None = None
    if user_id is not None:
        user = ExternalId(user_id) if external_ids else user_id
    try:
        with plain_warnings():
            signer = TokenSigner(
                vendor_id, key_path, passphrase=passphrase, ttl=None if no_expiry else ttl
            )
    except InvalidKeyError as exc:
        fail("--key", in_cli_words(str(exc)))
    except (ValueError, TypeError) as exc:
        fail(_flag_of(str(exc)), in_cli_words(str(exc)))
    try:
        click.echo(signer.sign(customer, user_id=user, origin=origin))
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if "ExternalId(" in message:
            message += " (here: add --external-ids)"
        fail(_flag_of(message), in_cli_words(message))


def _flag_of(message: str) -> str | None:
    """The `token` flag a signer's refusal is about, from the parameter its message names."""
    for name, flag in (
        ("ttl", "--ttl"),
        ("vendor_id", "--vendor-id"),
        ("customer_id", "--customer-id"),
        ("user_id", "--user-id"),
        ("origin", "--origin"),
    ):
        if re.search(rf"\b{name}\b", message):
            return flag
    return None
