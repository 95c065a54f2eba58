"""`workato-ipywidget health` through click's runner against a running sandbox: the table and
the CSV on stdout, the progress on stderr, --problems, and a refused or missing API token."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from health_accounts import fleet

from workato_ipywidget import cli
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield fleet(server, customers=6)


def health(sandbox: Sandbox, *args: str, token: str | None = None) -> Any:
    env = {"WORKATO_API_TOKEN": token or sandbox.api_token}
    return CliRunner().invoke(
        cli.main, ["health", "--base-url", sandbox.base_url, "--no-recipes", *args], env=env
    )


def test_health_prints_one_row_per_customer_problems_first(sandbox: Sandbox) -> None:
    result = health(sandbox)

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "NAME", "EXTERNAL", "ID"]
    assert [line.split()[0] for line in lines[1:]] == [
        "c003", "c005", "acme", "c001", "c002", "c004", "c006",
    ]  # fmt: skip
    assert "Jira: Jira refused the credentials" in lines[1]
    assert "Scanning customers" in result.stderr
    assert "7 customers read, 2 with problems" in result.stderr


def test_problems_only_lists_the_customers_with_a_problem(sandbox: Sandbox) -> None:
    result = health(sandbox, "--problems")

    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["c003", "c005"]


def test_csv_goes_to_the_file_with_every_column(sandbox: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "health.csv"

    result = health(sandbox, "--csv", str(target))

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 7
    assert rows[1] == {
        "id": "c005", "name": "Customer 005", "external_id": "EXT-5", "state": "lost",
        "connected": "2", "failed": "0", "lost": "1", "not_connected": "0",
        "problem": "Slack: Connection lost: the refresh token was revoked",
    }  # fmt: skip


def test_csv_to_stdout_with_a_dash(sandbox: Sandbox) -> None:
    result = health(sandbox, "--csv", "-", "--problems")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("id,name,external_id,state")
    assert len(result.stdout.splitlines()) == 3


def test_a_refused_token_is_a_clear_error_without_the_token(sandbox: Sandbox) -> None:
    result = health(sandbox, token="wrong-token-value")

    assert result.exit_code == 1
    assert "answered 401" in result.stderr
    assert "check the API token" in result.stderr
    assert "wrong-token-value" not in result.output


def test_a_missing_token_variable_names_it(sandbox: Sandbox) -> None:
    result = CliRunner().invoke(
        cli.main, ["health", "--base-url", sandbox.base_url, "--api-token-env", "NOPE_TOKEN"]
    )

    assert result.exit_code == 2
    assert "NOPE_TOKEN, which is not set" in result.stderr
