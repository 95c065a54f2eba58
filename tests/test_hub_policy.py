"""The token service's policy file: what it grants, and errors that name the key and its line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workato_ipywidget.hub import PolicyError, load_policy

GOOD = """\
vendor_id = "v1"
key_file = "key.pem"
allowed_origins = ["https://hub.example.com/"]

[grants]
alice = ["acme", 42]
"group:support" = ["*"]
bob = ["EAM10%3AXV303"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_policy_grants_users_directly_and_through_groups(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))

    assert policy.allows("alice", [], "acme")
    assert policy.allows("alice", [], "42")
    assert not policy.allows("alice", [], "globex")
    assert policy.allows("carol", ["support"], "globex")  # "*" for the group
    assert policy.allows("bob", [], "EAM10%3AXV303")
    assert not policy.allows("bob", ["analysts"], "acme")


def test_defaults_and_paths_relative_to_the_policy_file(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, GOOD))

    assert policy.ttl == 300
    assert policy.cache_max_age == 60
    assert policy.key_file == tmp_path / "key.pem"
    assert policy.allowed_origins == {"https://hub.example.com"}
    assert policy.audit_log is None
    assert policy.passphrase_env is None


@pytest.mark.parametrize(
    ("change", "key", "line", "words"),
    [
        ('ttl = "300"\n', "ttl", 4, "whole seconds"),
        ("cache_max_age = 301\n", "cache_max_age", 4, "1 to 300"),
        ("cache_max_age = 0\n", "cache_max_age", 4, "forever"),
        ('passphrase_env = "s3cret pass"\n', "passphrase_env", 4, "NAME of an environment"),
        ("colour = 1\n", "colour", 4, "unknown key"),
    ],
)
def test_a_wrong_top_level_key_is_named_with_its_line(
    tmp_path: Path, change: str, key: str, line: int, words: str
) -> None:
    text = GOOD.replace("\n\n[grants]", f"\n{change}\n[grants]")

    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, text))

    message = str(caught.value)
    assert f"line {line}: {key}:" in message
    assert words in message
    assert "s3cret pass" not in message


def test_a_wrong_grant_names_the_table_the_key_and_its_line(tmp_path: Path) -> None:
    text = GOOD.replace('bob = ["EAM10%3AXV303"]', 'bob = ["AM10:XV303"]')

    with pytest.raises(PolicyError, match=r"line 8: \[grants\] bob: .*':'.*E<url-encoded id>"):
        load_policy(write(tmp_path, text))


def test_a_grant_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('"group:support" = ["*"]', '"group:support" = "*"')

    with pytest.raises(PolicyError, match=r"line 7: \[grants\] group:support: expected a list"):
        load_policy(write(tmp_path, text))


def test_a_bad_origin_is_named(tmp_path: Path) -> None:
    text = GOOD.replace('["https://hub.example.com/"]', '["hub.example.com"]')

    with pytest.raises(PolicyError, match=r"line 3: allowed_origins: 'hub.example.com'"):
        load_policy(write(tmp_path, text))


@pytest.mark.parametrize("key", ["vendor_id", "key_file", "allowed_origins"])
def test_a_missing_required_key_is_named(tmp_path: Path, key: str) -> None:
    text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(key))

    with pytest.raises(PolicyError, match=rf"{key} is missing"):
        load_policy(write(tmp_path, text))


def test_missing_grants_say_what_the_table_holds(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"\[grants\] is missing.*group:<name>"):
        load_policy(write(tmp_path, GOOD.split("[grants]")[0]))


def test_invalid_toml_says_where(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"not valid TOML.*line 2"):
        load_policy(write(tmp_path, 'vendor_id = "v1"\nkey_file = \n'))


def test_a_missing_policy_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"no policy file at .*nope.toml"):
        load_policy(tmp_path / "nope.toml")
