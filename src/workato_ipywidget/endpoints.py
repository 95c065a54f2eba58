"""Workato data centers and the URLs that embed its pages in an iframe.

Nothing here knows about keys or widgets: it turns a data center (or a vendor's own base URL), a
connection id and an already signed token into the URL an iframe loads.
"""

from __future__ import annotations

import enum
import ipaddress
import re
import urllib.parse
from collections.abc import Iterable

from .checks import check_workato_id
from .redaction import percent_decoded, redact

__all__ = [
    "DataCenter",
    "api_base_url",
    "connection_url",
    "frontend_of",
    "normalize_origin",
    "one_host",
    "origin_of",
    "page_url",
    "resolve_base_url",
    "resolve_data_center",
    "trusted_origins",
    "validate_connection_id",
    "validate_page_path",
    "workato_path",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}
# One DNS label: letters, digits, '-' and '_' (some internal names), no leading/trailing '-'.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
# Whitespace, control characters and backslashes: browsers and urllib disagree about them.
_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_TOKEN_PARAM = re.compile(r"workato_dl_token", re.IGNORECASE)
_MAX_PATH = 2000


class DataCenter(str, enum.Enum):
    """A Workato data center; ``DataCenter("EU")`` and plain strings like ``"eu"`` are accepted."""

    US = "us"
    EU = "eu"
    JP = "jp"
    SG = "sg"
    AU = "au"
    IL = "il"
    TRIAL = "trial"
    CN = "cn"

    @property
    def base_url(self) -> str:
        """The origin this data center's iframes load from (as in Workato's embedding client)."""
        return _BASE_URLS[self]

    @property
    def api_url(self) -> str:
        """The origin of this data center's Embedded API (``<api_url>/api/...``)."""
        return _API_URLS.get(self, _BASE_URLS[self])

    @property
    def trusted_origins(self) -> frozenset[str]:
        """Every origin this data center's pages may post from, the iframe's own included.

        Whether one Workato host redirects to another is not documented, so a view trusts all the
        hosts Workato publishes for the data center; otherwise a redirect would drop every message.
        """
        return _TRUSTED_ORIGINS.get(self, frozenset({_BASE_URLS[self]}))

    def __str__(self) -> str:
        return self.value

    @classmethod
    def _missing_(cls, value: object) -> DataCenter:
        if isinstance(value, str):
            wanted = value.strip().lower()
            for member in cls:
                if member.value == wanted:
                    return member
        choices = ", ".join(member.value for member in cls)
        raise ValueError(
            f"unknown Workato data center {value!r}; expected one of {choices} "
            "(or pass base_url= for a custom host)"
        )


# Iframe hosts. Workato's own embedding client (embedding.workato.com/r/embedding-client.js) loads
# US pages from https://app.workato.com and trusts messages from that origin by default, and its
# samples use app.* hosts everywhere, so the iframe URL of each data center uses that host. The
# seed's https://workato.com and the 2019 docs' https://www.workato.com are trusted as well.
_BASE_URLS: dict[DataCenter, str] = {
    DataCenter.US: "https://app.workato.com",
    DataCenter.EU: "https://app.eu.workato.com",
    DataCenter.JP: "https://app.jp.workato.com",
    DataCenter.SG: "https://app.sg.workato.com",
    DataCenter.AU: "https://app.au.workato.com",
    DataCenter.IL: "https://app.il.workato.com",
    DataCenter.TRIAL: "https://app.trial.workato.com",
    DataCenter.CN: "https://app.workatoapp.cn",
}

# The Embedded API: Workato documents https://www.workato.com/api for the US data center and the
# app.* host of every other one.
_API_URLS: dict[DataCenter, str] = {DataCenter.US: "https://www.workato.com"}

_TRUSTED_ORIGINS: dict[DataCenter, frozenset[str]] = {
    DataCenter.US: frozenset(
        {"https://workato.com", "https://www.workato.com", "https://app.workato.com"}
    ),
}


def resolve_base_url(
    data_center: DataCenter | str | None = "us", base_url: str | None = None
) -> str:
    """Return the base URL to embed from: ``base_url`` when given, else the data center's.

    A ``base_url`` must be https, or plain http on a loopback host (the local sandbox), with no
    path, query, fragment or user info; it comes back as ``scheme://host[:port]``.
    """
    center = None if data_center is None else _data_center(data_center)
    if base_url is not None:
        return _validate_base_url(base_url)
    return resolve_data_center(center).base_url


