"""`workato-ipywidget sandbox --populate N`: a sandbox full of customers from the command line,
the same ones for the same seed, served over HTTP until terminated."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx

TOKEN = "cli-populate-token-0123456789"


def test_a_populated_sandbox_serves_its_customers_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "workato_ipywidget.cli", "sandbox", "--populate", "30",
         "--seed", "5", "--api-token-env", "SANDBOX_TOKEN"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SANDBOX_TOKEN": TOKEN},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        match = re.fullmatch(r"Workato sandbox at (http://127\.0\.0\.1:\d+)\n", lines[0])
        assert match, lines
        assert "30 more customers (seed 5): customer-1 to customer-30\n" in lines
        headers = {"Authorization": f"Bearer {TOKEN}"}
        customers = httpx.get(
            f"{match.group(1)}/api/managed_users", headers=headers, timeout=10
        ).json()["result"]
        connections = httpx.get(
            f"{match.group(1)}/api/managed_users/customer-7/connections", headers=headers,
            timeout=10,
        ).json()["result"]  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert process.returncode == 0
    assert len(customers) == 31  # acme and the 30
    assert customers[-1]["external_id"] == "EXT-5-30"
    assert 2 <= len(connections) <= 6
