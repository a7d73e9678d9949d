"""Scheduled publishing: an article dated in the future stays out of the site.

At `article_generator_finalized` every article whose Date is later than
"now" in the site's TIMEZONE is taken out of every list Pelican (and the
later stages: groups, feeds) builds from: articles, translations, hidden
articles, dates, categories, tags, authors and period archives. So it has no
page, no feed entry and no listing until a build runs after its date. The
build says so, once per post:

    scheduled: content/posts/x.md will publish on 2026-12-01 09:00 PST

Drafts (`Status: draft`) are Pelican's own: never listed nor in feeds.
"""

from __future__ import annotations

import datetime
import logging
from itertools import chain
from zoneinfo import ZoneInfo

from pelican import signals

from .validate import display_path

logger = logging.getLogger(__name__)

_LISTS = ("articles", "translations", "hidden_articles", "hidden_translations", "dates")


def _is_future(article, now: datetime.datetime, tz) -> bool:
    date = getattr(article, "date", None)
    if date is None:
        return False
    if date.tzinfo is None:
        date = date.replace(tzinfo=tz)
    return date > now


def _filter_in_place(items: list, drop: set[int]) -> None:
    # In place: the generator's context holds these very list objects.
    items[:] = [a for a in items if id(a) not in drop]


def _filter_pairs(pairs: list, drop: set[int]) -> None:
    """[(Category|Tag|Author, [articles])]: drop articles, then empty entries."""
    for _, articles in pairs:
        _filter_in_place(articles, drop)
    pairs[:] = [(key, articles) for key, articles in pairs if articles]


def hold_back_scheduled(generator) -> list:
    """Remove future-dated articles from the generator; return them."""
    tz = ZoneInfo(generator.settings.get("TIMEZONE") or "UTC")
    now = datetime.datetime.now(tz)
    scheduled = [
        a
        for a in chain(*(getattr(generator, name, []) for name in _LISTS[:4]))
        if _is_future(a, now, tz)
    ]
    if not scheduled:
        return []
    drop = {id(a) for a in scheduled}

    for name in _LISTS:
        _filter_in_place(getattr(generator, name, []), drop)
    for article in chain(generator.articles, generator.hidden_articles):
        if getattr(article, "translations", None):
            _filter_in_place(article.translations, drop)
    for name in ("categories", "authors"):
        _filter_pairs(getattr(generator, name, []), drop)
    # self.tags stays a dict; the context holds a list of its items.
    for tag in list(generator.tags):
        _filter_in_place(generator.tags[tag], drop)
        if not generator.tags[tag]:
            del generator.tags[tag]
    if isinstance(generator.context.get("tags"), list):
        generator.context["tags"][:] = list(generator.tags.items())
    if getattr(generator, "related_posts", None):
        _filter_in_place(generator.related_posts, drop)
    for archives in getattr(generator, "period_archives", {}).values():
        for archive in archives:
            _filter_in_place(archive["dates"], drop)
            _filter_in_place(archive["articles"], drop)
        archives[:] = [a for a in archives if a["dates"]]

    for article in sorted(scheduled, key=lambda a: a.date):
        when = article.date if article.date.tzinfo else article.date.replace(tzinfo=tz)
        logger.warning(
            "scheduled: %s will publish on %s",
            display_path(article.source_path),
            when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"),
        )
    return scheduled


def register():
    signals.article_generator_finalized.connect(hold_back_scheduled)
