"""The whole pipeline end to end, the way an editor runs it, on a copy of the
project: `invoke fetch` -> `invoke digest` -> hand edits -> `invoke digest`
(again, and with --force) -> `Status: published` -> `invoke build`, then the
issue page, the digest feeds and the four email files are checked, and the
page is opened in headless Chromium.

Two sources on a real loopback server: an ordinary WordPress feed and a
hostile one (tests/fixtures/pipeline/). Every resource the hostile feed names
lives on @ELSEWHERE@, a second loopback address nobody serves: if the image
fetcher or the reader's browser asks it for anything, the test sees it.
"""

from __future__ import annotations

import email
import functools
import io
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import pytest

from tests.feedserver import FeedServer
from test_digest_support import png
from tests.browser import launch_chromium

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "pipeline"
BIN = Path(sys.executable).parent
SITE_EMAIL_URL = "https://millbrook.example.org"  # DIGEST_EMAIL_SITEURL of pelicanconf.py
# A 1x1 GIF: what a tracking pixel really is.
PIXEL_GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"

# Template syntax the hostile feed carries in a title, an author, a source name
# and an excerpt. Evaluated by Jinja, `namespace` would print as
# "<class 'jinja2.utils.Namespace'>" and the `if` would leave a bare EVALUATED.
JINJA_EXPRESSION = "{{ namespace }}"
JINJA_STATEMENT = "{% if true %}EVALUATED{% endif %}"
JINJA_TELL = "jinja2"


# --- Running the commands ------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str


def _env() -> dict[str, str]:
    # Only loopback is used; a proxy from the environment must not see it.
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = "*"
    env["COLUMNS"] = "200"
    return env


def run(project: Path, *args: str) -> Run:
    done = subprocess.run([str(BIN / "invoke"), *args], cwd=project, env=_env(), capture_output=True, text=True,
                          timeout=120)
    return Run(done.returncode, done.stdout + done.stderr)


# --- HTML inspection (stdlib parser: it tokenises like a browser's first pass) -----


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.style_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}))
        self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._stack and self._stack[-1] == "style":
            self.style_text.append(data)
        self.text.append(data)


def parse_html(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector


FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "form", "input", "button", "base", "svg", "math",
                  "noscript", "template", "frame", "frameset", "applet", "video", "audio", "source", "picture",
                  "textarea", "select"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "background", "ping", "data", "srcset",
                  "xlink:href", "cite", "longdesc", "manifest", "codebase"}


def unsafe_markup(text: str, *, allow_style_block: bool = False, site: str = "") -> list[str]:
    """Every element, attribute or URL in `text` that could run, load or redirect."""
    doc = parse_html(text)
    problems = []
    for el in doc.elements:
        if el.tag in FORBIDDEN_TAGS:
            problems.append(f"<{el.tag}>")
        if el.tag == "style" and not allow_style_block:
            problems.append("<style>")
        # The site's own Content-Security-Policy (it only restricts) is the one allowed http-equiv.
        own_policy = el.attrs.get("http-equiv", "").lower() == "content-security-policy" and \
            el.attrs.get("content", "").startswith("default-src 'self'")
        if el.tag == "meta" and "http-equiv" in el.attrs and not own_policy:
            problems.append(f"<meta http-equiv={el.attrs['http-equiv']}>")
        if el.tag == "link" and "stylesheet" in el.attrs.get("rel", "") and not _is_own(el.attrs.get("href", ""), site):
            problems.append(f"<link stylesheet {el.attrs.get('href')}>")
        for name, value in el.attrs.items():
            if name.startswith("on"):
                problems.append(f"<{el.tag} {name}>")
            if name in ("style", "srcdoc", "formaction", "ping", "srcset", "background", "poster"):
                problems.append(f"<{el.tag} {name}>")
            if name in URL_ATTRIBUTES:
                scheme = re.sub(r"[\x00-\x20]", "", value).split(":", 1)[0].lower() if ":" in value else ""
                if scheme and scheme not in ("http", "https", "mailto"):
                    problems.append(f"<{el.tag} {name}={value[:40]!r}>")
    for css in doc.style_text:
        if "@import" in css or "expression(" in css or "url(" in css:
            problems.append(f"<style> with {css[:60]!r}")
    return problems


