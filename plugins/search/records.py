"""Stage 1: what readers can find, as typed records taken from the build.

`collect(generators, conf)` runs once every generator has read its content
(`all_generators_finalized`), so it sees exactly what the build publishes:

- posts and statements from Pelican's published lists in every language
  (drafts live in other lists; the schedule stage has already taken
  future-dated posts out of these);
- pages, except hidden ones (the 404 page);
- each published digest issue, once per language it has a page in (title
  and that language's intro), and each of its items from other chapters on
  its own, pointing at the item's anchor on the issue page. The chapter's
  own items are its posts, found as posts.

A record holds text and the page's own HTML (the writer's, or an excerpt the
digest has already sanitised); nothing is formatted for readers here.
"""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from itertools import chain

from .settings import SearchSettings

POST, STATEMENT, PAGE, ISSUE, ITEM = "post", "statement", "page", "issue", "item"
KINDS = (POST, STATEMENT, PAGE, ISSUE, ITEM)


@dataclass(frozen=True)
class IssueRef:
    """The issue a digest record belongs to, for its title in each language."""

    month: str  # "YYYY-MM"
    number: int
    name: str  # DIGEST_NAME, for the title in other languages


@dataclass(frozen=True)
class SearchRecord:
    url: str  # site path, no leading "/": "posts/x/", "es/digest/2026-10/#item-y"
    lang: str  # the index it belongs to: one of I18N_LANGUAGES
    kind: str  # one of KINDS
    title: str  # plain text
    html: str  # the body: the page's own HTML, or a digest item's sanitised excerpt
    date: datetime.date | None = None
    group: str = ""  # the working group's name in `lang`; "" if none
    source: str = ""  # a digest item's source: the chapter it came from
    issue: IssueRef | None = None  # the digest issue of an issue or item record


def collect(generators, conf: SearchSettings) -> list[SearchRecord]:
    """Every record of the build, in a stable order (the order Pelican lists things)."""
    from pelican.generators import ArticlesGenerator, PagesGenerator

    # The digest plugin's generator, when the site uses the digest (isinstance(x, ()) is False).
    DigestGenerator = getattr(sys.modules.get("digest.render"), "DigestGenerator", ())  # noqa: N806

    records: list[SearchRecord] = []
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            records += (_article(article, conf) for article in chain(generator.articles, generator.translations))
        elif isinstance(generator, PagesGenerator):
            records += (_page(page, conf) for page in chain(generator.pages, generator.translations))
        elif isinstance(generator, DigestGenerator):
            for issue in generator.published:
                records += _issue(issue, generator.conf.name, conf)
    return records


def _lang(item, conf: SearchSettings) -> str:
    lang = str(getattr(item, "lang", "") or "").split("-")[0].lower()
    return lang if lang in conf.languages.all else conf.languages.default


def _date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    return value if isinstance(value, datetime.date) else None


def _article(article, conf: SearchSettings) -> SearchRecord:
    statement = bool(getattr(article, "is_statement", False))
    body = getattr(article, "signed_by" if statement else "group", None)
    # A statement signed by the whole chapter has no working group.
    group = body.name if body is not None and getattr(body, "kind", "") != "chapter" else ""
    return SearchRecord(
        url=article.url,
        lang=_lang(article, conf),
        kind=STATEMENT if statement else POST,
        title=article.title,
        html=article.content,
        date=_date(getattr(article, "date", None)),
        group=group,
    )


def _page(page, conf: SearchSettings) -> SearchRecord:
    return SearchRecord(url=page.url, lang=_lang(page, conf), kind=PAGE, title=page.title, html=page.content)


def _issue(issue, name: str, conf: SearchSettings) -> list[SearchRecord]:
    languages = conf.languages
    ref = IssueRef(issue.month, issue.number, name)
    day = _date(issue.date)
    records = []
    for lang in issue.languages:
        intro = issue.intro_html if lang == languages.default else issue.intros.get(lang, "")
        records.append(SearchRecord(url=languages.path(lang, issue.url), lang=lang, kind=ISSUE,
                                    title=issue.title, html=intro, date=day, issue=ref))
    for item in issue.items:
        if item.site_path:  # the chapter's own post: a result as a post already
            continue
        lang = _lang(item, conf)
        page = languages.path(lang, issue.url) if lang in issue.languages else issue.url
        html = item.excerpt_html + (item.note_html or "")
        records.append(SearchRecord(url=f"{page}#{item.anchor}", lang=lang, kind=ITEM, title=item.title,
                                    html=html, date=_date(item.date), source=item.source_title, issue=ref))
    return records
