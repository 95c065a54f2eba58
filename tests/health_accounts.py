"""A small fleet of customers for the account-health tests, and what the sandbox itself holds."""

from __future__ import annotations

from workato_ipywidget.sandbox import Sandbox


def fleet(sandbox: Sandbox, customers: int = 12) -> Sandbox:
    """`customers` customers besides ACME, three connections each; customer 3's Jira failed,
    customer 5's Slack lost, customer 7's HubSpot never authorized, the rest connected."""
    next_id = 100
    for n in range(1, customers + 1):
        customer = f"c{n:03d}"
        sandbox.add_customer(customer, name=f"Customer {n:03d}", external_id=f"EXT-{n}")
        for provider in ("jira", "slack", "hubspot"):
            next_id += 1
            sandbox.add_connection(
                next_id, provider, customer_id=customer, name=provider.title(), connected=True
            )
            if (n, provider) == (3, "jira"):
                sandbox.fail_connection(next_id, "Jira refused the credentials")
            elif (n, provider) == (5, "slack"):
                sandbox.lose_connection(next_id, "the refresh token was revoked")
            elif (n, provider) == (7, "hubspot"):
                sandbox.add_connection(next_id, provider, customer_id=customer, name="Hubspot")
    return sandbox


def expected_states(sandbox: Sandbox) -> dict[str, dict[str, int]]:
    """Each customer's connections by state, read from the sandbox's own memory."""
    states: dict[str, dict[str, int]] = {}
    for customer in sandbox.customers:
        counts = {"connected": 0, "failed": 0, "lost": 0, "not_connected": 0}
        for connection in sandbox.connections:
            if connection.customer_id != customer.id or connection.runtime:
                continue
            if connection.authorization_status in ("failed", "exception"):
                counts["failed"] += 1
            elif connection.connection_lost_at is not None:
                counts["lost"] += 1
            elif connection.authorization_status == "success":
                counts["connected"] += 1
            else:
                counts["not_connected"] += 1
        states[customer.id] = counts
    return states
