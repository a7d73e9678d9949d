"""The digest's data path knows languages (issue #12): a feed's declared
language is parsed (untrusted: a BCP 47 tag's shape or nothing), archived
(schema 2, migrated in place from 1), composed into the item's `Lang:` field,
and read into `DigestItem.lang`; the editor's `<!-- digest:intro LANG -->`
sections survive every read, write and recompose byte for byte and become
`DigestIssue.intros`.

Real parts throughout: feeds served on loopback and fetched by the real
fetcher into a real SQLite file, the real `invoke digest` writing a real
issue file.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import archive as archive_module
from digest.archive import SCHEMA_VERSION, Archive
from digest.errors import IssueFileError
from digest.format import format_item
from digest.issue import read_issue
from digest.issuefile import parse_issue_text, read_issue_doc
from digest.merge import ComposedPart, merge
from digest.models import ComposedItem, FeedEntry
from digest.parse import parse_feed
from digest.select import other_language
from digest.textfield import MAX_LANGUAGE_TAG, language_tag
from tests.feedserver import FeedServer
from test_digest_support import Site, fetch, rss, source, utc

HEADER = {"Title": "The Lantern | March 2025 (Issue 4)", "Date": "2025-04-01 09:00", "Issue": "4",
          "Month": "2025-03", "Status": "draft"}
HEADER_TEXT = "".join(f"{key}: {value}\n" for key, value in HEADER.items())


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


# --- The tag itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("declared, tag", [
    ("es", "es"),
    ("EN-us", "en-US"),
    ("pt_br", "pt-BR"),
    ("  es\n", "es"),
    ("zh-hant-tw", "zh-Hant-TW"),
    ("es-419", "es-419"),
    ("sgn-BE-FR", "sgn-BE-FR"),
    ("en-US-x-Lantern", "en-US-x-lantern"),
    ("und", None),  # "undetermined" says nothing
    ("x-klingon", None),
    ("e", None),
    ("english", None),
    ("en--US", None),
    ("en-", None),
    ("es-abcdefghi", None),
    ("../../etc/passwd", None),
    ("<script>alert(1)</script>", None),
    ("es\u202e", None),
    ("es\x00", None),
    ("en-US, es", None),
    ("es" + "-abc" * 20, None),
    ("", None),
    (None, None),
])
def test_a_declared_language_becomes_a_tag_or_nothing(declared, tag):
    assert language_tag(declared) == tag


TAG_SHAPE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


@given(st.text(max_size=60))
def test_whatever_a_feed_declares_the_tag_is_short_plain_and_stable(declared):
    tag = language_tag(declared)
    if tag is not None:
        assert TAG_SHAPE.fullmatch(tag) and len(tag) <= MAX_LANGUAGE_TAG
        assert language_tag(tag) == tag  # normalising twice changes nothing


subtag = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=8)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=3),
       st.lists(subtag, max_size=3))
def test_a_well_formed_tag_keeps_its_subtags_and_gets_the_usual_case(language, rest):
    declared = "-".join([language, *rest])
    tag = language_tag(declared)
    if len(declared) > MAX_LANGUAGE_TAG or language.lower() == "und":
        assert tag is None
        return
    assert tag is not None and tag.lower() == declared.lower()
    first, *others = tag.split("-")
    assert first == language.lower()
    for part in others:
        if part.isalpha() and len(part) == 2:
            assert part.isupper()  # a region
        elif part.isalpha() and len(part) == 4:
            assert part == part.title()  # a script
        else:
            assert part == part.lower()


def test_the_default_language_in_any_region_writes_no_lang_field():
    assert other_language("en-US", "en") is None
    assert other_language("EN", "en") is None
    assert other_language(None, "en") is None
    assert other_language("../", "en") is None
    assert other_language("es-mx", "en") == "es-MX"
    assert other_language("en-GB", "es") == "en-GB"


# --- Parsing and archiving what feeds declare -------------------------------------------------------

SPANISH_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Capítulo de Puerto Claro</title><link>https://puerto-claro.example.org/</link>
<description>Noticias del capítulo</description><language>es</language>
<item><title>Asamblea de inquilinos en la calle Alder</title><link>https://puerto-claro.example.org/asamblea/</link>
<guid isPermaLink="false">pc-asamblea</guid><pubDate>Wed, 05 Mar 2025 18:00:00 GMT</pubDate>
<description>Nos juntamos para hablar de las rentas.</description></item>
<item><title>Relato de uma vizinha</title><link>https://puerto-claro.example.org/relato/</link>
<guid isPermaLink="false">pc-relato</guid><pubDate>Thu, 06 Mar 2025 18:00:00 GMT</pubDate>
<dc:language>pt_BR</dc:language><description>Uma vizinha conta como foi.</description></item>
</channel></rss>"""

