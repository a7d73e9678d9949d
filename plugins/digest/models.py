"""Typed records shared by the digest's stages.

sources -> fetch -> archive   (Source, FeedEntry, StoredEntry, SourceHealth)
archive -> compose -> issue file -> render -> email   (DigestIssue, ...)

Times are timezone-aware UTC datetimes unless a field says otherwise.
Stages may add fields (with defaults); renaming or removing one breaks the
stages downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


# --- Sources and archive ----------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One other chapter's (or publication's) feed, as listed in sources.opml."""

    feed_url: str  # xmlUrl: the source's identity in the archive
    title: str
    html_url: str | None = None
    category: str | None = None  # "chapter", "working group", "publication", ...
    location: str | None = None
    avatar: str | None = None


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True)
class FeedEntry:
    """An entry as parsed from one fetch of a feed, before it is stored."""

    key: str  # unique within the source: GUID, else link, else hash(title+date)
    guid: str | None
    title: str  # plain text, never markup
    link: str | None  # absolute
    author: str | None
    published: datetime | None
    updated: datetime | None
    summary_html: str | None  # as received (untrusted)
    content_html: str | None  # as received (untrusted)
    categories: tuple[str, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    image_url: str | None = None  # a lead image named by the feed (media:, enclosure)
    # The language the entry or its feed declares, as a BCP 47 tag ("es",
    # "pt-BR"; digest.textfield.language_tag); None when it declares none.
    lang: str | None = None


@dataclass(frozen=True)
class StoredEntry(FeedEntry):
    """An entry as the archive holds it."""

    feed_url: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    @property
    def effective_date(self) -> datetime:
        """The date an entry counts by: published, else updated, else first seen."""
        return self.published or self.updated or self.first_seen  # type: ignore[return-value]


@dataclass(frozen=True)
class SourceHealth:
    """What `invoke sources` prints for one source."""

    source: Source
    last_attempt: datetime | None
    last_success: datetime | None
    last_status: int | None  # HTTP status of the last attempt
    last_error: str | None
    consecutive_failures: int
    entries_stored: int
    newest_entry: datetime | None
    dead: bool  # 410 Gone, or failing for DIGEST_DEAD_AFTER_DAYS
    permanent_redirect: str | None = None  # new URL to put in sources.opml
    gone: bool = False  # the last answer was 410 Gone
    failing_since: datetime | None = None  # first failure of the current streak
    retry_after: datetime | None = None  # the server asked us to wait until then
    last_warning: str | None = None  # e.g. "malformed XML, entries recovered"


# --- Composing an issue: select -> images -> format -> merge ------------------


@dataclass(frozen=True)
class LocalImage:
    """A picture copied into the site: content/<src>, decoded size in pixels (0: not known)."""

    src: str  # "digests/images/2025-03/<sha256>.png"
    alt: str = ""
    width: int = 0
    height: int = 0


@dataclass(frozen=True)
class ComposedItem:
    """One story chosen for the issue, still typed: the format stage turns it into issue-file text."""

    id: str  # stable across composes: "<feed_url or 'site'>#<entry key>"
    title: str  # plain text, as the feed gave it (one line)
    link: str  # absolute http(s); for the chapter's own posts the path on this site, "/posts/x/"
    source_title: str
    source_url: str | None
    author: str | None
    date: date  # in the site's TIMEZONE
    excerpt_text: str = ""  # summary mode: plain text, paragraphs split by blank lines
    excerpt_html: str = ""  # full mode: sanitised HTML
    also_in: tuple[str, ...] = ()
    own: bool = False
    lead_image_url: str | None = None  # remote, until the images stage copies it
    lead_image_alt: str = ""
    image: LocalImage | None = None  # the local copy of the lead image
    # The item's language (BCP 47) when it is not the site's default
    # language; None for the default language or when nothing is declared.
    # Written as the item's `Lang:` field.
    lang: str | None = None


@dataclass(frozen=True)
class ComposedSection:
    title: str
    kind: str  # "own" (the chapter's posts), "source", or "held" (flood guard, for review only)
    items: tuple[ComposedItem, ...]


# --- Digest issues -----------------------------------------------------------


@dataclass
class ItemImage:
    src: str  # site-relative path of the local copy, e.g. "digests/images/2025-03/ab12.jpg"
    alt: str
    width: int = 0  # pixels, read from the file at build time (0: unknown)
    height: int = 0


@dataclass
class DigestItem:
    """One piece of writing in an issue, as the issue file holds it."""

    key: str  # stable identity across re-composes: "<feed_url or 'site'>#<entry key>"
    title: str  # plain text
    link: str  # http(s) only
    source_title: str
    source_url: str | None
    author: str | None
    date: date  # in the site's TIMEZONE
    excerpt_html: str  # sanitised HTML
    note_html: str | None = None  # the editor's note, sanitised HTML
    image: ItemImage | None = None
    also_in: list[str] = field(default_factory=list)  # other sources that carried it
    # For the chapter's own posts: the path on this site ("posts/slug/"), so a
    # page links within the build it belongs to; None for other sources.
    site_path: str | None = None
    # The item's language (its `Lang:` field, a BCP 47 tag such as "es" or
    # "pt-BR"); read_issue gives an item without one the site's DEFAULT_LANG.
    lang: str = "en"
    # Its anchor on the issue page ("item-<title slug>", unique in the issue),
    # so a search result or a shared link can point at the item itself.
    anchor: str = ""


@dataclass
class DigestSection:
    title: str  # "From our chapter", a source's or a category's name, ...
    slug: str
    items: list[DigestItem]
    # "own" (the chapter's posts), "source"/"normal", or the editor-only kinds
    # "new" (new since last compose) and "held" (flood guard); those two are
    # never published.
    kind: str = "normal"


@dataclass
class DigestIssue:
    """A parsed issue file: what the site page, the feeds and the email render."""

    month: str  # "YYYY-MM"
    number: int
    title: str  # "<DIGEST_NAME> | March 2025 (Issue 11)"
    date: datetime  # publication date, site TIMEZONE
    status: str  # "draft" or "published" (as the file says)
    intro_html: str
    sections: list[DigestSection]  # published sections only (held-back items excluded)
    source_path: str  # the issue file
    url: str  # "digest/2025-03/"
    save_as: str  # "digest/2025-03/index.html"
    month_label: str = ""  # "March 2025"
    previous: DigestIssue | None = None
    next: DigestIssue | None = None
    # Editor-only sections ("New since last compose", "Held back"): shown in a
    # draft preview, never on a published page, in feeds or email.
    review_sections: list[DigestSection] = field(default_factory=list)
    has_intro: bool = False  # False while the intro is still the placeholder
    # "draft" (Status: draft), "scheduled" (published, dated in the future) or
    # "" (public): a preview build shows the first two, marked; no public build does.
    preview: str = ""
    # The intro's first sentence, as plain text, for the digest index's cards
    # and the home page (the render stage fills it in).
    intro_sentence: str = ""
    # The intro in each other language, rendered like intro_html: language
    # code -> HTML, from the file's `## … <!-- digest:intro LANG -->`
    # sections (only those with text). The issue has a page, an email
    # edition and a feed entry in each of these languages.
    intros: dict[str, str] = field(default_factory=dict)
    default_lang: str = "en"  # DEFAULT_LANG: the language of intro_html
    intro_sentences: dict[str, str] = field(default_factory=dict)  # as intro_sentence, per language of `intros`

    @property
    def languages(self) -> list[str]:
        """The issue's languages: the site's default, then each one it has an intro in."""
        return [self.default_lang, *(lang for lang in self.intros if lang != self.default_lang)]

    @property
    def items(self) -> list[DigestItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def cover(self) -> DigestItem | None:
        """The cover story: the editor's first item (moving another to the top
        of the file makes it the cover)."""
        return cover_of(self.sections)

    @property
    def sections_after_cover(self) -> list[DigestSection]:
        """The sections as the page lists them under the cover story."""
        return without_cover(self.sections, lambda section, items: DigestSection(
            section.title, section.slug, items, section.kind))


def cover_of(sections):
    """The cover story of an issue's sections (the page's or the email's): the
    first item of the first section that has one, or None."""
    for section in sections:
        if section.items:
            return section.items[0]
    return None


def without_cover(sections, rebuild):
    """The sections without the cover story, as `rebuild(section, items)` makes
    them: the cover is not repeated, and a section it leaves empty is dropped."""
    cover = cover_of(sections)
    kept = []
    for section in sections:
        items = [item for item in section.items if item is not cover]
        if items:
            kept.append(rebuild(section, items))
    return kept


def translated_title(name: str, month: str, number: int, lang: str, words) -> str:
    """An issue's title in a language other than its file's ("… | octubre de 2026 (número 2)"):
    the issue page's, its feed entry's, its email's and its search result's (`words`: that language's gettext)."""
    # Imported here: Babel's locale data is a fifth of `invoke fetch`'s start-up, which never formats a title.
    from i18n.catalogues import format_month, format_number

    return words.gettext("%(name)s | %(month)s (Issue %(number)s)") % {
        "name": name, "month": format_month(month, lang), "number": format_number(number, lang)}
