"""The bilingual sample site (issue #12): both language trees, hreflang
pairs, `lang` everywhere, per-language feeds, Spanish words and dates on
Spanish pages, the Spanish digest issue; and a one-language site that
writes none of it.

The sample site is built once per session (conftest.built_site)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from babel.dates import format_date

from chapter.typography import smarten_text
from tests.test_site_support import build, make_site, post
from tests.test_theme_site import Page, metadata

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


def page_of(site: Path, url_path: str) -> Page:
    path = site / url_path.strip("/") / "index.html" if not url_path.endswith(".html") else site / url_path.lstrip("/")
    return Page(path.read_text(encoding="utf-8"))


def web_pages(site: Path) -> list[Path]:
    """Every HTML page a reader opens (email files are documents of their own)."""
    return sorted(p for p in site.rglob("*.html") if not p.name.startswith("email"))


def spanish_files() -> list[Path]:
    return sorted(p for p in CONTENT.rglob("*.md") if metadata(p).get("lang") == "es")


def output_url(site: Path, page: Path) -> str:
    rel = page.relative_to(site).as_posix()
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def html_lang(page: Page) -> str:
    return page.find("html")[0].get("lang", "")


def test_the_sample_has_spanish_posts_a_statement_and_an_issue_intro():
    files = spanish_files()
    assert len(files) >= 3
    assert any(p.parent.name == "statements" for p in files)
    assert any("translation-of" in metadata(p) for p in files), "one translation names its original"
    assert "<!-- digest:intro es -->" in (CONTENT / "digests" / "2026-10.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("listing", ["", "posts/", "statements/", "groups/", "digest/", "subscribe/",
                                     "archives/", "tags/", "authors/", "about/", "join/"])
def test_every_listing_exists_in_both_trees(built_site, listing):
    for prefix, lang in (("", "en"), ("es/", "es")):
        path = built_site / prefix / listing / "index.html"
        assert path.exists(), f"/{prefix}{listing} was not written"
        assert html_lang(Page(path.read_text(encoding="utf-8"))) == lang


def test_each_spanish_file_is_a_page_of_the_spanish_tree(built_site):
    spanish_pages = {output_url(built_site, p) for p in web_pages(built_site)}
    for source in spanish_files():
        title = smarten_text(metadata(source)["title"])
        found = [url for url in spanish_pages if url.startswith("/es/")
                 and title in page_of(built_site, url).text]
        assert found, f"{source.name}: no page under /es/ shows {title!r}"


def test_html_lang_on_every_page(built_site):
    wrong = []
    for path in web_pages(built_site):
        url = output_url(built_site, path)
        expected = "es" if url.startswith(("/es/", "/drafts/es/")) else "en"
        lang = html_lang(Page(path.read_text(encoding="utf-8")))
        if lang != expected:
            wrong.append(f"{url}: lang={lang!r}")
    assert not wrong, wrong


def test_hreflang_pairs_point_both_ways(built_site):
    pairs = 0
    for path in web_pages(built_site):
        here = output_url(built_site, path)
        page = Page(path.read_text(encoding="utf-8"))
        own = html_lang(page)
        alternates = {a["hreflang"]: a["href"] for a in page.find("link", rel="alternate") if "hreflang" in a}
        if not alternates:
            continue
        assert alternates.get(own) == here, f"{here}: no hreflang={own} pointing at itself ({alternates})"
        for lang, href in alternates.items():
            if lang == own:
                continue
            other = page_of(built_site, href)
            assert html_lang(other) == lang, f"{here} -> {href}: the {lang} version says lang={html_lang(other)}"
            back = {a["hreflang"]: a["href"] for a in other.find("link", rel="alternate") if "hreflang" in a}
            assert back.get(own) == here, f"{href} does not point back to {here} ({back})"
            pairs += 1
    assert pairs >= 2 * 5, "hardly any page is linked to its other version"


def test_translated_statement_links_its_original_both_ways(built_site):
    source = next(p for p in spanish_files() if "translation-of" in metadata(p))
    original = CONTENT / metadata(source)["translation-of"]
    english_title = metadata(original)["title"]
    spanish_url = "/es/statements/" + metadata(source)["slug"] + "/"
    spanish = page_of(built_site, spanish_url)
    switch = spanish.find("a", hreflang="en")
    assert switch, "the Spanish statement has no link to its English version"
    english = page_of(built_site, switch[0]["href"])
    assert smarten_text(english_title) in english.text
    assert spanish_url in {a["href"] for a in english.find("a", hreflang="es")}


def test_untranslated_writing_is_listed_only_in_its_own_language(built_site):
    only_spanish = [p for p in spanish_files()
                    if p.parent.name == "posts" and not (p.parent / p.name.replace(".es.md", ".md")).exists()]
    assert only_spanish, "the sample needs a Spanish post with no English original"
    title = smarten_text(metadata(only_spanish[0])["title"])
    assert title in page_of(built_site, "/es/").text + page_of(built_site, "/es/posts/").text
    for english_listing in ("/", "/posts/", "/archives/"):
        assert title not in page_of(built_site, english_listing).text, english_listing
    english_feed = (built_site / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert title not in english_feed and "/es/" not in english_feed


def test_group_pages_list_both_languages_each_marked(built_site):
    for prefix, page_language, other in (("", "en", "es"), ("es/", "es", "en")):
        page = page_of(built_site, f"/{prefix}groups/sanctuary-city/")
        marked = page.find("h3", class_="entry-title", lang=other)
        assert marked, f"/{prefix}groups/sanctuary-city/: no item marked lang={other}"
        unmarked = [t for t in page.find("h3", class_="entry-title") if "lang" not in t]
        assert unmarked, f"/{prefix}groups/sanctuary-city/: nothing in the page's own language"
        assert page.find("span", class_="lang-mark", lang=page_language)


def test_spanish_group_page_has_the_spanish_name(built_site):
    import tomllib

    people = tomllib.loads((CONTENT / "people.toml").read_text(encoding="utf-8"))
    spanish, english = people["groups"]["sanctuary-city"]["es"]["name"], people["groups"]["sanctuary-city"]["name"]

    def heading(url):
        html = (built_site / url.strip("/") / "index.html").read_text(encoding="utf-8")
        return re.sub(r"<[^>]+>", "", html.split("<h1", 1)[1].split("</h1>", 1)[0])

    assert spanish in heading("/es/groups/sanctuary-city/") and english in heading("/groups/sanctuary-city/")


@pytest.mark.parametrize("name", ["all.atom.xml", "all.rss.xml", "posts.atom.xml", "statements.rss.xml",
                                  "digest.atom.xml", "groups/sanctuary-city.atom.xml"])
def test_per_language_feeds_parse_and_keep_to_their_language(built_site, name):
    english = feedparser.parse((built_site / "feeds" / name).read_bytes())
    spanish = feedparser.parse((built_site / "feeds" / "es" / name).read_bytes())
    for feed in (english, spanish):
        assert not feed.bozo, feed.get("bozo_exception")
    assert spanish.entries, f"feeds/es/{name} is empty"
    for entry in spanish.entries:
        assert urlsplit(entry.link).path.startswith("/es/"), entry.link
    for entry in english.entries:
        assert not urlsplit(entry.link).path.startswith("/es/"), entry.link
    assert spanish.feed.language == "es" and english.feed.language == "en"
    assert "/es/subscribe/" in (built_site / "feeds" / "es" / name).read_text(encoding="utf-8")


def test_spanish_pages_speak_spanish_and_date_the_spanish_way(built_site):
    source = next(p for p in spanish_files() if p.parent.name == "posts" and "slug" in metadata(p))
    meta = metadata(source)
    page = page_of(built_site, f"/es/posts/{meta['slug']}/")
    nav = [a for a in page.find("a") if a.get("href") == "/es/statements/"]
    assert nav, "the navigation does not lead to the Spanish statements"
    text = page.text
    assert "Comunicados" in text and "Artículos" in text, "the navigation is not in Spanish"
    date = datetime.strptime(meta["date"][:10], "%Y-%m-%d")
    spanish_date = format_date(date, format="long", locale="es")
    assert spanish_date in text and " de " in spanish_date
    assert format_date(date, format="long", locale="en") not in text
    english = page_of(built_site, "/")
    assert "Statements" in english.text and "Comunicados" not in english.text


def test_the_spanish_issue_page(built_site):
    issue = (CONTENT / "digests" / "2026-10.md").read_text(encoding="utf-8")
    spanish_intro = issue.split("<!-- digest:intro es -->", 1)[1].split("\n## ", 1)[0]
    first_words = " ".join(re.sub(r"[*_`\[\]]", "", spanish_intro).split()[:6])
    page = page_of(built_site, "/es/digest/2026-10/")
    assert html_lang(page) == "es"
    assert first_words in page.text
    assert "octubre de 2026" in page.text
    english_items = page.find("h3", class_="digest-item-title", lang="en")
    assert english_items, "the other chapters' English items are not marked lang=en"
    assert page.find("link", rel="alternate", hreflang="en", href="/digest/2026-10/")
    assert "/es/digest/2026-10/" in page_of(built_site, "/es/digest/").hrefs()
    # The English page keeps the English intro only.
    assert first_words not in page_of(built_site, "/digest/2026-10/").text


def test_the_spanish_issue_has_its_email_edition(built_site):
    email = built_site / "es" / "digest" / "2026-10" / "email.html"
    assert email.exists()
    html = email.read_text(encoding="utf-8")
    assert '<html lang="es">' in html
    assert "octubre de 2026" in html
    eml = (built_site / "es" / "digest" / "2026-10" / "issue.eml").read_bytes()
    assert b"Subject:" in eml


def test_an_issue_without_a_spanish_intro_has_no_spanish_page(built_site):
    issue = (CONTENT / "digests" / "2026-09.md").read_text(encoding="utf-8")
    assert "digest:intro es" not in issue
    assert not (built_site / "es" / "digest" / "2026-09").exists()
    assert "/es/digest/2026-09/" not in page_of(built_site, "/es/digest/").hrefs()


def test_one_language_costs_nothing(tmp_path):
    """A site with one language writes no second tree, no switcher, no hreflang."""
    site = make_site(tmp_path / "site", {"posts/one.md": post("One post")},
                     extra_settings='I18N_LANGUAGES = ["en"]\nI18N_SETTINGS = {}\n')
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    output = site / "output"
    assert not (output / "es").exists() and not (output / "feeds" / "es").exists()
    home = (output / "index.html").read_text(encoding="utf-8")
    assert "hreflang" not in home and "language-switcher" not in home


def test_a_spanish_only_post_is_spanish_everywhere(tmp_path):
    site = make_site(tmp_path / "site", {
        "posts/one.md": post("An English post", date="2025-03-01 10:00"),
        "posts/uno.es.md": post("Una entrada en español", date="2025-03-02 10:00", lang="es", slug="uno"),
    }, extra_settings='I18N_LANGUAGES = ["en", "es"]\nI18N_SETTINGS = {}\n')
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    output = site / "output"
    spanish = (output / "es" / "posts" / "uno" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in spanish
    assert "hreflang" in spanish  # the switcher leads to the English home
    assert not (output / "posts" / "uno").exists()
    assert "Una entrada en español" not in (output / "index.html").read_text(encoding="utf-8")
    assert "Una entrada en español" in (output / "es" / "index.html").read_text(encoding="utf-8")


SPANISH_PAGES = ("/es/", "/es/statements/fin-al-acuerdo-de-retenciones/", "/es/digest/2026-10/",
                 "/es/groups/sanctuary-city/", "/es/subscribe/")


@pytest.mark.browser
@pytest.mark.slow
def test_spanish_pages_pass_axe_and_load_nothing_from_elsewhere(browser, built_site, site_server):
    from tests.test_browser_site import Recorder, describe, run_axe

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        for path in SPANISH_PAGES:
            page = context.new_page()
            recorder = Recorder(page)
            response = page.goto(site_server + path, wait_until="load")
            assert response is not None and response.ok, path
            assert page.evaluate("document.documentElement.lang") == "es"
            violations = run_axe(page)
            assert not violations, f"{path}: {describe(violations)}"
            assert recorder.requests and not recorder.foreign(site_server), recorder.foreign(site_server)
            assert not recorder.console_errors and not recorder.page_errors, path
            page.close()
    finally:
        context.close()


@pytest.mark.slow
def test_spanish_pages_pass_vnu(built_site):
    from tests.test_html_valid import readable, run_vnu

    files = [built_site / path.strip("/") / "index.html" for path in SPANISH_PAGES]
    errors = run_vnu(files)
    assert not errors, readable(errors, built_site)
