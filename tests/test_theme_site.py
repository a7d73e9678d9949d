"""The theme's output for the repo's sample site: bylines, bios, disclaimers,
statements, working-group pages, feeds autodiscovery, and no resources from
other hosts. Expected values come from the content files, people.toml and
the settings, never from the templates."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from chapter.typography import smarten_text
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
SETTINGS = read_settings(str(ROOT / "pelicanconf.py"))
PEOPLE = tomllib.loads((CONTENT / "people.toml").read_text(encoding="utf-8"))


class Page(HTMLParser):
    """Just enough of an HTML page to check: tags with attributes, text per class."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text_parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: (v or "") for k, v in attrs}))

    def handle_data(self, data):
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts))

    def find(self, tag: str, **attrs) -> list[dict]:
        found = []
        for name, tag_attrs in self.tags:
            if name != tag:
                continue
            ok = True
            for key, value in attrs.items():
                have = tag_attrs.get(key.rstrip("_"))
                if have is None:
                    ok = False
                elif key.rstrip("_") == "class":
                    ok = ok and value in have.split()
                else:
                    ok = ok and have == value
            if ok:
                found.append(tag_attrs)
        return found

    def hrefs(self) -> set[str]:
        return {a["href"] for a in self.find("a") if "href" in a}


def metadata(path: Path) -> dict[str, str]:
    """The `Key: value` header of a Markdown content file."""
    meta = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        meta[key.strip().lower()] = value.strip()
    return meta


def site_pages(site: Path) -> list[Path]:
    """Every web page; the digest's email files (digest/YYYY-MM/email*.html)
    are mail, with absolute links to the public site by design."""
    return sorted(p for p in site.rglob("*.html") if not p.name.startswith("email"))


def page(site: Path, rel: str) -> Page:
    path = site / rel
    if path.is_dir() or rel.endswith("/"):
        path = path / "index.html"
    assert path.exists(), f"{rel} was not built"
    return Page(path.read_text(encoding="utf-8"))


def english_sources(folder: str) -> list[Path]:
    """The default language's content files (the Spanish ones are tested in test_i18n_site.py)."""
    return [p for p in sorted((CONTENT / folder).glob("*.md")) if metadata(p).get("lang", "en") == "en"]


def built_pages(site: Path, folder: str) -> dict[Path, Path]:
    """source file -> built page, matched by title (slugs come from titles)."""
    result = {}
    for source in english_sources(folder):
        meta = metadata(source)
        if meta.get("status") == "draft":
            continue
        matches = [
            p
            for p in (site / folder).glob("*/index.html")
            if f'class="article-title">{smarten_text(meta["title"])}<' in p.read_text(encoding="utf-8")
        ]
        assert len(matches) == 1, f"no single built page for {source.name}: {matches}"
        result[source] = matches[0]
    return result


def test_sample_content_covers_the_brief():
    posts = [metadata(p) for p in (CONTENT / "posts").glob("*.md")]
    statements = [metadata(p) for p in (CONTENT / "statements").glob("*.md")]
    assert len(posts) + len(statements) >= 10
    months = {m["date"][:7] for m in posts + statements}
    assert {"2026-08", "2026-09", "2026-10"} <= months
    assert len({m["author"] for m in posts}) >= 3
    groups = {m.get("group") for m in posts} | {m["signed"] for m in statements}
    assert len(groups & {"sanctuary-city", "bodily-autonomy"}) == 2
    assert list((CONTENT / "images").iterdir()), "one post needs an image"


def test_posts_show_byline_bio_and_disclaimer(built_site):
    disclaimer = SETTINGS["CHAPTER_DISCLAIMER"]
    built = built_pages(built_site, "posts")
    assert built
    for source, output in built.items():
        meta = metadata(source)
        doc = Page(output.read_text(encoding="utf-8"))
        author = next(a for a in PEOPLE["authors"].values() if a["name"] == meta["author"])
        assert doc.find("article", class_="post"), source.name
        assert not doc.find("article", class_="statement"), source.name
        bylines = [a for a in doc.find("a", rel="author")]
        assert bylines and all(a["href"].endswith("/authors/" + slug_of(meta["author"]) + "/") for a in bylines)
        assert author["bio"] in doc.text.replace("’", "'"), f"{source.name}: bio missing"
        assert disclaimer in doc.text, f"{source.name}: disclaimer missing"
        if meta.get("group"):
            assert f"/groups/{meta['group']}/" in doc.hrefs()


def slug_of(name: str) -> str:
    return next(slug for slug, a in PEOPLE["authors"].items() if a["name"] == name)


def test_statements_are_signed_by_their_body_without_disclaimer(built_site):
    disclaimer = SETTINGS["CHAPTER_DISCLAIMER"]
    built = built_pages(built_site, "statements")
    assert built
    for source, output in built.items():
        meta = metadata(source)
        doc = Page(output.read_text(encoding="utf-8"))
        assert doc.find("article", class_="statement"), source.name
        assert not doc.find("article", class_="post"), source.name
        assert disclaimer not in doc.text, f"{source.name}: statements carry no disclaimer"
        assert not doc.find("a", rel="author"), f"{source.name}: statements have no personal byline"
        signer = SETTINGS["SITENAME"] if meta["signed"] == "chapter" else PEOPLE["groups"][meta["signed"]]["name"]
        signature = output.read_text(encoding="utf-8").split('class="signature"', 1)[1].split("</p>", 1)[0]
        assert signer in signature, f"{source.name}: not signed by {signer}"


