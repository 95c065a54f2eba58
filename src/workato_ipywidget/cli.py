"""The `workato-ipywidget` command: sign a token, list a customer's connections, run the local
sandbox, open the demo."""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import ipaddress
import os
import re
import shutil
import signal
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TextIO, TypeVar
from urllib.parse import quote

import click

from .endpoints import DataCenter
from .token import ExternalId, IdLike, InvalidKeyError, TokenSigner, read_key_file

if TYPE_CHECKING:
    from .api import EmbeddedApi
    from .health_rows import CustomerHealth
    from .records import Connection, Job

_CHECKOUT_DEMO = Path(__file__).resolve().parents[2] / "notebooks" / "demo.ipynb"
_DEMO_CONFIG = Path(__file__).resolve().parent / "demo_config"
"""A Jupyter config directory for the demo's JupyterLab (see `_lab_command`)."""

Env = Mapping[str, str]
_T = TypeVar("_T")
_P = ParamSpec("_P")


class UsageFailure(click.ClickException):
    """Bad input on the command line: one line naming the flag and what to do; exit status 2."""

    exit_code = 2


class _OneLineErrors(click.Group):
    """A group whose every failure prints one line, ``error: <flag>: <what and what to do>``.

    Click's own usage errors (a missing option, a value of the wrong type) lose the usage
    block and keep a pointer to ``--help``; exit status 2 for usage errors, 1 for the rest.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.UsageError as exc:
            names: list[str] = []
            ctx = exc.ctx
            while ctx is not None and ctx.parent is not None:  # subcommands, not the program
                names.insert(0, ctx.info_name or "")
                ctx = ctx.parent
            name = " ".join(["workato-ipywidget", *names])
            _print_error(f"{exc.format_message()} (see: {name} --help)")
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            _print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except click.Abort:
            _print_error("aborted")
            sys.exit(1)
        if isinstance(result, int):  # --help, --version and ctx.exit() in non-standalone mode
            sys.exit(result)
        return result


def _print_error(message: str) -> None:
    click.echo(f"error: {_one_line(message)}", err=True)


def _one_line(message: str) -> str:
    return re.sub(r"\s*\n\s*", " ", message.strip())


def _fail(flag: str | None, message: str) -> NoReturn:
    """Refuse the command line: `message` (in CLI words) about `flag`, exit status 2."""
    raise UsageFailure(f"{flag}: {message}" if flag else message)


# What the library's messages call a parameter, and what the command line calls it.
_CLI_WORDS: Sequence[tuple[str, str]] = (
    (
        "pass its passphrase with passphrase=...",
        "name the variable holding it with --passphrase-env",
    ),
    ("pass passphrase=None", "leave out --passphrase-env"),
    ("data_center= / base_url=", "--data-center / --base-url"),
    ("data_center=", "--data-center"),
    ("base_url=", "--base-url"),
    ("pass base_url", "pass --base-url"),
)


def _in_cli_words(message: str) -> str:
    for python, flag in _CLI_WORDS:
        message = message.replace(python, flag)
    return message


@contextlib.contextmanager
def _plain_warnings() -> Iterator[None]:
    """Print the library's warnings as one plain ``warning:`` line each, not Python's format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                text = _one_line(_in_cli_words(str(warning.message)))
                click.echo(f"warning: {text}", err=True)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
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
        with _plain_warnings():
            signer = TokenSigner(
                vendor_id, key_path, passphrase=passphrase, ttl=None if no_expiry else ttl
            )
    except InvalidKeyError as exc:
        _fail("--key", _in_cli_words(str(exc)))
    except (ValueError, TypeError) as exc:
        _fail(_flag_of(str(exc)), _in_cli_words(str(exc)))
    try:
        click.echo(signer.sign(customer, user_id=user, origin=origin))
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if "ExternalId(" in message:
            message += " (here: add --external-ids)"
        _fail(_flag_of(message), _in_cli_words(message))


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