def _is_own(url: str, base: str = "") -> bool:
    """A resource of the site itself: site-relative, or under the site's own address."""
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    return bool(base) and url.startswith(base.rstrip("/") + "/")


def resource_urls(text: str) -> list[str]:
    """Every URL the page would load by itself (not links a reader clicks)."""
    urls = []
    for el in parse_html(text).elements:
        if el.tag in ("img", "script", "iframe", "embed", "source", "video", "audio", "track", "input") and el.attrs.get("src"):
            urls.append(el.attrs["src"])
        if el.tag == "link" and el.attrs.get("href") and not {"alternate", "home"} & set(el.attrs.get("rel", "").split()):
            urls.append(el.attrs["href"])
        if el.tag == "object" and el.attrs.get("data"):
            urls.append(el.attrs["data"])
    return urls


def squash(text: str) -> str:
    return " ".join(text.split())


# --- The pipeline, run once per module ---------------------------------------------


@dataclass
class Pipeline:
    project: Path
    month: str
    base: str  # the fixture server
    elsewhere: str  # a loopback host nobody serves
    server: FeedServer
    issue: Path
    output: Path
    fetch: Run
    compose: Run
    first_issue: str
    edited_issue: str
    rerun: Run
    after_rerun: str
    forced: Run
    after_force: str
    refused: list[Run]
    published_issue: str
    after_refusal: bytes
    build: Run
    publish: Run
    feed_requests: dict[str, int] = field(default_factory=dict)
    edits: dict[str, str] = field(default_factory=dict)