def api_base_url(data_center: DataCenter | str | None = "us", base_url: str | None = None) -> str:
    """The Embedded API's origin: ``base_url`` when given (checked as for iframes), else the data
    center's API host (``https://www.workato.com`` for the US)."""
    if base_url is not None:
        return _validate_base_url(base_url)
    return resolve_data_center(data_center).api_url


def one_host(data_center: DataCenter | str | None, base_url: str | None) -> DataCenter | str | None:
    """The data center a widget or client uses: "us" when given neither, None with a base_url.

    Args:
        data_center: the data center asked for, or None.
        base_url: the custom origin asked for, or None.

    Returns:
        The data center to resolve (None when `base_url` names the host).

    Raises:
        ValueError: both were given; they would name two hosts.
    """
    if data_center is not None and base_url is not None:
        raise ValueError(
            f"pass data_center= or base_url=, not both (got data_center={str(data_center)!r} "
            f"and base_url={base_url!r}): base_url= names the host itself, data_center= "
            "picks Workato's host for that data center"
        )
    return "us" if base_url is None and data_center is None else data_center


def resolve_data_center(data_center: DataCenter | str | None) -> DataCenter:
    """``data_center`` as a DataCenter, with an error naming the choices when it is missing."""
    if data_center is None:
        choices = ", ".join(member.value for member in DataCenter)
        raise ValueError(
            f"no Workato data center given; pass data_center= (one of {choices}) or base_url="
        )
    return _data_center(data_center)


def trusted_origins(
    data_center: DataCenter | str | None = "us",
    base_url: str | None = None,
    extra: Iterable[str] | None = None,
) -> tuple[str, ...]:
    """The origins a view accepts its iframe's messages from, sorted, the iframe's own first.

    A data center trusts every host Workato publishes for it; a custom ``base_url`` trusts only its
    own origin. ``extra`` adds origins (https, or http on loopback, as for ``base_url``), e.g. the
    host a vendor's proxy redirects to.
    """
    own = resolve_base_url(data_center, base_url)
    origins = {own}
    if base_url is None:
        origins |= resolve_data_center(data_center).trusted_origins
    if extra is not None:
        if isinstance(extra, str):
            raise TypeError(
                "trusted_origins must be a list of origins such as ['https://app.workato.com'], "
                "not a single str"
            )
        for origin in extra:
            try:
                origins.add(_validate_base_url(origin))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"trusted_origins holds a bad origin: {exc}") from None
    return (own, *sorted(origins - {own}))


def connection_url(base_url: str, connection_id: int | str, token: str) -> str:
    """Return the URL of the embedded connection page for ``connection_id``, carrying ``token``."""
    base = _validate_base_url(base_url)
    cid = validate_connection_id(connection_id)
    return f"{base}/direct_link/embedded/connections/{cid}?workato_dl_token={_quoted_token(token)}"


def page_url(base_url: str, path: str, token: str) -> str:
    """Return the direct-link URL that embeds the Workato page at ``path``, carrying ``token``.

    Built as Workato's embedding client builds it: ``<base>/direct_link?workato_dl_path=<path,
    URL-encoded>&workato_dl_token=<token>``.
    """
    base = _validate_base_url(base_url)
    quoted_path = urllib.parse.quote(validate_page_path(path), safe="")
    return (
        f"{base}/direct_link?workato_dl_path={quoted_path}&workato_dl_token={_quoted_token(token)}"
    )


def validate_page_path(path: object) -> str:
    """Check a Workato page path such as ``/recipes?folder_id=7`` and return it unchanged.

    It must start with one ``/``, hold no scheme or host (the host comes from the data center or
    ``base_url``), no whitespace or control characters, and no ``workato_dl_token``: the widget
    signs a fresh token for every view itself.
    """
    if not isinstance(path, str):
        raise TypeError(f"the Workato page path must be a str, not {type(path).__name__}")
    if not path or _UNSAFE_URL_CHARS.search(path):
        raise ValueError(
            f"the Workato page path {path[:80]!r} is empty or holds whitespace or control "
            "characters; expected a path inside Workato such as '/recipes'"
        )
    if len(path) > _MAX_PATH:
        raise ValueError(
            f"the Workato page path is {len(path)} characters long; expected at most {_MAX_PATH}"
        )
    if path.startswith("//") or "://" in path or not path.startswith("/"):
        raise ValueError(
            f"the Workato page path {path[:80]!r} is not a path inside Workato; expected one that "
            "starts with '/', such as '/recipes' (the host comes from the data center or base_url)"
        )
    if _TOKEN_PARAM.search(urllib.parse.unquote(urllib.parse.unquote(path))):
        raise ValueError(
            "the Workato page path holds a workato_dl_token; pass the path alone, such as "
            "'/recipes', and the widget signs a fresh token for every view"
        )
    return path