def test_statement_feed_entries_are_authored_by_the_body(built_site):
    feed = feedparser.parse((built_site / "feeds" / "statements.atom.xml").read_bytes())
    sources = {metadata(p)["title"]: metadata(p) for p in english_sources("statements")}
    assert len(feed.entries) == len(sources)
    for entry in feed.entries:
        meta = sources[entry.title.replace("’", "'")]
        signer = SETTINGS["SITENAME"] if meta["signed"] == "chapter" else PEOPLE["groups"][meta["signed"]]["name"]
        assert entry.author == signer
    # Bodies are not people: no author pages or author feeds for them.
    for group in PEOPLE["groups"]:
        assert not (built_site / "authors" / group).exists()


@pytest.mark.parametrize("slug", sorted(PEOPLE["groups"]))
def test_group_pages_list_their_posts_and_statements(built_site, slug):
    expected = set()
    for folder, key in (("posts", "group"), ("statements", "signed")):
        for source, output in built_pages(built_site, folder).items():
            if metadata(source).get(key) == slug:
                expected.add("/" + output.parent.relative_to(built_site).as_posix() + "/")
    doc = page(built_site, f"groups/{slug}/")
    listed = {h for h in doc.hrefs() if re.fullmatch(r"/(posts|statements)/[^/]+/", h)}
    assert listed == expected
    assert PEOPLE["groups"][slug]["description"] in doc.text.replace("’", "'")
    # The group's own feeds exist, hold the same items, and are autodiscoverable.
    for kind, mime in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
        feed_rel = f"feeds/groups/{slug}.{kind}.xml"
        feed = feedparser.parse((built_site / feed_rel).read_bytes())
        assert {urlsplit(e.link).path for e in feed.entries} == expected
        assert all(e.get("author") for e in feed.entries)
        assert {"href": f"/{feed_rel}"}.items() <= next(
            (t for t in doc.find("link", rel="alternate", type=mime) if t["href"] == f"/{feed_rel}"), {}
        ).items()


def test_groups_index_lists_every_body(built_site):
    doc = page(built_site, "groups/")
    for slug, group in PEOPLE["groups"].items():
        assert f"/groups/{slug}/" in doc.hrefs()
        assert group["name"] in doc.text


def test_every_page_autodiscovers_the_site_feeds(built_site):
    pages = site_pages(built_site)
    assert len(pages) > 20
    for path in pages:
        doc = Page(path.read_text(encoding="utf-8"))
        # Feeds, not the same page in another language (hreflang).
        alternates = {t["href"] for t in doc.find("link", rel="alternate") if "hreflang" not in t}
        spanish = path.relative_to(built_site).parts[0] == "es"
        if spanish:
            alternates = {h.replace("/feeds/es/", "/feeds/") for h in alternates}
        assert "/" + SETTINGS["FEED_ALL_ATOM"] in alternates, path
        assert "/" + SETTINGS["FEED_ALL_RSS"] in alternates, path
        for href in alternates:
            href = href.replace("/feeds/", "/feeds/es/") if spanish else href
            assert (built_site / href.lstrip("/")).is_file(), f"{path}: feed link {href} has no feed"


def test_listing_pages_autodiscover_their_own_feeds(built_site):
    expected = {
        "posts/": SETTINGS["CATEGORY_FEED_ATOM"].format(slug="posts"),
        "statements/": SETTINGS["CATEGORY_FEED_RSS"].format(slug="statements"),
        "authors/rosa-delgado/": SETTINGS["AUTHOR_FEED_ATOM"].format(slug="rosa-delgado"),
    }
    for rel, feed in expected.items():
        alternates = {t["href"] for t in page(built_site, rel).find("link", rel="alternate")}
        assert "/" + feed in alternates, rel
    post = next(o for s, o in built_pages(built_site, "posts").items() if metadata(s).get("group"))
    alternates = {t["href"] for t in Page(post.read_text(encoding="utf-8")).find("link", rel="alternate")}
    assert any(h.startswith("/feeds/groups/") for h in alternates)
    assert any(h.startswith("/feeds/authors/") for h in alternates)


