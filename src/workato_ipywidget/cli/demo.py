"""`workato-ipywidget demo`: a copy of the demo notebooks opened in JupyterLab, Voila or
marimo."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import click

from .messages import fail

# This file is src/workato_ipywidget/cli/demo.py: parents[3] is a checkout's root.
_CHECKOUT_DEMO = Path(__file__).resolve().parents[3] / "notebooks" / "demo.ipynb"
_DEMO_CONFIG = Path(__file__).resolve().parents[1] / "demo_config"
"""A Jupyter config directory for the demo's JupyterLab (see `_lab_command`)."""

Env = Mapping[str, str]


@click.command()
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
        fail("--marimo", "--voila and --marimo open two different demos; pass one of them")
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
