"""An SSRF-safe web fetch for the verification agent.

Only public ``http``/``https`` pages are read. Every hop (redirects are followed by hand) is parsed,
its host resolved once, and refused if *any* address is loopback, private, link-local, a cloud
metadata endpoint, carrier-grade NAT, multicast, reserved or unspecified (numeric host tricks and
IPv4-mapped IPv6 forms included). The connection then goes to the address that was checked (pinned),
while the Host header, TLS SNI and certificate check use the host name, so DNS rebinding between the
check and the connection cannot reach anything else. Environment proxies are never used.
"""

from __future__ import annotations

import codecs
import contextlib
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from http import HTTPStatus
from http.client import HTTPException
from typing import Any, Final, Literal
from urllib.parse import quote, urljoin, urlsplit

from strands import tool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, DecodeError, HTTPError, NewConnectionError
from urllib3.response import HTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from calledit.tool_results import tool_error, tool_ok

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_AGENT: Final = "CalledIt-Verifier/1.0 (+https://github.com/calledit)"
MAX_URL_LENGTH: Final = 2048
ALLOW_LOOPBACK_ENV: Final = "CALLEDIT_FETCH_ALLOW_LOOPBACK"

# Resolver indirection: the one place host names are looked up (tests replace it with a fake DNS).
_getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo

_SHOWN_URL_CHARS: Final = 200
_SHOWN_HOST_CHARS: Final = 100
_READ_CHUNK: Final = 64 * 1024
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Media type -> how the body is turned into text.
_KINDS: Final = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "text/csv": "text",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
}
_ACCEPT: Final = (
    "text/html,application/xhtml+xml,application/json;q=0.9,text/plain;q=0.9,text/csv;q=0.8,"
    "application/xml;q=0.8,text/xml;q=0.8,application/rss+xml;q=0.8,application/atom+xml;q=0.8,*/*;q=0.1"
)

# Names that are cloud metadata services whatever they resolve to.
_METADATA_NAMES: Final = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
_METADATA_ADDRESSES: Final = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, ...
        ipaddress.ip_address("169.254.170.2"),  # ECS task metadata / credentials
        ipaddress.ip_address("fd00:ec2::254"),  # AWS IMDS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)
