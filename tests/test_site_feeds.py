"""Feeds: RSS 2.0 and Atom for everything, per category and per author; full
content, stable GUIDs, absolute URLs when published, and a CSS stylesheet
instruction with an XHTML notice so a person opening a feed in a browser
sees a page, while feed readers see exactly the feed they saw before."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_site_support import PYTHON, REPO, build, make_site, post, statement

sys.path.insert(0, str(REPO / "plugins"))
from chapter import feeds as chapter_feeds  # noqa: E402

SITEURL = "https://lantern.example.net"
CSS_DEV = '<?xml-stylesheet type="text/css" href="/theme/css/feed.css"?>'
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"
# What feeds.py adds, to take it out again: the instruction's line and the notice.
ADDED_RE = re.compile(r'<\?xml-stylesheet type="text/css" [^>]*\?>\n|<xhtml:div xmlns:xhtml=.*?</xhtml:div>', re.S)

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


def notice_of(path):
    """The XHTML notice element of a built feed (a child of <feed> or <channel>), or None."""
    root = ET.parse(path).getroot()
    container = root if root.tag == f"{ATOM}feed" else root.find("channel")
    found = container.findall(f"{XHTML}div")
    assert len(found) <= 1, path
    return found[0] if found else None


def test_every_feed_names_the_css_stylesheet_and_carries_the_notice(two_builds):
    for path in feeds_of(two_builds / "first"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        assert lines[0].startswith("<?xml version="), path
        assert lines[1] == CSS_DEV, path
        assert text.count("<?xml-stylesheet") == 1, path
        assert 'type="text/xsl"' not in text, path  # browsers are removing XSLT
        notice = notice_of(path)  # parsing raises if not well-formed
        assert notice is not None, path
        assert notice.get("class") == "feed-notice"
        assert notice.find(f"{XHTML}a").get("href") == "/subscribe/"
        feed_title = parse(path).feed.title
        assert notice.findtext(f"{XHTML}title") == f"{feed_title} (web feed)", path


@pytest.fixture(scope="module")
def plain_build(tmp_path_factory):
    """The same site as two_builds, with CHAPTER_FEED_CSS = "": feeds as Pelican writes them."""
    site = make_site(tmp_path_factory.mktemp("plain") / "site", FILES, extra_settings='CHAPTER_FEED_CSS = ""\n')
    result = build(site)
    assert result.returncode == 0, result.output
    return site / "output"


def test_no_stylesheet_setting_leaves_feeds_as_pelican_writes_them(plain_build):
    for path in feeds_of(plain_build):
        text = path.read_text(encoding="utf-8")
        assert "<?xml-stylesheet" not in text and "xhtml" not in text, path


def test_feed_readers_see_exactly_the_feed_they_saw_before(two_builds, plain_build):
    """The stylesheet and the notice are all that changes: take them out and
    the file is Pelican's, byte for byte; feedparser reads the same entries
    and the same feed fields, plus only the notice's own xhtml_* keys."""
    styled_feeds = feeds_of(two_builds / "first")
    assert [p.relative_to(two_builds / "first") for p in styled_feeds] == [
        p.relative_to(plain_build) for p in feeds_of(plain_build)
    ]
    for styled in styled_feeds:
        plain = plain_build / styled.relative_to(two_builds / "first")
        styled_text = styled.read_text(encoding="utf-8")
        assert len(ADDED_RE.findall(styled_text)) == 2, styled
        assert ADDED_RE.sub("", styled_text) == plain.read_text(encoding="utf-8"), styled
        before, after = parse(plain), parse(styled)
        assert after.entries == before.entries, styled
        assert after.version == before.version
        added = set(after.feed) - set(before.feed)
        assert added and all(key.startswith("xhtml_") for key in added), added
        assert {k: after.feed[k] for k in before.feed} == dict(before.feed), styled


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
    assert foreign in feeds_of(site / "output")
    for path in feeds_of(site / "output"):
        text = path.read_text(encoding="utf-8")
        assert text.count(CSS_DEV) == 1, path
        assert text.count("<xhtml:div ") == 1, path
        assert notice_of(path) is not None, path
    assert notice_of(foreign).findtext(f"{XHTML}title") == "Notes (web feed)"


# Text a writer might put in a title or a post: any character XML 1.0 allows
# (feedgenerator escapes markup but cannot escape a control character).
xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufffe\uffff"))
site_urls = st.sampled_from(["", "https://lantern.example.net", "https://lantern.example.net/chapter's \"site\" & co/",
                             "https://bücher.example"])  # fmt: skip


