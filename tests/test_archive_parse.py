"""parse_feed on hostile or odd documents (no network needed for these)."""

from __future__ import annotations

from pathlib import Path

from digest.parse import parse_feed, plain_text

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def test_entities_neither_expanded_nor_resolved():
    body = (FEEDS / "entities.xml").read_bytes()
    parsed = parse_feed(body, url="https://hostile.example.net/feed")
    titles = {e.title for e in parsed.entries}
    assert "Plain Item" in titles
    laughs = next(e for e in parsed.entries if e.link.endswith("/laughs"))
    assert len(laughs.title) < 100  # no billion laughs
    assert "aaaa" not in laughs.title
    secret = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else "no-such-secret"
    for entry in parsed.entries:
        assert secret not in (entry.summary_html or "")  # no external entity fetched


def test_body_is_never_taken_for_a_file_name(tmp_path):
    # feedparser.parse(bytes) would open a local file named by the bytes.
    local = tmp_path / "local.xml"
    local.write_bytes((FEEDS / "wordpress.xml").read_bytes())
    parsed = parse_feed(str(local).encode(), url="https://hostile.example.net/feed")
    assert parsed.entries == [] and parsed.error


def test_titles_are_plain_text_and_links_http_only():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>&lt;script&gt;alert(1)&lt;/script&gt;Clean &lt;b&gt;title&lt;/b&gt; &amp;amp; more</title>
    <link>javascript:alert(1)</link><guid>x1</guid></item></channel></rss>"""
    (entry,) = parse_feed(body, url="https://example.org/feed").entries
    assert entry.title == "Clean title & more"
    assert entry.link is None
    assert plain_text("  two\n  lines ") == "two lines"


def test_not_a_feed_at_all():
    parsed = parse_feed(b"just some text, no markup", url="https://example.org/feed", content_type="text/plain")
    assert parsed.entries == [] and "not a feed" in parsed.error


def test_html_page_without_feed_link():
    page = b"<!doctype html><html><head><title>Home</title></head><body>Hi</body></html>"
    parsed = parse_feed(page, url="https://example.org/", content_type="text/html")
    assert parsed.feed_found is None and "names no feed" in parsed.error
