"""The session hub's team: who is in which group, what the policy grants; the kernels' helpers."""

from __future__ import annotations

from hub_harness import HubSetup

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
    """POST a body to the service as any code in the kernel could, with or without a token; a
    str body is sent as it is, anything else as its JSON."""
    headers = {"Content-Type": "application/json"}
    if token == "server":
        token = _os.environ["JUPYTERHUB_API_TOKEN"]
    if token:
        headers["Authorization"] = "token " + token
    url = _os.environ["WORKATO_TOKEN_SERVICE_URL"] + "sign"
    data = body.encode() if isinstance(body, str) else _json.dumps(body).encode()
    req = _request.Request(url, data=data, headers=headers, method="POST")
    try:
        with _request.urlopen(req, timeout=30) as resp:
            return {"status": resp.status, **_json.loads(resp.read())}
    except _error.HTTPError as exc:
        return {"status": exc.code, **_json.loads(exc.read())}

def burst(customer, origin, count, at):
    """`count` HubSigner().sign calls at once from threads, started at the time `at`."""
    import threading, time
    tokens, errors = [None] * count, []
    signer = HubSigner()
    def one(i):
        try:
            tokens[i] = signer.sign(customer, origin=origin)
        except HubSignerError as exc:
            errors.append(str(exc))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    time.sleep(max(0.0, at - time.time()))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"tokens": tokens, "errors": errors}

def try_read(path):
    """"read", or the name of the exception reading the file raised."""
    try:
        with open(path, "rb") as file:
            file.read(1)
        return "read"
    except Exception as exc:
        return type(exc).__name__
'''
