"""Shared fixtures: RSA keys made per test session, and a sandbox of shared test accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from accounts import seed
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from ipywidgets import Widget

from workato_ipywidget import EmbeddedApi
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def public_pem(rsa_key: rsa.RSAPrivateKey) -> bytes:
    return rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the real-browser tests last: fast feedback first, and Playwright's sync API (which
    keeps an event loop running in this thread) never overlaps an asyncio test."""
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid or bool(item.get_closest_marker("e2e")))


@pytest.fixture
def accounts() -> Iterator[Sandbox]:
    """A running sandbox holding the shared test accounts (see accounts.py)."""
    with Sandbox() as server:
        yield seed(server)


@pytest.fixture
def accounts_api(accounts: Sandbox) -> Iterator[EmbeddedApi]:
    """The Embedded API of the `accounts` sandbox, over real HTTP, without retries."""
    with EmbeddedApi(accounts.api_token, base_url=accounts.base_url, max_retries=0) as client:
        yield client


W = TypeVar("W", bound=Widget)


@pytest.fixture
def closing() -> Iterator[Callable[[W], W]]:
    """Hand back each widget given to it, and close them all when the test ends."""
    made: list[Widget] = []

    def keep(widget: W) -> W:
        made.append(widget)
        return widget

    yield keep
    for widget in made:
        widget.close()
