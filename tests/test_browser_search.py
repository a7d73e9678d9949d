"""Search (issue 13) in real headless Chromium (Debian's /usr/bin/chromium,
driven by Playwright) against the sample site, built once and served on
127.0.0.1: a word from a post finds that post first, a word from another
chapter's digest item finds the item at its anchor on the issue page, the
Spanish page searches the Spanish index, filters narrow, the page explains
itself and offers links without JavaScript, axe and vnu pass, and the whole
module's browsing asks nothing of any other host.

The words searched for are read from content/ here, not written into the
tests: a word counts as distinctive when no other content file has a word
sharing its first five letters (Pagefind stems words and matches prefixes,
so anything looser could let a second page match). If the content changes,
the words change with it, or a test says that the content no longer offers
one.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect
from test_browser_site import describe, run_axe
from test_html_valid import readable, run_vnu, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
CATALOGUE = ROOT / "theme" / "translations" / "{lang}" / "LC_MESSAGES" / "messages.po"
WAIT = 30_000  # ms: an upper bound for an awaited event on a loaded 2-core machine, never a pause
RESULTS = "#search-results > li.search-result"
PAGE_SIZE = 10  # results search.js shows before "Show more"
FINAL_STATES = "#search-form:is([data-state=ready], [data-state=empty], [data-state=unavailable])"
# Kinds a result can have on the English page: the sample has each (posts,
# statements, pages, digest issues, other chapters' items).
ENGLISH_KINDS = {"Post", "Statement", "Page", "Digest issue", "Digest item"}

# One result as search.js drew it, read in one step (the list may be redrawn between two reads).
READ_RESULTS = """items => items.map(li => ({
  kind: li.querySelector('.search-result-kind')?.textContent ?? null,
  group: li.querySelector('.search-result-group')?.textContent ?? null,
  title: li.querySelector('.search-result-title')?.textContent ?? null,
  href: li.querySelector('.search-result-title a')?.href ?? null,
  date: li.querySelector('.search-result-date')?.textContent ?? null,
  source: li.querySelector('.search-result-source')?.textContent ?? null,
  issue: li.querySelector('.search-result-issue')?.textContent ?? null,
  marks: [...li.querySelectorAll('.search-result-excerpt mark')].map(m => m.textContent),
}))"""


# --- The sample content, as plain text -------------------------------------

WORD = re.compile(r"[^\W\d_]+")
MARKUP = [
    re.compile(r"<[^>]*>"),  # HTML tags (an <img>'s alt text and src)
    re.compile(r"\]\([^)]*\)"),  # a Markdown link's target
    re.compile(r"\{[^}]*\}"),  # {filename}/{static} references
    re.compile(r"\[\^[^\]]*\]"),  # footnote labels
]


def plain(markdown: str) -> str:
    for pattern in MARKUP:
        markdown = pattern.sub(" ", markdown)
    return markdown


def words(text: str) -> set[str]:
    return {word.lower() for word in WORD.findall(plain(text))}


def same_text(text: str) -> str:
    """Text compared as a reader sees it: the typography plugin curls quotes and binds the last words."""
    for curly, straight in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(curly, straight)
    return " ".join(text.split())


@dataclass(frozen=True)
class Doc:
    path: Path
    meta: dict[str, str]
    body: str

    @property
    def title(self) -> str:
        return self.meta["Title"]

    @property
    def lang(self) -> str:
        return self.meta.get("Lang", "en")

    @property
    def published(self) -> bool:
        return self.meta.get("Status", "published") == "published"


def read_doc(path: Path) -> Doc:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return Doc(path, meta, body)


@dataclass(frozen=True)
class DigestItem:
    month: str  # the issue file's name: "2026-10"
    title: str
    source: str
    link: str
    text: str  # title, excerpt and editor's note
    block: str  # the item's whole block in the issue file


def digest_items() -> list[DigestItem]:
    items = []
    for path in sorted((CONTENT / "digests").glob("*.md")):
        for block in re.split(r"^(?=#{2,3} )", path.read_text(encoding="utf-8"), flags=re.M):
            if not block.startswith("### "):
                continue
            heading, _, rest = block.partition("\n")
            fields, _, excerpt = rest.partition("\n\n")
            meta = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line)
            title = heading.removeprefix("### ").strip()
            text = "\n".join([title, excerpt, meta.get("Note", "")])
            items.append(DigestItem(path.stem, title, meta["Source"], meta["Link"], text, block))
    return items


def content_texts() -> dict[Path, str]:
    """Every file whose words could reach the index (people.toml names the working groups)."""
    files = [p for folder in ("posts", "statements", "pages", "digests") for p in (CONTENT / folder).glob("*.md")]
    return {path: path.read_text(encoding="utf-8") for path in [*sorted(files), CONTENT / "people.toml"]}


def distinctive_word(text: str, others: list[str]) -> str | None:
    """The longest word of `text` (8+ letters) that shares its first five letters with no word of `others`."""
    taken = {word[:5] for other in others for word in words(other)}
    found = sorted((w for w in words(text) if len(w) >= 8 and w[:5] not in taken), key=lambda w: (-len(w), w))
    return found[0] if found else None


def post_word(doc: Doc) -> str | None:
    return distinctive_word(doc.title + "\n" + doc.body, [t for p, t in content_texts().items() if p != doc.path])


def item_word(item: DigestItem) -> str | None:
    others = [t.replace(item.block, "") for t in content_texts().values()]
    return distinctive_word(item.text, others)


def posts(lang: str) -> list[Doc]:
    return [d for d in map(read_doc, sorted((CONTENT / "posts").glob("*.md"))) if d.lang == lang and d.published]


def translated(doc: Doc) -> bool:
    """Whether the post has a version in another language (posts/x.md beside posts/x.es.md)."""
    stem = doc.path.name.split(".")[0]
    return len(list(doc.path.parent.glob(f"{stem}.*md"))) > 1


def catalogue_word(lang: str, message: str) -> str:
    po = Path(str(CATALOGUE).format(lang=lang)).read_text(encoding="utf-8")
    found = re.search(rf'^msgid "{re.escape(message)}"\nmsgstr "(.+)"$', po, re.M)
    assert found, f"{lang} catalogue: no translation of {message!r}"
    return found.group(1)


# --- The browser ------------------------------------------------------------


class Traffic:
    """Every request, console error and page error of every browser context this module opens."""

    def __init__(self):
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []

    def watch(self, context):
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("console", lambda m: m.type == "error" and self.console_errors.append(f"{m.location}: {m.text}"))
        context.on("weberror", lambda e: self.page_errors.append(str(e.error)))
        return context

    def foreign(self, base: str) -> list[str]:
        """Requests to anything but the site server (a blob: URL belongs to the origin inside it)."""
        own = urlsplit(base)

        def ours(url: str) -> bool:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return True  # bytes inside the page itself: no host
            if parts.scheme == "blob":
                parts = urlsplit(parts.path)
            return (parts.scheme, parts.netloc) == (own.scheme, own.netloc)

        return [url for url in self.requests if not ours(url)]


@pytest.fixture(scope="module")
def traffic():
    return Traffic()


@pytest.fixture(scope="module")
def context(browser, traffic):
    ctx = traffic.watch(browser.new_context(viewport={"width": 1280, "height": 900}))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


def open_search(page, base: str, path: str = "/search/", query: str | None = None) -> None:
    """Load a search page (with ?q=query) and wait until search.js says it is ready."""
    response = page.goto(base + path + (f"?q={quote(query)}" if query else ""))
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    page.wait_for_selector(FINAL_STATES, state="attached", timeout=WAIT)
    state = page.get_attribute("#search-form", "data-state")
    assert state == "ready", f"{path}: search is {state}: {page.text_content('#search-status')}"


def wait_for_results(page, query: str) -> list[dict]:
    """Wait until the status line answers `query` and its results are drawn; what they show."""
    status = page.locator("#search-status")
    # “query” in English, «query» in Spanish.
    expect(status).to_have_text(re.compile(rf"[“«]{re.escape(query)}[”»]"), timeout=WAIT)
    before_query = status.text_content().split(query)[0]
    count = int(number.group()) if (number := re.search(r"\d+", before_query)) else 0
    expect(page.locator(RESULTS)).to_have_count(min(count, PAGE_SIZE), timeout=WAIT)
    return read_results(page)


def read_results(page) -> list[dict]:
    return page.eval_on_selector_all(RESULTS, READ_RESULTS)


def type_query(page, query: str) -> list[dict]:
    """Type `query` key by key, as a reader does, and wait for the search that follows the pause."""
    box = page.locator("#search-query")
    box.fill("")
    box.press_sequentially(query)
    return wait_for_results(page, query)


def show_all(page) -> list[dict]:
    """Press "Show more" until every result is on the page."""
    more = page.locator("#search-more")
    while more.count():
        shown = page.locator(RESULTS).count()
        more.click()
        expect(page.locator(RESULTS)).not_to_have_count(shown, timeout=WAIT)
    return read_results(page)


def status_count(page) -> int:
    found = re.search(r"\d+", page.text_content("#search-status") or "")
    assert found, page.text_content("#search-status")
    return int(found.group())


# --- 1. A word from a post finds that post, first ---------------------------


def test_a_word_from_each_post_finds_that_post_first(page, site_server):
    checked = 0
    for doc in posts("en"):
        word = post_word(doc)
        if word is None:
            continue
        open_search(page, site_server)
        results = type_query(page, word)
        assert results, f"{doc.path.name}: nothing found for {word!r}"
        first = results[0]
        assert same_text(first["title"]) == same_text(doc.title), f"{word!r}: first result is {first['title']!r}"
        assert first["kind"] == "Post"
        # No other page has the word, so the post is the only result.
        assert len(results) == 1, f"{word!r}: {[r['title'] for r in results]}"
        assert word in words(" ".join(first["marks"])), f"{word!r} not highlighted: {first['marks']}"
        href = urlsplit(first["href"])
        assert f"{href.scheme}://{href.netloc}" == site_server and href.path.startswith("/posts/"), first["href"]
        with page.expect_navigation() as navigation:
            page.locator(RESULTS).first.locator("a").click()
        assert navigation.value.status == 200
        assert urlsplit(page.url).path == href.path
        assert same_text(page.locator("h1.article-title").inner_text()) == same_text(doc.title)
        checked += 1
    assert checked >= 3, "the sample posts offer fewer than 3 distinctive words: content/posts/ changed?"


def test_the_search_button_searches_the_words_in_the_box(page, site_server):
    """Submitting (Enter or the button) searches at once and keeps the reader on the page, the
    query in its address: set the box's value without typing, so only the button can search."""
    doc = posts("en")[0]
    word = post_word(doc)
    assert word, f"{doc.path.name} has no distinctive word"
    open_search(page, site_server)
    page.locator("#search-query").evaluate("(box, word) => { box.value = word; }", word)
    page.get_by_role("button", name="Search", exact=True).click()
    results = wait_for_results(page, word)
    assert [same_text(r["title"]) for r in results] == [same_text(doc.title)]
    assert urlsplit(page.url).path == "/search/"
    assert urlsplit(page.url).query == f"q={word}"


