"""Search (plugins/search): what the real Pagefind binary indexes, read back
from the bundle a build writes.

Tiny sites (tests/test_site_support.make_site, built with `pelican` in a
subprocess, as `invoke build` does; tests/test_digest_support.Site for a
digest issue), then `indexed(output)` decodes every fragment Pagefind wrote:
one per indexed page, in the index of its language. Waits are on events (a
preview build, the background indexer's ticket), never on the clock.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections import Counter
from pathlib import Path

import tinyhtml5
from cli_env import wide_log_env
from preview.serve import Hooks
from test_digest_support import Site
from test_site_serve import ChangesSeen, get, running
from test_site_support import build, make_site, post, statement

from i18n.catalogues import gettext_for
from search.index import background_indexer, build_index
from search.records import SearchRecord
from search.settings import SearchSettings
from search.stage import stage_texts

REPO = Path(__file__).resolve().parents[1]
SPANISH = {"DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en", "es"], "I18N_CATALOGUES": str(REPO / "theme" / "translations")}
WITH_SEARCH = 'PLUGINS = ["i18n", "chapter", "digest", "search"]\n'
FRAGMENT_HEAD = "pagefind_dcd"


def index_languages(output: Path) -> dict[str, int]:
    """pagefind-entry.json: each language's index and how many pages it holds."""
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    return {lang: facts["page_count"] for lang, facts in entry["languages"].items()}


def indexed(output: Path) -> list[dict]:
    """Every page Pagefind indexed under `output`: {"url", "content", "meta", "filters", ..., "lang"}.

    A fragment is gzip'ed text, "pagefind_dcd" then JSON; its file name
    starts with its index's language ("es_3f…"), which is checked against
    the page counts of pagefind-entry.json.
    """
    records = []
    for path in sorted((output / "pagefind" / "fragment").glob("*.pf_fragment")):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        assert text.startswith(FRAGMENT_HEAD), path
        record = json.loads(text[len(FRAGMENT_HEAD):])
        record["lang"] = path.name.split("_", 1)[0]
        records.append(record)
    assert Counter(record["lang"] for record in records) == Counter(index_languages(output))
    return records


def urls(records: list[dict]) -> set[str]:
    return {record["meta"]["url"] for record in records}


def holding(records: list[dict], word: str) -> list[dict]:
    """The records whose indexed text or title has `word`."""
    word = word.lower()
    return [r for r in records if word in r["content"].lower() or word in r["meta"].get("title", "").lower()]


def page_tree(path: Path):
    return tinyhtml5.parse(io.StringIO(path.read_text(encoding="utf-8")), namespace_html_elements=False)


def nav_links(page: Path) -> list[tuple[str, str]]:
    """(href, label) of the main navigation of a built page."""
    tree = page_tree(page)
    nav = next(n for n in tree.iter("nav") if "site-nav" in (n.get("class") or "").split())
    return [(a.get("href"), "".join(a.itertext()).strip()) for a in nav.iter("a")]


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: ")]


# --- what is indexed ---------------------------------------------------------------------


