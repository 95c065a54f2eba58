"""Throwaway JupyterLab / Notebook 7 servers for the browser tests.

Each server gets its own root, runtime, config, data, settings and workspace directories, an empty
token and a free port, so a test run never reads or writes the developer's Jupyter state.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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


@dataclass
class JupyterServer:
    """One running `jupyter lab` or `jupyter notebook` process and its private directories."""

    frontend: Frontend
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for the server and, through it, its kernels."""
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        for name in ("root", "runtime", "config", "data", "settings", "workspaces", "ipython"):
            (self.home / name).mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / f"jupyter-{self.frontend}.log"
        for plugin, values in BASE_SETTINGS.items():
            self.write_settings(plugin, values)

    # --- directories -------------------------------------------------------------------------
    @property
    def root_dir(self) -> Path:
        return self.home / "root"

    @property
    def runtime_dir(self) -> Path:
        return self.home / "runtime"

    @property
    def settings_dir(self) -> Path:
        return self.home / "settings"

    @property
    def base_url(self) -> str:
        """The notebook's origin: `localhost`, while the sandbox serves on 127.0.0.1."""
        return f"http://localhost:{self.port}"

    def write_settings(self, plugin: str, values: dict[str, Any]) -> None:
        """Write a user setting file (`<pkg>/<plugin>` as in `@jupyterlab/x-extension/plugin`)."""
        path = self.settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> None:
        """Start the server and return once `/api/status` answers."""
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            self._spawn()
            try:
                self._wait_ready(timeout)
                return
            except RuntimeError as exc:
                last_error = str(exc)
                self.stop()
        raise RuntimeError(last_error)

    def _spawn(self) -> None:
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
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.runtime_dir),
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "IPYTHONDIR": str(self.home / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            # The kernel imports the package under test from the checkout, installed or not.
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        env.pop("JUPYTER_TOKEN", None)
        env.update(self.env)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            args, cwd=self.root_dir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter {self.frontend} exited with code {self.process.returncode} before "
                    f"answering; see {self.log_path}"
                )
            try:
                self.get("/api/status")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)  # polling a server that is not listening yet: nothing to await
        raise RuntimeError(
            f"jupyter {self.frontend} did not answer /api/status within {timeout:.0f} s; "
            f"see {self.log_path}"
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
