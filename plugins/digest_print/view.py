"""What the print edition shows of an issue, prepared once and still typed.

A printed page cannot be clicked, so every link becomes something a reader
can follow from paper: an item's link is printed as a short address (and a
QR code, made by the render stage); a link inside an excerpt or the intro is
footnoted with its address. Everything here comes from the issue file, which
holds other sites' words: text is re-cleaned under a small allow-list, its
nesting bounded, bidi controls dropped, addresses bounded in length; the
only files the PDF may embed are the issue's own local copies under content/.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import nh3
from digest.issue import image_size
from digest.models import DigestIssue, DigestItem, cover_of, without_cover

# What an excerpt keeps on paper: text-level markup, lists and quotes.
# Pictures inside excerpts are left out (the cover story's picture is the
# issue's own local copy); tables and media keep only their text.
PRINT_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "small", "sub", "sup",
    "code", "blockquote", "q", "cite", "abbr", "ul", "ol", "li",
}
PRINT_ATTRIBUTES = {"a": {"href"}, "abbr": {"title"}}
# WeasyPrint lays boxes out recursively: a feed's thousands of nested
# elements would exhaust the stack. No printed excerpt needs more than this.
MAX_DEPTH = 8
MAX_ADDRESS = 200  # characters of an address printed in full (footnotes, back page)
SHORT_ADDRESS = 64  # an item's printed address; its QR code carries the whole link
# Explicit bidi embeddings, overrides and isolates reorder the text around them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Line and paragraph separators, form feeds and other controls inside text:
# WeasyPrint's line breaking fails an assertion on U+2029 between two lines
# (a hostile feed crashed the build), and none of them means anything on paper.
_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029]")
# A picture larger than this is not decoded (a hostile size costs memory and
# time); the item is then printed without it.
MAX_PICTURE_PIXELS = 40_000_000


@dataclass(frozen=True)
class PrintLink:
    url: str  # absolute http(s): what the QR code encodes
    printed: str  # the address as printed: no scheme, no "www.", bounded


@dataclass(frozen=True)
class PrintImage:
    path: str  # absolute path of the local copy, under content/
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class PrintItem:
    anchor: str  # "item-3": the contents' page numbers point here
    title: str
    source: str
    author: str | None
    date_label: str  # "March 3, 2025", as the issue page writes it
    excerpt_html: str  # print allow-list, each link followed by its footnote
    note_html: str  # the editor's note, same rules ("" if none)
    link: PrintLink | None  # None: no public address to print (a relative link and no public URL)
    image: PrintImage | None = None  # the item's picture: the issue's local copy


@dataclass(frozen=True)
class PrintSection:
    title: str
    items: tuple[PrintItem, ...]


@dataclass(frozen=True)
class BackPage:
    join_title: str
    join_summary: str
    join: PrintLink | None
    signup: PrintLink | None
    site: PrintLink | None
    feeds: tuple[tuple[str, PrintLink], ...]  # (what, address)


@dataclass(frozen=True)
class PrintIssue:
    month: str
    number: int
    title: str  # the document title
    lang: str
    chapter: str
    publication: str
    tagline: str
    month_label: str
    issue_label: str  # "Issue 11 · March 2025"
    draft_label: str  # "" for a published issue
    accent: str  # a #rrggbb colour readable on white
    paper: str  # CSS page size
    logo: str | None  # absolute path of the chapter's logo
    intro_html: str
    cover: PrintItem | None  # the cover story; its picture is the cover's
    contents: tuple[PrintSection, ...]  # every item, cover first, for the contents list
    sections: tuple[PrintSection, ...]  # the items after the cover story
    back: BackPage

    @property
    def files(self) -> tuple[str, ...]:
        """The local files the PDF embeds (they are part of the cache key)."""
        pictures = [item.image.path for section in self.contents for item in section.items if item.image]
        return tuple(path for path in [self.logo, *pictures] if path)


def plain(text: str | None) -> str:
    return " ".join(_BIDI_CONTROLS.sub("", text or "").split())


def printed_address(url: str, limit: int = MAX_ADDRESS) -> str:
    """An address as a reader would type it: no scheme, no "www.", no trailing
    slash; cut in the middle, with an ellipsis, past `limit` characters."""
    text = plain(re.sub(r"^https?://", "", url, flags=re.IGNORECASE))
    text = re.sub(r"^www\.", "", text, flags=re.IGNORECASE).rstrip("/")
    if len(text) > limit:
        keep = limit - 1
        tail = keep // 3
        text = text[: keep - tail] + "…" + (text[-tail:] if tail else "")
    return text


def public_link(url: str | None, limit: int = SHORT_ADDRESS) -> PrintLink | None:
    if not url:
        return None
    # A bidi control or a control character in an address would make the
    # printed address and the QR code name different pages (and reach the
    # PDF as text): percent-encoded, both show the same one.
    for unprintable in (_BIDI_CONTROLS, _TEXT_CONTROLS):
        url = unprintable.sub(lambda m: quote(m.group(), safe=""), url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return PrintLink(url=url, printed=printed_address(url, limit))


class _Footnoted(HTMLParser):
    """Re-emits clean HTML with each link's address as a footnote after it,
    and nothing nested deeper than MAX_DEPTH (deeper text stays, its tags go)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[tuple[str, bool]] = []  # (tag, emitted)
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.out.append("<br>")
            return
        attributes = dict(attrs)
        emitted = len([t for t, kept in self.open if kept]) < MAX_DEPTH
        self.open.append((tag, emitted))
        if tag == "a":
            link = public_link(attributes.get("href") or "")
            self.links.append(link.url if link else None)
        if not emitted:
            return
        if tag == "a":
            href = self.links[-1]
            self.out.append(f'<a href="{html.escape(href)}">' if href else "<a>")
        elif tag == "abbr" and attributes.get("title"):
            self.out.append(f'<abbr title="{html.escape(plain(attributes["title"]))}">')
        else:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag):
        if tag == "br" or not any(t == tag for t, _ in self.open):
            return
        while self.open:
            open_tag, emitted = self.open.pop()
            if emitted:
                self.out.append(f"</{open_tag}>")
            if open_tag == "a":
                href = self.links.pop()
                if href:
                    address = html.escape(printed_address(href))
                    self.out.append(f'<span class="footnote">{address}</span>')
            if open_tag == tag:
                break

    def handle_data(self, data):
        self.out.append(html.escape(_TEXT_CONTROLS.sub(" ", _BIDI_CONTROLS.sub("", data)), quote=False))

    def result(self) -> str:
        self.close()
        while self.open:
            self.handle_endtag(self.open[-1][0])
        return "".join(self.out)


