"""Read values from the notebook's own running kernel through a second kernel client.

The browser's notebook and this client share one kernel, so what the tests read here is exactly
the state the user's cells see (`w.connected`, `w.events`, ...), not a copy.
"""

from __future__ import annotations

import ast
import json
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_client import BlockingKernelClient


class KernelError(AssertionError):
    """Code sent to the notebook's kernel raised; the message carries the kernel's traceback."""


class KernelProbe:
    """A `BlockingKernelClient` on a kernel started by the Jupyter server, for tests to query."""

    def __init__(self, connection_file: Path) -> None:
        self._client = BlockingKernelClient(connection_file=str(connection_file))
        self._client.load_connection_file()
        self._client.start_channels(iopub=False, stdin=False, hb=False, control=False)
        self._client.wait_for_ready(timeout=60)

    def close(self) -> None:
        self._client.stop_channels()

    def execute(self, code: str, timeout: float = 30.0) -> None:
        """Run statements in the kernel (silently: no history, no execution count)."""
        self._reply(code, {}, timeout)

    def value(self, expression: str, timeout: float = 30.0) -> Any:
        """Evaluate `expression` in the kernel and return it, round-tripped through JSON."""
        reply = self._reply("", {"v": f"__import__('json').dumps({expression})"}, timeout)
        result = reply["user_expressions"]["v"]
        if result["status"] != "ok":
            raise KernelError(
                f"{expression!r} raised {result['ename']}: {result['evalue']}\n"
                + "\n".join(result.get("traceback", []))
            )
        return json.loads(ast.literal_eval(result["data"]["text/plain"]))

    def wait_until(
        self,
        expression: str,
        predicate: Callable[[Any], bool],
        *,
        timeout: float = 30.0,
        interval: float = 0.2,
    ) -> Any:
        """Poll `expression` until `predicate(value)` holds; fail with the last value seen."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = self.value(expression, timeout=max(1.0, deadline - time.monotonic()))
            if predicate(last):
                return last
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"after {timeout:.0f} s the kernel's {expression} is still {last!r}"
                )
            time.sleep(interval)  # kernel state changes arrive over the comm; polled, not pushed

    def _reply(self, code: str, user_expressions: dict[str, str], timeout: float) -> dict[str, Any]:
        msg_id = self._client.execute(
            code,
            silent=True,
            store_history=False,
            user_expressions=user_expressions,
            allow_stdin=False,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self._client.get_shell_msg(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(
                    f"the kernel did not answer within {timeout:.0f} s; a running cell holds "
                    "the shell channel, so wait for it to finish before reading the kernel"
                ) from None
            if msg["parent_header"].get("msg_id") == msg_id:
                break
        content: dict[str, Any] = msg["content"]
        if content["status"] != "ok":
            raise KernelError(
                f"{code!r} raised {content.get('ename')}: {content.get('evalue')}\n"
                + "\n".join(content.get("traceback", []))
            )
        return content
