"""Tokens that only look like tokens after decoding, or that arrive in pieces, reach no state.

Issue 17, items 1 and 2: `EmbeddedPage.path` is built by decoding what the page posts (percent
escapes, a direct link's inner path), so what comes out of that decoding is redacted too; and the
kernel redacts, by value, any run of 24 or more characters of a token it issued, wherever it
appears (a token wrapped over lines, split between fields, quoted by a token provider).
"""

from __future__ import annotations

import json
import logging
import textwrap
from typing import Any
from urllib.parse import quote, unquote

import jwt
import pytest
from fakes import FakeFrontend

from workato_ipywidget import ConnectionWidget, EmbeddedPage, TokenSigner
from workato_ipywidget.endpoints import workato_path
from workato_ipywidget.redaction import redact

CUSTOMER = "cust-d"
RUN = 24


@pytest.fixture
def signer(rsa_key: Any) -> TokenSigner:
    return TokenSigner("vendor-d", rsa_key)


@pytest.fixture
def token(signer: TokenSigner) -> str:
    return signer.sign(CUSTOMER, origin="http://localhost:8888")


def every_char_escaped(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


def decoded(text: str) -> str:
    """`text` percent-decoded until it stops changing (at most four times)."""
    for _ in range(4):
        text, before = unquote(text), text
        if text == before:
            break
    return text


def leaked_run(text: str, token: str) -> str | None:
    """The first run of RUN characters of `token` found in `text` (decoded), or None."""
    plain = decoded(text)
    for i in range(len(token) - RUN + 1):
        if token[i : i + RUN] in plain or token[i : i + RUN] in text:
            return f"the run at offset {i}"
    return None


def decoding_spellings(token: str) -> dict[str, str]:
    """URLs whose token appears only once the page path is decoded, as workato_path decodes it."""
    escaped_e = "%65" + token[1:]
    return {
        "first letter escaped in a query value": f"/recipes?q={escaped_e}",
        "every character escaped in a query value": f"/recipes?q={every_char_escaped(token)}",
        "every character escaped in a query key": f"/recipes?{every_char_escaped(token)}=1",
        "every character escaped in the path": f"/recipes/{every_char_escaped(token)}/jobs",
        "escaped twice in a query value": f"/recipes?q={quote(escaped_e, safe='')}",
        "inside a direct link": "/direct_link?workato_dl_path="
        + quote(f"/recipes?q={escaped_e}", safe=""),
        "inside a direct link, every character escaped": "/direct_link?workato_dl_path="
        + quote(f"/recipes?q={every_char_escaped(token)}", safe=""),
        "inside a direct link whose name is escaped": "/direct_link?workato_dl_path="
        + quote(f"/%64irect_link?workato_dl_path=/r%3Fq%3D{escaped_e}", safe=""),
        "full URL on Workato's host": f"https://app.workato.com/recipes?q={escaped_e}",
    }


def test_workato_path_redacts_what_its_decoding_reveals(token: str) -> None:
    for name, url in decoding_spellings(token).items():
        path = workato_path(url)
        assert path is None or leaked_run(path, token) is None, name


@pytest.mark.parametrize("kind", ["loaded", "navigated"])
def test_a_token_revealed_by_decoding_reaches_no_page_state(
    signer: TokenSigner, token: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")
    page = FakeFrontend(EmbeddedPage("/recipes", signer=signer, customer_id=CUSTOMER))
    page.ready()
    for name, url in decoding_spellings(token).items():
        page.post(json.dumps({"type": kind, "payload": {"url": url}}))
        widget = page.widget
        shown = [widget.path, repr(widget), json.dumps(widget.get_state(), default=str)]
        shown += [repr(e) for e in widget.events] + [caplog.text]
        for text in shown:
            assert leaked_run(text, token) is None, name
    assert page.widget.status == "loaded"  # the messages were taken, not refused
    assert page.widget.path.startswith("/recipes")


def test_a_token_wrapped_at_64_columns_in_an_error_is_redacted(
    signer: TokenSigner, token: str
) -> None:
    widget = FakeFrontend(ConnectionWidget(7, signer=signer, customer_id=CUSTOMER))
    widget.ready()
    wrapped = "\n".join(textwrap.wrap(token, 64))
    widget.post({"type": "error", "payload": {"message": f"Invalid token:\n{wrapped}"}})

    assert widget.widget.status == "error"
    assert widget.widget.error.startswith("Invalid token:")
    for text in (widget.widget.error, repr(widget.widget.events)):
        assert leaked_run(text, token) is None


def test_a_token_split_between_two_payload_fields_is_redacted_in_both(
    signer: TokenSigner, token: str
) -> None:
    widget = FakeFrontend(ConnectionWidget(7, signer=signer, customer_id=CUSTOMER))
    widget.ready()
    half = len(token) // 2
    widget.post({"type": "somethingNew", "payload": {"a": token[:half], "b": token[half:]}})
    widget.post(
        {
            "type": "connectionStatusChange",
            "payload": {"id": 7, "provider": token[:half], "error": token[half:]},
        }
    )

    shown = [repr(e) for e in widget.widget.events] + [json.dumps(widget.widget.get_state())]
    for text in shown:
        assert leaked_run(text, token) is None


def test_a_token_providers_exception_quoting_its_token_in_pieces_is_redacted(
    signer: TokenSigner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")
    issued: list[str] = []

    def vault(origin: str) -> str:
        issued.append(signer.sign(CUSTOMER, origin=origin))
        lines = textwrap.wrap(issued[-1], 64)
        raise RuntimeError("vault said: " + " / ".join(lines))

    widget = FakeFrontend(ConnectionWidget(7, token_provider=vault))
    answer = widget.ready()

    assert answer["kind"] == "load_error"
    assert "vault said" in answer["message"]
    for text in (answer["message"], widget.widget.error or "", caplog.text):
        assert leaked_run(text, issued[0]) is None


def test_a_token_a_provider_returned_is_remembered_and_redacted_later(
    rsa_key: Any,
) -> None:
    # A token this process did not sign (the provider got it elsewhere), handed to a view.
    foreign = jwt.encode({"sub": "v:c", "jti": "xyz-foreign"}, rsa_key, algorithm="RS256")
    widget = FakeFrontend(ConnectionWidget(7, token_provider=lambda _origin: foreign))
    assert widget.ready()["kind"] == "load"
    tail = foreign.split(".", 1)[1]  # no "eyJ" at the start: only its value can find it
    widget.post({"type": "error", "payload": {"message": f"refused {tail[:40]}"}})

    assert leaked_run(widget.widget.error or "", foreign) is None
    assert widget.widget.error.startswith("refused ")


def test_redact_removes_any_24_character_run_of_an_issued_token(token: str) -> None:
    for start in (0, 37, len(token) - RUN):
        piece = token[start : start + RUN]
        assert piece not in redact(f"x {piece} y")
    assert redact("a short text") == "a short text"
    assert redact(token[5 : 5 + RUN - 1]) == token[5 : 5 + RUN - 1]  # 23 characters stay
