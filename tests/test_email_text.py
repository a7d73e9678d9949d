"""email.txt: 72 columns, numbered link references that match the HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from digest_email.build import render_issue
from digest_email.settings import EmailSettings
from digest_email.text import References, html_to_lines, html_to_text

from tests.test_email_fixtures import make_issue

CONF = {
    "SITENAME": "Millbrook Chapter",
    "DIGEST_NAME": "The Millbrook Lantern",
    "DIGEST_EMAIL_SITEURL": "https://millbrook.example.org",
    "CHAPTER_ADDRESS": "Millbrook Chapter · PO Box 0000 · Millbrook",
}
REF_LINE = re.compile(r"^\[(\d+)\] (\S+)$")
LONG_URL = "https://northfield.example.net/" + "very-long-path-segment-" * 6 + "end/"


class Hrefs(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.hrefs = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def sample():
    issue = make_issue(12)
    item = issue.items[1]
    item.excerpt_html = (
        "<p>An unusually long word: " + "solidarity" * 10 + ".</p>"
        f'<p>The link text is the address: <a href="{LONG_URL}">{LONG_URL}</a></p>'
        "<ul><li>First point, written long enough that it has to wrap onto a second line of text.</li>"
        "<li>Second point<ol><li>nested one</li><li>nested two</li></ol></li></ul>"
        "<blockquote><p>We met in the laundromat because it was warm and the owner did not mind "
        "forty tenants and a thermos of coffee.</p></blockquote>"
        "<pre>rent   1,240\nheat     180\n" + "x" * 100 + "</pre>"
    )
    return issue, render_issue(issue, EmailSettings.from_pelican(CONF))


def split(text):
    body, _, refs = text.rpartition("\nLinks\n")
    return body, [line for line in refs.splitlines() if line.strip()]


def test_lines_fit_72_columns_except_reference_urls():
    _, f = sample()
    body, refs = split(f.text)
    too_long = [line for line in body.splitlines() if len(line) > 72]
    assert too_long == []
    for line in refs:
        m = REF_LINE.match(line)
        assert m, line
        if len(line) > 72:
            assert " " not in m.group(2)  # only an unbreakable URL may overflow
    assert any(len(line) > 72 for line in refs)  # the long URL stays whole
    assert f"] {LONG_URL}" in f.text


def test_references_are_numbered_in_order_and_match_the_html_links():
    issue, f = sample()
    body, refs = split(f.text)
    listed = [REF_LINE.match(line).groups() for line in refs]
    numbers = [int(n) for n, _ in listed]
    assert numbers == list(range(1, len(numbers) + 1))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    assert cited == set(numbers)
    urls = [u for _, u in listed]
    assert len(urls) == len(set(urls))  # one number per URL
    assert set(urls) == set(Hrefs(f.html).hrefs)
    # An item's title is its one link (no "Read at" line, as in the HTML part).
    item = issue.items[0]
    n = urls.index(item.link) + 1
    assert f"{item.title} [{n}]" in " ".join(body.split())
    assert body.count(f"[{n}]") == 1
    assert "Read at" not in body


def test_structure_lists_quotes_and_text_fields():
    issue, f = sample()
    t = f.text
    # The issue page's masthead, as text (it was "Millbrook Chapter" and the issue's title).
    assert t.startswith(
        "Millbrook Chapter · the monthly digest\n"
        "The Millbrook Lantern\n=====================\n"
        "Issue 7 · October 2026\n\n"
        "Published October 28, 2026\n"
    )
    assert "COVER STORY" in t and "IN THIS ISSUE" in t and "HARBOR CITY CHAPTER" in t
    assert "- First point, written long enough" in t
    assert "\n  line of text.\n- Second point\n  1. nested one\n  2. nested two\n" in t
    assert "> We met in the laundromat" in t
    # Plain text carries titles as written, unescaped.
    assert "& what comes <next>" in t
    assert "&amp;" not in t and "&lt;" not in t
    assert "Editor's note: Worth reading" in t
    assert "[Image: Photo for item 0]" in t
    assert "PO Box 0000" in t
    assert t.endswith("\n") and not t.endswith("\n\n")


def test_html_to_lines_numbers_repeated_links_once():
    refs = References()
    lines = html_to_lines(
        '<p><a href="https://a.example.org/">one</a> and <a href="https://a.example.org/">again</a>'
        ' and <a href="mailto:x@example.org">mail</a></p>',
        refs,
    )
    assert lines == ["one [1] and again [1] and mail"]
    assert refs.items() == [(1, "https://a.example.org/")]


def test_preheader_text_has_no_reference_markers():
    assert html_to_text('<p>Hello <a href="https://a.example.org/">there</a>.</p><p>Two</p>') == "Hello there. Two"
