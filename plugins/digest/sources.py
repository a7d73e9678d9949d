"""The editor's list of sources: an OPML 2.0 file (content/digest/sources.opml).

    <outline text="Harbor City Chapter" type="rss" category="chapter"
             xmlUrl="https://harbor-city.example.org/feed/"
             htmlUrl="https://harbor-city.example.org/"/>

``load_sources(path)`` reads it (errors name the file and line);
``read_import_file(path)`` reads an OPML file or a planet.ini to import;
``add_sources(path, sources)`` appends outlines for new feeds to the file,
byte-for-byte keeping everything already there (the editor's comments,
order and formatting).

OPML is read with expat (stdlib) rather than listparser: listparser drops
``htmlUrl`` and cannot say on which line a problem is, and both matter here.
"""

from __future__ import annotations

import configparser
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.parsers import expat

from .errors import SourcesFileError
from .files import write_atomically
from .models import Source
from .textfield import clean_link, one_line


class _Refused(Exception):
    pass


def _check_url(url: str, where: str, attribute: str) -> str:
    """The address as stored (digest.textfield.clean_link: no whitespace or
    controls, ASCII host), or an error naming the line."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourcesFileError(
            f"{where}: {attribute}={url!r} is not a web address; write the full address, "
            "starting with https:// (or http://)"
        )
    cleaned = clean_link(url)
    if cleaned is None:
        raise SourcesFileError(
            f"{where}: {attribute}={url!r} is not a usable web address (its host name is not valid, or it "
            "is too long); copy the address again from the chapter's site"
        )
    return cleaned


def _text(value: str | None, limit: int = 200) -> str | None:
    """An OPML or planet.ini text field as one line of plain, XML-safe text."""
    return one_line(value, limit=limit) or None


def _parse_opml(data: bytes, path: Path) -> list[Source]:
    parser = expat.ParserCreate()
    sources: list[Source] = []
    seen: dict[str, int] = {}
    stack: list[tuple[str, dict]] = []  # (tag, attributes) of open elements

    def refuse_entities(*args):
        raise _Refused("the file declares XML entities (<!ENTITY>); remove the DOCTYPE")

    def start(tag, attributes):
        line = parser.CurrentLineNumber
        where = f"{path}:{line}"
        if not stack and tag != "opml":
            raise SourcesFileError(f"{where}: expected an OPML file (<opml> root), found <{tag}>")
        parent_attributes = [a for t, a in stack if t == "outline"]
        stack.append((tag, attributes))
        if tag != "outline":
            return
        lower = {k.lower(): v for k, v in attributes.items()}
        feed_url = lower.get("xmlurl", "").strip()
        if not feed_url:
            return  # a folder outline: its text is the category of what it holds
        feed_url = _check_url(feed_url, where, "xmlUrl")
        title = _text(lower.get("text")) or _text(lower.get("title")) or ""
        if not title:
            raise SourcesFileError(f'{where}: the outline for {feed_url} has no name; add text="Chapter name"')
        if feed_url in seen:
            raise SourcesFileError(
                f"{where}: {feed_url} is already listed on line {seen[feed_url]}; remove one of the two outlines"
            )
        seen[feed_url] = line
        html_url = lower.get("htmlurl", "").strip() or None
        if html_url:
            html_url = _check_url(html_url, where, "htmlUrl")
        category = _text(lower.get("category", "").split(",")[0].strip().strip("/"), 100)
        if category is None:
            folders = [_text(a.get("text") or a.get("title"), 100) for a in parent_attributes]
            category = next((f for f in reversed(folders) if f), None)
        sources.append(
            Source(
                feed_url=feed_url,
                title=title,
                html_url=html_url,
                category=category,
                location=_text(lower.get("location")),
                avatar=clean_link(lower.get("avatar")),
            )
        )

    def end(tag):
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    # No entity tricks in an editor's list or an imported one.
    parser.EntityDeclHandler = refuse_entities
    parser.ExternalEntityRefHandler = refuse_entities
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise SourcesFileError(
            f"{path}:{error.lineno}: not well-formed XML ({expat.errors.messages[error.code]}, "
            f"column {error.offset + 1}); fix the markup there (an unescaped & must be written &amp;)"
        ) from None
    except _Refused as error:
        raise SourcesFileError(f"{path}:{parser.CurrentLineNumber}: {error}") from None
    return sources


def load_sources(path: str | Path) -> list[Source]:
    """Every source in an OPML file, in file order."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourcesFileError(
            f"{path}: file not found; create it (see docs/editors.md, section “The sources file”) "
            "or point DIGEST_SOURCES / --sources at your sources file"
        ) from None
    except IsADirectoryError:
        raise SourcesFileError(f"{path}: is a folder; point DIGEST_SOURCES / --sources at the OPML file") from None
    except OSError as error:
        raise SourcesFileError(f"{path}: cannot be read ({error.strerror}); check its permissions") from None
    return _parse_opml(data, path)


