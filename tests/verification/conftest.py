"""Fixtures for the fetch tool: a fixture web site on 127.0.0.1 (HTTP, and HTTPS with a private CA), a
fake DNS, and a guard that records every outgoing connection and blocks anything but loopback, so no
test can reach the real network."""

from __future__ import annotations

import contextlib
import errno
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3.util.connection
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from calledit.verification import fetch as fetch_module

ARTICLE = """<!doctype html>
<html><head><title>  Rain in Paris &amp; London </title>
<style>body { color: red }</style>
<script>var secret = "do-not-show-script";</script></head>
<body><h1>Forecast</h1>
<p>It will   rain
tomorrow.</p>
<noscript>enable javascript</noscript>
<ul><li>Paris: 12 mm</li><li>London: 8 mm</li></ul>
<table><tr><th>City</th><th>mm</th></tr><tr><td>Paris</td><td>12</td></tr></table>
<svg><title>icon</title><text>svg-text</text></svg>
<template><p>template-text</p></template>
<p>Caf&eacute; &lt;ok&gt;</p>
</body></html>
"""
DATA = {"team": "Paris", "scores": [1, 2], "final": True}
BIG_SIZE = 300_000
SLOW_SECONDS = 1.5
TRICKLE_SECONDS = 3.0


@cache
def gzip_bomb() -> bytes:
    """20 MiB of text that is about 20 KiB on the wire."""
    return gzip.compress(b"x" * (20 * 1024 * 1024), compresslevel=9)


@dataclass(frozen=True)
class Seen:
    path: str
    host: str | None
    agent: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.site = site


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str | None, **headers: str) -> None:
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", "text/plain", Location=location)

    def do_GET(self) -> None:
        self.server.site.record(Seen(self.path, self.headers.get("Host"), self.headers.get("User-Agent")))
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client hung up early
            self._route(path, query)

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        if path in ("/", "/article"):
            self._send(200, ARTICLE.encode(), "text/html; charset=utf-8")
        elif path == "/data.json":
            self._send(200, json.dumps(DATA).encode(), "application/json")
        elif path == "/plain":
            self._send(200, "plain text: héllo\n\n\n\nend  \n".encode(), "text/plain; charset=utf-8")
        elif path == "/latin1":
            self._send(200, "Café crème".encode("latin-1"), 'text/plain; charset="ISO-8859-1"')
        elif path == "/bad-utf8":
            self._send(200, b"ok \xff\xfe done", "text/plain")
        elif path == "/feed.rss":
            self._send(200, b"<rss><channel><title>News</title></channel></rss>", "application/rss+xml")
        elif path == "/host":
            self._send(200, (self.headers.get("Host") or "").encode(), "text/plain")
        elif path == "/big":
            line = b"a" * 99 + b"\n"
            self._send(200, line * (BIG_SIZE // len(line)), "text/plain")
        elif path == "/bad-gzip":
            self._send(200, b"\x1f\x8b\x08\x00not really gzip", "text/plain", Content_Encoding="gzip")
        elif path == "/bomb":
            self._send(200, gzip_bomb(), "text/plain", Content_Encoding="gzip")
        elif path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._send(200, b"too late", "text/plain")
        elif path == "/trickle":  # headers at once, then one byte every 50 ms: no single read times out
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            end = time.monotonic() + TRICKLE_SECONDS
            while time.monotonic() < end:
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path == "/pdf":
            self._send(200, b"%PDF-1.7\n...", "application/pdf")
        elif path == "/png":
            self._send(200, b"\x89PNG\r\n\x1a\n", "image/png")
        elif path == "/octet":
            self._send(200, b"\x00\x01\x02", "application/octet-stream")
        elif path == "/no-type":
            self._send(200, b"what am I", None)
        elif path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            self._send(code, b"<h1>error page</h1>", "text/html")
        elif path.startswith("/redirect/"):  # /redirect/n -> ... -> /redirect/0 -> the article
            hops = int(path.rsplit("/", 1)[1])
            if hops == 0:
                self._send(200, ARTICLE.encode(), "text/html; charset=utf-8")
            else:
                self._redirect(f"/redirect/{hops - 1}")
        elif path == "/to":
            self._redirect(query["u"][0])
        elif path == "/redirect-empty":
            self._send(302, b"", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")


@dataclass
class Site:
    """A fixture web site on 127.0.0.1; remembers every request it answered (path and Host header)."""

    scheme: str = "http"
    requests: list[Seen] = field(default_factory=list)
    sni: list[str | None] = field(default_factory=list)
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


def _serve(site: Site, context: ssl.SSLContext | None = None) -> Iterator[Site]:
    server = _Server(site)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    yield from _serve(Site())


@dataclass(frozen=True)
class Certificates:
    ca_file: str
    cert_file: str
    key_file: str


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A private CA and a server certificate for secure.test only (no IP addresses)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("CalledIt test CA"))
        .issuer_name(_name("CalledIt test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("secure.test"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.test")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    files = Certificates(str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem"))
    Path(files.ca_file).write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    Path(files.cert_file).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    Path(files.key_file).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return files


@pytest.fixture(scope="session")
def tls_site(certificates: Certificates) -> Iterator[Site]:
    """The same site over HTTPS with the secure.test certificate; records the SNI names it was sent."""
    site = Site(scheme="https")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates.cert_file, certificates.key_file)

    def remember_sni(_sock: Any, server_name: str | None, _context: Any) -> None:
        site.sni.append(server_name)

    context.sni_callback = remember_sni
    yield from _serve(site, context)


class FakeDNS:
    """Stands in for ``getaddrinfo`` in the fetch module. Each name has a list of answers given in turn
    (the last repeats), so a test can play a rebinding DNS server; unknown names do not resolve."""

    def __init__(self) -> None:
        self.answers: dict[str, list[list[str]]] = {"localhost": [["127.0.0.1"]]}
        self.calls: list[str] = []

    def set(self, name: str, *answers: list[str]) -> None:
        self.answers[name] = list(answers)

    def __call__(self, host: str, port: int, *_args: Any, **_kwargs: Any) -> list[Any]:
        asked = sum(1 for name in self.calls if name == host)
        self.calls.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers = self.answers[host]
        result: list[Any] = []
        for ip in answers[min(asked, len(answers) - 1)]:
            if ":" in ip:
                result.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
            else:
                result.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
        return result


class ConnectionGuard:
    """Wraps urllib3's ``create_connection``: records every (address, port) a connection is opened to and
    lets only loopback through, so tests never touch the real network."""

    def __init__(self, real: Callable[..., socket.socket]) -> None:
        self.real = real
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        host, port = address
        self.attempts.append((host, port))
        if not ipaddress.ip_address(host.strip("[]")).is_loopback:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        return self.real(address, *args, **kwargs)


@dataclass(frozen=True)
class Net:
    dns: FakeDNS
    connections: ConnectionGuard


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> Net:
    """Fake DNS for the fetch module and a loopback-only connection guard (autouse: no real network)."""
    dns = FakeDNS()
    guard = ConnectionGuard(urllib3.util.connection.create_connection)
    monkeypatch.setattr(fetch_module, "_getaddrinfo", dns)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", guard)
    for name in ("CALLEDIT_FETCH_ALLOW_LOOPBACK", "AWS_LAMBDA_FUNCTION_NAME", "AWS_EXECUTION_ENV"):
        monkeypatch.delenv(name, raising=False)
    return Net(dns, guard)
