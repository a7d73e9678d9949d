"""Who wrote or issued each article, for the templates and the feeds.

Every article gets:

- `article.person`: the people.toml Person who signed a post (None for
  statements, or when the author is not declared),
- `article.group`: the Group a post relates to (`Group: <slug>`), or None,
- `article.signed_by`: for statements, the Group that issues it (a pseudo
  group named after the chapter for `Signed: chapter`), None for posts,
- `article.is_statement`: True for articles in the Statements category.

Statements are signed by a body, not a person: their `author` (what feeds
print as the entry's author) becomes the body's name, and they are kept out
of Pelican's per-author pages and feeds.

The template context also gets `people` (the People object) and
`CHAPTER_DISCLAIMER`. Unknown names never crash the build: `invoke check`
(the validate stage) reports them to the writer.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser

from pelican import signals
from pelican.urlwrappers import Author

from .errors import PeopleFileError
from .people import Group, People, people_file, read_people

logger = logging.getLogger(__name__)

DEFAULT_DISCLAIMER = (
    "Signed posts are the views of their authors and do not necessarily "
    "reflect the positions of the chapter."
)
STATEMENTS_CATEGORY_SLUG = "statements"
CHAPTER_SIGNATURE = "chapter"

def get_people(settings) -> People:
    """The declared authors and groups; empty (with an error logged) if the file is broken."""
    try:
        return read_people(people_file(settings))
    except PeopleFileError as error:
        # The validator fails the build with this message; don't crash first.
        logger.error("%s", error)
        return People()


def chapter_group(settings) -> Group:
    """The pseudo body for `Signed: chapter`: the chapter as a whole."""
    return Group(
        slug=CHAPTER_SIGNATURE,
        name=settings.get("SITENAME", "The chapter"),
        kind="chapter",
        description=settings.get("SITESUBTITLE", ""),
        url="",
    )


def _meta(article, key: str) -> str:
    value = article.metadata.get(key, "")
    return str(value).strip() if value else ""


def annotate(article, people: People, settings) -> None:
    """Set person/group/signed_by/is_statement on one article (idempotent)."""
    category = getattr(article, "category", None)
    article.is_statement = bool(category and category.slug == STATEMENTS_CATEGORY_SLUG)
    group_name = _meta(article, "group")
    article.group = people.find_group(group_name) if group_name else None

    if not article.is_statement:
        article.signed_by = None
        author = getattr(article, "author", None)
        article.person = people.find_author(str(author)) if author else None
        return

    article.person = None
    signed = _meta(article, "signed")
    if signed.lower() == CHAPTER_SIGNATURE:
        article.signed_by = chapter_group(settings)
    elif signed:
        article.signed_by = people.find_group(signed)
    else:
        article.signed_by = None
    if article.signed_by is None:
        # Validation reports the unknown or missing body; the build still
        # needs a signature, and the chapter is the safe default.
        article.signed_by = chapter_group(settings)
    # Feeds print `author`; bodies are not people, so no author pages.
    article.author = Author(article.signed_by.name, settings)
    article.authors = []


def annotate_generator(generator) -> None:
    people = get_people(generator.settings)
    groups = (
        "articles",
        "translations",
        "drafts",
        "drafts_translations",
        "hidden_articles",
        "hidden_translations",
    )
    for name in groups:
        for article in getattr(generator, name, []) or []:
            annotate(article, people, generator.settings)


def _neighbour_map(generator) -> dict[int, tuple]:
    """id(article) -> (older, newer) within its category; built once per list."""
    key = (id(generator.articles), len(generator.articles))
    cached = getattr(generator, "_chapter_neighbours", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    by_category: dict = {}
    for article in generator.articles:
        by_category.setdefault(getattr(article, "category", None), []).append(article)
    neighbours = {}
    for siblings in by_category.values():
        siblings.sort(key=lambda a: a.date)
        for index, article in enumerate(siblings):
            older = siblings[index - 1] if index > 0 else None
            newer = siblings[index + 1] if index + 1 < len(siblings) else None
            neighbours[id(article)] = (older, newer)
    generator._chapter_neighbours = (key, neighbours)
    return neighbours


def set_neighbours(generator, content) -> None:
    """`prev_article` (older) and `next_article` (newer) in the same category.

    Computed as articles are written, from the published list as it is then,
    so articles the schedule stage held back are never linked.
    """
    content.prev_article, content.next_article = _neighbour_map(generator).get(id(content), (None, None))


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self.found is None:
            values = dict(attrs)
            src = (values.get("src") or "").strip()
            if src and not src.startswith("data:"):
                self.found = {"src": src, "alt": values.get("alt") or ""}


def lead_image(article) -> dict | None:
    """The first picture in an article's body ({"src", "alt"}), for the home
    page's lead story; None if it has none. A filter, so only the one lead
    story pays for reading its body."""
    parser = _FirstImage()
    parser.feed(str(getattr(article, "content", "") or ""))
    parser.close()
    return parser.found


def add_context(generator) -> None:
    """Put `people` and the disclaimer in the context every template sees."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.filters["lead_image"] = lead_image
    generator.context["people"] = get_people(generator.settings)
    generator.context.setdefault(
        "CHAPTER_DISCLAIMER", generator.settings.get("CHAPTER_DISCLAIMER", DEFAULT_DISCLAIMER)
    )


def register():
    signals.generator_init.connect(add_context)
    # Before Pelican builds its author lists, so statements stay off them.
    signals.article_generator_pretaxonomy.connect(annotate_generator)
    signals.article_generator_write_article.connect(set_neighbours)