ATOM_XML_LANG = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="es">
<title>Grupo de la Ribera</title><id>urn:ribera</id><updated>2025-03-07T12:00:00Z</updated>
<link href="https://ribera.example.org/"/>
<entry><id>urn:ribera:1</id><title>Comedor popular los sábados</title><updated>2025-03-07T12:00:00Z</updated>
<link href="https://ribera.example.org/comedor/"/><summary>Cada sábado servimos comida.</summary></entry>
<entry xml:lang="en"><id>urn:ribera:2</id><title>Saturday kitchen, in English</title>
<updated>2025-03-08T12:00:00Z</updated><link href="https://ribera.example.org/kitchen/"/>
<summary>Every Saturday we serve food.</summary></entry>
<entry><id>urn:ribera:3</id><title>Nota bilingüe</title><updated>2025-03-09T12:00:00Z</updated>
<link href="https://ribera.example.org/nota/"/><summary>Resumen.</summary>
<content type="html" xml:lang="pt-br">&lt;p&gt;Texto em português.&lt;/p&gt;</content></entry>
<entry xml:lang="../../secrets"><id>urn:ribera:4</id><title>Un xml:lang hostil</title>
<updated>2025-03-10T12:00:00Z</updated><link href="https://ribera.example.org/hostil/"/>
<summary>La entrada miente; vale el idioma del canal.</summary></entry>
</feed>"""

HOSTILE_LANGUAGES = [
    "a" * 5000,
    "es-" + "x" * 400,
    "../../etc/passwd",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "javascript:alert(1)",
    "es\u2028en",
    "e\u0085s",
    "\u202ees",
    "e s",
    "en-US; DROP TABLE entries",
    "und",
    "x-private",
    "1234",
    "",
]


def feed_with_language(language: str, n: int) -> bytes:
    return (f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>
<title>Chapter {n}</title><link>https://chapter-{n}.example.org/</link><description>d</description>
<language>{language}</language>
<item><title>Post {n}</title><link>https://chapter-{n}.example.org/p/</link><guid isPermaLink="false">c{n}</guid>
<pubDate>Wed, 05 Mar 2025 18:00:00 GMT</pubDate><description>Words.</description></item>
</channel></rss>""").encode("utf-8")


def test_languages_declared_by_feeds_reach_the_archive(tmp_path, server):
    server.route("/es.xml", body=SPANISH_RSS.encode("utf-8"))
    server.route("/ribera.xml", body=ATOM_XML_LANG.encode("utf-8"), content_type="application/atom+xml")
    server.route("/us.xml", body=SPANISH_RSS.replace("<language>es</language>", "<language>EN-us</language>")
                 .replace("pc-", "us-").encode("utf-8"))
    sources = [source(server, "/es.xml", "Puerto Claro", "https://puerto-claro.example.org/"),
               source(server, "/ribera.xml", "Ribera", "https://ribera.example.org/"),
               source(server, "/us.xml", "Harbor City", "https://harbor-city.example.org/")]
    path = tmp_path / "archive.sqlite"
    assert [r.outcome for r in fetch(path, sources)] == ["fetched"] * 3
    with Archive(path) as archive:
        spanish = {e.key: e.lang for e in archive.entries_for(sources[0].feed_url)}
        ribera = {e.title: e.lang for e in archive.entries_for(sources[1].feed_url)}
        american = {e.key: e.lang for e in archive.entries_for(sources[2].feed_url)}
    assert spanish == {"pc-asamblea": "es", "pc-relato": "pt-BR"}  # the item's own dc:language wins
    assert ribera == {"Comedor popular los sábados": "es", "Saturday kitchen, in English": "en",
                      "Nota bilingüe": "pt-BR",  # the content's xml:lang: the text compose uses
                      "Un xml:lang hostil": "es"}  # a bogus entry language falls back to the feed's
    assert american == {"us-asamblea": "en-US", "us-relato": "pt-BR"}


