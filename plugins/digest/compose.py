"""Composing a month: select the window, drop the unusable, guard against
floods, merge duplicates, clean excerpts and group the items into sections.

Pure over its inputs (entries, sources, the chapter's own posts, a clock):
no network and no files, so it is fast and easy to test. Images are
downloaded afterwards (images.py), only for the items that get written.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from . import digestconf
from .clean import (
    images_in,
    is_http_url,
    markdown_escape,
    normalise_url,
    plain_title,
    sanitise,
    strip_boilerplate,
    strip_tracking,
    excerpt_text,
    to_text,
)
from .issuefile import RawItem, RawSection
from .models import Source, StoredEntry
from .own import OwnPost

logger = logging.getLogger(__name__)


def month_window(month: str, tz) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in the site's timezone, as aware datetimes."""
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=tz)
    return start, end


@dataclass
class Candidate:
    key: str
    title: str
    link: str
    author: str | None
    when: datetime  # aware
    source: Source
    html: str  # untrusted summary or content
    full_html: str
    image_url: str | None = None
    guid: str | None = None
    own: bool = False
    also_in: list[str] = field(default_factory=list)


@dataclass
class Composition:
    sections: list[RawSection]  # own first, then one per source; then held sections
    lead_images: dict[str, tuple[str, str]]  # item id -> (remote url, alt)
    per_source: Counter  # source title -> items kept
    held: Counter  # source title -> items held back
    duplicates: int = 0
    future: int = 0
    dropped: list[str] = field(default_factory=list)  # warnings about dropped items


def _host(url: str | None) -> str:
    host = (urlsplit(url).hostname or "").lower() if url else ""
    return host[4:] if host.startswith("www.") else host


def _norm_title(title: str) -> str:
    return re.sub(r"[\W_]+", " ", title.casefold()).strip()


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def dedupe(candidates: list[Candidate], *, title_days: float, aggregator_categories) -> tuple[list[Candidate], int]:
    """One candidate per story, the original, with the other sources in also_in."""
    uf = _UnionFind(len(candidates))
    first_with: dict[tuple[str, str], int] = {}
    for index, cand in enumerate(candidates):
        keys = []
        if cand.guid and (is_http_url(cand.guid) or len(cand.guid) >= 12):
            keys.append(("guid", cand.guid.strip()))
            if is_http_url(cand.guid):
                keys.append(("url", normalise_url(cand.guid)))
        keys.append(("url", normalise_url(cand.link)))
        for key in keys:
            if key[1] is None:
                continue
            if key in first_with:
                uf.union(first_with[key], index)
            else:
                first_with[key] = index
    by_title: dict[str, list[int]] = defaultdict(list)
    for index, cand in enumerate(candidates):
        title = _norm_title(cand.title)
        if len(title) >= 8:  # "Update", "News" are not the same story
            by_title[title].append(index)
    window = timedelta(days=title_days)
    for indexes in by_title.values():
        indexes.sort(key=lambda i: candidates[i].when)
        for a, b in zip(indexes, indexes[1:]):
            if candidates[b].when - candidates[a].when <= window:
                uf.union(a, b)
    groups: dict[int, list[Candidate]] = defaultdict(list)
    for index, cand in enumerate(candidates):
        groups[uf.find(index)].append(cand)
    aggregators = {c.lower() for c in aggregator_categories}

    def rank(cand: Candidate):
        is_aggregator = (cand.source.category or "").lower() in aggregators
        host_match = bool(cand.source.html_url) and _host(cand.source.html_url) == _host(cand.link)
        return (not cand.own, not host_match, is_aggregator, cand.when, cand.source.title.casefold(), cand.key)

    kept: list[Candidate] = []
    duplicates = 0
    for group in groups.values():
        group.sort(key=rank)
        original = group[0]
        others = sorted({c.source.title for c in group[1:] if c.source.title != original.source.title})
        original.also_in = others
        duplicates += len(group) - 1
        kept.append(original)
    kept.sort(key=lambda c: (c.when, c.key))
    return kept, duplicates


def flooded(entries: list[StoredEntry], *, max_items: int, same_timestamp: int) -> bool:
    if len(entries) > max_items:
        return True
    stamps = Counter(entry.effective_date for entry in entries)
    return bool(stamps) and max(stamps.values()) > same_timestamp


def _excerpt(cand: Candidate, settings) -> str:
    """The excerpt as issue-file Markdown: plain text (summary) or sanitised HTML (full)."""
    if digestconf.get(settings, "DIGEST_EXCERPT_MODE") == "full":
        html = sanitise(strip_boilerplate(cand.full_html or cand.html), base=cand.link)
        return html
    text = to_text(strip_boilerplate(cand.html or cand.full_html))
    return markdown_escape(excerpt_text(text, int(digestconf.get(settings, "DIGEST_EXCERPT_WORDS"))))


def author_name(raw: str | None) -> str:
    """A display name: RSS's "mail@example.org (Name)" becomes "Name"; a bare address is dropped."""
    text = plain_title(raw)
    match = re.fullmatch(r"\S+@\S+\s*\((.+)\)", text)
    if match:
        return match.group(1).strip()
    return "" if re.fullmatch(r"\S+@\S+", text) else text


