"""Helpers for the digest tests (no tests here): a tiny site in tmp_path, fixture
feeds written from item dicts, served from loopback and fetched for real."""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from contextlib import redirect_stdout
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from digest import cli as digest_cli
from digest.archive import Archive
from digest.fetch import FetchSettings, fetch_all
from digest.models import Source

REPO = Path(__file__).resolve().parent.parent


class Site:
    """A throwaway project: its own content/, conf file, archive and output."""

    def __init__(self, root: Path, **settings):
        self.root = root
        self.content = root / "content"
        for folder in ("posts", "statements", "pages", "digests", "digest"):
            (self.content / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "content" / "people.toml", self.content / "people.toml")
        (self.content / "images").mkdir(exist_ok=True)
        shutil.copy(REPO / "content" / "images" / "lantern.svg", self.content / "images" / "lantern.svg")
        self.conf = root / "siteconf.py"
        self.archive = root / "cache" / "digest.sqlite"
        self.output = root / "output"
        self.write_conf(**settings)

    def write_conf(self, **settings) -> None:
        self._settings = dict(settings)
        lines = [
            "import sys",
            f"sys.path.insert(0, {str(REPO)!r})",
            "from pelicanconf import *",
            f"ROOT = {str(self.root)!r}",
            f"PATH = {str(self.content)!r}",
            f"OUTPUT_PATH = {str(self.output)!r}",
            f"THEME = {str(REPO / 'theme')!r}",
            f"I18N_CATALOGUES = {str(REPO / 'theme' / 'translations')!r}",
            f"PLUGIN_PATHS = [{str(REPO / 'plugins')!r}]",
            f"CHAPTER_PEOPLE_FILE = {str(self.content / 'people.toml')!r}",
            f"DIGEST_ISSUES_PATH = {str(self.content / 'digests')!r}",
            f"DIGEST_ARCHIVE = {str(self.archive)!r}",
            f"DIGEST_SOURCES = {str(self.content / 'digest' / 'sources.opml')!r}",
            "CACHE_CONTENT = False",
            "LOAD_CONTENT_CACHE = False",
        ]
        lines += [f"{key} = {value!r}" for key, value in settings.items()]
        self.conf.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def issue_path(self, month: str) -> Path:
        return self.content / "digests" / f"{month}.md"

    def digest(self, month: str, *, force: bool = False) -> tuple[int, str]:
        from tests.feedserver import FeedServer

        if FeedServer.running and "DIGEST_IMAGE_ALLOW_HOSTS" not in self._settings:
            # The fixture "other sites" are loopback servers: let compose fetch their images.
            ports = sorted(f"127.0.0.1:{server.port}" for server in FeedServer.running)
            self.write_conf(**self._settings, DIGEST_IMAGE_ALLOW_HOSTS=ports)
            del self._settings["DIGEST_IMAGE_ALLOW_HOSTS"]
        out = io.StringIO()
        with redirect_stdout(out):
            code = digest_cli.digest(self.root, self.conf, month=month, archive=str(self.archive), force=force)
        return code, out.getvalue()

    def settings(self, **override):
        from pelican.settings import read_settings

        return read_settings(str(self.conf), override=override or None)

    def digest_settings(self, **override):
        from digest.settings import DigestSettings

        return DigestSettings.from_pelican(self.settings(**override))

    def build(self, **override) -> Path:
        from pelican import Pelican

        Pelican(self.settings(**override)).run()
        return self.output

    def post(self, name: str, title: str, date: str, body: str = "Some words.", folder: str = "posts", **meta) -> Path:
        head = [f"Title: {title}", f"Date: {date}"] + [f"{k.capitalize()}: {v}" for k, v in meta.items()]
        path = self.content / folder / f"{name}.md"
        path.write_text("\n".join(head) + "\n\n" + body + "\n", encoding="utf-8")
        return path


def rss(title: str, link: str, items: list[dict], *, encoding: str = "utf-8") -> bytes:
    """An RSS 2.0 feed. Item keys: title, link, guid, date (aware datetime or None),
    author, description (HTML), content (HTML). Values are escaped here."""
    out = [f'<?xml version="1.0" encoding="{encoding}"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
           f"<title>{escape(title)}</title><link>{escape(link)}</link><description>test</description>"]
    for item in items:
        out.append("<item>")
        out.append(f"<title>{escape(item['title'])}</title>")
        if item.get("link") is not None:
            out.append(f"<link>{escape(item['link'])}</link>")
        if item.get("guid"):
            out.append(f'<guid isPermaLink="false">{escape(item["guid"])}</guid>')
        if item.get("date"):
            out.append(f"<pubDate>{format_datetime(item['date'])}</pubDate>")
        if item.get("author"):
            out.append(f"<dc:creator>{escape(item['author'])}</dc:creator>")
        if item.get("description") is not None:
            out.append(f"<description>{escape(item['description'])}</description>")
        if item.get("content") is not None:
            out.append(f"<content:encoded>{escape(item['content'])}</content:encoded>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode(encoding, errors="xmlcharrefreplace")


def source(server, path: str, title: str, html_url: str, category: str = "chapter") -> Source:
    return Source(feed_url=server.url(path), title=title, html_url=html_url, category=category)


def fetch(archive_path: Path, sources: list[Source]):
    """The real fetcher, into a real archive file."""
    with Archive(archive_path) as archive:
        return fetch_all(sources, archive, FetchSettings(total_timeout=10, connect_timeout=5, read_timeout=5))


def png(width: int = 4, height: int = 3, colour=(200, 30, 30)) -> bytes:
    raw = zlib.compress(b"".join(b"\x00" + bytes(colour) * width for _ in range(height)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def same_picture(path: Path, data: bytes) -> bool:
    """Whether the stored copy shows the served picture: same size and pixels (compose re-encodes)."""
    from PIL import Image

    with Image.open(path) as stored, Image.open(io.BytesIO(data)) as served:
        return stored.size == served.size and stored.convert("RGB").tobytes() == served.convert("RGB").tobytes()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
