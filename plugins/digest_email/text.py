"""The plain-text part: wrapped at 72 columns, links as numbered references.

HTML fragments (intro, excerpts, notes) become text with the standard
library's html.parser; textwrap does the wrapping. A link's text is followed
by "[n]" and the URL is listed once, at the end, as "[n] URL"; the same URL
always gets the same number.

Every word it adds comes from the edition language's catalogue (`_()`).
"""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser
from typing import Callable

from i18n.catalogues import format_number

from .view import EmailIssue, EmailItem

WIDTH = 72
RULE = "-" * WIDTH

_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "figure", "figcaption",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
    "hr", "table", "tr", "dl", "dt", "dd",
}
_SKIP_TAGS = {"script", "style", "template", "noscript", "head", "title"}
_SPACES = re.compile(r"[ \t\r\n\f]+")


def english_image_label(alt: str) -> str:
    return f"[Image: {alt}]"


class References:
    """Numbers URLs in order of first use."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def number(self, url: str) -> int:
        if url not in self._numbers:
            self._numbers[url] = len(self._numbers) + 1
        return self._numbers[url]

    def items(self) -> list[tuple[int, str]]:
        return [(n, url) for url, n in self._numbers.items()]


class _Converter(HTMLParser):
    """Turns an HTML fragment into paragraphs: (prefix, text, preformatted)."""

    def __init__(self, refs: References | None, image_label: Callable[[str], str] = english_image_label) -> None:
        super().__init__(convert_charrefs=True)
        self.refs = refs  # None: no "[n]" markers (the preheader)
        self.image_label = image_label  # "[Image: <alt>]", in the edition's language
        # (first-line prefix, continuation prefix, text, preformatted, in a list)
        self.blocks: list[tuple[str, str, str, bool, bool]] = []
        self._buf: list[str] = []
        self._href: list[str | None] = []
        self._lists: list[list] = []  # per open list: [ordered, counter]
        self._quote = 0
        self._pre = 0
        self._skip = 0
        self._item_prefix: str | None = None

    # --- structure -----------------------------------------------------------
    def _prefix(self) -> tuple[str, str]:
        """(first-line prefix, continuation prefix) for the current paragraph."""
        quote = "> " * self._quote
        indent = "  " * max(len(self._lists) - 1, 0)
        if self._item_prefix is not None:
            first = quote + indent + self._item_prefix
            return first, quote + " " * len(indent + self._item_prefix)
        if self._lists:
            cont = quote + "  " * len(self._lists)
            return cont, cont
        return quote, quote

    def _flush(self) -> None:
        text = "".join(self._buf)
        self._buf = []
        if not self._pre:
            text = _SPACES.sub(" ", text).strip()
        elif text.strip("\n") == "":
            text = ""
        if text:
            first, rest = self._prefix()
            self.blocks.append((first, rest, text, bool(self._pre), bool(self._lists)))
            self._item_prefix = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag in _BLOCK_TAGS or tag == "br":
            if tag == "br" and self._pre:
                self._buf.append("\n")
                return
            self._flush()
        if tag in ("ul", "ol"):
            self._lists.append([tag == "ol", 0])
        elif tag == "li":
            if self._lists:
                self._lists[-1][1] += 1
                ordered, n = self._lists[-1]
                self._item_prefix = f"{n}. " if ordered else "- "
            else:
                self._item_prefix = "- "
        elif tag == "blockquote":
            self._quote += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "hr":
            self.blocks.append(("", "", "* * *", False, False))
        elif tag == "a":
            href = attrs.get("href")
            self._href.append(href if href and href.startswith(("http://", "https://")) else None)
        elif tag == "img":
            alt = (attrs.get("alt") or "").strip()
            if alt:
                self._buf.append(f" {self.image_label(alt)} ")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self._skip = max(self._skip - 1, 0)
            return
        if tag == "a":
            href = self._href.pop() if self._href else None
            if href and self.refs is not None:
                self._buf.append(f" [{self.refs.number(href)}]")
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "blockquote":
            self._quote = max(self._quote - 1, 0)
        elif tag == "pre":
            self._pre = max(self._pre - 1, 0)

    def handle_data(self, data):
        if not self._skip:
            self._buf.append(data)

    def close(self):
        super().close()
        self._flush()


def wrap(text: str, first: str = "", rest: str | None = None) -> list[str]:
    """Wrap one paragraph to WIDTH; words longer than a line are broken."""
    rest = first if rest is None else rest
    wrapper = textwrap.TextWrapper(
        width=WIDTH,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=True,
        break_on_hyphens=False,
    )
    return wrapper.wrap(text) or [first.rstrip()]


def html_to_lines(html: str, refs: References, lead: str = "",
                  image_label: Callable[[str], str] = english_image_label) -> list[str]:
    """An HTML fragment as wrapped lines, paragraphs separated by a blank line.
    `lead` ("Editor's note:") starts the first paragraph."""
    converter = _Converter(refs, image_label)
    converter.feed(html or "")
    converter.close()
    lines: list[str] = []
    was_list = False
    for first, rest, text, pre, in_list in converter.blocks:
        if lead:
            text, lead, pre = f"{lead} {text.strip()}", "", False
        if lines and not (in_list and was_list):  # list items stay together
            lines.append("")
        was_list = in_list
        if pre:
            for i, raw in enumerate(text.strip("\n").split("\n")):
                prefix = first if i == 0 else rest
                lines.extend(wrap(raw.rstrip(), prefix, rest) if raw.strip() else [prefix.rstrip()])
        else:
            lines.extend(wrap(text, first, rest))
    if lead:
        lines.extend(wrap(lead))
    return lines


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment without references (for the preheader)."""
    converter = _Converter(None)
    converter.feed(html or "")
    converter.close()
    return " ".join(_SPACES.sub(" ", block[2]).strip() for block in converter.blocks).strip()


