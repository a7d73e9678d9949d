"""Issue 9, the email edition: deep nesting, text direction, look-alike hosts, 320 px.

Hostile excerpts are what a full-excerpt issue carries from other sites:
15,000 nested elements (css-inline crashed on them with a segmentation
fault), a right-to-left override in an author's name, a host name mixing
Latin and Cyrillic letters, nested lists that made the email 10,080 px wide.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from digest_email.build import render_issue
from digest_email.settings import EmailSettings
from digest_email.view import MAX_DEPTH, MAX_NESTING, ascii_host, cap_depth, plain_name

from tests.test_email_fixtures import make_issue

REPO = Path(__file__).resolve().parents[1]
RLO = "\u202e"
SETTINGS = EmailSettings.from_pelican(
    {"SITENAME": "Millbrook Chapter", "DIGEST_NAME": "The Millbrook Lantern",
     "DIGEST_EMAIL_SITEURL": "https://millbrook.example.org"}
)


def hostile_issue(excerpt: str, **item_changes):
    issue = make_issue(n_items=2)
    item = issue.sections[0].items[0]
    issue.sections[0].items[0] = dataclasses.replace(item, excerpt_html=excerpt, **item_changes)
    return issue


class Depth(HTMLParser):
    """Deepest element nesting, and deepest list/quote nesting, of an HTML text."""

    VOID = {"br", "img", "hr", "wbr", "meta", "link", "input", "col", "area", "base", "source"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.deepest = self.deepest_lists = 0
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        self.stack.append(tag)
        self.deepest = max(self.deepest, len(self.stack))
        self.deepest_lists = max(self.deepest_lists, sum(t in ("ul", "ol", "blockquote") for t in self.stack))

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)


def test_fifteen_thousand_nested_elements_render_instead_of_crashing():
    # In a child process: a crash in the Rust inliner would take the test runner with it.
    script = f"""
