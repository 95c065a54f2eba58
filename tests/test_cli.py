"""The `workato-ipywidget` command line: token, sandbox and demo, including bad arguments."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jwt
import pytest
from cli_runs import run, serving_sandbox
from cryptography.hazmat.primitives import serialization

from workato_ipywidget import cli
from workato_ipywidget.cli import demo as cli_demo
from workato_ipywidget.sandbox import Sandbox


@pytest.fixture
def key_file(tmp_path: Path, rsa_key: Any) -> Path:
    path = tmp_path / "key.pem"
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    path.chmod(0o600)
    return path


def token_cli(key_file: Path, *extra: str, customer: str = "c1", passphrase: str = "s3cret") -> Any:
    """`workato-ipywidget token` for vendor v1 with the test key, its passphrase in KEY_PASS."""
    return run(
        "token", "--vendor-id", "v1", "--customer-id", customer, "--key", str(key_file),
        "--passphrase-env", "KEY_PASS", *extra, env={"KEY_PASS": passphrase},
    )  # fmt: skip


def test_token_prints_one_verifiable_token(key_file: Path, public_pem: bytes) -> None:
    result = token_cli(
        key_file, "--external-ids", "--user-id", "u7", "--origin", "http://localhost:8888",
        "--ttl", "60", customer="AM10:XV303",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), public_pem, algorithms=["RS256"])
    assert claims["sub"] == "v1:EAM10%3AXV303:Eu7"
    assert claims["origin"] == "http://localhost:8888"
    assert claims["exp"] - claims["iat"] == 60


def test_token_without_expiry(key_file: Path, public_pem: bytes) -> None:
    result = token_cli(key_file, "--no-expiry")

    assert "exp" not in jwt.decode(result.output.strip(), public_pem, algorithms=["RS256"])


def test_token_names_an_unset_passphrase_variable(key_file: Path) -> None:
    result = run(
        "token", "--vendor-id", "v1", "--customer-id", "c1", "--key", str(key_file),
        "--passphrase-env", "NOT_SET_ANYWHERE", env={"NOT_SET_ANYWHERE": None},
    )  # fmt: skip

    assert result.exit_code == 2
    assert "NOT_SET_ANYWHERE" in result.output


def test_token_with_wrong_passphrase_fails_without_key_material(key_file: Path) -> None:
    result = token_cli(key_file, passphrase="Tr0ub4dor-guess")

    assert result.exit_code == 2
    assert "passphrase" in result.output
    assert "BEGIN" not in result.output
    assert "Tr0ub4dor" not in result.output


def test_token_refuses_a_colon_in_a_plain_customer_id(key_file: Path) -> None:
    result = token_cli(key_file, customer="a:b")

    assert result.exit_code == 2
    assert "contains ':'" in result.output
    assert "add --external-ids" in result.output


def test_token_with_missing_key_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"

    result = run("token", "--vendor-id", "v1", "--customer-id", "c1", "--key", str(missing))

    assert result.exit_code == 2
    assert str(missing) in result.output


def test_token_requires_its_options() -> None:
    result = run("token", "--customer-id", "c1")

    assert result.exit_code == 2
    assert "--vendor-id" in result.output


@pytest.mark.parametrize("ttl", ["0", "-5", "soon"])
def test_token_refuses_a_bad_ttl(key_file: Path, ttl: str) -> None:
    result = run(
        "token", "--vendor-id", "v", "--customer-id", "c", "--key", str(key_file), "--ttl", ttl
    )

    assert result.exit_code == 2
    assert "--ttl" in result.output


@pytest.mark.parametrize("connection", ["salesforce", "0:jira", "x:jira", "3:"])
def test_sandbox_refuses_a_malformed_connection(connection: str) -> None:
    result = run("sandbox", "--connection", connection)

    assert result.exit_code == 2
    assert "ID:PROVIDER" in result.output


def test_sandbox_serves_until_terminated() -> None:
    with serving_sandbox("--connection", "7:slack") as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"Workato sandbox at (http://127\.0\.0\.1:\d+)\n", first)
        assert match, first
        assert process.stdout.readline().startswith("vendor id: ")
        assert process.stdout.readline() == "connection 7: slack (customer acme)\n"
    assert process.returncode == 0


def test_connections_prints_a_table_of_the_customers_connections() -> None:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", name="Sales", connected=True)
        server.add_connection(2, "jira")
        server.add_connection(3, "box", connected=True)
        server.lose_connection(3, "revoked")

        result = run(
            "connections", "--customer", "acme", "--base-url", server.base_url,
            env={"WORKATO_API_TOKEN": server.api_token},
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "PROVIDER", "NAME", "STATUS", "AUTHORIZED", "AT"]
    assert lines[1].split()[:4] == ["1", "salesforce", "Sales", "connected"]  # as the panel says
    assert "not connected" in lines[2]
    assert lines[3].split()[:2] == ["3", "box"]
    assert " lost " in lines[3]
    assert server.api_token not in result.output


def test_connections_reads_the_token_from_the_named_variable_only() -> None:
    with Sandbox() as server:
        result = run(
            "connections", "--customer", "acme", "--base-url", server.base_url,
            "--api-token-env", "MY_TOKEN", env={"MY_TOKEN": server.api_token},
        )  # fmt: skip
        missing = run(
            "connections", "--customer", "acme", "--api-token-env", "UNSET_TOKEN_VAR",
            env={"UNSET_TOKEN_VAR": None},
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "(no connections)" in result.output
    assert missing.exit_code == 2
    assert "UNSET_TOKEN_VAR" in missing.output


def test_connections_explains_an_api_refusal_without_the_token() -> None:
    with Sandbox() as server:
        result = run(
            "connections", "--customer", "nobody", "--base-url", server.base_url,
            env={"WORKATO_API_TOKEN": "a-wrong-secret-token"},
        )  # fmt: skip

    assert result.exit_code == 1
    assert "401" in result.output
    assert "a-wrong-secret-token" not in result.output


def test_connections_points_a_colon_in_a_customer_id_to_external_id() -> None:
    result = run(
        "connections", "--customer", "AM10:XV303", "--base-url", "http://127.0.0.1:9",
        env={"WORKATO_API_TOKEN": "t0ken"},
    )  # fmt: skip

    assert result.exit_code == 2
    assert "--external-id" in result.output


@pytest.fixture
def exec_calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[list[str], Any]]:
    """What `demo` would replace itself with: (argv, env) per os.execve call; nothing runs."""
    calls: list[tuple[list[str], Any]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: calls.append((argv, env)))
    monkeypatch.chdir(tmp_path)
    return calls


def test_demo_opens_a_copy_of_the_checkout_notebook_in_jupyterlab(
    exec_calls: list[tuple[list[str], Any]], tmp_path: Path
) -> None:
    result = run("demo", "--no-browser", "--port", "8899")

    assert result.exit_code == 0, result.output
    ((argv, _env),) = exec_calls
    assert argv[1:4] == ["-m", "jupyter", "lab"]
    assert argv[4] == "demo.ipynb"
    assert "--port=8899" in argv
    assert "--no-browser" in argv
    assert "--LabApp.default_url=/lab/tree/demo.ipynb" in argv  # the printed URL opens it
    assert Path.cwd() == (tmp_path / "workato-demo").resolve()  # a copy, not the clone's file


def test_demo_jupyterlab_neither_fetches_news_nor_asks_about_it(
    exec_calls: list[tuple[list[str], Any]],
) -> None:
    result = run("demo", env={"JUPYTER_CONFIG_PATH": "/etc/company-jupyter"})

    assert result.exit_code == 0, result.output
    ((argv, env),) = exec_calls
    assert "--LabApp.news_url=None" in argv
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in argv
    first, *rest = env["JUPYTER_CONFIG_PATH"].split(os.pathsep)
    assert rest == ["/etc/company-jupyter"]
    overrides = json.loads(
        (Path(first) / "labconfig" / "default_setting_overrides.json").read_text()
    )
    assert overrides["@jupyterlab/apputils-extension:notification"] == {
        "fetchNews": "false",
        "checkForUpdates": False,
    }


def test_demo_voila_serves_the_dashboard_on_the_port_it_prints(
    exec_calls: list[tuple[list[str], Any]],
) -> None:
    result = run("demo", "--voila", "--no-browser", env={"WORKATO_DEMO_WAIT_SECONDS": None})

    assert result.exit_code == 0, result.output
    ((argv, env),) = exec_calls
    match = re.fullmatch(r"Serving the demo dashboard at http://localhost:(\d+)/\n", result.output)
    assert match, result.output
    assert argv[1:4] == ["-m", "voila", "demo.ipynb"]
    assert f"--port={match[1]}" in argv
    assert "--Voila.port_retries=0" in argv
    assert "--VoilaConfiguration.strip_sources=True" in argv
    assert "--no-browser" in argv
    assert env["WORKATO_DEMO_WAIT_SECONDS"] == "0"  # Voila shows widgets only after every cell


def test_demo_voila_without_voila_says_how_to_install_it(
    exec_calls: list[tuple[list[str], Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    find_spec = cli_demo.importlib.util.find_spec
    monkeypatch.setattr(
        cli_demo.importlib.util,
        "find_spec",
        lambda name: None if name == "voila" else find_spec(name),
    )

    result = run("demo", "--voila")

    assert result.exit_code == 1
    assert "pip install 'voila" in result.output
    assert exec_calls == []


def test_demo_voila_keeps_a_given_port_and_wait(exec_calls: list[tuple[list[str], Any]]) -> None:
    result = run("demo", "--voila", "--port", "8866", env={"WORKATO_DEMO_WAIT_SECONDS": "5"})

    assert result.output == "Serving the demo dashboard at http://localhost:8866/\n"
    ((argv, env),) = exec_calls
    assert "--port=8866" in argv
    assert "--no-browser" not in argv
    assert env["WORKATO_DEMO_WAIT_SECONDS"] == "5"


def test_demo_copies_the_packaged_notebook_when_not_in_a_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cli_demo, "_CHECKOUT_DEMO", tmp_path / "absent.ipynb")
    packaged = tmp_path / "pkg"
    (packaged / "notebooks").mkdir(parents=True)
    (packaged / "notebooks" / "demo.ipynb").write_text("{}")
    monkeypatch.setattr(cli_demo.resources, "files", lambda _name: packaged)

    target = cli.demo_notebook(tmp_path / "work")

    assert target == (tmp_path / "work" / "demo.ipynb").resolve()
    assert target.read_text() == "{}"


def test_connections_refuses_an_empty_customer_with_a_message_not_a_traceback() -> None:
    for extra in ((), ("--external-id",)):
        result = run(
            "connections", "--customer", "", *extra, "--base-url", "http://127.0.0.1:9",
            env={"WORKATO_API_TOKEN": "t" * 40},
        )  # fmt: skip

        assert result.exit_code == 2, result.output
        assert "is empty" in result.output
        assert "Traceback" not in result.output


def test_recipes_prints_a_table_of_the_customers_recipes() -> None:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", connected=True)
        server.add_connection(2, "jira", connected=True)
        server.add_recipe(101, "Sync leads", connections=[1, 2], running=True)
        server.add_recipe(102, "Tickets", connections=[2], running=True)
        server.fail_connection(2, "invalid credentials")
        server.run_jobs(102, 5)  # stops on the trigger errors limit
        env = {"WORKATO_API_TOKEN": server.api_token}

        every = run("recipes", "--customer", "acme", "--base-url", server.base_url, env=env)
        stopped = run(
            "recipes", "--customer", "acme", "--stopped", "--base-url", server.base_url, env=env
        )

    assert every.exit_code == 0, every.output
    lines = every.output.splitlines()
    assert lines[0].split() == [
        "ID",
        "NAME",
        "STATE",
        "STOP",
        "CAUSE",
        "CONNECTIONS",
        "LAST",
        "RUN",
    ]
    assert lines[1].split()[:4] == ["102", "Tickets", "stopped", "trigger"]
    assert lines[2].split()[:5] == ["101", "Sync", "leads", "running", "1,2"]
    assert [line.split()[0] for line in stopped.output.splitlines()[1:]] == ["102"]
    assert server.api_token not in every.output


def test_jobs_prints_a_recipes_newest_jobs_and_their_errors() -> None:
    with Sandbox() as server:
        server.add_connection(1, "salesforce", connected=True)
        server.add_recipe(101, "Sync", connections=[1], running=True)
        ok = server.run_jobs(101, 2)
        server.lose_connection(1, "the refresh token was revoked")
        (failed,) = server.run_jobs(101)
        args = ("--customer", "acme", "--recipe", "101", "--base-url", server.base_url)
        env = {"WORKATO_API_TOKEN": server.api_token}

        every = run("jobs", *args, env=env)
        only_failed = run("jobs", *args, "--failed", env=env)
        newest = run("jobs", *args, "--limit", "1", env=env)

    assert every.exit_code == 0, every.output
    lines = every.output.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "STARTED", "AT", "TITLE", "ERROR"]
    assert [line.split()[0] for line in lines[1:]] == [failed.id, ok[1].id, ok[0].id]
    assert lines[1].split()[1] == "failed"
    assert "salesforce:" in lines[1]
    assert "revoked" in lines[1]
    assert [line.split()[0] for line in only_failed.output.splitlines()[1:]] == [failed.id]
    assert [line.split()[0] for line in newest.output.splitlines()[1:]] == [failed.id]


@pytest.mark.parametrize("command", [("recipes",), ("jobs", "--recipe", "1")])
def test_recipes_and_jobs_print_one_line_for_an_api_error(command: tuple[str, ...]) -> None:
    with Sandbox() as server:
        unknown = run(*command, "--customer", "nobody", "--base-url", server.base_url,
                      env={"WORKATO_API_TOKEN": server.api_token})  # fmt: skip
        traversal = run(*command, "--customer", "..", "--base-url", server.base_url,
                        env={"WORKATO_API_TOKEN": server.api_token})  # fmt: skip

    assert unknown.exit_code == 1  # Workato refused: not a usage error
    assert traversal.exit_code == 2  # a customer id that is not one path segment: bad input
    for result in (unknown, traversal):
        assert "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert "404" in unknown.output
    assert "'..'" in traversal.output
    assert "dot segment" in traversal.output


def test_a_multi_line_workato_error_is_still_one_line() -> None:
    import threading

    from test_api_hostile import Hostile, Reply

    server = Hostile()
    server.replies["/api/managed_users/acme/recipes"] = Reply(
        500, "Server Error", b'{"message": "first line\\nsecond line\\n\\tthird"}'
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        result = run("recipes", "--customer", "acme", "--base-url", server.base_url,
                     env={"WORKATO_API_TOKEN": "t0ken"})  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()

    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: GET /api/managed_users/acme/recipes answered 500: first line second line third"
    ]
