"""Web search for the verification agent: one ``web_search`` tool backed by Tavily, Brave or SearXNG.

| variable                 | meaning                                                                      |
|--------------------------|------------------------------------------------------------------------------|
| CALLEDIT_SEARCH_PROVIDER | ``tavily``, ``brave`` or ``searxng``; unset or empty: no search tool at all    |
| CALLEDIT_SEARCH_API_KEY  | required for tavily and brave (ignored by searxng)                           |
| CALLEDIT_SEARCH_URL      | searxng: the instance's base URL (required); tavily/brave: optional override |
|                          | of the API base (https://api.tavily.com, https://api.search.brave.com)       |

``search_tools()`` is what an agent builder calls: ``[web_search]`` when a provider is configured,
``[]`` when none is, and :class:`SearchNotConfigured` (a ``ModelUnavailable``, code
``model_unavailable``) naming the variable to fix when the configuration is unusable.

Endpoint policy. The search endpoint is operator configuration, never model input: the model only
chooses the query text, which travels as a JSON field or a query parameter. Result URLs are returned
as text and never fetched here (the model reads a page with ``fetch_url``, which has its own SSRF
policy). So, unlike ``fetch_url``:

* private and loopback addresses are allowed, because a self-hosted SearXNG usually lives on the
  private network (``http://searxng:8080``) and tests point the providers at 127.0.0.1;
* cloud metadata names and addresses, link-local, unspecified and multicast addresses are always
  refused (no search service lives there; they are what a bad URL would be used to reach);
* the API key is only sent over https, except to loopback (checked on the resolved addresses);
* the URL must be http(s), without user name, password, query or fragment.

The host is resolved at each search and the connection pinned to the checked address (the machinery
of ``fetch.py``). TLS is verified, environment proxies are never used, redirects are not followed, the
whole exchange has a 10 s budget (3 s to connect) and answers over 1 MiB are not read. The API key is
never put in a message, a log record or ``repr``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from http.client import HTTPException
from typing import Any, Final, Literal
from urllib.parse import quote, urlencode, urlsplit

from strands import tool
from strands.types.tools import AgentTool
from urllib3.connection import HTTPConnection
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.response import HTTPResponse

from calledit.errors import ModelUnavailable
from calledit.tool_results import tool_error, tool_ok
from calledit.verification.fetch import (
    _METADATA_ADDRESSES,
    _METADATA_NAMES,
    MAX_URL_LENGTH,
    USER_AGENT,
    FetchError,
    FetchPolicy,
    IPAddress,
    _connection,
    _parse,
    _pinned,
    _resolve,
    _Target,
    _Watchdog,
    classify_failure,
)

logger = logging.getLogger(__name__)

PROVIDER_ENV: Final = "CALLEDIT_SEARCH_PROVIDER"
API_KEY_ENV: Final = "CALLEDIT_SEARCH_API_KEY"
URL_ENV: Final = "CALLEDIT_SEARCH_URL"

Provider = Literal["tavily", "brave", "searxng"]
PROVIDERS: Final[tuple[Provider, ...]] = ("tavily", "brave", "searxng")
DEFAULT_BASES: Final[Mapping[str, str]] = {
    "tavily": "https://api.tavily.com",
    "brave": "https://api.search.brave.com",
}
_NEEDS_KEY: Final = frozenset({"tavily", "brave"})

MAX_QUERY_CHARS: Final = 400
DEFAULT_RESULTS: Final = 5
MAX_RESULTS: Final = 10
MAX_TITLE_CHARS: Final = 200
MAX_SNIPPET_CHARS: Final = 500
_MAX_PUBLISHED_CHARS: Final = 40
_READ_CHUNK: Final = 64 * 1024
_ERROR_BODY_BYTES: Final = 16 * 1024
_REDACTED: Final = "[redacted]"
_MIN_REDACTED_KEY: Final = 6  # shorter "keys" would mangle ordinary words

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --------------------------------------------------------------------------------------------- errors


class SearchNotConfigured(ModelUnavailable):
    """The search configuration is unusable; the message names the environment variable to fix."""


class SearchError(Exception):
    """A search did not produce results; ``message`` is plain words safe to show the model or a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SearchRefused(SearchError):
    """Refused before any connection (an empty or overlong query, a forbidden endpoint address)."""


