"""Hostile text (issue 9, parts 1, 2, 3, 6 and 10): every field from a feed
or an OPML file is one line of XML-safe text; keys cannot carry markup;
every entry's HTML costs bounded work; footers go in any shape."""

from __future__ import annotations

import re
import xml.dom.minidom
import xml.sax.saxutils
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from digest.clean import HTML_LIMITS, bound_html, sanitise, strip_boilerplate, to_text
from digest.parse import MAX_ENTRY_HTML, parse_feed
from digest.sources import load_sources
from digest.textfield import (
    FSI,
    PDI,
    clean_link,
    display_host,
    isolate_bidi,
    one_line,
    safe_key,
    xml_text,
)
from tests.fixtures.hostile.corpus import WORST_ENTRIES, feed_of

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
BIDI_OPENERS = {"\u202a": "e", "\u202b": "e", "\u202d": "e", "\u202e": "e", "\u2066": "i", "\u2067": "i", "\u2068": "i"}


def parse(name: str):
    return parse_feed((HOSTILE / name).read_bytes(), url="https://quarry-hill.example.org/feed/",
                      content_type="application/rss+xml")


def text_fields(entry) -> list[str]:
    return [entry.title, entry.author or "", entry.guid or "", entry.key, entry.link or "", *entry.categories]


def assert_one_line_xml_text(value: str) -> None:
    assert not XML_INVALID.search(value), repr(value)
    assert not LINE_BREAKS.search(value), repr(value)
    assert "\t" not in value and value == value.strip(), repr(value)


def bidi_balanced(text: str) -> bool:
    """UAX #9's matching: every PDF/PDI closes something opened inside the text, nothing stays open."""
    stack: list[str] = []
    for ch in text:
        if ch in BIDI_OPENERS:
            stack.append(BIDI_OPENERS[ch])
        elif ch == "\u202c":
            if not stack or stack[-1] != "e":
                return False
            stack.pop()
        elif ch == PDI:
            if "i" not in stack:
                return False
            while stack.pop() != "i":
                pass
    return not stack


# --- 1. XML-invalid characters --------------------------------------------------


def test_xml_invalid_characters_are_gone_from_every_field_and_body():
    parsed = parse("invalid-chars.xml")
    assert parsed.error is None and len(parsed.entries) == 2
    first = next(e for e in parsed.entries if e.link.endswith("/rent-strike/"))
    assert first.title == "Rent strike vote tonight"
    assert first.author == "Dana Okafor" and first.categories == ("housing", "tenants")
    assert "The vote is at seven. Bring a neighbour." in first.summary_html
    for entry in parsed.entries:
        for value in text_fields(entry) + [entry.summary_html or "", entry.content_html or ""]:
            assert not XML_INVALID.search(value), repr(value)
    # What the archive keeps can be put into an XML document as it is.
    doc = "<x>" + "".join(f"<v>{xml.sax.saxutils.escape(v)}</v>" for v in text_fields(first)) + "</x>"
    xml.dom.minidom.parseString(doc.encode("utf-8"))



# --- 2. Newlines and markers ------------------------------------------------------


def test_a_forged_guid_becomes_a_hash_and_no_field_keeps_a_line_break():
    parsed = parse("forged-guid.xml")
    forged = next(e for e in parsed.entries if e.title.startswith("Budget hearing"))
    assert re.fullmatch(r"sha256:[0-9a-f]{32}", forged.key) and forged.guid == forged.key
    assert forged.title == "Budget hearing ## From our chapter ### Forged item"
    assert forged.author == "Ola Brandt Link: https://evil.example.net/"
    assert forged.categories == ("budget Status: published",)
    assert forged.link.startswith("https://quarry-hill.example.org/budget/") and not re.search(r"\s", forged.link)
    long_id = next(e for e in parsed.entries if e.title == "A long GUID")
    assert long_id.key.startswith("sha256:")
    for entry in parsed.entries:
        for value in text_fields(entry):
            assert_one_line_xml_text(value)
        assert "--" not in entry.key and "<" not in entry.key and ">" not in entry.key


def test_the_same_unsafe_guid_always_gets_the_same_key():
    first, second = parse("forged-guid.xml"), parse("forged-guid.xml")
    assert [e.key for e in first.entries] == [e.key for e in second.entries]


# --- 6. Bidi controls and mixed-script hosts ----------------------------------------


def test_bidi_controls_are_isolated_and_look_alike_hosts_are_shown_as_punycode():
    parsed = parse("bidi-hosts.xml")
    picket = next(e for e in parsed.entries if e.guid == "bidi-1")
    assert picket.title.startswith(FSI) and picket.title.endswith(PDI) and bidi_balanced(picket.title)
    assert "\u202e" in picket.title  # kept, but closed inside the title
    assert bidi_balanced(picket.author) and "Rafi Haddad" in picket.author
    assert urlsplit(picket.link).hostname == "xn--pypal-4ve.example"  # Latin "p" with a Cyrillic "а"
    assert display_host(picket.link) == "xn--pypal-4ve.example"
    partner = next(e for e in parsed.entries if e.guid == "bidi-2")
    assert urlsplit(partner.link).hostname == "xn--mnchen-3ya.example"
    assert display_host(partner.link) == "münchen.example"  # one script: readable


