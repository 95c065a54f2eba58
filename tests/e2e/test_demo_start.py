"""`workato-ipywidget demo` starts clean: no Node error in front of the presenter (issue 18.1).

JupyterLab runs its bundled, CommonJS `yarn.js` with Node when it starts. A `package.json` that
says `"type": "module"` in a directory above it (the clone's, when `.venv` lives inside the
clone) makes Node load that file as an ES module, and it prints a screenful of minified code.
"""

from __future__ import annotations

from pathlib import Path

from e2e_servers import VENV_BIN, ServerProcess

NODE_ERRORS = ("Fail to get yarn configuration", "Dynamic require of", "yarn.js", "SyntaxError")


class DemoStart(ServerProcess):
    name = "demo"

    def command(self) -> list[str]:
        return [str(VENV_BIN / "workato-ipywidget"), "demo", "--no-browser", f"--port={self.port}"]


def test_the_demo_starts_with_no_node_error_in_its_log(tmp_path: Path) -> None:
    demo = DemoStart(tmp_path)
    demo.start()
    try:
        # JupyterLab asks yarn for its configuration before it prints the URL to open.
        demo.wait_for_output(r"http://localhost:\d+/lab/tree/demo\.ipynb\?token=", stream="stderr")
        log = demo.log_path.read_text()
    finally:
        demo.stop()

    assert "ServerApp" in log  # the log is JupyterLab's
    found = [error for error in NODE_ERRORS if error in log]
    assert found == [], log[:2000]
    assert (demo.cwd / "workato-demo" / "demo.ipynb").is_file()  # it opened a copy
