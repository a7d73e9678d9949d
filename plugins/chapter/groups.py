"""Working groups and committees as first-class sections of the site.

Writes `groups/index.html` (template `groups.html`), and for each body
declared in people.toml `groups/<slug>/index.html` (template `group.html`,
paginated as `groups/<slug>/page/N/`) listing its posts (`Group: <slug>`)
and statements (`Signed: <slug>`), newest first, plus its feeds
`feeds/groups/<slug>.atom.xml` and `.rss.xml` with full content.

Every language in I18N_LANGUAGES gets these under its prefix (`es/groups/…`,
`feeds/es/groups/…`), with the group's name and description in that
language (people.toml). A group page lists its posts and statements in every
language, each marked with its own; a group feed carries one language.

Only published articles appear: the list is read from the articles
generator at output time, after the schedule stage has removed drafts and
posts dated in the future.
"""

from __future__ import annotations

from pelican import signals
from pelican.generators import ArticlesGenerator, Generator

from i18n.settings import Languages

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
        """Every published article, in every language (translations included)."""
        if self.articles_generator is not None:
            return list(self.articles_generator.articles) + list(self.articles_generator.translations)
        return list(self.context.get("articles", []))

    def generate_output(self, writer):
        articles = self._published()
        by_group = {group.slug: group_articles(articles, group.slug) for group in self.groups}
        languages = Languages.from_pelican(self.settings)
        # Languages something is published in (i18n.trees); all of them before that is known.
        for lang in self.context.get("I18N_PRESENT") or languages.all:
            self._write_language(writer, languages, lang, by_group)

    def _write_language(self, writer, languages: Languages, lang: str, by_group: dict) -> None:
        """One language's groups index, group pages (listing every language,
        each item marked) and group feeds (that language's items only)."""
        prefix = languages.prefix(lang)
        groups = [group.in_language(lang, prefix) for group in self.groups]
        common = {"page_lang": lang, "relative_urls": self.settings["RELATIVE_URLS"]}
        writer.write_file(
            languages.path(lang, self.settings["CHAPTER_GROUPS_SAVE_AS"]),
            self.get_template("groups"),
            self.context,
            groups=groups,
            group_articles=by_group,
            **common,
        )
        template = self.get_template("group")
        for group in groups:
            items = by_group[group.slug]
            url = languages.path(lang, self.settings["CHAPTER_GROUP_URL"].format(slug=group.slug))
            feeds = {
                feed_type: languages.path(lang, setting.format(slug=group.slug)) if setting else ""
                for feed_type, setting in (("atom", self.settings["CHAPTER_GROUP_FEED_ATOM"]),
                                           ("rss", self.settings["CHAPTER_GROUP_FEED_RSS"]))
            }
            writer.write_file(
                languages.path(lang, self.settings["CHAPTER_GROUP_SAVE_AS"].format(slug=group.slug)),
                template,
                self.context,
                url=url,
                group=group,
                articles=items,
                dates=items,
                template_name="group",
                page_name=url.rstrip("/"),
                feed_atom=feeds["atom"],
                feed_rss=feeds["rss"],
                **common,
            )
            in_language = [item for item in items if getattr(item, "lang", languages.default) == lang]
            for feed_type, path in feeds.items():
                if path:
                    writer.write_feed(in_language, self.context, path, path, feed_type=feed_type,
                                      feed_title=group.name)


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
