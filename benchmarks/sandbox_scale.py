"""The sandbox at scale: requests against a sandbox holding 1,000 customers with 5,000
connections (and 4,000 recipes), beside the same requests against a sandbox holding one customer
of the same shape, interleaved in rounds.

Each variant cycles through the requests a fleet scan and a panel make (a customer by external id,
its connections, its recipes, one recipe's jobs, a page of customers) from one keep-alive
client, one request at a time, so a request that scanned every record would show as a lower rate.
"""

from __future__ import annotations

import itertools
import urllib.parse
from collections.abc import Callable

import httpx

from workato_ipywidget.sandbox import Sandbox

from .measure import Figure, Settings, interleaved, rate, ratios, summarize

BENCHMARK = "Sandbox at scale"
CUSTOMERS = 1000
TARGET = 0.9


def run(settings: Settings) -> list[Figure]:
    crowded, single = Sandbox(), Sandbox()
    for sandbox, customers in ((crowded, CUSTOMERS), (single, 1)):
        sandbox.populate(customers, connections=(5, 5), recipes=(4, 4), broken=0.05, seed=1)
    with crowded, single, httpx.Client(timeout=30) as client:
        variants = {
            "crowded": _requests(client, crowded, crowded.customers[CUSTOMERS // 2].id),
            "single": _requests(client, single, single.customers[1].id),
        }
        rates = interleaved(
            {name: _timed(call, settings.round_seconds * 4) for name, call in variants.items()},
            settings.http_rounds,
        )
    ratio = summarize(ratios(rates["crowded"], rates["single"]))
    return [
        Figure(
            BENCHMARK,
            "one customer's records, one customer in the sandbox (baseline)",
            "requests/s",
            summarize(rates["single"]),
            notes=["sequential requests, keep-alive; a customer with 5 connections, 4 recipes"],
        ),
        Figure(
            BENCHMARK,
            f"the same customer's records among {CUSTOMERS:,} customers and "
            f"{CUSTOMERS * 5:,} connections",
            "requests/s",
            summarize(rates["crowded"]),
            baseline="one customer",
            ratio=ratio,
            target=f">= {TARGET}x",
            met=ratio.median >= TARGET,
            notes=["customer by external id, connections, recipes, jobs, a page of customers"],
            why=""
            if ratio.median >= TARGET
            else "a request reads more than it answers; look for a scan in sandbox/state.py, "
            "recipes.py or folders.py (tests/test_sandbox_scale.py counts rows touched)",
        ),
    ]


def _requests(
    client: httpx.Client, sandbox: Sandbox, customer_id: str
) -> Callable[[], httpx.Response]:
    """One request after another, cycling through what a scan and a panel ask for."""
    customer = sandbox.customer(customer_id)
    recipe = sandbox.recipes(customer.id)[0]
    base = f"{sandbox.base_url}/api/managed_users"
    external = urllib.parse.quote(customer.external_id or "", safe="")
    urls = itertools.cycle(
        [
            f"{base}/E{external}",
            f"{base}/{customer.id}/connections",
            f"{base}/{customer.id}/recipes",
            f"{base}/{customer.id}/recipes/{recipe.id}/jobs",
            f"{base}?page=1&per_page=100",
        ]
    )
    headers = {"Authorization": f"Bearer {sandbox.api_token}"}

    def once() -> httpx.Response:
        response = client.get(next(urls), headers=headers)
        response.raise_for_status()
        return response

    return once


def _timed(call: Callable[[], object], seconds: float) -> Callable[[], float]:
    return lambda: rate(call, seconds)
