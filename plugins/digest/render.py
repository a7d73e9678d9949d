"""The digest's Pelican generator: issue pages, the issue index and feeds.

Reads `content/digests/*.md` (issue files, written by `invoke digest` and
edited by hand), never the network: an issue builds the same forever.

- `generate_context`: read the settings once (a bad one stops the build,
  naming it), parse every issue (an invalid file stops the build, naming
  file:line), resolve own items' links against this build's articles, link
  previous/next, and put the published issues, newest first, into
  `context["digest_issues"]` and the ones with an email edition (in a
  preview build, drafts and scheduled ones too) into
  `context["digest_email_issues"]`.
- `generate_output`: `digest/YYYY-MM/index.html`, `digest/index.html`,
  `feeds/digest.atom.xml` and `feeds/digest.rss.xml` (published issues only),
  and the same under each other language of I18N_LANGUAGES (`es/digest/…`,
  `feeds/es/digest.atom.xml`) for the issues with an intro in it: the
  interface in that language, each item in its own (`lang`).

A draft (`Status: draft`) or a published issue dated in the future (like a
scheduled post) is rendered only in a preview build (DIGEST_SHOW_DRAFTS),
marked, kept out of search engines and feeds; a public build leaves it out
and says when a scheduled one will appear.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from dataclasses import dataclass, field

from feedgenerator import Atom1Feed, Rss201rev2Feed, get_tag_uri
from chapter.errors import NoTraceback, stop_build
from i18n.catalogues import format_month, format_number, gettext_for, language_name
from i18n.settings import Languages
from pelican import signals
from pelican.generators import Generator

from .errors import DigestError
from .files import write_atomically
from .issue import load_issues
from .models import DigestIssue, translated_title
from .settings import DigestSettings

logger = logging.getLogger(__name__)


def link_issues(issues: list[DigestIssue]) -> None:
    for before, after in zip(issues, issues[1:]):
        before.next, after.previous = after, before
    if issues:
        issues[0].previous = None
        issues[-1].next = None


def own_links(context) -> dict[str, str]:
    """"posts/<slug>" (or "es/posts/<slug>" in another language) -> the
    article's URL in this build, for every published post and statement."""
    languages = Languages.from_pelican(context)
    links = {}
    for name in ("articles", "hidden_articles", "translations", "hidden_translations"):
        for article in context.get(name) or []:
            category = getattr(getattr(article, "category", None), "slug", None)
            if category and getattr(article, "slug", None):
                lang = getattr(article, "lang", languages.default)
                links[languages.path(lang, f"{category}/{article.slug}")] = article.url
    return links


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


# A sentence ends at . ! ? (or a closing quote after one) followed by a space
# and a capital or an opening quote; "Mr. Wren" style abbreviations are rare
# enough in an intro's first line not to need a dictionary.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'’”)]?\s+(?=[\"'‘“(]?[A-Z0-9])")
MAX_SENTENCE = 240


def first_sentence(intro_html: str) -> str:
    """The first sentence of the intro's first paragraph, as plain text (cut
    at a word, with an ellipsis, past MAX_SENTENCE characters)."""
    first_paragraph = intro_html.split("</p>", 1)[0]
    parser = _TextOf()
    parser.feed(first_paragraph)
    parser.close()
    text = " ".join("".join(parser.parts).split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) > MAX_SENTENCE:
        sentence = sentence[:MAX_SENTENCE].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence


@dataclass
class IssueVersion:
    """An issue's page in one language, for the language switcher (i18n.links)."""

    lang: str
    url: str
    status: str
    versions: list = field(default_factory=list)


def issue_versions(issue: DigestIssue, languages: Languages) -> dict[str, IssueVersion]:
    pages = {lang: IssueVersion(lang, languages.path(lang, issue.url), issue.status)
             for lang in languages.all if lang in issue.languages}
    for page in pages.values():
        page.versions = [other for other in pages.values() if other is not page]
    return pages


