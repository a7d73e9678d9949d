"""Images of kept items, downloaded once at compose time, safe by construction.

Readers' browsers never load anything from another host, so an issue only
shows local copies: `content/digests/images/YYYY-MM/<sha256>.<ext>`, named
by content (the same picture is stored once). Every image from another site
is untrusted, and every step is bounded:

* Where: each connection (the first request and every redirect, at most
  five) goes to an address resolved and checked here, and only there:
  loopback, private, link-local, multicast and reserved addresses are
  refused (an image on a feed's host cannot make compose fetch an internal
  service). DIGEST_IMAGE_ALLOW_HOSTS lists "host:port" pairs exempt from
  that check, for tests and local development only.
* How long: one deadline (DIGEST_IMAGE_TIMEOUT) covers name resolution,
  connect, headers and body; a server trickling its headers is cut at it.
* How much: DIGEST_IMAGE_MAX_BYTES on the wire, no transfer encodings (no
  decompression bombs); the type is decided by the bytes (magic numbers),
  SVG is never accepted (it can carry script).
* What: Pillow decodes the image after checking its size in the header
  (DIGEST_IMAGE_MAX_PIXELS; a 50,000 x 50,000 bomb is refused unread);
  tracking pixels (2 x 2 or smaller) and strips (a side under
  DIGEST_IMAGE_MIN_SIDE, 3, or longer than DIGEST_IMAGE_MAX_ASPECT times the
  other) are refused by their decoded size; the first frame is scaled to
  DIGEST_IMAGE_MAX_WIDTH and re-encoded (PNG, or JPEG for photos), which
  drops all metadata (EXIF, GPS position, comments).
* Anything that fails is skipped with a reason in `.failures`; `fetch`
  never raises.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import html as htmllib
import io
import ipaddress
import logging
import re
import socket
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import httpcore
import httpx
from PIL import Image, ImageOps

from .clean import is_http_url
from .files import write_atomically
from .textfield import clean_link

logger = logging.getLogger(__name__)

ALLOWED_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}
_PILLOW_FORMATS = ["PNG", "JPEG", "GIF", "WEBP"]


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


@dataclass(frozen=True)
class LocalImage:
    """A stored copy: site-relative path and its pixel size (for width/height)."""

    src: str  # digests/images/YYYY-MM/<sha256>.<png|jpg>
    width: int
    height: int


@dataclass(frozen=True)
class ImageLimits:
    """The DIGEST_IMAGE_* settings (defaults here)."""

    max_bytes: int = 2_000_000  # DIGEST_IMAGE_MAX_BYTES, as sent
    timeout: float = 10.0  # DIGEST_IMAGE_TIMEOUT, seconds for the whole download
    max_width: int = 1200  # DIGEST_IMAGE_MAX_WIDTH: wider images are scaled down to it
    max_pixels: int = 24_000_000  # DIGEST_IMAGE_MAX_PIXELS: decoded width x height
    min_side: int = 3  # DIGEST_IMAGE_MIN_SIDE: narrower is a strip or a spacer
    max_aspect: float = 12.0  # DIGEST_IMAGE_MAX_ASPECT: longer side / shorter side
    allow_hosts: frozenset[str] = frozenset()  # DIGEST_IMAGE_ALLOW_HOSTS: "host:port" exempt from the address check
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: dict) -> ImageLimits:
        def get(name: str, default, kind):
            value = settings.get(name)
            return default if value is None else kind(value)

        allow = settings.get("DIGEST_IMAGE_ALLOW_HOSTS") or ()
        if isinstance(allow, str):
            allow = [allow]
        return cls(
            max_bytes=get("DIGEST_IMAGE_MAX_BYTES", cls.max_bytes, int),
            timeout=get("DIGEST_IMAGE_TIMEOUT", cls.timeout, float),
            max_width=max(16, get("DIGEST_IMAGE_MAX_WIDTH", cls.max_width, int)),
            max_pixels=get("DIGEST_IMAGE_MAX_PIXELS", cls.max_pixels, int),
            min_side=get("DIGEST_IMAGE_MIN_SIDE", cls.min_side, int),
            max_aspect=get("DIGEST_IMAGE_MAX_ASPECT", cls.max_aspect, float),
            allow_hosts=frozenset(str(entry).strip().lower() for entry in allow),
        )


class ImageRefused(Exception):
    """One image is skipped; the message says why (never leaves ImageFetcher)."""


# --- The network: every connection checked, one deadline --------------------


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not one of the public internet's, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for name in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{name}"):
            return name.replace("_", "-")
    return None if ip.is_global else "not global"


_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="image-dns")


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync network with two rules around every connection: the
    address it goes to was resolved and checked here, and no operation runs
    past `deadline` (a time.monotonic() value the fetcher sets per image)."""

    def __init__(self, allow_hosts: frozenset[str]):
        self._inner = httpcore.SyncBackend()
        self._allow = allow_hosts
        self.deadline = float("inf")

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the image's deadline passed")
        return left

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        host = host.strip("[]")
        future = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = future.result(timeout=self.remaining())
        except concurrent.futures.TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took too long") from None
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host} ({error})") from None
        exempt = f"{host.lower()}:{port}" in self._allow
        refused = []
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0].split("%")[0])
            why = None if exempt else _refusal(ip)
            if why:
                refused.append(f"{ip} ({why})")
                continue
            # Connect to the address just checked, never to the name again
            # (a second lookup could answer differently: DNS rebinding).
            stream = self._inner.connect_tcp(
                str(ip), port, timeout=min(timeout or float("inf"), self.remaining()),
                local_address=local_address, socket_options=socket_options,
            )
            return _DeadlineStream(stream, self)
        raise ImageRefused(
            f"{host}:{port} resolves to {', '.join(refused) or 'no address'}; images are only fetched from "
            "public addresses (DIGEST_IMAGE_ALLOW_HOSTS exempts a host:port, for local testing)"
        )

    def connect_unix_socket(self, *args, **kwargs):  # pragma: no cover - never configured
        raise ImageRefused("unix sockets are not used for images")

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, self.remaining()))


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: _GuardedBackend):
        self._stream = stream
        self._backend = backend

    def _timeout(self, timeout: float | None) -> float:
        return min(timeout if timeout is not None else float("inf"), self._backend.remaining())

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout)),
                               self._backend)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _GuardedBackend):
        super().__init__()
        # httpx builds its pool without a way to pass a network backend; the
        # pool is the only thing HTTPTransport.handle_request uses.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=4, max_keepalive_connections=4,
            keepalive_expiry=5.0, network_backend=backend,
        )


