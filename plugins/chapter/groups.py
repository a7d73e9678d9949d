"""Working groups and committees as first-class sections of the site.

Writes `groups/index.html` (template `groups.html`), and for each body
declared in people.toml `groups/<slug>/index.html` (template `group.html`,
paginated as `groups/<slug>/page/N/`) listing its posts (`Group: <slug>`)
and statements (`Signed: <slug>`), newest first, plus its feeds
`feeds/groups/<slug>.atom.xml` and `.rss.xml` with full content.

Only published articles appear: the list is read from the articles
generator at output time, after the schedule stage has removed drafts and
posts dated in the future.
"""

from __future__ import annotations

from pelican import signals
from pelican.generators import ArticlesGenerator, Generator

from .context import get_people

DEFAULTS = {
    "CHAPTER_GROUPS_SAVE_AS": "groups/index.html",
    "CHAPTER_GROUP_URL": "groups/{slug}/",
    "CHAPTER_GROUP_SAVE_AS": "groups/{slug}/index.html",
    "CHAPTER_GROUP_FEED_ATOM": "feeds/groups/{slug}.atom.xml",
    "CHAPTER_GROUP_FEED_RSS": "feeds/groups/{slug}.rss.xml",
}


def group_articles(articles, slug: str) -> list:
    """The published posts and statements of one body, newest first."""
    chosen = []
    for article in articles:
        if getattr(article, "status", "published") != "published":
            continue
        group = getattr(article, "group", None)
        signer = getattr(article, "signed_by", None)
        if (group is not None and group.slug == slug) or (signer is not None and signer.slug == slug):
            chosen.append(article)
    return sorted(chosen, key=lambda a: a.date, reverse=True)


class GroupsGenerator(Generator):
    """The groups index, one page per body, and one pair of feeds per body."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, value in DEFAULTS.items():
            self.settings.setdefault(key, value)
        # Writer.write_file paginates only templates listed here.
        self.settings["PAGINATED_TEMPLATES"].setdefault("group", None)
        self.articles_generator: ArticlesGenerator | None = None

    def generate_context(self):
        people = get_people(self.settings)
        self.groups = list(people.groups.values())
        self.context["groups"] = self.groups
        # Templates (article pages, Subscribe) build group feed links from these.
        for key in DEFAULTS:
            self.context.setdefault(key, self.settings[key])

    def _published(self) -> list:
        if self.articles_generator is not None:
            return list(self.articles_generator.articles)
        return list(self.context.get("articles", []))

    def generate_output(self, writer):
        articles = self._published()
        by_group = {group.slug: group_articles(articles, group.slug) for group in self.groups}
        writer.write_file(
            self.settings["CHAPTER_GROUPS_SAVE_AS"],
            self.get_template("groups"),
            self.context,
            groups=self.groups,
            group_articles=by_group,
            relative_urls=self.settings["RELATIVE_URLS"],
        )
        template = self.get_template("group")
        for group in self.groups:
            items = by_group[group.slug]
            url = self.settings["CHAPTER_GROUP_URL"].format(slug=group.slug)
            writer.write_file(
                self.settings["CHAPTER_GROUP_SAVE_AS"].format(slug=group.slug),
                template,
                self.context,
                url=url,
                group=group,
                articles=items,
                dates=items,
                template_name="group",
                page_name=url.rstrip("/"),
                feed_atom=self.settings["CHAPTER_GROUP_FEED_ATOM"].format(slug=group.slug),
                feed_rss=self.settings["CHAPTER_GROUP_FEED_RSS"].format(slug=group.slug),
                relative_urls=self.settings["RELATIVE_URLS"],
            )
            for feed_type in ("atom", "rss"):
                setting = self.settings[f"CHAPTER_GROUP_FEED_{feed_type.upper()}"]
                if not setting:
                    continue
                path = setting.format(slug=group.slug)
                writer.write_feed(items, self.context, path, path, feed_type=feed_type, feed_title=group.name)


def get_generators(pelican):
    return GroupsGenerator


def link_articles_generator(generators) -> None:
    """Give the groups generator the articles generator, to read at output time."""
    articles = next((g for g in generators if isinstance(g, ArticlesGenerator)), None)
    for generator in generators:
        if isinstance(generator, GroupsGenerator):
            generator.articles_generator = articles


def register():
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(link_articles_generator)