def test_hostile_declared_languages_are_stored_as_no_language(tmp_path, server):
    sources = []
    for n, language in enumerate(HOSTILE_LANGUAGES):
        server.route(f"/h{n}.xml", body=feed_with_language(language, n))
        sources.append(source(server, f"/h{n}.xml", f"Chapter {n}", f"https://chapter-{n}.example.org/"))
    path = tmp_path / "archive.sqlite"
    results = fetch(path, sources)
    assert [r.outcome for r in results] == ["fetched"] * len(HOSTILE_LANGUAGES)
    stored = sqlite3.connect(path).execute("SELECT feed_url, lang FROM entries").fetchall()
    assert len(stored) == len(HOSTILE_LANGUAGES)
    assert [lang for _, lang in stored] == [None] * len(HOSTILE_LANGUAGES)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
@settings(max_examples=60, deadline=None)
def test_any_declared_language_parses_to_a_tag_or_nothing(declared):
    from xml.sax.saxutils import escape

    body = feed_with_language(escape(declared), 1)
    entries = parse_feed(body, url="https://chapter-1.example.org/feed").entries
    assert len(entries) == 1
    for entry in entries:
        assert entry.lang is None or (TAG_SHAPE.fullmatch(entry.lang) and len(entry.lang) <= MAX_LANGUAGE_TAG)


def v1_archive(path, entries: list[FeedEntry], feed_url: str) -> None:
    """An archive as the code before languages wrote it: schema version 1, no lang column."""
    db = sqlite3.connect(path)
    for statement in archive_module._split_sql(archive_module.MIGRATIONS[0]):
        db.execute(statement)
    db.execute("INSERT INTO sources (feed_url, title, last_success, last_attempt, last_status) "
               "VALUES (?, 'Puerto Claro', '2025-03-10T00:00:00.000000Z', '2025-03-10T00:00:00.000000Z', 200)",
               (feed_url,))
    for entry in entries:
        values = archive_module._entry_values(entry)
        db.execute(
            "INSERT INTO entries (guid, title, link, author, published, updated, summary_html, content_html, "
            "categories, enclosures, image_url, content_hash, feed_url, key, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values + (archive_module._values_hash(values), feed_url, entry.key,
                      "2025-03-10T00:00:00.000000Z", "2025-03-10T00:00:00.000000Z"))
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


def test_an_archive_of_schema_1_upgrades_in_place_keeping_every_row(tmp_path, server):
    assert SCHEMA_VERSION == 2
    server.route("/es.xml", body=SPANISH_RSS.encode("utf-8"))
    feed = source(server, "/es.xml", "Puerto Claro", "https://puerto-claro.example.org/")
    parsed = parse_feed(SPANISH_RSS.encode("utf-8"), url=feed.feed_url).entries
    gone = FeedEntry(key="pc-old", guid="pc-old", title="Una entrada que el feed ya no lista",
                     link="https://puerto-claro.example.org/vieja/", author="Ana",
                     published=utc(2024, 11, 2, 9), updated=None, summary_html="<p>Vieja.</p>", content_html=None,
                     categories=("Vivienda",))
    path = tmp_path / "archive.sqlite"
    v1_archive(path, [*parsed, gone], feed.feed_url)
    before = sqlite3.connect(path).execute("SELECT * FROM entries ORDER BY key").fetchall()

    with Archive(path) as archive:
        assert archive.schema_version == SCHEMA_VERSION
        kept = {e.key: e for e in archive.entries_for(feed.feed_url)}
        assert archive.integrity_check() == "ok"
    assert set(kept) == {"pc-asamblea", "pc-relato", "pc-old"}
    assert all(entry.lang is None for entry in kept.values())  # not known until fetched again
    assert kept["pc-old"].categories == ("Vivienda",) and kept["pc-old"].author == "Ana"
    db = sqlite3.connect(path)
    columns = [row[1] for row in db.execute("PRAGMA table_xinfo(entries)")]  # generated columns too
    assert columns[-1] == "lang"
    # Every old column of every row is as it was.
    after = db.execute(f"SELECT {', '.join(columns[:-1])} FROM entries ORDER BY key").fetchall()
    assert after == before
    db.close()

    # The next fetch fills the language in without calling every entry "updated".
    (result,) = fetch(path, [feed])
    assert (result.outcome, result.new, result.updated) == ("fetched", 0, 0)
    with Archive(path) as archive:
        langs = {e.key: e.lang for e in archive.entries_for(feed.feed_url)}
    assert langs == {"pc-asamblea": "es", "pc-relato": "pt-BR", "pc-old": None}


