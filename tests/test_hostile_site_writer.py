"""Issue 9, the writer side: writers are trusted but protected from mistakes.

- `invoke check` names, as file:line, every load from another host in a post
  (any attribute, CSS url()), scripts, embeds, forms and on… attributes.
- Titles are escaped and summaries sanitised on every page kind; Chromium
  runs no script from them and asks no other host for anything.
- Every page carries a Content-Security-Policy: even markup that slipped
  past every check cannot make a reader's browser contact another host.
- No page is wider than a 320 px screen, whatever tables and lists a post has.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

from chapter import cli as chapter_cli
from test_site_support import build, make_site, post

ROOT = Path(__file__).resolve().parents[1]


# --- invoke check -------------------------------------------------------------------------

HOSTILE_BODY = """\
Our picket in pictures.

<img src="/images/ok.png" srcset="https://cdn.example.net/big.png 2x" alt="The picket" width="10" height="10">
<video poster="https://media.example.net/poster.jpg" controls></video>
<div style="background:url(https://track.example.net/bg.gif)">Styled</div>
<link rel="prefetch" href="https://track.example.net/next">
<script>alert("hi")</script>
<iframe src="https://video.example.com/embed/42"></iframe>
<form action="https://forms.example.com/sign"><input name="n"></form>
<p onmouseover="alert(1)">Hover me</p>
<object data="https://plugins.example.com/x.swf"></object>

Code is shown, not run: `<script>alert(1)</script>` and

```html
<iframe src="https://video.example.com/embed/43"></iframe>
```
"""


def test_check_names_every_outside_load_script_embed_and_handler(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {"posts/picket.md": post("The picket", body=HOSTILE_BODY)})
    (site / "content" / "images" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.chdir(site)
    code = chapter_cli.check(site, site / "siteconf.py")
    out = capsys.readouterr()
    assert code == 1
    lines = [line for line in out.out.splitlines() if line.startswith("content/posts/picket.md:")]
    found = {int(line.split(":")[1]): line for line in lines}

    def line_of(marker: str) -> int:
        return next(n for n, text in enumerate(post("The picket", body=HOSTILE_BODY).splitlines(), 1) if marker in text)

    expected = {
        "srcset=": ("srcset", "cdn.example.net", "content/images/"),
        "poster=": ("poster", "link to the video"),
        "background:url": ("url(https://track.example.net/bg.gif)", "content/images/"),
        'rel="prefetch"': ("<link>", "delete it"),
        "<script>alert": ("<script>", "delete the element"),
        "<iframe src": ("<iframe>", "link to it instead"),
        "<form action": ("<form>", "link to the form"),
        "onmouseover": ("onmouseover", "delete the attribute"),
        "<object data": ("<object>",),
    }
    for marker, words in expected.items():
        number = line_of(marker)
        assert number in found, f"nothing reported for line {number} ({marker}): {lines}"
        assert all(word in found[number] for word in words), found[number]
    # The code span and the fenced block are examples, not markup.
    assert line_of("Code is shown") not in found and line_of("embed/43") not in found
    assert len(lines) == len(expected), lines


def test_the_build_refuses_what_check_reports(tmp_path):
    site = make_site(tmp_path / "site", {
        "posts/picket.md": post("The picket", body='<img src="/images/ok.png" srcset="//cdn.example.net/a.png 2x" alt="x">')
    })
    (site / "content" / "images" / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = build(site)
    assert result.returncode != 0
    assert "content/posts/picket.md:5: <img srcset=" in result.output


# --- the built pages in Chromium -----------------------------------------------------------

PWN = "window.__pwned = {n}"


def hostile_site(tmp_path: Path, other: str) -> Path:
    """A site whose writer typed markup into a title, a summary, tags and a page title."""
    # (An outside <img> in a header is refused by the check: these get past it.)
    title = f'Rent <script>{PWN.format(n=1)}</script> & <svg onload="{PWN.format(n=2)}"></svg> strike'
    summary = (f'<video poster="{other}/s.png" autoplay onplay="{PWN.format(n=3)}"></video> <script>{PWN.format(n=4)}</script>'
               f'Plain summary &amp; <a href="javascript:{PWN.format(n=5)}">more</a>'
               f'<details open ontoggle="{PWN.format(n=10)}"><summary>x</summary></details>')
    wide = "| " + " | ".join(f"Column {n}" for n in range(30)) + " |\n|" + "---|" * 30 + "\n| " + " | ".join(
        f"cell{n}" for n in range(30)) + " |\n"
    nested = "\n".join("    " * depth + "- level " + str(depth) for depth in range(12))
    body = f"The tenants voted.\n\n{wide}\n{nested}\n\n" + "Unbreakable" * 30 + "\n"
    files = {
        "posts/rent.md": post(title, body=body, Summary=summary, Tags="housing, <b>bold</b> tag", Group="sanctuary-city"),
        "posts/other.md": post("Second post", date="2025-03-20 10:00", author="Tomasz Wren"),
        "posts/draft.md": post(f"Draft <script>{PWN.format(n=6)}</script>", date="2025-03-21 10:00", Status="draft"),
        "pages/about.md": f"Title: About <svg onload='{PWN.format(n=7)}'></svg> us\n\nWho we are.\n",
    }
    site = make_site(tmp_path / "site", files)
    result = build(site)
    assert result.returncode == 0, result.output
    return site / "output"


class Counting(http.server.SimpleHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Counting.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    """The site's server on 127.0.0.1 and "another host" on localhost (another origin) counting hits."""
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    Counting.hits = []
    started = []

    def serve(folder: Path) -> str:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}"

    try:
        yield serve, f"http://localhost:{other.server_address[1]}"
    finally:
        for httpd in [*started, other]:
            httpd.shutdown()
            httpd.server_close()


