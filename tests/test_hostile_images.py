"""Hostile images (issue 9, part 4): where compose may connect, how long it
waits, and what it keeps. Real servers on loopback; real Pillow decoding."""

from __future__ import annotations

import io
import socket
import struct
import threading
import zlib
from urllib.parse import urlsplit

import pytest
from PIL import Image

from digest.images import ImageFetcher, ImageLimits, LocalImage, localise_html
from tests.feedserver import FeedServer

from test_digest_support import png


def jpeg_with_gps(width: int, height: int) -> bytes:
    """A JPEG carrying EXIF with a GPS position, a camera name and an orientation."""
    image = Image.new("RGB", (width, height), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "Lanternfish Camera Co"  # Make
    exif[0x0112] = 1  # Orientation: as stored
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (44.0, 30.0, 15.0)  # GPSLatitudeRef, GPSLatitude
    gps[3], gps[4] = "W", (93.0, 10.0, 5.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    data = out.getvalue()
    assert b"Lanternfish" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)
    return data


def png_with_text(width: int, height: int) -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "home of Tomasz Wren, 14 Alder Street")
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 200, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height; the pixel data is a token."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def gif(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("P", (width, height)).save(out, "GIF")
    return out.getvalue()


@pytest.fixture
def servers():
    with FeedServer() as feed_host, FeedServer() as internal:
        yield feed_host, internal


def fetcher(tmp_path, *allowed, **limits):
    limits.setdefault("timeout", 2.0)
    allow = frozenset(urlsplit(server.url("/")).netloc for server in allowed)
    return ImageFetcher(tmp_path, "2026-10", limits=ImageLimits(allow_hosts=allow, **limits))


# --- SSRF ----------------------------------------------------------------------


def test_a_redirect_to_an_internal_address_is_refused_and_never_requested(tmp_path, servers):
    feed_host, internal = servers
    internal.route("/admin/secret.png", body=png(40, 30), content_type="image/png")
    feed_host.route("/pic.png", status=302, location=internal.url("/admin/secret.png"))
    feed_host.route("/chain.png", status=307, location="/pic.png")
    feed_host.route("/ok.png", body=png(40, 30), content_type="image/png")
    with fetcher(tmp_path, feed_host) as images:  # only the feed's host:port is exempt (as in local testing)
        assert isinstance(images.fetch(feed_host.url("/ok.png")), LocalImage)
        assert images.fetch(feed_host.url("/pic.png")) is None
        assert images.fetch(feed_host.url("/chain.png")) is None
        assert images.fetch(internal.url("/admin/secret.png")) is None
    assert internal.requests_for("/admin/secret.png") == []  # zero requests reached the internal service
    assert len(images.failures) == 3
    assert all("(loopback); images are only fetched from public addresses" in f for f in images.failures)


@pytest.mark.parametrize("url, kind", [
    ("http://169.254.169.254/latest/meta-data/x.png", "link-local"),
    ("http://10.1.2.3/x.png", "private"),
    ("http://[::1]:9/x.png", "loopback"),
    ("http://[::ffff:127.0.0.1]:9/x.png", "loopback"),
    ("http://localhost:9/x.png", "loopback"),
    ("http://224.0.0.1/x.png", "multicast"),
    ("http://0.0.0.0:9/x.png", "unspecified"),
])
def test_non_public_destinations_are_refused_before_connecting(tmp_path, url, kind):
    with fetcher(tmp_path) as images:
        assert images.fetch(url) is None
    assert f"({kind})" in images.failures[0], images.failures


@pytest.mark.parametrize("url", ["http://a..b/x.png", "http://[::1/x.png", "javascript:alert(1)", "http://:80/",
                                 "http://exa mple.org/x.png", "http://" + "a" * 300 + ".example/x.png", ""])
def test_a_bad_address_is_a_failure_never_an_exception(tmp_path, url):
    with fetcher(tmp_path) as images:
        assert images.fetch(url) is None
    assert images.failures == [f"{url}: not a usable http(s) address"]


# --- One deadline --------------------------------------------------------------


