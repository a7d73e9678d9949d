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

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from operator import attrgetter

from pelican import signals
from pelican.generators import ArticlesGenerator
from pelican.urlwrappers import Category

from .catalogues import language_name
from .content import tree_settings
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


def build_trees_of(generators) -> None:
    """all_generators_finalized: after every stage of every plugin has run
    (the schedule stage has held back future posts)."""
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            build_trees(generator)


def build_trees(generator) -> None:
    """Each other language's lists, for its tree and its Subscribe page."""
    languages = Languages.from_pelican(generator.settings)
    generator.i18n_trees = {}
    for lang in languages.others:
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
    # A feed's title names its language: two "Millbrook Chapter" feeds side by side would be a puzzle.
    feed_context = dict(context, SITENAME=f"{generator.context.get('SITENAME', '')} ({language_name(lang, lang)})")
    write = partial(writer.write_file, relative_urls=local["RELATIVE_URLS"])
    with _as_language(generator, **dict(state, context=feed_context)):
        generator.generate_feeds(writer)
        _write_empty_category_feeds(generator, writer, tree, feed_context)
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


def _write_empty_category_feeds(generator, writer, tree: Tree, context) -> None:
    """…and its (empty) feeds, so a reader can subscribe before the first one."""
    for category, items in tree.categories:
        if items:
            continue
        for key, feed_type in (("CATEGORY_FEED_ATOM", "atom"), ("CATEGORY_FEED_RSS", "rss")):
            if tree.settings.get(key):
                path = str(tree.settings[key]).format(slug=category.slug)
                writer.write_feed([], context, path, path, feed_type=feed_type, feed_title=category.name)


def register():
    signals.all_generators_finalized.connect(build_trees_of)
    signals.article_writer_finalized.connect(write_language_trees)
