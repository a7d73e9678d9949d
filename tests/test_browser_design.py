"""The publication's design, checked in real headless Chromium on the built
sample site (served on 127.0.0.1) for every page kind: home, a post, a
statement, a working group, the digest index, the newest issue, Subscribe
and that issue's email edition (digest/YYYY-MM/email.html).

- nothing scrolls sideways at 320, 390, 768 or 1280 px;
- axe-core finds no serious or critical problem, light or dark;
- the reading text is set 55-80 characters to a line at 1280 px;
- the masthead and "Get <publication> by email" are where the contract in
  the theme says (digest pages and the email; home, Subscribe, digest);
- the home page is light (HTML + its CSS <= 50 KB) and loads nothing from
  another host, and on a phone its first story starts on the first screen.

The email's links are absolute (DIGEST_EMAIL_SITEURL); its pictures are
answered from the built site, so nothing leaves the machine.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from chapter.screenshots import KINDS, LOAD_EVERY_IMAGE, keep_local, newest_issue, page_kinds
from tests.test_browser_site import Recorder, describe, run_axe

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = [320, 390, 768, 1280]
PHONE = {"width": 390, "height": 844}
HOME_BUDGET_BYTES = 50_000  # 50 KB, counted as 1000 bytes each (the stricter reading)
MEASURE = (55, 80)  # characters per line of reading text

# The main reading text of each page kind, as the templates mark it up
# (theme/templates/*.html, plugins/digest_email/templates/): every block
# matched is measured, except on home, where only the lead story is.
READING_TEXT = {
    "post": "main article .article-body > p",
    "statement": "main article .article-body > p",
    "issue": "main .digest-intro p, main .digest-item-excerpt p",
    "email": ".x:not(.nt) p",  # the excerpts (the intro above them is a lede)
    "home": "main .lead-story .lead-summary p",
    "subscribe": "main .article-body > p",
}
MASTHEAD_PAGES = ("digest", "issue", "email")
ISSUE_LINE_PAGES = ("issue", "email")
SIGNUP_PAGES = ("home", "subscribe", "digest", "issue")


@pytest.fixture(scope="module")
def settings():
    from pelican.settings import read_settings

    return read_settings(str(ROOT / "pelicanconf.py"))


@pytest.fixture(scope="module")
def pages(built_site) -> dict[str, str]:
    kinds = page_kinds(built_site)
    assert set(kinds) == set(KINDS), f"the sample site lacks {set(KINDS) - set(kinds)}"
    assert kinds["group"] == "/groups/sanctuary-city/"
    return kinds


def local_context(browser, built_site, site_server, settings, **options):
    """A browser context that answers the email's absolute links from the built site."""
    context = browser.new_context(device_scale_factor=1, reduced_motion="reduce", **options)
    keep_local(context, site_server, built_site, [settings["DIGEST_EMAIL_SITEURL"]])
    return context


def open_page(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url}: {response and response.status}"
    # Every picture in place (lazy ones too), and the fonts: the layout is final.
    page.evaluate(LOAD_EVERY_IMAGE)


# --- No sideways scrolling ---------------------------------------------------