# --- 2. A word from another chapter's digest item finds the item -------------


def test_a_word_from_a_digest_item_finds_it_at_its_anchor(page, site_server):
    others = [item for item in digest_items() if not item.link.startswith("/")]
    assert others, "no digest item from another chapter in content/digests/"
    own_writing = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("posts", "statements", "pages")
        for path in (CONTENT / folder).glob("*.md")
    ).lower()
    checked = 0
    for item in others:
        word = item_word(item)
        if word is None:
            continue
        assert word not in own_writing  # only in the digest: found through the item or not at all
        open_search(page, site_server)
        results = type_query(page, word)
        assert len(results) == 1, f"{word!r} ({item.title}): {[r['title'] for r in results]}"
        found = results[0]
        assert found["kind"] == "Digest item"
        assert same_text(found["title"]) == same_text(item.title)
        assert same_text(found["source"]) == f"From {item.source}"
        assert found["issue"] and found["issue"].startswith("Issue "), found["issue"]
        href = urlsplit(found["href"])
        assert href.path == f"/digest/{item.month}/", found["href"]
        assert href.fragment.startswith("item-"), found["href"]
        with page.expect_navigation() as navigation:
            page.locator(RESULTS).first.locator("a").click()
        assert navigation.value.status == 200
        # The browser scrolled to the item: it is the page's :target.
        assert page.evaluate("() => document.querySelector(':target')?.id") == href.fragment
        anchor = page.locator(f'[id="{href.fragment}"]')
        expect(anchor).to_have_count(1)
        assert same_text(item.title) in same_text(anchor.inner_text())
        checked += 1
    assert checked >= 3, "fewer than 3 digest items have a distinctive word: content/digests/ changed?"


