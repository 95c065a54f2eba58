"""Every failure of the command line is one line in its own words (issue 18, items 10 to 12).

One line naming the flag and what to do, exit status 2 for bad input, the flags' names where the
library's messages say `passphrase=` or `base_url=`, a plain warning line for a key file others can
read, and a sandbox whose API token the user is told. Through click's runner and a real process.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from cli_runs import cli_process, run, serving_sandbox
from cryptography.hazmat.primitives import serialization


def pem_file(path: Path, key: Any, *, private: bool = True, mode: int = 0o600) -> Path:
    if private:
        data = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    else:
        data = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    path.write_bytes(data)
    path.chmod(mode)
    return path


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert "Traceback" not in output
    return lines[0]


@pytest.fixture
def private_pem(tmp_path: Path, rsa_key: Any) -> Path:
    return pem_file(tmp_path / "private.pem", rsa_key)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.pem"
    os.mkfifo(path)
    return path


TOKEN = ("token", "--vendor-id", "v1", "--customer-id", "c1")


@pytest.mark.parametrize(
    ("args", "flag", "says"),
    [
        (("--ttl", "86401"), "--ttl", "at most 86400 seconds (a day)"),
        (("--ttl", "9" * 400), "--ttl", "at most 86400 seconds (a day)"),
        (("--ttl", "soon"), "--ttl", "is not a valid integer"),
        (("--origin", "not an origin"), "--origin", "origin"),
        (("--user-id", "a:b"), "--user-id", "add --external-ids"),
    ],
)
def test_a_bad_token_option_is_one_line_naming_it_with_status_2(
    private_pem: Path, args: tuple[str, ...], flag: str, says: str
) -> None:
    result = run(*TOKEN, "--key", str(private_pem), *args)

    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert flag in line
    assert says in line
    assert len(line) < 400  # a 400-digit ttl is not echoed


@pytest.mark.parametrize("where", ["/dev/zero", "fifo"])
def test_token_refuses_a_key_that_is_no_regular_file_before_reading_it(
    fifo: Path, where: str
) -> None:
    key = str(fifo) if where == "fifo" else where

    result = run(*TOKEN, "--key", key)

    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "--key" in line
    assert "is not a regular file" in line


def test_token_names_its_flags_not_python_parameters(tmp_path: Path, rsa_key: Any) -> None:
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    encrypted.chmod(0o600)
    plain = pem_file(tmp_path / "plain.pem", rsa_key)

    without = run(*TOKEN, "--key", str(encrypted))
    extra = run(*TOKEN, "--key", str(plain), "--passphrase-env", "PW", env={"PW": "pw"})

    assert "--passphrase-env" in one_error_line(without.output)
    assert "leave out --passphrase-env" in one_error_line(extra.output)
    for result in (without, extra):
        assert result.exit_code == 2
        assert "passphrase=" not in result.output


@pytest.mark.parametrize("private", [True, False])
def test_a_key_file_others_can_read_is_one_plain_warning_line(
    tmp_path: Path, rsa_key: Any, private: bool
) -> None:
    key = pem_file(tmp_path / "key.pem", rsa_key, private=private, mode=0o644)

    result = run(*TOKEN, "--key", str(key))

    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1, result.output
    assert "chmod 600" in warnings[0]
    assert "UserWarning" not in result.output
    assert not re.search(r"\.py:\d+", result.output)  # no Python source location
    if private:
        assert result.exit_code == 0
        assert result.output.splitlines()[-1].startswith("eyJ")
    else:  # a public key: refused, on one line after the warning
        assert result.exit_code == 2
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1
        assert len(result.output.splitlines()) == 2


def test_a_missing_option_is_one_line_pointing_to_help() -> None:
    result = run("token", "--customer-id", "c1")

    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "--vendor-id" in line
    assert "workato-ipywidget token --help" in line


@pytest.mark.parametrize(
    ("args", "flag", "says"),
    [
        (("--register-key", "v=PRIVATE"), "--register-key", "openssl rsa -in"),
        (("--register-key", "v=/dev/zero"), "--register-key", "is not a regular file"),
        (("--register-key", "v=FIFO"), "--register-key", "is not a regular file"),
        (("--register-key", "v"), "--register-key", "VENDOR=PEM_PATH"),
        (("--allowed-origin", "http://x/a/path"), "--allowed-origin", "origin"),
        (("--api-token-env", "UNSET_VAR_FOR_TEST"), "--api-token-env", "export"),
        (("--connection", "1:jira", "--connection", "1:box"), "--connection", "given twice"),
    ],
)
def test_a_bad_sandbox_option_is_one_line_naming_it_with_status_2(
    private_pem: Path, fifo: Path, args: tuple[str, ...], flag: str, says: str
) -> None:
    args = tuple(a.replace("PRIVATE", str(private_pem)).replace("FIFO", str(fifo)) for a in args)

    result = run("sandbox", *args, env={"UNSET_VAR_FOR_TEST": None})

    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert flag in line
    assert says in line
    assert "BEGIN" not in line


def test_connections_refuses_a_data_center_and_a_base_url_together() -> None:
    result = run(
        "connections", "--customer", "acme", "--data-center", "eu",
        "--base-url", "http://127.0.0.1:9", env={"WORKATO_API_TOKEN": "t" * 40},
    )  # fmt: skip

    assert result.exit_code == 2
    line = one_error_line(result.output)
    assert "--data-center" in line
    assert "--base-url" in line


def test_connections_to_an_unreachable_host_is_one_line_in_cli_words() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # closed again below: nothing listens there

    result = run(
        "connections", "--customer", "acme", "--base-url", f"http://127.0.0.1:{port}",
        env={"WORKATO_API_TOKEN": "t" * 40},
    )  # fmt: skip

    assert result.exit_code == 1
    line = one_error_line(result.output)
    assert "127.0.0.1" in line
    assert "base_url=" not in line
    assert "data_center=" not in line


def test_a_sandbox_on_a_taken_port_is_one_line_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        process = cli_process("sandbox", "--port", str(port))

    assert process.returncode == 2, process.stderr
    line = one_error_line(process.stderr)
    assert f"--port: port {port} on 127.0.0.1 is already in use" in line
    assert "choose another --port" in line
    assert process.stdout == ""


def test_a_sandbox_given_a_private_key_to_register_is_one_line(private_pem: Path) -> None:
    process = cli_process("sandbox", "--register-key", f"v={private_pem}")

    assert process.returncode == 2
    line = one_error_line(process.stderr)
    assert "--register-key" in line
    assert "public half" in line


def test_a_sandbox_off_loopback_warns_before_anything_else() -> None:
    # 192.0.2.1 is TEST-NET-1: no address of this machine, so nothing is bound.
    result = run("sandbox", "--host", "192.0.2.1")

    lines = result.output.splitlines()
    assert lines[0].startswith("warning: --host 192.0.2.1 is not a loopback address")
    assert result.exit_code == 2
    assert lines[1].startswith("error: --host: cannot listen on 192.0.2.1")
    assert len(lines) == 2


def test_a_sandbox_without_a_chosen_api_token_tells_how_to_use_its_api() -> None:
    with serving_sandbox("--connection", "7:slack") as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        told = [line for line in lines if line.startswith("List its connections: ")]
        assert told, lines
        match = re.fullmatch(
            r"List its connections: WORKATO_API_TOKEN=(\S+) workato-ipywidget connections "
            r"--customer acme --base-url (\S+)\n",
            told[0],
        )
        assert match, told[0]
        token, base_url = match.groups()
        result = run(
            "connections", "--customer", "acme", "--base-url", base_url,
            env={"WORKATO_API_TOKEN": token},
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split()[:2] == ["7", "slack"]


def test_a_usage_error_in_a_real_process_points_to_the_subcommands_help() -> None:
    process = cli_process("token", "--customer-id", "c1")

    assert process.returncode == 2
    line = one_error_line(process.stderr)
    assert line.endswith("(see: workato-ipywidget token --help)")