def test_a_feed_that_changes_its_language_is_followed(tmp_path, server):
    server.route("/es.xml", body=SPANISH_RSS.encode("utf-8"))
    feed = source(server, "/es.xml", "Puerto Claro", "https://puerto-claro.example.org/")
    path = tmp_path / "archive.sqlite"
    fetch(path, [feed])
    server.route("/es.xml", body=SPANISH_RSS.replace("<language>es</language>", "").encode("utf-8"))
    fetch(path, [feed])
    with Archive(path) as archive:
        assert {e.key: e.lang for e in archive.entries_for(feed.feed_url)} == {"pc-asamblea": None,
                                                                               "pc-relato": "pt-BR"}


# --- Compose: items carry their language -----------------------------------------------------------

def spanish_site(tmp_path, server) -> Site:
    site = Site(tmp_path)
    server.route("/es.xml", body=SPANISH_RSS.encode("utf-8"))
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Harbor City tenants win repairs", "link": "https://harbor-city.example.org/repairs/",
         "guid": "hc-repairs", "date": utc(2025, 3, 4, 12), "description": "<p>The landlord gave in.</p>"},
    ]).replace(b"<description>test</description>", b"<description>test</description><language>en-US</language>"))
    fetch(site.archive, [source(server, "/es.xml", "Puerto Claro", "https://puerto-claro.example.org/"),
                         source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    # An English post, its Spanish translation (same slug), a statement translated
    # with Translation-of, and a post written only in Spanish.
    site.post("march-meeting", "Our March general meeting", "2025-03-12 19:00", slug="march-meeting",
              summary="What we decided about the tenant fund.")
    site.post("march-meeting.es", "Nuestra asamblea general de marzo", "2025-03-13 19:00", slug="march-meeting",
              lang="es", summary="Lo que decidimos sobre el fondo de inquilinos.")
    site.post("dockworkers", "We support the dockworkers", "2025-03-20 10:00", folder="statements",
              signed="steering-committee")
    (site.content / "statements" / "portuarios.es.md").write_text(
        "Title: Apoyamos a los trabajadores portuarios\nDate: 2025-03-21 10:00\nLang: es\n"
        "Translation-of: statements/dockworkers.md\nSigned: steering-committee\n\nApoyamos la huelga.\n",
        encoding="utf-8")
    site.post("taller", "Taller de derechos en español", "2025-03-25 18:00", slug="taller-de-derechos",
              lang="es", summary="Un taller gratuito, todo en español.")
    return site


def test_compose_writes_lang_for_items_not_in_the_site_language(tmp_path, server):
    site = spanish_site(tmp_path, server)
    code, out = site.digest("2025-03")
    assert code == 0, out
    path = site.issue_path("2025-03")
    doc = read_issue_doc(path)
    fields = {item.title: item.fields for item in doc.items()}
    assert fields["Asamblea de inquilinos en la calle Alder"]["Lang"] == "es"
    assert fields["Relato de uma vizinha"]["Lang"] == "pt-BR"
    # en-US is the site's own language: no field, as in every English issue before.
    assert "Lang" not in fields["Harbor City tenants win repairs"]
    # The chapter's own posts: one item per piece, in its original language.
    own = doc.sections()[0]
    assert [item.title for item in own.items] == [
        "Our March general meeting", "We support the dockworkers", "Taller de derechos en español"]
    meeting, statement, taller = own.items
    assert "Lang" not in meeting.fields and "Lang" not in statement.fields
    assert taller.fields["Lang"] == "es"
    assert taller.fields["Id"] == "site#es/posts/taller-de-derechos"
    assert taller.fields["Link"] == "/es/posts/taller-de-derechos/"
    # Lang is written right after Date.
    text = path.read_text(encoding="utf-8")
    assert "Date: 2025-03-25\nLang: es\n" in text

    issue = read_issue(path, site.digest_settings())
    langs = {item.title: item.lang for item in issue.items}
    assert langs["Asamblea de inquilinos en la calle Alder"] == "es"
    assert langs["Relato de uma vizinha"] == "pt-BR"
    assert langs["Harbor City tenants win repairs"] == "en"  # no field: the site's DEFAULT_LANG
    assert langs["Our March general meeting"] == "en"
    taller_item = next(item for item in issue.items if item.key == "site#es/posts/taller-de-derechos")
    assert taller_item.lang == "es" and taller_item.site_path == "es/posts/taller-de-derechos/"
    assert issue.languages == ["en"]  # no Spanish intro yet


def test_an_english_only_issue_has_no_lang_field(tmp_path, server):
    site = Site(tmp_path)
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": f"Harbor post {i}", "link": f"https://harbor-city.example.org/p{i}/", "guid": f"hc-{i}",
         "date": utc(2025, 3, 2 + i, 12), "description": f"<p>Excerpt {i}.</p>"} for i in range(3)]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    site.post("meeting", "Our March meeting", "2025-03-12 19:00")
    assert site.digest("2025-03")[0] == 0
    text = site.issue_path("2025-03").read_text(encoding="utf-8")
    assert "Lang:" not in text and "digest:intro " not in text
    # The fields are the ones every issue file had before languages.
    for item in read_issue_doc(site.issue_path("2025-03")).items():
        assert list(item.fields) in (["Id", "Link", "Source", "Source-URL", "Date"], ["Id", "Link", "Source", "Date"])


