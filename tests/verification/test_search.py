"""The web_search tool: configuration from the environment, each provider's wire format against a
scripted local server (auth header, query parameters, results, empty results, 401/422/429/500, slow,
garbage and oversized answers, dirty results), the endpoint address policy, TLS, that the API key never
shows up in a result or a log record, and one run inside a real Strands agent loop."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from scripted_model import ScriptedModel, Step, tool_results
from strands import Agent
from strands.types.content import Messages

from calledit.errors import CallError, ErrorCode, ModelUnavailable
from calledit.verification import search as search_module
from calledit.verification.search import (
    MAX_SNIPPET_CHARS,
    MAX_TITLE_CHARS,
    SearchConfig,
    SearchFailed,
    SearchLimits,
    SearchNotConfigured,
    SearchRefused,
    plain_text,
    search,
    search_tools,
    web_search,
)

from .conftest import Certificates, Net

KEY = "sk-TEST-secret-4f9c2a7e51d0"
PROVIDERS = ("tavily", "brave", "searxng")
ENV_VARS = ("CALLEDIT_SEARCH_PROVIDER", "CALLEDIT_SEARCH_API_KEY", "CALLEDIT_SEARCH_URL")
SLOW_SECONDS = 1.0
FAST = SearchLimits(connect_timeout_s=1.0, timeout_s=0.4)


@dataclass(frozen=True)
class Item:
    title: str
    url: str
    snippet: str
    published: str | None = None


GOOD = [
    Item(
        "Rain in <b>Paris</b> &amp; London",
        "https://news.example/rain",
        "It <strong>rained</strong> 12 mm.",
        "2026-05-01T10:00:00",
    ),
    Item("Météo Paris", "http://meteo.example/paris?day=1", "Forecast: showers"),
    Item("Third result", "https://third.example/", "third snippet"),
]
DIRTY = [
    Item("js", "javascript:alert(1)", "script url"),
    Item("ftp", "ftp://files.example/a.txt", "ftp url"),
    Item("relative", "/just/a/path", "relative url"),
    Item("creds", "https://user:pw@evil.example/", "credentials in url"),
    Item("spaces", "https://bad example/", "space in url"),
    Item(
        "<i>Good</i> one " + "t" * 400, "https://ok.example/a", "<p>Para</p><script>x()</script>" + "s" * 900
    ),
    Item("duplicate", "https://ok.example/a", "same url again"),
    Item("", "HTTPS://Upper.example/b", "no title"),
]


# ------------------------------------------------------------------------------ scripted providers


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def _wire(provider: str, items: list[Item], query: str) -> dict[str, Any]:
    """The answer each real API gives (only the fields we read, plus a few we ignore)."""
    if provider == "tavily":
        results: list[dict[str, Any]] = []
        for item in items:
            result: dict[str, Any] = {
                "title": item.title,
                "url": item.url,
                "content": item.snippet,
                "score": 0.8,
            }
            if item.published:
                result["published_date"] = item.published
            results.append(result)
        return {"query": query, "answer": None, "images": [], "results": results, "response_time": 0.4}
    if provider == "brave":
        answer: dict[str, Any] = {"type": "search", "query": {"original": query}}
        if items:  # Brave leaves "web" out when nothing was found
            web = []
            for item in items:
                result = {"title": item.title, "url": item.url, "description": item.snippet}
                if item.published:
                    result["page_age"] = item.published
                    result["age"] = "May 1, 2026"
                web.append(result)
            answer["web"] = {"type": "search", "results": web}
        return answer
    return {
        "query": query,
        "number_of_results": 0,
        "results": [
            {
                "title": i.title,
                "url": i.url,
                "content": i.snippet,
                "publishedDate": i.published,
                "engine": "ddg",
            }
            for i in items
        ],
        "answers": [],
        "infoboxes": [],
        "suggestions": [],
    }


@dataclass
class Providers:
    """A scripted Tavily + Brave + SearXNG on 127.0.0.1. ``mode`` picks the next answers; every request
    is recorded. Auth is checked like the real services: Tavily answers 401 without ``Bearer KEY``,
    Brave 422 SUBSCRIPTION_TOKEN_INVALID without ``X-Subscription-Token: KEY``, SearXNG 403 without
    ``format=json``."""

    mode: str = "results"
    items: list[Item] = field(default_factory=lambda: list(GOOD))
    requests: list[Seen] = field(default_factory=list)
    port: int = 0
    scheme: str = "http"
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, providers: Providers) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.providers = providers


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode())

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("latin-1")
        headers = {name.lower(): value for name, value in self.headers.items()}
        seen = Seen(method, parts.path, parse_qs(parts.query), headers, body)
        self.server.providers.record(seen)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(seen)

    def _route(self, seen: Seen) -> None:
        providers = self.server.providers
        if seen.method == "POST" and seen.path == "/search":
            provider, query = "tavily", (seen.body or {}).get("query", "")
            if seen.headers.get("authorization") != f"Bearer {KEY}":
                return self._json(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
        elif seen.method == "GET" and seen.path == "/res/v1/web/search":
            provider, query = "brave", seen.query.get("q", [""])[0]
            if seen.headers.get("x-subscription-token") != KEY:
                error = {"id": "x", "status": 422, "code": "SUBSCRIPTION_TOKEN_INVALID", "detail": "invalid"}
                return self._json(422, {"type": "ErrorResponse", "error": error, "time": 1})
        elif seen.method == "GET" and seen.path == "/search":
            provider, query = "searxng", seen.query.get("q", [""])[0]
            if seen.query.get("format") != ["json"]:
                return self._send(403, b"<h1>403 Forbidden</h1>", "text/html")
        else:
            return self._send(404, b"not found", "text/plain")
        mode = providers.mode
        if mode == "results":
            self._json(200, _wire(provider, providers.items, query))
        elif mode == "empty":
            self._json(200, _wire(provider, [], query))
        elif mode.isdigit():
            self._json(int(mode), {"detail": {"error": f"scripted {mode}"}})
        elif mode == "slow":
            time.sleep(SLOW_SECONDS)
            self._json(200, _wire(provider, providers.items, query))
        elif mode == "gzip":
            body = gzip.compress(json.dumps(_wire(provider, providers.items, query)).encode())
            self._send(200, body, Content_Encoding="gzip")
        elif mode == "garbage":
            self._send(200, b'{"results": [ {"title": "cut')
        elif mode == "not-object":
            self._json(200, [1, 2, 3])
        elif mode == "no-list":
            self._json(200, {"results": "nope", "web": {"results": "nope"}})
        elif mode == "huge":
            filler = [Item("x" * 100, f"https://big.example/{n}", "y" * 900) for n in range(1500)]
            self._json(200, _wire(provider, filler, query))  # about 1.6 MB
        elif mode == "redirect":
            self._send(302, b"", Location=f"{providers.url()}/elsewhere")
        elif mode == "echo-key":  # a provider that (wrongly) echoes the key in a result
            self._json(200, _wire(provider, [Item(f"key {KEY}", "https://echo.example/", f"s {KEY}")], query))
        else:  # pragma: no cover
            raise AssertionError(mode)


def _serve(providers: Providers, context: ssl.SSLContext | None = None) -> Iterator[Providers]:
    server = _Server(providers)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    providers.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield providers
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def providers() -> Iterator[Providers]:
    yield from _serve(Providers())


@pytest.fixture
def tls_providers(certificates: Certificates) -> Iterator[Providers]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)
    yield from _serve(Providers(scheme="https"), context)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(search_module, "LIMITS", SearchLimits())


def configure(monkeypatch: pytest.MonkeyPatch, provider: str, url: str | None, key: str | None = KEY) -> None:
    monkeypatch.setenv("CALLEDIT_SEARCH_PROVIDER", provider)
    if url is not None:
        monkeypatch.setenv("CALLEDIT_SEARCH_URL", url)
    if key is not None:
        monkeypatch.setenv("CALLEDIT_SEARCH_API_KEY", key)


def use(monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str, key: str = KEY) -> None:
    configure(monkeypatch, provider, providers.url(), key if provider != "searxng" else None)


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["status"] == "success", result
    (item,) = result["content"]
    payload: dict[str, Any] = item["json"]
    return payload


def error(result: dict[str, Any]) -> str:
    assert result["status"] == "error", result
    (item,) = result["content"]
    assert set(item) == {"text"}
    text: str = item["text"]
    assert "Traceback" not in text and KEY not in text
    return text


# ---------------------------------------------------------------------------------- configuration


def test_no_provider_means_no_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    assert search_tools() == []
    monkeypatch.setenv("CALLEDIT_SEARCH_PROVIDER", "  ")
    monkeypatch.setenv("CALLEDIT_SEARCH_API_KEY", KEY)
    assert search_tools() == []
    assert SearchConfig.from_env({}) is None


@pytest.mark.parametrize(
    ("env", "base"),
    [
        ({"CALLEDIT_SEARCH_PROVIDER": "tavily", "CALLEDIT_SEARCH_API_KEY": KEY}, "https://api.tavily.com"),
        (
            {"CALLEDIT_SEARCH_PROVIDER": " Brave ", "CALLEDIT_SEARCH_API_KEY": KEY},
            "https://api.search.brave.com",
        ),
        ({"CALLEDIT_SEARCH_PROVIDER": "searxng", "CALLEDIT_SEARCH_URL": "http://10.0.0.5:8080/searx"}, None),
        ({"CALLEDIT_SEARCH_PROVIDER": "searxng", "CALLEDIT_SEARCH_URL": "http://searxng:8080"}, None),
        (
            {
                "CALLEDIT_SEARCH_PROVIDER": "tavily",
                "CALLEDIT_SEARCH_API_KEY": KEY,
                "CALLEDIT_SEARCH_URL": "http://127.0.0.1:9/",
            },
            "http://127.0.0.1:9/",
        ),
    ],
)
def test_each_provider_is_offered_when_configured(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], base: str | None
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert search_tools() == [web_search]
    config = SearchConfig.from_env()
    assert config is not None
    assert config.base_url == (base or env["CALLEDIT_SEARCH_URL"])
    assert KEY not in repr(config)


P, K, U = ENV_VARS
MISCONFIGURED = [
    ({P: "google"}, P, "choose one of tavily, brave, searxng"),
    ({P: "tavily"}, K, "needs"),
    ({P: "brave", K: " "}, K, "needs"),
    ({P: "searxng"}, U, "needs"),
    ({P: "searxng", U: "ftp://s.example"}, U, "http"),
    ({P: "searxng", U: "searxng:8080"}, U, "http"),
    ({P: "searxng", U: "http://u:p@s.example"}, U, "password"),
    ({P: "searxng", U: "http://s.example/?q=1"}, U, "query"),
    ({P: "searxng", U: "http://s.example/#top"}, U, "fragment"),
    ({P: "searxng", U: "http://169.254.169.254/"}, U, "metadata"),
    ({P: "searxng", U: "http://metadata.google.internal"}, U, "metadata"),
    ({P: "searxng", U: "http://0.0.0.0:8080"}, U, "address"),
    ({P: "searxng", U: "http://bad_host_name!/"}, U, "not usable"),
    ({P: "tavily", K: KEY, U: "http://proxy.example"}, U, "https"),
    ({P: "brave", K: "a\x01b", U: "https://b.example"}, K, "control"),
]


@pytest.mark.parametrize(("env", "variable", "words"), MISCONFIGURED)
def test_misconfiguration_names_the_variable_to_fix(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], variable: str, words: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SearchNotConfigured) as caught:
        search_tools()
    assert isinstance(caught.value, ModelUnavailable) and isinstance(caught.value, CallError)
    assert caught.value.code is ErrorCode.MODEL_UNAVAILABLE
    assert variable in caught.value.message and words in caught.value.message
    assert KEY not in caught.value.message


def test_messages_never_echo_credentials_or_queries_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, "searxng", "http://user:hunter2@s.example/x?token=abc123", key=None)
    with pytest.raises(SearchNotConfigured) as caught:
        search_tools()
    assert "hunter2" not in caught.value.message and "abc123" not in caught.value.message
    assert "http://s.example/x" in caught.value.message


def test_tool_spec_is_for_the_model() -> None:
    spec = web_search.tool_spec
    assert spec["name"] == "web_search"
    schema = spec["inputSchema"]["json"]
    assert set(schema["properties"]) == {"query", "max_results"}
    assert schema["required"] == ["query"]
    assert "fetch_url" in spec["description"]


def test_tool_without_configuration_says_so(net: Net) -> None:
    assert "not configured" in error(web_search(query="anything"))
    assert net.connections.attempts == []


def test_tool_with_a_broken_configuration_says_what_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, "brave", None, key=None)
    assert "CALLEDIT_SEARCH_API_KEY" in error(web_search(query="anything"))


# ----------------------------------------------------------------------------------- wire formats


def test_tavily_wire_format(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    use(monkeypatch, providers, "tavily")
    payload = ok(web_search(query="  rain\nin Paris  ", max_results=3))
    (seen,) = providers.requests
    assert seen.method == "POST" and seen.path == "/search" and seen.query == {}
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["accept"] == "application/json"
    assert seen.body == {"query": "rain in Paris", "max_results": 3, "search_depth": "basic"}
    assert payload["query"] == "rain in Paris" and payload["provider"] == "tavily"


def test_brave_wire_format(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    use(monkeypatch, providers, "brave")
    payload = ok(web_search(query="rain & wind in Paris?", max_results=4))
    (seen,) = providers.requests
    assert seen.method == "GET" and seen.path == "/res/v1/web/search" and seen.body is None
    assert seen.query == {"q": ["rain & wind in Paris?"], "count": ["4"]}
    assert seen.headers["x-subscription-token"] == KEY
    assert seen.headers["accept"] == "application/json"
    assert "authorization" not in seen.headers
    assert payload["provider"] == "brave"


def test_searxng_wire_format(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    use(monkeypatch, providers, "searxng")
    payload = ok(web_search(query="rain in Paris", max_results=2))
    (seen,) = providers.requests
    assert seen.method == "GET" and seen.path == "/search"
    assert seen.query == {"q": ["rain in Paris"], "format": ["json"]}
    assert "authorization" not in seen.headers and "x-subscription-token" not in seen.headers
    assert len(payload["results"]) == 2  # SearXNG has no count parameter: cut on our side


def test_searxng_base_url_with_a_path_prefix(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    configure(monkeypatch, "searxng", providers.url() + "/searx/", key=None)
    error(web_search(query="rain"))  # the scripted server only knows /search
    assert providers.requests[0].path == "/searx/search"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_results_are_normalised_the_same_way_for_every_provider(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    use(monkeypatch, providers, provider)
    payload = ok(web_search(query="rain in Paris"))
    assert set(payload) == {"query", "results", "provider"}
    assert payload["results"] == [
        {
            "title": "Rain in Paris & London",
            "url": "https://news.example/rain",
            "snippet": "It rained 12 mm.",
            "published": "2026-05-01T10:00:00",
        },
        {"title": "Météo Paris", "url": "http://meteo.example/paris?day=1", "snippet": "Forecast: showers"},
        {"title": "Third result", "url": "https://third.example/", "snippet": "third snippet"},
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_compressed_answers_are_read(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    providers.mode = "gzip"
    use(monkeypatch, providers, provider)
    assert len(ok(web_search(query="rain"))["results"]) == 3
    assert "gzip" in providers.requests[0].headers["accept-encoding"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_results_are_a_success(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    providers.mode = "empty"
    use(monkeypatch, providers, provider)
    assert ok(web_search(query="nothing matches this"))["results"] == []


@pytest.mark.parametrize(("asked", "sent"), [(0, 1), (-3, 1), (1, 1), (7, 7), (10, 10), (50, 10)])
def test_max_results_is_clamped_to_1_to_10(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, asked: int, sent: int
) -> None:
    use(monkeypatch, providers, "brave")
    providers.items = [Item(f"r{n}", f"https://r.example/{n}", "s") for n in range(15)]
    payload = ok(web_search(query="q", max_results=asked))
    assert providers.requests[0].query["count"] == [str(sent)]
    assert len(payload["results"]) == sent


def test_odd_max_results_values_fall_back_to_the_default() -> None:
    assert search_module.clamp_results("3") == 3
    assert search_module.clamp_results(None) == 5
    assert search_module.clamp_results(float("nan")) == 5
    assert search_module.clamp_results(2.9) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_http_results_survive_and_text_is_clean_and_clipped(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    providers.items = list(DIRTY)
    use(monkeypatch, providers, provider)
    results = ok(web_search(query="dirty", max_results=10))["results"]
    assert [r["url"] for r in results] == ["https://ok.example/a", "HTTPS://Upper.example/b"]
    first, second = results
    assert first["title"].startswith("Good one ttt") and len(first["title"]) == MAX_TITLE_CHARS
    assert first["title"].endswith("…")
    assert first["snippet"].startswith("Para sss") and len(first["snippet"]) == MAX_SNIPPET_CHARS
    assert "x()" not in first["snippet"] and "<" not in first["snippet"]
    assert second["title"] == "HTTPS://Upper.example/b"  # no title: the URL stands in


def test_plain_text_keeps_honest_angle_brackets() -> None:
    assert plain_text("a < b and 5<10 &amp; c > d", 100) == "a < b and 5<10 & c > d"
    assert plain_text("x\x00y\n\tz", 100) == "x y z"
    assert plain_text(None, 100) == ""
    assert plain_text("abcdef", 4) == "abc…"


# ----------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("provider", ["tavily", "brave"])
def test_refused_key_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    use(monkeypatch, providers, provider, key="wrong-key-123456")
    text = error(web_search(query="rain"))
    assert text.startswith("The search provider refused the API key")
    assert text.endswith("check CALLEDIT_SEARCH_API_KEY.")
    assert "wrong-key-123456" not in text
    expected = "HTTP 401 Unauthorized" if provider == "tavily" else "HTTP 422 Unprocessable"
    assert expected in text


@pytest.mark.parametrize(("provider", "code"), [("tavily", "401"), ("brave", "403")])
def test_401_and_403_mean_the_key_was_refused(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str, code: str
) -> None:
    providers.mode = code
    use(monkeypatch, providers, provider)
    assert "refused the API key" in error(web_search(query="rain"))


def test_brave_422_for_bad_parameters_is_not_a_key_problem(
    monkeypatch: pytest.MonkeyPatch, providers: Providers
) -> None:
    providers.mode = "422"
    use(monkeypatch, providers, "brave")
    text = error(web_search(query="rain"))
    assert text.startswith("The search provider rejected the search (HTTP 422 Unprocessable")


def test_searxng_403_explains_the_json_format(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    providers.mode = "403"
    use(monkeypatch, providers, "searxng")
    text = error(web_search(query="rain"))
    assert "SearXNG" in text and "json" in text and "API key" not in text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit(monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str) -> None:
    providers.mode = "429"
    use(monkeypatch, providers, provider)
    assert (
        error(web_search(query="rain"))
        == "Rate limited by the search provider (HTTP 429 Too Many Requests): try later."
    )


def test_tavily_usage_limit(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    providers.mode = "432"
    use(monkeypatch, providers, "tavily")
    assert "usage limit" in error(web_search(query="rain"))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_server_errors(monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str) -> None:
    providers.mode = "500"
    use(monkeypatch, providers, provider)
    assert error(web_search(query="rain")) == (
        "The search provider failed (HTTP 500 Internal Server Error); try again later."
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_slow_provider_times_out_within_the_budget(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str
) -> None:
    providers.mode = "slow"
    monkeypatch.setattr(search_module, "LIMITS", FAST)
    use(monkeypatch, providers, provider)
    started = time.monotonic()
    text = error(web_search(query="rain"))
    assert time.monotonic() - started < FAST.timeout_s + 0.5
    assert text == "The search timed out after 0.4 seconds; try again later."


def test_default_limits() -> None:
    limits = SearchLimits()
    assert (limits.connect_timeout_s, limits.timeout_s, limits.max_bytes) == (3.0, 10.0, 1024 * 1024)
    with pytest.raises(ValueError, match="positive"):
        SearchLimits(timeout_s=0)


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("garbage", "The search provider's answer was not valid JSON; the search could not be read."),
        ("not-object", "did not have the expected form (not a JSON object)"),
        ("no-list", "did not have the expected form (no result list)"),
        ("huge", "The search provider's answer was larger than 1,048,576 bytes; it was not read."),
        (
            "redirect",
            "answered a redirect (HTTP 302 Found), which is not followed: check CALLEDIT_SEARCH_URL.",
        ),
    ],
)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_unusable_answers(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, provider: str, mode: str, words: str
) -> None:
    providers.mode = mode
    use(monkeypatch, providers, provider)
    assert words in error(web_search(query="rain"))
    assert len(providers.requests) == 1  # nothing retried, no redirect followed


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "x" * 401])
def test_bad_queries_are_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, net: Net, query: str
) -> None:
    use(monkeypatch, providers, "tavily")
    text = error(web_search(query=query))
    assert "400" in text
    assert providers.requests == [] and net.connections.attempts == []


def test_a_400_character_query_is_fine(monkeypatch: pytest.MonkeyPatch, providers: Providers) -> None:
    use(monkeypatch, providers, "tavily")
    ok(web_search(query="é" * 400))
    assert providers.requests[0].body["query"] == "é" * 400


def test_closed_port_fails_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    configure(monkeypatch, "searxng", f"http://127.0.0.1:{port}", key=None)
    assert error(web_search(query="rain")) == "Could not connect to the search provider; try again later."


def test_unknown_host_fails_plainly(monkeypatch: pytest.MonkeyPatch, net: Net) -> None:
    configure(monkeypatch, "searxng", "http://searxng.internal:8080", key=None)
    assert "Could not find the search provider's host name" in error(web_search(query="rain"))
    assert net.connections.attempts == []


# --------------------------------------------------------------------------------- endpoint policy


def test_private_searxng_is_allowed(monkeypatch: pytest.MonkeyPatch, providers: Providers, net: Net) -> None:
    """A self-hosted SearXNG on the private network is the usual setup (documented decision)."""
    net.dns.set("searxng", ["127.0.0.1"])
    configure(monkeypatch, "searxng", providers.url("searxng"), key=None)
    assert len(ok(web_search(query="rain"))["results"]) == 3
    assert providers.requests[0].headers["host"] == f"searxng:{providers.port}"
    assert net.connections.attempts == [("127.0.0.1", providers.port)]


@pytest.mark.parametrize("answer", ["169.254.169.254", "169.254.10.1", "fd00:ec2::254", "100.100.100.200"])
def test_names_resolving_to_metadata_or_link_local_are_refused(
    monkeypatch: pytest.MonkeyPatch, net: Net, answer: str
) -> None:
    net.dns.set("searxng", [answer])
    configure(monkeypatch, "searxng", "http://searxng:8080", key=None)
    assert "never contacted" in error(web_search(query="rain"))
    assert net.connections.attempts == []


def test_key_is_never_sent_over_plain_http_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, net: Net
) -> None:
    net.dns.set("localhost", ["10.1.2.3"])  # "localhost" that is not this machine
    configure(monkeypatch, "tavily", f"http://localhost:{providers.port}")
    assert "only sent over https" in error(web_search(query="rain"))
    assert net.connections.attempts == []


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    monkeypatch: pytest.MonkeyPatch, tls_providers: Providers, certificates: Certificates, net: Net
) -> None:
    net.dns.set("secure.test", ["127.0.0.1"])
    monkeypatch.setattr(search_module, "LIMITS", SearchLimits(ca_bundle=certificates.ca_file))
    configure(monkeypatch, "tavily", tls_providers.url("secure.test"))
    assert len(ok(web_search(query="rain"))["results"]) == 3
    assert tls_providers.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert net.connections.attempts == [("127.0.0.1", tls_providers.port)]


def test_https_certificate_must_be_trusted(
    monkeypatch: pytest.MonkeyPatch, tls_providers: Providers, net: Net
) -> None:
    net.dns.set("secure.test", ["127.0.0.1"])
    configure(monkeypatch, "brave", tls_providers.url("secure.test"))
    assert "certificate" in error(web_search(query="rain"))
    assert tls_providers.requests == []  # the key never left


def test_https_certificate_must_match_the_name(
    monkeypatch: pytest.MonkeyPatch, tls_providers: Providers, certificates: Certificates, net: Net
) -> None:
    net.dns.set("other.test", ["127.0.0.1"])
    monkeypatch.setattr(search_module, "LIMITS", SearchLimits(ca_bundle=certificates.ca_file))
    configure(monkeypatch, "brave", tls_providers.url("other.test"))
    assert "certificate" in error(web_search(query="rain"))
    assert tls_providers.requests == []


def test_environment_proxies_are_ignored(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, net: Net
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    use(monkeypatch, providers, "searxng")
    ok(web_search(query="rain"))
    assert net.connections.attempts == [("127.0.0.1", providers.port)]


# ------------------------------------------------------------------------------- the key stays secret


def test_library_function_raises_typed_errors(providers: Providers) -> None:
    config = SearchConfig("searxng", providers.url(), limits=FAST)
    assert [hit.url for hit in search("rain", 1, config=config).results] == ["https://news.example/rain"]
    with pytest.raises(SearchRefused):
        search("", config=config)
    providers.mode = "500"
    with pytest.raises(SearchFailed) as caught:
        search("rain", config=config)
    assert caught.value.status == 500 and not caught.value.timed_out


def test_the_key_never_appears_in_results_or_logs(
    monkeypatch: pytest.MonkeyPatch, providers: Providers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(search_module, "LIMITS", FAST)
    outputs: list[dict[str, Any]] = []
    for provider in ("tavily", "brave"):
        for mode in (
            "results",
            "empty",
            "401",
            "403",
            "429",
            "500",
            "garbage",
            "slow",
            "redirect",
            "echo-key",
        ):
            providers.mode = mode
            use(monkeypatch, providers, provider)
            outputs.append(web_search(query="rain in Paris"))
        use(monkeypatch, providers, provider, key="another-wrong-key-789")
        outputs.append(web_search(query="rain"))
    assert {o["status"] for o in outputs} == {"success", "error"}
    assert KEY not in json.dumps(outputs)
    assert "[redacted]" in json.dumps(outputs)  # the echoing provider's results were scrubbed
    logged = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''} {record.args!r}" for record in caplog.records
    )
    assert caplog.records and KEY not in logged and "another-wrong-key-789" not in logged
    assert any("refused the API key" in record.getMessage() for record in caplog.records)


def test_tool_never_raises_and_redacts_unexpected_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"internal detail with {KEY}")

    configure(monkeypatch, "tavily", None)
    monkeypatch.setattr(search_module, "search", boom)
    caplog.set_level(logging.DEBUG)
    text = error(web_search(query="rain"))
    assert text == "The search failed because of an unexpected error."
    assert "internal detail" in caplog.text and KEY not in caplog.text


# ---------------------------------------------------------------------------------- in an agent loop


def quote_first_result(messages: Messages) -> Step:
    """Ends with text quoting the first result URL web_search gave."""
    found = tool_results(messages).get("web_search")
    first_url = found["results"][0]["url"] if found else "nothing"
    return Step(text=f"Evidence lead: {first_url}")


def test_web_search_runs_in_a_strands_agent_loop(
    monkeypatch: pytest.MonkeyPatch, providers: Providers
) -> None:
    use(monkeypatch, providers, "brave")
    model = ScriptedModel(
        [
            Step(tools=[("web_search", {"query": "rain in Paris May 2026", "max_results": 2})]),
            quote_first_result,
        ]
    )
    agent = Agent(model=model, tools=[*search_tools()], callback_handler=None)
    assert agent.tool_names == ["web_search"]
    result = agent("Did it rain in Paris on 1 May 2026?")
    assert str(result).strip() == "Evidence lead: https://news.example/rain"
    assert len(model.requests) == 2
    (seen,) = providers.requests
    assert seen.query == {"q": ["rain in Paris May 2026"], "count": ["2"]}
    (tool_result,) = [
        block["toolResult"]
        for message in agent.messages
        for block in message["content"]
        if "toolResult" in block
    ]
    assert tool_result["status"] == "success"
    assert [r["url"] for r in tool_result["content"][0]["json"]["results"]] == [
        "https://news.example/rain",
        "http://meteo.example/paris?day=1",
    ]
