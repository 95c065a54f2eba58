"""Make docs/screenshot.png: the demo notebook in JupyterLab, its panel with a connected row.

Runs notebooks/demo.ipynb as a user would (its sandbox starts in the kernel), connects Salesforce
in the panel's opened row and Jira in its own widget, and captures the panel. Run from the
repository root:

    .venv/bin/python tests/e2e/make_screenshot.py [--out docs/screenshot.png]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_notebook import NotebookPage
from e2e_servers import CHROMIUM_ARGS, REPO, JupyterServer, chromium_path
from playwright.sync_api import Page, expect, sync_playwright

DEMO = REPO / "notebooks" / "demo.ipynb"
FRAME = "iframe.workato-connection-frame"


def cell_index(notebook: Path, needle: str) -> int:
    """The index (markdown cells included, as the page counts) of the cell containing `needle`."""
    cells = json.loads(notebook.read_text())["cells"]
    for i, cell in enumerate(cells):
        if needle in "".join(cell["source"]):
            return i
    raise SystemExit(f"{notebook.name} has no cell containing {needle!r}; update this script")


def connect(page: Page, index: int) -> None:
    frame = page.locator(FRAME).nth(index).content_frame
    frame.locator("#connect").click()
    frame.locator("#authorize").click()
    expect(page.locator(".workato-connection-status").nth(index)).to_have_attribute(
        "data-status", "connected"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshot.png")
    args = parser.parse_args()
    executable = chromium_path()
    if executable is None:
        raise SystemExit("Chromium is needed: apt-get install -y chromium")

    with tempfile.TemporaryDirectory(prefix="workato-screenshot-") as home:
        server = JupyterServer("lab", Path(home), env={"WORKATO_DEMO_WAIT_SECONDS": "120"})
        shutil.copy(DEMO, server.root_dir / DEMO.name)
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
                page = browser.new_page(
                    viewport={"width": 1280, "height": 940}, device_scale_factor=1
                )
                notebook = NotebookPage(page, server, DEMO.name).open()
                notebook.execute_command("application:toggle-left-area")
                notebook.run_all(wait=False)  # the last cells await the Jira connection
                # The panel's opened Salesforce row, Salesforce on its own, and Jira.
                expect(page.locator(FRAME)).to_have_count(3, timeout=60_000)
                for i in range(3):
                    expect(
                        page.locator(FRAME).nth(i).content_frame.locator("#connect")
                    ).to_be_visible()
                connect(page, 0)  # in the panel: its row follows
                connect(page, 2)  # Jira, which the notebook's last cells await
                expect(page.locator(".workato-connection-status").nth(1)).to_have_attribute(
                    "data-status", "connected"
                )  # the same Salesforce connection in its own widget learns of it too
                notebook.wait_cell_done(0, what="the demo notebook")
                notebook.run_cell(cell_index(DEMO, "for row in panel.rows"))
                # From "2. ACME's connections": the panel, its opened row, the row log.
                notebook.cell(cell_index(DEMO, "## 2.")).evaluate(
                    "cell => cell.scrollIntoView({block: 'start'})"
                )
                page.mouse.move(0, 0)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