def test_a_recompose_keeps_the_editors_spanish_intro_byte_for_byte(tmp_path, server):
    site = spanish_site(tmp_path, server)
    assert site.digest("2025-03")[0] == 0
    path = site.issue_path("2025-03")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<!-- digest:intro-placeholder.*?-->", "Our March intro, by hand.", text)
    intro = ("## En español <!-- digest:intro es -->\n"
             "\n"
             "Este mes, el capítulo habló de *vivienda*.   \n"
             "<!-- una nota para mí -->\n"
             "\n"
             "```\n## esto no es una sección\n### ni esto un artículo\n```\n"
             "\n"
             "#### Un subtítulo\n"
             "\n\n")
    first_section = text.index("\n## ") + 1
    text = text[:first_section] + intro + text[first_section:]
    path.write_text(text, encoding="utf-8")
    edited = path.read_bytes()

    # A new story since, then a plain recompose and a forced one.
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Harbor City tenants win repairs", "link": "https://harbor-city.example.org/repairs/",
         "guid": "hc-repairs", "date": utc(2025, 3, 4, 12), "description": "<p>Now with photos.</p>"},
        {"title": "A second Harbor story", "link": "https://harbor-city.example.org/second/",
         "guid": "hc-second", "date": utc(2025, 3, 6, 12), "description": "<p>More.</p>"},
    ]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    for force in (False, True):
        code, out = site.digest("2025-03", force=force)
        assert code == 0, out
        after = path.read_bytes()
        assert intro.encode("utf-8") in after
        doc = read_issue_doc(path)
        (section,) = doc.intro_sections()
        assert "".join(line + "\n" for line in section.all_lines()) == intro
        assert doc.intro() == "Our March intro, by hand."
        assert "A second Harbor story" in [item.title for item in doc.items()]
    assert after != edited  # the recompose did change the file, around the intro

    issue = read_issue(path, site.digest_settings(), languages=("en", "es"))
    assert issue.languages == ["en", "es"]
    assert list(issue.intros) == ["es"]
    spanish = issue.intros["es"]
    assert "<em>vivienda</em>" in spanish and "<h4>Un subtítulo</h4>" in spanish
    assert "esto no es una sección" in spanish and "nota para mí" not in spanish
    assert "En español" not in [s.title for s in issue.sections + issue.review_sections]
    assert "Este mes" not in issue.intro_html


# --- Issue files: the intro in another language ------------------------------------------------------

def issue_with(body: str) -> str:
    return HEADER_TEXT + "\nThe English intro.\n\n" + body


ITEM = ("### A story\nId: https://ex.example.org/feed#1\nLink: https://ex.example.org/1\nSource: Somewhere\n"
        "Date: 2025-03-02\n\nThe excerpt.\n")