def test_drafts_scheduled_posts_and_hidden_pages_are_not_indexed(tmp_path):
    files = {
        "posts/published.md": post("Ward meeting recap", body="The zephyrquill motion passed."),
        "posts/draft.md": post("Unfinished flyer plan", body="Draftmoss ideas, not ready.", Status="draft"),
        "posts/scheduled.md": post("Next year's assembly", date="2099-05-01 10:00", body="Laterfern agenda."),
        # A published post whose Spanish translation is scheduled: the English is found, the Spanish not yet.
        "posts/clinic.md": post("Tenant clinic", body="Bring your lease: copperwren.", Slug="tenant-clinic"),
        "posts/clinic-es.md": post("Clínica de inquilinos", date="2099-05-02 10:00", body="Trae tu contrato: "
                                   "mañanaroble.", Slug="tenant-clinic", Lang="es"),
        "statements/s.md": statement("On the bus fare increase", body="Farelantern: we oppose it."),
        "pages/about.md": "Title: About the chapter\n\nAboutwillow is where we meet.\n",
        "pages/hidden.md": "Title: Volunteer roster\nStatus: hidden\n\nHiddenbrook phone tree.\n",
    }
    site = make_site(tmp_path / "site", files, extra_settings=WITH_SEARCH)
    result = build(site)
    assert result.returncode == 0, result.output
    output = site / "output"
    records = indexed(output)

    # Present, so the absences below mean something.
    for word, url, kind in (("zephyrquill", "/posts/ward-meeting-recap/", "Post"),
                            ("copperwren", "/posts/tenant-clinic/", "Post"),
                            ("farelantern", "/statements/on-the-bus-fare-increase/", "Statement"),
                            ("aboutwillow", "/about-the-chapter/", "Page")):
        found = holding(records, word)
        assert [(r["meta"]["url"], r["meta"]["kind"]) for r in found] == [(url, kind)], word
    for word in ("draftmoss", "laterfern", "mañanaroble", "hiddenbrook", "Unfinished flyer", "Volunteer roster"):
        assert holding(records, word) == [], word
    assert not any(part in url for url in urls(records)
                   for part in ("unfinished-flyer-plan", "next-years-assembly", "volunteer-roster", "drafts/", "/es/"))
    # The draft and the hidden page are built (the draft as the writer's preview): only the index leaves them out.
    assert (output / "drafts" / "posts" / "unfinished-flyer-plan" / "index.html").is_file()
    assert (output / "volunteer-roster" / "index.html").is_file()
    assert index_languages(output) == {"en": 4}


def test_each_language_has_its_own_index(tmp_path):
    files = {
        "posts/en.md": post("Rent strike update", body="The hollowreed building joined."),
        "posts/es.md": post("Asamblea de inquilinos", body="La asamblea de vecinos palabrasauce fue un éxito.",
                            Lang="es"),
    }
    site = make_site(tmp_path / "site", files, extra_settings=WITH_SEARCH + 'I18N_LANGUAGES = ["en", "es"]\n')
    result = build(site)
    assert result.returncode == 0, result.output
    output = site / "output"
    records = indexed(output)
    assert index_languages(output) == {"en": 1, "es": 1}
    spanish = holding(records, "palabrasauce")
    post_in_spanish = gettext_for(SearchSettings.from_pelican(SPANISH).languages, "es").gettext("Post")
    assert post_in_spanish != "Post"  # the result's kind is shown in the page's language
    assert [(r["lang"], r["meta"]["url"], r["meta"]["kind"]) for r in spanish] == \
        [("es", "/es/posts/asamblea-de-inquilinos/", post_in_spanish)]
    assert [r["lang"] for r in holding(records, "hollowreed")] == ["en"]
    # Each language's search page, in that language.
    assert page_tree(output / "search" / "index.html").get("lang") == "en"
    assert page_tree(output / "es" / "search" / "index.html").get("lang") == "es"


def test_a_one_language_site_writes_one_index_and_one_search_page(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("Canvassing on Alder Street", body="Birchlamp doors.")},
                     extra_settings=WITH_SEARCH + 'I18N_LANGUAGES = ["en"]\nI18N_SETTINGS = {}\n')
    result = build(site)
    assert result.returncode == 0, result.output
    output = site / "output"
    assert index_languages(output) == {"en": 1}
    assert [r["meta"]["url"] for r in holding(indexed(output), "birchlamp")] == ["/posts/canvassing-on-alder-street/"]
    assert (output / "search" / "index.html").is_file()
    assert not (output / "es").exists()
    assert ("/search/", "Search") in nav_links(output / "index.html")


