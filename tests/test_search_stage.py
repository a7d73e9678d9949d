"""Search, stage 2 (plugins/search/stage.py) and the settings: pure functions,
checked with Hypothesis.

Each record becomes the one HTML file Pagefind reads. Whatever a title,
working group, chapter name or body holds, the file must give Pagefind
exactly the record's own fields, one address (the record's), and no
`data-pagefind-*` attribute but the stage's. The files are parsed here with
tinyhtml5 (a WHATWG HTML parser, in requirements.lock); Pagefind's own
tokenizer is a streaming one, so the one property about `<html>` tags is
checked on tokens (html.parser) as well, and tests/test_search_index.py runs
the real binary.
"""

from __future__ import annotations

import datetime
import io
import math
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tinyhtml5
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from i18n.catalogues import format_date_long, format_month, format_number, gettext_for
from search.errors import SearchSettingsError
from search.records import ISSUE, ITEM, KINDS, IssueRef, SearchRecord
from search.settings import DEFAULTS, SearchSettings
from search.stage import KIND_LABELS, bounded, fingerprint, record_html, stage_texts

REPO = Path(__file__).resolve().parents[1]
CONF = SearchSettings.from_pelican({
    "DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en", "es"], "I18N_CATALOGUES": str(REPO / "theme" / "translations"),
})
WORDS = {lang: gettext_for(CONF.languages, lang) for lang in CONF.languages.all}

# Pieces a hostile title, feed or post might hold, mixed with any text.
HOSTILE = [
    "<", ">", "&", "&amp;", "&lt;", "&#x27;", '"', "'", "=", "/",
    "\u202e", "\u202c", "\u2066", "\u2069", "\u200f", "\u061c", "\ufeff",
    'data-pagefind-meta="url"', "DATA-PAGEFIND-META='title'", 'data-pagefind-filter="kind:Statement"',
    "data-pagefind-body", "data-pagefind-ignore", "<i ", "<span data-pagefind-meta=\"url\">/elsewhere/</span>",
    '<b DATA-PAGEFIND-META="url">/elsewhere/</b>', "<p Data-Pagefind-Filter='kind:Post'>",
    "</main>", "<main data-pagefind-body>", "</div>", "<div hidden>", "<h1 data-pagefind-meta=\"title\">",
    "<script>", "</script>", "<style>", "<!--", "-->", "<![CDATA[", "<textarea>", "<title>", "<plaintext>",
    "<table>", "<svg>", "<math>", "<template>", "</body>", "</html>", '<html lang="fr">', "<HTML LANG=es>",
    '<body data-pagefind-body>', "<img src=x>",
]
# Any character a UTF-8 file can hold, except the two HTML's parser itself
# rewrites in text (CR becomes LF; NUL is dropped): a property of HTML, not
# of the stage. Pelican and the digest never hand either over.
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00")
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(ANY_CHAR, max_size=6)), max_size=8).map("".join)
months = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1990, 2100), st.integers(1, 12))
issue_refs = st.builds(IssueRef, month=months, number=st.integers(1, 10_000), name=hostile_text)
records = st.builds(
    SearchRecord,
    url=hostile_text,
    lang=st.sampled_from(CONF.languages.all),
    kind=st.sampled_from(KINDS),
    title=hostile_text,
    html=hostile_text,
    date=st.one_of(st.none(), st.dates(datetime.date(1900, 1, 1), datetime.date(2200, 12, 31))),
    group=hostile_text,
    source=hostile_text,
    issue=st.one_of(st.none(), issue_refs),
)


def parse(text: str):
    # A file object: tinyhtml5 reads a short str naming an existing file as that file.
    return tinyhtml5.parse(io.StringIO(text), namespace_html_elements=False)


def text_of(element) -> str:
    return "".join(element.itertext())


def pagefind_attributes(root) -> list[tuple[str, str, str]]:
    """(tag, attribute, value) of every data-pagefind-* attribute, in document order."""
    found = []
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.lower().startswith("data-pagefind-"):
                found.append((str(element.tag), name, value))
    return found


def expected_title(record: SearchRecord) -> str:
    if record.kind == ISSUE and record.issue is not None and record.lang != CONF.languages.default:
        return WORDS[record.lang].gettext("%(name)s | %(month)s (Issue %(number)s)") % {
            "name": record.issue.name, "month": format_month(record.issue.month, record.lang),
            "number": format_number(record.issue.number, record.lang)}
    return record.title


