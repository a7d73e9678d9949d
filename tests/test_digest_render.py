"""The digest in a site build: issue pages, the index, feeds, drafts, and
invalid issue files failing the build with file:line."""

from __future__ import annotations

import re
import subprocess
import sys

import feedparser
import pytest

from digest.errors import IssueFileError
from digest.issuefile import INTRO_PLACEHOLDER, parse_issue_text, read_issue_doc
from tests.cli_env import lines_with, wide_log_env
from tests.feedserver import FeedServer
from test_digest_support import REPO, Site, fetch, png, rss, same_picture, source, utc


@pytest.fixture
def composed(tmp_path):
    """A site with issues for Jan (published), Feb (published) and Mar (draft) 2025."""
    site = Site(tmp_path, SITEURL="https://millbrook.example.org", DIGEST_SHOW_DRAFTS=False)
    with FeedServer() as server:
        server.route("/img.png", body=png(8, 8), content_type="image/png")
        server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": f"Harbor news for month {m}", "link": f"https://harbor-city.example.org/m{m}/",
             "guid": f"hc-{m}", "date": utc(2025, m, 10, 12), "author": "Marisol &lt;Fenn&gt;",
             "content": f'<p>Month {m} words. <img src="{server.url("/img.png")}" alt="Picture {m}">'
                        f'<img src="https://tracker.example.com/x.png" alt="remote"></p>'} for m in (1, 2, 3)
        ]))
        fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
        for month in ("2025-01", "2025-02", "2025-03"):
            assert site.digest(month)[0] == 0
    for month, intro in (("2025-01", "January's *intro*."), ("2025-02", "February's intro.")):
        path = site.issue_path(month)
        text = path.read_text().replace(INTRO_PLACEHOLDER, intro).replace("Status: draft", "Status: published")
        path.write_text(text)
    return site


def test_issue_pages_index_and_navigation(composed):
    out = composed.build()
    jan = (out / "digest" / "2025-01" / "index.html").read_text()
    feb = (out / "digest" / "2025-02" / "index.html").read_text()
    assert "January 2025" in jan and "Issue 1" in jan
    assert "January&#39;s <em>intro</em>." in jan or "January’s <em>intro</em>." in jan
    # The one item is the cover story; its title is its one link, to the other site.
    assert re.search(r'<a href="https://harbor-city.example.org/m1/" rel="noopener noreferrer"><bdi>Harbor news for month 1</bdi></a>', jan)
    assert "Cover story" in jan and "Read at" not in jan
    assert "Marisol &lt;Fenn&gt;" in jan  # an author name is text
    # The cover leaves its section empty: no section, no contents list
    # (tests/test_digest_issuefile.py checks an issue with several).
    assert 'id="harbor-city-chapter"' not in jan and "In this issue" not in jan
    # previous / next
    assert 'rel="next"' in jan and "digest/2025-02/" in jan and 'rel="prev"' not in jan
    assert 'rel="prev"' in feb and "digest/2025-01/" in feb and 'rel="next"' not in feb
    # The draft (March) is not built when DIGEST_SHOW_DRAFTS is off.
    assert not (out / "digest" / "2025-03").exists()
    index = (out / "digest" / "index.html").read_text()
    assert index.index("February 2025") < index.index("January 2025")
    assert "March 2025" not in index
    # No resource from another host: every src and stylesheet is on this site.
    for page in (jan, feb, index):
        for url in re.findall(r'(?:src|href)="([^"]+)"', page):
            if "stylesheet" in page[max(0, page.find(url) - 80): page.find(url)] or url.endswith((".css", ".png")):
                assert url.startswith(("https://millbrook.example.org/", "/")), url
        for src in re.findall(r'<img[^>]*src="([^"]+)"', page):
            # Copies made at compose time, or the chapter's own logo.
            assert src.startswith("https://millbrook.example.org/digests/images/") or src == (
                "https://millbrook.example.org/images/lantern.svg"), src
    assert "tracker.example.com" not in jan
    image = re.search(r'<img[^>]*src="https://millbrook.example.org/(digests/images/2025-01/[0-9a-f]+\.png)"', jan)
    assert image and same_picture(out / image.group(1), png(8, 8))


