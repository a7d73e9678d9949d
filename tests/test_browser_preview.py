"""The preview in real headless Chromium: the open page reloads by itself
after a save, under the preview's strict Content-Security-Policy, shows a
build error, and comes back with the next good save; nothing is loaded from
another host."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_site_serve import running
from test_site_support import make_site, post
from tests.browser import launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_open_page_follows_each_save(tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("The browser tests need Debian's Chromium: `sudo apt-get install chromium`.")
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="Original words.")})
    source = site / "content" / "posts" / "a.md"
    with running(site) as preview, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            requests, errors = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.on("pageerror", lambda e: errors.append(str(e)))
            # Opening the page connects the reload script before we save.
            with page.expect_request(lambda r: r.url.endswith("/__preview/events")):
                page.goto(preview.url + "posts/first-title/")
            assert "Original words." in page.inner_text("body")

            # The script reloads the page: a new document loads, with the new text.
            with page.expect_event("load", timeout=30_000):
                source.write_text(post("First title", body="Edited words."), encoding="utf-8")
            page.locator("body", has_text="Edited words.").wait_for(timeout=30_000)

            # A broken save: the open page turns into the error page by itself.
            source.write_text(post("First title", date="2025-99-01 10:00"), encoding="utf-8")
            page.locator("h1", has_text="The site did not build").wait_for(timeout=30_000)
            assert "content/posts/a.md:2: " in page.inner_text("pre")

            source.write_text(post("First title", body="Fixed words."), encoding="utf-8")
            page.locator("body", has_text="Fixed words.").wait_for(timeout=30_000)

            own = urlsplit(preview.url).netloc
            assert [u for u in requests if urlsplit(u).netloc != own] == []
            # The CSP (script-src 'self') let our script run and blocked nothing;
            # the only errors are the error page's own 500 status.
            assert errors and all("status of 500" in e for e in errors), errors
        finally:
            browser.close()
