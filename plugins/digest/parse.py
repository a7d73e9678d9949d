"""Parse one feed document (bytes as received) into FeedEntry records.

    parsed = parse_feed(body, url=final_url, content_type=content_type)

The parsing stage, between fetch (which downloads) and archive (which
stores). It does no I/O: fetch runs it in a thread or in worker processes.

* feedparser parses bytes (through BytesIO: given plain bytes, feedparser
  tries them as a *file name* first). It strips DOCTYPE entity declarations
  that are not plain text and never fetches external entities (checked by
  tests/test_archive_parse.py).
* Titles, authors and categories become one line of plain, XML-safe text
  (digest.textfield); links become absolute http(s) URLs with ASCII hosts,
  or nothing; entry HTML is kept as received (compose cleans it) minus
  XML-invalid characters, cut at MAX_ENTRY_HTML characters (with a
  warning), with its relative links made absolute.
* Every entry gets a key (GUID, else link, else a hash of title and date);
  a GUID that is not a short plain token is replaced by its hash (keys are
  written into the issue file); entries sharing one are all kept, under
  keys made distinct.
* Each entry's language: the one its own text declares (xml:lang on its
  content, summary or title; dc:language), else the feed's (RSS
  <language>, Atom xml:lang), as a BCP 47 tag or None (textfield.language_tag:
  a feed's value is untrusted).
* An HTML page instead of a feed is an error naming the feed the page
  advertises, if any (autodiscovery).
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import urljoin

import feedparser
import nh3

from .models import Enclosure, FeedEntry
from .textfield import clean_link, language_tag, one_line, safe_key, xml_text

UTC = timezone.utc

# Bounds on one entry, so a hostile feed costs bounded time downstream.
MAX_ENTRY_HTML = 1_000_000  # characters of summary or content HTML kept
MAX_FIELD_MARKUP = 20_000  # characters of a title/author/category before stripping markup
MAX_CATEGORIES = 50
MAX_ENCLOSURES = 20

# feedparser asks xml.sax for the libxml2 driver on every parse; when it is
# not installed, each failed import walks sys.path under the import lock
# (about half of the parse time for a small feed). Skip a probe known to fail.
if importlib.util.find_spec("drv_libxml2") is None and "drv_libxml2" in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.remove("drv_libxml2")


@dataclass
class ParsedFeed:
    entries: list[FeedEntry] = field(default_factory=list)
    warning: str | None = None
    error: str | None = None  # nothing usable in the document
    feed_found: str | None = None


def plain_text(value: str | None) -> str:
    """Markup stripped, entities decoded: one line of XML-safe text."""
    if not value:
        return ""
    # nh3 with no allowed tags keeps only text (and drops script/style bodies);
    # its input is cut first so an absurd title costs nothing.
    text = html.unescape(nh3.clean(xml_text(value[:MAX_FIELD_MARKUP]), tags=set()))
    return one_line(text)


def _http_url(value: str | None, base: str) -> str | None:
    """An absolute http(s) URL safe to store, or None (javascript:, data:, junk)."""
    if not value or not isinstance(value, str):
        return None
    try:
        url = urljoin(base, value.strip()[: 2 * 4096])
    except ValueError:
        return None
    return clean_link(url)


def _bounded_html(value: str | None, what: str, warnings: list[str]) -> str | None:
    """Entry HTML without XML-invalid characters, at most MAX_ENTRY_HTML long."""
    if not value:
        return value
    if len(value) > MAX_ENTRY_HTML:
        warnings.append(f"{what}: {len(value):,} characters of HTML cut to {MAX_ENTRY_HTML:,}")
        value = value[:MAX_ENTRY_HTML]
    return xml_text(value)


def _time(struct) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


class _AlternateFinder(HTMLParser):
    """Collects <link rel="alternate" type="…rss/atom…" href> from an HTML page."""

    FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag != "link":
            return
        attributes = {k: (v or "") for k, v in attrs}
        rels = attributes.get("rel", "").lower().split()
        if "alternate" in rels and attributes.get("type", "").lower() in self.FEED_TYPES and attributes.get("href"):
            self.found.append(attributes["href"])


_C0_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def _xml_char(code: int) -> bool:
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


def _scrub(body: bytes) -> bytes:
    """The document without characters XML 1.0 forbids, raw or as character
    references (&#xD800; even crashes feedparser's fallback parser). Raw bytes
    are only touched in byte-oriented encodings: in UTF-16/32 a NUL is half
    of every ASCII character."""
    head = body[:4]
    if not (head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or b"\x00" in head[:2]):
        body = _C0_BYTES.sub(b"", body)
    if b"&#" in body:
        def check(match: re.Match) -> bytes:
            code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
            return match.group(0) if _xml_char(code) else b""

        body = _CHAR_REF.sub(check, body)
    return body


def _looks_like_html(body: bytes, content_type: str) -> bool:
    if "html" in content_type.lower() and "xhtml+xml" not in content_type.lower():
        return True
    head = body[:1024].lstrip().lower()
    return head.startswith(b"<!doctype html") or head.startswith(b"<html")


# An xml:base or a bare `base` attribute (feedparser honours both, in any
# case), or a DTD that could give one as a default. UTF-16/32 documents are
# not searched: they always take the base.
_BASE_ATTRIBUTE = re.compile(rb"\bbase\s*=|<!ATTLIST", re.IGNORECASE)


def _declares_base(body: bytes) -> bool:
    return b"\x00" in body[:4] or _BASE_ATTRIBUTE.search(body) is not None


def _feedparser(body: bytes, url: str, content_type: str, *, with_base: bool):
    """feedparser's reading of the document. Given the document's address as
    its base (``with_base``), feedparser joins every element's base with it, a
    quarter of its time; without, a document that declares no base of its own
    reads the same but for relative addresses (see _reads_as_with_base), and
    parse_feed resolves links against ``url`` itself."""
    headers = {"content-location": url} if with_base else {}
    if content_type:
        headers["content-type"] = content_type  # the HTTP charset counts (RFC 3023)
    return feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        # Resolving links inside every entry's HTML through feedparser's
        # sgmllib pass makes parsing ~5x slower; _absolute_links does it only
        # for HTML that has a relative link at all.
        resolve_relative_uris=False,
        sanitize_html=False,  # stored as received; compose cleans with nh3
    )


def _reads_as_with_base(parsed, url: str) -> bool:
    """Whether every address feedparser resolves against the base (an entry's
    id, link, links and enclosures) reads as it would have with ``url`` as the
    base: true when none would change (absolute ones). feedparser resolves a
    GUID unless it is isPermaLink="false", which its result does not tell, so
    a document with any address the base would change is read again with it."""
    for item in parsed.entries:
        values = [item.get("id"), item.get("link")]
        values += [link.get("href") for link in item.get("links") or []]
        values += [enclosure.get("href") for enclosure in item.get("enclosures") or []]
        for value in values:
            if isinstance(value, str) and feedparser.urls._urljoin(url, value) != value:
                return False
    return True


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> ParsedFeed:
    """Parse one feed document (bytes as received) into FeedEntry records.

    ``url`` is where the document came from (after redirects): the base for
    relative links when the feed gives no xml:base.
    """
    result = ParsedFeed()
    body = _scrub(body)
    try:
        with_base = _declares_base(body)
        parsed = _feedparser(body, url, content_type, with_base=with_base)
        if not with_base and not _reads_as_with_base(parsed, url):
            parsed = _feedparser(body, url, content_type, with_base=True)
    except Exception as error:  # noqa: BLE001 - a document feedparser chokes on is one failed source
        result.error = f"not a feed this reader can read ({type(error).__name__}: {error}); ask the chapter to check it"
        return result
    if not parsed.entries and not parsed.get("version"):
        if _looks_like_html(body, content_type):
            finder = _AlternateFinder()
            try:
                finder.feed(body.decode(parsed.get("encoding") or "utf-8", "replace"))
            except Exception:  # noqa: BLE001 - a broken page just has no advertised feed
                pass
            feeds = [f for f in (_http_url(href, url) for href in finder.found) if f]
            if feeds:
                result.feed_found = feeds[0]
                result.error = (
                    f"this address is a web page, not a feed; the page names its feed as {feeds[0]} "
                    "— put that address in sources.opml (xmlUrl)"
                )
            else:
                result.error = "this address is a web page, not a feed, and the page names no feed; ask the chapter for its feed address"
            return result
        problem = parsed.get("bozo_exception")
        result.error = f"not a feed ({problem or 'no RSS or Atom found'}); check the xmlUrl in sources.opml"
        return result

    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        if not isinstance(problem, feedparser.CharacterEncodingOverride):
            result.warning = f"malformed feed ({problem}); {len(parsed.entries)} entries recovered"

    base = url
    feed_lang = language_tag(dict.get(parsed.get("feed") or {}, "language"))
    raw: list[tuple[str, FeedEntry]] = []
    warnings: list[str] = []
    for item in parsed.entries:
        title = plain_text(item.get("title"))
        link = _http_url(item.get("link"), base)
        # A GUID is an identifier, not text: one that is not a short plain
        # token (newlines, markup, "--", long) is kept as its hash.
        guid = safe_key((item.get("id") or "").strip()) if isinstance(item.get("id"), str) else None
        what = f"entry {title[:60]!r}" if title else f"entry {guid or link}"
        # dict.get: FeedParserDict.get("updated…") silently falls back to
        # the published date, and we store what the feed actually said.
        published = _time(dict.get(item, "published_parsed"))
        updated = _time(dict.get(item, "updated_parsed"))
        if guid:
            base_key = guid
        elif link:
            base_key = safe_key(link)
        else:
            date_text = dict.get(item, "published") or dict.get(item, "updated") or ""
            base_key = "sha256:" + _short_hash(title, xml_text(str(date_text)))
        content_html = None
        contents = item.get("content") or []
        chosen = None
        for content in contents:  # prefer HTML over plain text when both are offered
            if "html" in (content.get("type") or ""):
                chosen = content
                value = _bounded_html(content.get("value"), what, warnings)
                content_html = _absolute_links(value, content.get("base") or base)
                break
        if content_html is None and contents:
            chosen = contents[0]
            content_html = html.escape(_bounded_html(contents[0].get("value"), what, warnings) or "")
        enclosures = []
        for enclosure in (item.get("enclosures") or [])[:MAX_ENCLOSURES]:
            href = _http_url(enclosure.get("href"), base)
            if not href:
                continue
            try:
                length = int(enclosure.get("length")) if enclosure.get("length") else None
            except (TypeError, ValueError):
                length = None
            if length is not None and not 0 <= length < 2**63:
                length = None  # SQLite integers are 64-bit
            enclosures.append(Enclosure(href, one_line(enclosure.get("type"), limit=100) or None, length))
        image_url = None
        for media in (item.get("media_thumbnail") or []) + [
            m for m in (item.get("media_content") or [])
            if m.get("medium") == "image" or (m.get("type") or "").startswith("image/")
        ]:
            image_url = _http_url(media.get("url"), base)
            if image_url:
                break
        if image_url is None:
            image_url = next((e.url for e in enclosures if (e.type or "").startswith("image/")), None)
        categories = {plain_text(tag.get("term") or tag.get("label")) for tag in (item.get("tags") or [])[:MAX_CATEGORIES]}
        categories.discard("")
        entry = FeedEntry(
            key=base_key,
            guid=guid,
            title=title,
            link=link,
            author=plain_text(item.get("author")) or None,
            published=published,
            updated=updated,
            summary_html=_summary_html(item, base, what, warnings),
            content_html=content_html,
            categories=tuple(sorted(categories)),
            enclosures=tuple(enclosures),
            image_url=image_url,
            lang=_entry_language(item, chosen) or feed_lang,
        )
        raw.append((base_key, entry))
    result.entries = _disambiguate(raw)
    if warnings:
        shown = "; ".join(warnings[:3]) + (f"; and {len(warnings) - 3} more" if len(warnings) > 3 else "")
        result.warning = "; ".join(filter(None, [result.warning, shown]))
    return result


# Every (tag, attribute) feedparser's resolver rewrites, as one quick test.
_URL_ATTRIBUTES = sorted({attribute for _, attribute in feedparser.urls.RelativeURIResolver.relative_uris})
_URL_VALUE = re.compile(
    r"\b(?:%s)\s*=\s*[\"']?\s*([^\"'\s>]*)" % "|".join(_URL_ATTRIBUTES), re.IGNORECASE
)


def _absolute_links(value: str | None, base: str) -> str | None:
    """HTML with its links and image sources made absolute against ``base``
    (the content's xml:base, else the feed's address), by feedparser's own
    resolver, run only when some URL attribute is not already absolute."""
    if not value:
        return value
    for match in _URL_VALUE.finditer(value):
        if not match.group(1).lower().startswith(("http://", "https://")):
            return feedparser.urls.resolve_relative_uris(value, base, "utf-8", "text/html")
    return value


def _entry_language(item, content) -> str | None:
    """The language an entry declares itself: xml:lang on the text used
    (content, then summary, then title; feedparser gives each its nearest
    xml:lang, the feed's included), else dc:language; None if none is a tag."""
    for detail in (content, item.get("summary_detail"), item.get("title_detail")):
        if isinstance(detail, dict):
            tag = language_tag(detail.get("language"))
            if tag:
                return tag
    return language_tag(dict.get(item, "language"))


def _summary_html(item, base: str, what: str, warnings: list[str]) -> str | None:
    summary = _bounded_html(item.get("summary"), what, warnings)
    detail = item.get("summary_detail") or {}
    if summary and "html" in (detail.get("type") or "text/html"):
        return _absolute_links(summary, detail.get("base") or base)
    return summary


def _disambiguate(raw: list[tuple[str, FeedEntry]]) -> list[FeedEntry]:
    """Two entries sharing a key (a GUID reused by a sloppy feed) are both
    kept: every one of them is keyed "<guid> <link>" (then a hash) instead."""
    counts: dict[str, int] = {}
    for key, _ in raw:
        counts[key] = counts.get(key, 0) + 1
    seen: set[str] = set()
    entries = []
    for key, entry in raw:
        if counts[key] > 1:
            key = f"{key} {entry.link or ''}".rstrip()
            if key in seen:
                key = f"{key} {_short_hash(entry.title, str(entry.published or entry.updated or ''))}"
            n = 2
            candidate = key
            while candidate in seen:
                candidate, n = f"{key} #{n}", n + 1
            key = candidate
        seen.add(key)
        entries.append(_replace_key(entry, key))
    return entries


def _replace_key(entry: FeedEntry, key: str) -> FeedEntry:
    if entry.key == key:
        return entry
    from dataclasses import replace

    return replace(entry, key=key)


def parse_worker_started(fetch_pid: int) -> None:
    """Initializer of the fetch stage's parse processes: leave when the fetch
    process (``fetch_pid``) is gone.

    A fetch killed with SIGKILL (a CI timeout) cannot stop its pool; its
    workers, and the fork server that waits for them, would otherwise wait
    for work forever. Here, not in digest.fetch, so a worker imports the
    parse stage alone (no HTTP client, no archive)."""
    import os
    import threading
    import time

    def alive() -> bool:
        try:
            os.kill(fetch_pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pid taken by another user's process: ours is gone
            return False
        return True

    def watch() -> None:
        while alive():
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()
