"""How the command line speaks: one `error:` line per failure (status 2 for bad input), the
library's parameter names in flag words, and the library's warnings as plain `warning:` lines."""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import click


class UsageFailure(click.ClickException):
    """Bad input on the command line: one line naming the flag and what to do; exit status 2."""

    exit_code = 2


class OneLineErrors(click.Group):
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
    click.echo(f"error: {one_line(message)}", err=True)


def one_line(message: str) -> str:
    """`message` with its line breaks (and the space around them) as single spaces.

    Args:
        message: A library's or Workato's text, perhaps of several lines.

    Returns:
        The same text on one line.
    """
    return re.sub(r"\s*\n\s*", " ", message.strip())


def fail(flag: str | None, message: str) -> NoReturn:
    """Refuse the command line: `message` (in CLI words) about `flag`, exit status 2.

    Args:
        flag: The flag at fault, e.g. ``--port``, or None when no one flag is.
        message: What was wrong and what to do, already in CLI words.

    Raises:
        UsageFailure: Always.
    """
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


def in_cli_words(message: str) -> str:
    """`message` with the library's parameter names (``base_url=``...) said as flags.

    Args:
        message: A library error or warning.

    Returns:
        The message as a command-line user reads it.
    """
    for python, flag in _CLI_WORDS:
        message = message.replace(python, flag)
    return message


@contextlib.contextmanager
def plain_warnings() -> Iterator[None]:
    """Print the library's warnings as one plain ``warning:`` line each, not Python's format."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                text = one_line(in_cli_words(str(warning.message)))
                click.echo(f"warning: {text}", err=True)
