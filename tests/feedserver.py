"""A real HTTP server on loopback for tests and benchmarks: fixture files plus
scripted misbehaviour per path.

    from tests.feedserver import FeedServer, Route

    with FeedServer() as server:                       # 127.0.0.1, a free port
        server.file("/feed.xml", FIXTURES / "wordpress.xml", etag=True)
        server.route("/slow.xml", body=b"...", delay=0.3)
        server.route("/gone.xml", status=410)
        server.route("/moved.xml", status=301, location="/feed.xml")
        server.route("/bomb.xml", body=gzip_bomb(50_000_000), gzip_encoded=True)
        url = server.url("/feed.xml")
        ...
        server.requests_for("/feed.xml")[0].headers["user-agent"]

pytest: use the ``feed_server`` fixture from tests/conftest.py or just the
context manager. ``ThreadingHTTPServer`` with daemon threads and a deep
listen queue serves 100+ concurrent slow requests; ``stop()`` releases
handlers that hang or trickle, so a test never waits on them.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import ssl
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit


@dataclass
class Route:
    """What the server does for one path. Every field is optional."""

    body: bytes | Callable[[], Iterable[bytes]] = b""  # bytes, or a chunk-generator factory
    status: int = 200
    content_type: str | None = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    location: str | None = None  # redirect target (give status 301/302/307/308)
    etag: str | bool | None = None  # True: derive from the body; answers If-None-Match with 304
    last_modified: str | bool | None = None  # True: a fixed date; answers If-Modified-Since with 304
    retry_after: str | None = None  # Retry-After header value (429/503)
    delay: float = 0.0  # seconds before answering (latency)
    hang: bool = False  # send the headers, then nothing until the server stops
    hang_before_headers: bool = False  # accept, then never answer
    trickle: float | None = None  # seconds between body bytes (1.0: one byte a second)
    gzip_encoded: bool = False  # body is already gzip: send Content-Encoding: gzip
    compress: bool = False  # gzip the body when the client accepts it
    content_length: bool = True  # False: no Content-Length, body ends at close
    handler: Callable[["RecordedRequest"], "Route"] | None = None  # decide per request


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    time: float


FIXED_LAST_MODIFIED = "Sat, 01 Mar 2025 12:00:00 GMT"


def gzip_bomb(decompressed_size: int = 200_000_000) -> bytes:
    """gzip bytes of zeros: tiny on the wire, huge once decompressed."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip container
    chunk = b"\0" * 1_000_000
    parts = []
    for _ in range(decompressed_size // len(chunk)):
        parts.append(compressor.compress(chunk))
    parts.append(compressor.flush())
    return b"".join(parts)


def endless(chunk: bytes = b"<item>" * 1000) -> Callable[[], Iterable[bytes]]:
    """A body that never ends (until the client gives up)."""

    def generate():
        while True:
            yield chunk

    return generate


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    # HTTP/1.0: one request per connection, so a body without Content-Length
    # simply ends when the connection closes.
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
        pass

    def do_HEAD(self):
        self._respond(head=True)

    def do_GET(self):
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        owner = self.server.owner
        request = RecordedRequest(
            self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
        )
        owner._record(request)
        route = owner._find(self.path)
        if route is None:
            self._simple(404, b"not found\n")
            return
        if route.handler is not None:
            route = route.handler(request)
        stopping = owner._stopping
        delay = route.delay + owner.latency
        if delay and stopping.wait(delay):
            return
        if route.hang_before_headers:
            stopping.wait()
            return
        body = route.body
        if callable(body):
            chunks: Iterable[bytes] = body()
            body_bytes = None
        else:
            body_bytes = body
            chunks = [body]
        etag = route.etag
        if etag is True:
            etag = '"%s"' % hashlib.sha1(body_bytes or b"").hexdigest()[:16]
        last_modified = FIXED_LAST_MODIFIED if route.last_modified is True else route.last_modified
        not_modified = (etag and request.headers.get("if-none-match") == etag) or (
            last_modified
            and "if-none-match" not in request.headers
            and request.headers.get("if-modified-since") == last_modified
        )
        status = 304 if not_modified and route.status == 200 else route.status
        headers = {}
        if route.content_type and status != 304:
            headers["Content-Type"] = route.content_type
        if etag:
            headers["ETag"] = etag
        if last_modified:
            headers["Last-Modified"] = last_modified
        if route.location:
            headers["Location"] = route.location
        if route.retry_after is not None:
            headers["Retry-After"] = route.retry_after
        encoded = route.gzip_encoded
        if (
            route.compress
            and body_bytes is not None
            and "gzip" in request.headers.get("accept-encoding", "")
        ):
            body_bytes = gzip.compress(body_bytes)
            chunks = [body_bytes]
            encoded = True
        if encoded:
            headers["Content-Encoding"] = "gzip"
        if status == 304:
            chunks, body_bytes = [], b""
        if body_bytes is not None and route.content_length and not route.hang:
            headers["Content-Length"] = str(len(body_bytes))
        headers.update(route.headers)
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.flush()
            if route.hang:
                stopping.wait()
                return
            if head:
                return
            for chunk in chunks:
                if route.trickle:
                    for i in range(len(chunk)):
                        self.wfile.write(chunk[i : i + 1])
                        self.wfile.flush()
                        if stopping.wait(route.trickle):
                            return
                else:
                    self.wfile.write(chunk)
                if stopping.is_set():
                    return
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client gave up, as it should with a bad server

    def _simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512  # the benchmark opens 100+ connections at once

    def handle_error(self, request, client_address):
        pass  # clients cutting slow/hanging answers short is expected here


class FeedServer:
    # Started servers, so a test site can let compose fetch images from them
    # (compose refuses loopback addresses unless DIGEST_IMAGE_ALLOW_HOSTS lists them).
    running: set = set()

    """A threaded HTTP server on loopback, with routes set per path."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, root: Path | None = None, latency: float = 0.0,
                 tls: "ssl.SSLContext | None" = None):
        self.host = host
        self.tls = tls  # a server-side context: serve HTTPS
        self._port = port
        self.root = Path(root) if root else None  # fallback: serve files under root
        self.latency = latency  # added to every request's delay
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self) -> FeedServer:
        self._stopping.clear()
        self._server = _Server((self.host, self._port), _Handler)
        self._server.owner = self  # type: ignore[attr-defined]
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        FeedServer.running.add(self)
        return self

    def stop(self) -> None:
        FeedServer.running.discard(self)
        self._stopping.set()  # releases hanging and trickling handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # --- routes --------------------------------------------------------------

    def route(self, path: str, **options) -> Route:
        """Serve ``path`` as described by Route(**options); returns the Route."""
        route = Route(**options)
        self.routes[path] = route
        return route

    def file(self, path: str, file: str | Path, *, content_type: str | None = None, **options) -> Route:
        """Serve a fixture file's bytes (content type guessed from the name)."""
        file = Path(file)
        if content_type is None:
            guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if file.suffix in (".xml", ".rss", ".atom"):
                guessed = "application/xml"
            content_type = guessed
        return self.route(path, body=file.read_bytes(), content_type=content_type, **options)

    def _find(self, raw_path: str) -> Route | None:
        route = self.routes.get(raw_path) or self.routes.get(urlsplit(raw_path).path)
        if route is None and self.root is not None:
            candidate = (self.root / urlsplit(raw_path).path.lstrip("/")).resolve()
            if candidate.is_file() and self.root.resolve() in candidate.parents:
                return Route(
                    body=candidate.read_bytes(),
                    content_type=mimetypes.guess_type(candidate.name)[0] or "application/octet-stream",
                    etag=True,
                )
        return route

    # --- recorded requests -----------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path or r.path == path]


try:  # a ready-made pytest fixture: `from tests.feedserver import feed_server`
    import pytest

    @pytest.fixture
    def feed_server():
        with FeedServer() as server:
            yield server

except ImportError:  # the benchmark runs without pytest
    pass
