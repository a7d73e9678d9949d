"""Settings for a local (development) build of the Millbrook chapter site.

Every setting this project adds is documented in docs/settings.md.
`publishconf.py` imports this file and overrides what differs in production.
"""

import logging
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# --- The chapter ------------------------------------------------------------
AUTHOR = "Millbrook Chapter"
SITENAME = "Millbrook Chapter"
SITESUBTITLE = "Millbrook Chapter of the Riverlands Workers' League"
SITEURL = ""
# The chapter's local time: it decides which month a digest item belongs to.
TIMEZONE = "America/Los_Angeles"
DEFAULT_LANG = "en"
# The site's languages: DEFAULT_LANG at the root, each other one under /<lang>/
# with its own listings and feeds (feeds/<lang>/). Each needs a catalogue of
# the interface's words in I18N_CATALOGUES (`invoke translations`).
I18N_LANGUAGES = ["en", "es"]
I18N_CATALOGUES = "theme/translations"
# Settings a reader sees, in each other language (any setting not given here
# is shown as it is above).
I18N_SETTINGS = {
    "es": {
        "SITENAME": "Capítulo de Millbrook",
        "SITESUBTITLE": "Capítulo de Millbrook de la Liga de Trabajadores de Riverlands",
        "CHAPTER_DISCLAIMER": (
            "Los artículos firmados expresan la opinión de sus autores y no necesariamente "
            "las posiciones del Capítulo de Millbrook. Las posiciones oficiales se publican "
            "como comunicados."
        ),
        "DIGEST_TAGLINE": "Lo que escribieron este mes Millbrook y los capítulos vecinos",
    },
}
DEFAULT_DATE_FORMAT = "%B %-d, %Y"

PATH = "content"
THEME = "theme"
OUTPUT_PATH = "output"
PLUGIN_PATHS = ["plugins"]
# i18n first: the others import it (plugins/i18n/__init__.py says which
# signal each of its stages waits for, so the order of the rest does not matter).
PLUGINS = ["i18n", "chapter", "digest", "digest_print", "digest_email", "search"]

# --- Content model ----------------------------------------------------------
# posts/ and statements/ become the categories "Posts" and "Statements".
ARTICLE_PATHS = ["posts", "statements"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images", "digests/images"]
# digests/ holds digest issue files, read by the digest plugin, not as articles;
# digest/ holds the editor's sources.opml.
ARTICLE_EXCLUDES = ["digests", "digest"]
PAGE_EXCLUDES = ["digests", "digest"]
USE_FOLDER_AS_CATEGORY = True
DEFAULT_CATEGORY = "Posts"
DELETE_OUTPUT_DIRECTORY = False
DEFAULT_METADATA = {"status": "published"}

# Authors and working groups are declared once, with their bios, in this file.
CHAPTER_PEOPLE_FILE = "content/people.toml"
# Categories a content file may name (folder-derived or via `Category:`).
CHAPTER_CATEGORIES = ["Posts", "Statements"]
# Shown at the end of every signed post (not on statements).
CHAPTER_DISCLAIMER = (
    "Signed posts are the views of their authors and do not necessarily "
    "reflect the positions of the Millbrook Chapter. Official positions are "
    "published as statements."
)
CHAPTER_ADDRESS = "Millbrook Chapter · PO Box 0000 · Millbrook"

MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        # Heading ids, so a reader can link to a section of a long post.
        "markdown.extensions.toc": {"permalink": False},
        # No "smarty": it alone made builds ~25% slower than bare Pelican
        # (bench/bench_site.py). Quotes, dashes and ellipses become ’ “ ” – — …
        # once per title and text instead (plugins/chapter/typography.py).
    },
    "output_format": "html5",
}

# --- URLs: every listing paginates as .../page/N/ so no two URLs can collide --
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "{slug}/"
CATEGORY_SAVE_AS = "{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
AUTHOR_URL = "authors/{slug}/"
AUTHOR_SAVE_AS = "authors/{slug}/index.html"
ARCHIVES_SAVE_AS = "archives/index.html"
AUTHORS_SAVE_AS = "authors/index.html"
CATEGORIES_SAVE_AS = ""
TAGS_SAVE_AS = "tags/index.html"
DRAFT_URL = "drafts/{category}/{slug}/"
DRAFT_SAVE_AS = "drafts/{category}/{slug}/index.html"
# A post or page in another language (`Lang: es`) lives in that language's tree.
ARTICLE_LANG_URL = "{lang}/{category}/{slug}/"
ARTICLE_LANG_SAVE_AS = "{lang}/{category}/{slug}/index.html"
PAGE_LANG_URL = "{lang}/{slug}/"
PAGE_LANG_SAVE_AS = "{lang}/{slug}/index.html"
DRAFT_LANG_URL = "drafts/{lang}/{category}/{slug}/"
DRAFT_LANG_SAVE_AS = "drafts/{lang}/{category}/{slug}/index.html"
DRAFT_PAGE_LANG_URL = "drafts/{lang}/{slug}/"
DRAFT_PAGE_LANG_SAVE_AS = "drafts/{lang}/{slug}/index.html"
DEFAULT_PAGINATION = 10
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)

# --- Feeds: RSS 2.0 and Atom for everything, per category, author, group ------
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
AUTHOR_FEED_ATOM = "feeds/authors/{slug}.atom.xml"
AUTHOR_FEED_RSS = "feeds/authors/{slug}.rss.xml"
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = 50
RSS_FEED_SUMMARY_ONLY = False
# Relative feed links are expected in preview builds; publishconf.py sets
# SITEURL and FEED_DOMAIN, so the warning would only be noise here.
LOG_FILTER = [(logging.WARNING, "Feeds generated without SITEURL or FEED_DOMAIN set properly may not be valid")]

# --- Identity: one name, logo and colour on pages, digest, email and feeds ---
# The chapter is SITENAME; the publication is DIGEST_NAME (docs/settings.md).
CHAPTER_LOGO = "images/lantern.svg"
# Links, rules and labels; dark-mode and print variants are derived from it.
CHAPTER_ACCENT = "#a1251b"

# --- The monthly digest -----------------------------------------------------
DIGEST_NAME = "The Millbrook Lantern"
DIGEST_TAGLINE = "What Millbrook and the chapters around us wrote this month"
# The chapter's hosted sign-up form (a plain link; no embed, no script).
DIGEST_SIGNUP_URL = "https://forms.example.org/millbrook-lantern"
DIGEST_SOURCES = "content/digest/sources.opml"
DIGEST_ARCHIVE = "cache/digest.sqlite"
# Preview builds show draft issues (marked as drafts); publishconf turns this off.
DIGEST_SHOW_DRAFTS = True

# --- The email edition ------------------------------------------------------
# Links in email files must be absolute even in a development build.
DIGEST_EMAIL_SITEURL = "https://millbrook.example.org"
DIGEST_EMAIL_FROM = "The Millbrook Lantern <lantern@millbrook.example.org>"
