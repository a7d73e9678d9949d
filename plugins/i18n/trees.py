"""Each other language's tree: its listings and feeds under `/<lang>/`.

When Pelican has written the default language's site, every other language
in I18N_LANGUAGES gets the same listings from the same templates and
Pelican's own writing code, over that language's articles only:
`es/` (home), `es/archives/`, `es/tags/…`, `es/authors/…`, `es/posts/`,
`es/statements/` (every category the default language has, even one with
nothing in the language yet, so the navigation never leads nowhere), and
the feeds `feeds/es/all.atom.xml`, `feeds/es/posts.atom.xml`, … Pages,
groups and the digest write their own language versions.

Articles are written by Pelican itself, at `es/{category}/{slug}/`
(ARTICLE_LANG_URL). With one language this module writes nothing.
"""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from pathlib import Path

from feedgenerator import Atom1Feed, Rss201rev2Feed

from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.urlwrappers import Category

from .catalogues import language_name
from .content import tree_settings
from .errors import LanguageError
from .settings import Languages

_SWAPPED = ("articles", "dates", "tags", "categories", "authors", "period_archives",
            "translations", "settings", "context")


@dataclass
class Tree:
    """One other language's published articles and their taxonomy."""

    lang: str
    settings: dict
    articles: list
    dates: list
    categories: list  # [(Category, [articles])], every category of the default language included
    tags: dict
    authors: list


def taxonomy(articles: list):
    """(categories, tags, authors) of a list of articles, as Pelican builds them."""
    categories, tags, authors = defaultdict(list), defaultdict(list), defaultdict(list)
    for article in articles:
        if getattr(article, "category", None) is not None:
            categories[article.category].append(article)
        for tag in getattr(article, "tags", None) or ():
            tags[tag].append(article)
        for author in getattr(article, "authors", None) or ():
            authors[author].append(article)
    return sorted(categories.items()), tags, sorted(authors.items())


