"""Links between languages: the language switcher, hreflang alternates, and
navigation that stays in the reader's language.

- `page_versions()` (a template global): for the page being rendered, one
  `(lang, url, exact)` per language of the site, in I18N_LANGUAGES order.
  An article, a page or a digest issue (`page_versions_of` passed by its
  writer) links to its own versions; a listing links to the same listing in
  the other tree (every tree has the home page, the archives, the topic and
  author indexes, the categories, the groups and the digest index) and
  otherwise, say a topic with no Spanish posts, to that language's home.
  `exact` is False for such a fallback, and only exact ones become
  `<link rel="alternate" hreflang>`: a search engine must not take the
  Spanish home for a translation of an English topic page.
- `|localized` (a filter): a site path of any tree as the page's language
  has it ("about/" -> "es/about/" on a Spanish page, "es/groups/x/" ->
  "groups/x/" on an English one), or the default language's when that
  language has no such page.
"""

from __future__ import annotations

import re

from jinja2 import pass_context

from .catalogues import page_lang
from .settings import Languages

_PAGINATED = re.compile(r"(?:^|/)page/\d+/(?:index\.html)?$")
# Listings every tree has, as default-language output paths.
_EVERY_TREE = ("index.html", "archives/index.html", "tags/index.html", "authors/index.html",
               "groups/index.html", "digest/index.html", "search/index.html")
_EVERY_TREE_PREFIXES = ("groups/",)


def _listing_counterpart(path: str, languages: Languages, lang: str, categories: set[str]) -> str | None:
    """The default-language output path of a listing, if every tree has that listing."""
    prefix = languages.prefix(lang)
    base = path[len(prefix):] if prefix and path.startswith(prefix) else path
    base = _PAGINATED.sub("", base) or "index.html"
    if base.endswith("/"):
        base += "index.html"
    if base in _EVERY_TREE or base.startswith(_EVERY_TREE_PREFIXES):
        return base
    if base.endswith("/index.html") and base[: -len("/index.html")] in categories:
        return base
    return None


def _url_of(save_as: str) -> str:
    return save_as[: -len("index.html")] if save_as.endswith("index.html") else save_as


def versions_for(context, languages: Languages) -> list[tuple[str, str, bool]]:
    present = tuple(context.get("I18N_PRESENT") or languages.all)
    if len(present) < 2:
        return []
    here = page_lang(context, languages)
    item = context.get("page_versions_of")
    if item is None:
        for key in ("article", "page"):
            candidate = context.get(key)
            # Only when this page *is* that item (a listing may hold a stray `page`).
            if candidate is not None and getattr(candidate, "save_as", None) == context.get("output_file"):
                item = candidate
                break
    if item is not None:
        found = {here: (getattr(item, "url", ""), True)}
        for version in getattr(item, "versions", None) or ():
            if version.lang in languages.all and getattr(version, "status", "published") == getattr(item, "status", "published"):
                found.setdefault(version.lang, (version.url, True))
        return [(lang, *found.get(lang, (languages.prefix(lang), False))) for lang in present]

    # Every tree has every category of the default language (trees.py).
    trees = context.get("I18N_TREES") or {}
    listed = next(iter(trees.values())).categories if trees else context.get("categories") or ()
    categories = {str(getattr(category, "slug", "")) for category, _ in listed}
    output_file = str(context.get("output_file") or "")
    base = _listing_counterpart(output_file, languages, here, categories)
    paginated = bool(_PAGINATED.search(output_file))
    result = []
    for lang in present:
        if base is not None and not paginated:
            result.append((lang, _url_of(languages.path(lang, base)), True))
        elif lang == here:
            result.append((lang, _url_of(output_file), True))
        elif base is not None:  # page 2 of a listing: the other tree's listing, not an exact version
            result.append((lang, _url_of(languages.path(lang, base)), False))
        else:
            result.append((lang, languages.prefix(lang), False))  # that language's home
    return result


def install(env, languages: Languages, site_context: dict) -> None:
    @pass_context
    def page_versions(context):
        return versions_for(context, languages) if languages.several else []

    def localized(path: str, lang: str | None = None) -> str:
        """`path|localized(page_lang)`; the language is an argument, not read
        from the render context: listings call this once per entry."""
        if not path:
            return path
        path = languages.base_path(path)  # a path of any tree: its page in this one
        if lang not in languages.others:
            return path
        local = languages.path(lang, path)
        pages = site_context.get("I18N_PAGE_URLS") or ()
        if path in pages and local not in pages:
            return path  # a page not written in this language yet
        return local

    env.globals["page_versions"] = page_versions
    env.filters["localized"] = localized