# --- 4. Without JavaScript ---------------------------------------------------


@pytest.mark.parametrize("lang_prefix", ["/", "/es/"])
def test_without_javascript_the_page_explains_and_links_to_browsing(browser, traffic, site_server, lang_prefix):
    ctx = traffic.watch(browser.new_context(java_script_enabled=False))
    try:
        page = ctx.new_page()
        response = page.goto(f"{site_server}{lang_prefix}search/")
        assert response is not None and response.status == 200
        explanation = page.locator("p.search-nojs")
        expect(explanation).to_be_visible()
        assert "JavaScript" in explanation.inner_text()
        assert page.locator("#search-form").is_hidden()
        assert not page.text_content("#search-status")
        expect(page.locator(RESULTS)).to_have_count(0)
        hrefs = page.eval_on_selector_all("section.search-browse a", "links => links.map(a => a.getAttribute('href'))")
        for place in ("archives/", "tags/", "groups/"):
            assert f"{lang_prefix}{place}" in hrefs, f"{lang_prefix}search/: no link to {lang_prefix}{place}: {hrefs}"
        for href in hrefs:
            response = page.goto(site_server + href)
            assert response is not None and response.status == 200, f"{href}: {response and response.status}"
            assert page.locator("main h1").count() >= 1, f"{href}: no heading"
    finally:
        ctx.close()