# --- Decoding and re-encoding -------------------------------------------------


def _recode(data: bytes, limits: ImageLimits) -> tuple[bytes, str, int, int]:
    """(bytes, extension, width, height) of the image re-encoded without
    metadata, at most max_width wide; ImageRefused if it is not a picture."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=_PILLOW_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused("its decoded size is absurd (decompression bomb)") from None
        except (OSError, ValueError, SyntaxError) as error:
            raise ImageRefused(f"Pillow cannot read it ({error})") from None
        with image:
            width, height = image.size
            if width <= 2 and height <= 2:
                raise ImageRefused(f"a {width}x{height} tracking pixel, not a picture")
            if width * height > limits.max_pixels:
                raise ImageRefused(f"{width}x{height} pixels is over DIGEST_IMAGE_MAX_PIXELS ({limits.max_pixels:,})")
            if min(width, height) < limits.min_side or max(width, height) > limits.max_aspect * min(width, height):
                raise ImageRefused(f"{width}x{height} is a strip or spacer, not a picture "
                                   f"(DIGEST_IMAGE_MIN_SIDE {limits.min_side}, DIGEST_IMAGE_MAX_ASPECT {limits.max_aspect:g})")
            photo = image.format == "JPEG" or image.format == "WEBP" and "A" not in image.getbands()
            try:
                if image.format == "JPEG":
                    image.draft("RGB", (limits.max_width, limits.max_width * height // width))  # decode scaled
                image.seek(0)  # an animation keeps its first frame
                image.load()
                picture = ImageOps.exif_transpose(image)  # turned the way the camera meant, then EXIF is gone
            except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
                raise ImageRefused(f"Pillow cannot decode it ({error})") from None
    if picture.width > limits.max_width:
        picture = picture.resize((limits.max_width, max(1, round(picture.height * limits.max_width / picture.width))),
                                 Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if photo:
        picture.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
        extension = "jpg"
    else:
        if picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            picture = picture.convert("RGBA")
        picture.save(out, "PNG")  # no info/pnginfo: no text chunks, no EXIF
        extension = "png"
    return out.getvalue(), extension, picture.width, picture.height


# --- The fetcher ---------------------------------------------------------------


class ImageFetcher:
    """Downloads images into one month's folder; returns LocalImage records.

    `limits` (ImageLimits.from_settings(settings)) holds every bound;
    `max_bytes`/`timeout`, when given, override those two. `client` is for
    tests that need their own transport: it bypasses the address check.
    """

    def __init__(self, content_dir: Path, month: str, *, max_bytes: int | None = None, timeout: float | None = None,
                 limits: ImageLimits | None = None, client: httpx.Client | None = None,
                 user_agent: str = "chapter-digest (compose)"):
        limits = limits or ImageLimits()
        if max_bytes is not None:
            limits = replace(limits, max_bytes=int(max_bytes))
        if timeout is not None:
            limits = replace(limits, timeout=float(timeout))
        self.limits = limits
        self.rel_dir = f"digests/images/{month}"
        self.dir = Path(content_dir) / self.rel_dir
        self.max_bytes = limits.max_bytes
        self.timeout = limits.timeout
        self._backend = _GuardedBackend(limits.allow_hosts)
        self._client = client or httpx.Client(
            transport=_GuardedTransport(self._backend),
            timeout=httpx.Timeout(limits.timeout), follow_redirects=True, max_redirects=limits.max_redirects,
            trust_env=False,  # no proxy from the environment: the guard must see the real destination
            # Images are compressed already; refusing transfer encodings means
            # the size cap counts the bytes that arrive (no decompression bomb).
            headers={"User-Agent": user_agent, "Accept": ", ".join(ALLOWED_TYPES), "Accept-Encoding": "identity"},
        )
        self._own_client = client is None
        self._cache: dict[str, LocalImage | None] = {}
        self.failures: list[str] = []

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fetch(self, url: str) -> LocalImage | None:
        """The stored copy, or None (reason in self.failures). Never raises."""
        if url in self._cache:
            return self._cache[url]
        try:
            result = self._fetch(url)
        except ImageRefused as error:
            self._fail(url, str(error))
            result = None
        except Exception as error:  # noqa: BLE001 - one bad image must never stop compose
            self._fail(url, f"unexpected {type(error).__name__}: {error}")
            result = None
        self._cache[url] = result
        return result

    def _fail(self, url: str, why: str) -> None:
        self.failures.append(f"{url}: {why}")
        logger.warning("digest: image %s skipped: %s", url, why)

    def _download(self, url: str) -> bytes:
        self._backend.deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ImageRefused(f"HTTP {response.status_code}")
                claimed = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if claimed not in ALLOWED_TYPES:
                    raise ImageRefused(f"type {claimed or 'unknown'} is not one of png, jpeg, gif, webp")
                length = response.headers.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise ImageRefused(f"{length} bytes is over DIGEST_IMAGE_MAX_BYTES ({self.max_bytes})")
                encoding = response.headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise ImageRefused(f"sent with Content-Encoding {encoding}, which images do not need")
                chunks, size = [], 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ImageRefused(f"more than DIGEST_IMAGE_MAX_BYTES ({self.max_bytes}) bytes")
                    chunks.append(chunk)
        except httpx.TimeoutException:
            raise ImageRefused(f"took longer than DIGEST_IMAGE_TIMEOUT ({self.timeout:g} s)") from None
        except httpx.TooManyRedirects:
            raise ImageRefused(f"more than {self.limits.max_redirects} redirects") from None
        except httpx.HTTPError as error:
            if time.monotonic() >= self._backend.deadline:
                raise ImageRefused(f"took longer than DIGEST_IMAGE_TIMEOUT ({self.timeout:g} s)") from None
            raise ImageRefused(f"{type(error).__name__}: {error}") from None
        finally:
            self._backend.deadline = float("inf")
        data = b"".join(chunks)
        real = sniff(data)
        if real is None or real != claimed and not {real, claimed} <= set(ALLOWED_TYPES):
            raise ImageRefused("the bytes are not a png, jpeg, gif or webp image")
        return data

    def _fetch(self, url: str) -> LocalImage | None:
        checked = clean_link(url) if is_http_url(url) else None
        if checked is None:
            raise ImageRefused("not a usable http(s) address")
        data = self._download(checked)
        encoded, extension, width, height = _recode(data, self.limits)
        name = f"{hashlib.sha256(encoded).hexdigest()}.{extension}"
        target = self.dir / name
        if not target.exists():
            write_atomically(target, encoded)
        return LocalImage(f"{self.rel_dir}/{name}", width, height)


_IMG = re.compile(r"<img\b[^>]*>")
_SIZE_ATTRIBUTE = re.compile(r'\s(?:width|height)="[^"]*"')


def localise_html(fragment: str, fetch) -> str:
    """Point every <img> of sanitised HTML at a local copy, with the copy's
    width and height (Outlook for Windows needs them); an image that cannot
    be fetched is replaced by its alt text."""

    def replace_tag(match: re.Match) -> str:
        tag = match.group(0)
        src = re.search(r'\ssrc="([^"]*)"', tag)
        alt = re.search(r'\salt="([^"]*)"', tag)
        local = fetch(htmllib.unescape(src.group(1))) if src else None
        if not local:
            return f"[{alt.group(1)}]" if alt and alt.group(1).strip() else ""
        if isinstance(local, str):  # a fetch that knows no size
            return tag.replace(src.group(0), f' src="{htmllib.escape(local)}"')
        tag = _SIZE_ATTRIBUTE.sub("", tag).replace(src.group(0), f' src="{htmllib.escape(local.src)}"', 1)
        return tag[:4] + f' width="{local.width}" height="{local.height}"' + tag[4:]

    return _IMG.sub(replace_tag, fragment)
