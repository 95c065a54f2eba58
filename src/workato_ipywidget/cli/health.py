"""`workato-ipywidget health`: every customer's connections (and stopped recipes) as one row
each, problems first, as a table or CSV."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

from ..endpoints import DataCenter
from .embedded_api import format_table, read_api

if TYPE_CHECKING:
    from ..api import EmbeddedApi
    from ..health_rows import CustomerHealth


@click.command()
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
    from ..health_rows import sort_key

    recipes = not no_recipes
    rows = read_api(
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

    from ..health_scan import HealthScan, check_concurrency, scan_clients

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
    from ..health_rows import row_for_page

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
    return format_table(tuple(_HEALTH_COLUMNS[k] for k in names), cells, "(no customers)")


def _health_csv(rows: list[CustomerHealth], out: TextIO, *, recipes: bool) -> None:
    import csv

    names = [k for k in _HEALTH_COLUMNS if recipes or k != "stopped_recipes"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_health_cells(rows, recipes))
    out.flush()
