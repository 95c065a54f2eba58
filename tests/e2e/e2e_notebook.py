"""Drive one notebook in JupyterLab or Notebook 7 the way a user does: open it, run cells, save.

Cells are run from the keyboard (Shift+Enter in the cell) or the Run menu's command; completion is
awaited by watching the cell's prompt go from `[*]` to a number, never by sleeping.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from e2e_kernel import KernelProbe
from e2e_servers import JupyterServer, ServerProcess
from playwright.sync_api import Locator, Page, expect

OpenNotebook = Callable[[list[str]], "NotebookPage"]
"""The `open_notebook` fixture: write a notebook of these code cells, open it, await its kernel."""

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

# The notebook panel showing `path` in the page's app (`window.jupyterapp`, exposed by the server's
# `expose_app_in_browser`); the same shell API serves JupyterLab and Notebook 7.
_FIND_PANEL = """(path) => {
  for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.context.path === path) return w;
  }
  return null;
}"""

_AWAIT_PANEL = f"""async (path) => {{
  const find = {_FIND_PANEL};
  await window.jupyterapp.started;
  await window.jupyterapp.restored;
  let panel;
  while (!(panel = find(path))) await new Promise((r) => setTimeout(r, 50));
  await panel.context.ready;
  await panel.sessionContext.ready;
  await panel.revealed;
}}"""

# Select cell `index` and start the Run command, keeping its promise (resolved with true/false
# once the execution reply arrived) so that a test can await it later.
_START_RUN = f"""([path, index, command]) => {{
  const panel = ({_FIND_PANEL})(path);
  panel.content.activeCellIndex = index;
  panel.content.deselectAll();
  window.__e2eRuns = window.__e2eRuns || {{}};
  window.__e2eRuns[index] = window.jupyterapp.commands.execute(command);
}}"""

# Every error output in the notebook's model, as "ename: evalue" (the DOM may not show it yet).
_ERRORS = f"""(path) => {{
  const panel = ({_FIND_PANEL})(path);
  const errors = [];
  panel.content.widgets.forEach((cell, i) => {{
    if (cell.model.type !== "code") return;
    for (const out of cell.model.outputs.toJSON()) {{
      if (out.output_type === "error") errors.push(`cell ${{i}}: ${{out.ename}}: ${{out.evalue}}`);
    }}
  }});
  return errors;
}}"""

_AWAIT_RUN = """async ([index, ms]) => await Promise.race([
  window.__e2eRuns[index],
  new Promise((resolve) => setTimeout(() => resolve("timeout"), ms)),
])"""


def write_notebook(server: ServerProcess, cells: list[str], name: str | None = None) -> str:
    """Write a notebook of code cells into the server's root; return its root-relative path."""
    name = name or f"e2e-{uuid.uuid4().hex[:8]}.ipynb"
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python"},
        },
        "cells": [
            {
                "cell_type": "code",
                "id": f"cell-{i}",
                "metadata": {},
                "source": source,
                "outputs": [],
                "execution_count": None,
            }
            for i, source in enumerate(cells)
        ],
    }
    (server.root_dir / name).write_text(json.dumps(notebook, indent=1))
    return name