def print_html(fragment: str | None) -> str:
    """Sanitised issue HTML -> HTML for paper: print allow-list, footnoted links, bounded depth."""
    if not fragment or not fragment.strip():
        return ""
    clean = nh3.clean(fragment, tags=PRINT_TAGS, attributes=PRINT_ATTRIBUTES, url_schemes={"http", "https"},
                      link_rel=None, strip_comments=True)
    parser = _Footnoted()
    parser.feed(clean)
    return parser.result()


def _item_link(item: DigestItem, public_url: str | None) -> PrintLink | None:
    if item.site_path is not None:  # the chapter's own post: its public address
        return public_link(f"{public_url}/{item.site_path.lstrip('/')}" if public_url else None)
    return public_link(item.link)


def _item(item: DigestItem, anchor: str, public_url: str | None, content_dir: Path) -> PrintItem:
    return PrintItem(
        anchor=anchor,
        title=plain(item.title),
        source=plain(item.source_title),
        author=plain(item.author) or None,
        date_label=item.date.strftime("%B %-d, %Y"),
        excerpt_html=print_html(item.excerpt_html),
        note_html=print_html(item.note_html),
        link=_item_link(item, public_url),
        image=_local_image(item, content_dir),
    )


def _inside(root: Path, relative: str) -> Path | None:
    """root/relative if it is a file inside root (no "..", no symlink out)."""
    try:
        path = (root / relative.lstrip("/")).resolve()
        if path.is_file() and path.is_relative_to(root.resolve()):
            return path
    except (OSError, ValueError):
        pass
    return None


