"""Griffe extension: the API clients' methods, documented from the live classes.

`EmbeddedApi` and `AsyncEmbeddedApi` build each method at import time from one plan in
`calls.py` (one implementation for both clients), so static analysis sees only assignments.
This fills those members in from the imported classes, with the signatures and docstrings the
methods carry at run time.
"""

from __future__ import annotations

from typing import Any

import griffe

CLIENTS = frozenset({"EmbeddedApi", "AsyncEmbeddedApi"})


class LiveClientMethods(griffe.Extension):
    """Replace the clients' statically unknown members with the inspected methods."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        if cls.name not in CLIENTS or cls.module.path != "workato_ipywidget.api":
            return
        live = griffe.inspect(cls.module.path)[cls.name]
        for name, member in live.members.items():
            if name.startswith("_") or not member.is_function:
                continue
            known = cls.members.get(name)
            if known is None or not known.is_function:
                if member.docstring is not None and cls.docstring is not None:
                    # parse them as the class's own docstring is parsed (Google style)
                    member.docstring.parser = cls.docstring.parser
                    member.docstring.parser_options = cls.docstring.parser_options
                cls.set_member(name, member)