class NotebookPage:
    """One open notebook: its page, its server and (on demand) a probe into its kernel."""

    def __init__(self, page: Page, server: JupyterServer, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path
        self._probe: KernelProbe | None = None
        self._probe_kernel: str | None = None

    # --- opening -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.server.frontend == "lab":
            # A workspace of its own, so Lab does not reopen the notebooks of earlier tests.
            return (
                f"{self.server.base_url}/lab/workspaces/e2e-{uuid.uuid4().hex[:8]}/tree/{self.path}"
            )
        return f"{self.server.base_url}/notebooks/{self.path}"

    def open(self, timeout: float = 60_000) -> NotebookPage:
        """Open the notebook and return once it is rendered and its kernel connected and idle."""
        self.page.goto(self.url)
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout)
        self.page.evaluate(_AWAIT_PANEL, self.path)
        self.wait_kernel_idle(timeout)
        return self

    def wait_kernel_idle(self, timeout: float = 60_000) -> None:
        """Wait until the session's kernel exists and the page shows it idle."""
        expect(self.page.locator(".jp-Notebook-ExecutionIndicator").first).to_have_attribute(
            "data-status", "idle", timeout=timeout
        )

    # --- cells -------------------------------------------------------------------------------
    @property
    def notebook(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook").first

    @property
    def cells(self) -> Locator:
        return self.notebook.locator(".jp-Cell")

    def cell(self, index: int) -> Locator:
        return self.cells.nth(index)

    def output(self, index: int) -> Locator:
        return self.cell(index).locator(".jp-OutputArea")

    def run_cell(self, index: int, *, wait: bool = True) -> None:
        """Run one cell (the Run menu's "Run Selected Cell"); by default wait until it finished.

        With `wait=False` the cell keeps running while the test acts; `wait_cell_done` awaits it.
        """
        self.page.evaluate(_START_RUN, [self.path, index, "notebook:run-cell"])
        if wait:
            self.wait_cell_done(index)

    def run_all(self, *, wait: bool = True) -> None:
        """Run every cell (the Run menu's "Run All Cells"); by default wait until all finished.

        With `wait=False`, `wait_cell_done(0)` awaits the whole run.
        """
        self.page.evaluate(_START_RUN, [self.path, 0, "notebook:run-all-cells"])
        if wait:
            self.wait_cell_done(0, what="the notebook")

    def wait_cell_done(self, index: int, *, what: str = "", timeout: float = 90_000) -> None:
        """Await a run started by `run_cell`; fail with the error output if the cell raised."""
        ok = self.page.evaluate(_AWAIT_RUN, [index, timeout])
        if ok == "timeout":
            raise AssertionError(
                f"{what or f'cell {index}'} still runs after {timeout / 1000:.0f} s"
            )
        if not ok:
            errors = self.page.evaluate(_ERRORS, self.path)
            text = "\n".join(errors) or "(no error output)"
            raise AssertionError(f"{what or f'cell {index}'} failed:\n{text}")

    def execute_command(self, command: str, args: dict[str, Any] | None = None) -> None:
        """Run a frontend command (what a menu item or shortcut does) and await its completion."""
        self.page.evaluate(
            "async ([id, args]) => { await window.jupyterapp.commands.execute(id, args); }",
            [command, args or {}],
        )

    def expect_output_text(self, index: int, pattern: str, timeout: float = 60_000) -> None:
        """Wait until one of the cell's outputs has text matching the regular expression."""
        match = self.output(index).locator(".jp-OutputArea-output", has_text=re.compile(pattern))
        expect(match.first).to_be_attached(timeout=timeout)

    # --- kernel and file ---------------------------------------------------------------------
    def kernel_id(self) -> str:
        kernel_id = self.server.kernel_id_for(self.path)
        if kernel_id is None:
            raise AssertionError(f"the server runs no kernel for {self.path}")
        return kernel_id

    @property
    def kernel(self) -> KernelProbe:
        """A client on the notebook's current kernel (a new one after a kernel restart)."""
        kernel_id = self.kernel_id()
        if self._probe is None or self._probe_kernel != kernel_id:
            self.close_probe()
            self._probe = KernelProbe(self.server.connection_file(kernel_id))
            self._probe_kernel = kernel_id
        return self._probe

    def restart_kernel(self, timeout: float = 60_000) -> None:
        """Restart the kernel with the Kernel menu's command, confirming its dialog."""
        self.page.evaluate(
            "() => { window.__e2eRestart = "
            "window.jupyterapp.commands.execute('notebook:restart-kernel'); }"
        )
        self.page.locator(".jp-Dialog .jp-mod-accept").click(timeout=timeout)
        self.page.evaluate("async () => { await window.__e2eRestart; }")
        self.wait_kernel_idle(timeout)
        # The kernel id survives a restart, but the old client's channels should not be reused.
        self.close_probe()

    def save(self) -> dict[str, Any]:
        """Save from the page (the command Ctrl+S runs) and return the notebook as on disk."""
        self.execute_command("docmanager:save")
        return dict(json.loads(self.file_text()))

    def file_text(self) -> str:
        return Path(self.server.root_dir / self.path).read_text()

    def close_probe(self) -> None:
        if self._probe is not None:
            self._probe.close()
            self._probe = None
            self._probe_kernel = None
