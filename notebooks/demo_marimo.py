"""The workato-ipywidget demo as a marimo app, on the local Workato sandbox (no account needed).

Run it with `marimo run notebooks/demo_marimo.py` (or `marimo edit` to see the code).
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(app_title="Workato Embedded connections")


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from workato_ipywidget import ConnectionWidget, Sandbox

    return ConnectionWidget, Sandbox, mo


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        # Workato Embedded connections in marimo

        This app shows a customer's connection the way your product embeds it, and follows it
        from Python. It runs against a **local Workato sandbox**, so no Workato account is
        needed: swap the sandbox for `TokenSigner` + `data_center=` (see `real_workato.ipynb`)
        to do the same against Workato.
        """
    )
    return


@app.cell
def _(Sandbox, mo):
    sandbox = Sandbox()
    sandbox.add_connection(1, "salesforce", name="Salesforce")
    sandbox.add_connection(2, "jira", name="Jira")
    sandbox.start()
    mo.md(f"Sandbox at `{sandbox.base_url}` for vendor `{sandbox.vendor_id}`.")
    return (sandbox,)


@app.cell
def _(mo):
    def follow(widget):
        """A marimo state that follows the widget's `status` and `connected` traits.

        The traits change in Python, from the iframe's messages, not from the browser, so
        marimo would not re-run the cells that read them: a cell that calls the returned
        getter re-runs on every change instead.
        """

        def snapshot():
            return {"status": widget.status, "connected": widget.connected}

        get_state, set_state = mo.state(snapshot())
        widget.observe(lambda _change: set_state(snapshot()), names=["status", "connected"])
        return get_state

    return (follow,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        ## Show a connection

        Each time the widget is displayed, the kernel signs a fresh token for that view (its
        own `jti`, and an `origin` claim naming this page). Click **Connect**, then **Authorize**.
        """
    )
    return


@app.cell
def _(ConnectionWidget, follow, mo, sandbox):
    salesforce = ConnectionWidget(
        1, signer=sandbox.signer, customer_id="acme", base_url=sandbox.base_url
    )
    salesforce_state = follow(salesforce)
    mo.ui.anywidget(salesforce)
    return salesforce, salesforce_state


@app.cell
def _(mo, salesforce_state):
    _state = salesforce_state()
    mo.md(
        f"Salesforce is **{_state['status']}** (`connected` is `{_state['connected']}`); "
        "this cell re-runs whenever that changes."
    )
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        ## The event log

        Every message the iframe sent, validated and typed, with when it arrived.
        """
    )
    return


@app.cell
def _(mo, salesforce, salesforce_state):
    salesforce_state()  # re-run on every status change
    _lines = [
        f"- `{logged.at:%H:%M:%S}` {type(logged.event).__name__}: `{logged.event}`"
        for logged in salesforce.events
    ]
    mo.md("\n".join(_lines) or "No events yet.")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        ## A second connection

        Widgets are independent: each has its own iframe, token and state. Instead of
        `await widget.wait_for(...)` (marimo handles one kernel request at a time, so an
        awaiting cell would hold back the very messages it waits for), the next cell stops
        until Jira is connected, and marimo runs it again when it is.
        """
    )
    return


@app.cell
def _(ConnectionWidget, follow, mo, sandbox):
    jira = ConnectionWidget(2, signer=sandbox.signer, customer_id="acme", base_url=sandbox.base_url)
    jira_state = follow(jira)
    mo.ui.anywidget(jira)
    return (jira_state,)


@app.cell
def _(jira_state, mo):
    mo.stop(not jira_state()["connected"], mo.md("Waiting for Jira: connect it above."))
    mo.md("**Jira is connected.**")
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(
        """
        ## What the sandbox saw

        The server side agrees with what Python heard from the page.
        """
    )
    return


@app.cell
def _(jira_state, mo, salesforce_state, sandbox):
    salesforce_state(), jira_state()  # re-run when either connection changes
    mo.md(
        "\n".join(
            f"- {c.provider} (connection {c.id}): "
            f"{'connected' if c.connected else 'not connected'}"
            for c in sandbox.connections
        )
    )
    return


if __name__ == "__main__":
    app.run()
