"""A token that decoding or wrapping would reveal is absent from a saved notebook and its HTML.

Issue 17, items 1 and 2, end to end in a real kernel: an `EmbeddedPage` receives `navigated`
URLs whose token is percent-encoded (first letter, every character, inside a direct link) and an
error quoting its token wrapped at 64 columns, exactly as the bridge delivers them; the notebook
is saved with its widget state (nbclient) and exported to HTML (nbconvert). Neither holds any run
of 24 characters of any token the kernel minted.
"""

from __future__ import annotations

import json
import logging
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest
from cryptography.hazmat.primitives import serialization
from nbclient import NotebookClient
from nbconvert import HTMLExporter

RUN = 24

CELLS = [
    """
    import json, os, textwrap, urllib.parse
    from workato_ipywidget import EmbeddedPage, TokenSigner
    signer = TokenSigner("vendor-n", os.environ["SAVED_NB_KEY"])
    page = EmbeddedPage("/recipes", signer=signer, customer_id="cust-n")
    sent = []
    page.send = lambda content, buffers=None: sent.append(content)
    def deliver(content):  # exactly what the bridge's model.send(content) becomes
        page._handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )
    def post(message):
        deliver({"kind": "message", "view": "nb-view", "message": message})
    deliver({"kind": "ready", "view": "nb-view", "origin": "http://localhost:8888"})
    token = urllib.parse.unquote(sent[-1]["url"].rsplit("=", 1)[1])
    every = "".join(f"%{ord(c):02X}" for c in token)
    page
    """,
    """
    post({"type": "loaded", "payload": {"url": "/recipes?q=%65" + token[1:], "title": "R"}})
    post({"type": "navigated", "payload": {"url": "/recipes/" + every + "/jobs"}})
    post({"type": "navigated", "payload": {"url": "/direct_link?workato_dl_path="
          + urllib.parse.quote("/recipes?q=" + every, safe="")}})
    print(page.path)
    print(repr(page), page.events)
    """,
    """
    post({"type": "error", "payload": {"message": "bad token\\n" + "\\n".join(
        textwrap.wrap(token, 64))}})
    print(page.error)
    """,
    """
    with open(os.environ["SAVED_NB_OUT"], "w") as out:
        json.dump([token, *[m.get("url") for m in sent if m.get("url")]], out)
    """,
]


def leaked_run(text: str, token: str) -> int | None:
    for i in range(len(token) - RUN + 1):
        if token[i : i + RUN] in text:
            return i
    return None


def test_a_saved_notebook_and_its_html_hold_no_piece_of_a_decoded_or_wrapped_token(
    tmp_path: Path, rsa_key: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="traitlets")  # nbclient logs kernel messages at DEBUG
    key = tmp_path / "key.pem"
    key.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    out = tmp_path / "minted.json"
    monkeypatch.setenv("SAVED_NB_KEY", str(key))
    monkeypatch.setenv("SAVED_NB_OUT", str(out))
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in CELLS]

    NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True).execute()

    saved = nbformat.writes(notebook)
    html, _resources = HTMLExporter().from_notebook_node(notebook)
    token = json.loads(out.read_text())[0]
    assert token.startswith("eyJ")
    for name, text in (("saved notebook", saved), ("HTML export", html)):
        assert leaked_run(text, token) is None, name
        assert leaked_run(text.replace("%", ""), token) is None, name  # nor escaped
    # Not vacuous: the page followed the URLs, and its state and outputs were saved.
    states = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    ours = [s["state"] for s in states.values() if s["state"].get("frame_kind") == "page"]
    assert len(ours) == 1
    assert ours[0]["path"].startswith("/direct_link") is False
    assert ours[0]["path"].startswith("/recipes")
    assert ours[0]["error"].startswith("bad token")
    assert "/recipes" in json.dumps(notebook.cells[1]["outputs"])