def render_text(issue: EmailIssue) -> str:
    s = issue.settings
    brand = s.identity
    _ = issue.words.gettext
    refs = References()
    out: list[str] = []

    def image_label(alt: str) -> str:
        return _("[Image: %(alt)s]") % {"alt": alt}

    def para(text: str, first: str = "", rest: str | None = None) -> None:
        out.extend(wrap(text, first, rest))

    def blank() -> None:
        if out and out[-1] != "":
            out.append("")

    def heading(title: str) -> None:
        blank()
        out.append(RULE)
        para(title.upper())
        out.append(RULE)

    def item_text(item: EmailItem) -> None:
        # The title is the item's one link, as in the HTML part.
        para(f"{item.title} [{refs.number(item.link)}]")
        para(item.byline)
        if item.image and item.image.alt:
            blank()
            para(image_label(item.image.alt))
        # The same order as the issue page: note, excerpt, also in.
        if item.note_html:
            blank()
            out.extend(html_to_lines(item.note_html, refs, lead=_("Editor's note:"), image_label=image_label))
        if item.excerpt_html:
            blank()
            out.extend(html_to_lines(item.excerpt_html, refs, image_label=image_label))
        if item.also_in:
            blank()
            para(_("Also in") + ": " + ", ".join(item.also_in))

    if issue.banner:
        para(f"*** {issue.banner} ***")
        blank()
    # The masthead, as on the issue page.
    para(brand.chapter + " · " + _("the monthly digest"))
    para(brand.publication)
    out.append("=" * min(len(brand.publication), WIDTH))
    para(issue.masthead_issue)
    if issue.tagline:
        para(issue.tagline)
    blank()
    para(_("Published %(date)s") % {"date": issue.date})
    para(_("Read this issue on the web") + f" [{refs.number(issue.web_url)}]")
    if issue.print_url:
        para(f"{issue.print_label} [{refs.number(issue.print_url)}]")
    if issue.intro_html:
        blank()
        out.extend(html_to_lines(issue.intro_html, refs, image_label=image_label))

    cover = issue.cover
    if cover:
        heading(_("Cover story"))
        blank()
        item_text(cover)

    sections = issue.sections_after_cover
    if len(sections) > 1:
        heading(_("In this issue"))
        blank()
        for section in sections:
            para(f"{section.title} ({format_number(len(section.items), issue.lang)})", "- ", "  ")

    for section in sections:
        heading(section.title)
        for item in section.items:
            blank()
            item_text(item)

    blank()
    out.append(RULE)
    if brand.signup_url:
        signup = _("Get %(name)s by email") % {"name": brand.publication}
        para(_("Was this forwarded to you?") + f" {signup} [{refs.number(brand.signup_url)}]")
    else:
        para(_("Members of %(chapter)s receive %(name)s by email each month.")
             % {"chapter": brand.chapter, "name": brand.publication})
    blank()
    if s.address:
        para(s.address)
    if issue.unsubscribe:
        text = issue.unsubscribe
        if s.unsubscribe_url:
            text = f"{text} {s.unsubscribe_url}"
        para(text)

    references = refs.items()
    if references:
        blank()
        para(_("Links"))
        blank()
        for number, url in references:
            # URLs are never broken: a broken URL cannot be clicked.
            out.append(f"[{number}] {url}")
    return "\n".join(out).rstrip() + "\n"