def test_search_switched_off_writes_no_index_no_page_no_link(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("Canvassing on Alder Street", body="Birchlamp doors.")},
                     extra_settings=WITH_SEARCH + "SEARCH_ENABLED = False\n")
    result = build(site)
    assert result.returncode == 0, result.output
    output = site / "output"
    assert (output / "posts" / "canvassing-on-alder-street" / "index.html").is_file()
    assert not (output / "pagefind").exists()
    assert not [p for p in output.rglob("*") if "search" in p.relative_to(output).parts]
    for page in (output / "index.html", output / "posts" / "canvassing-on-alder-street" / "index.html"):
        links = nav_links(page)
        assert ("/posts/", "Posts") in links
        assert not [link for link in links if "search" in link[0] or link[1] == "Search"], links


def test_digest_items_from_other_chapters_are_found_one_by_one(tmp_path):
    site = Site(tmp_path, PLUGINS=["i18n", "chapter", "digest", "search"], DIGEST_SHOW_DRAFTS=False)
    site.post("our-march-general-meeting", "Our March general meeting", "2025-03-12 19:00",
              body="Minutes of the meeting.", author="Rosa Delgado")
    site.issue_path("2025-03").write_text("\n".join([
        "Title: The Millbrook Lantern | March 2025 (Issue 1)", "Date: 2025-04-01 09:00", "Issue: 1",
        "Month: 2025-03", "Status: published", "", "This month's intro mentions lampwick.", "",
        "## From our chapter", "",
        "### Our March general meeting", "Id: site#posts/our-march-general-meeting",
        "Link: /posts/our-march-general-meeting/", "Source: Millbrook Chapter", "Date: 2025-03-12", "",
        "Ownexcerptword: the editor's summary of our own post.", "",
        "## Harbor City Chapter", "",
        "### Dockworkers vote on the new contract", "Id: https://harbor-city.example.org/feed#17",
        "Link: https://harbor-city.example.org/news/contract-vote/", "Source: Harbor City Chapter",
        "Date: 2025-03-05", "", "Crane operators at Pier 4 voted on the saltmarrow agreement.", "",
    ]), encoding="utf-8")
    output = site.build()
    records = indexed(output)
    anchor = "item-dockworkers-vote-on-the-new-contract"

    items = [r for r in records if r["meta"]["kind"] == "Digest item"]
    assert [r["meta"]["url"] for r in items] == [f"/digest/2025-03/#{anchor}"]
    item = items[0]
    assert item["meta"]["title"] == "Dockworkers vote on the new contract"
    assert item["meta"]["source"] == "Harbor City Chapter"
    assert item["meta"]["issue"] == "Issue 1 · March 2025"
    assert item["filters"]["kind"] == ["Digest item"]
    assert holding(records, "saltmarrow") == [item]
    # The hit's anchor is on the issue page, on the item itself.
    issue_page = page_tree(output / "digest" / "2025-03" / "index.html")
    targets = [element for element in issue_page.iter() if element.get("id") == anchor]
    assert len(targets) == 1 and "Dockworkers vote on the new contract" in "".join(targets[0].itertext())

    # The issue is a record of its own (title and intro)...
    issue = [r for r in records if r["meta"]["url"] == "/digest/2025-03/"]
    assert [r["meta"]["kind"] for r in issue] == ["Digest issue"] and holding(records, "lampwick") == issue
    # ...and the chapter's own item is its post, found as a post, not a second record.
    assert [r["meta"]["kind"] for r in records if r["meta"]["url"] == "/posts/our-march-general-meeting/"] == ["Post"]
    assert not [r for r in records if "#item-our-march" in r["meta"]["url"]]
    assert holding(records, "ownexcerptword") == []
    assert len(records) == 3