def write_feed(path, kind, title, entries):
    from feedgenerator import Atom1Feed, Rss201rev2Feed

    cls = Atom1Feed if kind == "atom" else Rss201rev2Feed
    feed = cls(title=title, link="https://lantern.example.net/", description="About the chapter",
               feed_url="https://lantern.example.net/feeds/x.xml")  # fmt: skip
    for number, (entry_title, body) in enumerate(entries):
        feed.add_item(title=entry_title, link=f"https://lantern.example.net/posts/{number}/", description=body,
                      content=body if kind == "atom" else None, unique_id=f"urn:x-post:{number}")  # fmt: skip
    with open(path, "w", encoding="utf-8") as handle:
        feed.write(handle, "utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["atom", "rss"]), title=xml_text, entries=st.lists(st.tuples(xml_text, xml_text), max_size=4),
       siteurl=site_urls)  # fmt: skip
def test_adding_the_stylesheet_keeps_any_feed_well_formed_and_its_entries_unchanged(
    tmp_path, kind, title, entries, siteurl
):
    path = tmp_path / f"{kind}.xml"
    write_feed(path, kind, title, entries)
    before = feedparser.parse(path.read_bytes())
    settings_ = {"SITEURL": siteurl}

    assert chapter_feeds.add_stylesheet(path, settings_)
    once = path.read_bytes()
    assert not chapter_feeds.add_stylesheet(path, settings_)  # idempotent
    assert path.read_bytes() == once
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed

    after = feedparser.parse(once)
    assert not after.bozo, after.get("bozo_exception")
    assert after.entries == before.entries
    assert after.feed.get("title") == before.feed.get("title")
    root = ET.fromstring(once)
    notice = notice_of(path)
    expected_title = " ".join(title.split())
    assert notice.findtext(f"{XHTML}title") == (f"{expected_title} (web feed)" if expected_title else "Web feed")
    assert notice.find(f"{XHTML}a").get("href") == siteurl.rstrip("/") + "/subscribe/"
    instruction = once.split(b"\n")[1].decode("ascii")
    assert instruction.startswith('<?xml-stylesheet type="text/css" href='), instruction
    assert ET.fromstring(f"<x {instruction[len('<?xml-stylesheet '):-2]}/>").get("href") == (
        siteurl.rstrip("/") + "/theme/css/feed.css"
    )
    assert root.tag in (f"{ATOM}feed", "rss")


def test_a_feed_in_another_encoding_gets_character_references(tmp_path):
    path = tmp_path / "notes.atom.xml"
    path.write_bytes(
        '<?xml version="1.0" encoding="iso-8859-1"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Caf\u00e9 notes</title><id>urn:x-notes</id><updated>2025-03-01T00:00:00Z</updated></feed>\n".encode("latin-1")
    )
    assert chapter_feeds.add_stylesheet(path, {"SITEURL": "https://b\u00fccher.example"})
    assert b"<title>Caf\xe9 notes</title>" in path.read_bytes()  # the file's own text stays as it was
    notice = notice_of(path)
    assert notice.findtext(f"{XHTML}title") == "Caf\u00e9 notes (web feed)"
    assert notice.find(f"{XHTML}a").get("href") == "https://b\u00fccher.example/subscribe/"
    assert feedparser.parse(path.read_bytes()).feed.title == "Caf\u00e9 notes"


def test_empty_setting_adds_nothing_and_other_documents_are_left_alone(tmp_path):
    feed = tmp_path / "all.atom.xml"
    write_feed(feed, "atom", "Millbrook Chapter", [("A post", "<p>Text</p>")])
    original = feed.read_bytes()
    assert not chapter_feeds.add_stylesheet(feed, {"CHAPTER_FEED_CSS": ""})
    assert feed.read_bytes() == original
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<?xml version="1.0"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"/>\n')
    assert not chapter_feeds.add_stylesheet(sitemap, {})
    # A feed that names its own stylesheet keeps it, and gets no notice.
    own = tmp_path / "own.rss.xml"
    own.write_text('<?xml version="1.0"?>\n<?xml-stylesheet type="text/css" href="mine.css"?>\n'
                   "<rss version=\"2.0\"><channel><title>T</title></channel></rss>\n")  # fmt: skip
    assert not chapter_feeds.add_stylesheet(own, {})
    assert "xhtml" not in own.read_text()


def test_published_feeds_use_absolute_urls(tmp_path):
    site = make_site(tmp_path / "site", FILES, base="publishconf")
    result = build(site, env={"SITEURL": SITEURL})
    assert result.returncode == 0, result.output

    for path in feeds_of(site / "output"):
        assert f'<?xml-stylesheet type="text/css" href="{SITEURL}/theme/css/feed.css"?>' in path.read_text(encoding="utf-8")
        assert notice_of(path).find(f"{XHTML}a").get("href") == f"{SITEURL}/subscribe/"
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
    assert (tmp_path / "out" / "theme" / "css" / "feed.css").is_file()
    assert not (tmp_path / "out" / "theme" / "feed.xsl").exists()
    for path in feeds:
        assert CSS_DEV in path.read_text(encoding="utf-8")
        assert notice_of(path) is not None, path
        for entry in parse(path).entries:
            assert entry.get("id") and entry.get("title") and entry.get("link"), path
            assert entry.get("published_parsed") and entry.get("author"), path
