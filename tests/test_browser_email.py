"""email.html in real headless Chromium: no horizontal overflow at phone and
desktop widths, nothing loaded from any host but the loopback server, the
site's palette in both schemes, and every piece of text readable (4.5:1)
on what is behind it, light and dark."""

from __future__ import annotations

import functools
import http.server
import threading
from urllib.parse import urlsplit

import pytest

from digest.models import ItemImage
from digest_email.build import write_issue
from digest_email.settings import EmailSettings

from tests.test_email_fixtures import make_issue, tiny_png

pytestmark = pytest.mark.browser

LONG_URL = "https://northfield.example.net/" + "a-very-long-path-segment-without-breaks-" * 4


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A loopback server for a folder; the email is built against its URL."""
    www = tmp_path_factory.mktemp("www")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    issue = make_issue(12)
    images = www / "digests/images/2026-10"
    images.mkdir(parents=True)
    for i, item in enumerate(issue.items):
        if item.image:
            # Wider than any screen: the layout must scale it down.
            (www / item.image.src).write_bytes(tiny_png(1400, 300))
    item = issue.items[1]
    item.title = "Supercalifragilisticexpialidocious-" * 3 + "organizing"
    item.image = ItemImage(src="digests/images/2026-10/wide.png", alt="A very wide banner")
    (www / item.image.src).write_bytes(tiny_png(2000, 200, (40, 90, 160)))
    item.excerpt_html = (
        f'<p>The address, spelled out: <a href="{LONG_URL}">{LONG_URL}</a></p>'
        "<pre>rent 1,240 | heat 180 | water 65 | " + "=" * 120 + "</pre>"
        '<p><img src="/digests/images/2026-10/inline.png" alt="Inline chart"></p>'
        "<blockquote><p>" + "Solidarity" * 20 + "</p></blockquote>"
        "<ul><li>One</li><li>Two with a " + "longword" * 15 + "</li></ul>"
    )
    (www / "digests/images/2026-10/inline.png").write_bytes(tiny_png(900, 400, (10, 120, 60)))
    settings = EmailSettings.from_pelican(
        {
            "SITENAME": "Millbrook Chapter",
            "DIGEST_NAME": "The Millbrook Lantern",
            "DIGEST_EMAIL_SITEURL": base,
            "CHAPTER_ADDRESS": "Millbrook Chapter · PO Box 0000 · Millbrook",
            "DIGEST_TAGLINE": "What Millbrook and the chapters around us wrote this month",
            "DIGEST_SIGNUP_URL": "https://forms.example.org/millbrook-lantern",
        }
    )
    write_issue(issue, settings, www)
    try:
        yield base, www
    finally:
        server.shutdown()
        server.server_close()


def open_email(browser, base, width, color_scheme="light"):
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=color_scheme)
    requested: list[str] = []

    def guard(route):
        requested.append(route.request.url)
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    page.route("**/*", guard)
    page.goto(f"{base}/digest/2026-10/email.html", wait_until="load")
    return page, requested


OVERFLOW_JS = """
() => {
  const vw = window.innerWidth;
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.left < -0.5 || r.right > vw + 0.5) {
      bad.push(`${el.tagName}.${el.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
  }
  return {
    vw,
    scrollWidth: document.documentElement.scrollWidth,
    bad,
    container: document.querySelector('table.w').getBoundingClientRect().width,
    images: [...document.images].map(i => ({src: i.src, w: i.naturalWidth, alt: i.alt})),
  };
}
"""


@pytest.mark.parametrize("width", [375, 600])
def test_no_horizontal_overflow_and_only_loopback_requests(served, browser, width):
    base, _ = served
    page, requested = open_email(browser, base, width)
    try:
        result = page.evaluate(OVERFLOW_JS)
    finally:
        page.close()
    assert result["vw"] == width
    assert result["scrollWidth"] <= width, result["bad"][:10]
    assert result["bad"] == []
    assert result["container"] <= 600
    # Every image came from the loopback server and really loaded.
    assert len(result["images"]) >= 5
    for image in result["images"]:
        assert image["src"].startswith(base + "/"), image
        assert image["w"] > 0, image
        assert image["alt"], image
    assert requested, "the guard saw no request at all"
    assert {urlsplit(u).hostname for u in requested} == {"127.0.0.1"}


def test_dark_mode_rules_apply(served, browser):
    base, _ = served
    colors = {}
    for scheme in ("light", "dark"):
        page, _ = open_email(browser, base, 600, color_scheme=scheme)
        try:
            colors[scheme] = page.evaluate(
                """() => ({
                    body: getComputedStyle(document.body).backgroundColor,
                    box: getComputedStyle(document.querySelector('td.bx')).backgroundColor,
                    text: getComputedStyle(document.querySelector('td.bx')).color,
                    link: getComputedStyle(document.querySelector('.x a')).color,
                    issue: getComputedStyle(document.querySelector('.masthead-issue')).color,
                })"""
            )
        finally:
            page.close()
    # The site's palette (theme/static/css/site.css) and the brand's accent
    # (the default #a1251b; lightened to #e4665c for the dark page).
    assert colors["light"] == {
        "body": "rgb(251, 249, 244)",
        "box": "rgb(251, 249, 244)",
        "text": "rgb(31, 28, 24)",
        "link": "rgb(161, 37, 27)",
        "issue": "rgb(161, 37, 27)",
    }
    assert colors["dark"] == {
        "body": "rgb(22, 21, 19)",
        "box": "rgb(22, 21, 19)",
        "text": "rgb(236, 231, 223)",
        "link": "rgb(228, 102, 92)",
        "issue": "rgb(228, 102, 92)",
    }


# Every element with text of its own: its colour, and the first opaque
# background behind it (its own or an ancestor's).
TEXT_COLOURS_JS = """
() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const behind = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
      if (c.length === 4 && c[3] !== 0) return null;  // translucent: not used, flag it
    }
    return [255, 255, 255];  // the canvas
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest('.ph')) continue;
    out.push({
      where: `${el.tagName}.${el.className}: ${el.textContent.trim().slice(0, 40)}`,
      text: rgb(getComputedStyle(el).color).slice(0, 3),
      background: behind(el),
    });
  }
  return out;
}
"""


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_all_text_reads_on_its_background(served, browser, scheme):
    base, _ = served
    page, _ = open_email(browser, base, 375, color_scheme=scheme)
    try:
        found = page.evaluate(TEXT_COLOURS_JS)
        names = page.evaluate(
            """() => [...document.querySelectorAll('.masthead-name, .masthead-issue, a.signup-link')]
                     .map(e => e.textContent.trim())"""
        )
    finally:
        page.close()
    # Masthead, cover, sections, notes, footer and the sign-up link all checked.
    assert len(found) > 80
    assert names == ["The Millbrook Lantern", "Issue 7 · October 2026", "Get The Millbrook Lantern by email"]
    low = [
        (f["where"], f["text"], f["background"], round(_contrast(f["text"], f["background"]), 2))
        for f in found
        if f["background"] is None or _contrast(f["text"], f["background"]) < 4.5
    ]
    assert low == []