def _local_image(item: DigestItem | None, content_dir: Path) -> PrintImage | None:
    if item is None or item.image is None:
        return None
    path = _inside(content_dir, item.image.src)
    if path is None:
        return None
    width, height = image_size(path)
    if not (0 < width * height <= MAX_PICTURE_PIXELS):
        return None
    return PrintImage(path=str(path), alt=plain(item.image.alt), width=width, height=height)


def read_page_header(path: Path) -> dict[str, str]:
    """The "Key: value" lines at the top of a Markdown page, lower-cased keys."""
    header: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.strip():
                    break
                key, colon, value = line.partition(":")
                if not colon:
                    break
                header[key.strip().lower()] = value.strip()
    except OSError:
        pass
    return header


def join_page(content_dir: Path, slug: str) -> tuple[str, str]:
    """(title, summary) of the site's page with this slug ("" both when there is none)."""
    pages = content_dir / "pages"
    for path in sorted(pages.glob("*.md")) if slug and pages.is_dir() else ():
        header = read_page_header(path)
        if (header.get("slug") or path.stem) == slug:
            return plain(header.get("title")), plain(header.get("summary"))
    return "", ""


@dataclass(frozen=True)
class Context:
    """Everything beyond the issue that the print edition shows, read once per build."""

    content_dir: Path
    public_url: str | None
    lang: str
    chapter: str
    publication: str
    tagline: str
    accent: str
    paper: str
    logo: str  # path under the site root, or ""
    signup_url: str
    join_slug: str
    page_url: str  # PAGE_URL
    feeds: tuple[tuple[str, str], ...]  # (what, path under the site root)


def _back_page(context: Context) -> BackPage:
    title, summary = join_page(context.content_dir, context.join_slug)
    base = context.public_url
    join = public_link(f"{base}/{context.page_url.format(slug=context.join_slug)}" if base and title else None,
                       MAX_ADDRESS)
    feeds = tuple((what, link) for what, path in context.feeds
                  if (link := public_link(f"{base}/{path}" if base else None, MAX_ADDRESS)))
    return BackPage(
        join_title=title,
        join_summary=summary,
        join=join,
        signup=public_link(context.signup_url, MAX_ADDRESS),
        site=public_link(f"{base}/" if base else None, MAX_ADDRESS),
        feeds=feeds,
    )


def prepare(issue: DigestIssue, context: Context) -> PrintIssue:
    printed = {id(item): _item(item, f"item-{n}", context.public_url, context.content_dir)
               for n, item in enumerate(issue.items, start=1)}

    def section(title, items):
        return PrintSection(plain(title), tuple(printed[id(item)] for item in items))

    contents = tuple(section(s.title, s.items) for s in issue.sections if s.items)
    after_cover = tuple(without_cover(issue.sections, lambda s, items: section(s.title, items)))
    cover_item = cover_of(issue.sections)
    cover = printed[id(cover_item)] if cover_item else None
    logo = _inside(context.content_dir, context.logo) if context.logo else None
    draft = {"draft": "Draft: not for distribution", "scheduled": "Scheduled: not yet published"}
    return PrintIssue(
        month=issue.month,
        number=issue.number,
        title=plain(issue.title),
        lang=context.lang,
        chapter=plain(context.chapter),
        publication=plain(context.publication),
        tagline=plain(context.tagline),
        month_label=issue.month_label,
        issue_label=f"Issue {issue.number} · {issue.month_label}",
        draft_label=draft.get(issue.preview, ""),
        accent=context.accent,
        paper=context.paper,
        logo=str(logo) if logo else None,
        intro_html=print_html(issue.intro_html) if issue.has_intro else "",
        cover=cover,
        contents=contents,
        sections=after_cover,
        back=_back_page(context),
    )
