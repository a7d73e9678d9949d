"""parse_feed's fast path (issue 14, fetch start-up): a document that declares
no base of its own is read without handing feedparser its address as base,
which saves a quarter of feedparser's time. Stored entries must not change:
every feed reads exactly as it does with the base, fixtures and generated
feeds alike, and a feed that declares a base still gets it."""

from __future__ import annotations

import xml.sax.saxutils
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from digest import parse
from digest.parse import parse_feed

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".xml", ".atom", ".rss", ".html") and p.is_file())
URL = "https://millbrook.example.org/chapters/feed/"


def with_base_always(body: bytes, url: str = URL, content_type: str = "application/rss+xml"):
    """The reading parse_feed gave before the fast path: the address is always the base."""
    with patch.object(parse, "_declares_base", lambda _body: True):
        return parse_feed(body, url=url, content_type=content_type)


def test_the_corpus_is_there():
    names = {p.name for p in CORPUS}
    assert {"wordpress.xml", "atom-xmlbase.xml", "duplicate-guids.xml"} <= names


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_reads_the_same_with_or_without_the_base(path):
    body = path.read_bytes()
    assert parse_feed(body, url=URL, content_type="application/rss+xml") == with_base_always(body)


def test_a_plain_wordpress_feed_takes_the_fast_path():
    body = (FIXTURES / "feeds" / "wordpress.xml").read_bytes()
    assert not parse._declares_base(body)
    calls = []
    real = parse._feedparser

    def counting(*args, **kwargs):
        calls.append(kwargs["with_base"])
        return real(*args, **kwargs)

    with patch.object(parse, "_feedparser", counting):
        parse_feed(body, url=URL, content_type="application/rss+xml")
    assert calls == [False]


@pytest.mark.parametrize("declaration", [
    b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://elsewhere.example.org/">',
    b'<feed xmlns="http://www.w3.org/2005/Atom" XML:BASE = "https://elsewhere.example.org/">',
    b'<!DOCTYPE feed [<!ATTLIST feed xml:base CDATA "https://elsewhere.example.org/">]>',
])
def test_a_document_declaring_a_base_is_read_with_the_address_as_base(declaration):
    assert parse._declares_base(b'<?xml version="1.0"?>' + declaration)


def test_utf16_documents_always_take_the_base():
    body = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"></rss>'.encode("utf-16")
    assert parse._declares_base(body)


def test_a_relative_guid_is_resolved_as_before_and_a_non_permalink_one_kept():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://a.example.org/</link>
<item><title>one</title><guid>posts/1</guid></item>
<item><title>two</title><guid isPermaLink="false">posts/2</guid></item>
</channel></rss>"""
    fast = parse_feed(body, url=URL, content_type="application/rss+xml")
    assert fast == with_base_always(body)
    keys = [entry.guid for entry in fast.entries]
    assert keys == [URL + "posts/1", "posts/2"]


# --- Generated feeds ----------------------------------------------------------

REFERENCES = st.one_of(
    st.sampled_from(["", "post/1", "/post/2", "../up", "?p=3", "#frag", "//other.example.org/x",
                     "https://a.example.org/p/4", "http:relative", "https:", "tag:a.example.org,2025:5",
                     "urn:uuid:1234", "mailto:someone@example.org", "javascript:alert(1)", " post/ws ",
                     "http://[::1", "HTTPS://A.EXAMPLE.ORG/Up", "https:///three-slashes", "p 6"]),
    st.text(alphabet=st.sampled_from(list("ab/.:?#%[]@ -")), max_size=12),
)
PERMALINK = st.sampled_from([None, "true", "false", "FALSE", "yes"])


def _attr(value: str) -> str:
    return xml.sax.saxutils.quoteattr(value)


def _text(value: str) -> str:
    return xml.sax.saxutils.escape(value)


@st.composite
def rss_items(draw):
    parts = [f"<title>{_text(draw(st.text(max_size=10)))}</title>"]
    guid = draw(st.none() | REFERENCES)
    if guid is not None:
        permalink = draw(PERMALINK)
        attribute = f" isPermaLink={_attr(permalink)}" if permalink is not None else ""
        parts.append(f"<guid{attribute}>{_text(guid)}</guid>")
    link = draw(st.none() | REFERENCES)
    if link is not None:
        parts.append(f"<link>{_text(link)}</link>")
    enclosure = draw(st.none() | REFERENCES)
    if enclosure is not None:
        parts.append(f"<enclosure url={_attr(enclosure)} type=\"image/png\" length=\"3\"/>")
    if draw(st.booleans()):
        parts.append(f"<media:content url={_attr(draw(REFERENCES))} medium=\"image\"/>")
    if draw(st.booleans()):
        href = draw(REFERENCES)
        parts.append(f"<description>{_text(f'<p><a href={_attr(href)}>x</a></p>')}</description>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def atom_entries(draw):
    parts = [f"<title>{_text(draw(st.text(max_size=10)))}</title>"]
    entry_id = draw(st.none() | REFERENCES)
    if entry_id is not None:
        parts.append(f"<id>{_text(entry_id)}</id>")
    for rel in draw(st.lists(st.sampled_from(["alternate", "enclosure", "related"]), max_size=3)):
        parts.append(f"<link rel=\"{rel}\" href={_attr(draw(REFERENCES))}/>")
    if draw(st.booleans()):
        parts.append(f"<content type=\"html\">{_text(f'<img src={_attr(draw(REFERENCES))}>')}</content>")
    return "<entry>" + "".join(parts) + "</entry>"


@st.composite
def feeds(draw) -> bytes:
    if draw(st.booleans()):
        items = "".join(draw(st.lists(rss_items(), max_size=4)))
        document = f'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title><link>{_text(draw(REFERENCES))}</link>{items}</channel></rss>'
    else:
        entries = "".join(draw(st.lists(atom_entries(), max_size=4)))
        document = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'
    return ('<?xml version="1.0" encoding="utf-8"?>' + document).encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds(), st.sampled_from([URL, "http://127.0.0.1:8080/feed", "https://b.example.org/a/b/c?x=1"]))
def test_generated_feeds_read_the_same_with_or_without_the_base(body, url):
    assert parse_feed(body, url=url, content_type="application/rss+xml") == with_base_always(body, url)
