"""The chapter's own posts and statements of a month, for "From our chapter".

Read straight from the Markdown sources' metadata headers (the same
`Key: value` block Pelican's Markdown reader takes), so composing does not
need a full site build. Drafts, hidden and future-dated files are skipped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import markdown
from pelican.utils import get_date, slugify

from .clean import plain_title, to_text
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


def own_posts(settings, conf: DigestSettings, start: datetime, end: datetime, now: datetime) -> list[OwnPost]:
    """Published posts and statements with start <= date < end and date <= now."""
    content = conf.content_dir
    tz = conf.timezone
    article_url = conf.article_url
    substitutions = settings.get("SLUG_REGEX_SUBSTITUTIONS")
    default_status = (settings.get("DEFAULT_METADATA") or {}).get("status", "published")
    posts: list[OwnPost] = []
    for folder in conf.own_paths:
        for path in sorted((content / folder).rglob("*.md")):
            try:
                meta, body = _metadata(path)
            except (OSError, UnicodeDecodeError) as error:
                logger.warning("digest: skipping %s (%s)", path, error)
                continue
            if meta.get("status", default_status).lower() != "published" or not meta.get("title"):
                continue
            try:
                when = get_date(meta.get("date", ""))
            except (ValueError, TypeError):
                logger.warning("digest: skipping %s: its Date %r is not a date", path, meta.get("date"))
                continue
            if when.tzinfo is None:
                when = when.replace(tzinfo=tz)
            if not (start <= when < end) or when > now:
                continue
            category = meta.get("category") or folder.rstrip("/").split("/")[-1].capitalize()
            category_slug = slugify(category, regex_subs=substitutions) if substitutions else slugify(category)
            title = plain_title(meta["title"])
            slug = meta.get("slug") or (slugify(title, regex_subs=substitutions) if substitutions else slugify(title))
            link = "/" + article_url.format(category=category_slug, slug=slug, date=when, lang=conf.default_lang)
            author = meta.get("signed") if category_slug == "statements" else None
            author = _author_name(settings, meta.get("author") or meta.get("authors") or author)
            summary = markdown.markdown(meta.get("summary") or body[:4000])
            posts.append(OwnPost(key=f"site#{category_slug}/{slug}", title=title, link=link, author=author,
                                 published=when, summary_html=summary, category=category))
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
