"""A kernel websocket with TCP_NODELAY, for measuring what Nagle's algorithm costs a widget.

jupyter_server leaves Nagle on for its kernel websockets: a small kernel-to-page frame written
while the previous one is unacknowledged waits for the browser's delayed ACK (~40 ms on Linux
loopback). The first-message benchmark runs one JupyterLab configured with this class
(`ServerApp.kernel_websocket_connection_class`) beside the stock one to show it.
"""

from __future__ import annotations

import asyncio

from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection


class NoDelayConnection(ZMQChannelsWebsocketConnection):
    """jupyter_server's kernel websocket connection, with TCP_NODELAY on its socket."""

    def connect(self) -> asyncio.Future[None] | None:
        self.websocket_handler.set_nodelay(True)
        self.log.info(APPLIED)
        return super().connect()


APPLIED = "kernel websocket with TCP_NODELAY (benchmarks/nodelay.py)"
"""The server log line that proves the class was used."""


SERVER_CONFIG = {
    "ServerApp": {"kernel_websocket_connection_class": f"{__name__}.NoDelayConnection"},
}
"""`jupyter_server_config.json` content selecting this connection class."""