def _api_options(command: Callable[_P, None]) -> Callable[_P, None]:
    """The options of every command that reads a customer through the Embedded API."""
    for option in reversed(
        (
            click.option(
                "--customer", "customer_id", required=True, help="The customer (managed user) id."
            ),
            click.option(
                "--external-id",
                is_flag=True,
                help="Treat --customer as an external id (E<url-encoded id>).",
            ),
            click.option(
                "--api-token-env",
                metavar="VAR",
                default="WORKATO_API_TOKEN",
                show_default=True,
                help="Environment variable holding the Embedded API token (never pass it inline).",
            ),
            click.option(
                "--data-center",
                type=click.Choice([center.value for center in DataCenter], case_sensitive=False),
                help="Workato's data center (default: us).",
            ),
            click.option(
                "--base-url", help="A custom API origin instead, e.g. a sandbox's base URL."
            ),
        )
    ):
        command = option(command)
    return command


@main.command()
@_api_options
@click.option("--runtime", is_flag=True, help="Include runtime user connections.")
def connections(
    customer_id: str,
    external_id: bool,
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    runtime: bool,
) -> None:
    """Print a table of a customer's connections from Workato's Embedded API."""
    found = _read_api(
        api_token_env,
        data_center,
        base_url,
        lambda api: api.connections(
            _customer(customer_id, external_id), include_runtime_connections=runtime
        ),
    )
    click.echo(_table(found))


def _customer(customer_id: str, external_id: bool) -> IdLike:
    return ExternalId(customer_id) if external_id else customer_id


def _read_api(
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    read: Callable[[EmbeddedApi], _T],
) -> _T:
    """`read(api)` with the token from `api_token_env`; any refusal or bad id is one line on
    stderr (exit 1), never a traceback."""
    from .api import EmbeddedApi
    from .errors import ApiError

    if base_url is not None and data_center is not None:
        _fail(
            "--data-center",
            f"--data-center {data_center} and --base-url {base_url} name two hosts; pass "
            "one: --data-center for Workato's own, --base-url for another (e.g. a sandbox)",
        )
    token = os.environ.get(api_token_env)
    if not token:
        raise click.UsageError(
            f"the API token is read from the environment variable {api_token_env}, which is not "
            "set; export it (or name another with --api-token-env)"
        )
    message = ""
    try:
        with EmbeddedApi(token, data_center=data_center, base_url=base_url) as api:
            return read(api)
    except (ValueError, TypeError) as exc:
        message = _one_line(str(exc))
        if "ExternalId(" in message:
            message += " (here: add --external-id)"
        flag = "--base-url" if "base_url" in message else "--customer"
        _fail(flag, _in_cli_words(message))
    except ApiError as exc:
        message = _one_line(str(exc))  # one line, even when Workato's text has several
    raise click.ClickException(_in_cli_words(message))


