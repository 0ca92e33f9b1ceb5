"""The SSRF-safe fetch tool: readable text from the fixture site, limits, timeouts, redirects, the
address policy on every hop (numeric tricks, mixed and rebinding DNS), pinned TLS, and the Strands
tool's error results."""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import time
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calledit.verification.fetch import (
    FetchedPage,
    FetchError,
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    fetch,
    fetch_url,
)

from .conftest import ARTICLE, DATA, Certificates, Net, Site, gzip_bomb

LOCAL = FetchPolicy(allow_loopback=True)
PUBLIC_IP = "93.184.216.34"


def fetched(url: str, policy: FetchPolicy = LOCAL) -> FetchedPage:
    return fetch(url, policy=policy)


# ------------------------------------------------------------------------------------- content


def test_html_article_becomes_readable_text(site: Site) -> None:
    page = fetched(site.url("/article"))
    assert page.status == 200
    assert page.content_type == "text/html"
    assert page.title == "Rain in Paris & London"
    assert page.text.splitlines() == [
        "Forecast",
        "It will rain tomorrow.",
        "Paris: 12 mm",
        "London: 8 mm",
        "City",
        "mm",
        "Paris",
        "12",
        "Café <ok>",
    ]
    for hidden in ("do-not-show", "color: red", "enable javascript", "svg-text", "icon", "template-text"):
        assert hidden not in page.text
    assert page.url == page.final_url == site.url("/article")
    assert page.truncated is False
    assert page.bytes == len(ARTICLE.encode())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", page.retrieved_at)
    assert page.to_dict() == {
        "url": page.url,
        "final_url": page.final_url,
        "status": 200,
        "content_type": "text/html",
        "title": page.title,
        "text": page.text,
        "truncated": False,
        "retrieved_at": page.retrieved_at,
        "bytes": page.bytes,
    }


def test_json_is_pretty_printed(site: Site) -> None:
    page = fetched(site.url("/data.json"))
    assert page.content_type == "application/json"
    assert page.title is None
    assert json.loads(page.text) == DATA
    assert page.text == json.dumps(DATA, indent=1)


def test_plain_text_xml_and_charsets(site: Site) -> None:
    assert fetched(site.url("/plain")).text == "plain text: héllo\n\nend"
    assert fetched(site.url("/latin1")).text == "Café crème"
    assert fetched(site.url("/bad-utf8")).text == "ok \ufffd\ufffd done"
    rss = fetched(site.url("/feed.rss"))
    assert rss.content_type == "application/rss+xml"
    assert "<title>News</title>" in rss.text


def test_body_beyond_max_bytes_is_cut_and_marked(site: Site) -> None:
    page = fetched(site.url("/big"), FetchPolicy(allow_loopback=True, max_bytes=100_000, max_chars=500_000))
    assert page.bytes == 100_000
    assert page.truncated is True
    assert len(page.text) <= 100_000


def test_compression_bomb_stops_at_max_bytes(site: Site) -> None:
    assert len(gzip_bomb()) < 100_000  # tiny on the wire, 20 MiB decoded
    started = time.monotonic()
    page = fetched(site.url("/bomb"))
    assert page.bytes == 2 * 1024 * 1024
    assert page.truncated is True
    assert len(page.text) == 20_000
    assert time.monotonic() - started < 3


def test_text_beyond_max_chars_is_cut_and_marked(site: Site) -> None:
    page = fetched(site.url("/article"), FetchPolicy(allow_loopback=True, max_chars=10))
    assert page.text == "Forecast\nI"
    assert page.truncated is True


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/pdf", "application/pdf"),
        ("/png", "image/png"),
        ("/octet", "application/octet-stream"),
        ("/no-type", "undeclared"),
    ],
)
def test_binary_content_is_refused(site: Site, path: str, kind: str) -> None:
    with pytest.raises(FetchRefused, match="cannot be read as text") as info:
        fetched(site.url(path))
    assert kind in info.value.message


@pytest.mark.parametrize(("code", "words"), [(404, "HTTP 404 (Not Found)"), (500, "HTTP 500")])
def test_http_errors_are_failures_not_evidence(site: Site, code: int, words: str) -> None:
    with pytest.raises(FetchFailed) as info:
        fetched(site.url(f"/status/{code}"))
    assert info.value.status == code
    assert words in info.value.message
    assert "not evidence" in info.value.message


