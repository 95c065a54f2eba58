"""The sandbox accounts the API-backed tests share: ACME's connections in every state Workato
reports, another customer's, and a customer without any."""

from __future__ import annotations

from workato_ipywidget.sandbox import Sandbox

SF, JIRA, SLACK, HUBSPOT, ASANA, ZENDESK, GLOBEX_ZOOM = 1, 2, 3, 4, 5, 6, 9
JIRA_ERROR = "Authorization failed: invalid credentials"
SLACK_LOST = "the refresh token was revoked"


def seed(sandbox: Sandbox) -> Sandbox:
    """ACME ("acme"): Salesforce connected, Jira failed, Slack lost, HubSpot and Asana never
    authorized, Zendesk failed with an exception; Globex: one Zoom; Initech: none."""
    sandbox.add_customer("globex", name="Globex")
    sandbox.add_customer("initech-empty", name="Initech")
    sandbox.add_connection(SF, "salesforce", name="Salesforce", connected=True)
    sandbox.add_connection(JIRA, "jira", name="Jira")
    sandbox.fail_connection(JIRA, JIRA_ERROR)
    sandbox.add_connection(SLACK, "slack", name="Slack", connected=True)
    sandbox.lose_connection(SLACK, SLACK_LOST)
    sandbox.add_connection(HUBSPOT, "hubspot", name="HubSpot")
    sandbox.add_connection(ASANA, "asana", name="asana tasks")
    sandbox.add_connection(ZENDESK, "zendesk", name="Zendesk")
    sandbox.fail_connection(ZENDESK, "Zendesk raised a timeout", exception=True)
    sandbox.add_connection(GLOBEX_ZOOM, "zoom", name="Globex Zoom", customer_id="globex")
    return sandbox
