"""Data centers, base URL overrides, origins and the URLs that embed Workato's pages."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workato_ipywidget.endpoints import (
    DataCenter,
    api_base_url,
    connection_url,
    normalize_origin,
    origin_of,
    page_url,
    resolve_base_url,
    trusted_origins,
    validate_connection_id,
)

TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2OmMifQ.c2ln-_"

# --- data centers ---------------------------------------------------------------------------------


# Each data center's iframe host (as Workato's embedding client uses) and Embedded API host.
HOSTS = [
    (DataCenter.US, "https://app.workato.com", "https://www.workato.com"),
    (DataCenter.EU, "https://app.eu.workato.com", "https://app.eu.workato.com"),
    (DataCenter.JP, "https://app.jp.workato.com", "https://app.jp.workato.com"),
    (DataCenter.SG, "https://app.sg.workato.com", "https://app.sg.workato.com"),
    (DataCenter.AU, "https://app.au.workato.com", "https://app.au.workato.com"),
    (DataCenter.IL, "https://app.il.workato.com", "https://app.il.workato.com"),
    (DataCenter.TRIAL, "https://app.trial.workato.com", "https://app.trial.workato.com"),
    (DataCenter.CN, "https://app.workatoapp.cn", "https://app.workatoapp.cn"),
]


@pytest.mark.parametrize(("center", "url", "api"), HOSTS)
def test_each_data_center_has_its_base_url(center: DataCenter, url: str, api: str) -> None:
    assert center.base_url == url
    assert resolve_base_url(center) == url
    assert resolve_base_url(center.value) == url


@pytest.mark.parametrize("text", ["eu", "EU", " Eu "])
def test_a_data_center_may_be_named_by_a_string_in_any_case(text: str) -> None:
    assert DataCenter(text) is DataCenter.EU
    assert resolve_base_url(text) == "https://app.eu.workato.com"


def test_a_data_center_is_a_str_that_prints_as_its_name() -> None:
    assert DataCenter.JP == "jp"
    assert str(DataCenter.JP) == "jp"
    assert f"{DataCenter.JP}" == "jp"


@pytest.mark.parametrize("text", ["mars", "", "app.eu.workato.com"])
def test_an_unknown_data_center_is_refused_naming_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="unknown Workato data center") as caught:
        resolve_base_url(text)

    assert "us, eu, jp, sg, au, il, trial, cn" in str(caught.value)


@pytest.mark.parametrize(("center", "url", "api"), HOSTS)
def test_each_data_center_has_the_api_host_workato_documents(
    center: DataCenter, url: str, api: str
) -> None:
    assert center.api_url == api
    assert api_base_url(center.value) == api


def test_a_custom_api_base_url_is_checked_like_an_iframe_base_url() -> None:
    assert api_base_url(base_url="http://127.0.0.1:9/") == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="plain http on a non-loopback host"):
        api_base_url(base_url="http://workato.example.com")


def test_us_pages_are_trusted_from_every_host_workato_publishes() -> None:
    assert trusted_origins("us") == (
        "https://app.workato.com",
        "https://workato.com",
        "https://www.workato.com",
    )


@pytest.mark.parametrize("center", [c for c in DataCenter if c is not DataCenter.US])
def test_other_data_centers_trust_only_their_own_host(center: DataCenter) -> None:
    assert trusted_origins(center) == (center.base_url,)
    assert center.trusted_origins == frozenset({center.base_url})


def test_a_custom_base_url_trusts_itself_plus_the_origins_the_user_adds() -> None:
    origins = trusted_origins(
        base_url="https://embed.vendor.example",
        extra=["https://login.vendor.example/", "http://localhost:8999"],
    )

    assert origins == (
        "https://embed.vendor.example",
        "http://localhost:8999",
        "https://login.vendor.example",
    )
    assert trusted_origins(base_url="https://embed.vendor.example") == (
        "https://embed.vendor.example",
    )


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["http://proxy.example.com"], "plain http on a non-loopback host"),
        (["https://a.example/path"], "has a path, query or fragment"),
        (["javascript:alert(1)"], "is not an https URL"),
        ([3], "must be a str"),
    ],
)
def test_a_bad_trusted_origin_is_refused_naming_it(extra: list[object], match: str) -> None:
    with pytest.raises(ValueError, match="trusted_origins holds a bad origin") as caught:
        trusted_origins(base_url="https://embed.vendor.example", extra=extra)  # type: ignore[arg-type]

    assert re.search(match, str(caught.value))


def test_trusted_origins_as_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a list of origins"):
        trusted_origins("eu", extra="https://app.eu.workato.com")


def test_a_data_center_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="data center must be a DataCenter or a str"):
        resolve_base_url(3)  # type: ignore[arg-type]


def test_the_default_data_center_is_us() -> None:
    assert resolve_base_url() == "https://app.workato.com"


def test_no_data_center_and_no_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="no Workato data center given"):
        resolve_base_url(None)


# --- base_url overrides ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://workato.example.com", "https://workato.example.com"),
        ("https://workato.example.com/", "https://workato.example.com"),
        ("HTTPS://Workato.Example.COM:443", "https://workato.example.com"),
        ("https://workato.example.com:8443", "https://workato.example.com:8443"),
        ("  https://app.workato.com/  ", "https://app.workato.com"),
        ("http://localhost:8765", "http://localhost:8765"),
        ("http://LOCALHOST", "http://localhost"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
        ("http://127.8.9.10", "http://127.8.9.10"),
        ("http://[::1]:9000", "http://[::1]:9000"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ],
)
def test_a_base_url_override_wins_and_is_normalized(given: str, expected: str) -> None:
    assert resolve_base_url("eu", given) == expected
    assert resolve_base_url(None, given) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://workato.example.com",
        "http://10.0.0.5:8000",
        "http://128.0.0.1",
        "http://localhost.example.com",
        "http://[::2]",
    ],
)
def test_plain_http_is_refused_off_loopback(url: str) -> None:
    with pytest.raises(ValueError, match="plain http on a non-loopback host"):
        resolve_base_url(base_url=url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://workato.example.com/embedded", "path, query or fragment"),
        ("https://workato.example.com?x=1", "path, query or fragment"),
        ("https://workato.example.com#top", "path, query or fragment"),
        ("https://workato.example.com?", "path, query or fragment"),
        ("https://user:pw@workato.example.com", "user info"),
        ("ftp://workato.example.com", "not an https URL"),
        ("javascript:alert(1)", "not an https URL"),
        ("workato.example.com", "not an https URL"),
        ("https:workato.example.com", "not an https URL"),
        ("https://", "no host"),
        ("https://workato.example.com:99999", "invalid port"),
        ("https://workato.example.com:0", "port 0"),
        ("https://workato.example.com:", "empty port"),
        ("https://work ato.example.com", "whitespace"),
        ("https://workato.example.com\\@evil.com", "backslashes"),
        ("https://exa<mple.com", "invalid host name"),
        ("https://999.1.1.1", "invalid host name"),
        ("https://[nope]", "not a valid URL"),
        ("https://bücher.example", "punycode"),
    ],
)
def test_a_malformed_base_url_is_refused_saying_why(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        resolve_base_url(base_url=url)

    assert problem in str(caught.value)


def test_a_base_url_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="base_url must be a str"):
        resolve_base_url(base_url=b"https://workato.com")  # type: ignore[arg-type]


# --- connection and page URLs ---------------------------------------------------------------------


def test_connection_url_has_workatos_shape() -> None:
    url = connection_url("https://app.eu.workato.com/", 1234, TOKEN)

    assert url == (
        f"https://app.eu.workato.com/direct_link/embedded/connections/1234?workato_dl_token={TOKEN}"
    )


@pytest.mark.parametrize(("given", "expected"), [(1, 1), (98765, 98765), ("42", 42), ("007", 7)])
def test_a_connection_id_is_a_positive_int_or_digits(given: int | str, expected: int) -> None:
    assert validate_connection_id(given) == expected
    assert f"/connections/{expected}?" in connection_url("https://workato.com", given, TOKEN)


@pytest.mark.parametrize("bad", [0, -3, "0", "", "12a", " 12", "-1", "1e3", "١٢", "²"])
def test_a_connection_id_that_is_not_positive_digits_is_refused(bad: int | str) -> None:
    with pytest.raises(ValueError, match="connection id"):
        connection_url("https://workato.com", bad, TOKEN)


@pytest.mark.parametrize("bad", [True, False, 1.0, None, [1]])
def test_a_connection_id_of_the_wrong_type_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="connection id must be a positive int"):
        validate_connection_id(bad)  # type: ignore[arg-type]


def test_the_token_is_url_encoded() -> None:
    url = connection_url("https://workato.com", 1, "a+b/c=d&e f?#")

    assert url.endswith("?workato_dl_token=a%2Bb%2Fc%3Dd%26e%20f%3F%23")


@given(st.text(min_size=1))
def test_any_token_survives_the_round_trip_through_the_url(token: str) -> None:
    url = connection_url("https://workato.com", 5, token)

    query = parse_qs(urlsplit(url).query, keep_blank_values=True, errors="surrogatepass")
    assert query == {"workato_dl_token": [token]}


@pytest.mark.parametrize("bad", ["", None])
def test_an_empty_or_missing_token_is_refused(bad: str | None) -> None:
    with pytest.raises((ValueError, TypeError), match="token"):
        connection_url("https://workato.com", 1, bad)  # type: ignore[arg-type]


def test_connection_url_checks_its_base_url_too() -> None:
    with pytest.raises(ValueError, match="plain http on a non-loopback host"):
        connection_url("http://workato.com", 1, TOKEN)


def test_page_url_encodes_the_path_and_the_token() -> None:
    url = page_url("https://workato.com", "/recipes/12?tab=jobs", "a+b")

    assert url == (
        "https://workato.com/direct_link?workato_dl_path=%2Frecipes%2F12%3Ftab%3Djobs"
        "&workato_dl_token=a%2Bb"
    )


@pytest.mark.parametrize("path", ["", "//evil.example/x", "https://evil.example/", "/a b"])
def test_a_page_path_that_is_empty_or_a_url_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="page path"):
        page_url("https://workato.com", path, TOKEN)


# --- origins --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://workato.com/direct_link/embedded/connections/1?x=y", "https://workato.com"),
        ("HTTPS://App.EU.Workato.com:443/a", "https://app.eu.workato.com"),
        ("http://127.0.0.1:80/", "http://127.0.0.1"),
        ("http://127.0.0.1:8765/direct_link", "http://127.0.0.1:8765"),
        ("http://[::1]:9/", "http://[::1]:9"),
    ],
)
def test_origin_of_keeps_scheme_host_and_a_non_default_port(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("url", ["ftp://x.example", "/relative/path", "javascript:alert(1)", ""])
def test_origin_of_refuses_anything_but_http_and_https(url: str) -> None:
    with pytest.raises(ValueError, match="http or https"):
        origin_of(url)


def test_origin_of_refuses_a_url_with_user_info() -> None:
    with pytest.raises(ValueError, match="user info"):
        origin_of("https://user@host.example/x")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://localhost:8888", "http://localhost:8888"),
        ("https://Notebooks.Example.com", "https://notebooks.example.com"),
        ("https://notebooks.example.com:443", "https://notebooks.example.com"),
        ("https://notebooks.example.com/", "https://notebooks.example.com"),
        ("http://[::1]:8888", "http://[::1]:8888"),
        ("vscode-webview://1abc2def", "vscode-webview://1abc2def"),
    ],
)
def test_a_page_origin_is_normalized_as_browsers_report_it(given: str, expected: str) -> None:
    assert normalize_origin(given) == expected


@pytest.mark.parametrize(
    ("origin", "problem"),
    [
        ("null", "'null'"),
        ("", "scheme://host"),
        ("localhost:8888", "scheme://host"),
        ("https://example.com/lab", "path"),
        ("https://example.com?x", "query"),
        ("https://example.com#x", "fragment"),
        ("https://u:p@example.com", "user info"),
        ("https://example.com:70000", "port"),
        ("https://exam ple.com", "whitespace"),
        ("https:///", "no host"),
    ],
)
def test_a_malformed_page_origin_is_refused_saying_why(origin: str, problem: str) -> None:
    with pytest.raises(ValueError, match="origin") as caught:
        normalize_origin(origin)

    assert problem in str(caught.value)


@pytest.mark.parametrize("origin", [None, 8888, {"origin": "https://x"}])
def test_an_origin_that_is_not_a_str_is_a_value_error(origin: object) -> None:
    with pytest.raises(ValueError, match="origin must be a str"):
        normalize_origin(origin)