def _section_lines(text: str) -> dict[str, int]:
    lines = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*\[([^\]]+)\]", line)
        if match:
            lines.setdefault(match.group(1), number)
    return lines


def _parse_planet_ini(text: str, path: Path) -> list[Source]:
    """The national aggregator's planet.ini: a section per feed with
    ``title``, ``feed``, ``link``, ``location``, ``avatar``. Sections without
    ``feed`` (the planet's own settings) are skipped."""
    config = configparser.ConfigParser(interpolation=None, strict=True)
    try:
        config.read_string(text, source=str(path))
    except configparser.DuplicateSectionError as error:
        raise SourcesFileError(f"{path}:{error.lineno}: section [{error.section}] appears twice; merge them") from None
    except configparser.DuplicateOptionError as error:
        raise SourcesFileError(
            f"{path}:{error.lineno}: {error.option!r} is set twice in [{error.section}]; keep one"
        ) from None
    except configparser.MissingSectionHeaderError as error:
        raise SourcesFileError(
            f"{path}:{error.lineno}: a setting before any [section]; planet.ini starts each feed with [name]"
        ) from None
    except configparser.ParsingError as error:
        line = error.errors[0][0] if error.errors else "?"
        raise SourcesFileError(f"{path}:{line}: not a valid ini line; use `key = value`") from None
    lines = _section_lines(text)
    sources: list[Source] = []
    seen: set[str] = set()
    for name in config.sections():
        section = config[name]
        where = f"{path}:{lines.get(name, '?')}"
        feed = section.get("feed", "").strip()
        if not feed:
            if section.get("title", "").strip() and section.get("link", "").strip():  # a chapter, missing its feed
                raise SourcesFileError(f"{where}: [{name}] has a link but no `feed = <feed address>`; add it")
            continue
        feed = _check_url(feed, where, "feed")
        if feed in seen:
            continue
        seen.add(feed)
        link = section.get("link", "").strip() or None
        sources.append(
            Source(
                feed_url=feed,
                title=_text(section.get("title")) or _text(section.get("name")) or _text(name) or feed,
                html_url=_check_url(link, where, "link") if link else None,
                category=_text(section.get("category"), 100),
                location=_text(section.get("location")),
                avatar=clean_link(section.get("avatar")),
            )
        )
    return sources


def read_import_file(path: str | Path) -> list[Source]:
    """Sources from an OPML file or a planet.ini (told apart by content)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourcesFileError(f"{path}: file not found; give the path of an OPML file or a planet.ini") from None
    except OSError as error:
        raise SourcesFileError(f"{path}: cannot be read ({error.strerror})") from None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _parse_opml(data, path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise SourcesFileError(f"{path}:{line}: not UTF-8 text; save the file as UTF-8") from None
    return _parse_planet_ini(text, path)


def _outline(source: Source) -> ET.Element:
    attributes = {"text": source.title, "title": source.title, "type": "rss", "xmlUrl": source.feed_url}
    if source.html_url:
        attributes["htmlUrl"] = source.html_url
    if source.category:
        attributes["category"] = source.category
    if source.location:
        attributes["location"] = source.location
    if source.avatar:
        attributes["avatar"] = source.avatar
    return ET.Element("outline", attributes)


def new_opml(sources: list[Source], title: str = "Digest sources") -> bytes:
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(timezone.utc), usegmt=True)
    body = ET.SubElement(root, "body")
    for source in sources:
        body.append(_outline(source))
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def add_sources(path: str | Path, sources: list[Source]) -> tuple[list[Source], list[Source]]:
    """Append the sources whose feed URL is not yet in the file.

    Returns (added, already_there). The existing file is kept byte for byte;
    new outlines are inserted just before ``</body>``.
    """
    path = Path(path)
    existing = load_sources(path) if path.exists() else []
    known = {s.feed_url for s in existing}
    added, skipped = [], []
    for source in sources:
        if source.feed_url in known:
            skipped.append(source)
        else:
            known.add(source.feed_url)
            added.append(source)
    if not added:
        return added, skipped
    if not path.exists():
        write_atomically(path, new_opml(added))
        return added, skipped
    data = path.read_bytes()
    at = data.rfind(b"</body>")
    if at == -1:
        raise SourcesFileError(f"{path}: has no <body> element to add outlines to; add <body></body> inside <opml>")
    line_start = data.rfind(b"\n", 0, at) + 1
    closing_indent = data[line_start:at]
    if closing_indent.strip():  # </body> shares its line with other markup
        closing_indent, line_start = b"", at
    indent = closing_indent + b"  "
    lines = b"".join(indent + ET.tostring(_outline(s), encoding="utf-8").replace(b" />", b"/>") + b"\n" for s in added)
    if line_start == at:
        lines = b"\n" + lines
    write_atomically(path, data[:line_start] + lines + data[line_start:])
    return added, skipped