def workato_path(url: object) -> str | None:
    """Where a Workato page says it is, as a Workato path with its query: ``/recipes/5?tab=jobs``.

    Accepts what a page may post: a path, a full URL on any host, or a direct link
    (``/direct_link?workato_dl_path=...``, unwrapped). Every ``workato_dl_*`` parameter (the
    token among them) and the fragment are dropped. None when ``url`` is no such URL.
    """
    if not isinstance(url, str) or not url or _UNSAFE_URL_CHARS.search(url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme and parts.scheme.lower() not in _DEFAULT_PORTS:
        return None
    path = parts.path or "/"
    if not path.startswith("/"):
        return None
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if path.rstrip("/") == "/direct_link":
        inner = dict(pairs).get("workato_dl_path")
        if inner is None or "direct_link" in inner:
            return None
        return workato_path(inner)
    kept = [
        (_revealed(k), _revealed(v)) for k, v in pairs if not k.lower().startswith("workato_dl_")
    ]
    query = urllib.parse.urlencode(kept, quote_via=urllib.parse.quote)
    path = _revealed(path, quoted=True)
    where = f"{path}?{query}" if query else path
    if redact(percent_decoded(where)) != percent_decoded(where):
        return None  # a secret that survived every step above: keep nothing of this URL
    try:
        return validate_page_path(where)  # e.g. a token parameter written into the path itself
    except ValueError:
        return None


def _revealed(text: str, *, quoted: bool = False) -> str:
    """`text` unchanged, or, when decoding it reveals a secret, its decoded form redacted.

    Redaction runs on what the page posted; decoding can turn a harmless-looking ``%65yJ...`` or
    ``%65%79%4A...`` into a token, so what decoding makes is redacted too. A `quoted` part (the
    path, still percent-encoded) comes back encoded again.
    """
    plain = percent_decoded(text)
    cleaned = redact(plain)
    if cleaned == plain:
        return text
    return urllib.parse.quote(cleaned, safe="/[]") if quoted else cleaned


def origin_of(url: str) -> str:
    """Return the origin (``scheme://host[:port]``, default port dropped) of an http(s) URL."""
    if not isinstance(url, str):
        raise TypeError(f"the URL must be a str, not {type(url).__name__}")
    if _UNSAFE_URL_CHARS.search(url):
        raise ValueError("the URL holds whitespace, control characters or backslashes")
    parts = _split(url, what="URL")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"expected an http or https URL, got scheme {parts.scheme!r}")
    return _origin(scheme, parts, what="URL")


def normalize_origin(origin: object) -> str:
    """Validate a page origin such as ``https://host:8888`` and return it in canonical form.

    Scheme and host are lowercased and the default port dropped, as browsers report origins. A
    single trailing slash is tolerated; a path, query, fragment or user info is not, and neither
    is the opaque origin ``"null"`` (a sandboxed frame or a file:// page has no usable origin).
    """
    if not isinstance(origin, str):  # it often comes straight from the browser: a ValueError too
        raise ValueError(
            f"the origin must be a str (scheme://host[:port]), not {type(origin).__name__}"
        )
    if origin == "null":
        raise ValueError(
            "the page's origin is 'null' (a sandboxed frame or a file:// page); Workato needs "
            "the http(s) origin of the page that embeds its iframe"
        )
    if _UNSAFE_URL_CHARS.search(origin):
        raise ValueError(
            f"the origin {origin!r} holds whitespace, control characters or backslashes; "
            "expected scheme://host[:port]"
        )
    text = _without_trailing_slash(origin)
    parts = _split(text, what="origin")
    scheme = parts.scheme.lower()
    if not _SCHEME.fullmatch(scheme) or not text.lower().startswith(f"{scheme}://"):
        raise ValueError(f"the origin {origin!r} is not of the form scheme://host[:port]")
    if parts.path or "?" in text or "#" in text:
        raise ValueError(
            f"the origin {origin!r} has a path, query or fragment; an origin is only "
            "scheme://host[:port], e.g. 'https://notebooks.example.com'"
        )
    return _origin(scheme, parts, what="origin")