# --- 5. The Spanish page searches the Spanish index -------------------------


def test_the_spanish_page_searches_spanish_content(page, site_server):
    spanish_only = [doc for doc in posts("es") if not translated(doc)]
    english_only = [doc for doc in posts("en") if not translated(doc)]
    assert spanish_only and english_only, "the sample needs a post in Spanish only and one in English only"
    spanish, english = spanish_only[0], english_only[0]
    spanish_word, english_word = post_word(spanish), post_word(english)
    assert spanish_word and english_word

    open_search(page, site_server, "/es/search/")
    assert page.get_attribute("html", "lang") == "es"
    results = type_query(page, spanish_word)
    assert results, f"/es/search/: nothing found for {spanish_word!r}"
    assert same_text(results[0]["title"]) == same_text(spanish.title)
    assert results[0]["kind"] == catalogue_word("es", "Post")
    assert urlsplit(results[0]["href"]).path.startswith("/es/posts/"), results[0]["href"]

    assert type_query(page, english_word) == [], f"the Spanish index has {english_word!r} ({english.path.name})"
    assert catalogue_word("es", "Nothing found for “{query}”. Try another word, fewer filters, or browse below.") \
        .replace("{query}", english_word) == page.text_content("#search-status")

    # The English page has it, and not the Spanish word.
    open_search(page, site_server)
    assert [same_text(r["title"]) for r in type_query(page, english_word)] == [same_text(english.title)]
    assert type_query(page, spanish_word) == []


# --- 6. Filters ---------------------------------------------------------------


def content_years(lang: str) -> set[str]:
    """The years of what the English index holds: posts, statements and digest issues and items."""
    years = set()
    for folder in ("posts", "statements"):
        for doc in map(read_doc, (CONTENT / folder).glob("*.md")):
            if doc.lang == lang and doc.published and "Date" in doc.meta:
                years.add(doc.meta["Date"][:4])
    for path in (CONTENT / "digests").glob("*.md"):
        years.update(re.findall(r"^Date: (\d{4})", path.read_text(encoding="utf-8"), re.M))
    return years


def test_kind_filter_narrows_and_year_filter_shows_only_for_several_years(page, site_server):
    query = "county"
    open_search(page, site_server, query=query)  # "ready" comes after the first search is drawn
    total = status_count(page)
    everything = show_all(page)
    assert len(everything) == total
    kinds = [r["kind"] for r in everything]
    statements = kinds.count("Statement")
    assert statements >= 1 and len(set(kinds)) >= 2, f"{query!r} should find statements and other kinds: {kinds}"

    legends = page.locator("#search-filters legend").all_text_contents()
    several_years = len(content_years("en")) >= 2
    assert legends == ["Kind", "Working group", *(["Year"] if several_years else [])]
    kind_values = page.eval_on_selector_all("#search-filters input[name=kind]", "boxes => boxes.map(b => b.value)")
    assert set(kind_values) == ENGLISH_KINDS

    first = page.locator(RESULTS).first.element_handle()
    page.check('#search-filters input[name=kind][value="Statement"]')
    page.wait_for_function("li => !li.isConnected", arg=first, timeout=WAIT)  # the list was drawn again
    expect(page.locator(RESULTS)).to_have_count(min(statements, PAGE_SIZE), timeout=WAIT)
    narrowed = show_all(page)
    assert [r["kind"] for r in narrowed] == ["Statement"] * statements
    assert status_count(page) == statements

    # Filters alone, no words: every statement, newest first.
    english_statements = [
        doc for doc in map(read_doc, (CONTENT / "statements").glob("*.md")) if doc.lang == "en" and doc.published
    ]
    page.locator("#search-query").fill("")
    status = page.locator("#search-status")
    expect(status).to_have_text(re.compile(r"^\d+ items? match(es)? the filters$"), timeout=WAIT)
    assert status_count(page) == len(english_statements)
    expect(page.locator(RESULTS)).to_have_count(min(len(english_statements), PAGE_SIZE), timeout=WAIT)
    listed = show_all(page)
    assert {r["kind"] for r in listed} == {"Statement"}
    dates = [datetime.datetime.strptime(r["date"], "%B %d, %Y").date() for r in listed]
    assert dates == sorted(dates, reverse=True), dates
    assert sorted(same_text(r["title"]) for r in listed) == sorted(same_text(d.title) for d in english_statements)


