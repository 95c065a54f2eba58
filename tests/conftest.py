"""Shared fixtures: RSA keys made per test session."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


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
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid)