def _table(found: list[Connection]) -> str:
    from .connection_state import classify

    rows = [
        (
            str(connection.id),
            connection.provider or "",
            connection.name,
            classify(connection).replace("_", " "),  # as the panel's badge says it
            _when(connection.authorized_at),
        )
        for connection in found
    ]
    header = ("ID", "PROVIDER", "NAME", "STATUS", "AUTHORIZED AT")
    return _format_table(header, rows, "(no connections)")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _format_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> str:
    """Columns padded to their widest cell, one line per row; `empty` when there are none."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    if not rows:
        lines.append(empty)
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
    help="Workato's data center (default: us).",
)
@click.option("--base-url", help="A custom API origin instead, e.g. a sandbox's base URL.")
@click.option("--no-recipes", is_flag=True, help="Do not read recipes stopped on errors.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 256),
    help="Most customers read at once (default 32); the client's rate limiter sets the pace.",
)
def health(
    problems: bool,
    csv_file: TextIO | None,
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    no_recipes: bool,
    concurrency: int | None,
) -> None:
    """Scan every customer's connections (and recipes stopped on errors) and print one row per
    customer, problems first; the progress bar goes to stderr."""
    from .health_rows import sort_key

    recipes = not no_recipes
    rows = _read_api(
        api_token_env, data_center, base_url, lambda api: _scan(api, recipes, concurrency)
    )
    shown = sorted((r for r in rows if r.has_problem or not problems), key=sort_key)
    found = sum(1 for r in rows if r.has_problem)
    click.echo(f"{len(rows)} customers read, {found} with problems", err=True)
    if csv_file is not None:
        _health_csv(shown, csv_file, recipes=recipes)
    else:
        click.echo(_health_table(shown, recipes=recipes))


def _scan(api: EmbeddedApi, recipes: bool, concurrency: int | None) -> list[CustomerHealth]:
    """Every customer's row, read by the scan engine with a progress bar on stderr."""
    import asyncio

    from .health_scan import HealthScan, check_concurrency, scan_clients

    rows: list[CustomerHealth] = []
    bar: list[Any] = []
    _, make_source = scan_clients(api)

    def on_total(total: int) -> None:
        bar.append(
            click.progressbar(length=total, label="Scanning customers", file=sys.stderr, width=30)
        )
        bar[0].__enter__()

    def on_row(row: CustomerHealth) -> None:
        rows.append(row)
        bar[0].update(1)

    async def scan_all() -> None:
        source = make_source()  # on this loop, where its connections then live
        scan = HealthScan(
            source,
            include_recipes=recipes,
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
    return rows


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
    cells = [tuple(row[k] for k in names) for row in _health_cells(rows, recipes)]
    return _format_table(tuple(_HEALTH_COLUMNS[k] for k in names), cells, "(no customers)")


def _health_csv(rows: list[CustomerHealth], out: TextIO, *, recipes: bool) -> None:
    import csv

    names = [k for k in _HEALTH_COLUMNS if recipes or k != "stopped_recipes"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_health_cells(rows, recipes))
    out.flush()


@main.command()
@_api_options
@click.option("--stopped", is_flag=True, help="Only stopped recipes.")
def recipes(
    customer_id: str,
    external_id: bool,
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    stopped: bool,
) -> None:
    """Print a table of a customer's recipes: state, stop cause, connections, last run."""
    found = _read_api(
        api_token_env,
        data_center,
        base_url,
        lambda api: api.recipes(
            _customer(customer_id, external_id), running=False if stopped else None
        ),
    )
    rows = [
        (
            str(recipe.id),
            recipe.name,
            "running" if recipe.running else "stopped",
            (recipe.stop_cause or "").replace("_", " "),
            ",".join(str(cid) for cid in recipe.connection_ids),
            _when(recipe.last_run_at),
        )
        for recipe in found
    ]
    header = ("ID", "NAME", "STATE", "STOP CAUSE", "CONNECTIONS", "LAST RUN")
    click.echo(_format_table(header, rows, "(no stopped recipes)" if stopped else "(no recipes)"))


@main.command()
@_api_options
@click.option("--recipe", "recipe_id", required=True, type=int, help="The recipe's id.")
@click.option("--failed", is_flag=True, help="Only failed jobs.")
@click.option(
    "--limit", type=click.IntRange(1), default=20, show_default=True, help="Newest jobs to show."
)
def jobs(
    customer_id: str,
    external_id: bool,
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    recipe_id: int,
    failed: bool,
    limit: int,
) -> None:
    """Print a table of a recipe's newest jobs: status, start, title and error."""
    found = _read_api(
        api_token_env,
        data_center,
        base_url,
        lambda api: api.jobs(
            _customer(customer_id, external_id),
            recipe_id,
            status="failed" if failed else None,
            limit=limit,
        ),
    )
    rows = [
        (job.id if isinstance(job.id, str) else str(job.id), _job_status(job),
         _when(job.started_at), (job.title or "")[:50], _job_error(job))
        for job in found
    ]  # fmt: skip
    header = ("ID", "STATUS", "STARTED AT", "TITLE", "ERROR")
    click.echo(_format_table(header, rows, "(no failed jobs)" if failed else "(no jobs)"))


def _job_status(job: Job) -> str:
    if job.status:
        return job.status
    return "failed" if job.is_error else "succeeded"


def _job_error(job: Job) -> str:
    parts = job.error_parts
    text = parts.message if parts is not None and parts.message else job.error
    if not text:
        return ""
    adapter = f"{parts.adapter}: " if parts is not None and parts.adapter else ""
    line = " ".join(f"{adapter}{text}".split())
    return line if len(line) <= 100 else line[:99] + "…"


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
    from .sandbox import Sandbox

    parsed = [_parse_connection(c) for c in connections] or [(1, "salesforce"), (2, "jira")]
    ids = [connection_id for connection_id, _ in parsed]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        _fail("--connection", f"connection id {twice} is given twice; give each id once")
    keys = [_parse_registration(r) for r in registrations]
    api_token = None
    if api_token_env is not None:
        api_token = os.environ.get(api_token_env)
        if not api_token:
            _fail(
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
        _fail(flag, message)
    for connection_id, provider in parsed:
        server.add_connection(connection_id, provider)
    for vendor_id, pem in keys:
        try:
            server.register_public_key(vendor_id, pem)
        except ValueError as exc:
            _fail("--register-key", f"{exc}")
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
        _fail(*_bind_failure(host, port, exc))
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


@main.command()
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("workato-demo"),
    show_default=True,
    help="Where to put your copy of the demo notebooks (kept between runs, yours to change).",
)
@click.option("--port", type=click.IntRange(0, 65535), help="The server's port.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.option(
    "--voila",
    is_flag=True,
    help="Serve the demo as a dashboard with Voila: its outputs and text, no code.",
)
@click.option(
    "--marimo",
    is_flag=True,
    help="Open the marimo version in `marimo edit` (click Run to run its cells).",
)
def demo(work_dir: Path, port: int | None, no_browser: bool, voila: bool, marimo: bool) -> None:
    """Open the demo notebook in JupyterLab (or, with --voila, as a dashboard); no account needed.

    The demo runs on a local sandbox that the notebook starts in its own kernel. It opens a copy
    in --dir (the notebooks it points at beside it), never the files of a clone or a package.
    """
    if voila and marimo:
        _fail("--marimo", "--voila and --marimo open two different demos; pass one of them")
    notebook = demo_notebook(work_dir, "demo_marimo.py" if marimo else "demo.ipynb")
    if voila:
        if importlib.util.find_spec("voila") is None:
            raise click.ClickException(
                "--voila needs Voila, which is not installed: pip install 'voila>=0.5.13'"
            )
        port = port or _free_port()
        argv, env = _voila_command(notebook, port, no_browser)
        click.echo(f"Serving the demo dashboard at http://localhost:{port}/")
    elif marimo:
        if importlib.util.find_spec("marimo") is None:
            raise click.ClickException(
                "--marimo needs marimo, which is not installed: pip install 'marimo>=0.25'"
            )
        argv, env = _marimo_command(notebook, port, no_browser)
        click.echo(
            f"Opening {notebook} in marimo: `marimo edit` runs no cell until you click Run "
            "(the play button at the bottom right)"
        )
    else:
        argv, env = _lab_command(notebook, port, no_browser)
        click.echo(f"Opening {notebook} in JupyterLab")
    os.chdir(notebook.parent)
    os.execve(argv[0], argv, env)  # noqa: S606 - replace this process with the server


def _marimo_command(notebook: Path, port: int | None, no_browser: bool) -> tuple[list[str], Env]:
    """`marimo edit` on the marimo demo: its code shown, its cells run when Run is clicked."""
    argv = [sys.executable, "-m", "marimo", "edit", notebook.name]
    if port is not None:
        argv += ["--port", str(port)]
    if no_browser:
        argv.append("--headless")
    return argv, {"MARIMO_SKIP_UPDATE_CHECK": "1", **os.environ}


@main.command("hub-service")
@click.option(
    "--policy",
    "policy_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The token service's TOML policy (key, origins, grants).",
)
@click.option(
    "--ip", help="Interface to bind (default: the service URL's host if loopback, else all)."
)
@click.option(
    "--public-key", is_flag=True, help="Print the policy key's public half (PEM) and exit."
)
def hub_service(policy_path: Path, ip: str | None, public_key: bool) -> None:
    """Run the JupyterHub token service that signs for hub users (as a hub managed service).

    Add it with workato_ipywidget.hub.configure(c, policy=...) in jupyterhub_config.py; the hub
    starts it with this command. Needs the hub extra: pip install 'workato-ipywidget[hub]'.
    """
    from .hub.policy import PolicyError, load_policy

    try:
        if public_key:
            from .hub.service import build_signer

            click.echo(build_signer(load_policy(policy_path)).public_key_pem(), nl=False)
            return
        if importlib.util.find_spec("jupyterhub") is None:
            raise click.ClickException(
                "the token service needs JupyterHub: pip install 'workato-ipywidget[hub]'"
            )
        from .hub.service import main as serve

        serve(str(policy_path), ip=ip)
    except (PolicyError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


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


DEMO_FILES = ("demo.ipynb", "real_workato.ipynb", "demo_marimo.py")
"""The demo notebooks, copied together: each may point at the others."""


def demo_notebook(work_dir: Path, name: str = "demo.ipynb") -> Path:
    """A copy of the demo notebook `name` in `work_dir`, with the notebooks it points at.

    From a clone the copies come from its notebooks/, else from the installed package; either
    way JupyterLab saves into the copy, so a clone stays clean and a package unchanged. A copy
    that is already there is kept (it may hold the user's changes).
    """
    source = _CHECKOUT_DEMO.parent if _CHECKOUT_DEMO.is_file() else None
    packaged = resources.files("workato_ipywidget") / "notebooks"
    if source is None and not (packaged / name).is_file():
        raise click.ClickException(
            f"the demo notebook {name} is missing from this installation; reinstall "
            "workato-ipywidget"
        )
    work_dir.mkdir(parents=True, exist_ok=True)
    for file in DEMO_FILES:
        target = work_dir / file
        if target.exists():
            continue
        if source is not None:
            if (source / file).is_file():
                shutil.copyfile(source / file, target)
        elif (packaged / file).is_file():
            with resources.as_file(packaged / file) as path:
                shutil.copyfile(path, target)
    return (work_dir / name).resolve()


def _parse_connection(text: str) -> tuple[int, str]:
    number, _, provider = text.partition(":")
    if not number.isdigit() or not 0 < int(number) < 2**63 or not provider:
        _fail(
            "--connection",
            f"expected ID:PROVIDER with a positive id, e.g. 1:salesforce; got {text[:80]!r}",
        )
    return int(number), provider


def _parse_registration(text: str) -> tuple[str, str]:
    vendor_id, _, path = text.partition("=")
    if not vendor_id or not path:
        _fail("--register-key", f"expected VENDOR=PEM_PATH, e.g. v1=public.pem; got {text!r}")
    read = read_key_file(os.path.expanduser(path), "public key")
    if isinstance(read, str):
        _fail("--register-key", read)
    data = read[0]
    if b"PRIVATE KEY-----" in data:
        _fail(
            "--register-key",
            f"{path} holds a private key; the sandbox needs only its public half: "
            f"openssl rsa -in {path} -pubout -out public.pem, then --register-key "
            f"{vendor_id}=public.pem",
        )
    return vendor_id, data.decode("utf-8", "replace")


if __name__ == "__main__":
    main()
