"""The issue stages' settings: every DIGEST_… setting they read, with its default.

Read through the Pelican settings dict (the build's, or the cli's
`read_settings(conf)`), so the build and `invoke digest` always agree.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULTS = {
    "DIGEST_NAME": "The Digest",
    "DIGEST_ISSUES_PATH": "content/digests",  # relative to the project root
    "DIGEST_EXCERPT_MODE": "summary",  # or "full"
    "DIGEST_EXCERPT_WORDS": 60,
    "DIGEST_FLOOD_MAX_ITEMS": 25,
    "DIGEST_FLOOD_SAME_TIMESTAMP": 5,
    "DIGEST_DEDUPE_TITLE_DAYS": 3,
    "DIGEST_IMAGE_MAX_BYTES": 2_000_000,
    "DIGEST_IMAGE_TIMEOUT": 10.0,
    "DIGEST_IMAGES": True,  # download images at compose time (False: no images)
    "DIGEST_SHOW_DRAFTS": False,
    "DIGEST_FEED_ATOM": "feeds/digest.atom.xml",
    "DIGEST_FEED_RSS": "feeds/digest.rss.xml",
    "DIGEST_OWN_SECTION": "From our chapter",
    "DIGEST_OWN_PATHS": ["posts", "statements"],  # under PATH
    "DIGEST_SITE_URL": None,  # public address for own items' links; default SITEURL or DIGEST_EMAIL_SITEURL
    "DIGEST_AGGREGATOR_CATEGORIES": ["publication", "aggregator"],
    "DIGEST_ISSUE_HOUR": 9,  # an issue is dated the 1st of the next month at this hour
}


def get(settings, name: str):
    value = settings.get(name) if settings is not None else None
    return DEFAULTS[name] if value is None else value


def project_root(settings) -> Path:
    if settings.get("ROOT"):
        return Path(settings["ROOT"])
    if settings.get("PATH"):
        return Path(settings["PATH"]).parent
    return Path.cwd()


def issues_dir(settings) -> Path:
    raw = Path(get(settings, "DIGEST_ISSUES_PATH"))
    return raw if raw.is_absolute() else project_root(settings) / raw


def timezone(settings) -> ZoneInfo:
    return ZoneInfo(settings.get("TIMEZONE") or "UTC")


def site_public_url(settings) -> str | None:
    """The site's public address, for the links of the chapter's own items."""
    for candidate in (settings.get("DIGEST_SITE_URL"), settings.get("SITEURL"), settings.get("DIGEST_EMAIL_SITEURL")):
        if candidate and str(candidate).startswith(("http://", "https://")):
            return str(candidate).rstrip("/")
    return None
