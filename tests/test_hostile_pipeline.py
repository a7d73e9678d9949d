"""Hypothesis writes hostile feed documents; each goes the whole way (issue 9):
parse -> archive -> compose -> publish -> build (issue page, digest feeds,
email edition). Nothing may raise, every XML output must parse, and every
HTML output may hold only the elements and attributes the site itself
writes plus the sanitiser's allow-list, with nothing that runs or loads
from another host."""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from digest.archive import Archive
from digest.clean import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from digest.compose import run_compose
from digest.errors import SourcesFileError
from digest.parse import parse_feed
from digest.sources import load_sources
from digest.textfield import xml_text

from test_digest_support import Site

pytestmark = pytest.mark.slow

SITEURL = "https://millbrook.example.org"
FEED_URL = "https://quarry-hill.example.org/feed/"
MONTH, NOW = "2026-10", datetime(2026, 11, 2, tzinfo=UTC)

# --- Hostile documents ---------------------------------------------------------------

BAD_CHARS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\ufffe", "\uffff", "\u2028", "\u2029",
             "\u202e", "\u202b", "\u202c", "\u2066", "\u2067", "\u2069", "\u200f", "\n", "\r\n", "\t", "\u00a0"]
MARKERS = ["-->", "<!--", "--", "\n## From our chapter\n", "\n### Forged item\n", "digest:seen", "Status: published",
           "\nId: site#forged\n", "Link: javascript:alert(1)", "`", "*", "_", "#", "[x](javascript:alert(1))",
           "<script>alert(1)</script>", "&", "&amp;", "]]>", "{{ 7*7 }}", "{% raw %}", "\\", "|", "> quote",
           "1. list", "- item", "    code", "</p>", "<img src=x onerror=alert(1)>"]
RAW_REFS = ["&#xD800;", "&#x1;", "&#xFFFE;", "&#0;", "&#x202E;", "&#10;"]  # written into the XML unescaped

words = st.text(alphabet="abcé日 .,", min_size=0, max_size=6)
text = st.lists(st.one_of(words, st.sampled_from(BAD_CHARS), st.sampled_from(MARKERS)), max_size=10).map("".join)

TAGS = ["p", "b", "i", "em", "a", "div", "span", "blockquote", "table", "td", "ul", "li", "h1", "h3", "pre", "code",
        "figure", "script", "style", "svg", "math", "iframe", "noscript", "template", "form", "object", "select",
        "textarea", "title", "base", "meta", "link", "video"]
ATTRIBUTES = ['onclick="alert(1)"', 'href="javascript:alert(1)"', 'href="https://quarry-hill.example.org/x?utm_source=y"',
              'src="https://tracker.example.net/p.gif"', 'src="javascript:alert(1)"', 'style="background:url(https://evil.example.net/x)"',
              'width="1" height="1"', 'srcset="https://evil.example.net/a.png 2x"', 'class="x"', 'id="main"',
              'formaction="https://evil.example.net/"', 'title="&quot;&gt;&lt;script&gt;"', 'href="data:text/html,x"']


@st.composite
def html_fragment(draw, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 4))
        if kind == 0 or depth >= 3:
            parts.append(escape(draw(text)) if draw(st.booleans()) else draw(text))
        elif kind == 1:
            parts.append(f"<img {draw(st.sampled_from(ATTRIBUTES))} alt={quoteattr(draw(text))}>")
        else:
            tag = draw(st.sampled_from(TAGS))
            attrs = " ".join(draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=2)))
            close = draw(st.sampled_from(["", f"</{tag}>", f"</{tag}>", "</p>"]))
            parts.append(f"<{tag} {attrs}>{draw(html_fragment(depth + 1))}{close}")
    if draw(st.integers(0, 9)) == 0:  # now and then, a pile of unclosed formatting elements
        parts.append("".join(f'<b title="{i}">' for i in range(draw(st.integers(10, 60)))) + "</p>" + "<p>x</p>" * 20)
    return "".join(parts)


def _field(draw) -> str:
    value = escape(draw(text))
    if draw(st.integers(0, 3)) == 0:
        value += draw(st.sampled_from(RAW_REFS))
    return value