import json, sys, dataclasses
sys.path[:0] = [{str(REPO)!r}, {str(REPO / 'plugins')!r}]
from tests.test_hostile_site_email import hostile_issue, SETTINGS
from digest_email.build import render_issue
deep = "<div><ul><li>" * 5000 + "bottom of the well" + "</li></ul></div>" * 5000
files = render_issue(hostile_issue("<p>Top.</p>" + deep), SETTINGS)
print(json.dumps({{"html": files.html, "body": files.body, "text": files.text}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    files = json.loads(done.stdout)
    for name in ("html", "body"):
        tree = Depth(files[name])
        assert "bottom of the well" in "".join(tree.text), name
        # The template's own layout tables plus at most MAX_DEPTH levels of excerpt.
        assert tree.deepest <= MAX_DEPTH + 12, (name, tree.deepest)
        assert tree.deepest_lists <= MAX_NESTING, (name, tree.deepest_lists)
    assert "bottom of the well" in files["text"]


def test_right_to_left_override_in_names_cannot_reverse_the_byline():
    issue = hostile_issue(
        "<p>Plain words.</p>",
        author=f"Mallory {RLO}evil sdrawkcab",
        source_title=f"Eastlake {RLO}Chapter",
        title=f"A title {RLO}that flips\u2066 and isolates",
        also_in=[f"Other {RLO}site"],
    )
    files = render_issue(issue, SETTINGS)
    for name, text in (("html", files.html), ("body", files.body), ("text", files.text)):
        for control in ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"):
            assert control not in text, (name, hex(ord(control)))
    assert "Mallory evil sdrawkcab" in files.text
    assert 'dir="auto">Eastlake Chapter</' in files.body
    assert '<span dir="auto">Mallory evil sdrawkcab</span>' in files.body


def test_mixed_script_hosts_are_listed_as_ascii_in_the_text_edition():
    cyrillic_a = "\u0430"
    link = f"https://harbor-city.ex{cyrillic_a}mple.org/posts/rent/"
    issue = hostile_issue(
        f'<p>See <a href="https://p{cyrillic_a}ypal.example/login">the form</a>.</p>',
        link=link,
        source_url=f"https://harbor-city.ex{cyrillic_a}mple.org/",
    )
    files = render_issue(issue, SETTINGS)
    assert cyrillic_a not in files.text
    assert "https://xn--pypal-4ve.example/login" in files.text
    assert "https://harbor-city.xn--exmple-4nf.org/posts/rent/" in files.text
    hrefs = [href for href in _hrefs(files.html) + _hrefs(files.body)]
    assert any("xn--pypal-4ve.example" in href for href in hrefs), hrefs
    assert not [href for href in hrefs if not href.isascii()], hrefs


def _hrefs(html: str) -> list[str]:
    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(value for name, value in attrs if name == "href" and value)

    Links().feed(html)
    return found


def test_ascii_host_keeps_everything_but_the_host():
    assert ascii_host("https://user@b\u00fccher.example:8443/a?b=c#d") == "https://user@xn--bcher-kva.example:8443/a?b=c#d"
    assert ascii_host("https://millbrook.example.org/x") == "https://millbrook.example.org/x"
    assert ascii_host(None) is None
    assert plain_name(f"a{RLO}b\u2067c") == "abc"


# --- the depth cap is a writer of HTML: property tests -----------------------------

_TAGS = st.sampled_from(["div", "ul", "ol", "li", "blockquote", "p", "em", "span", "table", "td"])


@st.composite
def nested_html(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        if depth < 40 and draw(st.booleans()):
            tag = draw(_TAGS)
            parts.append(f"<{tag}>{draw(nested_html(depth + 1))}</{tag}>")
        else:
            parts.append(draw(st.text(alphabet="ab &<>é\u202e", min_size=1, max_size=5)).replace("&", "&amp;")
                         .replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(parts)


@hsettings(max_examples=150, deadline=None)
@given(nested_html())
def test_cap_depth_keeps_every_word_and_bounds_the_nesting(html):
    capped = cap_depth(html)
    before, after = Depth(html), Depth(capped)
    assert "".join(after.text) == "".join(before.text)
    assert after.deepest <= MAX_DEPTH
    assert after.deepest_lists <= MAX_NESTING
    assert after.stack == []  # every tag it opened, it closed
    if before.deepest <= MAX_DEPTH and before.deepest_lists <= MAX_NESTING:
        assert capped == html


# --- 320 px in Chromium -----------------------------------------------------------------


@pytest.mark.browser
def test_hostile_full_excerpt_email_fits_320_px(tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    nested = "<ul><li>level" * 60 + "</li></ul>" * 60
    quotes = "<blockquote>quoted" * 40 + "</blockquote>" * 40
    table = "<table><tr>" + "".join(f"<td>column{n}</td>" for n in range(30)) + "</tr></table>"
    long_word = "<p>" + "Unbreakable" * 40 + "</p><pre>" + "x" * 400 + "</pre>"
    issue = hostile_issue(nested + quotes + table + long_word, author=f"Mallory {RLO}evil")
    files = render_issue(issue, SETTINGS)
    page_file = tmp_path / "email.html"
    page_file.write_text(files.html, encoding="utf-8")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = browser.new_page(viewport={"width": 320, "height": 700})
            requests: list[str] = []
            page.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
            page.set_content(files.html, wait_until="load")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert width <= 320, width
    assert "level" in text and "column29" in text


# --- a write that fails ---------------------------------------------------------------------


def test_a_failed_write_names_the_file_fails_the_build_and_leaves_no_partial_file(tmp_path):
    from digest_email.build import write_all
    from digest_email.errors import EmailWriteError

    conf = {"SITENAME": "Millbrook Chapter", "DIGEST_NAME": "The Millbrook Lantern",
            "DIGEST_EMAIL_SITEURL": "https://millbrook.example.org",
            "DIGEST_EMAIL_FROM": "The Millbrook Lantern <lantern@millbrook.example.org>"}
    issue = make_issue(2)
    folder = tmp_path / "output" / "digest" / "2026-10"
    folder.mkdir(parents=True)
    # A folder where a file must go stops root as well as anyone (chmod would not).
    (folder / "email.txt").mkdir()
    with pytest.raises(EmailWriteError) as caught:
        write_all([issue], conf, tmp_path / "output")
    message = str(caught.value)
    assert str(folder / "email.txt") in message and "content/digests/2026-10.md" in message
    assert "Traceback" not in message
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