def test_intro_sections_read_per_language_and_are_no_published_section(tmp_path):
    text = issue_with("## En español <!-- digest:intro es -->\n\nHola, vecinos.\n\n"
                      "## Cover story\n\n" + ITEM + "\n"
                      "##   Em português   <!--  digest:intro   pt  -->\n\nOlá.\n\n"
                      "## Sem texto <!-- digest:intro fr -->\n<!-- nothing yet -->\n\n"
                      "<!-- digest:seen\nhttps://ex.example.org/feed#1\n-->\n")
    doc = parse_issue_text(text, "2025-03.md")
    assert doc.text() == text
    assert doc.intro() == "The English intro."
    assert doc.intros() == {"es": "Hola, vecinos.", "pt": "Olá.", "fr": "<!-- nothing yet -->"}
    assert [s.title for s in doc.sections()] == ["Cover story"]
    lines = text.split("\n")
    heading_lines = [n for n, line in enumerate(lines, 1) if "digest:intro" in line]
    assert [(s.lang, s.title, s.line) for s in doc.intro_sections()] == [
        ("es", "En español", heading_lines[0]), ("pt", "Em português", heading_lines[1]),
        ("fr", "Sem texto", heading_lines[2])]

    path = tmp_path / "2025-03.md"
    path.write_text(text, encoding="utf-8")
    site = Site(tmp_path / "site")
    issue = read_issue(path, site.digest_settings())
    assert list(issue.intros) == ["es", "pt"]  # a section with no text is no intro
    assert issue.intros["es"] == "<p>Hola, vecinos.</p>"
    assert issue.languages == ["en", "es", "pt"]
    assert [s.title for s in issue.sections] == ["Cover story"]
    assert issue.intro_html == "<p>The English intro.</p>"


def test_an_intro_in_a_language_the_site_does_not_publish_is_left_out_with_a_warning(tmp_path, caplog):
    path = tmp_path / "2025-03.md"
    path.write_text(issue_with("## Português <!-- digest:intro pt -->\n\nOlá.\n\n"
                               "## Español <!-- digest:intro es -->\n\nHola.\n"), encoding="utf-8")
    conf = Site(tmp_path / "site").digest_settings()
    with caplog.at_level(logging.WARNING):
        issue = read_issue(path, conf, languages=("en", "es"))
    assert issue.languages == ["en", "es"]
    assert f"{path}:9: the intro in 'pt' is left out" in caplog.text


def test_an_intro_marked_with_the_default_language_names_file_and_line(tmp_path):
    path = tmp_path / "2025-03.md"
    path.write_text(issue_with("## English again <!-- digest:intro en -->\n\nHello.\n"), encoding="utf-8")
    with pytest.raises(IssueFileError, match=r"2025-03\.md:9: the intro in 'en', the site's own language"):
        read_issue(path, Site(tmp_path / "site").digest_settings())


@pytest.mark.parametrize("marker, problem", [
    ("<!-- digest:intro -->", "the marker 'digest:intro' needs the intro's language code"),
    ("<!-- digest:intro ES -->", r"'ES' after 'digest:intro' is not one of the site's language codes.*"
                                 r"digest:intro es -->"),
    ("<!-- digest:intro es-MX -->", r"'es-MX' .*\(for this intro: <!-- digest:intro es -->\)"),
    ("<!-- digest:intro ../../etc -->", r"'\.\./\.\./etc' after 'digest:intro'"),
    ("<!-- digest:intro <script>alert(1)</script> -->", r"'<script>alert\(1\)</script>' after"),
    ("<!-- digest:intro " + "x" * 500 + " -->", r"'x{39}…' after"),
    ("<!-- digest:intro e\x01s -->", r"'e\\x01s' after"),
    ("<!-- digest:intro es\u202e -->", r"'es\\u202e' after"),
    ("<!-- digest:intro es pt -->", r"'es pt' after"),
    ("<!-- digest:intro es --> -->", r"'es -->' after"),
    ("<!-- digest:new es -->", r"put nothing after 'digest:new'"),
    ("<!-- digest:intros es -->", r"unknown section marker 'digest:intros'"),
])
def test_a_hostile_intro_language_is_an_error_naming_file_and_line(marker, problem):
    text = issue_with(f"## Intro {marker}\n\nText.\n")
    with pytest.raises(IssueFileError, match=r"^2025-03\.md:9: " + problem):
        parse_issue_text(text, "2025-03.md")


@given(st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)), max_size=60)
       .filter(lambda code: not re.fullmatch(r"[a-z]{2,3}", code.strip())))
@settings(max_examples=200)
def test_any_intro_language_but_a_code_is_an_error_naming_file_and_line(code):
    text = issue_with(f"## Intro <!-- digest:intro {code} -->\n\nText.\n")
    try:
        doc = parse_issue_text(text, "2025-03.md")
    except IssueFileError as error:
        assert str(error).startswith("2025-03.md:9: ")
        assert "\n" not in str(error)
    else:
        pytest.fail(f"parsed without an error: {[s.title for s in doc.sections()]} {doc.intros()}")


def test_an_item_inside_an_intro_is_an_error_naming_file_and_line():
    text = issue_with("## En español <!-- digest:intro es -->\n\nHola.\n\n" + ITEM)
    with pytest.raises(IssueFileError, match=r"^2025-03\.md:13: an item \('### \.\.\.'\) inside the intro in 'es' "
                                             r"\(line 9\)"):
        parse_issue_text(text, "2025-03.md")