@st.composite
def hostile_feed(draw) -> tuple[bytes, str]:
    """(document bytes, source name for the OPML file)."""
    atom = draw(st.booleans())
    items = []
    for n in range(draw(st.integers(1, 4))):
        title, author, guid, category = (_field(draw) for _ in range(4))
        link = draw(st.sampled_from([f"https://quarry-hill.example.org/{n}/", f"/relative/{n}/", "javascript:alert(1)",
                                     f"https://quarry-hill.example.org/{n}/\n## x", "http://a..b/", "https://p\u0430ypal.example/",
                                     f" https://quarry-hill.example.org/{n}/?utm_source=z "]))
        day = draw(st.integers(1, 28))
        summary, content = draw(html_fragment()), draw(html_fragment())
        if atom:
            items.append(f"<entry><title>{title}</title><link href={quoteattr(link)}/><id>{guid}</id>"
                         f"<author><name>{author}</name></author><category term={quoteattr(xml_text(category))}/>"
                         f"<updated>2026-10-{day:02d}T10:00:00Z</updated>"
                         f"<summary type=\"html\">{escape(summary)}</summary>"
                         f"<content type=\"html\">{escape(content)}</content></entry>")
        else:
            items.append(f"<item><title>{title}</title><link>{escape(link)}</link><guid isPermaLink=\"false\">{guid}</guid>"
                         f"<dc:creator>{author}</dc:creator><category>{category}</category>"
                         f"<pubDate>{'Mon, %02d Oct 2026 10:00:00 +0000' % day}</pubDate>"
                         f"<description>{escape(summary)}</description>"
                         f"<content:encoded>{escape(content)}</content:encoded></item>")
    name = draw(text)
    if atom:
        doc = ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
               f'<title>{escape(name)}</title><id>urn:x</id><updated>2026-10-28T00:00:00Z</updated>{"".join(items)}</feed>')
    else:
        doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
               'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
               f'<title>{escape(name)}</title><link>https://quarry-hill.example.org/</link><description>d</description>'
               f'{"".join(items)}</channel></rss>')
    return doc.encode("utf-8", "surrogatepass"), name


# --- Running the pipeline ---------------------------------------------------------------


def run_pipeline(root: Path, body: bytes, source_name: str, mode: str, own_posts: int = 0) -> tuple[Site, list[str]]:
    site = Site(root, SITEURL=SITEURL, DIGEST_IMAGES=False, DIGEST_EXCERPT_MODE=mode)
    for n in range(own_posts):
        site.post(f"own-{n}", f"Our own post {n}", f"{MONTH}-0{n + 2} 12:00", Author="Tomasz Wren")
    opml = site.content / "digest" / "sources.opml"
    for name in (source_name, "Quarry Hill"):  # a name of only controls is refused, as it should be
        opml.write_text('<?xml version="1.0" encoding="utf-8"?><opml version="2.0"><body>'
                        f'<outline text={quoteattr(xml_text(name))} type="rss" xmlUrl="{FEED_URL}" '
                        'htmlUrl="https://quarry-hill.example.org/"/></body></opml>', encoding="utf-8")
        try:
            (source,) = load_sources(opml)
            break
        except SourcesFileError as error:
            assert "has no name" in str(error)
    parsed = parse_feed(body, url=FEED_URL, content_type="application/rss+xml")
    site.archive.parent.mkdir(parents=True, exist_ok=True)
    with Archive(site.archive) as archive:
        archive.store_entries(source, parsed.entries, fetched_at=NOW)
    site.usable_entries = sum(1 for e in parsed.entries if e.link)
    out: list[str] = []
    code = run_compose(root, site.settings(), month=MONTH, archive_path=site.archive, sources_path=opml,
                       out=lambda *a: out.append(" ".join(map(str, a))), now=NOW)
    assert code == 0, out
    issue = site.issue_path(MONTH)
    issue.write_text(issue.read_text(encoding="utf-8").replace("Status: draft", "Status: published", 1), encoding="utf-8")
    site.build()
    return site, out


