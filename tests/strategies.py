"""Hypothesis strategies for hostile page input, shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from workato_ipywidget.protocol import MAX_STRING, MAX_TYPE_LENGTH

KNOWN_TYPES = [
    "heightChange",
    "connectionStatusChange",
    "error",
    "loaded",
    "navigated",
    "unloaded",
    "click",
]
FIELDS = ["height", "connected", "provider", "id", "error", "message", "type", "details", "url"]
FIELDS += ["replaced"]

# Text that stresses the caps: long strings, and token-shaped words that redaction rewrites.
long_text = st.integers(min_value=MAX_STRING - 5, max_value=3 * MAX_STRING).map(lambda n: "é" * n)
token_words = st.integers(min_value=1, max_value=400).map(lambda n: "eyJabcd " * n)
texts = st.text(max_size=20) | long_text | token_words
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
payloads = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)
types = st.sampled_from(KNOWN_TYPES) | st.text(max_size=MAX_TYPE_LENGTH + 5) | texts | json_values
messages = st.fixed_dictionaries(
    {"type": types}, optional={"payload": payloads | json_values, "error": json_values}
)
