"""The token service's policy: a TOML file saying whose key signs and who may act for whom.

```toml
vendor_id = "acme-vendor"
key_file = "/etc/jupyterhub/workato.pem"
passphrase_env = "WORKATO_KEY_PASSPHRASE"   # optional: the variable's NAME, never the passphrase
ttl = 300                                   # seconds; tokens carry exp = iat + ttl
allowed_origins = ["https://hub.example.com"]
audit_log = "/var/log/jupyterhub/workato-audit.jsonl"   # optional
cache_max_age = 60                          # seconds a hub token lookup is cached (1-300)

[grants]
alice = ["acme", "EAM10%3AXV303"]           # customer ids as in a token's sub; "*" for all
"group:support" = ["*"]
```

Every mistake is reported with the key and the line it is on, when the service starts, not when
the first user asks for a token.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..endpoints import normalize_origin
from ..token import id_segment

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ALL_CUSTOMERS", "GROUP_PREFIX", "Policy", "PolicyError", "load_policy"]

ALL_CUSTOMERS = "*"
GROUP_PREFIX = "group:"
MAX_CACHE_AGE = 300
_KNOWN = {
    "vendor_id",
    "key_file",
    "passphrase_env",
    "ttl",
    "allowed_origins",
    "audit_log",
    "cache_max_age",
    "grants",
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file, the key and its line."""


