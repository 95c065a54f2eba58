"""The `workato-ipywidget` command: sign a token, read a customer through the Embedded API, scan
every customer's health, run the local sandbox, open the demo, serve the hub's token service.

One module per command family; `messages` holds how they all speak (one-line errors, CLI words,
plain warnings).
"""

from __future__ import annotations

import click

from . import demo, embedded_api, health, hub, sandbox, tokens
from .demo import DEMO_FILES, demo_notebook
from .messages import OneLineErrors

__all__ = ["DEMO_FILES", "demo_notebook", "main"]


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workato-ipywidget")
def main() -> None:
    """Workato's Embedded connections widget for Jupyter: tokens, the Embedded API, a local
    sandbox, the demo."""


for _command in (
    tokens.token,
    embedded_api.connections,
    embedded_api.recipes,
    embedded_api.jobs,
    health.health,
    sandbox.sandbox,
    demo.demo,
    hub.hub_service,
):
    main.add_command(_command)
