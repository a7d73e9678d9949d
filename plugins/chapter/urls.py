"""Each post's and page's address worked out once, not at every mention.

Pelican computes `url` and `save_as` anew each time a template, feed or link
asks: it copies the metadata and finds the file's path relative to the
content folder (about 18,000 times in a 1,000-post build: every listing,
neighbour link, feed entry and `{filename}` link). Once every generator has
finished reading (`all_generators_finalized`: slugs, languages, statuses and
the schedule's held-back posts are settled) nothing they depend on changes,
so each is stored in Pelican's own `override_url` / `override_save_as`, which
the properties return as they are (a `URL:` or `Save_as:` a writer set is
kept: Pelican stored it there already).
"""

from __future__ import annotations

from pelican import signals
from pelican.contents import Content

CONTENT_LISTS = (
    "articles", "translations", "drafts", "drafts_translations", "hidden_articles", "hidden_translations",
    "pages", "hidden_pages", "draft_pages", "draft_translations",
)


def settle_urls(generators) -> None:
    for generator in generators:
        for name in CONTENT_LISTS:
            for item in getattr(generator, name, None) or ():
                if not isinstance(item, Content):
                    continue
                for key in ("url", "save_as"):
                    if not hasattr(item, f"override_{key}"):
                        setattr(item, f"override_{key}", getattr(item, key))


def register():
    signals.all_generators_finalized.connect(settle_urls)
