"""Where the iframe loads from, said where it matters (issue 18, items 8 and 9).

A silent iframe's diagnosis names the host it loaded from and counts an unreachable host or a
wrong data_center / base_url among the causes, first when the iframe never even loaded; a
widget given both data_center= and base_url= refuses them at once; and a panel's unknown
customer is said in the panel, not again as a WARNING (a pink stderr line in a notebook).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from fakes import PAGE_ORIGIN, FakeFrontend

from workato_ipywidget import ConnectionsPanel, ConnectionWidget, EmbeddedApi, EmbeddedPage
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def token(accounts: Sandbox) -> str:
    return accounts.signer.sign("acme", origin=PAGE_ORIGIN)


def silent(widget: Any, **extra: Any) -> str:
    view = FakeFrontend(widget)
    assert view.ready()["kind"] == "load"
    report = {"kind": "silent", "view": "view-1", "origin": PAGE_ORIGIN, "seconds": 15}
    view.deliver({**report, **extra})
    assert widget.status == "error"
    return str(widget.error)


def test_a_silent_iframe_names_its_host_and_a_wrong_data_center_among_the_causes(
    token: str,
) -> None:
    text = silent(ConnectionWidget(7, token=token, data_center="eu"))

    assert text.startswith("The Workato iframe from https://app.eu.workato.com loaded but sent")
    assert "https://app.eu.workato.com did not answer or is not a Workato host" in text
    assert "check data_center='eu', which chose https://app.eu.workato.com" in text
    assert "allowed origins" in text  # the other usual causes stay listed
    assert "third-party cookies" in text


def test_an_iframe_that_never_loaded_says_so_first(token: str) -> None:
    text = silent(
        EmbeddedPage("/recipes", token=token, base_url="https://workato.example.com"),
        loaded=False,
    )

    assert text.startswith(
        "The Workato iframe from https://workato.example.com did not finish loading after 15 s."
    )
    assert "check base_url='https://workato.example.com'" in text
    assert "allowed origins" not in text


@pytest.mark.parametrize("kind", [ConnectionWidget, EmbeddedPage])
def test_data_center_and_base_url_together_are_refused_naming_both(token: str, kind: Any) -> None:
    args = (7,) if kind is ConnectionWidget else ("/recipes",)
    with pytest.raises(ValueError, match="pass data_center= or base_url=, not both") as caught:
        kind(*args, token=token, data_center="eu", base_url="https://workato.example.com")

    assert "data_center='eu'" in str(caught.value)
    assert "base_url='https://workato.example.com'" in str(caught.value)


def test_neither_means_the_us_data_center(token: str) -> None:
    assert ConnectionWidget(7, token=token).base_url == "https://app.workato.com"


def test_an_unknown_customer_in_a_panel_is_no_warning(
    accounts: Sandbox,
    accounts_api: EmbeddedApi,
    closing: Callable[[Any], Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="workato_ipywidget")

    panel = closing(ConnectionsPanel("nobody-here", api=accounts_api, signer=accounts.signer))

    assert panel.error.startswith("Workato's Embedded API knows no customer 'nobody-here'")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert any("nobody-here" in r.getMessage() for r in caplog.records)  # still in the log
