"""Feeds: RSS 2.0 and Atom for everything, per category and per author; full
content, stable GUIDs, absolute URLs when published, and a stylesheet
instruction so a person opening a feed in a browser sees a page."""

from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET

import feedparser
import pytest
from test_site_support import PYTHON, REPO, build, make_site, post, statement

SITEURL = "https://lantern.example.net"
XSL_DEV = '<?xml-stylesheet type="text/xsl" href="/theme/feed.xsl"?>'

FILES = {
    "posts/rents.md": post(
        "The rent is the wage",
        body="Sixty-one households answered our survey.\n\nSee also [the line]({filename}line.md).",
        Tags="housing",
        Summary="Rents against wages on Alder Street.",
    ),
    "posts/line.md": post(
        "A phone line that answers",
        date="2025-03-20 08:00",
        author="Tomasz Wren",
        Group="sanctuary-city",
        body="Volunteers answer the rapid-response line in shifts.",
    ),
    "posts/minutes.md": post("Minutes of March", date="2025-03-28 20:00", Group="steering-committee"),
    "statements/budget.md": statement("On the county budget", signed="steering-committee", Tags="budget"),
    "statements/chapter.md": statement("We stand with the tenants", date="2025-03-29 10:00"),
}


def feeds_of(output):
    return sorted((output / "feeds").rglob("*.xml"))


def parse(path):
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    """The same site built twice, into two output folders."""
    site = make_site(tmp_path_factory.mktemp("feeds") / "site", FILES)
    first = build(site, site / "first")
    second = build(site, site / "second")
    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    return site


def test_every_expected_feed_exists_in_both_formats(two_builds):
    names = {p.relative_to(two_builds / "first" / "feeds").as_posix() for p in feeds_of(two_builds / "first")}
    for stem in ("all", "posts", "statements", "authors/rosa-delgado", "authors/tomasz-wren"):
        assert f"{stem}.atom.xml" in names
        assert f"{stem}.rss.xml" in names
    assert [p.version for p in map(parse, [two_builds / "first/feeds/all.atom.xml"])] == ["atom10"]
    assert parse(two_builds / "first/feeds/all.rss.xml").version == "rss20"


def test_every_entry_has_id_title_link_date_author_and_full_content(two_builds):
    seen_titles = set()
    for path in feeds_of(two_builds / "first"):
        parsed = parse(path)
        assert parsed.entries, f"{path} is empty"
        for entry in parsed.entries:
            where = f"{path.name}: {entry.get('title')}"
            assert entry.get("id"), where
            assert entry.get("title"), where
            assert entry.get("link"), where
            assert entry.get("published_parsed"), where
            assert entry.get("author"), where
            seen_titles.add(entry.title)
    assert seen_titles == {"The rent is the wage", "A phone line that answers", "Minutes of March",
                           "On the county budget", "We stand with the tenants"}  # fmt: skip

    # Full text, not just the summary, in both formats.
    atom = {e.title: e for e in parse(two_builds / "first/feeds/all.atom.xml").entries}
    rss = {e.title: e for e in parse(two_builds / "first/feeds/all.rss.xml").entries}
    assert "Sixty-one households answered our survey." in atom["The rent is the wage"].content[0].value
    assert "Sixty-one households answered our survey." in rss["The rent is the wage"].description


def test_guids_are_stable_across_builds(two_builds):
    for first in feeds_of(two_builds / "first"):
        second = two_builds / "second" / first.relative_to(two_builds / "first")
        ids_first = {e.link: e.id for e in parse(first).entries}
        ids_second = {e.link: e.id for e in parse(second).entries}
        assert ids_first == ids_second, first.name
        assert len(set(ids_first.values())) == len(ids_first), f"{first.name}: duplicate GUIDs"


def test_every_feed_names_the_stylesheet_and_stays_well_formed(two_builds):
    for path in feeds_of(two_builds / "first"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0].startswith("<?xml version="), path
        assert lines[1] == XSL_DEV, path
        assert text.count("<?xml-stylesheet") == 1, path
        ET.fromstring(path.read_bytes())  # raises if not well-formed
        parse(path)


def test_stylesheet_added_once_to_every_feed_even_on_rebuild_and_foreign_feeds(tmp_path):
    site = make_site(tmp_path / "site", FILES)
    # A feed written by something other than Pelican's writer, before the build.
    foreign = site / "output" / "feeds" / "elsewhere" / "notes.atom.xml"
    foreign.parent.mkdir(parents=True)
    foreign.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Notes</title><id>urn:x-notes</id><updated>2025-03-01T00:00:00Z</updated></feed>\n",
        encoding="utf-8",
    )
    for _ in range(2):  # the development build keeps output/: no doubling up
        result = build(site)
        assert result.returncode == 0, result.output
    for path in feeds_of(site / "output"):
        text = path.read_text(encoding="utf-8")
        assert text.count(XSL_DEV) == 1, path
        ET.fromstring(path.read_bytes())


def test_published_feeds_use_absolute_urls(tmp_path):
    site = make_site(tmp_path / "site", FILES, base="publishconf")
    result = build(site, env={"SITEURL": SITEURL})
    assert result.returncode == 0, result.output

    for path in feeds_of(site / "output"):
        assert f'<?xml-stylesheet type="text/xsl" href="{SITEURL}/theme/feed.xsl"?>' in path.read_text(encoding="utf-8")
        parsed = parse(path)
        assert parsed.feed.link.startswith(SITEURL + "/"), path
        for entry in parsed.entries:
            assert entry.link.startswith(SITEURL + "/"), (path, entry.link)
            assert entry.id.startswith("tag:lantern.example.net,"), (path, entry.id)
    rents = next(e for e in parse(site / "output/feeds/all.atom.xml").entries if e.title == "The rent is the wage")
    # A {filename} link inside the text is absolute too, so it works in a feed reader.
    assert f'href="{SITEURL}/posts/a-phone-line-that-answers/"' in rents.content[0].value


@pytest.mark.slow
def test_full_sample_site_feeds(tmp_path):
    """The repository's own sample content, built as `invoke build` does."""
    env = dict(os.environ, COLUMNS="400")
    env.pop("SITEURL", None)
    result = subprocess.run(
        [PYTHON, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    feeds = feeds_of(tmp_path / "out")
    assert any(p.name == "all.atom.xml" for p in feeds)
    all_atom = parse(tmp_path / "out" / "feeds" / "all.atom.xml")
    assert all_atom.entries
    for path in feeds:
        assert XSL_DEV in path.read_text(encoding="utf-8")
        for entry in parse(path).entries:
            assert entry.get("id") and entry.get("title") and entry.get("link"), path
            assert entry.get("published_parsed") and entry.get("author"), path
