"""EmbeddedPage in real JupyterLab, against the sandbox's full-page embeds on another origin.

Each test reads the kernel's state through the notebook's own kernel and checks what the page
shows: the sandbox's workspace inside our iframe says where it is (`body[data-path]`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from e2e_notebook import NotebookPage, OpenNotebook
from e2e_widget import INJECT
from playwright.sync_api import FrameLocator, Locator, Page, expect

from workato_ipywidget import TokenSigner
from workato_ipywidget.endpoints import page_url
from workato_ipywidget.sandbox import Sandbox

VENDOR_ID = "e2e-vendor"  # the vendor whose key the `make_sandbox` fixture registers


def page_cell(sandbox: Sandbox, key_file: Path, path: str = "/recipes", extra: str = "") -> str:
    """Code that creates `p`, an EmbeddedPage of the sandbox's workspace, signing in the kernel."""
    return (
        "from workato_ipywidget import EmbeddedPage, TokenSigner\n"
        f"signer = TokenSigner({VENDOR_ID!r}, {str(key_file)!r})\n"
        f"p = EmbeddedPage({path!r}, signer=signer, customer_id='acme', "
        f"base_url={sandbox.base_url!r})\n"
        "moves = []\n"
        "p.on_navigate(lambda event: moves.append(type(event).__name__))\n"
        f"{extra}"
    )


def frames(page: Page) -> Locator:
    return page.locator("iframe.workato-page-frame")


def inside(page: Page, index: int = 0) -> FrameLocator:
    return frames(page).nth(index).content_frame


def wait_at(page: Page, path: str, index: int = 0) -> None:
    """Wait until our `index`-th iframe shows the sandbox workspace at `path`."""
    expect(inside(page, index).locator("body[data-page='full']")).to_have_attribute(
        "data-path", path
    )


def kernel_path(notebook: NotebookPage, path: str) -> None:
    notebook.kernel.wait_until("[p.path, p.status]", lambda v: v == [path, "loaded"])


def test_a_page_loads_follows_clicks_inside_it_and_moves_when_python_navigates(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    sandbox.add_recipe(101, "Sync Salesforce records", connections=[1])
    recipe = sandbox.recipe_path(101)
    notebook = open_notebook([page_cell(sandbox, vendor_key_file), "p"])
    notebook.run_all()

    wait_at(page, "/recipes")
    kernel_path(notebook, "/recipes")
    assert notebook.kernel.value("p.title") == "Recipes"
    expect(page.locator(".workato-page-status")).to_have_text("Recipes · Loaded")

    inside(page).locator(f"a[data-path='{recipe}']").click()
    wait_at(page, recipe)
    kernel_path(notebook, recipe)
    expect(frames(page)).to_have_count(1)  # the link stayed inside the iframe

    notebook.kernel.execute(f"p.navigate({recipe + '/jobs'!r})")
    wait_at(page, f"{recipe}/jobs")
    kernel_path(notebook, f"{recipe}/jobs")
    assert notebook.kernel.value("moves") == ["Loaded", "Navigated", "Navigated"]
    assert notebook.kernel.value("[e.view for e in p.events if type(e.event).__name__ == 'Click']")


def test_a_navigate_before_the_page_loaded_is_delivered_once_it_has(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook(
        [page_cell(sandbox, vendor_key_file), "display(p)\np.navigate('/dashboard')"]
    )
    notebook.run_all()

    wait_at(page, "/dashboard")
    kernel_path(notebook, "/dashboard")
    # Either the view was listening (loaded at /recipes, then moved) or it asked for its URL
    # after the navigate (loaded at /dashboard directly): the page ends there both ways.
    assert notebook.kernel.value("moves") in (["Loaded", "Navigated"], ["Loaded"])


def test_two_views_load_with_their_own_tokens_and_navigate_moves_both(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([page_cell(sandbox, vendor_key_file), "p", "p"])
    notebook.run_all()
    wait_at(page, "/recipes", 0)
    wait_at(page, "/recipes", 1)
    srcs = [frames(page).nth(i).get_attribute("src") or "" for i in range(2)]
    assert srcs[0] != srcs[1]  # a fresh token per view
    assert len(sandbox.seen_jti) == 2

    notebook.kernel.execute("p.navigate('/projects')")

    wait_at(page, "/projects", 0)
    wait_at(page, "/projects", 1)
    kernel_path(notebook, "/projects")


FORGE = """([messages]) => {
  for (const m of messages) parent.postMessage(JSON.stringify(m), "*");
}"""


def test_navigation_forged_by_other_frames_never_changes_path(
    open_notebook: OpenNotebook, page: Page, sandbox: Sandbox, vendor_key_file: Path
) -> None:
    notebook = open_notebook([page_cell(sandbox, vendor_key_file), "p"])
    notebook.run_all()
    wait_at(page, "/recipes")
    kernel_path(notebook, "/recipes")
    # A genuine sandbox page that is not ours (same origin as ours), and a plain same-origin one.
    not_ours = page_url(
        sandbox.base_url,
        "/dashboard",
        TokenSigner(VENDOR_ID, vendor_key_file).sign("acme", origin=notebook.server.base_url),
    )
    forged = [
        {"type": "loaded", "payload": {"url": "/forged-loaded"}, "wk": True},
        {"type": "navigated", "payload": {"url": "/forged", "replaced": False}, "wk": True},
    ]
    for frame_id, src in {"not-ours": not_ours, "same-origin": f"{sandbox.base_url}/x"}.items():
        page.evaluate(INJECT, [frame_id, src])
        frame = page.locator(f"#{frame_id}").element_handle().content_frame()
        assert frame is not None
        frame.wait_for_load_state()
        frame.evaluate(FORGE, [forged])
    expect(page.frame_locator("#not-ours").locator("body")).to_have_attribute(
        "data-path", "/dashboard"
    )

    # A genuine move after the forged ones: once the kernel has it, it has seen them all.
    notebook.kernel.execute("p.navigate('/projects')")
    kernel_path(notebook, "/projects")
    events = notebook.kernel.value("[repr(e.event) for e in p.events]")
    assert not [e for e in events if "forged" in e or "dashboard" in e]


def test_the_saved_notebook_holds_no_token_of_the_page(
    save_widget_state: None,
    open_notebook: OpenNotebook,
    page: Page,
    sandbox: Sandbox,
    vendor_key_file: Path,
) -> None:
    notebook = open_notebook([page_cell(sandbox, vendor_key_file), "p"])
    notebook.run_all()
    wait_at(page, "/recipes")
    src = frames(page).first.get_attribute("src") or ""
    token = re.search(r"workato_dl_token=([^&]+)", src)
    assert token is not None

    saved = notebook.save()

    text = json.dumps(saved)
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [m["state"] for m in state.values() if m["state"].get("frame_kind") == "page"]
    assert ours[0]["path"] == "/recipes"  # the page's state was saved, without its token
    for secret in (token.group(1), *sandbox.seen_jti):
        assert secret not in text
    assert "workato_dl_token" not in text