def test_digest_feeds(composed):
    out = composed.build()
    atom = feedparser.parse((out / "feeds" / "digest.atom.xml").read_bytes())
    rss_feed = feedparser.parse((out / "feeds" / "digest.rss.xml").read_bytes())
    for feed in (atom, rss_feed):
        assert not feed.bozo, feed.bozo_exception
        assert [e.title for e in feed.entries] == [
            "The Millbrook Lantern | February 2025 (Issue 2)", "The Millbrook Lantern | January 2025 (Issue 1)"]
        assert feed.entries[0].link == "https://millbrook.example.org/digest/2025-02/"
    body = atom.entries[1].content[0].value
    assert "Harbor news for month 1" in body and "January" in body
    assert 'src="https://millbrook.example.org/digests/images/2025-01/' in body
    ids = [e.id for e in atom.entries]
    # Stable ids: a rebuild gives the same ones.
    composed.build()
    again = feedparser.parse((out / "feeds" / "digest.atom.xml").read_bytes())
    assert [e.id for e in again.entries] == ids and len(set(ids)) == 2


def test_drafts_render_when_asked_and_stay_out_of_feeds(composed):
    out = composed.build(DIGEST_SHOW_DRAFTS=True)
    march = (out / "digest" / "2025-03" / "index.html").read_text()
    assert "Draft preview" in march and 'name="robots" content="noindex"' in march
    assert "No intro yet" in march
    atom = feedparser.parse((out / "feeds" / "digest.atom.xml").read_bytes())
    assert all("March" not in e.title for e in atom.entries)


def test_context_holds_published_issues_newest_first(composed):
    from pelican import Pelican

    from digest.render import DigestGenerator

    pelican = Pelican(composed.settings())
    context = pelican.settings.copy()
    context.update({"static_content": {}, "static_links": set(), "generated_content": {}, "localsite": ""})
    generator = DigestGenerator(context=context, settings=pelican.settings, path=pelican.path, theme=pelican.theme,
                                output_path=pelican.output_path)
    generator.generate_context()
    assert [issue.month for issue in context["digest_issues"]] == ["2025-02", "2025-01"]
    assert context["digest_issues"][0].previous.month == "2025-01"


BROKEN = {
    "unknown header key": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\nColour: red\n\n", 6),
    "Status must be": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: final\n\n", 5),
    "needs a 'Link: ...' line": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\n\n"
                                 "Intro.\n\n## Section\n\n### An item\nSource: S\nDate: 2025-03-02\n\nText.\n", 11),
    "Link must be an http(s) address": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\n\n"
                                        "## Section\n\n### An item\nLink: javascript:alert(1)\nSource: S\nDate: 2025-03-02\n", 9),
    "an item ('### ...') before any section": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\n"
                                               "Status: draft\n\nIntro.\n\n### Stray\nLink: https://a.example.org/\n", 9),
    "unknown item key": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\n\n## S\n\n### I\n"
                         "Link: https://a.example.org/\nSource: S\nDate: 2025-03-02\nColour: red\n", 13),
    "block is not closed": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\n\n"
                            "<!-- digest:seen\nabc\n", 7),
    "Date must look like 2025-03-04": ("Title: X\nDate: 2025-04-01 09:00\nIssue: 1\nMonth: 2025-03\nStatus: draft\n\n## S\n\n"
                                       "### I\nLink: https://a.example.org/\nSource: S\nDate: 3 March\n", 9),
}


@pytest.mark.parametrize("message", BROKEN)
def test_parser_errors_name_the_line(tmp_path, message):
    text, line = BROKEN[message]
    path = tmp_path / "2025-03.md"
    path.write_text(text)
    with pytest.raises(IssueFileError) as error:
        read_issue_doc(path)
    assert message in str(error.value)
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert error.value.line == line


def test_round_trip_keeps_the_file(composed):
    path = composed.issue_path("2025-01")
    text = path.read_text()
    doc = parse_issue_text(text, path)
    assert doc.text() == text


def test_invalid_issue_file_fails_the_build_naming_file_and_line(composed):
    path = composed.issue_path("2025-02")
    lines = path.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Link: "))
    lines[at] = "Link: ftp://files.example.org/x"
    path.write_text("\n".join(lines))
    with pytest.raises(IssueFileError) as error:
        composed.build()
    item_line = max(i for i in range(at) if lines[i].startswith("### ")) + 1
    assert f"{path}:{item_line}:" in str(error.value)
    # And through the pelican command, as `make build` runs it.
    run = subprocess.run([sys.executable, "-m", "pelican", str(composed.content), "-s", str(composed.conf), "-o",
                          str(composed.root / "out2")], capture_output=True, text=True, cwd=REPO, timeout=120,
                         env=wide_log_env())
    assert run.returncode != 0
    # One whole line names the file and line (no un-wrapping of the console output).
    assert lines_with(run.stdout + run.stderr, f"{path}:{item_line}: item "), run.stdout + run.stderr
