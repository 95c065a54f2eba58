"""One ConnectionWidget in a marimo app, for the browser tests (`marimo run`, see test_frontends).

The page's query string says where the sandbox is (`sandbox`), which key signs the tokens (`key`)
and where to write the kernel's state (`state`): every change of the widget's state traits is
written there as JSON, which is how a test reads the kernel-side `w.connected` from outside marimo.
"""

import marimo

app = marimo.App()


@app.cell
def _():
    import json
    from pathlib import Path

    import marimo as mo

    from workato_ipywidget import ConnectionWidget, TokenSigner

    return ConnectionWidget, Path, TokenSigner, json, mo


@app.cell
def _(ConnectionWidget, Path, TokenSigner, json, mo):
    params = mo.query_params()
    w = ConnectionWidget(
        1,
        signer=TokenSigner("e2e-vendor", params["key"]),
        customer_id="acme",
        base_url=params["sandbox"],
    )
    state_file = Path(params["state"])

    def record(_change: object = None) -> None:
        partial = state_file.with_suffix(".partial")
        partial.write_text(json.dumps({"connected": w.connected, "status": w.status}))
        partial.replace(state_file)  # the test never reads half a file

    w.observe(record, names=["connected", "status"])
    record()
    widget = mo.ui.anywidget(w)
    widget
    return


if __name__ == "__main__":
    app.run()
