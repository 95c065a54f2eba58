"""The command line as the tests run it: through click's runner, or as a real process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from click.testing import CliRunner

from workato_ipywidget import cli

COMMAND = [sys.executable, "-m", "workato_ipywidget.cli"]


def run(*args: str, env: dict[str, str | None] | None = None) -> Any:
    """`workato-ipywidget ARGS` through click's runner."""
    return CliRunner().invoke(cli.main, list(args), env=env)


def cli_process(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`workato-ipywidget ARGS` as a real process, run to its end."""
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


@contextmanager
def serving_sandbox(*args: str) -> Iterator[subprocess.Popen[str]]:
    """`workato-ipywidget sandbox ARGS` running as a real process until the block ends."""
    process = subprocess.Popen(
        [*COMMAND, "sandbox", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)
