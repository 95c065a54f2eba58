"""The `workato-ipywidget` command: sign a token, list a customer's connections, run the local
sandbox, open the demo."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import sys
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

import click

from .endpoints import DataCenter
from .token import ExternalId, IdLike, InvalidKeyError, TokenSigner

if TYPE_CHECKING:
    from .health_rows import CustomerHealth
    from .records import Connection

_CHECKOUT_DEMO = Path(__file__).resolve().parents[2] / "notebooks" / "demo.ipynb"
_DEMO_CONFIG = Path(__file__).resolve().parent / "demo_config"
"""A Jupyter config directory for the demo's JupyterLab (see `_lab_command`)."""

Env = Mapping[str, str]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workato-ipywidget")
def main() -> None:
    """Workato's Embedded connections widget for Jupyter: tokens, the Embedded API, a local
    sandbox, the demo."""


@main.command()
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
        signer = TokenSigner(
            vendor_id, key_path, passphrase=passphrase, ttl=None if no_expiry else ttl
        )
        click.echo(signer.sign(customer, user_id=user, origin=origin))
    except (InvalidKeyError, ValueError, TypeError) as exc:
        message = str(exc)
        if "ExternalId(" in message:
            message += " (here: add --external-ids)"
        raise click.ClickException(message) from None


@main.command()
@click.option("--customer", "customer_id", required=True, help="The customer (managed user) id.")
@click.option(
    "--external-id", is_flag=True, help="Treat --customer as an external id (E<url-encoded id>)."
)
@click.option(
    "--api-token-env",
    metavar="VAR",
    default="WORKATO_API_TOKEN",
    show_default=True,
    help="Environment variable holding the Embedded API token (never pass it inline).",
)
@click.option(
    "--data-center",
    type=click.Choice([center.value for center in DataCenter], case_sensitive=False),
    default="us",
    show_default=True,
    help="Workato's data center.",
)
@click.option("--base-url", help="A custom API origin instead, e.g. a sandbox's base URL.")
@click.option("--runtime", is_flag=True, help="Include runtime user connections.")
def connections(
    customer_id: str,
    external_id: bool,
    api_token_env: str,
    data_center: str,
    base_url: str | None,
    runtime: bool,
) -> None:
    """Print a table of a customer's connections from Workato's Embedded API."""
    from .api import EmbeddedApi
    from .errors import ApiError

    token = os.environ.get(api_token_env)
    if not token:
        raise click.UsageError(
            f"the API token is read from the environment variable {api_token_env}, which is not "
            "set; export it (or name another with --api-token-env)"
        )
    try:
        customer: IdLike = ExternalId(customer_id) if external_id else customer_id
        with EmbeddedApi(token, data_center=data_center, base_url=base_url) as api:
            found = api.connections(customer, include_runtime_connections=runtime)
    except (ApiError, ValueError, TypeError) as exc:
        message = str(exc)
        if "ExternalId(" in message:
            message += " (here: add --external-id)"
        raise click.ClickException(message) from None
    click.echo(_table(found))