def test_error_messages_never_echo_more_than_200_characters_of_the_url(site: Site) -> None:
    url = site.url("/status/404?q=" + "z" * 1500)
    with pytest.raises(FetchFailed) as info:
        fetched(url)
    assert url[:201] not in info.value.message
    assert url[:150] in info.value.message
    assert len(info.value.message) < 400


def test_overlong_urls_are_refused_before_any_connection(site: Site, net: Net) -> None:
    with pytest.raises(FetchRefused, match="2,048"):
        fetched(site.url("/plain?q=" + "z" * 2100))
    assert net.connections.attempts == []


# ------------------------------------------------------------------------------------- timeouts


def test_slow_server_times_out_within_the_budget(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed, match=r"Timed out after 0\.5 seconds") as info:
        fetched(site.url("/slow"), FetchPolicy(allow_loopback=True, timeout_s=0.5))
    assert info.value.timed_out is True
    assert 0.4 < time.monotonic() - started < 1.2


def test_trickled_body_cannot_outlast_the_total_deadline(site: Site) -> None:
    """One byte every 50 ms never trips a per-read timeout; the wall-clock deadline still stops it."""
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="Timed out") as info:
        fetched(site.url("/trickle"), FetchPolicy(allow_loopback=True, timeout_s=0.6))
    assert info.value.timed_out is True
    assert 0.5 < time.monotonic() - started < 1.3


# ------------------------------------------------------------------------------------- redirects


def test_one_redirect_is_followed(site: Site) -> None:
    before = site.count
    page = fetched(site.url("/redirect/1"))
    assert page.url == site.url("/redirect/1")
    assert page.final_url == site.url("/redirect/0")
    assert page.title == "Rain in Paris & London"
    assert site.count - before == 2


def test_three_redirects_are_the_limit(site: Site) -> None:
    assert fetched(site.url("/redirect/3")).final_url == site.url("/redirect/0")
    before = site.count
    with pytest.raises(FetchRefused, match=r"too many redirects \(more than 3\)"):
        fetched(site.url("/redirect/4"))
    assert site.count - before == 4  # the fifth hop was never requested


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[::ffff:169.254.169.254]/", "metadata"),
        ("http://10.0.0.1/admin", "private"),
        ("http://internal.test/", "private"),
        ("file:///etc/passwd", "'file:'"),
        ("ftp://example.com/", "'ftp:'"),
        ("http://user:s3cret@example.com/", "credentials"),
    ],
)
def test_redirects_are_checked_like_the_first_hop(site: Site, net: Net, location: str, words: str) -> None:
    net.dns.set("internal.test", ["10.0.0.5"])
    before = site.count
    with pytest.raises(FetchRefused, match="redirected to a refused address") as info:
        fetched(site.url("/to?u=" + quote(location, safe="")))
    assert words in info.value.message
    assert "s3cret" not in info.value.message
    assert site.count - before == 1
    assert net.connections.attempts == [("127.0.0.1", site.port)]


def test_redirect_without_location_fails(site: Site) -> None:
    with pytest.raises(FetchFailed, match="without a destination"):
        fetched(site.url("/redirect-empty"))


# ------------------------------------------------------------------------------------- address policy

REFUSED_EVEN_WITH_LOOPBACK = [
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254./",
    "http://0xa9fea9fe/",  # 169.254.169.254 in hex
    "http://169.254.170.2/v2/credentials",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of the metadata address
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 form of the metadata address
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://100.100.100.200/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.1/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./computeMetadata/v1/",
    "http://instance-data/latest/",
    "ftp://example.com/file.txt",
    "file:///etc/passwd",
    "gopher://example.com/",
    "javascript:alert(1)",
    "//example.com/",
    "http://user:s3cret@example.com/",
    "http://user@example.com/",
    "http://example.com\r\nHost: evil/",
    "http://999.1.1.1/",
    "http://08.0.0.1/",
    "http://1.2.3.4.5/",
    "http://%31%32%37.0.0.1/",
    "http:///path",
    "http://example.com:0/",
]
LOOPBACK_FORMS = [
    "http://127.0.0.1:{port}/host",
    "http://localhost:{port}/host",
    "http://LOCALHOST.:{port}/host",
    "http://2130706433:{port}/host",
    "http://0177.0.0.1:{port}/host",
    "http://0x7f000001:{port}/host",
    "http://0x7f.1:{port}/host",
    "http://127.1:{port}/host",
    "http://[::ffff:127.0.0.1]:{port}/host",
    "http://127.0.0.1.:{port}/host",
]