def _copy_project(target: Path) -> None:
    for name in ("content", "theme", "plugins"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", ".*.tmp"))
    for name in ("pelicanconf.py", "publishconf.py", "tasks.py"):
        shutil.copy(ROOT / name, target / name)


def _dates(tz: ZoneInfo, now: datetime) -> tuple[str, dict[str, str]]:
    """The current month in the site's timezone, three past moments in it and one future one."""
    local = now.astimezone(tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    elapsed = now - start.astimezone(UTC)
    ahead = end.astimezone(UTC) - now
    when = {f"D{n}": start.astimezone(UTC) + elapsed * n / 5 for n in (1, 2, 3)}
    when["FUTURE"] = now + max(ahead / 2, timedelta(seconds=min(120, ahead.total_seconds() / 2)))
    return start.strftime("%Y-%m"), {key: format_datetime(value, usegmt=True) for key, value in when.items()}


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


@pytest.fixture(scope="module", params=["summary", "full"])
def pipeline(request, tmp_path_factory) -> Pipeline:
    import pelicanconf

    mode = request.param
    project = tmp_path_factory.mktemp(f"project-{mode}")
    _copy_project(project)
    if mode != "summary":  # a settings override, as an editor would add it to pelicanconf.py
        with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
            conf.write(f"\nDIGEST_EXCERPT_MODE = {mode!r}\n")
    tz = ZoneInfo(pelicanconf.TIMEZONE)
    now = datetime.now(UTC)
    month_end = (now.astimezone(tz).replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0)
    if month_end - now < timedelta(seconds=30):
        # The "future" entry must stay in this month and in the future until compose runs.
        time.sleep((month_end - now).total_seconds() + 1)
        now = datetime.now(UTC)
    month, dates = _dates(tz, now)
    server = FeedServer().start()
    with open(project / "pelicanconf.py", "a", encoding="utf-8") as conf:
        # The fixture "other sites" are on loopback, which compose refuses unless told otherwise.
        conf.write(f"\nDIGEST_IMAGE_ALLOW_HOSTS = ['127.0.0.1:{server.port}']\n")
    try:
        values = {"BASE": server.base_url, "ELSEWHERE": f"http://127.0.0.2:{server.port}", **dates}
        server.route("/harbor/feed/", body=_fill((FIXTURES / "harbor-city.xml").read_text(), values).encode(),
                     content_type="application/rss+xml; charset=utf-8")
        server.route("/eastlake/feed/", body=_fill((FIXTURES / "eastlake-hostile.xml").read_text(), values).encode(),
                     content_type="application/rss+xml; charset=utf-8")
        server.route("/harbor/uploads/quay-street.png", body=png(48, 27, (20, 90, 160)), content_type="image/png")
        server.route("/eastlake/uploads/picket.png", body=png(30, 20, (160, 40, 40)), content_type="image/png")
        server.route("/eastlake/pixel.gif", body=PIXEL_GIF, content_type="image/gif")
        sources = project / "sources-test.opml"
        sources.write_text(_fill((FIXTURES / "sources.opml").read_text(), values), encoding="utf-8")
        archive = project / "cache" / "test-archive.sqlite"
        digest = ("digest", "--month", month, "--archive", str(archive), "--sources", str(sources))
        issue = project / "content" / "digests" / f"{month}.md"

        fetched = run(project, "fetch", "--sources", str(sources), "--archive", str(archive), "--quiet")
        composed = run(project, *digest)
        first = issue.read_text(encoding="utf-8") if issue.exists() else ""

        # The editor: writes an intro, adds a note, cuts an item, rewrites an excerpt.
        edits = {
            "intro": "November was a month of repair funds and petitions. Read the Quay Street story first.",
            "note": "Our own housing committee met the Quay Street tenants last spring.",
            "excerpt": "The tenants held eleven weeks of rent in escrow and won; the editor rewrote this line.",
            "cut": "Why we are joining the transit riders' petition",
        }
        edited = re.sub(r"<!-- digest:intro-placeholder.*?-->", edits["intro"], first, count=1)
        quay = re.search(r"### Tenants on Quay Street win their repair fund\n(?:[A-Za-z-]+: .*\n)+\n(.+)\n", edited)
        if quay:
            start, stop = quay.span(1)
            fields_end = quay.group(0).index("\n\n")
            edited = (edited[: quay.start() + fields_end] + f"\nNote: {edits['note']}"
                      + edited[quay.start() + fields_end : start] + edits["excerpt"] + edited[stop:])
        cut = re.search(r"\n### " + re.escape(edits["cut"]) + r"\n(?:.*\n)+?(?=\n### |\n## |\n<!-- digest:seen)", edited)
        if cut:
            edited = edited.replace(cut.group(0), "\n", 1)
        issue.write_text(edited, encoding="utf-8")

        rerun = run(project, *digest)
        after_rerun = issue.read_text(encoding="utf-8")
        forced = run(project, *digest, "--force")
        after_force = issue.read_text(encoding="utf-8")

        # The editor publishes this month's issue now: dated in the past, or it would wait for its date.
        an_hour_ago = (datetime.now(ZoneInfo("America/Los_Angeles")) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
        published = re.sub(r"^Date: .*$", f"Date: {an_hour_ago}",
                           after_force.replace("Status: draft", "Status: published", 1), count=1, flags=re.M)
        issue.write_text(published, encoding="utf-8")
        refused = [run(project, *digest), run(project, *digest, "--force")]
        after_refusal = issue.read_bytes()

        requests_before_build = len(server.requests)
        build = run(project, "build")
        # The production build too, into its own folder (`invoke publish` always writes output/).
        done = subprocess.run([str(BIN / "pelican"), "content", "-s", "publishconf.py", "-o", "published"],
                              cwd=project, env={**_env(), "SITEURL": SITE_EMAIL_URL}, capture_output=True,
                              text=True, timeout=120)
        publish = Run(done.returncode, done.stdout + done.stderr)
        assert len(server.requests) == requests_before_build, "the builds must not touch the network"
        counts = {path: len(server.requests_for(path)) for path in (
            "/harbor/uploads/quay-street.png", "/eastlake/uploads/picket.png", "/eastlake/pixel.gif")}
        yield Pipeline(
            project=project, month=month, base=server.base_url, elsewhere=values["ELSEWHERE"], server=server,
            issue=issue, output=project / "output", fetch=fetched, compose=composed, first_issue=first,
            edited_issue=edited, rerun=rerun, after_rerun=after_rerun, forced=forced, after_force=after_force,
            refused=refused, published_issue=published, after_refusal=after_refusal, build=build, publish=publish,
            feed_requests=counts, edits=edits,
        )
    finally:
        server.stop()


# --- What the issue file says --------------------------------------------------------


def headings(text: str, level: int) -> list[str]:
    return re.findall(r"^" + "#" * level + r" (.+?)(?: <!-- digest:\w+ -->)?$", text, re.MULTILINE)


def item_field(text: str, title: str, key: str) -> str | None:
    block = re.search(r"^### " + re.escape(title) + r"\n((?:[A-Za-z-]+: .*\n)+)", text, re.MULTILINE)
    if not block:
        return None
    found = re.search(r"^" + key + r": (.*)$", block.group(1), re.MULTILINE)
    return found.group(1) if found else None


def without_report(text: str) -> str:
    """The file minus the block `invoke digest` rewrites on every run, blank runs squashed."""
    text = re.sub(r"<!-- digest:report\n(?:.*\n)*?-->\n", "", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def not_evaluated(text: str) -> None:
    """The template syntax is shown as written, never run."""
    flat = squash(text)
    assert JINJA_TELL not in flat
    assert flat.count("EVALUATED") == flat.count(JINJA_STATEMENT), "a {% if %} was evaluated"


def hostile_title(p: Pipeline) -> str:
    return next(t for t in headings(p.first_issue, 3) if "Cannery night shift" in t)


def hostile_source(p: Pipeline) -> str:
    return next(t for t in headings(p.first_issue, 2) if t.startswith("Eastlake"))


# --- fetch and compose ------------------------------------------------------------------


def test_the_checks_below_see_every_payload_of_the_hostile_feed():
    """The inspections must flag the raw payloads, or their silence later means nothing."""
    raw = _fill((FIXTURES / "eastlake-hostile.xml").read_text(), {"BASE": "http://127.0.0.1:9", "ELSEWHERE": "http://127.0.0.2:9"})
    payload = re.search(r"<content:encoded><!\[CDATA\[(.*?)\]\]>", raw, re.DOTALL).group(1)
    found = " ".join(unsafe_markup(payload))
    for expected in ("<script>", "<p onclick>", "<iframe>", "<object>", "<embed>", "<form>", "<button>", "<meta http-equiv",
                     "<base>", "<link stylesheet", "<svg>", "<math>", "<noscript>", "<style>", "<div style>",
                     "<video>", "<audio>", "<picture>", "<img srcset>", "<table background>", "<a ping>",
                     "'javascript:", "'data:", "'vbscript:", "<template>", "@import"):
        assert expected in found, expected
    loads = resource_urls(payload)
    assert {"http://127.0.0.2:9/evil.js", "http://127.0.0.2:9/not-served.png", "http://127.0.0.2:9/linked.css",
            "http://127.0.0.2:9/frame.html", "http://127.0.0.2:9/object.swf"} <= set(loads)
    assert not all(_is_own(url) for url in loads)
    not_evaluated(JINJA_STATEMENT + " " + JINJA_EXPRESSION)
    with pytest.raises(AssertionError):
        not_evaluated("EVALUATED <class 'jinja2.utils.Namespace'>")


def test_fetch_and_compose_drop_what_is_unsafe_and_say_so(pipeline):
    p = pipeline
    assert p.fetch.code == 0, p.fetch.out
    assert p.compose.code == 0, p.compose.out
    titles = headings(p.first_issue, 3)
    assert "Tenants on Quay Street win their repair fund" in titles
    # Items whose link is javascript: or data: are dropped, with a warning naming them.
    for title in ("Item whose link runs a script", "Item whose link is a data URL"):
        assert title not in titles
        assert any(line.startswith("warning:") and "dropped" in line and title in line
                   for line in p.compose.out.splitlines()), p.compose.out
    # The entry dated later this month is left out, and counted.
    assert "Scheduled: the December general meeting agenda" not in p.first_issue
    assert "Future-dated entries left out: 1" in p.compose.out
    # An image on a host nobody serves is skipped, named in a warning.
    assert f"warning: image skipped: {p.elsewhere}/not-served.png" in p.compose.out
    # The hostile title, author and source name are kept as text (markup and all).
    assert "<script>window.__pwned=1</script>" in hostile_title(p) and JINJA_EXPRESSION in hostile_title(p)
    assert JINJA_STATEMENT in hostile_title(p)
    assert "<i onmouseover" in item_field(p.first_issue, hostile_title(p), "Author")
    assert hostile_source(p) == "Eastlake <em>Chapter</em> " + JINJA_EXPRESSION
    long_title = next(t for t in titles if t.startswith("A report with a very long title"))
    assert long_title.endswith("in forty conversations over three weeks")  # nothing cut off


def test_images_are_local_copies_and_the_pixel_is_never_fetched(pipeline):
    p = pipeline
    folder = p.project / "content" / "digests" / "images" / p.month
    from PIL import Image

    def pixels(data: bytes):  # compose re-encodes pictures (dropping metadata): compare what they show
        with Image.open(io.BytesIO(data)) as picture:
            return picture.size, picture.convert("RGB").tobytes()

    stored = {pixels(path.read_bytes()) for path in folder.iterdir()}
    served = {pixels(p.server.routes[path].body)
              for path in ("/harbor/uploads/quay-street.png", "/eastlake/uploads/picket.png")}
    assert served <= stored
    assert p.feed_requests["/harbor/uploads/quay-street.png"] >= 1
    assert p.feed_requests["/eastlake/uploads/picket.png"] >= 1
    assert p.feed_requests["/eastlake/pixel.gif"] == 0  # a 1x1 tracking pixel is dropped before any fetch
    assert PIXEL_GIF not in stored
    for path in folder.iterdir():  # and the build publishes them with the page
        assert (p.output / "digests" / "images" / p.month / path.name).read_bytes() == path.read_bytes()


# --- the editor's work ---------------------------------------------------------------------


def test_recompose_keeps_everything_the_editor_wrote(pipeline):
    p = pipeline
    edits = p.edits
    assert edits["intro"] in p.edited_issue and edits["note"] in p.edited_issue and edits["excerpt"] in p.edited_issue
    assert edits["cut"] not in headings(p.edited_issue, 3)  # the edits themselves took
    # Without --force: the file is the editor's, byte for byte, apart from the report.
    assert p.rerun.code == 0, p.rerun.out
    assert "0 new item(s) added" in p.rerun.out
    assert without_report(p.after_rerun) == without_report(p.edited_issue)
    # With --force: recomposed, yet the intro, the note and the cut are kept.
    assert p.forced.code == 0, p.forced.out
    assert edits["intro"] in p.after_force
    assert item_field(p.after_force, "Tenants on Quay Street win their repair fund", "Note") == edits["note"]
    assert edits["cut"] not in headings(p.after_force, 3)
    assert headings(p.after_force, 3) == headings(p.edited_issue, 3)
    cut_id = re.search(r"^Id: (.+)$", p.first_issue.split("### " + edits["cut"])[1], re.MULTILINE).group(1)
    assert cut_id in p.after_force.split("<!-- digest:seen")[1]  # remembered, so never re-added


def test_force_keeps_an_excerpt_the_editor_rewrote(pipeline):
    assert pipeline.edits["excerpt"] in pipeline.after_force


def test_published_issue_is_refused_and_untouched(pipeline):
    p = pipeline
    for refused in p.refused:
        assert refused.code != 0
        assert str(p.issue) in refused.out and "published" in refused.out
    assert p.after_refusal == p.published_issue.encode("utf-8")


# --- what readers get ---------------------------------------------------------------------------


def page_text_of(html: str, css_class: str) -> list[str]:
    """Text of every element with `css_class` (the theme's markup is well-formed)."""
    texts = []

    class Grab(HTMLParser):
        depth = 0
        buf: list[str] = []

        def handle_starttag(self, tag, attrs):
            if self.depth:
                self.depth += 1
            elif css_class in (dict(attrs).get("class") or "").split():
                self.depth, self.buf = 1, []

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1
                if not self.depth:
                    texts.append(squash("".join(self.buf)))

        def handle_data(self, data):
            if self.depth:
                self.buf.append(data)

    grab = Grab(convert_charrefs=True)
    grab.feed(html)
    return texts


def test_issue_page_is_inert_escaped_and_loads_only_from_the_site(pipeline):
    p = pipeline
    assert p.build.code == 0, p.build.out
    html = (p.output / "digest" / p.month / "index.html").read_text(encoding="utf-8")
    assert unsafe_markup(html) == []
    assert [url for url in resource_urls(html) if not _is_own(url)] == []
    assert "127.0.0.2" not in html  # nothing of the unserved host, not even a link
    not_evaluated(html)
    # Titles, author and source name from the feed are shown as the issue file holds them, as text.
    assert hostile_title(p) in page_text_of(html, "digest-item-title")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    author = item_field(p.after_force, hostile_title(p), "Author")
    assert author in page_text_of(html, "digest-item-author")
    assert hostile_source(p) in page_text_of(html, "digest-section-title")
    long_title = next(t for t in headings(p.after_force, 3) if t.startswith("A report with a very long title"))
    assert long_title in page_text_of(html, "digest-item-title")
    assert p.edits["intro"] in squash(" ".join(page_text_of(html, "digest-intro")))
    images = [url for url in resource_urls(html) if url.startswith(f"/digests/images/{p.month}/")]
    assert images and all((p.output / url.lstrip("/")).is_file() for url in images)


def test_production_build_loads_only_from_the_public_site(pipeline):
    p = pipeline
    assert p.publish.code == 0, p.publish.out
    out = p.project / "published"
    html = (out / "digest" / p.month / "index.html").read_text(encoding="utf-8")
    assert unsafe_markup(html, site=SITE_EMAIL_URL) == []
    loads = resource_urls(html)
    assert loads and [url for url in loads if not url.startswith(SITE_EMAIL_URL + "/")] == []
    for name in ("digest.atom.xml", "digest.rss.xml"):
        _, entry = _feed_entry(p, name, out)
        body = entry.content[0].value if name.endswith("atom.xml") else entry.description
        assert [url for url in resource_urls(body) if not url.startswith(SITE_EMAIL_URL + "/")] == [], name
        assert unsafe_markup(body) == [], name
    email_html = (out / "digest" / p.month / "email.html").read_text(encoding="utf-8")
    assert [url for url in resource_urls(email_html) if not url.startswith(SITE_EMAIL_URL + "/")] == []


def _feed_entry(p: Pipeline, name: str, output: Path | None = None):
    raw = ((output or p.output) / "feeds" / name).read_bytes()
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.get("bozo_exception")
    entry = next(e for e in feed.entries if e.link.rstrip("/").endswith(f"digest/{p.month}"))
    return raw.decode("utf-8"), entry


def test_digest_feeds_carry_the_issue_safely(pipeline):
    p = pipeline
    header_title = re.search(r"^Title: (.*)$", p.published_issue, re.MULTILINE).group(1)
    for name in ("digest.atom.xml", "digest.rss.xml"):
        raw, entry = _feed_entry(p, name)
        assert entry.title == header_title
        body = entry.content[0].value if name.endswith("atom.xml") else entry.description
        # feedparser sanitises what it hands out; check the feed's own bytes too.
        xml_body = re.search(r"<(?:content|description)[^>]*>(.*?)</(?:content|description)>",
                             raw.split(f"digest/{p.month}/", 1)[1], re.DOTALL).group(1)
        from html import unescape
        for html in (body, unescape(xml_body)):
            assert unsafe_markup(html) == [], name
            assert [url for url in resource_urls(html) if not _is_own(url)] == [], name
            assert "127.0.0.2" not in html
            not_evaluated(html)
            assert hostile_title(p) in page_text_of(html, "digest-item-title"), name
        assert p.edits["note"] in squash(body)


def test_email_edition_is_inert_and_loads_only_from_the_site(pipeline):
    p = pipeline
    folder = p.output / "digest" / p.month
    header_title = re.search(r"^Title: (.*)$", p.published_issue, re.MULTILINE).group(1)
    for name in ("email.html", "email-body.html"):
        html = (folder / name).read_text(encoding="utf-8")
        # The email's own CSS is inlined as style attributes and one <style> of @media rules.
        problems = [x for x in unsafe_markup(html, allow_style_block=True) if not x.endswith(" style>")]
        assert problems == [], name
        for el in parse_html(html).elements:
            style = el.attrs.get("style", "").lower()
            assert "url(" not in style and "expression" not in style and "@import" not in style, (name, style)
        assert [url for url in resource_urls(html) if not url.startswith(SITE_EMAIL_URL + "/")] == [], name
        assert resource_urls(html), name  # the local copies are shown, under the public address
        assert "127.0.0.2" not in html
        not_evaluated(html)
        text = squash(" ".join(parse_html(html).text))
        assert hostile_title(p) in text and hostile_source(p) in text, name
        assert p.edits["note"] in text and p.edits["intro"] in text
        assert p.edits["cut"] not in text
    plain = (folder / "email.txt").read_text(encoding="utf-8")
    not_evaluated(plain)
    flat = "".join(plain.split())
    for expected in (hostile_title(p), item_field(p.after_force, hostile_title(p), "Author"), p.edits["note"]):
        assert "".join(expected.split()) in flat  # wrapped at 72 columns, words intact
    long_title = next(t for t in headings(p.after_force, 3) if t.startswith("A report with a very long title"))
    assert "".join(long_title.split()) in flat
    assert "127.0.0.2" not in plain
    message = email.message_from_bytes((folder / "issue.eml").read_bytes(), policy=policy.default)
    assert message["Subject"] == header_title
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    assert parts["text/plain"].replace("\r\n", "\n") == plain
    assert parts["text/html"].replace("\r\n", "\n") == (folder / "email.html").read_text(encoding="utf-8")


# --- in a real browser ------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_issue_page_in_chromium_runs_nothing_and_asks_no_other_host(pipeline):
    from playwright.sync_api import sync_playwright

    p = pipeline
    handler = functools.partial(_Quiet, directory=str(p.output))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{httpd.server_address[1]}"
    feed_requests = len(p.server.requests)
    try:
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_page()
            dialogs, requests, failed = [], [], []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.add_init_script("window.__pwned = undefined; window.__canary = 'intact';")
            page.goto(f"{site}/digest/{p.month}/", wait_until="load")
            # Hover and click-free interaction: move over every excerpt so on* hover handlers would fire.
            for box in page.locator(".digest-item").all():
                box.hover()
            page.wait_for_timeout(300)
            state = page.evaluate("""() => ({
                pwned: window.__pwned, canary: window.__canary, title: document.title,
                url: location.href, scripts: document.scripts.length,
                images: [...document.images].map(i => [i.src, i.naturalWidth]),
                heading: [...document.querySelectorAll('.digest-item-title')].map(h => h.textContent.trim()),
                bold: document.querySelectorAll('.digest-item-title b, .digest-item-title img, .digest-item-author i, .digest-section-title em').length,
            })""")
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    header_title = re.search(r"^Title: (.*)$", p.published_issue, re.MULTILINE).group(1)
    assert dialogs == []
    assert state["pwned"] is None and state["canary"] == "intact"
    assert state["title"].startswith(header_title) and "pwned" not in state["title"]
    assert state["url"] == f"{site}/digest/{p.month}/"  # no refresh, no redirect
    assert state["scripts"] == 0
    assert state["bold"] == 0  # markup in titles, authors and source names is text
    assert squash(hostile_title(p)) in [squash(h) for h in state["heading"]]
    foreign = [url for url in requests if urlsplit(url).netloc != urlsplit(site).netloc]
    assert foreign == [], foreign
    assert failed == [], failed
    # Pictures: the copies made at compose time, and the chapter's own logo.
    pictures = [(src, width) for src, width in state["images"] if src != f"{site}/images/lantern.svg"]
    assert pictures and all(src.startswith(f"{site}/digests/images/{p.month}/") and width > 0
                            for src, width in pictures), state["images"]
    assert len(p.server.requests) == feed_requests  # the feeds' server heard nothing from the reader


# --- names from other sites cannot break the issue file ----------------------------------------


def test_a_source_name_with_a_line_break_gives_a_readable_issue_file(tmp_path):
    from digest.issue import read_issue
    from digest.models import Source
    from test_digest_support import Site, fetch, rss, utc

    site = Site(tmp_path)
    with FeedServer() as server:
        server.route("/f.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": "A March post", "link": "https://harbor-city.example.org/a/", "guid": "harbor-march-post",
             "date": utc(2025, 3, 3, 12)}]))
        server.route("/g.xml", body=rss("Eastlake Chapter", "https://eastlake.example.net/", [
            {"title": "Another <!-- digest:held --> post", "link": "https://eastlake.example.net/b/",
             "guid": "eastlake-march-post", "date": utc(2025, 3, 4, 12)}]))
        fetch(site.archive, [
            Source(feed_url=server.url("/f.xml"), title="Harbor City\nChapter", html_url="https://harbor-city.example.org/"),
            # A name that would mark its section "held back" (never published) if written as is.
            Source(feed_url=server.url("/g.xml"), title="Eastlake <!-- digest:held -->",
                   html_url="https://eastlake.example.net/"),
        ])
    assert site.digest("2025-03")[0] == 0
    issue = read_issue(site.issue_path("2025-03"), site.digest_settings())
    assert sorted(item.title for item in issue.items) == ["A March post", "Another post"]
    assert sorted(item.source_title for item in issue.items) == ["Eastlake digest:held", "Harbor City Chapter"]
    assert not issue.review_sections
    assert {section.title for section in issue.sections} == {"Harbor City Chapter", "Eastlake digest:held"}
