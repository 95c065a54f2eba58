"""The JupyterHub token service, measured from real user kernels on a real hub.

A hub (the test harness in `tests/hub/hub_harness.py`: configurable-http-proxy, the project's
`configure` and `hub-service`) with five users, each granted one customer, and a server and a
kernel for each. In user 1's kernel, interleaved rounds of `HubSigner().sign(...)` beside the
least a kernel could do instead: one loopback HTTP POST (httpx, kept-alive, as HubSigner does) to
a bare Tornado handler in another process, plus `TokenSigner.sign` with a key in the kernel. Then
50 requests at once, 10 from each of the five kernels: every one must come back with a token whose
`sub` names that kernel's own customer and whose audit line names that kernel's user.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import jwt

from .measure import Figure, Settings, ratios, summarize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hub"))

TARGET = 1.5
USERS = [f"wkbench-{i}" for i in range(1, 6)]
PER_KERNEL = 10
CALLS_PER_ROUND = 20

KERNEL_SETUP = """
import statistics as _stats, threading as _threading, time as _time
import httpx as _httpx
from cryptography.hazmat.primitives.asymmetric import rsa as _rsa
from workato_ipywidget import HubSigner, TokenSigner

_hub = HubSigner()
_bare = _httpx.Client(trust_env=False)
_local = TokenSigner("bench", _rsa.generate_private_key(public_exponent=65537, key_size=2048))
_body = {"customer_id": CUSTOMER, "origin": ORIGIN}

def _via_hub():
    return _hub.sign(CUSTOMER, origin=ORIGIN)

def _bare_and_local():
    _bare.post(BARE_URL, json=_body).raise_for_status()
    return _local.sign(CUSTOMER, origin=ORIGIN)

def bench_round(first, calls):
    order = [_via_hub, _bare_and_local] if first == "hub" else [_bare_and_local, _via_hub]
    out = {}
    for call in order:
        samples = []
        for _ in range(calls):
            start = _time.perf_counter()
            call()
            samples.append((_time.perf_counter() - start) * 1000)
        out["hub" if call is _via_hub else "bare"] = _stats.median(samples)
    return out

def burst(at, count):
    tokens, errors = [None] * count, []
    def one(i):
        try:
            tokens[i] = _hub.sign(CUSTOMER, origin=ORIGIN)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    threads = [_threading.Thread(target=one, args=(i,)) for i in range(count)]
    _time.sleep(max(0.0, at - _time.time()))
    started = _time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    return {"tokens": tokens, "errors": errors, "ms": (_time.perf_counter() - started) * 1000}