@dataclass(frozen=True)
class Policy:
    """A checked policy. Build it with `load_policy`; nothing here holds key material.

    Args:
        path: the TOML file it was read from.
        vendor_id: the vendor id that starts every token's ``sub``.
        key_file: the RSA private key (PEM) the service signs with.
        passphrase_env: the name of the environment variable holding the key's passphrase.
        ttl: token lifetime in seconds.
        allowed_origins: the notebook origins a token may name, normalized.
        audit_log: a file the audit lines are appended to, besides stdout.
        cache_max_age: seconds a hub token lookup is cached.
        user_grants: customer segments (or ``"*"``) by hub user name.
        group_grants: customer segments (or ``"*"``) by hub group name.
    """

    path: Path
    vendor_id: str
    key_file: Path
    passphrase_env: str | None = None
    ttl: int = 300
    allowed_origins: frozenset[str] = frozenset()
    audit_log: Path | None = None
    cache_max_age: int = 60
    user_grants: Mapping[str, frozenset[str]] = field(default_factory=dict)
    group_grants: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def customers_for(self, user: str, groups: Iterable[str]) -> frozenset[str]:
        """Every customer segment (or ``"*"``) the user may act for, directly or by a group."""
        found = set(self.user_grants.get(user, ()))
        for group in groups:
            found |= self.group_grants.get(group, frozenset())
        return frozenset(found)

    def allows(self, user: str, groups: Iterable[str], customer: str) -> bool:
        """Whether the user (or one of their groups) is granted the customer segment."""
        granted = self.customers_for(user, groups)
        return ALL_CUSTOMERS in granted or customer in granted


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and check a policy file.

    Args:
        path: the TOML policy file.

    Returns:
        The checked policy; relative paths in it are taken from the file's directory.

    Raises:
        PolicyError: the file is missing, not TOML, or a key is missing or wrong; the message
            names the key and its line.
    """
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"no policy file at {str(file)!r}; check the --policy path") from None
    except OSError as exc:
        raise PolicyError(
            f"cannot read the policy file {str(file)!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{file}: not valid TOML: {exc}") from None
    return _Checker(file, text).policy(data)


class _Checker:
    """Checks one parsed policy, knowing its text so that every error can name a line."""

    def __init__(self, file: Path, text: str) -> None:
        self.file = file
        self.lines = text.splitlines()

    def fail(self, key: str, message: str, table: str | None = None) -> PolicyError:
        line = self.line_of(key, table)
        where = f"{self.file}, line {line}" if line else str(self.file)
        shown = f"[{table}] {key}" if table else key
        return PolicyError(f"{where}: {shown}: {message}")

    def line_of(self, key: str, table: str | None) -> int | None:
        """The 1-based line where `key` is set in `table` (None: the top level)."""
        current: str | None = None
        wanted = re.compile(
            rf"""\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*="""
        )
        for number, line in enumerate(self.lines, start=1):
            header = re.match(r"\s*\[([^\[\]]+)\]", line)
            if header:
                current = header.group(1).strip()
                if table is None and current == key:
                    return number
                continue
            if current == table and wanted.match(line):
                return number
        return None

    def policy(self, data: dict[str, Any]) -> Policy:
        unknown = sorted(set(data) - _KNOWN)
        if unknown:
            raise self.fail(unknown[0], f"unknown key; expected one of {', '.join(sorted(_KNOWN))}")
        vendor_id = self.required_str(data, "vendor_id", "your Workato vendor id")
        if ":" in vendor_id:
            raise self.fail("vendor_id", "must not contain ':' (it separates sub segments)")
        key_file = self.path(self.required_str(data, "key_file", "the path of the PEM key"))
        passphrase_env = data.get("passphrase_env")
        if passphrase_env is not None and (
            not isinstance(passphrase_env, str) or not _ENV_NAME.fullmatch(passphrase_env)
        ):
            raise self.fail(
                "passphrase_env",
                "expected the NAME of an environment variable (like WORKATO_KEY_PASSPHRASE) "
                "that holds the passphrase, never the passphrase itself",
            )
        audit = data.get("audit_log")
        if audit is not None and (not isinstance(audit, str) or not audit):
            raise self.fail("audit_log", "expected the path of a file to append audit lines to")
        return Policy(
            path=self.file,
            vendor_id=vendor_id,
            key_file=key_file,
            passphrase_env=passphrase_env,
            ttl=self.seconds(data, "ttl", 300, 1, 86_400),
            allowed_origins=self.origins(data),
            audit_log=None if audit is None else self.path(audit),
            cache_max_age=self.cache_age(data),
            **self.grants(data),
        )

    def required_str(self, data: dict[str, Any], key: str, what: str) -> str:
        value = data.get(key)
        if value is None:
            raise PolicyError(f"{self.file}: {key} is missing; expected {what}")
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"expected {what} as a non-empty string")
        return value

    def path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.file.parent / path

    def seconds(self, data: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"expected whole seconds from {low} to {high}, got {value!r}")
        return value

    def cache_age(self, data: dict[str, Any]) -> int:
        value = data.get("cache_max_age", 60)
        if value == 0 and not isinstance(value, bool):
            raise self.fail(
                "cache_max_age",
                "0 would make JupyterHub cache a token lookup forever (revoked tokens would keep "
                f"working); expected whole seconds from 1 to {MAX_CACHE_AGE}",
            )
        return self.seconds(data, "cache_max_age", 60, 1, MAX_CACHE_AGE)

    def origins(self, data: dict[str, Any]) -> frozenset[str]:
        value = data.get("allowed_origins")
        example = 'allowed_origins = ["https://hub.example.com"]'
        if value is None:
            raise PolicyError(
                f"{self.file}: allowed_origins is missing; expected the origins of the notebook "
                f"pages tokens are for, e.g. {example}"
            )
        if not isinstance(value, list) or not value:
            raise self.fail("allowed_origins", f"expected a non-empty list, e.g. {example}")
        origins = set()
        for item in value:
            try:
                origins.add(normalize_origin(item))
            except (TypeError, ValueError) as exc:
                raise self.fail("allowed_origins", f"{item!r} is not an origin: {exc}") from None
        return frozenset(origins)

    def grants(self, data: dict[str, Any]) -> dict[str, dict[str, frozenset[str]]]:
        table = data.get("grants")
        if table is None:
            raise PolicyError(
                f"{self.file}: [grants] is missing; expected a table of user names or "
                '"group:<name>" to lists of customer ids, e.g. alice = ["acme"]'
            )
        if not isinstance(table, dict):
            raise self.fail("grants", "expected a table: [grants]")
        users: dict[str, frozenset[str]] = {}
        groups: dict[str, frozenset[str]] = {}
        for name, customers in table.items():
            is_group = name.startswith(GROUP_PREFIX)
            who = name[len(GROUP_PREFIX) :] if is_group else name
            if not who:
                raise self.fail(name, "expected a user name or group:<group name>", "grants")
            (groups if is_group else users)[who] = self.customers(name, customers)
        return {"user_grants": users, "group_grants": groups}

    def customers(self, name: str, value: object) -> frozenset[str]:
        expected = (
            'expected a list of customer ids (strings or integers; "*" for every customer; '
            'an external id written "E<url-encoded id>")'
        )
        if not isinstance(value, list):
            raise self.fail(name, expected, "grants")
        found = set()
        for item in value:
            if item == ALL_CUSTOMERS:
                found.add(ALL_CUSTOMERS)
                continue
            try:
                found.add(id_segment(item, "customer id"))
            except (TypeError, ValueError) as exc:
                raise self.fail(name, f"{exc}; {expected}", "grants") from None
        return frozenset(found)