@settings(max_examples=300, deadline=None)
@given(records)
def test_a_hostile_record_gives_pagefind_exactly_its_own_fields(record):
    text = record_html(record, CONF, WORDS[record.lang])
    root = parse(text)
    assert root.get("lang") == record.lang

    hidden = root.find("body/div")
    assert hidden is not None and hidden.get("hidden") is not None
    meta = {span.get("data-pagefind-meta"): text_of(span) for span in hidden if span.get("data-pagefind-meta")}
    filters = {span.get("data-pagefind-filter"): text_of(span) for span in hidden if span.get("data-pagefind-filter")}
    kind = WORDS[record.lang].gettext(KIND_LABELS[record.kind])
    # Escaping round-trips: each span's text is the field, character for character.
    assert meta["url"] == "/" + record.url
    assert meta["kind"] == filters["kind"] == kind
    assert meta.get("group") == filters.get("group") == (record.group or None)
    assert meta.get("source") == (record.source or None)
    if record.date is None:
        assert "date" not in meta and "year" not in filters
    else:
        assert meta["date"] == format_date_long(record.date, record.lang)
        assert filters["year"] == str(record.date.year)
    assert ("issue" in meta) == (record.kind == ITEM and record.issue is not None)

    # The stage's own attributes are the only ones in the file: one address,
    # one title, and nothing from the body.
    h1 = [element for element in root.iter("h1") if element.get("data-pagefind-meta") == "title"]
    assert len(h1) == 1 and text_of(h1[0]) == expected_title(record)
    url_elements = [element for element in root.iter() if element.get("data-pagefind-meta") == "url"]
    assert len(url_elements) == 1 and text_of(url_elements[0]) == "/" + record.url
    ours = [("span", "data-pagefind-meta", name) for name in meta] \
        + [("span", "data-pagefind-filter", name) for name in filters] \
        + [("span", "data-pagefind-sort", "date"), ("main", "data-pagefind-body", ""), ("h1", "data-pagefind-meta", "title")]
    assert pagefind_attributes(root) == ours
    main = root.find("body/main")
    assert main is not None and main.get("data-pagefind-body") == ""
    for element in main.iter():
        if element is not main and element is not h1[0]:
            assert not any(name.lower().startswith("data-pagefind-") for name in element.attrib), element.tag


