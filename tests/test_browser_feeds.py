"""Feeds opened in real headless Chromium (Debian's /usr/bin/chromium, driven
by Playwright), served on 127.0.0.1 with the site's Content-Security-Policy
as a header: no XSLT (Chromium covers XSLT pages with a removal warning),
and still a readable page that says what a feed is and how to subscribe."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"
# The site-wide feeds and the digest's, in both formats.
FEEDS = ["all.atom.xml", "all.rss.xml", "digest.atom.xml", "digest.rss.xml"]


class _CSPHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site with the site's policy as a response header, where
    plugins/chapter/safety.py says it belongs in production: a <meta> cannot
    reach a feed, the header covers the feed and the stylesheets it loads."""

    policy = ""

    def end_headers(self):
        self.send_header("Content-Security-Policy", self.policy)
        super().end_headers()

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def csp_server(built_site):
    from pelican.settings import read_settings

    from chapter.safety import csp

    handler = type("Handler", (_CSPHandler,), {"policy": csp(read_settings(str(ROOT / "pelicanconf.py")))})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(built_site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Recorder:
    """Every request a page makes, every failed one, and every console error."""

    def __init__(self, page, base: str):
        self.own = urlsplit(base).netloc
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.failure} {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _console(self, message) -> None:
        # Chromium itself asks every origin for /favicon.ico when a document
        # is not HTML (an XHTML <link rel="icon"> in a feed is ignored: tried),
        # and the site publishes none: that 404 is the browser's, not the feed's.
        if message.type == "error" and urlsplit(message.location.get("url", "")).path != "/favicon.ico":
            self.console_errors.append(message.text)

    def foreign(self) -> list[str]:
        return [u for u in self.requests if urlsplit(u).netloc != self.own]


def feed_facts(path: Path) -> tuple[str, list[str]]:
    """A built feed's own title and its entry titles in order, read with ElementTree."""
    root = ElementTree.parse(path).getroot()
    if root.tag == f"{ATOM}feed":
        return root.findtext(f"{ATOM}title"), [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    channel = root.find("channel")
    return channel.findtext("title"), [i.findtext("title") for i in channel.iter("item")]


def hex_rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


# Selectors match by local name, in any namespace: the same ones serve Atom and RSS.
TITLE = ":root > title, channel > title"
ENTRY_TITLES = "entry > title, item > title"
BODIES = "entry > content, entry > summary, item > description"
PSEUDO_CONTENT = "([selector, pseudo]) => getComputedStyle(document.querySelector(selector), pseudo).content"
BOXES = "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return [r.top, r.height]; })"


@pytest.mark.parametrize("feed", FEEDS)
def test_feed_opens_as_a_readable_page_without_xslt(browser, built_site, csp_server, feed):
    """The feed is shown as it is, styled by feed.css: its title, what a feed
    is, a working link to the Subscribe page and every entry title in order,
    no entry body, under the site's policy, with nothing from another host."""
    title, entries = feed_facts(built_site / "feeds" / feed)
    assert title and entries, f"{feed} has nothing to show"
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    try:
        page = ctx.new_page()
        rec = Recorder(page, csp_server)
        page.goto(f"{csp_server}/feeds/{feed}", wait_until="load")

        instructions = page.evaluate(
            "() => [...document.childNodes].filter(n => n.nodeType === Node.PROCESSING_INSTRUCTION_NODE)"
            ".map(n => [n.target, n.data])"
        )
        assert [target for target, _ in instructions] == ["xml-stylesheet"], instructions
        assert 'type="text/css"' in instructions[0][1] and "xsl" not in instructions[0][1].lower(), instructions
        # Still the feed, not a page made from it.
        assert page.evaluate("() => document.documentElement.localName") in ("feed", "rss")
        assert page.evaluate("() => document.title") == f"{title} (web feed)"

        heading = page.locator(TITLE)
        assert heading.count() == 1 and heading.is_visible(), f"{feed}: the title is not shown"
        assert heading.text_content().strip() == title
        assert "This is a web feed" in page.evaluate(PSEUDO_CONTENT, [TITLE, "::before"])
        notice = page.locator(".feed-notice")
        assert notice.is_visible(), f"{feed}: no explanation"
        explanation = page.evaluate(PSEUDO_CONTENT, [".feed-notice", "::before"])
        assert "feed reader" in explanation and "copy this page’s address" in explanation, explanation

        assert page.locator(ENTRY_TITLES).all_text_contents() == entries
        boxes = page.locator(f"{TITLE}, {ENTRY_TITLES}").evaluate_all(BOXES)
        tops = [top for top, height in boxes]
        assert all(height > 0 for _, height in boxes), f"{feed}: a title is hidden"
        assert tops == sorted(tops) and len(set(tops)) == len(tops), f"{feed}: not shown in the feed's order"
        assert page.locator(BODIES).count() > 0
        assert not any(body.is_visible() for body in page.locator(BODIES).all()), f"{feed}: entry bodies show as markup"

        # feed.css applied, and brand.css through its @import: the policy allowed both.
        assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == "rgb(251, 249, 244)"
        accent = re.search(r"--accent:\s*(#[0-9a-fA-F]{6})", (built_site / "theme/css/brand.css").read_text()).group(1)
        assert page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--accent')") == accent
        link = page.locator(".feed-notice a")
        assert link.evaluate("a => getComputedStyle(a).color") == hex_rgb(accent)

        assert not rec.failed, rec.failed
        assert not rec.console_errors, rec.console_errors
        assert not rec.foreign(), rec.foreign()

        # The link is a real one: following it opens the Subscribe page.
        with page.expect_navigation() as navigation:
            link.click()
        assert navigation.value.status == 200
        assert page.url == f"{csp_server}/subscribe/"
    finally:
        ctx.close()


def test_feed_page_follows_dark_mode_and_fits_a_phone(browser, csp_server):
    ctx = browser.new_context(
        viewport={"width": 390, "height": 800}, is_mobile=True, has_touch=True, color_scheme="dark"
    )
    try:
        page = ctx.new_page()
        page.goto(f"{csp_server}/feeds/digest.rss.xml", wait_until="load")
        assert page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor") == "rgb(22, 21, 19)"
        # The notice's viewport <meta>: without it a phone lays the page out 980 px wide.
        assert page.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]") == [390, 390]
    finally:
        ctx.close()