def frontend_of(origin: str) -> str | None:
    """The notebook frontend a page origin belongs to, when it has embedding caveats.

    "vscode" for VS Code's webviews (``vscode-webview://``, ``*.vscode-cdn.net`` on the web),
    "colab" for Colab's output frames (``*-colab.googleusercontent.com``), else None.
    """
    parts = urllib.parse.urlsplit(origin)
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() == "vscode-webview" or host.endswith(".vscode-cdn.net"):
        return "vscode"
    if host.endswith("-colab.googleusercontent.com"):
        return "colab"
    return None


def _data_center(value: DataCenter | str) -> DataCenter:
    if isinstance(value, DataCenter):
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"the data center must be a DataCenter or a str, not {type(value).__name__}"
        )
    return DataCenter(value)


def _validate_base_url(base_url: str) -> str:
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    text = base_url.strip()
    if _UNSAFE_URL_CHARS.search(text):
        raise ValueError(
            f"base_url {base_url!r} holds whitespace, control characters or backslashes; "
            "expected e.g. 'https://app.eu.workato.com'"
        )
    text = _without_trailing_slash(text)
    parts = _split(text, what="base_url")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not text.lower().startswith(f"{scheme}://"):
        raise ValueError(
            f"base_url {base_url!r} is not an https URL; expected e.g. 'https://app.eu.workato.com'"
        )
    if parts.path or "?" in text or "#" in text:
        raise ValueError(
            f"base_url {base_url!r} has a path, query or fragment; expected only "
            "scheme://host[:port], e.g. 'https://app.eu.workato.com'"
        )
    origin = _origin(scheme, parts, what="base_url")
    if scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise ValueError(
            f"base_url {base_url!r} uses plain http on a non-loopback host, which would send "
            "signed tokens unencrypted; use https (plain http is allowed only on localhost, "
            "127.0.0.0/8 or [::1], for the local sandbox)"
        )
    return origin


def _without_trailing_slash(text: str) -> str:
    return text[:-1] if text.endswith("/") and not text.endswith("://") else text


def _split(text: str, *, what: str) -> urllib.parse.SplitResult:
    try:
        return urllib.parse.urlsplit(text)
    except ValueError:  # e.g. a bracketed host that is no IPv6 address
        raise ValueError(f"the {what} {text!r} is not a valid URL") from None


def _origin(scheme: str, parts: urllib.parse.SplitResult, *, what: str) -> str:
    """Rebuild ``scheme://host[:port]`` from split parts, refusing user info and bad hosts/ports."""
    if "@" in parts.netloc:
        raise ValueError(f"the {what} must not hold user info (user:password@)")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError(f"the {what} has no host; expected scheme://host[:port]")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the {what} has an invalid port; expected a number 1-65535") from None
    if port == 0:
        raise ValueError(f"the {what} has port 0; expected a number 1-65535")
    if parts.netloc.endswith(":"):
        raise ValueError(f"the {what} has an empty port after ':'")
    bracketed = parts.netloc.rsplit("@", 1)[-1].startswith("[")
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"the {what} has an invalid IPv6 host [{host}]") from None
        host = f"[{host}]"
    elif not host.isascii():
        raise ValueError(
            f"the {what} has a non-ASCII host {host!r}; write it in its punycode (xn--) form"
        )
    elif not _HOSTNAME.fullmatch(host) or (_looks_numeric(host) and not _is_ipv4(host)):
        raise ValueError(f"the {what} has an invalid host name {host!r}")
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _looks_numeric(host: str) -> bool:
    return all(label.isdigit() for label in host.rstrip(".").split("."))


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_connection_id(connection_id: int | str) -> int:
    """Return a Workato connection id (a positive int, or a string of digits) as an int."""
    return check_workato_id("the connection id", connection_id)


def _quoted_token(token: str) -> str:
    if not isinstance(token, str):
        raise TypeError(f"the token must be a str, not {type(token).__name__}")
    if not token:
        raise ValueError("the token is empty; expected a signed JWT (see TokenSigner.sign)")
    return urllib.parse.quote(token, safe="")
