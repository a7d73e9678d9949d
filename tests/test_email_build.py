"""The email edition in a real Pelican build: a tiny site with real issue
files read by the digest plugin, and the repository's own sample site."""

from __future__ import annotations

import email
import hashlib
import os
import subprocess
import sys
from email import policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit


from digest_email.settings import GMAIL_CLIP_BYTES

from tests.test_email_fixtures import tiny_png

REPO = Path(__file__).resolve().parent.parent
PELICAN = Path(sys.executable).parent / "pelican"
PNG = tiny_png(16, 8)
IMAGE = f"digests/images/2026-10/{hashlib.sha256(PNG).hexdigest()}.png"

ISSUE = f"""\
Title: The Millbrook Lantern | October 2026 (Issue 2)
Date: 2026-11-01 09:00
Issue: 2
Month: 2026-10
Status: published

Our neighbours had a busy autumn: a settled strike, a tax clinic, and a fight
to keep the libraries open on Sundays.

## Eastlake Chapter

### Greeters wanted for the free tax clinic
Id: https://eastlake.example.net/feed.xml#clinic
Link: https://eastlake.example.net/news/tax-clinic/
Source: Eastlake Chapter
Source-URL: https://eastlake.example.net/
Author: Tomasz Wren
Date: 2026-10-30
Image: {IMAGE}
Image-alt: Volunteers at a folding table
Note: We will carpool from the union hall.

Volunteers greet people, keep the coffee going and help with the
[sign-in sheet](https://eastlake.example.net/news/tax-clinic/sign-in/).

## Northfield Chapter

### Keep the branch libraries open on Sundays
Id: https://northfield.example.net/atom.xml#libraries
Link: https://northfield.example.net/2026/10/libraries/
Source: Northfield Chapter
Source-URL: https://northfield.example.net/
Date: 2026-10-12

The county wants to close four branches on Sundays. Northfield's members
are collecting signatures and stories from the people who use them.
"""

DRAFT = ISSUE.replace("2026-10", "2026-11").replace("Issue: 2", "Issue: 3").replace(
    "Status: published", "Status: draft"
).replace("(Issue 2)", "(Issue 3)")


def make_site(tmp_path: Path, **settings) -> Path:
    site = tmp_path / "site"
    (site / "content/digests/images/2026-10").mkdir(parents=True)
    (site / "content/digests/images/2026-11").mkdir(parents=True)
    (site / "content/digests/2026-10.md").write_text(ISSUE, encoding="utf-8")
    (site / "content/digests/2026-11.md").write_text(DRAFT, encoding="utf-8")
    # The chapter plugin reads its people here; this site has no posts to sign.
    (site / "content/people.toml").write_text("", encoding="utf-8")
    (site / "content" / IMAGE).write_bytes(PNG)
    (site / "content" / IMAGE.replace("2026-10", "2026-11")).write_bytes(PNG)
    conf = {
        "ROOT": str(site),
        "SITENAME": "Millbrook Chapter",
        "SITEURL": "",
        "TIMEZONE": "America/Los_Angeles",
        "PATH": "content",
        "THEME": str(REPO / "theme"),
        "PLUGIN_PATHS": [str(REPO / "plugins")],
        # chapter: the publication's identity (BRAND) for the theme and the email.
        "PLUGINS": ["i18n", "chapter", "digest", "digest_email"],
        "STATIC_PATHS": ["digests/images"],
        "ARTICLE_EXCLUDES": ["digests"],
        "PAGE_EXCLUDES": ["digests"],
        "DIGEST_NAME": "The Millbrook Lantern",
        "CHAPTER_ADDRESS": "Millbrook Chapter · PO Box 0000 · Millbrook",
        "DIGEST_EMAIL_FROM": "The Millbrook Lantern <lantern@millbrook.example.org>",
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        **settings,
    }
    body = "\n".join(f"{key} = {value!r}" for key, value in conf.items())
    (site / "conf.py").write_text(body + "\n", encoding="utf-8")
    return site


def build(site: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PELICAN), "content", "-s", "conf.py", "-o", "output"],
        cwd=site, capture_output=True, text=True, timeout=120,
        # Pelican logs through rich, which wraps at the terminal width: don't.
        env={**os.environ, "COLUMNS": "1000"},
    )


class Urls(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.urls, self.alts = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.urls += [a[k] for k in ("href", "src") if a.get(k)]
        if tag == "img":
            self.alts.append(a.get("alt"))


def test_build_writes_email_files_for_published_issues(tmp_path):
    site = make_site(tmp_path, DIGEST_EMAIL_SITEURL="https://millbrook.example.org")
    result = build(site)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = site / "output/digest/2026-10"
    assert (folder / "index.html").is_file()  # the digest plugin's page
    for name in ("email.html", "email.txt", "email-body.html", "issue.eml"):
        assert (folder / name).is_file(), name
    # Drafts get no email edition.
    assert not (site / "output/digest/2026-11/email.html").exists()

    html = (folder / "email.html").read_text(encoding="utf-8")
    assert "Greeters wanted for the free tax clinic" in html
    assert "carpool from the union hall" in html
    parsed = Urls(html)
    assert all(urlsplit(u).scheme == "https" and urlsplit(u).netloc for u in parsed.urls)
    assert f"https://millbrook.example.org/{IMAGE}" in parsed.urls
    assert "https://eastlake.example.net/news/tax-clinic/sign-in/" in parsed.urls
    assert "Volunteers at a folding table" in parsed.alts
    # The image the email points to is published by the same build.
    assert (site / "output" / IMAGE).read_bytes() == PNG

    msg = email.message_from_bytes((folder / "issue.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == "The Millbrook Lantern | October 2026 (Issue 2)"
    assert msg["From"] == "The Millbrook Lantern <lantern@millbrook.example.org>"
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "Greeters wanted for the free tax clinic [2]" in text
    assert "[2] https://eastlake.example.net/news/tax-clinic/" in text


def test_dev_build_without_absolute_siteurl_says_what_to_set(tmp_path):
    site = make_site(tmp_path, DIGEST_EMAIL_SITEURL="")
    result = build(site)
    log = result.stdout + result.stderr
    assert "DIGEST_EMAIL_SITEURL" in log
    assert (site / "output/digest/2026-10/index.html").is_file()  # the site itself still builds
    assert not (site / "output/digest/2026-10/email.html").exists()


def test_build_warns_when_an_issue_would_be_clipped(tmp_path):
    site = make_site(tmp_path, DIGEST_EMAIL_SITEURL="https://millbrook.example.org", DIGEST_EMAIL_MAX_BYTES=3000)
    result = build(site)
    assert result.returncode == 0
    log = result.stdout + result.stderr
    assert "WARNING" in log and "2026-10.md" in log and "102 KB" in log


def test_repository_sample_site_has_email_editions(built_site):
    issues = sorted(p.parent for p in (built_site / "digest").glob("*/index.html") if p.parent.name[:2] == "20")
    published = [
        p for p in issues
        if "Status: published" in (REPO / "content/digests" / f"{p.name}.md").read_text(encoding="utf-8")
    ]
    assert published
    for folder in published:
        html = (folder / "email.html").read_bytes()
        assert len(html) < GMAIL_CLIP_BYTES
        assert all(urlsplit(u).scheme in ("http", "https") for u in Urls(html.decode()).urls)
        msg = email.message_from_bytes((folder / "issue.eml").read_bytes(), policy=policy.default)
        assert msg.get_content_type() == "multipart/alternative"
