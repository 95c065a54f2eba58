"""Fixtures for the real-browser tests: servers of every frontend, Chromium, pages and notebooks.

One Chromium per session, and one server per frontend (JupyterLab, Notebook 7, Voila, marimo),
each started only if a test needs it; a fresh browser context and page per test. Without Chromium
the suite is skipped, and without Voila or marimo their tests are, except under CI (`CI` set),
where anything missing fails the tests that need it instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography.hazmat.primitives import serialization
from e2e_keys import write_vendor_key
from e2e_notebook import NotebookPage, OpenNotebook, write_notebook
from e2e_servers import (
    CHROMIUM_ARGS,
    REPO,
    JupyterServer,
    MarimoServer,
    ServerProcess,
    VoilaServer,
    chromium_path,
)
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from workato_ipywidget.sandbox import Sandbox

ARTIFACTS = REPO / "test-artifacts"
E2E_DIR = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 1000}
MARIMO_APPS = [E2E_DIR / "marimo_apps" / "widget_app.py", REPO / "notebooks" / "demo_marimo.py"]

Server = TypeVar("Server", bound=ServerProcess)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test here `e2e`; skip them when Chromium is missing, unless running in CI."""
    skip = None
    if chromium_path() is None and not os.environ.get("CI"):
        skip = pytest.mark.skip(
            reason="Chromium not found (apt-get install -y chromium); set CI=1 to fail instead"
        )
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            if skip is not None:
                item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report: pytest.TestReport = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- browser -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.fail(
            "Chromium is not installed but CI is set, so the browser tests must run: "
            "install it with `apt-get install -y chromium`",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console() -> list[str]:
    """Every console message and page error of the test's page, as "[type] text"."""
    return []


@pytest.fixture
def page(browser: Browser, console: list[str], request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh context; a failing test leaves its screenshot and console log."""
    context: BrowserContext = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()

    def on_console(msg: ConsoleMessage) -> None:
        console.append(f"[{msg.type}] {msg.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console.append(f"[pageerror] {exc}"))
    yield page
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
        try:
            page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            console.append(f"[e2e] screenshot failed: {exc}")
        (ARTIFACTS / f"{stem}.console.txt").write_text("\n".join(console) + "\n")
    context.close()


# --- servers ---------------------------------------------------------------------------------
def require_frontend(module: str, what: str) -> None:
    """Skip when a frontend's package is not installed; under CI, fail instead."""
    if importlib.util.find_spec(module) is not None:
        return
    message = f"{what} is not installed (pip install -e '.[test]' installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}, but CI is set, so its browser tests must run", pytrace=False)
    pytest.skip(f"{message}; set CI=1 to fail instead")


def _serve(server: Server) -> Iterator[Server]:
    """Start a session's server; stop it at the end and keep its log with the artifacts."""
    try:
        server.start()
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        for name, data in server.logs().items():
            (ARTIFACTS / name).write_bytes(data)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    yield from _serve(JupyterServer("lab", tmp_path_factory.mktemp("jupyter-lab")))


@pytest.fixture(scope="session")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    yield from _serve(JupyterServer("notebook", tmp_path_factory.mktemp("jupyter-notebook")))


@pytest.fixture(scope="session")
def voila_installed() -> None:
    require_frontend("voila", "Voila")


@pytest.fixture(scope="session")
def voila_server(
    voila_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoilaServer]:
    yield from _serve(VoilaServer(tmp_path_factory.mktemp("voila")))


@pytest.fixture(scope="session")
def marimo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MarimoServer]:
    """marimo serving copies of the test app and the demo app (marimo writes beside its apps)."""
    require_frontend("marimo", "marimo")
    server = MarimoServer(tmp_path_factory.mktemp("marimo"))
    for app in MARIMO_APPS:
        shutil.copy(app, server.root_dir / app.name)
    yield from _serve(server)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> JupyterServer:
    """JupyterLab by default; parametrize with `indirect=True` and "lab"/"notebook" for both."""
    frontend = getattr(request, "param", "lab")
    return request.getfixturevalue(f"{frontend}_server")  # type: ignore[no-any-return]


@pytest.fixture
def open_notebook(page: Page, server: JupyterServer) -> Iterator[OpenNotebook]:
    """Write a notebook with the given code cells, open it, and wait for an idle kernel."""
    opened: list[NotebookPage] = []

    def open_(cells: list[str]) -> NotebookPage:
        notebook = NotebookPage(page, server, write_notebook(server, cells))
        opened.append(notebook)
        return notebook.open()

    yield open_
    for notebook in opened:
        notebook.close_probe()
    server.shutdown_all_sessions()


@pytest.fixture
def save_widget_state(lab_server: JupyterServer) -> Iterator[None]:
    """JupyterLab's "Save Widget State Automatically" on, through the settings REST API."""
    lab_server.request("PUT", WIDGET_MANAGER, {"raw": json.dumps({"saveState": True})})
    yield
    lab_server.request("PUT", WIDGET_MANAGER, {"raw": "{}"})


WIDGET_MANAGER = "/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin"


# --- the package under test --------------------------------------------------------------------
@pytest.fixture(scope="session")
def widget_js() -> Path:
    """The bundled bridge, rebuilt when a js/ source is newer than it (or it is missing)."""
    bundle = REPO / "src" / "workato_ipywidget" / "static" / "widget.js"
    sources = [p for p in (REPO / "js").rglob("*.ts") if not p.name.endswith(".test.ts")]
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    if not bundle.exists() or bundle.stat().st_mtime < newest:
        subprocess.run(["npm", "run", "build"], cwd=REPO, check=True)
    return bundle


# --- the sandbox: Workato's stand-in, served from the test process on 127.0.0.1 ---------------
VENDOR_ID = "e2e-vendor"  # the tests' notebooks sign as this vendor


@pytest.fixture(scope="session")
def vendor_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh RSA key for the test vendor, as a 0600 PEM file the notebook kernel signs with."""
    path = tmp_path_factory.mktemp("vendor-key") / "vendor.pem"
    write_vendor_key(path)
    return path


def _public_pem(key_file: Path) -> bytes:
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def make_sandbox(widget_js: Path, vendor_key_file: Path) -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes (arguments as `Sandbox(...)`) that accept the test vendor's tokens."""
    started: list[Sandbox] = []

    def make(**kwargs: object) -> Sandbox:
        sandbox = Sandbox(**kwargs)  # type: ignore[arg-type]
        sandbox.register_public_key(VENDOR_ID, _public_pem(vendor_key_file))
        sandbox.add_connection(1, "salesforce", name="Salesforce")
        sandbox.add_connection(2, "jira", name="Jira")
        started.append(sandbox.start())
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox()
