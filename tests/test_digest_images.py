"""Images are copied into the site at compose time: only real images, bounded in
size and time, whatever the other site sends."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
from digest.images import ImageFetcher, ImageLimits, LocalImage

from test_digest_support import png
from tests.feedserver import FeedServer, endless, gzip_bomb


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


def fetcher(tmp_path, server=None, **options):
    """A fetcher for the loopback test server (exempt from the public-address rule by host:port)."""
    options.setdefault("max_bytes", 50_000)
    options.setdefault("timeout", 1.0)
    allow = {urlsplit(server.url("/")).netloc} if server else set()
    return ImageFetcher(tmp_path, "2025-03", limits=ImageLimits(allow_hosts=frozenset(allow)), **options)


def test_a_real_image_is_stored_once_under_its_hash(tmp_path, server):
    image = png(6, 4)
    server.route("/a.png", body=image, content_type="image/png")
    server.route("/same.png", body=image, content_type="image/png")
    with fetcher(tmp_path, server) as images:
        first, second = images.fetch(server.url("/a.png")), images.fetch(server.url("/same.png"))
    assert isinstance(first, LocalImage) and first == second
    stored = (tmp_path / first.src).read_bytes()  # re-encoded: named by what is stored
    assert first.src == f"digests/images/2025-03/{hashlib.sha256(stored).hexdigest()}.png"
    assert (first.width, first.height) == (6, 4)
    assert images.failures == []


@pytest.mark.parametrize(
    "route, reason",
    [
        ({"body": b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>',
          "content_type": "image/svg+xml"}, "is not one of png"),
        ({"body": b"<html>not an image</html>", "content_type": "image/png"}, "bytes are not"),
        ({"body": png(), "content_type": "image/png", "status": 404}, "HTTP 404"),
        ({"body": endless(b"\x89PNG" * 4096), "content_type": "image/png", "content_length": False},
         "more than DIGEST_IMAGE_MAX_BYTES"),
        ({"body": gzip_bomb(50_000_000), "content_type": "image/png", "gzip_encoded": True}, "Content-Encoding gzip"),
    ],
    ids=["svg", "html-claiming-png", "404", "endless", "gzip-bomb"],
)
def test_anything_but_a_plain_image_is_refused_and_nothing_is_stored(tmp_path, server, route, reason):
    server.route("/x", **route)
    with fetcher(tmp_path, server) as images:
        assert images.fetch(server.url("/x")) is None
    assert len(images.failures) == 1 and reason in images.failures[0], images.failures
    assert not list(tmp_path.rglob("*.png"))


def test_a_server_dripping_bytes_is_dropped_at_the_deadline(tmp_path, server):
    # Each byte arrives well within the per-read timeout; only a total deadline ends it.
    server.route("/slow.png", body=png(40, 40), content_type="image/png", trickle=0.2)
    with fetcher(tmp_path, server, timeout=1.0) as images:
        assert images.fetch(server.url("/slow.png")) is None
    # The total deadline ended it (the reason says so), not the end of the drip.
    assert "took longer than DIGEST_IMAGE_TIMEOUT" in images.failures[0]