def test_two_intros_in_one_language_name_both_lines():
    text = issue_with("## Español <!-- digest:intro es -->\n\nHola.\n\n## Otra vez <!-- digest:intro es -->\n\nB.\n")
    with pytest.raises(IssueFileError, match=r"^2025-03\.md:13: a second intro in 'es' \(the first is at line 9\)"):
        parse_issue_text(text, "2025-03.md")


@pytest.mark.parametrize("value", ["../../x", "<b>es</b>", "", "e", "es-" + "y" * 60, "es\u202e", "und"])
def test_a_bad_item_lang_is_an_error_naming_the_fields_line(value):
    text = issue_with("## Cover story\n\n" + ITEM.replace("Date: 2025-03-02\n", f"Date: 2025-03-02\nLang: {value}\n"))
    with pytest.raises(IssueFileError, match=r"^2025-03\.md:16: Lang must be a language code"):
        parse_issue_text(text, "2025-03.md")


def test_an_item_lang_in_any_case_reads_as_the_usual_tag(tmp_path):
    path = tmp_path / "2025-03.md"
    text = issue_with("## Cover story\n\n" + ITEM.replace("Date: 2025-03-02\n", "Date: 2025-03-02\nLang: PT_br\n"))
    path.write_text(text, encoding="utf-8")
    assert parse_issue_text(text, "2025-03.md").text() == text
    (item,) = read_issue(path, Site(tmp_path / "site").digest_settings()).items
    assert item.lang == "pt-BR"


# --- Properties: generated files with intros, read, written and merged ------------------------------

words = st.text(alphabet="abcdefghij klmnopqrstuvwxyzñáéó,.'’", min_size=1, max_size=30).map(str.strip).filter(bool)
# What an editor types into an intro in any language, lines that look like structure
# inside code or a comment included.
intro_block = st.one_of(
    words,
    words.map(lambda w: f"<!-- {w} -->"),
    words.map(lambda w: f"#### {w}"),
    words.map(lambda w: f"# {w}"),
    words.map(lambda w: f"- {w}\n  - {w} anidado"),
    words.map(lambda w: f"```\n## no es una sección {w}\n### ni un artículo\n```"),
    words.map(lambda w: f"~~~~\n<!-- digest:seen {w}\n~~~~"),
    words.map(lambda w: f"<!--\n## oculto {w}\n### oculto\n-->"),
    words.map(lambda w: f"{w}   "),  # trailing spaces: a Markdown line break
    st.just("\n\n"),
)
intro_text = st.lists(intro_block, min_size=1, max_size=4).map("\n\n".join)
intro_heading = st.one_of(st.just(""), words, words.map(lambda w: f"{w} <!-- {w} -->"))


