"""The digest's settings, read once from the Pelican settings into one typed object.

    conf = DigestSettings.from_pelican(settings)   # raises SettingsError naming the setting

Fetch, compose, the build and the email edition all take this object, so
they agree on every value, and the one rule for "the site's public address"
(`public_url`) lives here. Every setting has its default in `DEFAULTS`;
docs/settings.md documents each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import SettingsError

DEFAULTS = {
    "DIGEST_NAME": "The Digest",
    "DIGEST_ISSUES_PATH": "content/digests",  # relative to the project root
    "DIGEST_SOURCES": "content/digest/sources.opml",
    "DIGEST_ARCHIVE": "cache/digest.sqlite",
    "DIGEST_EXCERPT_MODE": "summary",  # or "full"
    "DIGEST_EXCERPT_WORDS": 60,
    "DIGEST_FLOOD_MAX_ITEMS": 25,
    "DIGEST_FLOOD_SAME_TIMESTAMP": 5,
    "DIGEST_DEDUPE_TITLE_DAYS": 3,
    "DIGEST_IMAGES": True,  # download images at compose time (False: no images)
    "DIGEST_IMAGE_MAX_BYTES": 2_000_000,
    "DIGEST_IMAGE_TIMEOUT": 10.0,
    "DIGEST_SHOW_DRAFTS": False,
    "DIGEST_FEED_ATOM": "feeds/digest.atom.xml",
    "DIGEST_FEED_RSS": "feeds/digest.rss.xml",
    "DIGEST_OWN_SECTION": "From our chapter",
    "DIGEST_OWN_PATHS": ["posts", "statements"],  # under PATH
    "DIGEST_AGGREGATOR_CATEGORIES": ["publication", "aggregator"],
    "DIGEST_ISSUE_HOUR": 9,  # an issue is dated the 1st of the next month at this hour
    "DIGEST_DEAD_AFTER_DAYS": 30,
}

EXCERPT_MODES = ("summary", "full")


def _is_absolute_http(url) -> bool:
    if not isinstance(url, str) or not url:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def public_url(settings) -> str | None:
    """The one rule for the site's public address (email links, anything read away from the
    site): DIGEST_EMAIL_SITEURL, else an absolute SITEURL, else None. No trailing slash."""
    for candidate in (settings.get("DIGEST_EMAIL_SITEURL"), settings.get("SITEURL")):
        if _is_absolute_http(candidate):
            return candidate.rstrip("/")
    return None


class _Reader:
    """Reads one setting at a time, turning a bad value into a SettingsError."""

    def __init__(self, settings):
        self.settings = settings if settings is not None else {}

    def raw(self, name: str):
        value = self.settings.get(name)
        return DEFAULTS[name] if value is None else value

    def text(self, name: str, *, empty_ok: bool = False) -> str:
        value = self.raw(name)
        if not isinstance(value, str) or (not empty_ok and not value.strip()):
            raise SettingsError(f"{name} must be a non-empty text in quotes, not {value!r}")
        return value

    def number(self, name: str, kind, *, minimum, maximum=None):
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or kind is int and not float(value).is_integer():
            raise SettingsError(f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}")
        value = kind(value)
        if value < minimum or maximum is not None and value > maximum:
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise SettingsError(f"{name} must be at least {minimum}{upper}, not {value!r}")
        return value

    def flag(self, name: str) -> bool:
        value = self.raw(name)
        if not isinstance(value, bool):
            raise SettingsError(f"{name} must be True or False, not {value!r}")
        return value

    def names(self, name: str) -> tuple[str, ...]:
        value = self.raw(name)
        if isinstance(value, str) or not all(isinstance(v, str) and v.strip() for v in value or ()):
            raise SettingsError(f'{name} must be a list of names, e.g. ["posts", "statements"], not {value!r}')
        return tuple(value)

    def path(self, name: str, root: Path) -> Path:
        value = Path(self.text(name))
        return value if value.is_absolute() else root / value


@dataclass(frozen=True)
class DigestSettings:
    """Every value the digest's stages read, checked once."""

    content_dir: Path  # PATH
    issues_dir: Path  # DIGEST_ISSUES_PATH
    sources_path: Path  # DIGEST_SOURCES
    archive_path: Path  # DIGEST_ARCHIVE
    timezone: ZoneInfo  # TIMEZONE
    name: str  # DIGEST_NAME
    sitename: str  # SITENAME
    siteurl: str  # SITEURL of this build ("" in a preview), no trailing slash
    public_url: str | None  # the site's public address, for anything read away from the site (email)
    excerpt_mode: str
    excerpt_words: int
    flood_max_items: int
    flood_same_timestamp: int
    dedupe_title_days: float
    images: bool
    image_max_bytes: int
    image_timeout: float
    show_drafts: bool
    feed_atom: str
    feed_rss: str
    own_section: str
    own_paths: tuple[str, ...]
    aggregator_categories: tuple[str, ...]
    issue_hour: int
    dead_after_days: float
    article_url: str  # ARTICLE_URL, for the site-relative links of the chapter's own items
    default_lang: str

    @classmethod
    def from_pelican(cls, settings) -> DigestSettings:
        """Read and check every setting; raise SettingsError naming the first bad one."""
        read = _Reader(settings)
        s = read.settings
        root = Path(s["ROOT"]) if s.get("ROOT") else Path(s["PATH"]).parent if s.get("PATH") else Path.cwd()
        zone = s.get("TIMEZONE") or "UTC"
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise SettingsError(
                f"TIMEZONE {zone!r} is not a time zone name; use a tz database name such as "
                '"America/Los_Angeles" or "Europe/Madrid"'
            ) from None
        mode = read.text("DIGEST_EXCERPT_MODE")
        if mode not in EXCERPT_MODES:
            raise SettingsError(f'DIGEST_EXCERPT_MODE must be "summary" or "full", not {mode!r}')
        siteurl = s.get("SITEURL") or ""
        if not isinstance(siteurl, str):
            raise SettingsError(f"SITEURL must be an address in quotes, not {siteurl!r}")
        email_url = s.get("DIGEST_EMAIL_SITEURL")
        if email_url and not _is_absolute_http(email_url):
            raise SettingsError(
                f"DIGEST_EMAIL_SITEURL must be the site's public address, such as "
                f'"https://your-chapter.example.org", not {email_url!r}'
            )
        public = public_url(s)
        content = Path(s.get("PATH") or root / "content")
        return cls(
            content_dir=content if content.is_absolute() else root / content,
            issues_dir=read.path("DIGEST_ISSUES_PATH", root),
            sources_path=read.path("DIGEST_SOURCES", root),
            archive_path=read.path("DIGEST_ARCHIVE", root),
            timezone=tz,
            name=read.text("DIGEST_NAME"),
            sitename=str(s.get("SITENAME") or "Our chapter"),
            siteurl=siteurl.rstrip("/"),
            public_url=public.rstrip("/") if public else None,
            excerpt_mode=mode,
            excerpt_words=read.number("DIGEST_EXCERPT_WORDS", int, minimum=5, maximum=2000),
            flood_max_items=read.number("DIGEST_FLOOD_MAX_ITEMS", int, minimum=1),
            flood_same_timestamp=read.number("DIGEST_FLOOD_SAME_TIMESTAMP", int, minimum=1),
            dedupe_title_days=read.number("DIGEST_DEDUPE_TITLE_DAYS", float, minimum=0, maximum=366),
            images=read.flag("DIGEST_IMAGES"),
            image_max_bytes=read.number("DIGEST_IMAGE_MAX_BYTES", int, minimum=1024),
            image_timeout=read.number("DIGEST_IMAGE_TIMEOUT", float, minimum=0.1, maximum=600),
            show_drafts=read.flag("DIGEST_SHOW_DRAFTS"),
            feed_atom=read.text("DIGEST_FEED_ATOM", empty_ok=True),
            feed_rss=read.text("DIGEST_FEED_RSS", empty_ok=True),
            own_section=read.text("DIGEST_OWN_SECTION"),
            own_paths=read.names("DIGEST_OWN_PATHS"),
            aggregator_categories=tuple(c.lower() for c in read.names("DIGEST_AGGREGATOR_CATEGORIES")),
            issue_hour=read.number("DIGEST_ISSUE_HOUR", int, minimum=0, maximum=23),
            dead_after_days=read.number("DIGEST_DEAD_AFTER_DAYS", float, minimum=1),
            article_url=str(s.get("ARTICLE_URL") or "{category}/{slug}/"),
            default_lang=str(s.get("DEFAULT_LANG") or "en"),
        )

    @property
    def full_excerpts(self) -> bool:
        return self.excerpt_mode == "full"

    def image_limits(self, settings):
        """The images stage's bounds (DIGEST_IMAGE_*), imported late like fetch_settings."""
        from dataclasses import replace

        from .images import ImageLimits

        try:
            limits = ImageLimits.from_settings(settings)
        except (TypeError, ValueError) as error:
            raise SettingsError(f"a DIGEST_IMAGE_* setting has a value that is not a number ({error})") from None
        # The two limits checked here win, so a bad value is named, not converted.
        return replace(limits, max_bytes=self.image_max_bytes, timeout=self.image_timeout)

    def fetch_settings(self, settings):
        """The fetch stage's limits (imported late: fetch pulls in httpx)."""
        from .fetch import FetchSettings

        read = _Reader(settings)
        for name in ("DIGEST_FETCH_CONCURRENCY", "DIGEST_FETCH_PER_HOST", "DIGEST_FETCH_MAX_BYTES"):
            if read.settings.get(name) is not None:  # unset: FetchSettings has the default
                read.number(name, int, minimum=1)
        for name in ("DIGEST_FETCH_CONNECT_TIMEOUT", "DIGEST_FETCH_READ_TIMEOUT", "DIGEST_FETCH_TOTAL_TIMEOUT"):
            if read.settings.get(name) is not None:
                read.number(name, float, minimum=0.1)
        return FetchSettings.from_settings(read.settings)
