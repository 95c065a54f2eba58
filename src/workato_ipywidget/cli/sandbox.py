"""`workato-ipywidget sandbox`: run the local Workato sandbox in the foreground."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import threading

import click

from ..token import read_key_file
from .messages import fail


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (0: any free one).")
@click.option(
    "--allowed-origin",
    "allowed_origins",
    multiple=True,
    metavar="ORIGIN",
    help="An embedding page origin to allow (repeatable); without it every origin is allowed.",
)
@click.option(
    "--connection",
    "connections",
    multiple=True,
    metavar="ID:PROVIDER",
    help="A connection to serve (repeatable); default: 1:salesforce and 2:jira.",
)
@click.option(
    "--register-key",
    "registrations",
    multiple=True,
    metavar="VENDOR=PEM_PATH",
    help="Also accept tokens of VENDOR signed by the private key of this public key (repeatable).",
)
@click.option(
    "--api-token-env",
    metavar="VAR",
    help="Serve the Embedded API with the token in this environment variable (default: random).",
)
@click.option("--rate-limits", is_flag=True, help="Apply Workato's documented API rate limits.")
@click.option(
    "--populate",
    type=click.IntRange(0, 100_000),
    default=0,
    metavar="N",
    help="Also add N customers in realistic states, with connections, recipes and jobs.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="The seed of --populate.")
def sandbox(
    host: str,
    port: int,
    allowed_origins: tuple[str, ...],
    connections: tuple[str, ...],
    registrations: tuple[str, ...],
    api_token_env: str | None,
    rate_limits: bool,
    populate: int,
    seed: int,
) -> None:
    """Run the local Workato sandbox in the foreground until interrupted.

    Its connections belong to the customer "acme".
    """
    from ..sandbox import Sandbox

    parsed = [_parse_connection(c) for c in connections] or [(1, "salesforce"), (2, "jira")]
    ids = [connection_id for connection_id, _ in parsed]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        fail("--connection", f"connection id {twice} is given twice; give each id once")
    keys = [_parse_registration(r) for r in registrations]
    api_token = None
    if api_token_env is not None:
        api_token = os.environ.get(api_token_env)
        if not api_token:
            fail(
                "--api-token-env",
                f"it names {api_token_env}, which is not set; export {api_token_env}=<token> "
                "first, or leave out --api-token-env for a random token",
            )
    try:
        server = Sandbox(
            host=host,
            port=port,
            allowed_origins=list(allowed_origins) or None,
            rate_limits=rate_limits,
            api_token=api_token,
        )
    except ValueError as exc:
        message = str(exc)
        flag = "--allowed-origin" if "origin" in message else "--api-token-env"
        fail(flag, message)
    for connection_id, provider in parsed:
        server.add_connection(connection_id, provider)
    for vendor_id, pem in keys:
        try:
            server.register_public_key(vendor_id, pem)
        except ValueError as exc:
            fail("--register-key", f"{exc}")
    server.populate(populate, seed=seed)
    if not _is_loopback(host):
        click.echo(
            f"warning: --host {host} is not a loopback address: anyone who can reach this "
            "machine can use this sandbox and its test keys over plain http; use --host "
            "127.0.0.1 unless you mean to share it",
            err=True,
        )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        server.start()
    except OSError as exc:
        fail(*_bind_failure(host, port, exc))
    try:
        click.echo(f"Workato sandbox at {server.base_url}")
        click.echo(f"vendor id: {server.vendor_id}")
        for connection_id, provider in parsed:
            click.echo(f"connection {connection_id}: {provider} (customer acme)")
        if populate:
            click.echo(
                f"{populate} more customers (seed {seed}): customer-1 to customer-{populate}"
            )
        if api_token is None:
            # A random token of this local sandbox only: shown, or its API could not be used.
            click.echo(
                f"Embedded API token: {server.api_token} (random, this sandbox's own; pass "
                "--api-token-env VAR to choose it)"
            )
            click.echo(
                f"List its connections: WORKATO_API_TOKEN={server.api_token} workato-ipywidget "
                f"connections --customer acme --base-url {server.base_url}"
            )
        else:
            click.echo(
                f"Embedded API token: the one in {api_token_env}, e.g. workato-ipywidget "
                f"connections --customer acme --base-url {server.base_url} "
                f"--api-token-env {api_token_env}"
            )
        click.echo("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        server.stop()


def _is_loopback(host: str) -> bool:
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind_failure(host: str, port: int, exc: OSError) -> tuple[str, str]:
    """The flag and the one-line reason a sandbox could not listen on host:port."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.EADDRINUSE:
        return (
            "--port",
            f"port {port} on {host} is already in use; choose another --port, or leave it out "
            "for any free one",
        )
    if exc.errno == errno.EACCES:
        return (
            "--port",
            f"not allowed to listen on port {port} ({reason}); ports below 1024 need root, "
            "choose one above 1024 or leave --port out",
        )
    return (
        "--host",
        f"cannot listen on {host} ({reason}); pass an address of this machine, e.g. "
        "127.0.0.1 (the default)",
    )


def _parse_connection(text: str) -> tuple[int, str]:
    number, _, provider = text.partition(":")
    if not number.isdigit() or not 0 < int(number) < 2**63 or not provider:
        fail(
            "--connection",
            f"expected ID:PROVIDER with a positive id, e.g. 1:salesforce; got {text[:80]!r}",
        )
    return int(number), provider


def _parse_registration(text: str) -> tuple[str, str]:
    vendor_id, _, path = text.partition("=")
    if not vendor_id or not path:
        fail("--register-key", f"expected VENDOR=PEM_PATH, e.g. v1=public.pem; got {text!r}")
    read = read_key_file(os.path.expanduser(path), "public key")
    if isinstance(read, str):
        fail("--register-key", read)
    data = read[0]
    if b"PRIVATE KEY-----" in data:
        fail(
            "--register-key",
            f"{path} holds a private key; the sandbox needs only its public half: "
            f"openssl rsa -in {path} -pubout -out public.pem, then --register-key "
            f"{vendor_id}=public.pem",
        )
    return vendor_id, data.decode("utf-8", "replace")
