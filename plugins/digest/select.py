"""Selecting a month's stories: the window, the unusable dropped, floods held
back, duplicates merged, excerpts cleaned, items grouped into sections.

The first stage of composing (select -> images -> format -> merge). Pure over
its inputs (archived entries, sources, the chapter's own posts, a clock): no
network and no files. Its output stays typed (`ComposedSection` of
`ComposedItem`); only the format stage writes issue-file text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from .clean import (
    excerpt_text,
    images_in,
    is_http_url,
    normalise_url,
    plain_title,
    sanitise,
    strip_boilerplate,
    strip_tracking,
    to_text,
)
from .models import ComposedItem, ComposedSection, Source, StoredEntry
from .own import OwnPost
from .settings import DigestSettings
from .textfield import language_tag, primary_language

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
    link: str  # what readers follow (a site path for the chapter's own posts)
    author: str | None
    when: datetime  # aware
    source: Source
    html: str  # untrusted summary or content
    full_html: str
    image_url: str | None = None
    guid: str | None = None
    own: bool = False
    also_in: list[str] = field(default_factory=list)
    # The absolute address used to compare stories (the public one for own posts).
    match_link: str | None = None
    lang: str | None = None  # as the feed declared it, or the own post's Lang


@dataclass
class Selection:
    sections: list[ComposedSection]  # own first, then one per source; then held sections
    per_source: Counter  # source title -> items selected
    held: Counter  # source title -> items held back
    duplicates: int = 0
    future: int = 0
    dropped: list[str] = field(default_factory=list)  # warnings about dropped items


def _host(url: str | None) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower() if url else ""
    except ValueError:
        return ""
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
    """One candidate per story, the original, with the other sources in also_in.

    Candidates are grouped by GUID, address and title (within `title_days`).
    Within a group, a story belongs to the host its link is on: copies on one
    host merge, but a source on another host publishing "the same" story
    under its own address never displaces it; when in doubt both are kept.
    Aggregators only ever merge into another source's item.
    """
    uf = _UnionFind(len(candidates))
    first_with: dict[tuple[str, str], int] = {}
    for index, cand in enumerate(candidates):
        keys = []
        if cand.guid and (is_http_url(cand.guid) or len(cand.guid) >= 12):
            keys.append(("guid", cand.guid.strip()))
            if is_http_url(cand.guid):
                keys.append(("url", normalise_url(cand.guid)))
        keys.append(("url", normalise_url(cand.match_link or cand.link)))
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

    def is_aggregator(cand: Candidate) -> bool:
        return (cand.source.category or "").lower() in aggregators

    def home(cand: Candidate) -> str:
        # Where the story says it lives: a GUID that is an address names its origin.
        if cand.guid and is_http_url(cand.guid):
            return _host(cand.guid)
        return _host(cand.match_link or cand.link)

    def rank(cand: Candidate, host: str):
        link_home = _host(cand.match_link or cand.link) == host
        site_home = bool(cand.source.html_url) and _host(cand.source.html_url) == host
        return (not cand.own, not link_home, not site_home, is_aggregator(cand), cand.when,
                cand.source.title.casefold(), cand.key)

    kept: list[Candidate] = []
    duplicates = 0
    for group in groups.values():
        # One story per home host; aggregators join the story they copy.
        by_host: dict[str, list[Candidate]] = defaultdict(list)
        if any(cand.own for cand in group):
            # The chapter's own post is known to be the original: whatever matches it is a copy.
            by_host[home(next(c for c in group if c.own))] = list(group)
        for cand in group if not by_host else ():
            if not is_aggregator(cand):
                by_host[home(cand)].append(cand)
        for cand in group if not any(c.own for c in group) else ():
            if is_aggregator(cand):
                where = home(cand)
                if where in by_host or not by_host:
                    by_host[where].append(cand)
                else:  # a copy whose original is not among them: merge into the earliest story
                    earliest = min(by_host, key=lambda h: min(c.when for c in by_host[h]))
                    by_host[earliest].append(cand)
        for host, members in by_host.items():
            members.sort(key=lambda c: rank(c, host))
            original = members[0]
            original.also_in = sorted({c.source.title for c in members[1:] if c.source.title != original.source.title})
            duplicates += len(members) - 1
            kept.append(original)
    kept.sort(key=lambda c: (c.when, c.key))
    return kept, duplicates


def flooded(entries: list[StoredEntry], *, max_items: int, same_timestamp: int) -> bool:
    if len(entries) > max_items:
        return True
    stamps = Counter(entry.effective_date for entry in entries)
    return bool(stamps) and max(stamps.values()) > same_timestamp


def author_name(raw: str | None) -> str:
    """A display name: RSS's "mail@example.org (Name)" becomes "Name"; a bare address is dropped."""
    text = plain_title(raw)
    match = re.fullmatch(r"\S+@\S+\s*\((.+)\)", text)
    if match:
        return match.group(1).strip()
    return "" if re.fullmatch(r"\S+@\S+", text) else text