def page_kinds(output: Path) -> dict[str, str]:
    post_page = next(p for p in (output / "posts").glob("rent*/index.html"))
    tag = next(p for p in (output / "tags").glob("*/index.html") if "bold" in p.parent.name)
    return {
        "home": "/",
        "post": "/" + post_page.parent.relative_to(output).as_posix() + "/",
        "category": "/posts/",
        "author": "/authors/rosa-delgado/",
        "authors": "/authors/",
        "tag": "/" + tag.parent.relative_to(output).as_posix() + "/",
        "tags": "/tags/",
        "archives": "/archives/",
        "group": "/groups/sanctuary-city/",
        "groups": "/groups/",
        "page": "/about-us/",
        "draft preview": "/" + next((output / "drafts").rglob("index.html")).parent.relative_to(output).as_posix() + "/",
    }


def visit(browser, url: str, width: int = 1280) -> dict:
    page = browser.new_page(viewport={"width": width, "height": 800})
    dialogs, requests, blocked = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: blocked.append((r.url, r.failure)))
    try:
        response = page.goto(url, wait_until="load")
        for box in page.locator(":is(.entry, .entry-summary, p):visible").all()[:20]:
            box.hover()  # hover handlers would fire now
        page.wait_for_timeout(200)
        state = page.evaluate("""() => ({
            pwned: window.__pwned, scripts: document.scripts.length,
            csp: [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]')].map(m => m.content),
            scrollWidth: document.documentElement.scrollWidth,
            text: document.body.innerText,
            title: document.title,
        })""")
    finally:
        page.close()
    state.update(status=response.status if response else None, dialogs=dialogs, requests=requests, blocked=blocked)
    return state


@pytest.mark.browser
def test_hostile_writer_markup_runs_nothing_and_asks_no_other_host_on_any_page(tmp_path, servers):
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    serve, other = servers
    output = hostile_site(tmp_path, other)
    base = serve(output)
    kinds = page_kinds(output)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            states = {kind: visit(browser, base + path) for kind, path in kinds.items()}
            narrow = {kind: visit(browser, base + path, width=320) for kind, path in kinds.items()}
        finally:
            browser.close()
    for kind, state in states.items():
        assert state["status"] == 200, kind
        assert state["pwned"] is None and state["dialogs"] == [], (kind, state["pwned"], state["dialogs"])
        assert state["scripts"] == 0, kind
        assert state["csp"] and "default-src 'self'" in state["csp"][0], kind
        foreign = [u for u in state["requests"] if not u.startswith(base + "/")]
        assert foreign == [], (kind, foreign)
        assert narrow[kind]["scrollWidth"] <= 320, (kind, narrow[kind]["scrollWidth"])
    assert Counting.hits == []
    # The markup shows as the text the writer typed, not as elements.
    assert "Rent window.__pwned = 1 & strike" in states["post"]["title"]
    assert "Plain summary" in states["home"]["text"]  # the summary is kept, as text
    assert "About" in states["page"]["text"]


