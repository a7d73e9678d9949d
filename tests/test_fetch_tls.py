"""fetch over HTTPS, against a real loopback TLS server with a certificate made
here by openssl: certificates are verified (the https:// transport is built
in a thread, off the requests' way, and must still verify), a trusted one is
fetched, and an http:// address redirecting to https:// reaches the same
verifying transport."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from digest.archive import Archive
from digest.fetch import FetchSettings, fetch_all
from digest.models import Source
from tests.feedserver import FeedServer

FEED = (Path(__file__).parent / "fixtures" / "feeds" / "wordpress.xml").read_bytes()
SETTINGS = FetchSettings(concurrency=4, per_host=2, connect_timeout=5.0, read_timeout=5.0, total_timeout=10.0,
                         user_agent="Test Chapter digest fetcher (+https://test-chapter.example.org)")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FeedServer(tls=context) as server:
        server.route("/feed/", body=FEED)
        yield server


def fetch_one(tmp_path, url: str):
    with Archive(tmp_path / "digest.sqlite") as archive:
        [result] = fetch_all([Source(url, "Secure Chapter")], archive, SETTINGS)
        stored = sum(h.entries_stored for h in archive.sources_health())
    return result, stored


def test_an_untrusted_certificate_is_refused_and_nothing_stored(tmp_path, tls_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    result, stored = fetch_one(tmp_path, tls_server.url("/feed/"))
    assert result.outcome == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert stored == 0


def test_a_trusted_certificate_is_fetched(tmp_path, tls_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    result, stored = fetch_one(tmp_path, tls_server.url("/feed/"))
    assert (result.outcome, result.status) == ("fetched", 200), result.error
    assert stored == result.new > 0


def test_http_redirected_to_https_is_verified_too(tmp_path, tls_server, certificate, monkeypatch):
    with FeedServer() as plain:
        plain.route("/feed/", status=301, location=tls_server.url("/feed/"))
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        monkeypatch.delenv("SSL_CERT_DIR", raising=False)
        refused, _ = fetch_one(tmp_path / "refused", plain.url("/feed/"))
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        fetched, stored = fetch_one(tmp_path / "trusted", plain.url("/feed/"))
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert fetched.outcome == "fetched" and fetched.permanent_redirect == tls_server.url("/feed/")
    assert stored == fetched.new > 0