# The page's width, and the innermost elements that stick out past the screen.
_OVERFLOW = """() => {
  const limit = window.innerWidth;
  const out = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > limit + 0.5);
  const innermost = out.filter(e => !out.some(o => o !== e && e.contains(o)));
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    [...e.classList].map(c => "." + c).join("") + ` (right edge ${Math.round(e.getBoundingClientRect().right)})`;
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: limit, culprits: innermost.slice(0, 4).map(name)};
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, built_site, site_server, settings, pages, width):
    context = local_context(browser, built_site, site_server, settings, viewport={"width": width, "height": 800})
    too_wide = []
    try:
        page = context.new_page()
        for kind, path in pages.items():
            open_page(page, site_server + path)
            seen = page.evaluate(_OVERFLOW)
            assert seen["innerWidth"] == width, seen  # the screen is what we asked for
            if seen["scrollWidth"] > seen["innerWidth"]:
                too_wide.append(f"{kind} {path}: {seen['scrollWidth']} px wide; sticking out: {seen['culprits']}")
    finally:
        context.close()
    assert not too_wide, f"at {width} px:\n" + "\n".join(too_wide)


def test_the_overflow_check_finds_a_wide_element(browser, site_server):
    """The sideways check is live: a table wider than the screen is found and named."""
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(site_server + "/")
        page.set_content('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
                         '<table class="rents" style="width:900px"><tr><td>rent</td></tr></table></body></html>')
        seen = page.evaluate(_OVERFLOW)
    finally:
        context.close()
    assert seen["scrollWidth"] > seen["innerWidth"] == 390
    assert [c.split(" ")[0] for c in seen["culprits"]] == ["td"], seen  # the innermost one


# --- Accessibility --------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious_on_any_page_kind(browser, built_site, site_server, settings, pages, scheme):
    context = local_context(browser, built_site, site_server, settings,
                            viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    problems = []
    try:
        page = context.new_page()
        for kind, path in pages.items():
            open_page(page, site_server + path)
            violations = run_axe(page)  # color-contrast included: axe's default rules
            if violations:
                problems.append(f"{kind} {path}: {describe(violations)}")
    finally:
        context.close()
    assert not problems, f"{scheme} mode:\n" + "\n".join(problems)


# --- Line length ------------------------------------------------------------------

# For each block: how many characters of its own text fit on one of its
# lines. Width of the block's content box / average advance of its
# characters, where the average comes from the block's whole text laid out
# unwrapped in the block's own computed font (a hidden, out-of-flow copy).
_CHARACTERS_PER_LINE = """(selector) => {
  const results = [];
  for (const block of document.querySelectorAll(selector)) {
    const text = block.textContent.replace(/\\s+/g, " ").trim();
    if (text.length < 20) continue;  // too little text for a fair average
    const style = getComputedStyle(block);
    const width = block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const probe = document.createElement("span");
    probe.style.position = "absolute";
    probe.style.visibility = "hidden";
    probe.style.whiteSpace = "nowrap";
    probe.textContent = text;
    block.appendChild(probe);
    const unwrapped = probe.getBoundingClientRect().width;
    probe.remove();
    results.push({text: text.slice(0, 50), width: Math.round(width), cpl: width / (unwrapped / text.length)});
  }
  return results;
}"""


def test_reading_text_is_55_to_80_characters_a_line_at_1280(browser, built_site, site_server, settings, pages):
    """Characters per line are measured, not counted from where lines happened
    to break: for each block of reading text (READING_TEXT), the width of its
    content box divided by the average width of its own characters in its own
    font (its whole text set on one unwrapped line in a hidden copy, divided
    by its length). This is the measure typographers mean: it holds for a
    one-line summary as for a long paragraph, and does not move with where
    words wrap or how long the last line is. Inline spans in another font
    (code, bold) count at the block's font; every block must be 55-80."""
    context = local_context(browser, built_site, site_server, settings, viewport={"width": 1280, "height": 900})
    outside = []
    try:
        page = context.new_page()
        for kind, selector in READING_TEXT.items():
            open_page(page, site_server + pages[kind])
            blocks = page.evaluate(_CHARACTERS_PER_LINE, selector)
            if kind == "home":
                blocks = blocks[:1]  # the lead story's summary
            assert blocks, f"{kind} {pages[kind]}: no reading text matches {selector!r}; update READING_TEXT"
            for block in blocks:
                if not MEASURE[0] <= block["cpl"] <= MEASURE[1]:
                    outside.append(f"{kind}: {block['cpl']:.0f} characters a line in {block['width']} px "
                                   f"({block['text']!r}...)")
    finally:
        context.close()
    assert not outside, f"reading text outside {MEASURE[0]}-{MEASURE[1]} characters a line at 1280 px:\n" + "\n".join(outside)


