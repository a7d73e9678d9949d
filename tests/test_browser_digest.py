"""A composed issue full of hostile feed content, opened in real headless
Chromium: nothing runs, no dialog opens, nothing is requested from another host."""

from __future__ import annotations

import functools
import http.server
import threading
from urllib.parse import urlsplit

import pytest

from tests.feedserver import FeedServer
from test_digest_compose import HOSTILE_HTML, HOSTILE_TITLE
from test_digest_support import Site, fetch, png, rss, source, utc
from tests.browser import launch_chromium

pytestmark = pytest.mark.browser


PAYLOADS = HOSTILE_HTML + """
<img src="https://evil.example.com/beacon.gif" alt="beacon">
<p><a href="vbscript:msgbox(1)">vb</a></p><video src="https://evil.example.com/v.mp4" autoplay></video>
<link rel="stylesheet" href="https://evil.example.com/x.css"><audio src="https://evil.example.com/a.mp3" autoplay></audio>
<p>Plain paragraph that should survive.</p>
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_hostile_issue_page_is_inert(tmp_path, mode):
    from playwright.sync_api import sync_playwright

    with FeedServer() as feeds:
        # The feed server is on loopback, which image fetching refuses unless listed.
        site = Site(tmp_path, DIGEST_EXCERPT_MODE=mode, DIGEST_SHOW_DRAFTS=True,
                    DIGEST_IMAGE_ALLOW_HOSTS=[f"127.0.0.1:{feeds.port}"])
        feeds.route("/ok.png", body=png(6, 6), content_type="image/png")
        feeds.route("/ef.xml", body=rss("Eastlake Chapter", "https://eastlake.example.net/", [
            {"title": HOSTILE_TITLE, "link": "https://eastlake.example.net/hostile/", "guid": "ef-h",
             "date": utc(2025, 3, 6, 12), "author": "&lt;img src=x onerror=alert(1)&gt;Mallory",
             "description": PAYLOADS, "content": PAYLOADS + f'<img src="{feeds.url("/ok.png")}" alt="fine">'},
        ]))
        fetch(site.archive, [source(feeds, "/ef.xml", "Eastlake Chapter", "https://eastlake.example.net/")])
        code, _ = site.digest("2025-03")
        assert code == 0
    # Even an editor pasting a remote image and a script into the intro cannot load them.
    path = site.issue_path("2025-03")
    path.write_text(path.read_text().replace(
        "Status: draft\n\n", "Status: draft\n\n<script>window.__pwned=1</script>"
        "![remote](https://evil.example.com/intro.png) Intro.\n\n", 1))
    out = site.build()

    handler = functools.partial(_Quiet, directory=str(out))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page()
            dialogs, requests = [], []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(f"{base}/digest/2025-03/", wait_until="load")
            page.wait_for_timeout(500)
            title = page.title()
            pwned = page.evaluate("window.__pwned")
            heading = page.locator(".digest-item-title").first.inner_text()
            author = page.locator(".digest-item-author").first.inner_text()
            scripts = page.locator("main script").count()
            body_text = page.locator("main").inner_text()
            images = page.eval_on_selector_all("main img", "els => els.map(e => e.src)")
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert pwned is None
    assert title.startswith("The Millbrook Lantern | March 2025") and "pwned" not in title
    assert dialogs == []
    assert scripts == 0
    foreign = [url for url in requests if urlsplit(url).netloc != urlsplit(base).netloc]
    assert foreign == [], foreign
    assert "Totally" in heading and "normal" in heading  # the hostile title is shown as text
    assert "Mallory" in author
    # Sanitising keeps the harmless words, in both modes: the paragraph is in the
    # feed's description (summary excerpt) and in its content (full mode).
    assert "Plain paragraph that should survive." in body_text
    assert all(src.startswith(base + "/digests/images/2025-03/") for src in images), images
    # A summary is the excerpt as text: no image. Full mode shows the one real
    # image as a local copy. The remote beacon is never shown.
    assert len(images) == (1 if mode == "full" else 0), images
