"""A notebook saved with widget state, exported to HTML and opened with no kernel behind it.

The export is rendered by Jupyter's own widget renderer (`@jupyter-widgets/html-manager`), served
from this checkout's node_modules, with anywidget's AMD module from its Python package: the page
never reaches a CDN. The view must say that it needs a running kernel, never show the saved
"Connected" as live, and the file must hold no token.
"""

from __future__ import annotations

import re
from pathlib import Path

import anywidget
import nbformat
from e2e_notebook import OpenNotebook
from e2e_servers import REPO, JupyterServer
from e2e_widget import connect, frames, setup_cell, wait_loaded
from nbconvert import HTMLExporter
from playwright.sync_api import Page, Route, expect

from workato_ipywidget.sandbox import Sandbox

EXPORT_ORIGIN = "http://export.test"
RENDERER = REPO / "node_modules" / "@jupyter-widgets" / "html-manager" / "dist" / "embed-amd.js"
REQUIRE_JS = REPO / "node_modules" / "requirejs" / "require.js"
ANYWIDGET_AMD = Path(anywidget.__file__).parent / "nbextension" / "index.js"


def export_html(notebook_file: Path) -> str:
    """nbconvert's HTML export, pointing its renderer and require.js at local URLs."""
    exporter = HTMLExporter(
        require_js_url=f"{EXPORT_ORIGIN}/require.js",
        widget_renderer_url=f"{EXPORT_ORIGIN}/embed-amd.js",
    )
    body, _ = exporter.from_notebook_node(nbformat.read(notebook_file, as_version=4))
    return body


def serve_export(page: Page, html: str) -> None:
    """Serve the export and its renderer from disk; refuse any other request (MathJax, ...)."""
    files = {"/require.js": REQUIRE_JS, "/embed-amd.js": RENDERER}

    def handle(route: Route) -> None:
        url = route.request.url
        if url == f"{EXPORT_ORIGIN}/notebook.html":
            route.fulfill(body=html, content_type="text/html")
        elif url.startswith(EXPORT_ORIGIN) and url[len(EXPORT_ORIGIN) :] in files:
            path = files[url[len(EXPORT_ORIGIN) :]]
            route.fulfill(path=str(path), content_type="application/javascript")
        elif re.search(r"/anywidget@[^/]+/dist/index\.js$", url):
            # The renderer fetches custom widget modules from a CDN; this is that module.
            route.fulfill(path=str(ANYWIDGET_AMD), content_type="application/javascript")
        elif url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", handle)


def test_an_exported_notebook_says_it_needs_a_kernel_and_holds_no_token(
    save_widget_state: None,
    open_notebook: OpenNotebook,
    page: Page,
    sandbox: Sandbox,
    vendor_key_file: Path,
    lab_server: JupyterServer,
) -> None:
    notebook = open_notebook([setup_cell(sandbox, vendor_key_file), "w"])
    notebook.run_all()
    wait_loaded(page)
    token = re.search(r"workato_dl_token=([^&]+)", frames(page).first.get_attribute("src") or "")
    assert token is not None
    connect(page)
    notebook.kernel.wait_until("w.connected", lambda c: c is True)
    notebook.save()

    html = export_html(lab_server.root_dir / notebook.path)

    assert '"status": "connected"' in html or '"status":"connected"' in html  # the stale state
    for secret in (token.group(1), *sandbox.seen_jti):
        assert secret not in html
    for marker in ("workato_dl_token=eyJ", "PRIVATE KEY"):
        assert marker not in html

    viewer = page.context.new_page()
    serve_export(viewer, html)
    viewer.goto(f"{EXPORT_ORIGIN}/notebook.html")

    status = viewer.locator(".workato-connection-status")
    expect(status).to_have_text(re.compile("needs a running Python kernel"), timeout=30_000)
    expect(status).to_have_attribute("data-status", "offline")
    expect(status).not_to_contain_text("Connected")
    expect(viewer.locator("iframe.workato-connection-frame")).to_be_hidden()
    viewer.close()