def test_nothing_is_loaded_from_another_host(built_site):
    resource_attrs = {"link": "href", "script": "src", "img": "src", "iframe": "src", "source": "src",
                      "video": "src", "audio": "src", "embed": "src", "object": "data"}
    for path in site_pages(built_site):
        doc = Page(path.read_text(encoding="utf-8"))
        for tag, attr in resource_attrs.items():
            for attrs in doc.find(tag):
                url = attrs.get(attr, "")
                assert not re.match(r"(?i)^(https?:)?//", url), f"{path}: <{tag} {attr}={url}>"
            for attrs in doc.find(tag):
                assert not attrs.get("srcset", "").startswith(("http", "//")), path
        scripts = doc.find("script")
        if path.relative_to(built_site).as_posix() in ("search/index.html", "es/search/index.html"):
            # The search page's one script is a file of the theme; its words are data, never run.
            assert scripts == [{"type": "module", "src": "/theme/js/search.js"},
                               {"type": "application/json", "id": "search-words"}], path
        else:
            assert not scripts, f"{path}: only the search page needs JavaScript"
    for css in (built_site / "theme").rglob("*.css"):
        # @namespace names a namespace (feed.css styles Atom), it loads nothing.
        text = re.sub(r"@namespace[^;]*;", "", css.read_text(encoding="utf-8"))
        # @import of the site's own stylesheets (feed.css imports brand.css) is fine; of another host, not.
        assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import\s+(url\(\s*)?['\"]?(https?:)?//", text), css


def test_production_build_loads_only_from_its_own_host(tmp_path):
    """With publishconf.py every URL is absolute; resources stay on SITEURL's host."""
    from conftest import build_site

    site = build_site(tmp_path / "out", "publishconf.py", SITEURL="https://chapter.example.net", FEED_DOMAIN="https://chapter.example.net")
    checked = 0
    for path in site_pages(site):
        doc = Page(path.read_text(encoding="utf-8"))
        for tag, attr in (("link", "href"), ("img", "src"), ("script", "src"), ("iframe", "src")):
            for attrs in doc.find(tag):
                url = urlsplit(attrs.get(attr, ""))
                assert url.netloc in ("", "chapter.example.net"), f"{path}: <{tag} {attr}={attrs.get(attr)}>"
                checked += 1
    assert checked > 100


def test_pages_exist_and_subscribe_lists_every_feed(built_site):
    for rel in ("about/", "join/", "subscribe/", "archives/", "tags/", "authors/"):
        assert page(built_site, rel).find("main")
    missing = page(built_site, "404.html")
    assert "/" in missing.hrefs()
    every_feed = {"/" + p.relative_to(built_site).as_posix() for p in (built_site / "feeds").rglob("*.xml")}
    assert every_feed, "no feeds were built"
    # Each language's Subscribe page lists that language's feeds.
    for subscribe_page, feeds in (("subscribe/", {f for f in every_feed if not f.startswith("/feeds/es/")}),
                                  ("es/subscribe/", {f for f in every_feed if f.startswith("/feeds/es/")})):
        linked = page(built_site, subscribe_page).hrefs()
        assert feeds, subscribe_page
        assert feeds <= linked, f"{subscribe_page} misses {feeds - linked}"
    assert {"/feeds/digest.atom.xml", "/feeds/digest.rss.xml"} <= page(built_site, "subscribe/").hrefs()


def test_home_paginates_with_page_urls_and_articles_link_neighbours(built_site):
    total = sum(1 for _ in (built_site / "posts").glob("*/index.html")) + sum(
        1 for _ in (built_site / "statements").glob("*/index.html")
    )
    assert total > SETTINGS["DEFAULT_PAGINATION"]
    assert "/page/2/" in page(built_site, "").hrefs()
    second = page(built_site, "page/2/")
    assert len(second.find("li", class_="entry")) == total - SETTINGS["DEFAULT_PAGINATION"]
    # prev (older) / next (newer) within the category, in date order.
    built = built_pages(built_site, "posts")
    ordered = sorted(built, key=lambda s: metadata(s)["date"])
    urls = ["/" + built[s].parent.relative_to(built_site).as_posix() + "/" for s in ordered]
    for index, source in enumerate(ordered):
        doc = Page(built[source].read_text(encoding="utf-8"))
        prev = [a["href"] for a in doc.find("a", rel="prev")]
        nxt = [a["href"] for a in doc.find("a", rel="next")]
        assert prev == ([urls[index - 1]] if index else [])
        assert nxt == ([urls[index + 1]] if index + 1 < len(urls) else [])


def test_rich_content_renders(built_site):
    html = "\n".join(p.read_text(encoding="utf-8") for p in (built_site / "posts").glob("*/index.html"))
    assert "<figcaption>" in html
    for src in re.findall(r'<img [^>]*src="([^"]+)"', html):
        assert (built_site / src.lstrip("/")).is_file(), src
    assert "<blockquote>" in html and "<ol>" in html
    assert "<dl>" in html or 'class="footnote"' in html
    tag_links = {h for h in Page(html).hrefs() if h.startswith("/tags/")}
    assert tag_links and all((built_site / h.lstrip("/") / "index.html").is_file() for h in tag_links)


def test_skip_link_landmarks_and_color_schemes(built_site):
    doc = page(built_site, "")
    first_link = next(attrs for tag, attrs in doc.tags if tag == "a")
    assert first_link["href"] == "#main"
    assert doc.find("main", id="main") and doc.find("header") and doc.find("footer")
    assert doc.find("nav", **{"aria-label": "Main"})
    css = (built_site / "theme" / "css" / "site.css").read_text(encoding="utf-8")
    assert "prefers-color-scheme: dark" in css and ":focus-visible" in css
    assert doc.find("link", rel="stylesheet", media="print")
