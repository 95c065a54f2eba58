"""Throwaway servers for the browser tests: JupyterLab, Notebook 7, Voila and marimo.

`ServerProcess` owns what they share: a free port, private root, runtime, config, data and cache
directories (so a test run never reads or writes the developer's Jupyter or marimo state), the
environment the process and its kernels get, waiting until it answers, stopping it, and its log.
Each frontend adds only its command line and what a test asks of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

Frontend = Literal["lab", "notebook"]

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]

# Settings every test page starts with: no windowed rendering (cells scrolled out of view would
# lose their iframes), no autosave racing the tests, no update or news prompts.
BASE_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}


def free_port() -> int:
    """A TCP port that was free a moment ago on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def private_environment(home: Path) -> dict[str, str]:
    """The environment of a process whose Jupyter, IPython and XDG state all live under `home`.

    The package under test is importable from the checkout, installed or not, and the test
    venv's commands come first on PATH, so kernels run the test venv's Python.
    """
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(home / "ipython"),
        "XDG_CONFIG_HOME": str(home / "xdg" / "config"),
        "XDG_CACHE_HOME": str(home / "xdg" / "cache"),
        "XDG_STATE_HOME": str(home / "xdg" / "state"),
        "XDG_DATA_HOME": str(home / "xdg" / "data"),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    for name in ("JUPYTER_TOKEN", "JUPYTER_CONFIG_PATH"):
        env.pop(name, None)
    return env


class ServerProcess:
    """One server process on a free port with private directories and its own log.

    Subclasses give `command()` (the argv for `self.port`) and, when `/` is not the page that
    proves the server is up, `ready_path`. stdout and stderr go to separate files in `home`.
    """

    name = "server"
    ready_path: ClassVar[str] = "/"
    _DIRS = ("root", "runtime", "config", "data", "ipython", "xdg")

    def __init__(self, home: Path, env: Mapping[str, str] | None = None) -> None:
        self.home = home
        self.env = dict(env or {})
        """Extra environment for the server and, through it, its kernels."""
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        for name in self._DIRS:
            (home / name).mkdir(parents=True, exist_ok=True)
        self.log_path = home / f"{self.name}.log"
        self.stdout_path = home / f"{self.name}.out"

    # --- what a subclass says ----------------------------------------------------------------
    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def cwd(self) -> Path:
        return self.root_dir

    # --- directories and addresses -----------------------------------------------------------
    @property
    def root_dir(self) -> Path:
        return self.home / "root"

    @property
    def runtime_dir(self) -> Path:
        return self.home / "runtime"

    @property
    def base_url(self) -> str:
        """The page's origin: `localhost`, while the sandbox serves on 127.0.0.1."""
        return f"http://localhost:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Start the server and return once `ready_path` answers."""
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            self.spawn()
            try:
                self.wait_ready(timeout)
                return
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop()
        raise RuntimeError(last_error)

    def spawn(self) -> None:
        env = {**private_environment(self.home), **self.env}
        with self.log_path.open("ab") as log, self.stdout_path.open("ab") as out:
            self.process = subprocess.Popen(
                self.command(), cwd=self.cwd, env=env, stdout=out, stderr=log
            )

    def wait_ready(self, timeout: float) -> None:
        """Return once the server answers `ready_path` with any HTTP status."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_running()
            try:
                with urllib.request.urlopen(self.base_url + self.ready_path, timeout=10):
                    return
            except urllib.error.HTTPError:
                return  # it answered (a 403 behind a token is an answer too)
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)  # polling a server that is not listening yet: nothing to await
        raise RuntimeError(
            f"{self.name} did not answer {self.ready_path} within {timeout:.0f} s; "
            f"see {self.log_path}"
        )

    def wait_for_output(
        self, pattern: str, *, stream: Literal["stdout", "stderr"] = "stdout", timeout: float = 60.0
    ) -> re.Match[str]:
        """Wait until the process printed a line matching `pattern`; return the match."""
        path = self.stdout_path if stream == "stdout" else self.log_path
        deadline = time.monotonic() + timeout
        while True:
            text = path.read_text(errors="replace") if path.exists() else ""
            match = re.search(pattern, text, re.MULTILINE)
            if match:
                return match
            self._check_running()
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} printed nothing matching {pattern!r} on {stream} within "
                    f"{timeout:.0f} s; it printed:\n{text[-2000:]}"
                )
            time.sleep(0.1)  # another process's output file: nothing to await

    def _check_running(self) -> None:
        assert self.process is not None, "start() or spawn() first"
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with code {self.process.returncode}; see {self.log_path}"
            )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL), which also stops its kernels."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def logs(self) -> dict[str, bytes]:
        """The server's stderr log and stdout, by file name, for the test artifacts."""
        return {p.name: p.read_bytes() for p in (self.log_path, self.stdout_path) if p.exists()}