class _Tags(HTMLParser):
    """The start tags a streaming tokenizer sees (Pagefind reads the file as a token stream)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.html_tags: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag == "html":
            self.html_tags.append(dict(attrs))


@settings(max_examples=200, deadline=None)
@given(records)
def test_the_body_cannot_declare_another_language(record):
    # Pagefind puts a file into the index of the `lang` of the <html> start
    # tags it meets, the body's too (tests/test_search_index.py shows it with
    # the binary): the record's own must be the only one.
    tokens = _Tags()
    tokens.feed(record_html(record, CONF, WORDS[record.lang]))
    tokens.close()
    assert tokens.html_tags == [{"lang": record.lang}]


@example("<<<", 2)  # two "<" and no ">": the cut must not stop after the first
@example('<p>x <b title="a<i">y</b></p>', 18)  # a "<" inside an attribute value
@given(st.text(st.sampled_from("ab <>/=\"'&"), max_size=60), st.integers(0, 80))
def test_bounded_cuts_before_a_tag_never_inside_one(body, limit):
    """The property, exactly: `bounded(body, limit)` is a prefix of `body`; it
    is `body` itself when that fits; otherwise it is at most `limit` long and
    holds no "<" after its last ">" (no tag left open; "<" and ">" read as tag
    delimiters, which is all a cut on characters can know), and it is the
    longest such prefix of body[:limit]."""
    cut = bounded(body, limit)
    assert body.startswith(cut)
    if len(body) <= limit:
        assert cut == body
        return
    assert len(cut) <= limit
    assert "<" not in cut[cut.rfind(">") + 1:]
    # No more is dropped than that needs: the cut is at the limit, or at the
    # "<" that opens the tag the limit fell inside.
    if len(cut) < limit:
        assert body[len(cut)] == "<" and ">" not in body[len(cut):limit]


def test_bounded_examples():
    assert bounded("<p>words</p>", 100) == "<p>words</p>"
    assert bounded("<p>words</p><p>more</p>", 14) == "<p>words</p>"
    assert bounded("<p>words</p><p>more</p>", 15) == "<p>words</p><p>"
    assert bounded("a <a href='x'>link</a>", 8) == "a "
    assert bounded('<p>x <b title="a<i">y</b></p>', 18) == "<p>x "


@settings(max_examples=100, deadline=None)
@given(st.lists(records, max_size=4))
def test_equal_records_give_equal_fingerprints(batch):
    copies = [replace(record) for record in batch]
    assert fingerprint(stage_texts(batch, CONF)) == fingerprint(stage_texts(copies, CONF))


def _changed(record: SearchRecord, field: str, data) -> SearchRecord | None:
    """`record` with `field` changed to another value the stage shows; None when it shows none."""
    shown_issue = record.kind == ITEM or (record.kind == ISSUE and record.lang != CONF.languages.default)
    if field == "lang":
        return replace(record, lang=next(lang for lang in CONF.languages.all if lang != record.lang))
    if field == "kind":
        return replace(record, kind=data.draw(st.sampled_from([kind for kind in KINDS if kind != record.kind])))
    if field == "date":
        other = data.draw(st.one_of(st.none(), st.dates(datetime.date(1900, 1, 1), datetime.date(2200, 12, 31))))
        assume(other != record.date)
        return replace(record, date=other)
    if field == "title" and record.kind == ISSUE and record.lang != CONF.languages.default and record.issue:
        return None  # that title is made from the issue's name, month and number
    if field in ("issue.number", "issue.month", "issue.name"):
        if record.issue is None or not shown_issue or (field == "issue.name" and record.kind == ITEM):
            return None
        name = field.split(".")[1]
        other = data.draw({"number": st.integers(1, 10_000), "month": months, "name": hostile_text}[name])
        assume(other != getattr(record.issue, name))
        return replace(record, issue=replace(record.issue, **{name: other}))
    other = data.draw(hostile_text)
    assume(other != getattr(record, field))
    if field == "html":
        # The stage renames the body's data-pagefind- attributes on purpose: two
        # bodies equal but for that are one indexed text.
        same = lambda text: re.sub("data-pagefind-", "data-x-", text, flags=re.IGNORECASE)  # noqa: E731
        assume(same(other) != same(record.html))
    return replace(record, **{field: other})


@settings(max_examples=300, deadline=None)
@given(records, st.sampled_from(["url", "lang", "kind", "title", "html", "date", "group", "source",
                                 "issue.number", "issue.month", "issue.name"]), st.data())
def test_changing_a_field_the_index_shows_changes_the_fingerprint(record, field, data):
    other = _changed(record, field, data)
    assume(other is not None)
    assert fingerprint(stage_texts([record], CONF)) != fingerprint(stage_texts([other], CONF))


def test_fingerprint_sees_order_and_count():
    one = SearchRecord(url="posts/a/", lang="en", kind="post", title="A", html="<p>a</p>")
    two = replace(one, url="posts/b/", title="B")
    texts = stage_texts([one, two], CONF)
    assert fingerprint(texts) != fingerprint(texts[::-1])
    assert fingerprint(texts) != fingerprint(texts[:1])
    assert fingerprint([]) != fingerprint([""])


# --- settings -----------------------------------------------------------------------------

BASE = {"DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en"]}


@pytest.mark.parametrize(("name", "value"), [
    ("SEARCH_ENABLED", "yes"),
    ("SEARCH_ENABLED", 1),
    ("SEARCH_ENABLED", 0),
    ("SEARCH_IN_BACKGROUND", "no"),
    ("SEARCH_IN_BACKGROUND", 1),
    ("SEARCH_BUNDLE", "../x"),
    ("SEARCH_BUNDLE", "a/../b"),
    ("SEARCH_BUNDLE", ""),
    ("SEARCH_BUNDLE", "/"),
    ("SEARCH_BUNDLE", "."),
    ("SEARCH_BUNDLE", ".pagefind"),
    ("SEARCH_BUNDLE", "a//b"),
    ("SEARCH_BUNDLE", 5),
    ("SEARCH_BUNDLE", ["pagefind"]),
    ("SEARCH_MAX_RECORD_CHARS", 999),
    ("SEARCH_MAX_RECORD_CHARS", -1),
    ("SEARCH_MAX_RECORD_CHARS", True),
    ("SEARCH_MAX_RECORD_CHARS", "5000"),
    ("SEARCH_MAX_RECORD_CHARS", 5000.0),
    ("SEARCH_TIMEOUT", 0),
    ("SEARCH_TIMEOUT", -5),
    ("SEARCH_TIMEOUT", True),
    ("SEARCH_TIMEOUT", "300"),
    # Both crash the build with a traceback when Pagefind is run (subprocess
    # cannot wait NaN or infinitely many seconds).
    ("SEARCH_TIMEOUT", math.nan),
    ("SEARCH_TIMEOUT", math.inf),
])
def test_a_bad_setting_is_refused_by_name(name, value):
    with pytest.raises(SearchSettingsError) as raised:
        SearchSettings.from_pelican({**BASE, name: value})
    message = str(raised.value)
    assert message.startswith(name + " ") and "\n" not in message
    assert repr(value) in message


def test_good_settings_are_read():
    assert set(DEFAULTS) == {"SEARCH_ENABLED", "SEARCH_BUNDLE", "SEARCH_MAX_RECORD_CHARS", "SEARCH_TIMEOUT",
                             "SEARCH_IN_BACKGROUND"}
    default = SearchSettings.from_pelican(BASE)
    assert (default.enabled, default.bundle, default.max_record_chars, default.timeout, default.in_background) == \
        (True, "pagefind", 100_000, 300.0, False)
    chosen = SearchSettings.from_pelican({**BASE, "SEARCH_ENABLED": False, "SEARCH_BUNDLE": "/assets/find/",
                                          "SEARCH_MAX_RECORD_CHARS": 1000, "SEARCH_TIMEOUT": 0.5,
                                          "SEARCH_IN_BACKGROUND": True, "SITEURL": "https://millbrook.example.org/"})
    assert (chosen.enabled, chosen.bundle, chosen.max_record_chars, chosen.timeout, chosen.in_background,
            chosen.siteurl) == (False, "assets/find", 1000, 0.5, True, "https://millbrook.example.org")