def assert_refused_without_connecting(url: str, policy: FetchPolicy, site: Site, net: Net) -> str:
    before = site.count
    started = time.monotonic()
    with pytest.raises(FetchRefused) as info:
        fetch(url, policy=policy)
    assert time.monotonic() - started < 0.5
    assert net.connections.attempts == []
    assert site.count == before
    message = info.value.message
    assert message.startswith("Refused")
    assert "Traceback" not in message and "s3cret" not in message and len(message) < 400
    return message


@pytest.mark.parametrize("url", REFUSED_EVEN_WITH_LOOPBACK + LOOPBACK_FORMS + ["http://[::1]:{port}/"])
def test_internal_addresses_are_refused_by_default(site: Site, net: Net, url: str) -> None:
    assert_refused_without_connecting(url.format(port=site.port), FetchPolicy(), site, net)


@pytest.mark.parametrize("url", REFUSED_EVEN_WITH_LOOPBACK)
def test_allow_loopback_still_refuses_everything_else(site: Site, net: Net, url: str) -> None:
    assert_refused_without_connecting(url, LOCAL, site, net)


@pytest.mark.parametrize("url", LOOPBACK_FORMS)
def test_loopback_forms_normalise_to_127_0_0_1_when_allowed(site: Site, net: Net, url: str) -> None:
    page = fetched(url.format(port=site.port))
    assert page.status == 200
    assert net.connections.attempts == [("127.0.0.1", site.port)]


def test_ipv6_loopback_is_allowed_only_when_loopback_is(site: Site, net: Net) -> None:
    with pytest.raises(FetchFailed):  # allowed, but nothing listens on [::1]
        fetched(f"http://[::1]:{site.port}/")
    assert net.connections.attempts == [("::1", site.port)]


def test_host_header_is_the_canonical_host(site: Site) -> None:
    assert fetched(f"http://2130706433:{site.port}/host").text == f"127.0.0.1:{site.port}"
    assert fetched(f"http://LocalHost:{site.port}/host").text == f"localhost:{site.port}"


def test_a_name_with_any_internal_address_is_refused(site: Site, net: Net) -> None:
    net.dns.set("mixed.test", [PUBLIC_IP, "10.0.0.5"])
    message = assert_refused_without_connecting("http://mixed.test/", LOCAL, site, net)
    assert "'mixed.test' resolves to a private network address" in message
    assert "10.0.0.5" not in message  # internal DNS answers are not echoed
    assert net.dns.calls == ["mixed.test"]


@pytest.mark.parametrize(
    "answer", ["127.0.0.1", "::1", "169.254.169.254", "::ffff:127.0.0.1", "fd00:ec2::254", "100.64.1.1"]
)
def test_names_resolving_to_internal_addresses_are_refused(site: Site, net: Net, answer: str) -> None:
    net.dns.set("sneaky.test", [answer])
    assert_refused_without_connecting("https://sneaky.test/", FetchPolicy(), site, net)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.integers(0, 2**33).map(str),
            st.integers(0, 2**33).map(lambda n: f"0x{n:x}"),
            st.integers(0, 2**33).map(lambda n: f"0{n:o}"),
        ),
        min_size=1,
        max_size=4,
    ).map(".".join)
)
def test_numeric_hosts_mean_what_inet_aton_says(net: Net, host: str) -> None:
    """Any host inet_aton accepts is checked and connected to as exactly that address."""
    try:
        address = ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return
    net.connections.attempts.clear()
    if (
        address.is_global
        and not address.is_multicast
        and address not in ipaddress.ip_network("100.64.0.0/10")
    ):
        with pytest.raises(FetchFailed):
            fetch(f"http://{host}/", policy=FetchPolicy(timeout_s=1))
        assert net.connections.attempts == [(str(address), 80)]
    else:
        with pytest.raises(FetchRefused):
            fetch(f"http://{host}/")
        assert net.connections.attempts == []