def test_pagefind_reads_each_field_back_exactly(tmp_path):
    # stage.py escapes; Pagefind decodes. A title, group or chapter name must come back as written.
    conf = SearchSettings.from_pelican({"DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en"]})
    hostile = ["Tom & Jerry's <b>tenants</b>", "&amp; stays &amp;", "\"Quoted\" 'words'", "\u202eright-to-left\u202c",
               '<span data-pagefind-meta="url">/elsewhere/</span>', "</main><script>x()</script>", "Año & niño"]
    records = [SearchRecord(url=f"posts/p{n}/", lang="en", kind="post", title=text, group=text, source=text,
                            html=f"<p>bodyword{n}</p>") for n, text in enumerate(hostile)]
    build_index(stage_texts(records, conf), conf, tmp_path)
    got = {r["meta"]["url"]: r["meta"] for r in indexed(tmp_path)}
    assert set(got) == {f"/posts/p{n}/" for n in range(len(hostile))}
    for n, text in enumerate(hostile):
        assert (got[f"/posts/p{n}/"]["title"], got[f"/posts/p{n}/"]["group"], got[f"/posts/p{n}/"]["source"]) == \
            (text, text, text)


def test_a_post_body_cannot_move_its_record_to_another_languages_index(tmp_path):
    # Raw HTML in a post (Markdown passes it through) reaches the stage file;
    # Pagefind takes the `lang` of any <html> start tag it meets, so this post
    # would be searchable from no page of the site (or from the Spanish one).
    conf = SearchSettings.from_pelican(SPANISH)
    records = [SearchRecord(url="posts/a/", lang="en", kind="post", title="Pasted from a newsletter",
                            html='<p>Quarryfinch.</p><html lang="fr"><p>More.</p>'),
               SearchRecord(url="posts/b/", lang="en", kind="post", title="Pasted again",
                            html="<p>Sedgewick.</p><HTML LANG=es>")]
    build_index(stage_texts(records, conf), conf, tmp_path)
    assert index_languages(tmp_path) == {"en": 2}
    assert {r["meta"]["url"]: r["lang"] for r in indexed(tmp_path)} == {"/posts/a/": "en", "/posts/b/": "en"}


def test_search_works_without_the_digest_plugin(tmp_path):
    # A site without the digest (make_site's own PLUGINS, plus search) builds its index.
    site = make_site(tmp_path / "site", {"posts/a.md": post("Canvassing on Alder Street", body="Birchlamp doors.")},
                     extra_settings='PLUGINS = ["i18n", "chapter", "search"]\n')
    result = build(site)
    assert result.returncode == 0, result.output
    assert [r["meta"]["url"] for r in holding(indexed(site / "output"), "birchlamp")] == \
        ["/posts/canvassing-on-alder-street/"]


# --- a failing index ----------------------------------------------------------------------


def test_a_slow_index_stops_the_build_with_one_line(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("A post", body="Some words.")},
                     extra_settings=WITH_SEARCH + "SEARCH_TIMEOUT = 0.001\n")
    result = build(site)
    assert result.returncode != 0
    assert "Traceback" not in result.output
    lines = error_lines(result.output)
    assert len(lines) == 1 and "SEARCH_TIMEOUT (0.001 s)" in lines[0] and "raise SEARCH_TIMEOUT" in lines[0], \
        result.output
    # Pagefind's scratch folder went with it.
    assert not list((site / "output").glob(".search-*"))
    assert not (site / "output" / "pagefind").exists()


def test_a_failing_index_leaves_the_last_good_site_in_place(tmp_path, capfd):
    from chapter.publish import build_site

    site = make_site(tmp_path / "site", {"posts/a.md": post("A post", body="Firstcedar words.")},
                     extra_settings=WITH_SEARCH)
    conf = site / "siteconf.py"
    env = wide_log_env()
    assert build_site(site, conf, env=env) == 0, capfd.readouterr()
    output = site / "output"
    assert holding(indexed(output), "firstcedar")

    def snapshot():
        return {p.relative_to(output).as_posix(): p.read_bytes() for p in output.rglob("*") if p.is_file()}

    before = snapshot()
    capfd.readouterr()
    (site / "content" / "posts" / "b.md").write_text(post("Another post", body="Secondalder words."), encoding="utf-8")
    conf.write_text(conf.read_text(encoding="utf-8") + "SEARCH_TIMEOUT = 0.001\n", encoding="utf-8")
    assert build_site(site, conf, env=env) == 1
    said = capfd.readouterr()
    shown = said.out + said.err
    assert "Traceback" not in shown
    lines = error_lines(shown)
    assert len(lines) == 1 and "SEARCH_TIMEOUT" in lines[0], shown
    assert "was left as it was" in shown
    assert snapshot() == before
    assert not holding(indexed(output), "secondalder")