def other_language(lang: str | None, default_lang: str) -> str | None:
    """The item's language as its `Lang:` field gives it: a BCP 47 tag when it
    is not the site's default language, else None. "en-US" on an English
    site is the default language: English issue files stay as they were."""
    tag = language_tag(lang)
    if tag is None or primary_language(tag) == primary_language(default_lang):
        return None
    return tag


def _item(cand: Candidate, conf: DigestSettings, *, with_image: bool) -> ComposedItem:
    if conf.full_excerpts:
        excerpt_html = sanitise(strip_boilerplate(cand.full_html or cand.html), base=cand.match_link or cand.link)
        excerpt = ""
    else:
        excerpt_html = ""
        excerpt = excerpt_text(to_text(strip_boilerplate(cand.html or cand.full_html)), conf.excerpt_words)
    lead = _lead_image(cand) if with_image and not cand.own else None
    source_url = None if cand.own else cand.source.html_url if is_http_url(cand.source.html_url) else None
    return ComposedItem(
        id=cand.key,
        title=plain_title(cand.title) or "(untitled)",
        link=cand.link,
        source_title=plain_title(cand.source.title),
        source_url=source_url,
        author=author_name(cand.author) or None,
        date=cand.when.astimezone(conf.timezone).date(),
        excerpt_text=excerpt,
        excerpt_html=excerpt_html,
        also_in=tuple(cand.also_in),
        own=cand.own,
        lead_image_url=lead[0] if lead else None,
        lead_image_alt=lead[1] if lead else "",
        lang=other_language(cand.lang, conf.default_lang),
    )


def _lead_image(cand: Candidate) -> tuple[str, str] | None:
    if cand.image_url and is_http_url(cand.image_url):
        return cand.image_url, ""
    found = images_in(cand.full_html or cand.html, base=cand.link)
    return found[0] if found else None


def select(
    entries: list[StoredEntry],
    sources: dict[str, Source],
    own: list[OwnPost],
    conf: DigestSettings,
    *,
    now: datetime,
) -> Selection:
    """Sections for one month from the archive's entries of that month's window."""
    own_source = Source(feed_url="site", title=conf.sitename, html_url=conf.public_url, category="own")
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

    pool: list[Candidate] = []
    held_pool: dict[str, list[Candidate]] = {}
    for feed_url, source_entries in by_source.items():
        source = source_of(feed_url)
        cands = []
        for entry in source_entries:
            link = (entry.link or "").strip()
            if not is_http_url(link):
                dropped.append(f"{plain_title(source.title)}: dropped {plain_title(entry.title)!r}: its link "
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
                lang=entry.lang,
            ))
        if flooded(source_entries, max_items=conf.flood_max_items, same_timestamp=conf.flood_same_timestamp):
            held_pool[feed_url] = cands
        else:
            pool.extend(cands)
    for post in own:
        public = f"{conf.public_url}{post.link}" if conf.public_url else None
        pool.append(Candidate(key=post.key, title=post.title, link=post.link, author=post.author,
                              when=post.published, source=own_source, html=post.summary_html,
                              full_html=post.summary_html, own=True, match_link=public, lang=post.lang))
    kept, duplicates = dedupe(pool, title_days=conf.dedupe_title_days,
                              aggregator_categories=conf.aggregator_categories)
    aggregators = set(conf.aggregator_categories)
    own_items = [c for c in kept if c.own]
    others: dict[str, list[Candidate]] = defaultdict(list)
    for cand in kept:
        if not cand.own:
            others[cand.source.feed_url].append(cand)
    sections: list[ComposedSection] = []
    per_source: Counter = Counter()
    held: Counter = Counter()
    if own_items:
        sections.append(ComposedSection(conf.own_section, "own",
                                        tuple(_item(c, conf, with_image=False) for c in own_items)))
        per_source[own_source.title] += len(own_items)
    order = sorted(others, key=lambda url: ((source_of(url).category or "").lower() in aggregators,
                                            source_of(url).title.casefold(), url))
    for feed_url in order:
        source = source_of(feed_url)
        sections.append(ComposedSection(plain_title(source.title), "source",
                                        tuple(_item(c, conf, with_image=True) for c in others[feed_url])))
        per_source[source.title] += len(others[feed_url])
    for feed_url in sorted(held_pool, key=lambda url: source_of(url).title.casefold()):
        source = source_of(feed_url)
        cands = sorted(held_pool[feed_url], key=lambda c: (c.when, c.key))
        if not cands:
            continue
        sections.append(ComposedSection(f"Held back: {plain_title(source.title)}", "held",
                                        tuple(_item(c, conf, with_image=False) for c in cands)))
        held[source.title] += len(cands)
    return Selection(sections=sections, per_source=per_source, held=held, duplicates=duplicates, future=future,
                     dropped=dropped)
