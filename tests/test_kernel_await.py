"""`await widget.wait_for(...)` inside a running cell of a real ipykernel.

The page's messages reach the kernel as comm messages while the cell is still awaiting; this
test plays the page with a second channel on the same kernel, with no browser involved.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

SETUP = """
from workato_ipywidget import ConnectionWidget
w = ConnectionWidget(9, token_provider=lambda origin: "h.p.s", base_url="http://127.0.0.1:1")
w.comm.comm_id
"""


@pytest.fixture(scope="module")
def kernel() -> Iterator[BlockingKernelClient]:
    manager = KernelManager(kernel_name="python3")
    manager.kernel_cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    manager.start_kernel(extra_arguments=[])
    client = manager.blocking_client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def execute(client: BlockingKernelClient, code: str, timeout: float = 30) -> dict[str, Any]:
    """Run code and return its execute_result data, failing on an error."""
    msg_id = client.execute(code)
    result: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while True:
        msg = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "execute_result":
            result = msg["content"]["data"]
        elif kind == "error":
            pytest.fail("\n".join(msg["content"]["traceback"]))
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return result


def send_custom(client: BlockingKernelClient, comm_id: str, content: dict[str, Any]) -> None:
    """What the browser does for `model.send(content)`."""
    msg = client.session.msg(
        "comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}}
    )
    client.shell_channel.send(msg)


def test_wait_for_returns_inside_a_running_cell_when_the_page_reports(
    kernel: BlockingKernelClient,
) -> None:
    comm_id = execute(kernel, SETUP)["text/plain"].strip("'")
    msg_id = kernel.execute(
        "print('waiting', flush=True)\n"
        "v = await w.wait_for('connected', lambda v: v is True, timeout=20)\n"
        "print('got', v)"
    )
    status_message = {
        "kind": "message",
        "view": "v1",
        "message": {
            "type": "connectionStatusChange",
            "payload": {"id": 9, "provider": "jira", "connected": True},
        },
    }

    output = ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = kernel.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            output += msg["content"]["text"]
            if msg["content"]["text"].startswith("waiting"):
                # The cell is now awaiting; the page's message must still get through.
                send_custom(kernel, comm_id, status_message)
        if msg["msg_type"] == "error":
            pytest.fail("\n".join(msg["content"]["traceback"]))
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert output.split() == ["waiting", "got", "True"]
