"""`connections`, `recipes` and `jobs`: a customer read through Workato's Embedded API, printed
as a table; the API options, the token read from the environment and the table shared with
`health`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click

from ..endpoints import DataCenter
from ..token import ExternalId, IdLike
from .messages import fail, in_cli_words, one_line

if TYPE_CHECKING:
    from ..api import EmbeddedApi
    from ..records import Connection, Job

_T = TypeVar("_T")
_P = ParamSpec("_P")


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


@click.command()
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
    found = read_api(
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


def read_api(
    api_token_env: str,
    data_center: str | None,
    base_url: str | None,
    read: Callable[[EmbeddedApi], _T],
) -> _T:
    """`read(api)` with the token from `api_token_env`; any refusal or bad id is one line on
    stderr (exit 1), never a traceback.

    Args:
        api_token_env: The environment variable holding the Embedded API token.
        data_center: ``--data-center``, or None.
        base_url: ``--base-url``, or None.
        read: What to read with the client.

    Returns:
        What `read` returned.

    Raises:
        click.ClickException: The API refused, or an option was wrong (a `UsageFailure`).
    """
    from ..api import EmbeddedApi
    from ..errors import ApiError

    if base_url is not None and data_center is not None:
        fail(
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
        message = one_line(str(exc))
        if "ExternalId(" in message:
            message += " (here: add --external-id)"
        flag = "--base-url" if "base_url" in message else "--customer"
        fail(flag, in_cli_words(message))
    except ApiError as exc:
        message = one_line(str(exc))  # one line, even when Workato's text has several
    raise click.ClickException(in_cli_words(message))


def _table(found: list[Connection]) -> str:
    from ..connection_state import classify

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
    return format_table(header, rows, "(no connections)")


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def format_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], empty: str) -> str:
    """Columns padded to their widest cell, one line per row; `empty` when there are none.

    Args:
        header: The column titles.
        rows: The cells, one tuple per row, as many as `header`.
        empty: The line shown under the header when there are no rows.

    Returns:
        The table's text, without a final newline.
    """
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    if not rows:
        lines.append(empty)
    return "\n".join(lines)


@click.command()
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
    found = read_api(
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
    click.echo(format_table(header, rows, "(no stopped recipes)" if stopped else "(no recipes)"))


@click.command()
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
    found = read_api(
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
    click.echo(format_table(header, rows, "(no failed jobs)" if failed else "(no jobs)"))


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
