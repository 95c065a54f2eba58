"""The site's threat model page says what SECURITY.md says, and names only tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sections(text: str) -> str:
    return text.split("## Reporting a vulnerability", 1)[1]


def test_the_threat_model_page_holds_security_md_word_for_word() -> None:
    repository = (REPO / "SECURITY.md").read_text()
    page = (REPO / "docs" / "security.md").read_text()

    assert sections(page) == sections(repository)


def test_every_python_test_the_threat_model_names_exists() -> None:
    text = (REPO / "SECURITY.md").read_text()
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)", text))
    assert len(named) > 30
    missing = []
    for path, name in sorted(named):
        source = REPO / path
        if not source.is_file() or f"def {name}(" not in source.read_text():
            missing.append(f"{path}::{name}")
    assert missing == []