class DigestGenerator(Generator):
    """Pages and feeds of the monthly digest."""

    def generate_context(self):
        try:
            self.conf = DigestSettings.from_pelican(self.settings)
            now = datetime.now(self.conf.timezone)
            issues = load_issues(self.conf, own_links=own_links(self.context), now=now)
        except DigestError as error:
            stop_build(error)
        show_drafts = self.conf.show_drafts
        for issue in issues:
            if issue.preview == "scheduled":
                logger.warning("digest: %s: issue %s is scheduled for %s; it appears with the first build after that",
                            issue.source_path, issue.number, issue.date.strftime("%Y-%m-%d %H:%M %Z"))
        for issue in issues:
            issue.intro_sentence = first_sentence(issue.intro_html) if issue.has_intro else ""
            issue.intro_sentences = {lang: first_sentence(html) for lang, html in issue.intros.items()}
        public = [issue for issue in issues if not issue.preview]
        self.rendered = [issue for issue in issues if show_drafts or not issue.preview]
        link_issues(self.rendered)
        self.published = list(reversed(public))
        self.context["digest_issues"] = self.published
        self.context["digest_email_issues"] = list(reversed(self.rendered))
        self.context["DIGEST_NAME"] = self.conf.name
        self._update_context(())

    def generate_output(self, writer):
        languages = Languages.from_pelican(self.settings)
        # Languages something is published in (i18n.trees); all of them before that is known.
        for lang in self.context.get("I18N_PRESENT") or languages.all:
            self._write_language(writer, languages, lang)

    def _write_language(self, writer, languages: Languages, lang: str) -> None:
        """One language's issue pages, issue index and feeds: the issues with an intro in it."""
        page = self.get_template("digest_issue")
        index = self.get_template("digest_index")
        common = {
            "DIGEST_NAME": self.conf.name,
            "DIGEST_FEED_ATOM": self.conf.feed_atom,
            "DIGEST_FEED_RSS": self.conf.feed_rss,
            "DIGEST_OWN_SECTION": self.conf.own_section,
            "active_nav": "digest",
            "page_lang": lang,
        }
        relative = self.settings.get("RELATIVE_URLS", False)
        rendered = [issue for issue in self.rendered if lang in issue.languages]
        for issue in rendered:
            version = issue_versions(issue, languages)[lang]
            writer.write_file(languages.path(lang, issue.save_as), page, self.context, relative_urls=relative,
                              issue=issue, page_versions_of=version, page_name=version.url.rstrip("/"), **common)
        writer.write_file(languages.path(lang, "digest/index.html"), index, self.context, relative_urls=relative,
                          issues=list(reversed(rendered)), page_name=languages.path(lang, "digest"), **common)
        self._write_feeds(languages, lang)

    # --- feeds -------------------------------------------------------------

    def issue_body_html(self, issue: DigestIssue, lang: str | None = None) -> str:
        """The full issue as HTML for feeds (absolute URLs when SITEURL is absolute)."""
        lang = lang or self.settings.get("DEFAULT_LANG", "en")
        template = self.env.get_template("digest_macros.html")
        # The macros' words and intro are the feed's language.
        macros = template.make_module({**self.context, "page_lang": lang, "DIGEST_OWN_SECTION": self.conf.own_section})
        return str(macros.issue_body(issue, self.settings.get("SITEURL", ""), True))

    def _write_feeds(self, languages: Languages, lang: str) -> None:
        siteurl = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL") or "").rstrip("/")
        words = gettext_for(languages, lang)
        _ = words.gettext
        name = self.conf.name
        title = name if lang == languages.default else f"{name} ({language_name(lang, lang)})"
        issues = [issue for issue in self.published if lang in issue.languages]  # newest first
        index = languages.path(lang, "digest/")
        for setting, cls in (("DIGEST_FEED_ATOM", Atom1Feed), ("DIGEST_FEED_RSS", Rss201rev2Feed)):
            target = self.conf.feed_atom if setting == "DIGEST_FEED_ATOM" else self.conf.feed_rss
            if not target:
                continue
            target = languages.path(lang, target)
            feed = cls(
                title=title,
                link=f"{siteurl}/{index}",
                description=_("%(name)s: the monthly digest of %(chapter)s") % {
                    "name": name, "chapter": self.settings.get("SITENAME", "")},
                feed_url=f"{siteurl}/{target}",
                language=lang,
                feed_guid=f"{siteurl}/{index}" if siteurl else None,
            )
            for issue in issues:
                url = languages.path(lang, issue.url)
                link = f"{siteurl}/{url}"
                body = self.issue_body_html(issue, lang)
                month = format_month(issue.month, lang)
                feed.add_item(
                    title=issue.title if lang == languages.default else translated_title(
                        name, issue.month, issue.number, lang, words),
                    link=link,
                    description=body if cls is Rss201rev2Feed else _("%(month)s: issue %(number)s") % {
                        "month": month, "number": format_number(issue.number, lang)},
                    content=body if cls is Atom1Feed else None,
                    # Stable: derived from the month (and language) alone, never from build time.
                    unique_id=_issue_id(siteurl, issue, url),
                    unique_id_is_permalink=False if cls is Rss201rev2Feed else None,
                    author_name=self.settings.get("SITENAME") or name,
                    pubdate=issue.date,
                    updateddate=issue.date,
                )
            path = Path(self.output_path) / target
            text = io.StringIO()
            feed.write(text, "utf-8")
            # A character XML 1.0 forbids (U+FFFE, a C0 control) cannot even be
            # escaped, and one makes the whole feed unreadable: drop any left.
            from .textfield import xml_text

            write_atomically(path, xml_text(text.getvalue()).encode("utf-8"))
            signals.feed_written.send(str(path), context=self.context, feed=feed)


def _issue_id(siteurl: str, issue: DigestIssue, url: str) -> str:
    if siteurl.startswith(("http://", "https://")):
        return get_tag_uri(f"{siteurl}/{url}", datetime(int(issue.month[:4]), int(issue.month[5:]), 1, tzinfo=UTC))
    prefix = url[: -len(issue.url)] if url.endswith(issue.url) else ""
    return f"urn:digest:{prefix.strip('/') + ':' if prefix.strip('/') else ''}{issue.month}"


def get_generators(pelican_object):
    return DigestGenerator


_no_traceback = NoTraceback(DigestError)


def check_settings(pelican_object) -> None:
    """initialized: a bad TIMEZONE or DIGEST_* value stops the build before anything reads it, named."""
    try:
        DigestSettings.from_pelican(pelican_object.settings)
    except DigestError as error:
        stop_build(error)


def register():
    logging.getLogger("pelican").addFilter(_no_traceback)  # addFilter ignores a second copy
    signals.initialized.connect(check_settings)
    signals.get_generators.connect(get_generators)