@pytest.mark.browser
def test_the_content_security_policy_stops_markup_that_slipped_past_every_check(tmp_path, servers):
    """Defence in depth: paste what the checks refuse straight into a built page."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    serve, other = servers
    output = hostile_site(tmp_path, other)
    page_file = next((output / "posts").glob("rent*/index.html"))
    missed = (
        f'<img src="{other}/img.png" alt="a"><img src="/x.png" srcset="{other}/srcset.png 2x" alt="b">'
        f'<video poster="{other}/poster.jpg"></video><div style="background:url({other}/bg.gif)">bg</div>'
        f'<link rel="stylesheet" href="{other}/style.css"><link rel="prefetch" href="{other}/prefetch">'
        f'<script>{PWN.format(n=8)}</script><script src="{other}/script.js"></script>'
        f'<iframe src="{other}/frame"></iframe><object data="{other}/object"></object>'
        f'<style>p {{ background: url({other}/style-block.png) }}</style>'
        f'<img src="/x.png" onerror="{PWN.format(n=9)}" alt="c">'
    )
    html = page_file.read_text(encoding="utf-8")
    html = re.sub(r'(<div class="article-body">)', lambda m: m.group(1) + missed, html, count=1)
    assert missed in html
    page_file.write_text(html, encoding="utf-8")
    base = serve(output)
    url = base + "/" + page_file.parent.relative_to(output).as_posix() + "/"
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            state = visit(browser, url)
        finally:
            browser.close()
    assert state["pwned"] is None
    # Chromium announces the requests, then refuses them itself: the other host hears nothing.
    tried = sorted(u for u in state["requests"] if not u.startswith(base + "/"))
    assert tried, "the pasted markup asked for nothing: the test would prove nothing"
    refused = sorted(url for url, reason in state["blocked"] if "csp" in (reason or "").lower())
    assert refused == tried, (tried, state["blocked"])
    assert Counting.hits == []


# --- full excerpts stay in the column ---------------------------------------------------------

WIDE_EXCERPT = (
    "<table><tr>" + "".join(f"<th>Heading {n}</th>" for n in range(30)) + "</tr><tr>"
    + "".join(f"<td>value{n}</td>" for n in range(30)) + "</tr></table>"
    + "<ul><li>level" * 40 + "</li></ul>" * 40
    + "<blockquote>quote" * 40 + "</blockquote>" * 40
    + "<dl><dd>term" * 20 + "</dd></dl>" * 20
    + "<p>" + "Unbreakable" * 40 + "</p><pre>" + "x" * 300 + "</pre>"
    + '<img src="/theme/favicon.svg" width="3000" height="10" alt="a very wide picture">'
)


@pytest.mark.browser
def test_full_excerpt_markup_stays_inside_the_issue_page_at_320_px(built_site, tmp_path):
    """What a full-excerpt issue may carry from another site, in every excerpt of a
    real issue page: a 30-column table made a page 10,339 px wide before."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    import shutil

    output = tmp_path / "output"
    shutil.copytree(built_site, output)
    issue_page = sorted((output / "digest").glob("*/index.html"))[-1]
    html = issue_page.read_text(encoding="utf-8")
    html, count = re.subn(r'(<div class="digest-item-excerpt">)', lambda m: m.group(1) + WIDE_EXCERPT, html)
    assert count >= 2, "no excerpt on the sample issue page"
    issue_page.write_text(html, encoding="utf-8")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(output)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/" + issue_page.parent.relative_to(output).as_posix() + "/"
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = browser.new_page(viewport={"width": 320, "height": 700})
                page.goto(url, wait_until="load")
                result = page.evaluate("""() => ({
                    scrollWidth: document.documentElement.scrollWidth,
                    tableBox: document.querySelector('.digest-item-excerpt table').getBoundingClientRect().right,
                    tableScrolls: (t => t.scrollWidth > t.clientWidth)(document.querySelector('.digest-item-excerpt table')),
                    text: document.querySelector('.digest-item-excerpt').innerText,
                })""")
            finally:
                browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result["scrollWidth"] <= 320, result["scrollWidth"]
    assert result["tableBox"] <= 320 and result["tableScrolls"]  # the table scrolls in its own box
    assert "value29" in result["text"] and "level" in result["text"]  # nothing was cut


def test_titles_are_escaped_once_entities_writers_type_included(tmp_path):
    site = make_site(tmp_path / "site", {
        "posts/tom.md": post("Tom &amp; Jerry <b>x</b> & 5 &lt; 6", Summary="Rent &amp; wages <em>now</em>"),
    })
    result = build(site)
    assert result.returncode == 0, result.output
    html = next((site / "output" / "posts").glob("*/index.html")).read_text(encoding="utf-8")
    h1 = re.search(r'<h1 class="article-title">(.*?)</h1>', html).group(1)
    assert h1 == "Tom &amp; Jerry x &amp; 5 &lt; 6"  # shows "Tom & Jerry x & 5 < 6": no <b>, no &amp;amp;
    listing = (site / "output" / "index.html").read_text(encoding="utf-8")
    assert ">Tom &amp; Jerry x &amp; 5 &lt; 6</a>" in listing
    assert "Rent &amp; wages <em>now</em>" in listing  # the summary keeps its emphasis
    assert "&amp;amp;" not in html + listing
