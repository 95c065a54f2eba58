"""`configure(c, policy=...)` on a JupyterHub config object, and the client's errors off a hub."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

import workato_ipywidget
from workato_ipywidget import ConnectionWidget, HubSigner, HubSignerError, Signer, TokenSigner
from workato_ipywidget.hub import PolicyError, configure

POLICY = """\
vendor_id = "v1"
key_file = "key.pem"
allowed_origins = ["http://localhost:8000"]
{extra}
[grants]
alice = ["acme"]
"group:support" = ["*"]
"""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(extra=""))
    return path


def test_configure_adds_the_service_on_a_loopback_port(policy: Path) -> None:
    c = Config()

    configure(c, policy=policy)

    [service] = c.JupyterHub.services
    assert service["name"] == "workato-tokens"
    assert service["url"].startswith("http://127.0.0.1:")
    assert service["command"][:4] == [sys.executable, "-m", "workato_ipywidget.cli", "hub-service"]
    assert service["command"][-1] == str(policy.resolve())
    assert c.Spawner.environment["WORKATO_TOKEN_SERVICE_URL"] == (
        f"{service['url']}/services/workato-tokens/"
    )


def test_configure_gives_every_granted_user_and_group_the_access_role(policy: Path) -> None:
    c = Config()

    configure(c, policy=policy, name="tokens")

    [role] = c.JupyterHub.load_roles
    assert role["name"] == "tokens-users"
    assert role["scopes"] == ["access:services!service=tokens"]
    assert role["users"] == ["alice"]
    assert role["groups"] == ["support"]


def test_configure_keeps_the_default_server_scopes_and_adds_access(policy: Path) -> None:
    c = Config()

    configure(c, policy=policy)

    assert c.Spawner.server_token_scopes == [
        "users:activity!user",
        "access:servers!server",
        "access:services!service=workato-tokens",
    ]


def test_configure_adds_to_what_the_config_already_has(policy: Path) -> None:
    c = Config()
    c.JupyterHub.services = [{"name": "other", "url": "http://127.0.0.1:9999"}]
    c.JupyterHub.load_roles = [{"name": "teachers", "scopes": ["users"]}]
    c.Spawner.server_token_scopes = ["users:activity!user", "read:users"]
    c.Spawner.environment = {"TZ": "UTC"}

    configure(c, policy=policy, url="http://hub:10101")

    assert [s["name"] for s in c.JupyterHub.services] == ["other", "workato-tokens"]
    assert c.JupyterHub.services[1]["url"] == "http://hub:10101"
    assert [r["name"] for r in c.JupyterHub.load_roles] == ["teachers", "workato-tokens-users"]
    assert c.Spawner.server_token_scopes == [
        "users:activity!user",
        "read:users",
        "access:services!service=workato-tokens",
    ]
    assert c.Spawner.environment == {
        "TZ": "UTC",
        "WORKATO_TOKEN_SERVICE_URL": "http://hub:10101/services/workato-tokens/",
    }


def test_configure_can_write_to_a_spawner_class_that_overrides_spawner(policy: Path) -> None:
    c = Config()
    c.KubeSpawner.environment = {"TZ": "UTC"}  # what Zero to JupyterHub's extraEnv becomes

    configure(c, policy=policy, url="http://hub:10101", spawner="KubeSpawner")

    assert c.KubeSpawner.environment["WORKATO_TOKEN_SERVICE_URL"].startswith("http://hub:10101/")
    assert c.KubeSpawner.environment["TZ"] == "UTC"
    assert "access:services!service=workato-tokens" in c.KubeSpawner.server_token_scopes


def test_configure_wraps_callable_server_scopes(policy: Path) -> None:
    c = Config()
    c.Spawner.server_token_scopes = lambda spawner: ["access:servers!server", f"x!{spawner}"]

    configure(c, policy=policy)

    assert c.Spawner.server_token_scopes("s") == [
        "access:servers!server",
        "x!s",
        "access:services!service=workato-tokens",
    ]


def test_configure_passes_the_passphrase_from_the_named_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY.format(extra='passphrase_env = "WK_PASS"\n'))
    c = Config()
    with pytest.raises(PolicyError, match="WK_PASS, which is not set in the hub's environment"):
        configure(c, policy=path)

    monkeypatch.setenv("WK_PASS", "pw")
    configure(c, policy=path)

    assert c.JupyterHub.services[0]["environment"] == {"WK_PASS": "pw"}


def test_configure_refuses_a_url_with_a_path_and_a_second_service_of_one_name(
    policy: Path,
) -> None:
    with pytest.raises(ValueError, match="http\\(s\\)://host:port"):
        configure(Config(), policy=policy, url="http://hub:10101/services/x")
    c = Config()
    configure(c, policy=policy)
    with pytest.raises(ValueError, match="already has a service named 'workato-tokens'"):
        configure(c, policy=policy)


# --- the client, off a hub ----------------------------------------------------------------------
def test_hub_signer_outside_a_hub_says_to_use_token_signer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "WORKATO_TOKEN_SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)

    with pytest.raises(HubSignerError, match=r"not running under JupyterHub.*TokenSigner"):
        HubSigner()


def test_hub_signer_without_the_service_url_says_who_adds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-hub-token")
    monkeypatch.delenv("WORKATO_TOKEN_SERVICE_URL", raising=False)

    with pytest.raises(HubSignerError, match=r"WORKATO_TOKEN_SERVICE_URL.*configure\(c") as caught:
        HubSigner()
    assert "secret-hub-token" not in str(caught.value)


def test_hub_signer_that_cannot_reach_the_service_says_so_without_its_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    signer = HubSigner(f"http://127.0.0.1:{port}/services/x/", api_token="secret-hub-token")

    with pytest.raises(HubSignerError, match="cannot reach the token service") as caught:
        signer.sign("acme", origin="http://localhost:8888")
    assert caught.value.status is None
    assert "secret-hub-token" not in str(caught.value) + repr(signer)
    assert caught.value.__cause__ is None


def test_hub_signer_has_no_public_key_and_cannot_be_pickled() -> None:
    signer = HubSigner("http://127.0.0.1:1/services/x/", api_token="t0k3n")

    with pytest.raises(HubSignerError, match=r"holds no key.*--public-key"):
        signer.public_key_pem()
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


def test_both_signers_are_signers_and_a_widget_takes_a_hub_signer(rsa_key: Any) -> None:
    hub_signer = HubSigner("http://127.0.0.1:1/services/x/", api_token="t0k3n")

    assert isinstance(TokenSigner("v", rsa_key), Signer)
    assert isinstance(hub_signer, Signer)
    widget = ConnectionWidget(1, signer=hub_signer, customer_id="acme")
    assert widget.connection_id == 1
    widget.close()
    with pytest.raises(TypeError, match="signer must be a Signer"):
        ConnectionWidget(1, signer=object(), customer_id="acme")  # type: ignore[arg-type]


def test_importing_the_package_and_the_hub_client_never_imports_jupyterhub() -> None:
    import subprocess

    code = (
        "import sys, workato_ipywidget; workato_ipywidget.HubSigner; import workato_ipywidget.hub;"
        "print(any(m.split('.')[0] == 'jupyterhub' for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    assert "HubSigner" in workato_ipywidget.__all__
