"""Canary for the harness itself: a notebook runs in the browser and its kernel can be read."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from e2e_notebook import OpenNotebook


@pytest.mark.parametrize("server", ["lab", "notebook"], indirect=True)
def test_cell_run_in_the_browser_is_visible_to_the_kernel_probe(
    open_notebook: OpenNotebook,
) -> None:
    notebook = open_notebook(["answer = 1 + 1\nanswer"])

    notebook.run_cell(0)

    notebook.expect_output_text(0, r"^\s*2\s*$")
    assert notebook.kernel.value("answer") == 2
    kernel_prefix = notebook.kernel.value("__import__('sys').prefix")
    assert Path(kernel_prefix) == Path(sys.prefix), "the kernel must run the test venv's python"