def _table(found: list[Connection]) -> str:
    from .connection_state import classify

    header = ("ID", "PROVIDER", "NAME", "STATUS", "AUTHORIZED AT")
    rows = [header]
    for connection in found:
        status = classify(connection).replace("_", " ")  # as the panel's badge says it
        authorized = connection.authorized_at
        rows.append(
            (
                str(connection.id),
                connection.provider or "",
                connection.name,
                status,
                authorized.isoformat(timespec="seconds") if authorized else "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if not found:
        lines.append("(no connections)")
    return "\n".join(lines)


@main.command()
@click.option("--problems", is_flag=True, help="Only the customers with a problem.")
@click.option(
    "--csv",
    "csv_file",
    type=click.File("w", lazy=True),
    metavar="FILE",
    help="Write the rows as CSV to FILE ('-' for stdout) instead of the table.",
)
@click.option(
    "--api-token-env",
    metavar="VAR",
    default="WORKATO_API_TOKEN",
    show_default=True,
    help="Environment variable holding the Embedded API token (never pass it inline).",
)
@click.option(
    "--data-center",
    type=click.Choice([center.value for center in DataCenter], case_sensitive=False),
    default="us",
    show_default=True,
    help="Workato's data center.",
)
@click.option("--base-url", help="A custom API origin instead, e.g. a sandbox's base URL.")
@click.option("--no-recipes", is_flag=True, help="Do not read recipes stopped on errors.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Readers kept busy (default 32); the client's rate limiter sets the pace either way.",
)
def health(
    problems: bool,
    csv_file: TextIO | None,
    api_token_env: str,
    data_center: str,
    base_url: str | None,
    no_recipes: bool,
    concurrency: int | None,
) -> None:
    """Scan every customer's connections (and recipes stopped on errors) and print one row per
    customer, problems first; the progress bar goes to stderr."""
    import asyncio

    from .api import EmbeddedApi
    from .errors import ApiError
    from .health_rows import sort_key
    from .health_scan import HealthScan, check_concurrency, scan_clients

    token = os.environ.get(api_token_env)
    if not token:
        raise click.UsageError(
            f"the API token is read from the environment variable {api_token_env}, which is not "
            "set; export it (or name another with --api-token-env)"
        )
    rows: list[CustomerHealth] = []
    bar: list[Any] = []

    def on_total(total: int) -> None:
        bar.append(
            click.progressbar(length=total, label="Scanning customers", file=sys.stderr, width=30)
        )
        bar[0].__enter__()

    def on_row(row: CustomerHealth) -> None:
        rows.append(row)
        bar[0].update(1)

    try:
        with EmbeddedApi(token, data_center=data_center, base_url=base_url) as api:
            _, make_source = scan_clients(api)

            async def scan_all() -> None:
                source = make_source()  # on this loop, where its connections then live
                scan = HealthScan(
                    source,
                    include_recipes=not no_recipes,
                    concurrency=check_concurrency(concurrency),
                    on_total=on_total,
                    on_row=on_row,
                )
                try:
                    await scan.run()
                finally:
                    await source.aclose()

            try:
                asyncio.run(scan_all())
            finally:
                if bar:
                    bar[0].__exit__(None, None, None)
    except (ApiError, ValueError, TypeError) as exc:
        raise click.ClickException(str(exc)) from None
    shown = sorted((r for r in rows if r.has_problem or not problems), key=sort_key)
    found = sum(1 for r in rows if r.has_problem)
    click.echo(f"{len(rows)} customers read, {found} with problems", err=True)
    if csv_file is not None:
        _health_csv(shown, csv_file, recipes=not no_recipes)
    else:
        click.echo(_health_table(shown, recipes=not no_recipes))


_HEALTH_COLUMNS = {
    "id": "ID",
    "name": "NAME",
    "external_id": "EXTERNAL ID",
    "state": "STATE",
    "connected": "CONNECTED",
    "failed": "FAILED",
    "lost": "LOST",
    "not_connected": "NEVER AUTHORIZED",
    "stopped_recipes": "STOPPED RECIPES",
    "problem": "WORST PROBLEM",
}


def _health_cells(rows: list[CustomerHealth], recipes: bool) -> list[dict[str, str]]:
    from .health_rows import row_for_page

    cells = []
    for row in rows:
        data = row_for_page(row, recipes=recipes)
        if not recipes:
            del data["stopped_recipes"]
        text = {key: "" if value is None else str(value) for key, value in data.items()}
        text["state"] = text["state"].replace("_", " ")  # as the table's state filter says it
        cells.append(text)
    return cells


def _health_table(rows: list[CustomerHealth], *, recipes: bool) -> str:
    names = [k for k in _HEALTH_COLUMNS if recipes or k != "stopped_recipes"]
    lines = [[_HEALTH_COLUMNS[k] for k in names]]
    lines += [[cells[k] for k in names] for cells in _health_cells(rows, recipes)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(names))]
    text = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    if not rows:
        text.append("(no customers)")
    return "\n".join(text)


def _health_csv(rows: list[CustomerHealth], out: TextIO, *, recipes: bool) -> None:
    import csv

    names = [k for k in _HEALTH_COLUMNS if recipes or k != "stopped_recipes"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_health_cells(rows, recipes))
    out.flush()


@main.command()
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
def sandbox(
    host: str,
    port: int,
    allowed_origins: tuple[str, ...],
    connections: tuple[str, ...],
    registrations: tuple[str, ...],
    api_token_env: str | None,
    rate_limits: bool,
) -> None:
    """Run the local Workato sandbox in the foreground until interrupted.

    Its connections belong to the customer "acme".
    """
    from .sandbox import Sandbox

    parsed = [_parse_connection(c) for c in connections] or [(1, "salesforce"), (2, "jira")]
    keys = [_parse_registration(r) for r in registrations]
    api_token = None
    if api_token_env is not None:
        api_token = os.environ.get(api_token_env)
        if not api_token:
            raise click.UsageError(f"--api-token-env names {api_token_env}, which is not set")
    try:
        server = Sandbox(
            host=host,
            port=port,
            allowed_origins=list(allowed_origins) or None,
            rate_limits=rate_limits,
            api_token=api_token,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    for connection_id, provider in parsed:
        server.add_connection(connection_id, provider)
    for vendor_id, pem in keys:
        server.register_public_key(vendor_id, pem)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with server:
        click.echo(f"Workato sandbox at {server.base_url}")
        click.echo(f"vendor id: {server.vendor_id}")
        for connection_id, provider in parsed:
            click.echo(f"connection {connection_id}: {provider} (customer acme)")
        if api_token is None:
            click.echo("Embedded API token: random; pass --api-token-env VAR to choose it")
        click.echo("Press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


@main.command()
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("workato-demo"),
    show_default=True,
    help="Where to put a copy of the demo notebook when running from an installed package.",
)
@click.option("--port", type=click.IntRange(0, 65535), help="The server's port.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option(
    "--voila",
    is_flag=True,
    help="Serve the demo as a dashboard with Voila: its outputs and text, no code.",
)
def demo(work_dir: Path, port: int | None, no_browser: bool, voila: bool) -> None:
    """Open the demo notebook in JupyterLab (or, with --voila, as a dashboard); no account needed.

    The demo runs on a local sandbox that the notebook starts in its own kernel.
    """
    notebook = demo_notebook(work_dir)
    if voila:
        if importlib.util.find_spec("voila") is None:
            raise click.ClickException(
                "--voila needs Voila, which is not installed: pip install 'voila>=0.5.13'"
            )
        port = port or _free_port()
        argv, env = _voila_command(notebook, port, no_browser)
        click.echo(f"Serving the demo dashboard at http://localhost:{port}/")
    else:
        argv, env = _lab_command(notebook, port, no_browser)
        click.echo(f"Opening {notebook} in JupyterLab")
    os.chdir(notebook.parent)
    os.execve(argv[0], argv, env)  # noqa: S606 - replace this process with the server


def _lab_command(notebook: Path, port: int | None, no_browser: bool) -> tuple[list[str], Env]:
    """JupyterLab on the demo notebook, with nothing in front of it that a customer would see.

    The URL JupyterLab prints opens the notebook, not the launcher (with --no-browser that URL
    is all a user has). No news or update prompt: the server neither fetches news nor checks for
    updates, and `labconfig/default_setting_overrides.json` in a directory put first on
    JUPYTER_CONFIG_PATH changes the *defaults* of the notification settings, so the user's own
    settings still win.
    """
    argv = [
        sys.executable, "-m", "jupyter", "lab", notebook.name,
        f"--LabApp.default_url=/lab/tree/{quote(notebook.name)}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if port is not None:
        argv.append(f"--port={port}")
    if no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    config_path = [str(_DEMO_CONFIG), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
    return argv, {**os.environ, "JUPYTER_CONFIG_PATH": os.pathsep.join(config_path)}


def _voila_command(notebook: Path, port: int, no_browser: bool) -> tuple[list[str], Env]:
    """Voila serving the demo notebook as a dashboard on exactly `port`.

    Voila shows the widgets only once every cell has run, so the demo's cell that awaits a
    connection is told not to wait (unless WORKATO_DEMO_WAIT_SECONDS says otherwise).
    """
    argv = [
        sys.executable, "-m", "voila", notebook.name,
        f"--port={port}",
        "--Voila.port_retries=0",  # the printed port, or a clear failure
        "--VoilaConfiguration.strip_sources=True",
    ]  # fmt: skip
    if no_browser:
        argv.append("--no-browser")
    return argv, {"WORKATO_DEMO_WAIT_SECONDS": "0", **os.environ}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_notebook(work_dir: Path) -> Path:
    """The checkout's demo notebook, or a copy of the packaged one in `work_dir`."""
    if _CHECKOUT_DEMO.is_file():
        return _CHECKOUT_DEMO
    packaged = resources.files("workato_ipywidget") / "notebooks" / "demo.ipynb"
    if not packaged.is_file():
        raise click.ClickException(
            "the demo notebook is missing from this installation; reinstall workato-ipywidget"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / "demo.ipynb"
    if not target.exists():
        with resources.as_file(packaged) as source:
            shutil.copyfile(source, target)
    return target.resolve()


def _parse_connection(text: str) -> tuple[int, str]:
    number, _, provider = text.partition(":")
    if not number.isdigit() or int(number) < 1 or not provider:
        raise click.BadParameter(
            f"expected ID:PROVIDER with a positive id, e.g. 1:salesforce; got {text!r}",
            param_hint="--connection",
        )
    return int(number), provider


def _parse_registration(text: str) -> tuple[str, str]:
    vendor_id, _, path = text.partition("=")
    if not vendor_id or not path:
        raise click.BadParameter(
            f"expected VENDOR=PEM_PATH, got {text!r}", param_hint="--register-key"
        )
    try:
        return vendor_id, Path(path).read_text()
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read the public key file {path}: {exc.strerror}", param_hint="--register-key"
        ) from None


if __name__ == "__main__":
    main()