class SearchFailed(SearchError):
    """The provider could not be reached or did not answer with results (HTTP error, timeout, bad JSON)."""

    def __init__(self, message: str, *, status: int | None = None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.timed_out = timed_out


# ---------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class SearchLimits:
    """Limits of one search (tests shorten the timeouts and add a CA file)."""

    connect_timeout_s: float = 3.0
    timeout_s: float = 10.0  # wall-clock budget for the whole exchange, body included
    max_bytes: int = 1024 * 1024  # answers larger than this are not read
    ca_bundle: str | None = None  # extra CA file to trust instead of the system store (tests)

    def __post_init__(self) -> None:
        if self.connect_timeout_s <= 0 or self.timeout_s <= 0 or self.max_bytes <= 0:
            raise ValueError("search limits must be positive")


LIMITS = SearchLimits()
"""The limits ``SearchConfig.from_env`` uses (looked up at each call)."""


def _url_problem(url: str) -> str | None:
    """Why this base URL cannot be used, or None (syntax only, no network)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "it must start with http:// or https://"
    if "@" in parts.netloc:
        return "it must not contain a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "it must not have a query (?…) or a fragment (#…)"
    try:
        target = _parse(url)
    except FetchError as exc:
        return exc.message.removeprefix("Refused: ").rstrip(".")
    if target.host in _METADATA_NAMES or (target.ip is not None and _address_problem(target.ip)):
        return "it points at an address no search service lives at (cloud metadata, link-local, ...)"
    return None


def _unknown_provider(provider: str) -> SearchNotConfigured:
    return SearchNotConfigured(
        f"unknown {PROVIDER_ENV} {provider[:40]!r}; choose one of {', '.join(PROVIDERS)} "
        "(or leave it unset for no web search)"
    )


def _is_local_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


@dataclass(frozen=True)
class SearchConfig:
    """Which provider to ask, where, and with which key (never shown by ``repr``)."""

    provider: Provider
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    limits: SearchLimits = field(default_factory=SearchLimits)

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise _unknown_provider(self.provider)
        if self.provider in _NEEDS_KEY and not self.api_key:
            raise SearchNotConfigured(f"{PROVIDER_ENV}={self.provider} needs {API_KEY_ENV} (its API key)")
        if self.api_key is not None and _CONTROL.search(self.api_key):
            raise SearchNotConfigured(f"{API_KEY_ENV} contains control characters or line breaks")
        problem = _url_problem(self.base_url)
        if problem:
            raise SearchNotConfigured(
                f"{URL_ENV} is not usable for {self.provider}: {problem} (got {_shown_url(self.base_url)})"
            )
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        if self.sends_key and parts.scheme.lower() == "http" and not _is_loopback_host(host):
            raise SearchNotConfigured(
                f"{URL_ENV} must be an https:// URL for {self.provider}: the API key is only sent over "
                "plain http to this machine (loopback)"
            )

    @property
    def sends_key(self) -> bool:
        return self.provider in _NEEDS_KEY

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SearchConfig | None:
        """Read the ``CALLEDIT_SEARCH_*`` variables: None when no provider is set; raises
        SearchNotConfigured when the configuration is unusable."""
        env = os.environ if environ is None else environ
        provider = env.get(PROVIDER_ENV, "").strip().lower()
        if not provider:
            return None
        if provider not in PROVIDERS:
            raise _unknown_provider(provider)
        base = env.get(URL_ENV, "").strip()
        if not base:
            if provider == "searxng":
                raise SearchNotConfigured(
                    f"{PROVIDER_ENV}=searxng needs {URL_ENV}, the base URL of the SearXNG instance "
                    "(e.g. http://searxng:8080)"
                )
            base = DEFAULT_BASES[provider]
        key = env.get(API_KEY_ENV, "").strip() or None
        return cls(provider=provider, base_url=base, api_key=key, limits=LIMITS)


def _is_loopback_host(host: str) -> bool:
    if _is_local_name(host):
        return True
    try:
        target = _parse(f"http://{host}/" if ":" not in host else f"http://[{host}]/")
    except FetchError:
        return False
    return target.ip is not None and _is_loopback(target.ip)


def _is_loopback(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _shown_url(url: str) -> str:
    """The URL for a message or a log: no user name, password, query or fragment (a key could hide
    there), at most 120 characters."""
    url = _CONTROL.sub("", url)
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        shown = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else netloc + parts.path
    except ValueError:
        shown = "an invalid URL"
    return shown if len(shown) <= 120 else shown[:119] + "…"


def search_tools() -> list[AgentTool]:
    """``[web_search]`` when ``CALLEDIT_SEARCH_PROVIDER`` is set (and usable), ``[]`` when it is unset.

    Raises SearchNotConfigured (code ``model_unavailable``) naming the variable to fix when the
    configuration is unusable: an unknown provider, a missing key or URL, an unusable URL.
    """
    config = SearchConfig.from_env()
    if config is None:
        return []
    logger.info("web search enabled: %s at %s", config.provider, _shown_url(config.base_url))
    return [web_search]


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SearchHit:
    title: str
    url: str
    snippet: str
    published: str | None = None  # as the provider gave it (ISO date, or words like "2 days ago")

    def to_dict(self) -> dict[str, str]:
        item = {"title": self.title, "url": self.url, "snippet": self.snippet}
        if self.published:
            item["published"] = self.published
        return item


@dataclass(frozen=True)
class SearchResults:
    query: str
    provider: str
    results: list[SearchHit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "results": [hit.to_dict() for hit in self.results],
            "provider": self.provider,
        }


_BREAKS: Final = frozenset({"br", "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})


class _PlainText(HTMLParser):
    """Snippet HTML (``<strong>`` highlights, entities) -> text; script and style content dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain_text(value: object, limit: int) -> str:
    """A provider's title or snippet as one line of plain text, at most ``limit`` characters."""
    if not isinstance(value, str):
        return ""
    text = value
    if "<" in text or "&" in text:
        parser = _PlainText()
        try:
            parser.feed(text)
            parser.close()
        except (AssertionError, ValueError):  # very broken markup: keep what was parsed
            pass
        text = "".join(parser.parts)
    return _clip(" ".join(_CONTROL.sub(" ", text).split()), limit)


def _result_url(value: object) -> str | None:
    """The result's URL when it is a plain http(s) URL with a host (checked only, never fetched)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_LENGTH or _CONTROL.search(url) or " " in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return url


def _published(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return _clip(" ".join(_CONTROL.sub(" ", value).split()), _MAX_PUBLISHED_CHARS)
    return None


def _hits(items: object, snippet_key: str, dates: tuple[str, ...], limit: int) -> list[SearchHit]:
    if not isinstance(items, list):
        raise SearchFailed("The search provider's answer did not have the expected form (no result list).")
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for item in items:
        if len(hits) >= limit:
            break
        if not isinstance(item, dict):
            continue
        url = _result_url(item.get("url"))
        if url is None or url in seen:
            continue
        seen.add(url)
        title = plain_text(item.get("title"), MAX_TITLE_CHARS) or _clip(url, MAX_TITLE_CHARS)
        snippet = plain_text(item.get(snippet_key), MAX_SNIPPET_CHARS)
        hits.append(SearchHit(title, url, snippet, _published(*(item.get(key) for key in dates))))
    return hits


# ---------------------------------------------------------------------------------------- wire formats


@dataclass(frozen=True)
class _Request:
    method: str
    url: str
    headers: dict[str, str] = field(repr=False)  # may hold the API key
    body: bytes | None = None


def _join(base: str, path: str, params: Mapping[str, str | int] | None = None) -> str:
    url = base.rstrip("/") + path
    return f"{url}?{urlencode(params, quote_via=quote)}" if params else url


def _tavily_request(config: SearchConfig, query: str, count: int) -> _Request:
    body = {"query": query, "max_results": count, "search_depth": "basic"}
    return _Request(
        "POST",
        _join(config.base_url, "/search"),
        {"Authorization": f"Bearer {config.api_key}", "Content-Type": "application/json"},
        json.dumps(body).encode(),
    )


def _tavily_hits(data: dict[str, Any], limit: int) -> list[SearchHit]:
    return _hits(data.get("results"), "content", ("published_date",), limit)


def _brave_request(config: SearchConfig, query: str, count: int) -> _Request:
    return _Request(
        "GET",
        _join(config.base_url, "/res/v1/web/search", {"q": query, "count": count}),
        {"X-Subscription-Token": config.api_key or ""},
    )


def _brave_hits(data: dict[str, Any], limit: int) -> list[SearchHit]:
    web = data.get("web")
    if web is None:  # Brave leaves "web" out when nothing was found
        return []
    if not isinstance(web, dict):
        raise SearchFailed("The search provider's answer did not have the expected form (no result list).")
    return _hits(web.get("results", []), "description", ("page_age", "age"), limit)


def _searxng_request(config: SearchConfig, query: str, count: int) -> _Request:
    # SearXNG has no result-count parameter: the first page is read and cut to ``count``.
    return _Request("GET", _join(config.base_url, "/search", {"q": query, "format": "json"}), {})


def _searxng_hits(data: dict[str, Any], limit: int) -> list[SearchHit]:
    return _hits(data.get("results"), "content", ("publishedDate",), limit)


_WIRE: Final[
    Mapping[
        str,
        tuple[
            Callable[[SearchConfig, str, int], _Request],
            Callable[[dict[str, Any], int], list[SearchHit]],
        ],
    ]
] = {
    "tavily": (_tavily_request, _tavily_hits),
    "brave": (_brave_request, _brave_hits),
    "searxng": (_searxng_request, _searxng_hits),
}


# ------------------------------------------------------------------------------------------- transfer


def _address_problem(ip: IPAddress) -> str | None:
    """Why a search endpoint may not be at this address (None: allowed, private ones included)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES:
        return "a cloud metadata service address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "an unspecified address (0.0.0.0 or ::)"
    if ip.is_multicast:
        return "a multicast address"
    return None


def _endpoint(config: SearchConfig, url: str) -> tuple[_Target, list[str]]:
    """Parse the request URL, resolve its host and check every address; the addresses to pin."""
    try:
        target = _parse(url)
    except FetchError as exc:
        raise SearchRefused(
            f"The search endpoint address is not usable ({exc.message.removeprefix('Refused: ')}): "
            f"check {URL_ENV}."
        ) from None
    if target.host in _METADATA_NAMES:
        raise SearchRefused(f"The search endpoint is a cloud metadata service; check {URL_ENV}.")
    if target.ip is not None:
        addresses = [target.ip]
    else:
        try:
            addresses = _resolve(target.host, target.port)
        except FetchError:
            raise SearchFailed(
                f"Could not find the search provider's host name; check {URL_ENV} and the network."
            ) from None
    for address in addresses:
        problem = _address_problem(address)
        if problem:
            raise SearchRefused(
                f"The search endpoint resolves to {problem}, which is never contacted; check {URL_ENV}."
            )
    if config.sends_key and target.scheme == "http" and not all(_is_loopback(a) for a in addresses):
        raise SearchRefused(
            f"The API key is only sent over https (plain http only to this machine); check {URL_ENV}."
        )
    pinned: list[str] = []
    for address in addresses:
        if _pinned(address) not in pinned:
            pinned.append(_pinned(address))
    return target, pinned


def _timed_out(limits: SearchLimits) -> SearchFailed:
    return SearchFailed(
        f"The search timed out after {limits.timeout_s:g} seconds; try again later.", timed_out=True
    )


def _translate(exc: BaseException, limits: SearchLimits, deadline: float) -> SearchFailed:
    """A network/TLS/protocol exception as a plain-words SearchFailed (no host, no key)."""
    kind, _ = classify_failure(exc, deadline)
    if kind == "timeout":
        return _timed_out(limits)
    return SearchFailed(
        {
            "refused": "Could not connect to the search provider; try again later.",
            "certificate": (
                "The secure connection to the search provider failed: its certificate is not valid "
                "for its name or not trusted."
            ),
            "decode": "The search provider's answer could not be decompressed.",
            "tls": "The secure (TLS) connection to the search provider failed.",
            "other": "The connection to the search provider failed before its answer was received.",
        }[kind]
    )


def _read(
    response: HTTPResponse, watchdog: _Watchdog, limits: SearchLimits, *, cap: int | None = None
) -> bytes:
    """The (decoded) body: SearchFailed beyond ``max_bytes``; with ``cap``, silently cut there instead."""
    most = limits.max_bytes if cap is None else min(cap, limits.max_bytes)
    chunks: list[bytes] = []
    total = 0
    while total <= most:
        data = response.read(min(_READ_CHUNK, most + 1 - total))
        if watchdog.fired:
            raise _timed_out(limits)
        if not data:
            break
        chunks.append(data)
        total += len(data)
    if total > most and cap is None:
        raise SearchFailed(
            f"The search provider's answer was larger than {limits.max_bytes:,} bytes; it was not read."
        )
    return b"".join(chunks)[:most]


def _exchange(
    request: _Request, target: _Target, addresses: list[str], limits: SearchLimits, deadline: float
) -> tuple[int, bytes]:
    """Send the request to the first reachable checked address; the status and (for 2xx) the body."""
    policy = FetchPolicy(
        connect_timeout_s=limits.connect_timeout_s, timeout_s=limits.timeout_s, ca_bundle=limits.ca_bundle
    )
    headers = {
        "Host": target.host_header,
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "Connection": "close",
        **request.headers,
    }
    for index, address in enumerate(addresses):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(limits)
        conn: HTTPConnection = _connection(target, address, policy, min(limits.connect_timeout_s, remaining))
        watchdog = _Watchdog(conn, remaining)
        response: HTTPResponse | None = None
        try:
            try:
                conn.connect()
            except (NewConnectionError, ConnectTimeoutError):
                if index + 1 < len(addresses):
                    continue
                raise
            watchdog.sock = conn.sock
            conn.timeout = max(deadline - time.monotonic(), 0.01)
            conn.request(
                request.method,
                target.request_target,
                body=request.body,
                headers=headers,
                preload_content=False,
                decode_content=True,
            )
            response = conn.getresponse()
            status = response.status
            if 200 <= status < 300:
                body = _read(response, watchdog, limits)
            elif status >= 400:  # read for its error code only (Brave); never shown
                body = _read(response, watchdog, limits, cap=_ERROR_BODY_BYTES)
            else:
                body = b""
            if watchdog.fired:
                raise _timed_out(limits)
            return status, body
        except SearchError:
            raise
        except (OSError, HTTPException, HTTPError, ValueError) as exc:
            if watchdog.fired:
                raise _timed_out(limits) from None
            raise _translate(exc, limits, deadline) from None
        finally:
            watchdog.cancel()
            if response is not None:
                response.close()
            conn.close()
    raise SearchFailed("Could not connect to the search provider; try again later.")  # pragma: no cover


def _status_words(status: int) -> str:
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _error_code(body: bytes) -> str:
    """The provider's machine error code in an error answer, e.g. Brave's
    ``{"type": "ErrorResponse", "error": {"code": "SUBSCRIPTION_TOKEN_INVALID", "status": 422}}``."""
    try:
        data = json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code.upper() if isinstance(code, str) else ""


def _status_failure(config: SearchConfig, status: int, body: bytes = b"") -> SearchFailed:
    words = _status_words(status)
    key_refused = status in (401, 403) or (
        config.provider == "brave" and status == 422 and "TOKEN" in _error_code(body)
    )
    if key_refused and config.sends_key:
        message = f"The search provider refused the API key ({words}): check {API_KEY_ENV}."
    elif status in (401, 403):
        message = (
            f"The SearXNG instance refused the search ({words}): allow the json format in its "
            "settings.yml (search: formats: [html, json]) and check its access rules."
        )
    elif status == 429:
        message = f"Rate limited by the search provider ({words}): try later."
    elif status in (432, 433):  # Tavily: plan or pay-as-you-go limit reached
        message = f"The search provider's usage limit for this API key is reached ({words}): try later."
    elif 300 <= status < 400:
        message = (
            f"The search provider answered a redirect ({words}), which is not followed: check {URL_ENV}."
        )
    elif status >= 500:
        message = f"The search provider failed ({words}); try again later."
    else:
        message = f"The search provider rejected the search ({words})."
    return SearchFailed(message, status=status)


def clean_query(query: object) -> str:
    """The query on one line, or SearchRefused when it is empty or longer than 400 characters."""
    if not isinstance(query, str):
        raise SearchRefused("Give the search query as text.")
    text = " ".join(_CONTROL.sub(" ", query).split())
    if not text:
        raise SearchRefused("Give a search query (1 to 400 characters).")
    if len(text) > MAX_QUERY_CHARS:
        raise SearchRefused(
            f"The search query is {len(text):,} characters long; shorten it to {MAX_QUERY_CHARS} or fewer."
        )
    return text


def clamp_results(max_results: object) -> int:
    """``max_results`` as a whole number from 1 to 10 (5 when it is not a number)."""
    try:
        count = int(max_results) if isinstance(max_results, int | float | str) else DEFAULT_RESULTS
    except (TypeError, ValueError, OverflowError):
        count = DEFAULT_RESULTS
    return min(max(count, 1), MAX_RESULTS)


def search(query: str, max_results: int = DEFAULT_RESULTS, *, config: SearchConfig) -> SearchResults:
    """Ask the configured provider; the results whose URLs are http(s), cleaned and clipped.

    Raises SearchRefused (bad query, forbidden endpoint) and SearchFailed (network, timeout, HTTP
    error, oversized or malformed answer).
    """
    text = clean_query(query)
    count = clamp_results(max_results)
    build, read_hits = _WIRE[config.provider]
    request = build(config, text, count)
    deadline = time.monotonic() + config.limits.timeout_s
    target, addresses = _endpoint(config, request.url)
    status, body = _exchange(request, target, addresses, config.limits, deadline)
    if not 200 <= status < 300:
        raise _status_failure(config, status, body)
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SearchFailed(
            "The search provider's answer was not valid JSON; the search could not be read."
        ) from None
    if not isinstance(data, dict):
        raise SearchFailed("The search provider's answer did not have the expected form (not a JSON object).")
    return SearchResults(text, config.provider, read_hits(data, count))


# ---------------------------------------------------------------------------------------------- tool


def _redact(value: Any, secret: str | None) -> Any:
    """Every occurrence of the API key replaced (a last guard: no message is built with it)."""
    if not secret or len(secret) < _MIN_REDACTED_KEY:
        return value
    if isinstance(value, str):
        return value.replace(secret, _REDACTED)
    if isinstance(value, list):
        return [_redact(item, secret) for item in value]
    if isinstance(value, dict):
        return {key: _redact(item, secret) for key, item in value.items()}
    return value


@tool
def web_search(query: str, max_results: int = DEFAULT_RESULTS) -> dict[str, Any]:
    """Search the web for pages about a prediction's outcome: news, official results, announcements.

    Results are leads, not evidence: each has a title, URL, short snippet and sometimes a publication
    date. Read a promising page with fetch_url before relying on it; snippets can be stale or wrong.
    Use specific queries with names, places and dates, e.g. "Paris marathon 2026 winner".

    Args:
        query: What to search for, 1 to 400 characters.
        max_results: How many results to return, 1 to 10 (default 5).

    Returns:
        The query, the provider and the results (title, url, snippet, published when known). An error
        explains in plain words why the search failed (not configured, refused key, rate limit,
        timeout); an error is never evidence either way.
    """
    secret: str | None = None
    where = "web_search"
    try:
        config = SearchConfig.from_env()
        if config is None:
            return tool_error(
                f"Web search is not configured ({PROVIDER_ENV} is not set); use fetch_url instead."
            )
        secret = config.api_key
        where = f"web_search via {config.provider} at {_shown_url(config.base_url)}"
        result = search(query, max_results, config=config)
        logger.info("%s: %d results", where, len(result.results))
        payload: dict[str, Any] = _redact(tool_ok(result.to_dict()), secret)
        return payload
    except SearchNotConfigured as exc:
        logger.warning("web_search is misconfigured: %s", exc.message)
        return tool_error(f"Web search is misconfigured: {exc.message}.")
    except SearchError as exc:
        message: str = _redact(exc.message, secret)
        operator_must_act = API_KEY_ENV in message or URL_ENV in message
        logger.log(logging.WARNING if operator_must_act else logging.INFO, "%s: %s", where, message)
        return tool_error(message)
    except Exception:  # a tool failure must never end the agent run
        logger.error("%s: unexpected error\n%s", where, _redact(traceback.format_exc(), secret))
        return tool_error("The search failed because of an unexpected error.")
