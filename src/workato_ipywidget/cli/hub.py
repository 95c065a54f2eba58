"""`workato-ipywidget hub-service`: the JupyterHub token service, as the hub starts it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click


@click.command("hub-service")
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
    from ..hub.policy import PolicyError, load_policy

    try:
        if public_key:
            from ..hub.service import build_signer

            click.echo(build_signer(load_policy(policy_path)).public_key_pem(), nl=False)
            return
        if importlib.util.find_spec("jupyterhub") is None:
            raise click.ClickException(
                "the token service needs JupyterHub: pip install 'workato-ipywidget[hub]'"
            )
        from ..hub.service import main as serve

        serve(str(policy_path), ip=ip)
    except (PolicyError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