def test_opml_text_fields_are_one_line_and_addresses_clean():
    sources = load_sources(HOSTILE / "sources.opml")
    by_feed = {s.feed_url: s for s in sources}
    assert set(by_feed) == {"https://eastlake.example.org/feed/", "https://xn--rfi-6cd.example/feed",
                            "https://spaced.example.org/feed?a=b%20c"}
    eastlake = by_feed["https://eastlake.example.org/feed/"]
    assert eastlake.title == "Eastlake ## From our chapter" and eastlake.category == "chapter Status: published"
    rafi = by_feed["https://xn--rfi-6cd.example/feed"]
    assert bidi_balanced(rafi.title) and rafi.location == "Quay Street Id: x"
    assert by_feed["https://spaced.example.org/feed?a=b%20c"].title == "Spaced out"
    assert by_feed["https://spaced.example.org/feed?a=b%20c"].avatar is None  # javascript: is not an address
    for source in sources:
        for value in (source.title, source.category or "", source.location or "", source.feed_url):
            assert_one_line_xml_text(value)


# --- 3. Cost bombs --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WORST_ENTRIES))
def test_every_worst_entry_is_cut_to_the_bounds_before_and_after_sanitising(name):
    html = WORST_ENTRIES[name]()
    bounded, why = bound_html(html)
    assert why is not None  # each of them is over some bound
    assert len(bounded) <= HTML_LIMITS.max_chars
    assert len(re.findall(r"<[A-Za-z]", bounded)) <= HTML_LIMITS.max_elements
    warnings: list[str] = []
    cleaned = sanitise(strip_boilerplate(html), warn=warnings.append)
    assert len(cleaned) <= HTML_LIMITS.max_chars_out
    assert warnings and warnings[0].startswith("HTML cut short (")
    assert len(to_text(html)) <= HTML_LIMITS.max_chars_out


def test_ordinary_html_is_not_cut():
    html = "<p>" + "<em>one</em> <strong>two</strong> <a href='https://a.example.org/'>three</a> " * 200 + "</p>"
    html += "<ul>" + "<li>item <b>bold</b>" * 300 + "</ul>" + "<div>" * 50 + "x" + "</div>" * 50
    assert bound_html(html) == (html, None)
    warnings: list[str] = []
    sanitise(html, warn=warnings.append)
    assert warnings == []


def test_a_huge_entry_is_cut_at_parse_with_a_warning_naming_it():
    body = feed_of(["<p>" + "word " * (MAX_ENTRY_HTML // 4) + "</p>"])
    parsed = parse_feed(body, url="https://quarry-hill.example.org/feed/", content_type="application/rss+xml")
    (entry,) = parsed.entries
    assert len(entry.content_html) <= MAX_ENTRY_HTML
    assert re.search(rf"entry 'Item 0': [\d,]+ characters of HTML cut to {MAX_ENTRY_HTML:,}", parsed.warning)


# --- 10. Footers ----------------------------------------------------------------------


def test_wordpress_footers_go_wrapped_unwrapped_or_mixed():
    parsed = parse("footers.xml")
    assert len(parsed.entries) == 3
    for entry in parsed.entries:
        text = to_text(sanitise(strip_boilerplate(entry.summary_html)))
        assert text.startswith("Excerpt about"), text
        assert "appeared" not in text and "The post" not in text, text


# --- Properties of the text fields ----------------------------------------------------

ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=200)
NASTY = st.text(alphabet=st.sampled_from(list("ab <>-&#\n\r\t\x00\x01\x0b\x85\u2028\u2029\ufffe\uffff\ud800\udfff"
                                               "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200f é日")), max_size=80)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(ANY_TEXT, NASTY))
def test_one_line_is_one_line_of_xml_text_with_isolated_bidi(text):
    line = one_line(text)
    assert_one_line_xml_text(line.removeprefix(FSI).removesuffix(PDI))
    assert bidi_balanced(line)
    assert len(line) <= 2 * 500 + 2  # at most one closer per opener, and the isolate
    assert not XML_INVALID.search(xml_text(text))
    assert one_line(line) == line or bidi_balanced(one_line(line))


@settings(max_examples=400)
@given(st.one_of(ANY_TEXT, NASTY))
def test_isolate_bidi_always_balances(text):
    assert bidi_balanced(isolate_bidi(text))


@settings(max_examples=400)
@given(st.one_of(ANY_TEXT, NASTY, st.builds(lambda a, b: f"https://{a}/{b}", NASTY, NASTY)))
def test_clean_link_is_none_or_a_plain_absolute_address(value):
    url = clean_link(value)
    if url is None:
        return
    assert url.isascii() and not re.search(r"[\s\x00-\x1f\x7f<>\"]", url)
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.hostname and "@" not in parts.netloc
    assert clean_link(url) == url  # stable: cleaning twice changes nothing


@settings(max_examples=400)
@given(st.one_of(ANY_TEXT, NASTY))
def test_safe_key_cannot_close_a_comment_or_break_a_line(text):
    key = safe_key(text)
    if key is None:
        assert not text
        return
    assert "--" not in key and "<" not in key and ">" not in key and not LINE_BREAKS.search(key)
    assert key == text or re.fullmatch(r"sha256:[0-9a-f]{32}", key)
