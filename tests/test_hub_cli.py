"""`workato-ipywidget hub-service`: the public key for Workato, and refusals before serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization

from workato_ipywidget import cli


@pytest.fixture
def policy(tmp_path: Path, rsa_key: Any) -> Path:
    key = tmp_path / "key.pem"
    key.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    key.chmod(0o600)
    path = tmp_path / "policy.toml"
    path.write_text(
        'vendor_id = "v1"\nkey_file = "key.pem"\npassphrase_env = "WK_PASS"\n'
        'allowed_origins = ["http://localhost:8000"]\n\n[grants]\nalice = ["acme"]\n'
    )
    return path


def run(*args: str, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(cli.main, ["hub-service", *args], env=env)


def test_public_key_prints_the_policy_keys_public_half(policy: Path, public_pem: bytes) -> None:
    result = run("--policy", str(policy), "--public-key", env={"WK_PASS": "s3cret"})

    assert result.exit_code == 0, result.output
    assert result.output == public_pem.decode()


def test_an_unset_passphrase_variable_is_named_before_serving(policy: Path) -> None:
    result = run("--policy", str(policy), env={"WK_PASS": None})

    assert result.exit_code == 1
    assert "passphrase_env names WK_PASS, which is not set" in result.output


def test_a_wrong_passphrase_is_refused_without_key_material(policy: Path) -> None:
    result = run("--policy", str(policy), "--public-key", env={"WK_PASS": "wrong"})

    assert result.exit_code == 1
    assert "key_file:" in result.output
    assert "wrong passphrase" in result.output
    assert "PRIVATE KEY" not in result.output


def test_a_bad_policy_is_refused_with_its_line(policy: Path) -> None:
    policy.write_text(policy.read_text().replace('alice = ["acme"]', "alice = 7"))

    result = run("--policy", str(policy), env={"WK_PASS": "s3cret"})

    assert result.exit_code == 1
    assert "line 7: [grants] alice: expected a list" in result.output


def test_outside_jupyterhub_it_says_how_to_add_the_service(policy: Path) -> None:
    result = run("--policy", str(policy), env={"WK_PASS": "s3cret", "JUPYTERHUB_SERVICE_URL": None})

    assert result.exit_code == 1
    assert "runs as a JupyterHub managed service" in result.output
    assert "configure(c, policy=...)" in result.output