class _Vocabulary(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def elements_of(path: Path) -> list[tuple[str, dict[str, str]]]:
    parser = _Vocabulary()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.elements


def html_outputs(output: Path) -> list[Path]:
    return sorted(p for p in (output / "digest").rglob("*.html"))


@pytest.fixture(scope="module")
def site_vocabulary(tmp_path_factory) -> dict[str, set[str]]:
    """Every element and attribute the site writes for a benign issue, in both modes."""
    vocabulary: dict[str, set[str]] = {}
    rich = ("<p>A <b>bold</b> <em>claim</em> with <a href='https://quarry-hill.example.org/a/'>a link</a>.</p>"
            "<ul><li>one</li></ul><blockquote><p>quote</p></blockquote><h3>Head</h3><pre><code>x</code></pre>"
            "<table><tr><td>cell</td></tr></table>")
    for mode in ("summary", "full"):
        body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Quarry Hill</title><link>https://quarry-hill.example.org/</link>'
                f'<description>d</description><item><title>Benign</title><link>https://quarry-hill.example.org/a/</link>'
                f'<guid>benign-1</guid><pubDate>Mon, 05 Oct 2026 10:00:00 +0000</pubDate><author>a@b.example (Ana)</author>'
                f'<description>{escape(rich)}</description></item>'
                # A second item: the first becomes the cover story, this one a section's item,
                # so the vocabulary has both shapes.
                f'<item><title>Benign two</title><link>https://quarry-hill.example.org/b/</link>'
                f'<guid>benign-2</guid><pubDate>Tue, 06 Oct 2026 10:00:00 +0000</pubDate><author>a@b.example (Ana)</author>'
                f'<description>{escape(rich)}</description></item></channel></rss>').encode()
        # Two posts of our own besides the feed: a cover story, then two sections (so a contents list).
        site, _ = run_pipeline(tmp_path_factory.mktemp(mode), body, "Quarry Hill", mode, own_posts=2)
        for page in html_outputs(site.output):
            for tag, attrs in elements_of(page):
                vocabulary.setdefault(tag, set()).update(attrs)
    for tag in ALLOWED_TAGS:
        # nh3 (ammonia) also keeps its generic attributes, title and lang, on every allowed tag.
        vocabulary.setdefault(tag, set()).update(ALLOWED_ATTRIBUTES.get(tag, set()) | {"title", "lang"})
    vocabulary.setdefault("a", set()).add("rel")
    return vocabulary


def _own(url: str) -> bool:
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc) or url.startswith(SITEURL + "/")


# No shrinking: each example is a whole build (seconds), and shrinking one
# took over five minutes; a failure prints its seed and example as found.
@settings(max_examples=60, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(feed=hostile_feed(), mode=st.sampled_from(["summary", "full"]))
def test_hostile_feeds_go_the_whole_way_and_every_output_is_safe(site_vocabulary, feed, mode):
    body, source_name = feed
    with tempfile.TemporaryDirectory() as tmp:
        site, compose_out = run_pipeline(Path(tmp), body, source_name, mode)
        assert not any("Traceback" in line for line in compose_out)
        issue_text = site.issue_path(MONTH).read_text(encoding="utf-8")
        if site.usable_entries:  # the hostile items really went through (not all dropped on the way)
            assert re.search(r"^### ", issue_text, re.MULTILINE), issue_text
        xml_files = sorted(site.output.rglob("*.xml"))
        assert {"digest.atom.xml", "digest.rss.xml"} <= {p.name for p in xml_files}
        for path in xml_files:
            ET.parse(path)  # well-formed, or this raises and the example fails
        pages = html_outputs(site.output)
        assert {"index.html", "email.html", "email-body.html"} <= {p.name for p in pages}
        problems = []
        for page in pages:
            for tag, attrs in elements_of(page):
                if tag not in site_vocabulary:
                    problems.append(f"{page.name}: <{tag}>")
                    continue
                for name, value in attrs.items():
                    if name not in site_vocabulary[tag] or name.startswith("on"):
                        problems.append(f"{page.name}: <{tag} {name}>")
                    if name in ("href", "src") and re.sub(r"[\x00-\x20]", "", value).lower().startswith(
                            ("javascript:", "data:", "vbscript:")):
                        problems.append(f"{page.name}: <{tag} {name}={value[:40]!r}>")
                if tag == "img" and not _own(attrs.get("src", "")):
                    problems.append(f"{page.name}: <img src={attrs.get('src')!r}> loads from another host")
        assert problems == []
        text = (site.output / "digest" / MONTH / "email.txt").read_text(encoding="utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
