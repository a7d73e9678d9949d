"""Which version is which: translations linked, each language's content apart.

A file is in the language of its `Lang:` line (DEFAULT_LANG without one).
Versions of one piece are linked when they share a `Slug:` (Pelican's own
convention) or when one names the other with `Translation-of:` (the
original's slug, or its path under content/). Pelican's own translation
handling is switched off (ARTICLE/PAGE_TRANSLATION_ID = None, set at
`initialized`): it puts an untranslated Spanish post among the English
originals and English listings. Here instead, right after reading:

- `generator.articles` (and hidden, drafts) keep the default language only,
  so every English listing, feed and taxonomy is English;
- `generator.translations` (and hidden, drafts) hold every other language,
  which the language trees (trees.py) list under `/<lang>/`;
- every item gets `.versions`: its other-language versions, in the order of
  I18N_LANGUAGES (Pelican's `.translations` stays empty, so Pelican's
  all-feed never mixes languages);
- an item in another language gets that language's category, tags, authors
  (URLs under `/<lang>/`) and, once the chapter plugin has named it, its
  working group in that language (people.toml).

`invoke check` reports a `Translation-of:` that names nothing, a language
outside I18N_LANGUAGES and two files with one language and slug; the build
never stops on them here.
"""

from __future__ import annotations

import os
from itertools import chain

from pelican import signals
from pelican.urlwrappers import Author, Category, Tag

from .settings import Languages

# Output paths of listings that move under /<lang>/ in a language tree.
# Content URLs are not here: Pelican's *_LANG_URL settings place those.
TREE_PATH_KEYS = (
    "CATEGORY_URL", "CATEGORY_SAVE_AS", "TAG_URL", "TAG_SAVE_AS", "AUTHOR_URL", "AUTHOR_SAVE_AS",
    "YEAR_ARCHIVE_URL", "YEAR_ARCHIVE_SAVE_AS", "MONTH_ARCHIVE_URL", "MONTH_ARCHIVE_SAVE_AS",
    "DAY_ARCHIVE_URL", "DAY_ARCHIVE_SAVE_AS",
    "FEED_ATOM", "FEED_RSS", "FEED_ALL_ATOM", "FEED_ALL_RSS",
    "CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS", "AUTHOR_FEED_ATOM", "AUTHOR_FEED_RSS",
    "TAG_FEED_ATOM", "TAG_FEED_RSS",
    "CHAPTER_GROUPS_SAVE_AS", "CHAPTER_GROUP_URL", "CHAPTER_GROUP_SAVE_AS",
    "CHAPTER_GROUP_FEED_ATOM", "CHAPTER_GROUP_FEED_RSS",
    "DIGEST_FEED_ATOM", "DIGEST_FEED_RSS",
)


def tree_settings(settings, languages: Languages, lang: str) -> dict:
    """The settings with every listing and feed path moved into `lang`'s tree."""
    if lang == languages.default:
        return settings
    local = dict(settings)
    for key in TREE_PATH_KEYS:
        value = settings.get(key)
        if isinstance(value, str) and value and "://" not in value:
            local[key] = languages.path(lang, value)
    for template in settings.get("DIRECT_TEMPLATES", ()):
        name = template.upper()
        save_as = settings.get(f"{name}_SAVE_AS", f"{template}.html")
        if save_as:  # "" switches a listing off in every language
            local[f"{name}_SAVE_AS"] = languages.path(lang, save_as)
            local[f"{name}_URL"] = languages.path(lang, settings.get(f"{name}_URL", f"{template}.html"))
    local["TRANSLATION_FEED_ATOM"] = local["TRANSLATION_FEED_RSS"] = None
    local["DEFAULT_LANG"] = lang
    return local


def _meta(item, key: str) -> str:
    value = item.metadata.get(key)
    return str(value).strip() if value else ""


def _namespace(item) -> str:
    category = getattr(item, "category", None)
    return category.slug if category is not None else "page"