def test_the_measure_tells_a_narrow_column_from_a_wide_one(browser, site_server):
    """The line-length measure is live: the same paragraph measures about
    twice as many characters a line at twice the width."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(site_server + "/")
        words = "the chapter meets on the second Tuesday of each month at the library " * 6
        page.set_content(f'<p id="a" style="width:300px;font:16px serif">{words}</p>'
                         f'<p id="b" style="width:600px;font:16px serif">{words}</p>')
        narrow = page.evaluate(_CHARACTERS_PER_LINE, "#a")[0]["cpl"]
        wide = page.evaluate(_CHARACTERS_PER_LINE, "#b")[0]["cpl"]
    finally:
        context.close()
    assert 1.9 < wide / narrow < 2.1
    assert 25 < narrow < 50  # ~7 px a character in a 16 px serif


# --- Masthead and sign-up -------------------------------------------------------------


def _text(locator) -> str:
    # textContent, not innerText: a CSS text-transform is not the name.
    return " ".join(locator.evaluate("e => e.textContent").split())


def issue_line(built_site: Path) -> str:
    """"Issue 2 · October 2026" for the newest issue, from its issue file."""
    month = newest_issue(built_site)
    source = (ROOT / "content" / "digests" / f"{month}.md").read_text(encoding="utf-8")
    number = re.search(r"^Issue:\s*(\d+)\s*$", source, re.M).group(1)
    label = datetime.datetime.strptime(month, "%Y-%m").strftime("%B %Y")
    return f"Issue {number} · {label}"


def test_masthead_and_signup_link_where_the_contract_says(browser, built_site, site_server, settings, pages):
    publication = settings["DIGEST_NAME"]
    signup_url = settings["DIGEST_SIGNUP_URL"]
    assert publication and signup_url, "the sample site sets DIGEST_NAME and DIGEST_SIGNUP_URL"
    expected_issue = issue_line(built_site)
    context = local_context(browser, built_site, site_server, settings, viewport={"width": 1280, "height": 900})
    missing = []
    try:
        page = context.new_page()
        for kind in MASTHEAD_PAGES + tuple(k for k in SIGNUP_PAGES if k not in MASTHEAD_PAGES):
            open_page(page, site_server + pages[kind])
            if kind in MASTHEAD_PAGES:
                names = page.locator(".masthead .masthead-name")
                if names.count() != 1:
                    missing.append(f"{kind}: {names.count()} `.masthead .masthead-name` (want 1)")
                elif _text(names) != publication or not names.is_visible():
                    missing.append(f"{kind}: masthead name {_text(names)!r} (want {publication!r}, visible)")
            if kind in ISSUE_LINE_PAGES:
                lines = page.locator(".masthead .masthead-issue")
                if lines.count() != 1:
                    missing.append(f"{kind}: {lines.count()} `.masthead .masthead-issue` (want 1)")
                elif _text(lines) != expected_issue:
                    missing.append(f"{kind}: masthead issue {_text(lines)!r} (want {expected_issue!r})")
            if kind in SIGNUP_PAGES:
                links = page.locator("a.signup-link")
                if links.count() == 0:
                    missing.append(f"{kind}: no a.signup-link")
                for i in range(links.count()):
                    link = links.nth(i)
                    text, href = _text(link), link.get_attribute("href")
                    if text != f"Get {publication} by email" or href != signup_url or not link.is_visible():
                        missing.append(f"{kind}: signup link {text!r} -> {href!r} (visible: {link.is_visible()})")
    finally:
        context.close()
    assert not missing, "\n".join(missing)


# --- The home page: light, local, story first -------------------------------------------


class _Stylesheets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").lower().split() and attributes.get("href"):
            self.hrefs.append(attributes["href"])


def _served_file(site: Path, url: str) -> Path:
    path = site / urlsplit(url).path.lstrip("/")
    assert path.is_file(), f"{url} is linked but not in the build"
    return path


def stylesheet_files(site: Path, page_url: str, html: str) -> list[Path]:
    """Every stylesheet the page links (print ones too), with their @imports."""
    parser = _Stylesheets()
    parser.feed(html)
    queue = [urljoin(page_url, href) for href in parser.hrefs]
    files: list[Path] = []
    while queue:
        url = queue.pop(0)
        assert urlsplit(url).netloc == urlsplit(page_url).netloc, f"a stylesheet from another host: {url}"
        path = _served_file(site, url)
        if path in files:
            continue
        files.append(path)
        css = path.read_text(encoding="utf-8")
        queue += [urljoin(url, m) for m in re.findall(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", css)]
    return files


def test_home_page_is_light_and_loads_nothing_from_elsewhere(browser, built_site, site_server):
    home = built_site / "index.html"
    html = home.read_text(encoding="utf-8")
    stylesheets = stylesheet_files(built_site, site_server + "/", html)
    assert stylesheets, "the home page links no stylesheet"
    sizes = {p.relative_to(built_site).as_posix(): p.stat().st_size for p in [home, *stylesheets]}
    assert sum(sizes.values()) <= HOME_BUDGET_BYTES, f"{sum(sizes.values())} bytes: {sizes}"

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        recorder = Recorder(page)
        open_page(page, site_server + "/")
    finally:
        context.close()
    assert recorder.requests, "the recorder saw no request"
    assert not recorder.foreign(site_server), recorder.foreign(site_server)


def test_first_story_starts_on_a_phones_first_screen(browser, site_server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    try:
        page = context.new_page()
        open_page(page, site_server + "/")
        story = page.locator("main article").first
        assert story.count() == 1, "the home page has no story (main article)"
        heading = story.locator("h1, h2, h3").first
        box = heading.bounding_box()
        title = _text(heading)
    finally:
        context.close()
    assert box is not None, f"the first story's heading {title!r} is not shown"
    assert box["y"] < PHONE["height"], f"the first story's heading {title!r} starts at {box['y']:.0f} px"