def test_unknown_host_fails_plainly(net: Net) -> None:
    with pytest.raises(FetchFailed, match=r"Could not find the host name 'nowhere\.test'"):
        fetch("http://nowhere.test/")
    assert net.connections.attempts == []


def test_connection_is_pinned_to_the_validated_address(site: Site, net: Net) -> None:
    """DNS rebinding: the name is resolved once; later answers (here internal ones) are never used, and
    the server still sees the original Host header."""
    net.dns.set("rebind.test", ["127.0.0.1"], ["10.0.0.5"], ["169.254.169.254"])
    before = site.count
    page = fetched(f"http://rebind.test:{site.port}/host")
    assert page.text == f"rebind.test:{site.port}"
    assert site.requests[before:][0].host == f"rebind.test:{site.port}"
    assert net.dns.calls == ["rebind.test"]
    assert net.connections.attempts == [("127.0.0.1", site.port)]


def test_rebinding_from_public_to_loopback_never_reaches_loopback(site: Site, net: Net) -> None:
    """The resolver answers a public address first, then loopback: the connection goes to the public
    address that was checked (blocked by the test guard), never to the fixture site."""
    net.dns.set("rebind.test", [PUBLIC_IP], ["127.0.0.1"])
    before = site.count
    with pytest.raises(FetchFailed, match=r"Could not connect to 'rebind\.test'"):
        fetched(f"http://rebind.test:{site.port}/host")
    assert net.connections.attempts == [(PUBLIC_IP, site.port)]
    assert net.dns.calls == ["rebind.test"]
    assert site.count == before


def test_every_validated_address_is_tried_in_turn(site: Site, net: Net) -> None:
    net.dns.set("two.test", [PUBLIC_IP, "127.0.0.1"])
    assert fetched(f"http://two.test:{site.port}/host").text == f"two.test:{site.port}"
    assert net.connections.attempts == [(PUBLIC_IP, site.port), ("127.0.0.1", site.port)]


# ------------------------------------------------------------------------------------- TLS


def tls_policy(certificates: Certificates) -> FetchPolicy:
    return FetchPolicy(allow_loopback=True, ca_bundle=certificates.ca_file)


def test_https_connects_to_the_ip_but_verifies_the_name(
    tls_site: Site, certificates: Certificates, net: Net
) -> None:
    net.dns.set("secure.test", ["127.0.0.1"], ["10.0.0.5"])
    before = tls_site.count
    page = fetch(tls_site.url("/host", host="secure.test"), policy=tls_policy(certificates))
    assert page.text == f"secure.test:{tls_site.port}"
    assert tls_site.requests[before].host == f"secure.test:{tls_site.port}"
    assert tls_site.sni[-1] == "secure.test"
    assert net.connections.attempts == [("127.0.0.1", tls_site.port)]


@pytest.mark.parametrize("host", ["wrong.test", "127.0.0.1"])
def test_https_certificate_must_match_the_host_name(
    tls_site: Site, certificates: Certificates, net: Net, host: str
) -> None:
    net.dns.set("wrong.test", ["127.0.0.1"])
    with pytest.raises(FetchFailed, match="certificate is not valid for this name or not trusted"):
        fetch(tls_site.url("/host", host=host), policy=tls_policy(certificates))


def test_https_certificate_must_be_trusted(tls_site: Site, net: Net) -> None:
    net.dns.set("secure.test", ["127.0.0.1"])
    with pytest.raises(FetchFailed, match="certificate"):
        fetched(tls_site.url("/host", host="secure.test"))


# ------------------------------------------------------------------------------------- policy


def test_policy_defaults() -> None:
    policy = FetchPolicy()
    assert policy.allow_loopback is False
    assert (policy.connect_timeout_s, policy.timeout_s) == (3.0, 10.0)
    assert (policy.max_bytes, policy.max_chars, policy.max_redirects) == (2 * 1024 * 1024, 20_000, 3)
    assert policy.user_agent == "CalledIt-Verifier/1.0 (+https://github.com/calledit)"
    with pytest.raises(ValueError, match="positive"):
        FetchPolicy(timeout_s=0)


