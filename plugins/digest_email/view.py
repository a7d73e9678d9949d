"""What every email file shows of an issue, prepared once: absolute URLs,
formatted dates, excerpts re-cleaned for email. render.py (HTML) and text.py
(plain text) both draw from this, so the two parts never disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3
from digest.models import DigestIssue

from .settings import EmailSettings

# What an excerpt may keep in an email: text-level markup, lists, quotes and
# images. Tables, forms and media are left out (their text stays) because
# mail clients lay them out unpredictably and they break the 375 px layout.
EMAIL_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "code", "kbd", "pre", "blockquote", "q", "cite", "abbr", "span",
    "ul", "ol", "li", "img", "figure", "figcaption", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6",
}
EMAIL_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}, "abbr": {"title"}}
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")
_IMG_WITHOUT_SRC = re.compile(r"<img\b(?![^>]*\ssrc=)[^>]*>")


@dataclass
class EmailImage:
    src: str  # absolute
    alt: str


@dataclass
class EmailItem:
    title: str  # plain text
    link: str  # absolute
    source_title: str
    source_url: str | None
    author: str | None
    date: str
    excerpt_html: str  # cleaned for email, URLs absolute
    note_html: str | None
    image: EmailImage | None
    also_in: list[str] = field(default_factory=list)
    read_at: str = ""  # "Read at Harbor City Chapter", or "Read on our site" for the chapter's own


@dataclass
class EmailSection:
    title: str
    slug: str
    items: list[EmailItem]


@dataclass
class EmailIssue:
    month: str
    title: str
    month_label: str
    number: int
    date: str
    web_url: str
    intro_html: str
    sections: list[EmailSection]
    settings: EmailSettings

    @property
    def items(self) -> list[EmailItem]:
        return [item for section in self.sections for item in section.items]


def clean_fragment(html: str | None, settings: EmailSettings) -> str:
    """Re-clean sanitised HTML for email: keep the email-safe subset, make every
    link and image absolute against the production site, give every image an alt."""
    if not html:
        return ""
    cleaned = nh3.clean(
        html,
        tags=EMAIL_TAGS,
        clean_content_tags={"script", "style", "template", "noscript"},
        attributes=EMAIL_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        # Relative URLs left in an excerpt point at this site (local image copies).
        url_relative=settings.absolute,
        link_rel=None,
        strip_comments=True,
        # Absolute links into this build's own SITEURL move to the production one.
        attribute_filter=lambda tag, attr, value: _url_filter(settings, tag, attr, value),
    )
    # nh3 serialises every attribute quoted with ">" escaped, so these are exact.
    cleaned = _IMG_WITHOUT_SRC.sub("", cleaned)
    return _IMG_WITHOUT_ALT.sub('<img alt=""', cleaned).strip()


def _url_filter(settings: EmailSettings, tag: str, attr: str, value: str) -> str | None:
    if attr not in ("href", "src"):
        return value
    url = settings.absolute(value)
    # Images only from the chapter's own site: the issue holds local copies, and
    # an image from another host would tell that host who opened the email.
    if tag == "img" and url is not None and not url.startswith(settings.siteurl + "/"):
        return None
    return url


def prepare(issue: DigestIssue, settings: EmailSettings) -> EmailIssue:
    fmt = settings.date_format
    sections = []
    for section in issue.sections:
        items = []
        for item in section.items:
            link = settings.absolute(item.link)
            if link is None:  # the issue file only holds http(s) links; be safe anyway
                continue
            image = None
            if item.image is not None and item.image.src:
                src = settings.absolute(item.image.src)
                if src:
                    image = EmailImage(src=src, alt=item.image.alt or "")
            items.append(
                EmailItem(
                    title=item.title,
                    link=link,
                    source_title=item.source_title,
                    source_url=settings.absolute(item.source_url),
                    author=item.author or None,
                    date=item.date.strftime(fmt),
                    excerpt_html=clean_fragment(item.excerpt_html, settings),
                    note_html=clean_fragment(item.note_html, settings) or None,
                    image=image,
                    also_in=list(item.also_in or []),
                    read_at=(
                        "Read on our site"
                        if link.startswith(settings.siteurl + "/")
                        else f"Read at {item.source_title}"
                    ),
                )
            )
        if items:
            sections.append(EmailSection(title=section.title, slug=section.slug, items=items))
    return EmailIssue(
        month=issue.month,
        title=issue.title,
        month_label=issue.month_label or issue.month,
        number=issue.number,
        date=issue.date.strftime(fmt),
        web_url=settings.absolute(issue.url),
        intro_html=clean_fragment(issue.intro_html, settings),
        sections=sections,
        settings=settings,
    )
