"""Feeds a person can read: every feed file gets an XSL stylesheet.

A browser opening `feeds/all.atom.xml` shows raw XML unless the file names
a stylesheet; feed readers ignore the instruction. We insert

    <?xml-stylesheet type="text/xsl" href="{SITEURL}/theme/feed.xsl"?>

right after the XML declaration of each feed file: when Pelican writes it
(`feed_written`, so feeds written by any plugin through Pelican's writer are
covered at once) and again at `finalized` over every `*.xml` under
CHAPTER_FEEDS_DIR (for feeds written some other way). Inserting is
idempotent, and only RSS/Atom documents are touched.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pelican import signals

logger = logging.getLogger(__name__)

DEFAULT_XSL = "theme/feed.xsl"
DEFAULT_FEEDS_DIR = "feeds"
_HEAD = 2048  # the declaration and the root element are in the first bytes
_DECLARATION_RE = re.compile(rb"^(\xef\xbb\xbf)?<\?xml\s[^>]*\?>\s*")
_ROOT_RE = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")


def stylesheet_href(settings) -> str:
    xsl = settings.get("CHAPTER_FEED_XSL", DEFAULT_XSL)
    if not xsl:
        return ""
    if re.match(r"^[a-z][a-z0-9+.-]*:|^/", xsl):
        return xsl  # already absolute
    return f"{(settings.get('SITEURL') or '').rstrip('/')}/{xsl.lstrip('/')}"


def add_stylesheet(path, href: str) -> bool:
    """Insert the xml-stylesheet instruction into one feed file; True if changed."""
    if not href:
        return False
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    if b"<?xml-stylesheet" in head or not _ROOT_RE.search(head):
        return False
    data = path.read_bytes()
    instruction = f"<?xml-stylesheet type=\"text/xsl\" href={quoteattr(href)}?>\n".encode()
    match = _DECLARATION_RE.match(data)
    if match:
        data = data[: match.end()].rstrip() + b"\n" + instruction + data[match.end() :]
    else:
        data = instruction + data
    # Write beside, then rename: a reader never sees half a feed.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def _on_feed_written(path, context=None, feed=None) -> None:
    add_stylesheet(path, stylesheet_href(context or {}))


def _on_finalized(pelican) -> None:
    settings = pelican.settings
    href = stylesheet_href(settings)
    folder = Path(settings["OUTPUT_PATH"]) / settings.get("CHAPTER_FEEDS_DIR", DEFAULT_FEEDS_DIR)
    if not href or not folder.is_dir():
        return
    for path in folder.rglob("*.xml"):
        add_stylesheet(path, href)


def register():
    signals.feed_written.connect(_on_feed_written)
    signals.finalized.connect(_on_finalized)
