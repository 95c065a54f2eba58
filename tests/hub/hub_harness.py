"""A real JupyterHub for the tests and benchmarks: a subprocess on random loopback ports.

`HubProcess` writes a `jupyterhub_config.py` that uses the project's own `configure` (so the hub
starts the project's `hub-service`), configurable-http-proxy from node_modules, DummyAuthenticator
(one password for every test user), groups, and an admin service whose token the tests use to
spawn servers, start kernels and make or revoke user tokens through the hub's REST API. With
`unix_users=True` (as root) every user's server runs as their own Unix account
(`LocalProcessSpawner`); otherwise every server runs as this process's account
(`SimpleLocalProcessSpawner`), which isolates nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from e2e_kernel import KernelProbe  # noqa: E402
from e2e_keys import write_vendor_key  # noqa: E402
from e2e_servers import BASE_SETTINGS, free_port  # noqa: E402

VENV_BIN = Path(sys.executable).parent
ARTIFACTS = REPO / "test-artifacts"
CHP = REPO / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "workato-tokens"
VENDOR_ID = "hub-vendor"
ADMIN_SERVICE = "test-admin"


def missing_tools(*, unix_users: bool) -> str | None:
    """Why a real hub cannot run here, or None."""
    import importlib.util

    if importlib.util.find_spec("jupyterhub") is None:
        return "JupyterHub is not installed (pip install -e '.[test]' installs the hub extra)"
    if not CHP.exists():
        return "configurable-http-proxy is missing from node_modules (npm ci installs it)"
    if unix_users and os.geteuid() != 0:
        return "running each user's server as their own Unix user needs root (CI runs as root)"
    return None


IMPORTS_CHECK = "import jupyterhub.singleuser, jupyterlab, ipykernel, workato_ipywidget.hub"


def python_for_users(force_copy: bool = False) -> Path:
    """An interpreter other Unix users can run that imports this test venv's packages.

    A real hub's users share a read-only environment; here that is the test venv. Others may
    not be able to use it as it is: its python may link to an interpreter under a directory only
    its owner can enter (pyenv under /root), and the checkout itself may sit in such a directory.
    Then a venv of a Python others can run (the system's, of the same version) is made in the
    temp directory: first one that reads the test venv's site-packages in place; if a user still
    cannot import from there, one holding a hard-linked copy of them and of this checkout's
    package. Either way each user's server and kernels run this checkout's code.
    """
    if not force_copy:
        if _world_runnable(Path(sys.executable).resolve()) and _others_can_import(
            Path(sys.executable)
        ):
            return Path(sys.executable)
        linked = _bridge_venv(copy=False)
        if _others_can_import(linked):
            return linked
    copied = _bridge_venv(copy=True)
    if not _others_can_import(copied):
        raise RuntimeError(
            f"other Unix users cannot import the test environment even from a copy in {copied}; "
            "see the output above"
        )
    return copied


def _bridge_venv(*, copy: bool) -> Path:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(sys.executable).resolve()
    if not _world_runnable(base):
        found = shutil.which(f"python{version}", path="/usr/local/bin:/usr/bin:/bin")
        if found is None or not _world_runnable(Path(found).resolve()):
            raise RuntimeError(
                f"other users cannot run {sys.executable} and there is no system python{version} "
                "they can run; install it (apt-get install python3) or use a world-readable venv"
            )
        base = Path(found)
    site = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    # One per test venv (and kind): two checkouts testing at once must not rewrite each other's.
    owner = hashlib.sha256(sys.prefix.encode()).hexdigest()[:10]
    kind = "copy" if copy else "linked"
    bridge = Path(tempfile.gettempdir()) / f"workato-hub-python{version}-{owner}-{kind}"
    if copy:
        shutil.rmtree(bridge, ignore_errors=True)  # a copy of today's checkout, not an old one
    python = bridge / "bin" / "python"
    if not python.exists():
        subprocess.run([str(base), "-m", "venv", "--without-pip", str(bridge)], check=True)
    target = bridge / "lib" / f"python{version}" / "site-packages"
    if copy:
        _link_copy(site, target)
        _link_copy(REPO / "src" / "workato_ipywidget", target / "workato_ipywidget")
    else:
        (target / "workato_test_venv.pth").write_text(
            f"import site; site.addsitedir({str(site)!r})\n"
        )
    for shared in ("share/jupyter", "etc/jupyter"):  # Lab's assets, server extensions, kernels
        where = bridge / shared
        if copy:
            _link_copy(Path(sys.prefix) / shared, where)
        elif not where.exists():
            where.parent.mkdir(parents=True, exist_ok=True)
            where.symlink_to(Path(sys.prefix) / shared)
    for path in [bridge, *(p for p in bridge.rglob("*") if not p.is_symlink())]:
        path.chmod(path.stat().st_mode | (0o055 if path.is_dir() else 0o044))
    return python


def _link_copy(source: Path, target: Path) -> None:
    """Copy a tree as hard links (the same files, new directories); a real copy across disks."""
    target.mkdir(parents=True, exist_ok=True)
    for flags in (["-al"], ["-a"]):
        done = subprocess.run(["cp", *flags, f"{source}/.", str(target)], capture_output=True)
        if done.returncode == 0:
            return
    raise RuntimeError(f"could not copy {source} to {target}: {done.stderr.decode()}")


def _others_can_import(python: Path) -> bool:
    """Whether an unprivileged account (nobody) can run `python` and import the servers' code."""
    if os.geteuid() != 0:
        return True  # not root: the servers run as this account anyway
    done = subprocess.run(
        ["runuser", "-u", "nobody", "--", str(python), "-c", IMPORTS_CHECK],
        capture_output=True,
        cwd="/",
    )
    if done.returncode != 0:
        print(f"{python} for other users: {done.stderr.decode()[-600:]}", file=sys.stderr)
    return done.returncode == 0


def _world_runnable(path: Path) -> bool:
    """Whether every directory above `path` lets others in and `path` lets them run it."""
    if not path.stat().st_mode & 0o001:
        return False
    return all(parent.stat().st_mode & 0o001 for parent in path.parents)


def ensure_unix_user(name: str) -> pwd.struct_passwd:
    """The Unix account `name`, created (with a home directory) if it does not exist."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        return pwd.getpwnam(name)


@dataclass
class HubSetup:
    """Who the hub has and what the policy grants them."""

    users: Sequence[str]
    groups: Mapping[str, Sequence[str]]
    grants: Mapping[str, Sequence[str | int]]
    unix_users: bool = True
    cache_max_age: int = 2
    extra_origins: Sequence[str] = field(default_factory=tuple)


class HubProcess:
    """One running JupyterHub with the token service; stop() ends it, its service and servers."""

    def __init__(self, setup: HubSetup) -> None:
        self.setup = setup
        self.home = Path(tempfile.mkdtemp(prefix="workato-hub-"))  # 0700: the hub's own files
        # The key's directory is world-traversable on purpose: the key file's own mode (0600,
        # root's) is what keeps users out, as in a real deployment.
        self.key_dir = Path(tempfile.mkdtemp(prefix="workato-hub-key-"))
        self.key_dir.chmod(0o755)
        self.key_file = self.key_dir / "vendor.pem"
        self.public_pem = write_vendor_key(self.key_file).decode()
        self.audit_file = self.home / "audit.jsonl"
        self.password = secrets.token_urlsafe(12)
        self.admin_token = secrets.token_hex(32)
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.home / "jupyterhub.log"
        self.stdout_path = self.home / "jupyterhub.out"
        self.python = python_for_users() if setup.unix_users else Path(sys.executable)
        self.homes: dict[str, Path] = {}
        for user in setup.users:
            self.homes[user] = self._user_home(user)

    # --- files -------------------------------------------------------------------------------
    @property
    def policy_file(self) -> Path:
        return self.key_dir / "policy.toml"

    def _user_home(self, user: str) -> Path:
        if self.setup.unix_users:
            return Path(ensure_unix_user(user).pw_dir)
        home = self.home / "users" / user
        home.mkdir(parents=True, exist_ok=True)
        return home

    def write_policy(self) -> None:
        origins = [self.origin, *self.setup.extra_origins]
        grants = "\n".join(
            f"{json.dumps(who)} = {json.dumps(list(customers))}"
            for who, customers in self.setup.grants.items()
        )
        self.policy_file.write_text(
            f"vendor_id = {json.dumps(VENDOR_ID)}\n"
            f"key_file = {json.dumps(str(self.key_file))}\n"
            "ttl = 300\n"
            f"allowed_origins = {json.dumps(origins)}\n"
            f"audit_log = {json.dumps(str(self.audit_file))}\n"
            f"cache_max_age = {self.setup.cache_max_age}\n"
            f"\n[grants]\n{grants}\n"
        )
        self.policy_file.chmod(0o644)

    def write_config(self) -> Path:
        setup = self.setup
        spawner = (
            "jupyterhub.spawner.LocalProcessSpawner"
            if setup.unix_users
            else "jupyterhub.spawner.SimpleLocalProcessSpawner"
        )
        args = ["--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None"]
        if not setup.unix_users and os.geteuid() == 0:
            args.append("--allow-root")
        config = f"""\
from workato_ipywidget.hub import configure

c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {free_port()}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(self.home / "proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{self.home / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(self.home / "cookie_secret")!r}
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {self.password!r}
c.Authenticator.allowed_users = {set(setup.users)!r}
c.JupyterHub.spawner_class = {spawner!r}
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.home / "users" / "{username}")!r}
c.Spawner.cmd = [{str(self.python)!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = {args!r}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.Spawner.environment = {{"PATH": {f"{self.python.parent}:/usr/local/bin:/usr/bin:/bin"!r}}}
c.JupyterHub.load_groups = {{g: {{"users": list(u)}} for g, u in {dict(setup.groups)!r}.items()}}
c.JupyterHub.services = [{{"name": {ADMIN_SERVICE!r}, "api_token": {self.admin_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": {ADMIN_SERVICE!r},
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "proxy"],
        "services": [{ADMIN_SERVICE!r}],
    }}
]
configure(c, policy={str(self.policy_file)!r}, name={SERVICE!r})
"""
        path = self.home / "jupyterhub_config.py"
        path.write_text(config)
        return path

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 90.0) -> HubProcess:
        self.write_policy()
        config = self.write_config()
        env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log, self.stdout_path.open("ab") as out:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "jupyterhub"), "-f", str(config)],
                cwd=self.home,
                env=env,
                stdout=out,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                self.api("GET", "/")
                if self._service_up():
                    return self
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterHub did not come up in {timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)  # another process coming up: polled

    def _service_up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/services/{SERVICE}/", timeout=5):
                return True
        except urllib.error.HTTPError:
            return False
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=5)
        shutil.rmtree(self.key_dir, ignore_errors=True)
        ARTIFACTS.mkdir(exist_ok=True)  # the hub's logs outlive its directory, as e2e logs do
        for log in (self.log_path, self.stdout_path):
            if log.exists():
                shutil.copyfile(log, ARTIFACTS / f"hub-{self.port}-{log.name}")
        shutil.rmtree(self.home, ignore_errors=True)

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text[-chars:]

    # --- REST ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Any:
        """Call the hub (through its proxy) with the admin token; return the JSON answer."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"token {token or self.admin_token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def api(self, method: str, path: str, body: Any = None) -> Any:
        return self.request(method, "/hub/api" + path, body)

    def spawn(self, user: str, timeout: float = 120.0) -> None:
        """Start the user's server through the REST API and wait until the hub says it is ready."""
        with contextlib.suppress(urllib.error.HTTPError):  # 400: already running
            self.api("POST", f"/users/{user}/server")
        deadline = time.monotonic() + timeout
        while True:
            model = self.api("GET", f"/users/{user}")
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{user}'s server is not ready after {timeout:.0f} s")
            time.sleep(0.3)  # the hub reports readiness by polling too

    def start_kernel(self, user: str) -> tuple[str, KernelProbe]:
        """A kernel started by the user's own server (so it runs as the user, with its env)."""
        kernel = self.request("POST", f"/user/{user}/api/kernels", {"name": "python3"})
        path = self.connection_file(user, kernel["id"])
        return kernel["id"], KernelProbe(path)

    def connection_file(self, user: str, kernel_id: str, timeout: float = 30.0) -> Path:
        deadline = time.monotonic() + timeout
        while True:
            found = list(self.homes[user].rglob(f"kernel-{kernel_id}.json"))
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise RuntimeError(f"no connection file for {user}'s kernel {kernel_id}")
            time.sleep(0.1)  # the server writes it as the kernel starts

    def new_token(self, user: str, scopes: Sequence[str]) -> tuple[str, str]:
        """A fresh API token of `user` with these scopes: (token, token id)."""
        made = self.api("POST", f"/users/{user}/tokens", {"scopes": list(scopes), "note": "test"})
        return made["token"], made["id"]

    def revoke(self, user: str, token_id: str) -> None:
        self.api("DELETE", f"/users/{user}/tokens/{token_id}")

    def audit_lines(self) -> list[dict[str, Any]]:
        if not self.audit_file.exists():
            return []
        return [json.loads(line) for line in self.audit_file.read_text().splitlines() if line]

    def server_pids(self, user: str) -> list[int]:
        """Processes (the server and its kernels) that run as the Unix user `user`."""
        uid = pwd.getpwnam(user).pw_uid
        return [pid for pid in _pids() if _uid_of(pid) == uid]

    def service_pid(self) -> int:
        for pid in _pids():
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"hub-service" in cmdline and str(self.policy_file).encode() in cmdline:
                    return pid
        raise RuntimeError("the token service's process was not found")

    def prepare_lab(self, user: str) -> None:
        """Lab settings for the browser tests (no windowing, no autosave), owned by the user."""
        settings = self.homes[user] / ".jupyter" / "lab" / "user-settings"
        for plugin, values in BASE_SETTINGS.items():
            path = settings / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        self.chown_tree(user, self.homes[user] / ".jupyter")

    def chown_tree(self, user: str, root: Path) -> None:
        if not self.setup.unix_users:
            return
        entry = pwd.getpwnam(user)
        for path in [root, *root.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _uid_of(pid: int) -> int | None:
    try:
        return Path(f"/proc/{pid}").stat().st_uid
    except OSError:
        return None