"""


def run(settings: Settings) -> list[Figure]:
    from hub_harness import HubProcess, HubSetup, missing_tools

    unix_users = os.geteuid() == 0
    reason = missing_tools(unix_users=unix_users)
    if reason is not None:
        raise RuntimeError(f"the hub benchmark cannot run here: {reason}")
    setup = HubSetup(
        users=USERS,
        groups={},
        grants={user: [customer(user)] for user in USERS},
        unix_users=unix_users,
        cache_max_age=60,
    )
    bare_port = _free_port()
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Event(), context.Event()
    bare = context.Process(target=_serve_bare, args=(bare_port, ready, stop), daemon=True)
    bare.start()
    hub = HubProcess(setup)
    probes = []
    try:
        hub.start()
        ready.wait(30)
        with ThreadPoolExecutor(len(USERS)) as pool:
            list(pool.map(hub.spawn, USERS))
        for user in USERS:
            _, probe = hub.start_kernel(user)
            probe.execute(
                f"CUSTOMER = {customer(user)!r}\nORIGIN = {hub.origin!r}\n"
                f"BARE_URL = 'http://127.0.0.1:{bare_port}/sign'\n" + KERNEL_SETUP,
                timeout=60,
            )
            probes.append(probe)
        return [*_latency(settings, probes[0], hub), _concurrency(probes, hub)]
    finally:
        for probe in probes:
            probe.close()
        hub.stop()
        stop.set()
        bare.join(10)


def customer(user: str) -> str:
    return "cust-" + user.rsplit("-", 1)[1]


def _latency(settings: Settings, probe: Any, hub: Any) -> list[Figure]:
    probe.value("bench_round('hub', 5)")  # warm: connections open, the hub lookup cached
    rounds = max(2, settings.rounds)
    calls = max(2, min(CALLS_PER_ROUND, settings.http_requests // 50))
    hub_ms, bare_ms = [], []
    for index in range(rounds):
        result = probe.value(f"bench_round({'hub' if index % 2 == 0 else 'bare'!r}, {calls})")
        hub_ms.append(result["hub"])
        bare_ms.append(result["bare"])
    ratio = summarize(ratios(hub_ms, bare_ms))
    notes = [
        f"{rounds} interleaved rounds of {calls} calls each, per-round medians",
        f"hub token lookups cached for {hub.setup.cache_max_age} s (a miss adds a hub round trip)",
        "user servers as their own Unix users" if hub.setup.unix_users else "one Unix account",
    ]
    return [
        Figure(
            "Hub",
            "token from the hub service, `HubSigner().sign` in a user's kernel",
            "ms",
            summarize(hub_ms),
            baseline="loopback POST to a bare Tornado handler + local `TokenSigner.sign`",
            ratio=ratio,
            target=f"<= {TARGET}x",
            met=ratio.median <= TARGET,
            notes=notes,
            why=""
            if ratio.median <= TARGET
            else "the service's hub lookup or audit write dominates; see hub/service.py",
        ),
        Figure(
            "Hub",
            "bare loopback POST + local `TokenSigner.sign` in the same kernel (baseline)",
            "ms",
            summarize(bare_ms),
        ),
    ]


def _concurrency(probes: list[Any], hub: Any) -> Figure:
    at = time.time() + 2.0  # every kernel fires at once
    with ThreadPoolExecutor(len(probes)) as pool:
        results = list(pool.map(lambda p: p.value(f"burst({at}, {PER_KERNEL})", 60), probes))
    audit = {line["jti"]: line for line in hub.audit_lines() if line["event"] == "mint"}
    answered = mixed = 0
    errors: list[str] = []
    for user, result in zip(USERS, results, strict=True):
        errors += result["errors"]
        for token in result["tokens"]:
            if token is None:
                continue
            answered += 1
            claims = jwt.decode(token, hub.public_pem, algorithms=["RS256"])
            line = audit.get(claims["jti"], {})
            if claims["sub"] != f"hub-vendor:{customer(user)}" or line.get("user") != user:
                mixed += 1
    total = len(probes) * PER_KERNEL
    ok = answered == total and mixed == 0
    wall = statistics.median(result["ms"] for result in results)
    return Figure(
        "Hub",
        f"{total} concurrent requests from {len(probes)} users' kernels: answered",
        "requests",
        summarize([float(answered)]),
        target=f"{total} of {total}, none mixed up",
        met=ok,
        notes=[
            f"{mixed} mixed up (a token or audit line for another user's customer)",
            f"{len(errors)} errors" + (f": {json.dumps(errors[:2])}" if errors else ""),
            f"median wall time of a kernel's burst of {PER_KERNEL}: {wall:.0f} ms",
        ],
        why="" if ok else "see the notes: requests failed or came back for the wrong user",
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _serve_bare(port: int, ready: EventType, stop: EventType) -> None:
    import tornado.web
    from tornado.httpserver import HTTPServer

    class Bare(tornado.web.RequestHandler):
        def post(self) -> None:
            self.finish({"token": "x"})

    async def serve() -> None:
        server = HTTPServer(tornado.web.Application([(r"/sign", Bare)]))
        server.listen(port, "127.0.0.1")
        ready.set()
        await asyncio.get_running_loop().run_in_executor(None, stop.wait)
        server.stop()

    asyncio.run(serve())