def link_versions(items: list, languages: Languages, content_root: str) -> None:
    """Set `.versions` on every item: the others of its translation group."""
    by_path = {os.path.relpath(item.source_path, content_root): item for item in items}
    originals = {(_namespace(item), item.slug): item for item in items if item.lang == languages.default}
    groups: dict[tuple, list] = {}
    for item in items:
        target = _meta(item, "translation-of").strip("/")
        original = by_path.get(target) or originals.get((_namespace(item), target)) if target else None
        key = (_namespace(original), original.slug) if original is not None else (_namespace(item), target or item.slug)
        groups.setdefault(key, []).append(item)
    order = {lang: index for index, lang in enumerate(languages.all)}
    for group in groups.values():
        group.sort(key=lambda item: order.get(item.lang, len(order)))
        for item in group:
            # One version per language: a duplicate is `invoke check`'s to report.
            seen = {item.lang}
            item.versions = []
            for other in group:
                if other.lang not in seen:
                    seen.add(other.lang)
                    item.versions.append(other)


def split_languages(items: list, languages: Languages) -> tuple[list, list]:
    """(default-language items, the rest), each in the order given."""
    default = [item for item in items if item.lang == languages.default]
    return default, [item for item in items if item.lang != languages.default]


def localise_taxonomy(item, languages: Languages, settings_by_lang: dict) -> None:
    """Give an other-language item its language's category, tags and authors (their pages are in its tree)."""
    lang = item.lang
    if lang == languages.default or lang not in settings_by_lang:
        return
    local = settings_by_lang[lang]
    if getattr(item, "category", None) is not None:
        item.category = Category(item.category.name, local)
    if getattr(item, "tags", None):
        item.tags = [Tag(tag.name, local) for tag in item.tags]
    if getattr(item, "authors", None):
        item.authors = [Author(author.name, local) for author in item.authors]
        item.author = item.authors[0]


def _link_and_separate(generator, originals: str, translations: str, languages: Languages) -> None:
    """Link the versions in one of the generator's list pairs, then keep the default language apart."""
    items = list(chain(getattr(generator, originals, []) or [], getattr(generator, translations, []) or []))
    link_versions(items, languages, generator.path)
    default, others = split_languages(items, languages)
    # In place: the context may already hold these very list objects.
    getattr(generator, originals)[:] = default
    getattr(generator, translations)[:] = others


def separate_articles(generator) -> None:
    """article_generator_pretaxonomy: link versions, keep each language apart."""
    languages = Languages.from_pelican(generator.settings)
    settings_by_lang = {lang: tree_settings(generator.settings, languages, lang) for lang in languages.others}
    for originals, translations in (("articles", "translations"), ("hidden_articles", "hidden_translations"),
                                    ("drafts", "drafts_translations")):
        _link_and_separate(generator, originals, translations, languages)
        for item in getattr(generator, translations):
            localise_taxonomy(item, languages, settings_by_lang)
    # The other languages' published articles, for other plugins (the digest
    # links the chapter's own items in any language); the very lists, which
    # the schedule stage filters in place.
    generator.context["translations"] = generator.translations
    generator.context["hidden_translations"] = generator.hidden_translations


def localise_groups(generator) -> None:
    """article_generator_finalized: after the chapter plugin named each item's
    working group (at pretaxonomy), give other-language items that language's."""
    languages = Languages.from_pelican(generator.settings)
    for name in ("translations", "hidden_translations", "drafts_translations"):
        for item in getattr(generator, name, []) or []:
            if item.lang in languages.others:
                for attribute in ("group", "signed_by"):
                    body = getattr(item, attribute, None)
                    if body is not None and hasattr(body, "in_language"):
                        setattr(item, attribute, body.in_language(item.lang, languages.prefix(item.lang)))


def separate_pages(generator) -> None:
    """page_generator_finalized: the same for pages; records which pages each language has."""
    languages = Languages.from_pelican(generator.settings)
    for originals, translations in (("pages", "translations"), ("hidden_pages", "hidden_translations"),
                                    ("draft_pages", "draft_translations")):
        _link_and_separate(generator, originals, translations, languages)
    generator.context["I18N_PAGE_URLS"] = {
        page.url for page in chain(generator.pages, generator.translations, generator.hidden_pages,
                                   generator.hidden_translations)
    }


def switch_off_pelican_translations(pelican) -> None:
    """initialized: this module links versions itself (see the docstring)."""
    pelican.settings["ARTICLE_TRANSLATION_ID"] = None
    pelican.settings["PAGE_TRANSLATION_ID"] = None


def register():
    signals.initialized.connect(switch_off_pelican_translations)
    signals.article_generator_pretaxonomy.connect(separate_articles)
    signals.article_generator_finalized.connect(localise_groups)
    signals.page_generator_finalized.connect(separate_pages)