_CGNAT: Final = ipaddress.ip_network("100.64.0.0/10")
_PRIVATE: Final = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("fc00::/7"),
)
_SITE_LOCAL_V6: Final = ipaddress.ip_network("fec0::/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOSTNAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_NUMERIC_PART = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
_PATH_SAFE: Final = "/%!$&'()*+,;=:@-._~"
_QUERY_SAFE: Final = _PATH_SAFE + "?"


# --------------------------------------------------------------------------------------------- errors


class FetchError(Exception):
    """A page could not be fetched; ``message`` is plain words safe to show the model or a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FetchRefused(FetchError):
    """The fetch policy forbids this request (scheme, credentials, address, redirects, content type)."""


class FetchFailed(FetchError):
    """The request was allowed but did not produce a page (network, TLS, timeout or HTTP error)."""

    def __init__(self, message: str, *, status: int | None = None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.timed_out = timed_out


# --------------------------------------------------------------------------------------------- policy


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch. ``allow_loopback`` is for the local dev stack and tests only: even then
    private, link-local and metadata addresses stay refused."""

    allow_loopback: bool = False
    connect_timeout_s: float = 3.0
    timeout_s: float = 10.0  # wall-clock budget for the whole fetch, every hop and the body included
    max_bytes: int = 2 * 1024 * 1024  # body bytes read (after HTTP decompression); beyond: truncated
    max_chars: int = 20_000  # characters of text returned
    max_redirects: int = 3
    user_agent: str = USER_AGENT
    ca_bundle: str | None = None  # extra CA file to trust instead of the system store (tests)

    def __post_init__(self) -> None:
        if self.connect_timeout_s <= 0 or self.timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_bytes <= 0 or self.max_chars <= 0 or self.max_redirects < 0:
            raise ValueError("limits must be positive")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> FetchPolicy:
        """The default policy; ``CALLEDIT_FETCH_ALLOW_LOOPBACK=1`` allows loopback, except in AWS
        Lambda, where loopback is never allowed."""
        env = os.environ if environ is None else environ
        wanted = env.get(ALLOW_LOOPBACK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
        in_aws = bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) or env.get("AWS_EXECUTION_ENV", "").startswith(
            "AWS_"
        )
        if wanted and in_aws:
            logger.warning("%s is ignored in AWS: loopback addresses stay refused", ALLOW_LOOPBACK_ENV)
        return cls(allow_loopback=wanted and not in_aws)


# --------------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class FetchedPage:
    """The readable text of one fetched page."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str  # media type without parameters, e.g. "text/html"
    title: str | None
    text: str
    truncated: bool  # body cut at max_bytes or text cut at max_chars
    retrieved_at: str  # UTC, ISO-8601 with Z
    bytes: int  # body bytes read

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------- URL parsing


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII host name without trailing dot, or the IP literal (IPv6 without brackets)
    ip: IPAddress | None  # set when the URL names an address (in any numeric form)
    port: int
    request_target: str  # path and query, percent-encoded
    host_header: str


def _show(url: str) -> str:
    url = _CONTROL.sub("", url)
    return url if len(url) <= _SHOWN_URL_CHARS else url[: _SHOWN_URL_CHARS - 1] + "…"


def _show_host(host: str) -> str:
    return host if len(host) <= _SHOWN_HOST_CHARS else host[: _SHOWN_HOST_CHARS - 1] + "…"


def _parse_ipv4_number(host: str) -> ipaddress.IPv4Address | None:
    """Parse the numeric IPv4 forms ``inet_aton`` and browsers accept (``2130706433``, ``0177.0.0.1``,
    ``0x7f.1``, ``127.1``). ``None`` when the host is a name; refused when it ends in a number but is
    not a valid address (WHATWG URL rule)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not _NUMERIC_PART.fullmatch(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMERIC_PART.fullmatch(part) for part in parts):
        raise FetchRefused("Refused: the host looks like a numeric address but is not a valid one.")
    numbers: list[int] = []
    for part in parts:
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            try:
                numbers.append(int(part, 8))
            except ValueError:
                raise FetchRefused(
                    "Refused: the host looks like a numeric address but is not a valid one."
                ) from None
        else:
            numbers.append(int(part))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise FetchRefused("Refused: the host looks like a numeric address but is not a valid one.")
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _parse(url: str) -> _Target:
    """Validate one URL (scheme, credentials, length, host syntax); no network."""
    if not isinstance(url, str) or not url.strip():
        raise FetchRefused("Refused: no web address was given.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise FetchRefused(f"Refused: the web address is longer than {MAX_URL_LENGTH:,} characters.")
    if _CONTROL.search(url):
        raise FetchRefused("Refused: the web address contains control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise FetchRefused("Refused: this is not a valid web address.") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"'{scheme[:20]}:' addresses" if scheme else "addresses without a scheme"
        raise FetchRefused(f"Refused: only http:// and https:// web addresses can be fetched, not {shown}.")
    if "@" in parts.netloc:
        raise FetchRefused(
            "Refused: the web address contains a user name or password; credentials are never sent."
        )
    raw_host = parts.hostname or ""
    if not raw_host:
        raise FetchRefused("Refused: the web address has no host name.")
    if port == 0:
        raise FetchRefused("Refused: port 0 is not a valid port.")
    port = port or _DEFAULT_PORTS[scheme]

    ip: IPAddress | None
    if "[" in parts.netloc:
        if "%" in raw_host:
            raise FetchRefused("Refused: IPv6 addresses with a zone (interface) are not allowed.")
        try:
            ip = ipaddress.IPv6Address(raw_host)
        except ValueError:
            raise FetchRefused("Refused: the host is not a valid IPv6 address.") from None
        host = str(ip)
        if ip.ipv4_mapped is not None:
            host = f"::ffff:{ip.ipv4_mapped}"
    else:
        try:
            host = raw_host.encode("idna").decode("ascii").lower() if not raw_host.isascii() else raw_host
        except UnicodeError:
            raise FetchRefused("Refused: the host name is not valid.") from None
        if host.endswith("."):
            host = host[:-1]
        ip = _parse_ipv4_number(host) if host else None
        if ip is not None:
            host = str(ip)
        elif len(host) > 253 or not _HOSTNAME.fullmatch(host):
            raise FetchRefused("Refused: the host name is not valid.")

    request_target = quote(parts.path or "/", safe=_PATH_SAFE)
    if parts.query:
        request_target += "?" + quote(parts.query, safe=_QUERY_SAFE)
    authority = f"[{host}]" if isinstance(ip, ipaddress.IPv6Address) else host
    host_header = authority if port == _DEFAULT_PORTS[scheme] else f"{authority}:{port}"
    return _Target(url, scheme, host, ip, port, request_target, host_header)


# ----------------------------------------------------------------------------------- address policy


def _address_problem(ip: IPAddress, policy: FetchPolicy) -> str | None:
    """Why this address may not be fetched, or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: ipaddress.IPv4Address | None = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            problem = _address_problem(embedded, policy)
            if problem or ip.ipv4_mapped is not None or ip in _NAT64:  # judged by the IPv4 address
                return problem
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata service address"
    if ip.is_loopback:
        return None if policy.allow_loopback else "a loopback address (this machine)"
    if ip.is_unspecified:
        return "an unspecified address (0.0.0.0 or ::)"
    if ip in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if any(ip in net for net in _PRIVATE) or ip in _SITE_LOCAL_V6:
        return "a private network address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private or not ip.is_global:
        return "an address that is not on the public internet"
    return None


def _pinned(ip: IPAddress) -> str:
    """The address to connect to: IPv4-mapped IPv6 addresses connect over IPv4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = _getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise FetchFailed(f"Could not find the host name '{_show_host(host)}'.") from None
    addresses: list[IPAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        try:
            address = ipaddress.ip_address(raw)
        except ValueError:
            raise FetchRefused(
                f"Refused: '{_show_host(host)}' resolves to something that is not an IP address."
            ) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchFailed(f"Could not find the host name '{_show_host(host)}'.")
    return addresses


def _addresses(target: _Target, policy: FetchPolicy) -> list[str]:
    """Check the host against the policy and return the validated addresses to connect to."""
    name = target.host
    if target.ip is not None:
        problem = _address_problem(target.ip, policy)
        if problem:
            raise FetchRefused(
                f"Refused: {_show_host(name)} is {problem}; only public web sites can be fetched."
            )
        return [_pinned(target.ip)]
    if name in _METADATA_NAMES:
        raise FetchRefused(f"Refused: '{name}' is a cloud metadata service; it is never fetched.")
    if not policy.allow_loopback and (name == "localhost" or name.endswith(".localhost")):
        raise FetchRefused(
            f"Refused: '{_show_host(name)}' is this machine; only public web sites can be fetched."
        )
    addresses = _resolve(name, target.port)
    for address in addresses:
        problem = _address_problem(address, policy)
        if problem:
            raise FetchRefused(
                f"Refused: '{_show_host(name)}' resolves to {problem}; only public web sites can be fetched."
            )
    pinned: list[str] = []
    for address in addresses:
        if _pinned(address) not in pinned:
            pinned.append(_pinned(address))
    return pinned


# ------------------------------------------------------------------------------------------ transfer


class _Watchdog:
    """Enforces the fetch's wall-clock deadline: when it expires, shuts the socket down so a blocked
    read (slow headers, a body trickled byte by byte) returns at once."""

    def __init__(self, conn: HTTPConnection, seconds: float) -> None:
        self._conn = conn
        # Set once connected: http.client drops conn.sock when the response owns the connection.
        self.sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.sock or self._conn.sock
        if sock is not None:
            # The plain socket method: keeps an SSL wrapper's state intact for the reading thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


@dataclass
class _Exchange:
    conn: HTTPConnection
    response: HTTPResponse
    watchdog: _Watchdog

    def close(self) -> None:
        self.watchdog.cancel()
        self.response.close()
        self.conn.close()


def _timed_out(target: _Target, policy: FetchPolicy) -> FetchFailed:
    return FetchFailed(
        f"Timed out after {policy.timeout_s:g} seconds fetching {_show(target.url)}.", timed_out=True
    )


def _connection(target: _Target, address: str, policy: FetchPolicy, timeout: float) -> HTTPConnection:
    if target.scheme == "https":
        return HTTPSConnection(
            address,
            target.port,
            timeout=timeout,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,  # SNI
            assert_hostname=target.host,  # the certificate must be for the host name, not the IP
            ca_certs=policy.ca_bundle,
        )
    return HTTPConnection(address, target.port, timeout=timeout)


def _exchange(target: _Target, addresses: list[str], policy: FetchPolicy, deadline: float) -> _Exchange:
    """Connect to the first reachable validated address and send the GET; returns the response head."""
    headers = {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": _ACCEPT,
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
    }
    for index, address in enumerate(addresses):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(target, policy)
        conn = _connection(target, address, policy, min(policy.connect_timeout_s, remaining))
        watchdog = _Watchdog(conn, remaining)
        try:
            try:
                conn.connect()
            except (NewConnectionError, ConnectTimeoutError):
                if index + 1 < len(addresses):
                    watchdog.cancel()
                    conn.close()
                    continue
                raise
            watchdog.sock = conn.sock
            conn.timeout = max(deadline - time.monotonic(), 0.01)
            conn.request(
                "GET", target.request_target, headers=headers, preload_content=False, decode_content=True
            )
            response = conn.getresponse()
        except BaseException as exc:
            watchdog.cancel()
            conn.close()
            if watchdog.fired:
                raise _timed_out(target, policy) from exc
            raise
        return _Exchange(conn, response, watchdog)
    raise FetchFailed(f"Could not connect to '{_show_host(target.host)}'.")  # pragma: no cover


def _read_body(exchange: _Exchange, target: _Target, policy: FetchPolicy) -> tuple[bytes, bool]:
    """Read at most ``max_bytes`` (decoded); reports whether more was available."""
    chunks: list[bytes] = []
    total = 0
    while total <= policy.max_bytes:
        data = exchange.response.read(min(_READ_CHUNK, policy.max_bytes + 1 - total))
        if exchange.watchdog.fired:
            raise _timed_out(target, policy)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    if exchange.watchdog.fired:
        raise _timed_out(target, policy)
    body = b"".join(chunks)
    return body[: policy.max_bytes], len(body) > policy.max_bytes


# ---------------------------------------------------------------------------------------- text forms


def _media_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media.split(",")[0].strip().lower(), charset


def _decode(body: bytes, charset: str | None, *, complete: bool) -> str:
    try:
        decoder = codecs.getincrementaldecoder(charset or "utf-8")(errors="replace")
        return str(decoder.decode(body, final=complete))
    except (LookupError, TypeError, ValueError):
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return str(decoder.decode(body, final=complete))


_DROPPED_TAGS: Final = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas"}
)
_BLOCK_TAGS: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "title", "tr", "ul",
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    """HTML -> readable text: drops scripts and the like, one line per block or table cell."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip = 0
        self._in_title = False
        self._title_seen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED_TAGS:
            self._skip += 1
        elif tag == "title" and not self._skip and not self._title_seen:
            self._in_title = True
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "title" and self._in_title:
            self._in_title = False
            self._title_seen = True
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title_parts.append(data)
        else:
            self.parts.append(_SPACES.sub(" ", data))


def _html_to_text(html: str) -> tuple[str | None, str]:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # very broken markup: keep what was parsed
        pass
    title = " ".join("".join(parser.title_parts).split())[:300] or None
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return title, "\n".join(line for line in lines if line)


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _to_text(kind: str, decoded: str, *, complete: bool) -> tuple[str | None, str]:
    if kind == "html":
        return _html_to_text(decoded)
    if kind == "json" and complete:
        try:
            return None, json.dumps(json.loads(decoded), indent=1, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    return None, _tidy(decoded)


# --------------------------------------------------------------------------------------------- fetch


def _status_words(status: int) -> str:
    try:
        return f"HTTP {status} ({HTTPStatus(status).phrase})"
    except ValueError:
        return f"HTTP {status}"


NetworkFailure = Literal["timeout", "refused", "certificate", "decode", "tls", "other"]


def classify_failure(exc: BaseException, deadline: float) -> tuple[NetworkFailure, str | None]:
    """What broke an HTTP exchange, read from the exception and its causes; for a refused connection
    also the operating system's reason, if any."""
    chain: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 10:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if time.monotonic() >= deadline - 0.05 or any(isinstance(e, TimeoutError) for e in chain):
        return "timeout", None
    if any(isinstance(e, NewConnectionError | ConnectionRefusedError) for e in chain):
        return "refused", next((e.strerror for e in chain if isinstance(e, OSError) and e.strerror), None)
    if any(isinstance(e, ConnectTimeoutError) for e in chain):  # NewConnectionError subclasses it
        return "timeout", None
    if any(isinstance(e, ssl.SSLCertVerificationError | CertificateError) for e in chain):
        return "certificate", None
    if any(isinstance(e, DecodeError) for e in chain):
        return "decode", None
    if any(isinstance(e, ssl.SSLError) for e in chain):
        return "tls", None
    return "other", None


def _translate(exc: BaseException, target: _Target, policy: FetchPolicy, deadline: float) -> FetchFailed:
    """A network/TLS/protocol exception as a plain-words FetchFailed."""
    kind, reason = classify_failure(exc, deadline)
    if kind == "timeout":
        return _timed_out(target, policy)
    host = _show_host(target.host)
    detail = f" ({reason.lower()})" if reason else ""
    return FetchFailed(
        {
            "refused": f"Could not connect to '{host}'{detail}.",
            "certificate": (
                f"The secure connection to '{host}' failed: its certificate is not valid for this "
                "name or not trusted."
            ),
            "decode": f"The page from '{host}' could not be decompressed.",
            "tls": f"The secure (TLS) connection to '{host}' failed.",
            "other": f"The connection to '{host}' failed before the page was received.",
        }[kind]
    )


def fetch(url: str, *, policy: FetchPolicy | None = None) -> FetchedPage:
    """GET a public web page and return its readable text.

    Raises FetchRefused when the policy forbids the request (checked before any connection, on every
    redirect hop) and FetchFailed when it could not be completed (network, TLS, timeout, HTTP 4xx/5xx).
    """
    policy = policy or FetchPolicy()
    deadline = time.monotonic() + policy.timeout_s
    current = url
    for hop in range(policy.max_redirects + 1):
        try:
            target = _parse(current)
            addresses = _addresses(target, policy)
        except FetchRefused as exc:
            if hop:
                raise FetchRefused(f"The page redirected to a refused address. {exc.message}") from None
            raise
        try:
            exchange = _exchange(target, addresses, policy, deadline)
        except FetchError:
            raise
        except (OSError, HTTPException, HTTPError, ValueError) as exc:
            raise _translate(exc, target, policy, deadline) from None
        try:
            response = exchange.response
            status = response.status
            if status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchFailed(f"{_show(target.url)} answered a redirect without a destination.")
                if hop == policy.max_redirects:
                    raise FetchRefused(
                        f"Refused: too many redirects (more than {policy.max_redirects}) "
                        f"starting from {_show(url)}."
                    )
                current = urljoin(target.url, location.strip())
                continue
            if status >= 400:
                raise FetchFailed(
                    f"The server answered {_status_words(status)} for {_show(target.url)}; the page could "
                    "not be read, so it is not evidence.",
                    status=status,
                )
            if not 200 <= status < 300:
                raise FetchFailed(
                    f"The server answered {_status_words(status)} for {_show(target.url)} without a page.",
                    status=status,
                )
            media, charset = _media_type(response.headers.get("Content-Type"))
            kind = _KINDS.get(media)
            if kind is None:
                what = f"'{media[:60]}'" if media else "of an undeclared type"
                raise FetchRefused(
                    f"Refused: the content at {_show(target.url)} is {what}, which cannot be read as "
                    "text; only HTML, plain text, JSON, CSV and XML/RSS/Atom are supported."
                )
            body, cut = _read_body(exchange, target, policy)
        except FetchError:
            raise
        except (OSError, HTTPException, HTTPError, ValueError) as exc:
            raise _translate(exc, target, policy, deadline) from None
        finally:
            exchange.close()
        retrieved_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        title, text = _to_text(kind, _decode(body, charset, complete=not cut), complete=not cut)
        too_long = len(text) > policy.max_chars
        return FetchedPage(
            url=url,
            final_url=target.url,
            status=status,
            content_type=media,
            title=title,
            text=text[: policy.max_chars] if too_long else text,
            truncated=cut or too_long,
            retrieved_at=retrieved_at,
            bytes=len(body),
        )
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------------------------- tool


@tool
def fetch_url(url: str) -> dict[str, Any]:
    """Fetch a public web page and return its readable text, to gather evidence for a prediction.

    Only public http:// and https:// pages can be read (no internal addresses, no files). HTML is
    turned into plain text; JSON, plain text, CSV and XML/RSS/Atom are returned as text. PDFs, images
    and other binary content are refused. Long pages are cut to about 20,000 characters.

    Args:
        url: The full web address, starting with http:// or https://, e.g. "https://example.com/news".

    Returns:
        The final URL after redirects, the HTTP status, the content type, the page title, the readable
        text, whether it was truncated and the UTC retrieval time. An error explains in plain words why
        the page could not be read (refused address, HTTP 404 or 500, timeout, unsupported content);
        an error is never evidence either way.
    """
    try:
        return tool_ok(fetch(url, policy=FetchPolicy.from_env()).to_dict())
    except FetchError as exc:
        logger.info("fetch_url: %s", exc.message)
        return tool_error(exc.message)
    except Exception:  # a tool failure must never end the agent run
        logger.exception("fetch_url: unexpected error")
        return tool_error("Could not fetch the page because of an unexpected error.")
