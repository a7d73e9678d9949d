"""Fetch every source's feed, concurrently and politely, into the archive.

    results = fetch_all(sources, archive, FetchSettings.from_settings(pelican_settings))

The fetching stage: HTTP and its limits. Each downloaded body is handed to
the parse stage (digest.parse), in a thread or, for big fetches, in worker
processes, and what it returns is stored by the archive stage.

* httpx (async) does the HTTP; asyncio bounds it: at most ``concurrency``
  requests in flight, at most ``per_host`` to one host name.
* Polite: conditional requests (ETag / Last-Modified), a User-Agent naming
  the site, gzip/deflate, Retry-After honoured across runs (a source is
  skipped until then, never slept on), at most 5 redirects, 410 marks a
  source gone.
* Bounded against bad servers: connect/read timeouts per request and a total
  deadline around request *and* body (httpx's read timeout is per read, so a
  server trickling a byte a second would otherwise never time out); the
  decompressed body is capped, so a gzip bomb or an endless stream is cut
  off. We decompress ourselves (``aiter_raw`` + zlib ``max_length``) because
  httpx inflates a whole network chunk at once, which a bomb turns into
  tens of megabytes before any cap could look at it.
* Parsing is CPU work beside the downloads: fetches of 20 sources or more
  parse in worker processes (started with the first request, so their
  start-up overlaps the network's latency) that leave when this process is
  gone; smaller ones parse in a thread.
* Each source is stored in one archive transaction, right after its answer:
  a fetch killed half-way keeps every source it finished.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Callable, Sequence
from urllib.parse import urlsplit

import httpx
from chapter.processes import worker_pool

from .archive import Archive
from .errors import DigestError
from .models import Source
from .parse import ParsedFeed, parse_feed, parse_worker_started

UTC = timezone.utc

PERMANENT_REDIRECTS = (301, 308)
MAX_RETRY_AFTER = timedelta(days=30)  # a server asking for more is capped, not obeyed forever


@dataclass(frozen=True)
class FetchSettings:
    # DIGEST_FETCH_CONCURRENCY. Politeness is per_host's job; this only bounds
    # local sockets. 100 lets 100 slow (300 ms) feeds answer in one round trip.
    concurrency: int = 100
    per_host: int = 4  # DIGEST_FETCH_PER_HOST
    connect_timeout: float = 10.0  # DIGEST_FETCH_CONNECT_TIMEOUT
    read_timeout: float = 20.0  # DIGEST_FETCH_READ_TIMEOUT
    total_timeout: float = 30.0  # DIGEST_FETCH_TOTAL_TIMEOUT
    max_bytes: int = 10_000_000  # DIGEST_FETCH_MAX_BYTES (decompressed)
    max_redirects: int = 5
    user_agent: str = "chapter-press digest fetcher"
    # Processes that parse feeds beside the downloads: None picks one per CPU
    # (up to 4) for fetches of 20 sources or more; 0 parses in threads.
    parse_processes: int | None = None

    @classmethod
    def from_settings(cls, settings: dict) -> FetchSettings:
        """From a Pelican settings dict (every value has a default here)."""
        site = settings.get("DIGEST_EMAIL_SITEURL") or settings.get("SITEURL") or ""
        name = settings.get("SITENAME") or "chapter-press"
        agent = f"{name} digest fetcher (+{site})" if site else f"{name} digest fetcher"
        return cls(
            concurrency=max(1, int(settings.get("DIGEST_FETCH_CONCURRENCY", cls.concurrency))),
            per_host=max(1, int(settings.get("DIGEST_FETCH_PER_HOST", cls.per_host))),
            connect_timeout=float(settings.get("DIGEST_FETCH_CONNECT_TIMEOUT", cls.connect_timeout)),
            read_timeout=float(settings.get("DIGEST_FETCH_READ_TIMEOUT", cls.read_timeout)),
            total_timeout=float(settings.get("DIGEST_FETCH_TOTAL_TIMEOUT", cls.total_timeout)),
            max_bytes=int(settings.get("DIGEST_FETCH_MAX_BYTES", cls.max_bytes)),
            user_agent=agent,
        )


@dataclass
class FetchResult:
    """How fetching one source went."""

    source: Source
    outcome: str  # "fetched", "unchanged" (304), "failed", "waiting" (Retry-After)
    status: int | None = None  # HTTP status of the final answer
    error: str | None = None
    warning: str | None = None  # stored anyway, e.g. malformed XML with entries recovered
    new: int = 0
    updated: int = 0
    elapsed: float = 0.0
    permanent_redirect: str | None = None
    retry_after: datetime | None = None
    gone: bool = False
    feed_found: str | None = None  # an HTML page's advertised feed (autodiscovery)

    @property
    def not_modified(self) -> bool:
        return self.outcome == "unchanged"

    @property
    def ok(self) -> bool:
        """Fetched, unchanged, or politely waiting: nothing for the editor to fix."""
        return self.outcome in ("fetched", "unchanged", "waiting")


# --- HTTP ----------------------------------------------------------------------


class BodyTooLarge(Exception):
    pass


class _Inflater:
    """Decompress a gzip/deflate body without ever holding more than the cap."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        self._decoder = None
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS)  # zlib-wrapped, raw tried on error
        elif encoding not in ("", "identity"):
            raise ValueError(f"the server used an unsupported Content-Encoding ({encoding!r})")

    def _take(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise BodyTooLarge
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._decoder is None:
            self._take(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._decoder.decompress(data, self.limit - self.size + 1)
            except zlib.error:
                if self.encoding == "deflate" and self.size == 0 and not self.parts:
                    # Some servers send raw deflate without the zlib header.
                    self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                    self.encoding = "raw-deflate"
                    continue
                raise
            self._take(out)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof:
                break

    def body(self) -> bytes:
        return b"".join(self.parts)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as seconds or an HTTP date; capped at MAX_RETRY_AFTER."""
    if not value:
        return None
    value = value.strip()
    when = None
    if value.isdigit():
        when = now + timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return min(when, now + MAX_RETRY_AFTER)


def _permanent_target(response: httpx.Response, feed_url: str) -> str | None:
    """The new address when the redirects start with permanent ones."""
    chain = list(response.history) + [response]
    target = None
    for hop, following in zip(chain, chain[1:]):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        target = str(following.url)
    return target if target and target != feed_url else None


def _describe(error: BaseException, settings: FetchSettings) -> str:
    if isinstance(error, httpx.TooManyRedirects):
        return f"more than {settings.max_redirects} redirects (a redirect loop?); open the address in a browser and fix xmlUrl"
    if isinstance(error, httpx.ConnectTimeout):
        return f"could not connect within {settings.connect_timeout:g} s"
    if isinstance(error, httpx.ReadTimeout):
        return f"the server sent nothing for {settings.read_timeout:g} s"
    if isinstance(error, httpx.ConnectError):
        return f"could not connect ({error or 'connection refused'}); check the address, or try again later"
    if isinstance(error, httpx.UnsupportedProtocol):
        return "the feed address must start with http:// or https://; fix xmlUrl in sources.opml"
    if isinstance(error, httpx.InvalidURL):
        return f"the feed address is not a valid URL ({error}); fix xmlUrl in sources.opml"
    if isinstance(error, httpx.HTTPError):
        return f"{type(error).__name__}: {error or 'network error'}"
    return f"{type(error).__name__}: {error}"


@dataclass
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    final_url: str = ""
    permanent_redirect: str | None = None
    retry_after_header: str | None = None


async def _request(client: httpx.AsyncClient, source: Source, state, settings: FetchSettings) -> _Answer:
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    async with client.stream("GET", source.feed_url, headers=headers) as response:
        answer = _Answer(
            status=response.status_code,
            content_type=response.headers.get("content-type", ""),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            final_url=str(response.url),
            permanent_redirect=_permanent_target(response, source.feed_url),
            retry_after_header=response.headers.get("retry-after"),
        )
        if response.status_code != 200:
            return answer  # no body needed: 304, errors, 410, 429...
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if declared.isdigit() and not encoding and int(declared) > settings.max_bytes:
            raise BodyTooLarge
        inflater = _Inflater(encoding, settings.max_bytes)
        async for chunk in response.aiter_raw():
            inflater.feed(chunk)
        answer.body = inflater.body()
        return answer


async def _fetch_one(
    client: httpx.AsyncClient,
    source: Source,
    archive: Archive,
    settings: FetchSettings,
    limits: "_Limits",
) -> FetchResult:
    now = datetime.now(UTC)
    state = archive.fetch_state(source.feed_url)
    if state.retry_after and state.retry_after > now:
        return FetchResult(source, "waiting", retry_after=state.retry_after)
    host = (urlsplit(source.feed_url).hostname or "").lower()
    async with limits.host(host), limits.total:
        started = time.monotonic()
        result = FetchResult(source, "failed")
        try:
            async with asyncio.timeout(settings.total_timeout):
                answer = await _request(client, source, state, settings)
        except TimeoutError:
            result.error = (
                f"gave up after {settings.total_timeout:g} s (server too slow or stalled); "
                "if this keeps happening, ask the chapter about their site"
            )
        except BodyTooLarge:
            result.error = (
                f"the feed is larger than {settings.max_bytes:,} bytes (decompressed) and was cut off; "
                "a feed this big is likely broken (or raise DIGEST_FETCH_MAX_BYTES)"
            )
        except zlib.error as error:
            result.error = f"the server sent a broken compressed body ({error})"
        except ValueError as error:
            result.error = str(error)
        except httpx.HTTPError as error:
            result.error = _describe(error, settings)
        else:
            result.status = answer.status
            result.permanent_redirect = answer.permanent_redirect
        result.elapsed = time.monotonic() - started
    if result.error:
        archive.record_failure(source, attempted_at=now, error=result.error)
        return result

    fetched_at = datetime.now(UTC)
    if answer.status == 304:
        result.outcome = "unchanged"
        archive.record_not_modified(
            source,
            fetched_at=fetched_at,
            etag=answer.etag,
            last_modified=answer.last_modified,
            permanent_redirect=answer.permanent_redirect,
        )
        return result
    if answer.status == 200:
        # feedparser is CPU work: keep the event loop free for other downloads.
        parsed = await limits.parse(answer.body, url=answer.final_url, content_type=answer.content_type)
        result.elapsed = time.monotonic() - started
        if parsed.error:
            result.error = parsed.error
            result.feed_found = parsed.feed_found
            archive.record_failure(
                source, attempted_at=now, error=parsed.error, status=200,
                permanent_redirect=answer.permanent_redirect,
            )
            return result
        result.new, result.updated = archive.store_entries(
            source,
            parsed.entries,
            fetched_at=fetched_at,
            etag=answer.etag,
            last_modified=answer.last_modified,
            status=200,
            permanent_redirect=answer.permanent_redirect,
            warning=parsed.warning,
        )
        result.outcome = "fetched"
        result.warning = parsed.warning
        return result

    # An HTTP error: nothing stored changes but the source's health.
    retry_after = None
    if answer.status == 410:
        result.gone = True
        result.error = "410 Gone: the site says this feed is gone for good; remove it from sources.opml or find its new address"
    elif answer.status in (429, 503):
        retry_after = parse_retry_after(answer.retry_after_header, now)
        result.retry_after = retry_after
        reason = "too many requests" if answer.status == 429 else "service unavailable"
        result.error = f"HTTP {answer.status} ({reason})" + (
            f"; the server asked us to wait until {retry_after:%Y-%m-%d %H:%M} UTC, it is skipped until then"
            if retry_after
            else "; try again later"
        )
    else:
        phrase = httpx.codes.get_reason_phrase(answer.status) or "error"
        hint = "check the xmlUrl in sources.opml" if answer.status in (401, 403, 404) else "try again later"
        result.error = f"HTTP {answer.status} ({phrase}); {hint}"
    archive.record_failure(
        source,
        attempted_at=now,
        error=result.error,
        status=answer.status,
        retry_after=retry_after,
        gone=result.gone,
        permanent_redirect=answer.permanent_redirect,
    )
    return result


def _parse_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes for parsing, started before the first answer arrives,
    so their start-up overlaps the network's latency rather than adding to it
    (how they start: chapter/processes.py)."""
    return worker_pool(workers, ["digest.parse"], initializer=parse_worker_started, initargs=(os.getpid(),))


class _Limits:
    """At most N requests in flight, at most M per host name; where feeds are parsed."""

    def __init__(self, settings: FetchSettings, workers: int = 0):
        self.total = asyncio.Semaphore(settings.concurrency)
        self._per_host = settings.per_host
        self._hosts: dict[str, asyncio.Semaphore] = {}
        # Started in a thread: starting a worker waits for the fork server to
        # import the parse stage (~0.1 s), which must not delay the requests.
        self._pool: asyncio.Future[ProcessPoolExecutor] | None = None
        if workers > 0:
            self._pool = asyncio.get_running_loop().run_in_executor(None, _parse_pool, workers)

    async def parse(self, body: bytes, **options) -> ParsedFeed:
        # feedparser is CPU work: in a thread it keeps the event loop
        # responsive, in other processes it also runs on another core.
        if self._pool is None:
            return await asyncio.to_thread(parse_feed, body, **options)
        pool = await asyncio.shield(self._pool)
        return await asyncio.get_running_loop().run_in_executor(pool, partial(parse_feed, body, **options))

    async def close(self) -> None:
        if self._pool is None:
            return
        try:
            pool = await self._pool
        except Exception:  # noqa: BLE001 - never started: each parse already reported why, per source
            return
        pool.shutdown(wait=True, cancel_futures=True)

    def host(self, name: str) -> asyncio.Semaphore:
        if name not in self._hosts:
            self._hosts[name] = asyncio.Semaphore(self._per_host)
        return self._hosts[name]


async def fetch_all_async(
    sources: Sequence[Source],
    archive: Archive,
    settings: FetchSettings,
    *,
    progress: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    workers = settings.parse_processes
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(sources) >= 20 and (os.cpu_count() or 1) > 1 else 0
    limits = _Limits(settings, workers)
    try:
        return await _fetch_with(sources, archive, settings, limits, progress)
    finally:
        await limits.close()


class _TlsTransport(httpx.AsyncBaseTransport):
    """The https:// transport, built in a thread: loading the CA certificates
    takes ~50 ms, which the first requests need not wait for (and a fetch of
    only http:// feeds never does)."""

    def __init__(self, limits: httpx.Limits):
        self._transport = asyncio.get_running_loop().run_in_executor(
            None, partial(httpx.AsyncHTTPTransport, limits=limits))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = await asyncio.shield(self._transport)
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        try:
            transport = await self._transport
        except Exception:  # noqa: BLE001 - never built (a bad SSL_CERT_FILE): each https source already failed, saying why
            return
        await transport.aclose()


def _transports(limits: httpx.Limits) -> dict:
    """The client's transports: https:// URLs (redirects included) go to the
    mount, everything else to the plain one. The plain one never speaks TLS,
    so its context trusts no certificate at all rather than loading the CA
    bundle for nothing."""
    no_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return {"transport": httpx.AsyncHTTPTransport(verify=no_tls, limits=limits),
            "mounts": {"https://": _TlsTransport(limits)}}


async def _fetch_with(sources, archive, settings, limits, progress) -> list[FetchResult]:
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.total_timeout,
    )
    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate",
                 "Accept": "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"},
        **_transports(httpx.Limits(max_connections=settings.concurrency,
                                   max_keepalive_connections=settings.concurrency)),
    ) as client:

        async def one(source: Source) -> FetchResult:
            try:
                result = await _fetch_one(client, source, archive, settings, limits)
            except Exception as error:  # noqa: BLE001 - one source must never sink the run
                message = str(error) if isinstance(error, DigestError) else f"unexpected {type(error).__name__}: {error}"
                result = FetchResult(source, "failed", error=message)
                try:
                    archive.record_failure(source, attempted_at=datetime.now(UTC), error=result.error)
                except Exception:  # noqa: BLE001
                    pass
            if progress is not None:
                progress(result)
            return result

        return list(await asyncio.gather(*(one(source) for source in sources)))


def fetch_all(
    sources: Sequence[Source],
    archive: Archive,
    settings: FetchSettings | None = None,
    *,
    progress: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch every source into the archive; results in the sources' order."""
    return asyncio.run(fetch_all_async(sources, archive, settings or FetchSettings(), progress=progress))