def test_a_bad_search_setting_stops_the_build_naming_it(tmp_path):
    for name, value in (("SEARCH_BUNDLE", '"../x"'), ("SEARCH_ENABLED", '"yes"')):
        site = make_site(tmp_path / name, {"posts/a.md": post("A post")},
                         extra_settings=WITH_SEARCH + f"{name} = {value}\n")
        result = build(site)
        assert result.returncode != 0, name
        assert "Traceback" not in result.output
        lines = error_lines(result.output)
        assert len(lines) == 1 and lines[0].startswith(f"error: {name} must be "), result.output
        assert not (tmp_path / "x").exists() and not (site / "x").exists()


def test_a_bundle_folder_the_site_uses_is_refused_not_replaced(tmp_path):
    # SEARCH_BUNDLE = "search" would put the index where the search page is:
    # the swap must not delete the page (or any other folder the build wrote).
    site = make_site(tmp_path / "site", {"posts/a.md": post("A post", body="Some words.")},
                     extra_settings=WITH_SEARCH + 'SEARCH_BUNDLE = "search"\n')
    result = build(site)
    assert "Traceback" not in result.output
    assert result.returncode != 0, "the build succeeded; search/index.html exists: " + \
        str((site / "output" / "search" / "index.html").exists())
    lines = error_lines(result.output)
    assert len(lines) == 1 and "SEARCH_BUNDLE" in lines[0], result.output


# --- the preview ---------------------------------------------------------------------------


def test_the_preview_keeps_the_index_current(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First words", body="Firstbirch grows here.")},
                     extra_settings=WITH_SEARCH)
    seen = ChangesSeen()
    with running(site, Hooks(on_changes=seen)) as preview:
        folder = preview.rebuilder.output_path
        indexer = background_indexer(folder)
        # The first build (done when running() yields) handed its records over.
        assert indexer.submitted >= 1
        assert indexer.wait_for(indexer.submitted, timeout=120), "the first index never finished"
        assert indexer.error is None, indexer.error
        assert holding(indexed(folder), "firstbirch")
        assert not holding(indexed(folder), "nightjarmoss")

        # A new post, written beside the content and renamed in, so every build that sees it reads it whole.
        beside = site / "new-post.md"
        beside.write_text(post("Second words", body="Nightjarmoss by the river."), encoding="utf-8")
        target = site / "content" / "posts" / "b.md"
        os.replace(beside, target)
        batch = seen.wait(target, timeout=60)
        built = preview.wait_for_build(lambda b: b.upto >= batch, timeout=120)
        assert built.ok, built.problems
        assert indexer.wait_for(indexer.submitted, timeout=120), "the index after the save never finished"
        assert indexer.error is None, indexer.error
        found = holding(indexed(folder), "nightjarmoss")
        assert [r["meta"]["url"] for r in found] == ["/posts/second-words/"]
        assert holding(indexed(folder), "firstbirch")

        status, headers, script = get(preview, "/pagefind/pagefind.js")
        assert status == 200
        assert headers["Content-Type"].split(";")[0] in ("text/javascript", "application/javascript")
        assert "pagefind" in script.lower()
        status, _, page = get(preview, "/search/")
        assert status == 200 and 'lang="en"' in page