def test_from_env_allows_loopback_locally_but_never_in_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FetchPolicy.from_env({}).allow_loopback is False
    assert FetchPolicy.from_env({"CALLEDIT_FETCH_ALLOW_LOOPBACK": "1"}).allow_loopback is True
    assert FetchPolicy.from_env({"CALLEDIT_FETCH_ALLOW_LOOPBACK": "0"}).allow_loopback is False
    in_lambda = {"CALLEDIT_FETCH_ALLOW_LOOPBACK": "1", "AWS_LAMBDA_FUNCTION_NAME": "calledit-verifier"}
    assert FetchPolicy.from_env(in_lambda).allow_loopback is False
    in_aws = {"CALLEDIT_FETCH_ALLOW_LOOPBACK": "1", "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"}
    assert FetchPolicy.from_env(in_aws).allow_loopback is False
    monkeypatch.setenv("CALLEDIT_FETCH_ALLOW_LOOPBACK", "1")
    assert FetchPolicy.from_env().allow_loopback is True
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "calledit-verifier")
    assert FetchPolicy.from_env().allow_loopback is False


def test_user_agent_is_sent(site: Site) -> None:
    before = site.count
    fetched(site.url("/host"))
    assert site.requests[before].agent == "CalledIt-Verifier/1.0 (+https://github.com/calledit)"


def test_errors_share_one_base_class(site: Site) -> None:
    assert issubclass(FetchRefused, FetchError) and issubclass(FetchFailed, FetchError)
    with pytest.raises(FetchError, match="could not be decompressed"):
        fetched(site.url("/bad-gzip"))


# ------------------------------------------------------------------------------------- the tool


def test_tool_spec_is_for_the_model() -> None:
    spec = fetch_url.tool_spec
    assert spec["name"] == "fetch_url"
    assert set(spec["inputSchema"]["json"]["properties"]) == {"url"}


def test_tool_returns_the_page_when_loopback_is_allowed(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLEDIT_FETCH_ALLOW_LOOPBACK", "1")
    result = fetch_url(site.url("/article"))
    assert result["status"] == "success"
    page = result["content"][0]["json"]
    assert page["title"] == "Rain in Paris & London" and page["status"] == 200 and "Forecast" in page["text"]


def test_tool_refuses_loopback_in_aws_even_with_the_flag(
    site: Site, net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLEDIT_FETCH_ALLOW_LOOPBACK", "1")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "calledit-verifier")
    result = fetch_url(site.url("/article"))
    assert result["status"] == "error"
    assert "loopback" in result["content"][0]["text"]
    assert net.connections.attempts == []


@pytest.mark.parametrize("url", [*REFUSED_EVEN_WITH_LOOPBACK, *LOOPBACK_FORMS, "not a url", ""])
def test_tool_reports_refusals_as_plain_error_results(url: str, net: Net) -> None:
    result = fetch_url(url.format(port=8080))
    assert result["status"] == "error"
    (item,) = result["content"]
    assert set(item) == {"text"}
    assert item["text"].startswith("Refused") and "Traceback" not in item["text"]
    assert net.connections.attempts == []


def test_tool_reports_http_errors(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLEDIT_FETCH_ALLOW_LOOPBACK", "1")
    result = fetch_url(site.url("/status/404"))
    assert result == {
        "status": "error",
        "content": [
            {
                "text": f"The server answered HTTP 404 (Not Found) for {site.url('/status/404')}; "
                "the page could not be read, so it is not evidence."
            }
        ],
    }


def test_tool_never_raises_on_unexpected_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> FetchedPage:
        raise RuntimeError("internal detail")

    monkeypatch.setattr("calledit.verification.fetch.fetch", boom)
    result = fetch_url("https://example.com/")
    assert result["status"] == "error"
    assert "internal detail" not in result["content"][0]["text"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(lambda s: "http://" + s, st.text(max_size=60)),
        st.builds(
            lambda a, b: f"http://{a}.{b}/",
            st.integers(-1, 2**33),
            st.from_regex(r"0x[0-9a-f]{0,9}", fullmatch=True),
        ),
    )
)
def test_tool_never_raises_for_any_input(net: Net, url: str) -> None:
    result = fetch_url(url)
    assert result["status"] in {"success", "error"}
    if result["status"] == "error":
        assert isinstance(result["content"][0]["text"], str)
    for host, _port in net.connections.attempts:
        assert not host.startswith(("127.", "10.", "169.254.", "192.168.", "0.")), host