@contextmanager
def _as_language(generator, **state):
    """Run Pelican's own listing code over one language's state, then put the site back."""
    saved = {name: getattr(generator, name) for name in _SWAPPED}
    try:
        for name, value in state.items():
            setattr(generator, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(generator, name, value)


def present_languages(languages: Languages, context) -> tuple[str, ...]:
    """The default language, and each other one something is published in:
    a post, a statement, a page or a digest issue. A language with nothing
    yet gets no tree and no place in the language switcher."""
    found = {getattr(item, "lang", None) for name in ("articles", "pages") for item in context.get(name) or ()}
    found |= {languages.language_of_path(url) for url in context.get("I18N_PAGE_URLS") or ()}
    found |= {lang for issue in context.get("digest_email_issues") or () for lang in getattr(issue, "languages", ())}
    return tuple(lang for lang in languages.all if lang == languages.default or lang in found)


def build_trees_of(generators) -> None:
    """all_generators_finalized: after every stage of every plugin has run
    (the schedule stage has held back future posts)."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            build_trees(generator)


def build_trees(generator) -> None:
    """Each present language's lists, for its tree and its Subscribe page."""
    languages = Languages.from_pelican(generator.settings)
    context = generator.context
    present = present_languages(languages, {**context, "articles": list(generator.translations)})
    context["I18N_PRESENT"] = present
    generator.i18n_trees = {}
    for lang in present[1:]:
        local = tree_settings(generator.settings, languages, lang)
        articles = sorted((a for a in generator.translations if a.lang == lang), key=attrgetter("date"), reverse=True)
        dates = sorted(articles, key=attrgetter("date"), reverse=bool(generator.settings.get("NEWEST_FIRST_ARCHIVES", True)))
        categories, tags, authors = taxonomy(articles)
        present = {category.slug for category, _ in categories}
        for default_category, _ in generator.categories:
            if default_category.slug not in present:
                categories.append((Category(default_category.name, local), []))
        generator.i18n_trees[lang] = Tree(lang, local, articles, dates, categories, tags, authors)
    generator.context["I18N_TREES"] = generator.i18n_trees


def write_language_trees(generator, writer) -> None:
    """article_writer_finalized: the listings and feeds of every other language."""
    for tree in getattr(generator, "i18n_trees", {}).values():
        write_tree(generator, writer, tree)


def write_tree(generator, writer, tree: Tree) -> None:
    lang, local = tree.lang, tree.settings
    listed = [(category, items) for category, items in tree.categories if items]
    # Templates place feed and listing links with |localized, so the context
    # keeps the default language's paths.
    context = dict(generator.context)
    context.update(page_lang=lang, articles=tree.articles, dates=tree.dates, categories=listed,
                   tags=list(tree.tags.items()), authors=tree.authors)
    state = dict(articles=tree.articles, dates=tree.dates, tags=tree.tags, categories=listed, authors=tree.authors,
                 period_archives={}, translations=[], settings=local, context=context)
    # A feed's title is the site's name in its language (I18N_SETTINGS), or
    # names the language: two "Millbrook Chapter" feeds side by side would be a puzzle.
    languages = Languages.from_pelican(generator.settings)
    name = generator.context.get("SITENAME", "")
    local_name = languages.setting(lang, "SITENAME", name)
    feed_context = dict(context, SITENAME=local_name if local_name != name else f"{name} ({language_name(lang, lang)})",
                        SITESUBTITLE=languages.setting(lang, "SITESUBTITLE", context.get("SITESUBTITLE", "")))
    write = partial(writer.write_file, relative_urls=local["RELATIVE_URLS"])
    if tree.articles:
        with _as_language(generator, **dict(state, context=feed_context)):
            generator.generate_feeds(writer)
    empty = [(key, None) for key in ("FEED_ALL_ATOM", "FEED_ALL_RSS") if not tree.articles]
    empty += [(key, category) for category, items in tree.categories if not items
              for key in ("CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS")]
    for key, category in empty:
        if local.get(key):
            path = str(local[key]).format(slug=category.slug) if category else str(local[key])
            write_empty_feed(generator, path, key.endswith("_RSS"), category.name if category else "", feed_context, lang)
    with _as_language(generator, **state):
        generator.generate_direct_templates(write)
        generator.generate_tags(write)
        generator.generate_categories(write)
        generator.generate_authors(write)
        _write_empty_categories(generator, write, tree)


def _write_empty_categories(generator, write, tree: Tree) -> None:
    """A category with nothing in this language yet still gets its page (it is in the navigation)."""
    template = generator.get_template("category")
    for category, items in tree.categories:
        if not items:
            write(category.save_as, template, generator.context, url=category.url, category=category,
                  articles=[], dates=[], template_name="category-empty", blog=True,
                  page_name=category.page_name, all_articles=generator.articles)


class _StableAtom(Atom1Feed):
    stable: datetime.datetime

    def latest_post_date(self):
        return self.stable


class _StableRss(Rss201rev2Feed):
    stable: datetime.datetime

    def latest_post_date(self):
        return self.stable


def write_empty_feed(generator, path: str, rss: bool, title: str, context, lang: str) -> None:
    """A feed with nothing in this language yet, so a reader can subscribe
    before the first entry. Its date is the site's newest post's, not the
    build's: an unchanged site must write an unchanged feed."""
    siteurl = (context.get("FEED_DOMAIN") or context.get("SITEURL") or "").rstrip("/")
    newest = max((a.date for a in generator.articles), default=None)
    feed = (_StableRss if rss else _StableAtom)(
        title=f"{context.get('SITENAME', '')} - {title}" if title else context.get("SITENAME", ""),
        link=f"{siteurl}/{lang}/",
        description=context.get("SITESUBTITLE", ""),
        feed_url=f"{siteurl}/{path}",
        language=lang,
    )
    feed.stable = newest or datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    target = Path(generator.output_path) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    feed.write(text, "utf-8")
    _replace_file(target, text.getvalue().encode("utf-8"))
    signals.feed_written.send(str(target), context=context, feed=feed)


_ATOM_ROOT = re.compile(rb"<feed\b[^>]*>")
_RSS_CHANNEL = re.compile(rb"<channel\b[^>]*>")


def declare_language(path, context=None, feed=None) -> None:
    """feed_written: a feed says its language (Atom's xml:lang, RSS's
    <language>), so a reader's app can tell feeds/es/ from feeds/ apart.
    Pelican's writer declares none; a feed that declares one is left alone."""
    try:
        languages = Languages.from_pelican(context or {})
    except LanguageError:
        return
    lang = languages.language_of_feed(path).encode("ascii")
    target = Path(path)
    data = target.read_bytes()
    atom, rss = _ATOM_ROOT.search(data), _RSS_CHANNEL.search(data)
    if atom and b"xml:lang=" not in atom.group(0):
        end = atom.end() - 1
        data = data[:end] + b' xml:lang="' + lang + b'"' + data[end:]
    elif rss and b"<language>" not in data[rss.end(): rss.end() + 4096]:
        data = data[: rss.end()] + b"<language>" + lang + b"</language>" + data[rss.end():]
    else:
        return
    _replace_file(target, data)


def _replace_file(target: Path, data: bytes) -> None:
    """Write beside, then rename: a feed reader never sees half a feed."""
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(target)


def register():
    signals.feed_written.connect(declare_language)
    signals.all_generators_finalized.connect(build_trees_of)
    signals.article_writer_finalized.connect(write_language_trees)
