"""One real JupyterHub for the session: two Unix users in two groups with different grants.

Each user's server runs as their own Unix account (LocalProcessSpawner, as root), and each test
talks to the token service from a kernel that the user's own server started. Without JupyterHub,
configurable-http-proxy or root these tests are skipped, except under CI (`CI` set), where they
fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hub_harness import HubProcess, KernelProbe, missing_tools
from hub_team import ALICE, BOB, KERNEL_HELPERS, SETUP


def require_hub() -> None:
    reason = missing_tools(unix_users=True)
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}, but CI is set, so the hub tests must run", pytrace=False)
    pytest.skip(f"{reason}; set CI=1 to fail instead")


@pytest.fixture(scope="session")
def hub() -> Iterator[HubProcess]:
    require_hub()
    process = HubProcess(SETUP)
    try:
        process.start()
        for user in SETUP.users:
            process.spawn(user)
        yield process
    finally:
        process.stop()


def _kernel(hub: HubProcess, user: str) -> Iterator[KernelProbe]:
    kernel_id, probe = hub.start_kernel(user)
    probe.execute(KERNEL_HELPERS)
    yield probe
    probe.close()
    hub.request("DELETE", f"/user/{user}/api/kernels/{kernel_id}")


@pytest.fixture(scope="session")
def alice(hub: HubProcess) -> Iterator[KernelProbe]:
    """A kernel started by wkhub-alice's server, running as wkhub-alice."""
    yield from _kernel(hub, ALICE)


@pytest.fixture(scope="session")
def bob(hub: HubProcess) -> Iterator[KernelProbe]:
    yield from _kernel(hub, BOB)
