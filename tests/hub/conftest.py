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
from hub_harness import HubProcess, HubSetup, KernelProbe, missing_tools

ALICE = "wkhub-alice"  # group "analysts", granted customer "acme" through the group
BOB = "wkhub-bob"  # group "support", granted "globex" and an external id directly
SETUP = HubSetup(
    users=[ALICE, BOB],
    groups={"analysts": [ALICE], "support": [BOB]},
    grants={"group:analysts": ["acme"], BOB: ["globex", "EAM10%3AXV303"]},
    cache_max_age=2,
)

KERNEL_HELPERS = r'''
import json as _json, os as _os, urllib.request as _request, urllib.error as _error
from workato_ipywidget import ExternalId, HubSigner, HubSignerError

def hub_sign(customer, *, origin=None, user_id=None, **options):
    """HubSigner().sign as a user's cell calls it: the token, or the error it raised."""
    try:
        return {"token": HubSigner(**options).sign(customer, user_id=user_id, origin=origin)}
    except HubSignerError as exc:
        return {"error": str(exc), "status": exc.status}

def raw_post(body, token="server"):
    """POST a body to the service as any code in the kernel could, with or without a token."""
    headers = {"Content-Type": "application/json"}
    if token == "server":
        token = _os.environ["JUPYTERHUB_API_TOKEN"]
    if token:
        headers["Authorization"] = "token " + token
    url = _os.environ["WORKATO_TOKEN_SERVICE_URL"] + "sign"
    req = _request.Request(url, data=_json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with _request.urlopen(req, timeout=30) as resp:
            return {"status": resp.status, **_json.loads(resp.read())}
    except _error.HTTPError as exc:
        return {"status": exc.code, **_json.loads(exc.read())}

def try_read(path):
    """"read", or the name of the exception reading the file raised."""
    try:
        with open(path, "rb") as file:
            file.read(1)
        return "read"
    except Exception as exc:
        return type(exc).__name__
'''


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
