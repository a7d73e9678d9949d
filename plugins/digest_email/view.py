"""What every email file shows of an issue, prepared once: absolute URLs,
formatted dates, excerpts re-cleaned for email. render.py (HTML) and text.py
(plain text) both draw from this, so the two parts never disagree.

An issue has one edition per language it has an intro in (`issue.languages`):
`prepare(..., lang=…)` gives that edition its intro, title, dates, web page
and the words the Python code makes, from the language's gettext catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit, urlunsplit

import idna
import nh3
from babel import Locale
from babel.core import UnknownLocaleError
from babel.support import NullTranslations
from digest.models import DigestIssue, cover_of, translated_title, without_cover
from i18n.catalogues import format_date_long, format_month, format_number, gettext_for

from .errors import EmailError
from .settings import DEFAULT_UNSUBSCRIBE, EmailSettings

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
# css-inline walks the document recursively: 15,000 nested elements crashed
# it (a segmentation fault, no output). No mail client needs more than this.
MAX_DEPTH = 12
# Lists and quotes indent; past two levels they only push text off a phone
# screen (nested lists made an email 10,080 px wide at 375 px).
MAX_NESTING = 2
_NESTING_TAGS = {"ul", "ol", "blockquote"}
_VOID_TAGS = {"br", "img", "hr", "wbr"}
# Explicit bidi embeddings, overrides and isolates: in a name from another
# site, U+202E reversed the byline and the text after it. (LRM/RLM only mark
# direction and stay.)
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt=)")
_IMG_WITHOUT_SRC = re.compile(r"<img\b(?![^>]*\ssrc=)[^>]*>")


# The column is 600 px with 20 px padding: an image's width attribute is
# capped to it, for Outlook on Windows, which ignores max-width.
IMAGE_COLUMN_PX = 560


@dataclass
class EmailImage:
    src: str  # absolute, on the chapter's own site
    alt: str
    width: int = 0  # the width and height attributes (0: unknown, not written)
    height: int = 0

    def column_size(self) -> tuple[int, int]:
        """(width, height) spanning the column, for the cover story's picture."""
        if not (self.width and self.height):
            return IMAGE_COLUMN_PX, 0
        return IMAGE_COLUMN_PX, round(self.height * IMAGE_COLUMN_PX / self.width)


@dataclass
class EmailItem:
    title: str  # plain text
    link: str  # absolute: the item's one link (the post itself for the chapter's own)
    source_title: str
    author: str | None  # None when it only repeats the source (a statement signed by the chapter)
    date: str
    excerpt_html: str  # cleaned for email, URLs absolute
    note_html: str | None
    image: EmailImage | None
    also_in: list[str] = field(default_factory=list)
    # The item's language when it is not the edition's ("" when it is): its
    # title, picture and excerpt carry lang="…" in the HTML part.
    other_lang: str = ""

    @property
    def names(self) -> list[str]:
        """Who: the source, then the author unless it repeats the source."""
        return [name for name in (self.source_title, self.author) if name]

    @property
    def byline(self) -> str:
        """"Source · Author · date", each name once."""
        return " · ".join([*self.names, self.date])


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
    # Shown above everything in a preview build's copy of a draft or scheduled issue.
    banner: str = ""
    # The print edition (digest_print), when the build made one: its address and "Print edition (PDF, 80 KB)".
    print_url: str = ""
    print_label: str = ""
    # The edition's language, and the site's default one (the print edition's
    # and the editor's notes' language).
    lang: str = "en"
    default_lang: str = "en"
    issue_label: str = ""  # "Issue 2", in the edition's language
    subject: str = ""  # the Subject: line (the title, marked for a test copy of an unpublished issue)
    # The footer's and masthead's reader-facing settings, in the edition's language.
    tagline: str = ""
    unsubscribe: str = ""

    @property
    def items(self) -> list[EmailItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def words(self) -> NullTranslations:
        """The edition language's catalogue (`.gettext`, `.ngettext`)."""
        return translations(self.settings, self.lang)

    @property
    def print_hreflang(self) -> str:
        """The print edition's language, when it is not the edition's (it is always the default's)."""
        return self.default_lang if self.print_url and self.lang != self.default_lang else ""

    @property
    def note_lang(self) -> str:
        """The editor's notes' language (the issue file's), when it is not the edition's."""
        return self.default_lang if self.lang != self.default_lang else ""

    @property
    def masthead_issue(self) -> str:
        """"Issue 2 · October 2026", as on the issue page."""
        return f"{self.issue_label or self.number} · {self.month_label}"

    @property
    def cover(self) -> EmailItem | None:
        """The cover story: the editor's first item, as on the issue page."""
        return cover_of(self.sections)

    @property
    def sections_after_cover(self) -> list[EmailSection]:
        """The sections under the cover story, by the issue page's rule."""
        return without_cover(self.sections, lambda section, items: EmailSection(
            title=section.title, slug=section.slug, items=items))


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
    cleaned = _IMG_WITHOUT_ALT.sub('<img alt=""', cleaned).strip()
    return cap_depth(cleaned)


class _DepthCap(HTMLParser):
    """Re-emits serialised HTML without the elements nested too deep.

    Past MAX_DEPTH elements the tags are dropped and their text kept; lists
    and quotes past MAX_NESTING lose their own tag (items become plain
    blocks). Input is nh3's output: balanced, attributes quoted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[tuple[str, str | None]] = []  # (tag, the tag written for it or None)
        self.depth = 0  # elements written and still open
        self.nesting = 0  # lists and quotes written and still open

    def handle_starttag(self, tag, attrs):
        text = self.get_starttag_text() or f"<{tag}>"
        if tag in _VOID_TAGS:
            self.out.append(text)
            return
        written: str | None = tag
        if tag in _NESTING_TAGS and self.nesting >= MAX_NESTING:
            written = None
        elif tag == "li" and self._list_dropped():
            written, text = "div", "<div>"
        if written is not None and self.depth >= MAX_DEPTH:
            written = None
        self.stack.append((tag, written))
        if written is not None:
            self.out.append(text)
            self.depth += 1
            self.nesting += written in _NESTING_TAGS

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def _list_dropped(self) -> bool:
        for tag, written in reversed(self.stack):
            if tag in ("ul", "ol"):
                return written is None
        return False

    def handle_endtag(self, tag):
        if tag in _VOID_TAGS or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, written = self.stack.pop()
            if written is not None:
                self.out.append(f"</{written}>")
                self.depth -= 1
                self.nesting -= written in _NESTING_TAGS
            if open_tag == tag:
                break

    def handle_data(self, data):
        self.out.append(data)

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def result(self) -> str:
        self.close()
        while self.stack:
            self.handle_endtag(self.stack[-1][0])
        return "".join(self.out)


def cap_depth(html: str) -> str:
    """`html` with at most MAX_DEPTH nested elements and MAX_NESTING nested lists or quotes."""
    if html.count("<") <= 2 * MAX_NESTING:
        return html  # too few tags to nest too deep
    parser = _DepthCap()
    parser.feed(html)
    return parser.result()


def plain_name(text: str | None) -> str:
    """A title or name from another site, without bidi embeddings and overrides."""
    return _BIDI_CONTROLS.sub("", text or "")


def ascii_host(url: str | None) -> str | None:
    """The URL with its host in ASCII (IDNA): a host mixing scripts
    ("pаypal.example" with a Cyrillic "а") then reads as "xn--…", not as the
    host it imitates, in the plain-text edition's list of links."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host.isascii():
        return url
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        # Not a valid international name at all: plain punycode, still ASCII.
        encoded = ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in host.split(".")
        )
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0] + "@" if len(netloc) == 2 else ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{userinfo}{encoded}{port}", parts.path, parts.query, parts.fragment))