@st.composite
def files_with_intros(draw):
    """(issue file text, {lang: the intro's lines as written}, number of items)."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    out = HEADER_TEXT.splitlines() + [""]
    if draw(st.booleans()):
        out += ["<!-- digest:report", "Composed somewhen.", "-->", ""]
    out += [draw(intro_text), ""]
    langs = draw(st.lists(st.sampled_from(["es", "pt", "fr", "de", "ast"]), unique=True, max_size=3))
    sections = draw(st.integers(0, 3))
    # Where each intro goes: before section i (i == sections: after the last one).
    places = {lang: draw(st.integers(0, sections)) for lang in langs}
    intros: dict[str, list[str]] = {}
    n = 0

    def put_intros(at):
        nonlocal out
        for lang in [lang for lang in langs if places[lang] == at]:
            spacing = draw(st.sampled_from([" ", "  ", "\t"]))
            head = f"## {draw(intro_heading)}{spacing}<!-- digest:intro {lang} -->".replace("## " + spacing, "## ")
            lines = ["", *draw(intro_text).split("\n"), ""]
            intros[lang] = [head, *lines]
            out += intros[lang]

    for s in range(sections):
        put_intros(s)
        out += [f"## Section {s}" + draw(st.sampled_from(["", " <!-- digest:new -->", " <!-- digest:held -->"]))]
        for _ in range(draw(st.integers(0, 2))):
            n += 1
            out += [f"### {draw(words)}", f"Id: https://ex.example.org/feed#{n}", f"Link: https://ex.example.org/{n}",
                    "Source: Somewhere", "Date: 2025-03-02"]
            if draw(st.booleans()):
                out += [f"Lang: {draw(st.sampled_from(['es', 'pt-BR', 'EN-us', 'zh-Hant']))}"]
            out += ["", draw(words), ""]
    put_intros(sections)
    if draw(st.booleans()):
        out += ["<!-- digest:seen", "https://ex.example.org/feed#1", "-->"]
    text = "\n".join(out) + ("\n" if draw(st.booleans()) else "")
    return text.replace("\n", nl), intros, n


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files_with_intros())
def test_files_with_intros_read_and_write_back_byte_identical(case):
    text, intros, items = case
    doc = parse_issue_text(text, "2025-03.md")
    assert doc.text() == text
    assert list(doc.intros()) == [s.lang for s in doc.intro_sections()]
    assert set(doc.intros()) == set(intros)
    for section in doc.intro_sections():
        written = intros[section.lang]
        # The section holds exactly what was written for it (plus the file's own line ends).
        assert [line.rstrip("\r") for line in section.all_lines()][:len(written)] == written
        assert section.text == "\n".join(written[1:]).strip("\n")
    assert all(s.title.startswith("Section ") for s in doc.sections())
    assert len(doc.items()) == items


def composed(n: int, version: int) -> ComposedItem:
    return ComposedItem(id=f"https://ex.example.org/feed#{n}", title=f"Story {n}", link=f"https://ex.example.org/{n}",
                        source_title="Somewhere", source_url=None, author=None, date=date(2025, 3, 2),
                        excerpt_text=f"Story {n}, version {version}.", lang="es" if n % 2 else None)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files_with_intros(), st.booleans(), st.integers(1, 6))
def test_a_merge_never_touches_an_intro_in_any_language(case, force, stories):
    text, _, _ = case
    doc = parse_issue_text(text, "2025-03.md")
    before = [(s.lang, s.all_lines()) for s in doc.intro_sections()]
    parts = [ComposedPart("Somewhere", "source", [format_item(composed(n, 2), doc.newline)
                                                  for n in range(1, stories + 1)])]
    result = merge(doc, parts, header=HEADER, report=["again"], force=force)
    merged = result.doc.text()
    again = parse_issue_text(merged, "2025-03.md")
    assert again.text() == merged
    assert [(s.lang, s.all_lines()) for s in again.intro_sections()] == before
    for _, lines in before:
        assert "\n".join(lines) in merged
    # Composed Spanish stories carry their language; the others none.
    added = {item.id for item in result.added}
    for item in again.items():
        if item.id in added:
            n = int(item.id.rsplit("#", 1)[1])
            assert item.fields.get("Lang") == ("es" if n % 2 else None)


def test_format_writes_lang_only_when_known_and_keeps_it_safe():
    item, _ = format_item(composed(1, 1))
    assert item.fields["Lang"] == "es" and "Lang: es" in item.meta
    item, _ = format_item(composed(2, 1))
    assert "Lang" not in item.fields
    hostile = ComposedItem(id="https://ex.example.org/feed#9", title="t", link="https://ex.example.org/9",
                           source_title="s", source_url=None, author=None, date=date(2025, 3, 2),
                           lang="es\n## Forged section")
    item, _ = format_item(hostile)
    assert "Lang" not in item.fields and not any("Forged" in line for line in item.meta)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60), st.text(max_size=200), st.text(max_size=40))
def test_feed_text_cannot_forge_an_intro_or_a_lang(title, excerpt, lang):
    """Whatever a feed says in a title, a source name, an excerpt or its language, the
    composed file has no intro section and at most a well-formed Lang field."""
    hostile = [f"{title} <!-- digest:intro es -->", f"## x <!-- digest:intro es -->\n{excerpt}", title]
    item = ComposedItem(id="https://x.example.org/feed#1", title=hostile[0], link="https://x.example.org/a",
                        source_title=hostile[1], source_url=None, author=title, date=date(2025, 3, 3),
                        excerpt_text=hostile[1] + "\n\n" + excerpt, lang=lang)
    first = merge(None, [ComposedPart(hostile[1], "source", [format_item(item)])], header=HEADER, report=[title],
                  force=False)
    doc = parse_issue_text(first.doc.text(), "x.md")
    assert doc.intro_sections() == [] and doc.intros() == {}
    (written,) = doc.items()
    assert written.fields.get("Lang") == language_tag(lang)  # absent when the feed gave no tag