class HeaderDripServer:
    """Answers every connection with a status line, then one header byte every 50 ms, forever."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.bytes_sent = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n")
                while not self.stop.wait(0.05):
                    conn.sendall(b"X")
                    self.bytes_sent += 1
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.sock.close()


def test_a_server_trickling_its_headers_is_cut_at_the_deadline(tmp_path):
    drip = HeaderDripServer()
    try:
        images = ImageFetcher(tmp_path, "2026-10", limits=ImageLimits(
            timeout=0.6, allow_hosts=frozenset({f"127.0.0.1:{drip.port}"})))
        with images:
            assert images.fetch(f"http://127.0.0.1:{drip.port}/x.png") is None
        sent_when_cut = drip.bytes_sent
    finally:
        drip.close()
    assert images.failures == [f"http://127.0.0.1:{drip.port}/x.png: took longer than DIGEST_IMAGE_TIMEOUT (0.6 s)"]
    assert sent_when_cut >= 1  # the server really was still sending when the deadline cut it


# --- What is kept --------------------------------------------------------------


@pytest.mark.parametrize("body, content_type, reason", [
    (gif(1, 1), "image/gif", "a 1x1 tracking pixel"),
    (png(2, 2), "image/png", "a 2x2 tracking pixel"),
    (png_header_only(1, 20_000), "image/png", "1x20000 is a strip or spacer"),
    (png_header_only(50_000, 50_000), "image/png", "decompression bomb"),
    (png_header_only(6_000, 5_000), "image/png", "6000x5000 pixels is over DIGEST_IMAGE_MAX_PIXELS"),
    (png(40, 30)[:60], "image/png", "Pillow cannot"),
], ids=["gif-pixel", "png-pixel", "strip", "bomb", "too-many-pixels", "truncated"])
def test_pixels_strips_and_bombs_are_refused_by_their_decoded_size(tmp_path, servers, body, content_type, reason):
    feed_host, _ = servers
    feed_host.route("/i", body=body, content_type=content_type)
    with fetcher(tmp_path, feed_host) as images:
        assert images.fetch(feed_host.url("/i")) is None
    assert reason in images.failures[0], images.failures
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_bare_pixel_image_never_becomes_a_picture_in_html(tmp_path, servers):
    feed_host, _ = servers
    feed_host.route("/p.gif", body=gif(1, 1), content_type="image/gif")
    feed_host.route("/photo.png", body=png(64, 48), content_type="image/png")
    html = (f'<p>Text.<img src="{feed_host.url("/p.gif")}"></p>'
            f'<p><img src="{feed_host.url("/photo.png")}" alt="Rally" width="9999" height="1"></p>')
    with fetcher(tmp_path, feed_host) as images:
        out = localise_html(html, images.fetch)
    assert feed_host.url("/p.gif") not in out and out.count("<img") == 1
    tag = out[out.index("<img"):]
    # The stored copy's own size replaces whatever the other site claimed.
    assert ' width="64" height="48"' in tag and "9999" not in tag and 'height="1"' not in tag


def test_metadata_is_dropped_and_wide_photos_are_scaled(tmp_path, servers):
    feed_host, _ = servers
    feed_host.route("/photo.jpg", body=jpeg_with_gps(2400, 600), content_type="image/jpeg")
    feed_host.route("/note.png", body=png_with_text(300, 200), content_type="image/png")
    with fetcher(tmp_path, feed_host) as images:
        photo, note = images.fetch(feed_host.url("/photo.jpg")), images.fetch(feed_host.url("/note.png"))
    assert images.failures == []
    assert (photo.width, photo.height) == (1200, 300) and photo.src.endswith(".jpg")
    stored = (tmp_path / photo.src).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (1200, 300)
        assert not image.getexif() and "exif" not in image.info
    assert b"Lanternfish" not in stored and b"Exif" not in stored
    stored_note = (tmp_path / note.src).read_bytes()
    assert (note.width, note.height) == (300, 200) and b"Alder Street" not in stored_note
    with Image.open(io.BytesIO(stored_note)) as image:
        assert not image.text


def test_limits_come_from_settings_with_defaults_in_code():
    limits = ImageLimits.from_settings({"DIGEST_IMAGE_MAX_WIDTH": 800, "DIGEST_IMAGE_ALLOW_HOSTS": ["LocalHost:8000"]})
    assert limits.max_width == 800 and limits.allow_hosts == frozenset({"localhost:8000"})
    assert ImageLimits.from_settings({}) == ImageLimits()
    assert ImageLimits().allow_hosts == frozenset()  # nothing is exempt unless a setting says so
