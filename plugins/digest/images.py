"""Images of kept items, downloaded once at compose time.

Readers' browsers never load anything from another host, so an issue only
shows local copies: `content/digests/images/YYYY-MM/<sha256>.<ext>`, named
by content (the same picture is stored once). The type is decided by the
bytes themselves (magic numbers), not only by what the server claims; SVG is
never accepted (it can carry script). Anything that fails is skipped.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import logging
import re
import time
from pathlib import Path

import httpx

from .clean import is_http_url
from .files import write_atomically

logger = logging.getLogger(__name__)

ALLOWED_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


class ImageFetcher:
    """Downloads images into one month's folder; returns site-relative paths."""

    def __init__(self, content_dir: Path, month: str, *, max_bytes: int, timeout: float = 10.0,
                 client: httpx.Client | None = None, user_agent: str = "chapter-digest (compose)"):
        self.rel_dir = f"digests/images/{month}"
        self.dir = Path(content_dir) / self.rel_dir
        self.max_bytes = max_bytes
        self.timeout = timeout
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout), follow_redirects=True, max_redirects=5,
            # Images are compressed already; refusing transfer encodings means
            # the size cap counts the bytes that arrive (no decompression bomb).
            headers={"User-Agent": user_agent, "Accept": ", ".join(ALLOWED_TYPES), "Accept-Encoding": "identity"},
        )
        self._own_client = client is None
        self._cache: dict[str, str | None] = {}
        self.failures: list[str] = []

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fetch(self, url: str) -> str | None:
        """`digests/images/YYYY-MM/<sha256>.<ext>`, or None (reason in self.failures)."""
        if url in self._cache:
            return self._cache[url]
        self._cache[url] = result = self._fetch(url)
        return result

    def _fail(self, url: str, why: str) -> None:
        self.failures.append(f"{url}: {why}")
        logger.warning("digest: image %s skipped: %s", url, why)

    def _fetch(self, url: str) -> str | None:
        if not is_http_url(url):
            self._fail(url, "not an http(s) address")
            return None
        # httpx's timeout is per read: a server dripping a byte at a time would
        # never trip it, so the whole download also has a deadline.
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    self._fail(url, f"HTTP {response.status_code}")
                    return None
                claimed = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if claimed not in ALLOWED_TYPES:
                    self._fail(url, f"type {claimed or 'unknown'} is not one of png, jpeg, gif, webp")
                    return None
                length = response.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    self._fail(url, f"{length} bytes is over DIGEST_IMAGE_MAX_BYTES ({self.max_bytes})")
                    return None
                encoding = response.headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    self._fail(url, f"sent with Content-Encoding {encoding}, which images do not need")
                    return None
                chunks, size = [], 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > self.max_bytes:
                        self._fail(url, f"more than DIGEST_IMAGE_MAX_BYTES ({self.max_bytes}) bytes")
                        return None
                    if time.monotonic() > deadline:
                        self._fail(url, f"took longer than DIGEST_IMAGE_TIMEOUT ({self.timeout:g} s)")
                        return None
                    chunks.append(chunk)
        except httpx.HTTPError as error:
            self._fail(url, f"{type(error).__name__}: {error}")
            return None
        data = b"".join(chunks)
        real = sniff(data)
        if real is None or real != claimed and not {real, claimed} <= set(ALLOWED_TYPES):
            self._fail(url, "the bytes are not a png, jpeg, gif or webp image")
            return None
        name = f"{hashlib.sha256(data).hexdigest()}.{ALLOWED_TYPES[real]}"
        target = self.dir / name
        if not target.exists():
            write_atomically(target, data)
        return f"{self.rel_dir}/{name}"


_IMG = re.compile(r"<img\b[^>]*>")


def localise_html(fragment: str, fetch) -> str:
    """Point every <img> of sanitised HTML at a local copy; an image that
    cannot be fetched is replaced by its alt text."""

    def replace(match: re.Match) -> str:
        tag = match.group(0)
        src = re.search(r'\ssrc="([^"]*)"', tag)
        alt = re.search(r'\salt="([^"]*)"', tag)
        local = fetch(htmllib.unescape(src.group(1))) if src else None
        if local:
            return tag.replace(src.group(0), f' src="{local}"')
        return f"[{alt.group(1)}]" if alt and alt.group(1).strip() else ""

    return _IMG.sub(replace, fragment)
