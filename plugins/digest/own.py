"""The chapter's own posts and statements of a month, for "From our chapter".

Read straight from the Markdown sources' metadata headers (the same
`Key: value` block Pelican's Markdown reader takes), so composing does not
need a full site build. Drafts, hidden and future-dated files are skipped.

A piece written in several languages is one story: versions are linked as
the i18n plugin links them (a shared `Slug:` within a category, or
`Translation-of:` naming the original's slug or path), and the digest lists
the version in the site's DEFAULT_LANG, else the first one published. A post
in another language (`Lang: es`) links to where that language's tree has it,
`/es/posts/<slug>/`, under the id `site#es/posts/<slug>`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import markdown
from pelican.utils import get_date, slugify

from .clean import plain_title, to_text
from .errors import SettingsError
from .settings import DigestSettings

logger = logging.getLogger(__name__)

_META = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):\s*(.*)$")


@dataclass(frozen=True)
class OwnPost:
    key: str  # "site#posts/<slug>"
    title: str
    link: str  # the path on this site, "/posts/<slug>/": the build makes it absolute
    author: str | None
    published: datetime  # aware
    summary_html: str
    category: str
    lang: str = "en"  # its `Lang:` (DEFAULT_LANG without one)


@dataclass
class _Version:
    """One content file of a piece, as its header says."""

    relative: str  # the path under content/, "statements/x.es.md"
    meta: dict[str, str]
    body: str
    lang: str
    category: str
    category_slug: str
    slug: str
    when: datetime | None  # aware; None when not published


def _metadata(path: Path) -> tuple[dict[str, str], str]:
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    last = None
    while i < len(lines) and lines[i].strip():
        match = _META.match(lines[i])
        if match:
            last = match.group(1).lower()
            meta[last] = match.group(2).strip()
        elif last and lines[i].startswith((" ", "\t")):
            meta[last] += " " + lines[i].strip()
        else:
            break
        i += 1
    return meta, "\n".join(lines[i:])


def _languages(settings):
    from i18n.errors import LanguageError
    from i18n.settings import Languages

    try:
        return Languages.from_pelican(settings)
    except LanguageError as error:
        raise SettingsError(str(error)) from None


def _versions(settings, conf: DigestSettings, now: datetime) -> list[_Version]:
    """Every post and statement file, with `when` set for the published ones (dated, not in the future)."""
    content = conf.content_dir
    substitutions = settings.get("SLUG_REGEX_SUBSTITUTIONS")
    default_status = (settings.get("DEFAULT_METADATA") or {}).get("status", "published")

    def slug_of(text: str) -> str:
        return slugify(text, regex_subs=substitutions) if substitutions else slugify(text)

    versions: list[_Version] = []
    for folder in conf.own_paths:
        for path in sorted((content / folder).rglob("*.md")):
            try:
                meta, body = _metadata(path)
            except (OSError, UnicodeDecodeError) as error:
                logger.warning("digest: skipping %s (%s)", path, error)
                continue
            if not meta.get("title"):
                continue
            when = None
            if meta.get("status", default_status).lower() == "published":
                try:
                    when = get_date(meta.get("date", ""))
                except (ValueError, TypeError):
                    logger.warning("digest: skipping %s: its Date %r is not a date", path, meta.get("date"))
                    continue
                if when.tzinfo is None:
                    when = when.replace(tzinfo=conf.timezone)
                if when > now:
                    when = None  # scheduled: not published yet
            category = meta.get("category") or folder.rstrip("/").split("/")[-1].capitalize()
            versions.append(_Version(
                relative=path.relative_to(content).as_posix(), meta=meta, body=body,
                lang=meta.get("lang") or conf.default_lang, category=category, category_slug=slug_of(category),
                slug=meta.get("slug") or slug_of(plain_title(meta["title"])), when=when))
    return versions


def _stories(versions: list[_Version], default_lang: str, order: tuple[str, ...]) -> list[_Version]:
    """One published version per piece: the default language's, else the earliest published.

    Versions are grouped as the i18n plugin groups them (i18n.content.link_versions):
    by `Translation-of:` (the original's path under content/, or its slug in the
    same category), else by category and slug."""
    by_path = {version.relative: version for version in versions}
    originals = {(v.category_slug, v.slug): v for v in versions if v.lang == default_lang}
    groups: dict[tuple[str, str], list[_Version]] = {}
    for version in versions:
        target = version.meta.get("translation-of", "").strip().strip("/")
        original = (by_path.get(str(PurePosixPath(target))) or originals.get((version.category_slug, target))
                    if target else None)
        key = ((original.category_slug, original.slug) if original is not None
               else (version.category_slug, target or version.slug))
        groups.setdefault(key, []).append(version)
    rank = {lang: index for index, lang in enumerate(order)}
    stories = []
    for group in groups.values():
        published = [v for v in group if v.when is not None]
        if published:
            stories.append(min(published, key=lambda v: (v.lang != default_lang, v.when,
                                                         rank.get(v.lang, len(rank)), v.relative)))
    return stories


def own_posts(settings, conf: DigestSettings, start: datetime, end: datetime, now: datetime) -> list[OwnPost]:
    """Published posts and statements with start <= date < end and date <= now,
    one version of each piece (see the module's docstring)."""
    languages = _languages(settings)
    article_url = conf.article_url
    posts: list[OwnPost] = []
    for version in _stories(_versions(settings, conf, now), conf.default_lang, languages.all):
        when, meta, lang = version.when, version.meta, version.lang
        if not (start <= when < end):
            continue
        category_slug, slug = version.category_slug, version.slug
        site_path = article_url.format(category=category_slug, slug=slug, date=when, lang=lang)
        author = meta.get("signed") if category_slug == "statements" else None
        author = _author_name(settings, meta.get("author") or meta.get("authors") or author)
        summary = markdown.markdown(meta.get("summary") or version.body[:4000])
        posts.append(OwnPost(key=f"site#{languages.path(lang, f'{category_slug}/{slug}')}",
                             title=plain_title(meta["title"]), link="/" + languages.path(lang, site_path),
                             author=author, published=when, summary_html=summary, category=version.category,
                             lang=lang))
    posts.sort(key=lambda post: (post.published, post.key))
    return posts


def _author_name(settings, raw: str | None) -> str | None:
    """Slugs in people.toml ("rosa-delgado") become names ("Rosa Delgado")."""
    if not raw:
        return None
    try:
        from chapter.context import people_file
        from chapter.people import load_people

        people = load_people(people_file(settings))
    except Exception:  # the chapter plugin is optional here; names are shown as written
        return raw
    names = []
    for part in raw.split(","):
        part = part.strip()
        if part == "chapter":
            names.append(settings.get("SITENAME") or part)
            continue
        person = people.find_author(part)
        group = people.find_group(part)
        names.append(person.name if person else group.name if group else part)
    return ", ".join(n for n in names if n) or None


def text_of(post: OwnPost) -> str:
    return to_text(post.summary_html)