class JupyterServer(ServerProcess):
    """One running `jupyter lab` or `jupyter notebook` with an empty token, and its REST API."""

    ready_path = "/api/status"

    def __init__(
        self, frontend: Frontend, home: Path, env: Mapping[str, str] | None = None
    ) -> None:
        self.frontend = frontend
        self.name = f"jupyter-{frontend}"
        super().__init__(home, env)
        for name in ("settings", "workspaces"):
            (home / name).mkdir(exist_ok=True)
        for plugin, values in BASE_SETTINGS.items():
            self.write_settings(plugin, values)

    @property
    def settings_dir(self) -> Path:
        return self.home / "settings"

    def write_settings(self, plugin: str, values: dict[str, Any]) -> None:
        """Write a user setting file (`<pkg>/<plugin>` as in `@jupyterlab/x-extension/plugin`)."""
        path = self.settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    def command(self) -> list[str]:
        app = "LabApp" if self.frontend == "lab" else "JupyterNotebookApp"
        args = [
            str(VENV_BIN / "jupyter"),
            self.frontend,
            "--no-browser",
            "--allow-root",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--{app}.user_settings_dir={self.settings_dir}",
            f"--{app}.workspaces_dir={self.home / 'workspaces'}",
            f"--{app}.expose_app_in_browser=True",
            # Kernels shut down with their session; no kernel outlives its test for long.
            "--MappingKernelManager.cull_idle_timeout=0",
        ]
        if self.frontend == "lab":
            args += [
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            ]
        return args

    # --- REST --------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API; return the decoded JSON answer (None when empty)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def sessions(self) -> list[dict[str, Any]]:
        return list(self.get("/api/sessions"))

    def kernel_id_for(self, notebook_path: str) -> str | None:
        """The id of the kernel the server runs for this notebook (root-relative path)."""
        for session in self.sessions():
            if session.get("path") == notebook_path and session.get("kernel"):
                return str(session["kernel"]["id"])
        return None

    def shutdown_all_sessions(self) -> None:
        """End every session and its kernel: each test starts from an idle server."""
        for session in self.sessions():
            with contextlib.suppress(urllib.error.HTTPError):
                self.request("DELETE", f"/api/sessions/{session['id']}")

    def connection_file(self, kernel_id: str) -> Path:
        return self.runtime_dir / f"kernel-{kernel_id}.json"


class VoilaServer(ServerProcess):
    """`voila` serving the notebooks in its root as dashboards, one kernel per page load."""

    name = "voila"

    def command(self) -> list[str]:
        return [
            str(VENV_BIN / "voila"),
            "--no-browser",
            f"--port={self.port}",
            "--Voila.ip=127.0.0.1",
            "--Voila.port_retries=0",
            f"--Voila.root_dir={self.root_dir}",
            # Voila keeps kernel connection files in a temp dir of its own unless told where.
            f"--Voila.connection_dir_root={self.runtime_dir}",
            "--VoilaConfiguration.show_tracebacks=True",
        ]

    def render_url(self, notebook: str) -> str:
        """Where Voila renders `notebook` (root-relative) as a dashboard."""
        return f"{self.base_url}/voila/render/{urllib.parse.quote(notebook)}"

    def connection_file(self, kernel_id: str) -> Path:
        """The connection file of one of Voila's kernels (Voila names its page's kernel)."""
        found = sorted(self.runtime_dir.glob(f"voila_*/kernel-{kernel_id}.json"))
        if not found:
            raise AssertionError(f"Voila has no connection file for kernel {kernel_id}")
        return found[0]


class MarimoServer(ServerProcess):
    """`marimo run` serving the apps in its root, read-only, one kernel per browser session."""

    name = "marimo"
    ready_path = "/health"

    def command(self) -> list[str]:
        return [
            str(VENV_BIN / "marimo"),
            "run",
            str(self.root_dir),
            "--headless",
            "--no-token",
            "--host=127.0.0.1",
            f"--port={self.port}",
            "--no-sandbox",
            # A closed page's kernel goes soon, so kernels of earlier tests do not pile up.
            "--session-ttl=5",
        ]

    def app_url(self, app: str, **query: str) -> str:
        """The page of `app` (a file in the root), with `query` for `mo.query_params()`."""
        return f"{self.base_url}/?{urllib.parse.urlencode({'file': app, **query})}"


def chromium_path() -> str | None:
    """Debian's Chromium, which Playwright drives since it cannot download its own here."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
