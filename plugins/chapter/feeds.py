"""Feeds a person can read: every feed file names a CSS stylesheet.

A browser opening `feeds/all.atom.xml` shows raw XML unless the file names
a stylesheet; feed readers ignore the instruction. An XSL stylesheet used
to turn feeds into pages, but browsers are removing XSLT (Chromium already
covers such pages with a warning), so the feed is now styled as it is, with
CSS (theme/static/css/feed.css): the feed's title and description, what a
feed is and how to subscribe, each entry's title, date and author; the rest
hidden. Into each feed file we insert

    <?xml-stylesheet type="text/css" href="{SITEURL}/theme/css/feed.css"?>

right after the XML declaration and, as the first child of the Atom
<feed> or the RSS <channel>, one element in the XHTML namespace:

    <xhtml:div xmlns:xhtml="http://www.w3.org/1999/xhtml" class="feed-notice">
      <xhtml:title>…</xhtml:title> <xhtml:meta name="viewport" …/>
      <xhtml:a href="{SITEURL}/subscribe/">…</xhtml:a>
    </xhtml:div>

CSS cannot make a link, and a person who opened a feed needs a way onward:
Chromium treats XHTML-namespace elements in any XML document as HTML, so
the link is clickable, the title names the tab and the viewport fits the
page to a phone's width (first, as in an HTML <head>, so that it applies
before a long feed has finished loading). To feed readers it is a
foreign-namespace extension element, which Atom (RFC 4287 §6.4) and RSS 2.0
allow and readers skip: every entry is parsed exactly as before (feedparser
merely lists the extension as feed-level `xhtml_*` keys). The prefix keeps
a naive reader that takes the first "<title>" in the text from finding
ours instead of the feed's.

Both go in when Pelican writes a feed (`feed_written`, so feeds written by
any plugin through Pelican's writer are covered at once) and again at
`finalized` over every `*.xml` under CHAPTER_FEEDS_DIR (for feeds written
some other way). Inserting is idempotent (a file that already names any
stylesheet is left alone) and atomic, and only RSS/Atom documents are
touched.
"""

from __future__ import annotations

import io
import logging
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from i18n.catalogues import gettext_for
from i18n.settings import Languages
from pelican import signals

logger = logging.getLogger(__name__)

DEFAULT_CSS = "theme/css/feed.css"
DEFAULT_FEEDS_DIR = "feeds"
# Where the theme's navigation links the Subscribe page too (base.html).
SUBSCRIBE_PATH = "subscribe/"
def _(message: str) -> str:
    """Marks a message for `invoke translations`; translated per feed in notice()."""
    return message


SUBSCRIBE_TEXT = _("Every feed this site publishes, and how to follow them")
FEED_TITLE = _("%(title)s (web feed)")
UNTITLED = _("Web feed")
XHTML = "http://www.w3.org/1999/xhtml"
_HEAD = 2048  # the declaration and the root element are in the first bytes
_DECLARATION_RE = re.compile(rb"^(\xef\xbb\xbf)?<\?xml\s[^>]*\?>\s*")
_ROOT_RE = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]")
# The start tag the notice goes under: Atom's <feed>, RSS 2.0's and RSS
# 1.0's <channel>. Quoted attribute values may hold ">"; "/>" (an empty
# element) is no place for a child.
_ATTRIBUTES = rb"""(?:\s(?:[^>"'/]|/(?!>)|"[^"]*"|'[^']*')*)?"""
_CHANNEL_RE = re.compile(rb"<channel" + _ATTRIBUTES + rb">")
_CONTAINER_RE = {b"feed": re.compile(rb"<feed" + _ATTRIBUTES + rb">"), b"rss": _CHANNEL_RE, b"rdf:RDF": _CHANNEL_RE}


def _under_site(settings, path: str) -> str:
    return f"{(settings.get('SITEURL') or '').rstrip('/')}/{path.lstrip('/')}"


def stylesheet_href(settings) -> str:
    css = settings.get("CHAPTER_FEED_CSS", DEFAULT_CSS)
    if not css:
        return ""
    if re.match(r"^[a-z][a-z0-9+.-]*:|^/", css):
        return css  # already absolute
    return _under_site(settings, css)


def feed_title(data: bytes) -> str:
    """The feed's own title (Atom feed/title, RSS channel/title), or ""."""
    parents: list[str] = []
    try:
        for event, element in ET.iterparse(io.BytesIO(data), events=("start", "end")):
            name = element.tag.rpartition("}")[2]
            if event == "start":
                parents.append(name)
                continue
            parents.pop()
            if name == "title" and parents in (["feed"], ["rss", "channel"], ["RDF", "channel"]):
                return " ".join("".join(element.itertext()).split())
            if name in ("entry", "item"):
                element.clear()  # a long feed's bodies are not kept while looking
    except ET.ParseError:
        pass
    return ""


def notice(settings, title: str, lang: str | None = None) -> str:
    """The XHTML element a browser shows and feed readers skip (see above),
    in the feed's language, linking that language's Subscribe page."""
    languages = Languages.from_pelican(settings)
    lang = lang or languages.default
    words = gettext_for(languages, lang).gettext
    shown = words(FEED_TITLE) % {"title": title} if title else words(UNTITLED)
    subscribe = _under_site(settings, languages.path(lang, SUBSCRIBE_PATH))
    return (
        f'<xhtml:div xmlns:xhtml="{XHTML}" class="feed-notice">'
        f"<xhtml:title>{escape(shown)}</xhtml:title>"
        '<xhtml:meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<xhtml:a href={quoteattr(subscribe)}>{escape(words(SUBSCRIBE_TEXT))}</xhtml:a>"
        "</xhtml:div>"
    )


def feed_language(path: Path, settings) -> str:
    """The language whose tree holds a feed file (feeds/es/… -> "es")."""
    return Languages.from_pelican(settings).language_of_feed(path)


def add_stylesheet(path, settings) -> bool:
    """Insert the xml-stylesheet instruction and the notice into one feed
    file; True if changed."""
    href = stylesheet_href(settings)
    if not href:
        return False
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
    root = _ROOT_RE.search(head)
    if b"<?xml-stylesheet" in head or not root:
        return False
    data = path.read_bytes()
    container = _CONTAINER_RE[root.group(1)].search(data, root.start())
    if container:
        # ASCII with character references: right in any ASCII-based encoding.
        element = notice(settings, feed_title(data), feed_language(path, settings)).encode("ascii", "xmlcharrefreplace")
        data = data[: container.end()] + element + data[container.end() :]
    instruction = f'<?xml-stylesheet type="text/css" href={quoteattr(href)}?>\n'.encode("ascii", "xmlcharrefreplace")
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
    add_stylesheet(path, context or {})


def _on_finalized(pelican) -> None:
    settings = pelican.settings
    folder = Path(settings["OUTPUT_PATH"]) / settings.get("CHAPTER_FEEDS_DIR", DEFAULT_FEEDS_DIR)
    if not stylesheet_href(settings) or not folder.is_dir():
        return
    for path in folder.rglob("*.xml"):
        add_stylesheet(path, settings)


def register():
    signals.feed_written.connect(_on_feed_written)
    signals.finalized.connect(_on_finalized)