# --- 7. axe and vnu -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_pages_with_results_pass_axe(browser, traffic, site_server, scheme):
    spanish_word = "derechos"  # in the Spanish posts and statement: several results
    ctx = traffic.watch(browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme))
    try:
        for path, query in (("/search/", "county"), ("/es/search/", spanish_word)):
            page = ctx.new_page()
            open_search(page, site_server, path, query)
            assert page.locator(RESULTS).count() >= 1, f"{path}?q={query}: no results to check"
            assert page.locator("#search-filters fieldset").count() >= 1
            violations = run_axe(page)
            assert not violations, f"{path}?q={query} ({scheme}): {describe(violations)}"
            page.close()
    finally:
        ctx.close()


def test_search_pages_pass_vnu(built_site):
    pages = [built_site / "search" / "index.html", built_site / "es" / "search" / "index.html"]
    # test_html_valid checks every page of the site; the search pages are among them.
    assert set(pages) <= set(site_pages(built_site))
    errors = run_vnu(pages)
    assert not errors, readable(errors, built_site)


# --- 8. ?q= in the address, and the link in every page's navigation --------------


def test_query_in_the_address_searches_on_load(page, site_server):
    doc = posts("en")[0]
    word = post_word(doc)
    assert word
    open_search(page, site_server, query=word)
    assert page.input_value("#search-query") == word
    assert page.text_content("#search-status") == f"1 result for “{word}”"
    assert [same_text(r["title"]) for r in read_results(page)] == [same_text(doc.title)]

    open_search(page, site_server, query="county")
    total = status_count(page)
    assert total > PAGE_SIZE, "a query with more results than one page shows (the sample's “county”)"
    assert page.text_content("#search-status") == f"{total} results for “county”"
    assert page.locator(RESULTS).count() == PAGE_SIZE
    assert len(show_all(page)) == total


def test_every_page_links_to_its_languages_search_page(page, built_site, site_server):
    def first_post(folder: Path) -> str:
        return "/" + sorted(folder.glob("*/index.html"))[0].parent.relative_to(built_site).as_posix() + "/"

    buscar = catalogue_word("es", "Search")
    pages = {
        "/": ("/search/", "Search"),
        first_post(built_site / "posts"): ("/search/", "Search"),
        "/es/": ("/es/search/", buscar),
        first_post(built_site / "es" / "posts"): ("/es/search/", buscar),
    }
    for path, (search_path, label) in pages.items():
        response = page.goto(site_server + path)
        assert response is not None and response.status == 200, path
        links = page.locator("nav.site-nav a", has_text=re.compile(rf"^{re.escape(label)}$"))
        expect(links).to_have_count(1)
        assert links.get_attribute("href") == search_path, f"{path}: {links.get_attribute('href')}"
        assert links.get_attribute("aria-current") is None
        with page.expect_navigation():
            links.click()
        assert urlsplit(page.url).path == search_path
        page.wait_for_selector(FINAL_STATES, state="attached", timeout=WAIT)
        assert page.get_attribute("#search-form", "data-state") == "ready"
        # On the search page, the link says it is the current one.
        expect(page.locator(f'nav.site-nav a[href="{search_path}"]')).to_have_attribute("aria-current", "page")


# --- 3. Nothing from another host, no errors, in the whole module ----------------
# Last in the file, so it judges everything the tests above did in the browser.


def test_the_whole_module_asked_only_the_site_server_and_logged_no_errors(page, traffic, site_server):
    # Its own searches too, so the test means something when it runs alone.
    open_search(page, site_server, query="county")
    open_search(page, site_server, "/es/search/", query="derechos")
    assert page.locator(RESULTS).count() >= 1
    paths = [urlsplit(url).path for url in traffic.requests]
    # Search's own files were among the requests: the index was loaded and read.
    for wanted in (r"/pagefind/pagefind\.js$", r"/pagefind/wasm\.(en|es)\.pagefind$",
                   r"/pagefind/index/.+\.pf_index$", r"/pagefind/fragment/.+\.pf_fragment$"):
        assert any(re.search(wanted, path) for path in paths), f"no request matches {wanted}"
    assert not traffic.foreign(site_server), traffic.foreign(site_server)
    assert not traffic.console_errors, traffic.console_errors
    assert not traffic.page_errors, traffic.page_errors