def _raw_item(cand: Candidate, settings) -> RawItem:
    tz = digestconf.timezone(settings)
    fields = {
        "Id": cand.key,
        "Link": cand.link,
        "Source": cand.source.title,
        "Source-URL": cand.source.html_url if is_http_url(cand.source.html_url) else "",
        "Author": author_name(cand.author),
        "Date": cand.when.astimezone(tz).date().isoformat(),
        "Also-in": "; ".join(cand.also_in),
    }
    return RawItem(title=plain_title(cand.title) or "(untitled)", fields=fields, body=_excerpt(cand, settings))


def _lead_image(cand: Candidate) -> tuple[str, str] | None:
    if cand.image_url and is_http_url(cand.image_url):
        return cand.image_url, ""
    found = images_in(cand.full_html or cand.html, base=cand.link)
    return found[0] if found else None


def compose(
    entries: list[StoredEntry],
    sources: dict[str, Source],
    own: list[OwnPost],
    settings,
    *,
    now: datetime,
) -> Composition:
    """Sections for one month from the archive's entries of that month's window."""
    own_source = Source(
        feed_url="site",
        title=settings.get("SITENAME") or "Our chapter",
        html_url=digestconf.site_public_url(settings),
        category="own",
    )
    dropped: list[str] = []
    future = 0
    by_source: dict[str, list[StoredEntry]] = defaultdict(list)
    for entry in entries:
        if entry.effective_date is None:
            continue
        if entry.effective_date > now:
            future += 1
            continue
        by_source[entry.feed_url].append(entry)

    def source_of(feed_url: str) -> Source:
        return sources.get(feed_url) or Source(feed_url=feed_url, title=_host(feed_url) or feed_url)

    max_items = int(digestconf.get(settings, "DIGEST_FLOOD_MAX_ITEMS"))
    same_stamp = int(digestconf.get(settings, "DIGEST_FLOOD_SAME_TIMESTAMP"))
    pool: list[Candidate] = []
    held_pool: dict[str, list[Candidate]] = {}
    for feed_url, source_entries in by_source.items():
        source = source_of(feed_url)
        cands = []
        for entry in source_entries:
            link = (entry.link or "").strip()
            if not is_http_url(link):
                dropped.append(f"{source.title}: dropped {plain_title(entry.title)!r}: its link {link!r} "
                               "is not an http(s) address")
                continue
            cands.append(Candidate(
                key=f"{feed_url}#{entry.key}",
                title=plain_title(entry.title),
                link=strip_tracking(link),
                author=entry.author,
                when=entry.effective_date,
                source=source,
                html=entry.summary_html or entry.content_html or "",
                full_html=entry.content_html or entry.summary_html or "",
                image_url=entry.image_url,
                guid=entry.guid,
            ))
        if flooded(source_entries, max_items=max_items, same_timestamp=same_stamp):
            held_pool[feed_url] = cands
        else:
            pool.extend(cands)
    for post in own:
        pool.append(Candidate(key=post.key, title=post.title, link=post.link, author=post.author,
                              when=post.published, source=own_source, html=post.summary_html,
                              full_html=post.summary_html, own=True))
    kept, duplicates = dedupe(
        pool,
        title_days=float(digestconf.get(settings, "DIGEST_DEDUPE_TITLE_DAYS")),
        aggregator_categories=digestconf.get(settings, "DIGEST_AGGREGATOR_CATEGORIES"),
    )
    aggregators = {c.lower() for c in digestconf.get(settings, "DIGEST_AGGREGATOR_CATEGORIES")}
    own_items = [c for c in kept if c.own]
    others: dict[str, list[Candidate]] = defaultdict(list)
    for cand in kept:
        if not cand.own:
            others[cand.source.feed_url].append(cand)
    sections: list[RawSection] = []
    lead_images: dict[str, tuple[str, str]] = {}
    per_source: Counter = Counter()
    held: Counter = Counter()

    def items_of(cands: list[Candidate], with_images: bool) -> list[RawItem]:
        items = []
        for cand in cands:
            items.append(_raw_item(cand, settings))
            if with_images and not cand.own:
                image = _lead_image(cand)
                if image:
                    lead_images[cand.key] = image
        return items

    if own_items:
        sections.append(RawSection(title=digestconf.get(settings, "DIGEST_OWN_SECTION"),
                                   items=items_of(own_items, False), kind="own"))
        per_source[own_source.title] += len(own_items)
    order = sorted(others, key=lambda url: ((source_of(url).category or "").lower() in aggregators,
                                            source_of(url).title.casefold(), url))
    for feed_url in order:
        source = source_of(feed_url)
        sections.append(RawSection(title=source.title, items=items_of(others[feed_url], True)))
        per_source[source.title] += len(others[feed_url])
    for feed_url in sorted(held_pool, key=lambda url: source_of(url).title.casefold()):
        source = source_of(feed_url)
        cands = sorted(held_pool[feed_url], key=lambda c: (c.when, c.key))
        if not cands:
            continue
        sections.append(RawSection(title=f"Held back: {source.title}", items=items_of(cands, False), kind="held"))
        held[source.title] += len(cands)
    return Composition(sections=sections, lead_images=lead_images, per_source=per_source, held=held,
                       duplicates=duplicates, future=future, dropped=dropped)