def _url_filter(settings: EmailSettings, tag: str, attr: str, value: str) -> str | None:
    if attr not in ("href", "src"):
        return value
    url = ascii_host(settings.absolute(value))
    # Images only from the chapter's own site: the issue holds local copies, and
    # an image from another host would tell that host who opened the email.
    if tag == "img" and url is not None and not url.startswith(settings.siteurl + "/"):
        return None
    return url


def _same_name(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def _image(item, settings: EmailSettings) -> EmailImage | None:
    """The item's picture, only from the chapter's own site (the issue holds
    local copies; an image from another host would tell it who opened the email)."""
    if item.image is None or not item.image.src:
        return None
    src = ascii_host(settings.absolute(item.image.src))
    if not src or not src.startswith(settings.siteurl + "/"):
        return None
    width, height = item.image.width or 0, item.image.height or 0
    if width > IMAGE_COLUMN_PX:
        width, height = IMAGE_COLUMN_PX, round(height * IMAGE_COLUMN_PX / width)
    return EmailImage(src=src, alt=plain_name(item.image.alt), width=width, height=height if width else 0)


def translations(settings: EmailSettings, lang: str) -> NullTranslations:
    """The catalogue of one edition's language (the default language's words are the code's own)."""
    return gettext_for(settings.site_languages, lang)


def language_in(code: str, lang: str) -> str:
    """A language's name as a sentence in `lang` has it ("English", "inglés")."""
    try:
        return Locale.parse(code).get_display_name(lang) or code
    except (UnknownLocaleError, ValueError):
        return code


def preview_banner(issue: DigestIssue, words: NullTranslations | None = None) -> str:
    """The warning a test copy of an unpublished issue carries ("" for a published one)."""
    _ = (words or NullTranslations()).gettext
    if issue.preview == "draft":
        return _("DRAFT: a test copy of an issue that is not published yet. Do not forward.")
    if issue.preview == "scheduled":
        return _("SCHEDULED: this issue is published on %(date)s. Test copy; do not forward.") % {
            "date": f"{issue.date:%Y-%m-%d %H:%M}"}
    return ""


def subject_prefix(issue: DigestIssue, words: NullTranslations | None = None) -> str:
    _ = (words or NullTranslations()).gettext
    if issue.preview == "draft":
        return _("[DRAFT]") + " "
    if issue.preview == "scheduled":
        return _("[SCHEDULED]") + " "
    return ""


def issue_languages(issue: DigestIssue, settings: EmailSettings) -> list[str]:
    """The languages the issue has an edition in: the site's default, then each
    other site language it has an intro in."""
    languages = settings.site_languages
    intros = getattr(issue, "intros", None) or {}
    return [languages.default, *(lang for lang in languages.others if intros.get(lang))]


def no_edition(issue: DigestIssue, lang: str, settings: EmailSettings) -> EmailError:
    name = language_in(lang, "en")
    languages = settings.site_languages
    if lang not in languages.all:
        return EmailError(
            f"{issue.source_path}: no edition in {name} ({lang}): the site is not published in that language "
            f"(I18N_LANGUAGES is {', '.join(languages.all)}); add it there first"
        )
    return EmailError(
        f"{issue.source_path}: the issue has no edition in {name} ({lang}): the issue file has no "
        f"`## … <!-- digest:intro {lang} -->` section; write the {name} intro there first"
    )


def prepare(issue: DigestIssue, settings: EmailSettings, print_edition=None, lang: str | None = None) -> EmailIssue:
    """The edition of `issue` in `lang` (default: the site's default language).
    Raises EmailError if the issue has no intro in `lang`."""
    languages = settings.site_languages
    default = languages.default
    lang = lang or default
    translated = lang != default
    if translated and lang not in issue_languages(issue, settings):
        raise no_edition(issue, lang, settings)
    words = translations(settings, lang)
    _ = words.gettext
    fmt = settings.date_format

    def day(value) -> str:
        # The default language keeps DIGEST_EMAIL_DATE_FORMAT; the others use their own long form.
        return format_date_long(value, lang) if translated else value.strftime(fmt)

    sections = []
    for section in issue.sections:
        items = []
        for item in section.items:
            site_path = getattr(item, "site_path", None)
            if site_path:  # the chapter's own post: its page on the production site
                link = f"{settings.siteurl}/{site_path.lstrip('/')}"
            else:
                link = ascii_host(settings.absolute(item.link))
            if link is None:  # the issue file only holds http(s) links; be safe anyway
                continue
            source = plain_name(item.source_title)
            author = plain_name(item.author) or None
            item_lang = getattr(item, "lang", None) or default
            items.append(
                EmailItem(
                    title=plain_name(item.title),
                    link=link,
                    source_title=source,
                    # A statement signed by the chapter has the chapter as source and author:
                    # its byline names it once.
                    author=None if _same_name(author, source) else author,
                    date=day(item.date),
                    excerpt_html=clean_fragment(item.excerpt_html, settings),
                    note_html=clean_fragment(item.note_html, settings) or None,
                    image=_image(item, settings),
                    also_in=[plain_name(name) for name in item.also_in or []],
                    other_lang=item_lang if item_lang != lang else "",
                )
            )
        if items:
            # The chapter's own section is named in the edition's language, as on the
            # issue page; other sections are other chapters' names, kept as written.
            title = _("From our chapter") if translated and section.title == settings.own_section else section.title
            sections.append(EmailSection(title=title, slug=section.slug, items=items))

    if translated:
        month_label = format_month(issue.month, lang)
        title = translated_title(settings.digest_name, issue.month, issue.number, lang, words)
        intro = issue.intros[lang]
    else:
        month_label = issue.month_label or issue.month
        title = issue.title
        intro = issue.intro_html
    print_label = ""
    if print_edition:
        if translated:  # the print edition is in the default language only: say so
            print_label = _("Print edition in %(language)s (PDF, %(size)s)") % {
                "language": language_in(default, lang), "size": print_edition.size_label}
        else:
            print_label = _("Print edition (PDF, %(size)s)") % {"size": print_edition.size_label}
    tagline = settings.setting_in(lang, "DIGEST_TAGLINE") if translated else None
    unsubscribe = settings.setting_in(lang, "DIGEST_EMAIL_UNSUBSCRIBE") if translated else None
    if unsubscribe is None:
        # The default sentence is in the catalogue (settings.py marks it); a chapter's own is kept.
        unsubscribe = (words.gettext(settings.unsubscribe) if settings.unsubscribe == DEFAULT_UNSUBSCRIBE
                       else settings.unsubscribe)
    return EmailIssue(
        month=issue.month,
        title=title,
        month_label=month_label,
        number=issue.number,
        date=day(issue.date),
        web_url=settings.absolute(languages.path(lang, issue.url.lstrip("/")) if translated else issue.url),
        intro_html=clean_fragment(intro, settings),
        sections=sections,
        settings=settings,
        banner=preview_banner(issue, words),
        print_url=settings.absolute(print_edition.url) if print_edition else "",
        print_label=print_label,
        lang=lang,
        default_lang=default,
        issue_label=_("Issue %(number)s") % {"number": format_number(issue.number, lang)},
        subject=subject_prefix(issue, words) + " ".join(title.split()),
        tagline=" ".join(tagline.split()) if tagline is not None else settings.identity.tagline,
        unsubscribe=unsubscribe,
    )
