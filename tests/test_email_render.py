"""email.html and email-body.html: size, inlined CSS, absolute URLs, escaping."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from digest.models import ItemImage
from digest_email.build import render_issue, write_all, write_issue
from digest_email.errors import EmailError
from digest_email.settings import GMAIL_CLIP_BYTES, EmailSettings

from tests.test_email_fixtures import make_issue

SITEURL = "https://millbrook.example.org"
CONF = {
    "SITENAME": "Millbrook Chapter",
    "SITEURL": "",
    "DIGEST_NAME": "The Millbrook Lantern",
    "DIGEST_EMAIL_SITEURL": SITEURL,
    "DIGEST_EMAIL_FROM": "The Millbrook Lantern <lantern@millbrook.example.org>",
    "CHAPTER_ADDRESS": "Millbrook Chapter · PO Box 0000 · Millbrook",
}


class Tree(HTMLParser):
    """Every start tag with its attributes, and the text of <style> blocks."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)

    def urls(self) -> list[str]:
        return [a[k] for _, a in self.tags for k in ("href", "src") if k in a]

    def with_class(self, cls: str) -> list[dict]:
        return [a for _, a in self.tags if cls in (a.get("class") or "").split()]


def settings(**extra) -> EmailSettings:
    return EmailSettings.from_pelican({**CONF, **extra})


@pytest.fixture(scope="module")
def files():
    issue = make_issue(6)
    # Links the editor's Markdown may leave relative, and things email must not carry.
    issue.sections[0].items[0].excerpt_html += (
        '<p>See <a href="/digest/2026-09/">last month</a> and '
        '<img src="digests/images/2026-10/inline.png" alt="A crowded room"> '
        '<img src="https://tracker.example.net/pixel.gif" alt="">'
        "<script>alert('x')</script><style>p{display:none}</style></p>"
    )
    return issue, render_issue(issue, settings())


def strip_media(css: str) -> str:
    """The CSS left after removing every @media block (brace-balanced)."""
    out, i = [], 0
    while i < len(css):
        at = css.find("@media", i)
        if at < 0:
            out.append(css[i:])
            break
        out.append(css[i:at])
        depth, j = 0, css.index("{", at)
        while True:
            depth += {"{": 1, "}": -1}.get(css[j], 0)
            j += 1
            if depth == 0:
                break
        i = j
    return "".join(out)


def test_forty_item_issue_stays_under_gmail_clip_size():
    html = render_issue(make_issue(40), settings()).html
    size = len(html.encode("utf-8"))
    assert GMAIL_CLIP_BYTES == 102 * 1024
    assert size < GMAIL_CLIP_BYTES, f"40-item email.html is {size} bytes"
    # The first item is the cover story; the other 39 follow in their sections.
    assert html.count('class="cv"') == 1
    assert html.count('class="it"') == 39


def test_oversized_issue_warns_naming_the_issue(tmp_path, caplog):
    issue = make_issue(6)
    small = settings(DIGEST_EMAIL_MAX_BYTES=2000)
    with caplog.at_level(logging.WARNING, logger="digest_email"):
        write_issue(issue, small, tmp_path)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert issue.source_path in warnings[0] and issue.title in warnings[0]
    assert "102 KB" in warnings[0]
    # Files are still written: the editor decides what to cut.
    assert (tmp_path / "digest/2026-10/email.html").stat().st_size > 2000

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="digest_email"):
        write_issue(issue, settings(), tmp_path)
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_css_is_inlined_and_only_media_rules_remain(files):
    _, f = files
    tree = Tree(f.html)
    assert tree.styles, "the dark-mode <style> block is missing"
    css = "".join(tree.styles)
    assert "prefers-color-scheme:dark" in css.replace(" ", "")
    assert strip_media(css).strip() == ""
    tags = dict((t, a) for t, a in tree.tags if t in ("body", "h1", "h2", "h3"))
    for tag in ("body", "h1", "h2", "h3"):
        assert "style" in tags[tag], f"<{tag}> has no inlined style"
    container = tree.with_class("w")
    assert len(container) == 1 and "max-width:600px" in container[0]["style"]
    # No obsolete width attribute (the email is valid HTML): Outlook on
    # Windows, which ignores max-width, gets a 600 px table in a conditional comment.
    assert "width" not in container[0]
    assert '<!--[if mso]><table role="presentation" align="center" width="600"' in f.html
    for _, attrs in tree.tags:
        if attrs.get("href", "").startswith("http"):
            assert "color:" in attrs.get("style", ""), attrs
    assert [t for t, _ in tree.tags].count("table") >= 2
    assert all(a.get("role") == "presentation" for t, a in tree.tags if t == "table")


def test_no_script_and_no_foreign_style(files):
    _, f = files
    for html in (f.html, f.body):
        lowered = html.lower()
        assert "<script" not in lowered and "alert(" not in lowered
        assert "display:none}" not in lowered
    assert "<style" not in f.body.lower()


def test_every_url_is_absolute_and_images_come_from_the_site(files):
    _, f = files
    for html in (f.html, f.body):
        tree = Tree(html)
        urls = tree.urls()
        assert len(urls) > 10
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc, url
        srcs = [a["src"] for t, a in tree.tags if t == "img"]
        assert srcs and all(s.startswith(SITEURL + "/") for s in srcs)
        assert f"{SITEURL}/digest/2026-09/" in urls
        assert f"{SITEURL}/digests/images/2026-10/inline.png" in srcs
        assert not any("tracker.example.net" in u for u in urls)


def test_every_image_has_alt_text(files):
    issue, f = files
    imgs = [a for t, a in Tree(f.html).tags if t == "img"]
    assert len(imgs) == 1 + sum(1 for i in issue.items if i.image)
    assert all("alt" in a for a in imgs)
    assert {"Photo for item 0", "Photo for item 3", "A crowded room"} <= {a["alt"] for a in imgs}


def test_text_fields_are_escaped(files):
    issue, f = files
    title = issue.items[0].title
    assert "<next>" in title
    assert "<next>" not in f.html and "<next>" not in f.body
    assert "&amp; what comes &lt;next&gt;" in f.html
    assert "<next" not in [t for t, _ in Tree(f.html).tags]


def test_header_preheader_footer(files):
    issue, f = files
    tree = Tree(f.html)
    names = [t for t, _ in tree.tags]
    # The preheader is the first thing in <body>, hidden.
    pre = tree.tags[names.index("body") + 1]
    assert pre[0] == "div" and "display:none" in pre[1]["style"]
    assert "Welcome to this month" in f.html.split('class="ph"', 1)[1][:400]
    assert '<meta name="color-scheme" content="light dark">' in f.html
    assert '<h1 class="masthead-name" style=' in f.html and "Millbrook Chapter" in f.html
    assert f"<title>{issue.title}</title>" in f.html  # the subject line, unchanged
    assert "PO Box 0000" in f.html
    assert "reply with the word" in f.html
    assert f'href="{SITEURL}/digest/2026-10/"' in f.html
    # Each item's title is its one link: no "Read at …" line under it.
    assert "Read at" not in f.html


def test_unsubscribe_and_address_come_from_settings():
    issue = make_issue(2)
    s = settings(
        DIGEST_EMAIL_UNSUBSCRIBE="Unsubscribe",
        DIGEST_EMAIL_UNSUBSCRIBE_URL="*|UNSUB|*",
        DIGEST_EMAIL_ADDRESS="Millbrook Chapter · 12 Ferry Lane · Millbrook",
    )
    f = render_issue(issue, s)
    assert '<a href="*|UNSUB|*"' in f.html
    assert "12 Ferry Lane" in f.html and "PO Box 0000" not in f.html
    assert "*|UNSUB|*" in f.text
    tag_text = render_issue(issue, settings(DIGEST_EMAIL_UNSUBSCRIBE="{{ unsubscribe_link }}")).html
    assert "{{ unsubscribe_link }}" in tag_text


def test_body_fragment_has_content_but_no_document_header_or_footer(files):
    issue, f = files
    lowered = f.body.lower()
    for tag in ("<html", "<head", "<body", "<!doctype", "<h1", "<meta"):
        assert tag not in lowered
    assert "PO Box 0000" not in f.body and "unsubscribe" not in lowered
    for item in issue.items:
        assert item.link in f.body
    tree = Tree(f.body)
    assert all("style" in a for t, a in tree.tags if t in ("h2", "h3", "p"))
    # No colours: the organization's template decides them.
    assert "background" not in f.body


def test_missing_production_siteurl_is_a_clear_error(tmp_path, caplog):
    with pytest.raises(EmailError, match="DIGEST_EMAIL_SITEURL"):
        EmailSettings.from_pelican({"SITEURL": "", "DIGEST_EMAIL_SITEURL": ""})
    with pytest.raises(EmailError, match="DIGEST_EMAIL_SITEURL"):
        EmailSettings.from_pelican({"SITEURL": "/site", "DIGEST_EMAIL_SITEURL": "millbrook.example.org"})
    # SITEURL is the fallback when it is absolute.
    assert EmailSettings.from_pelican({"SITEURL": "https://a.example.org/"}).siteurl == "https://a.example.org"
    with caplog.at_level(logging.ERROR):
        written = write_all([make_issue(1)], {"SITEURL": ""}, tmp_path)
    assert written == [] and not (tmp_path / "digest").exists()
    assert any("DIGEST_EMAIL_SITEURL" in r.getMessage() for r in caplog.records)


def test_preview_siteurl_links_move_to_production():
    issue = make_issue(1)
    issue.items[0].excerpt_html = '<p><a href="http://127.0.0.1:8000/posts/x/">ours</a></p>'
    issue.items[0].image = ItemImage(src="http://127.0.0.1:8000/digests/images/2026-10/a.png", alt="a")
    f = render_issue(issue, settings(SITEURL="http://127.0.0.1:8000"))
    assert "127.0.0.1" not in f.html
    assert f"{SITEURL}/posts/x/" in f.html and f"{SITEURL}/digests/images/2026-10/a.png" in f.html


def test_write_all_puts_four_files_beside_the_page(tmp_path):
    issues = [make_issue(3, month="2026-10"), make_issue(2, month="2026-09", number=6)]
    written = write_all(issues, CONF, tmp_path)
    assert written == [tmp_path / "digest/2026-10", tmp_path / "digest/2026-09"]
    for d in written:
        assert sorted(p.name for p in d.iterdir()) == ["email-body.html", "email.html", "email.txt", "issue.eml"]
    assert "September 2026" in (tmp_path / "digest/2026-09/email.html").read_text()
    # No temporary files left behind.
    assert not list(tmp_path.rglob(".*"))


def test_issue_url_cannot_escape_output(tmp_path):
    issue = make_issue(1)
    issue.url = "../../etc/"
    with pytest.raises(EmailError, match="outside the output folder"):
        write_issue(issue, settings(), tmp_path / "out")


def test_chapter_own_items_link_to_the_post_once():
    issue = make_issue(3)
    own = issue.items[1]
    # As the digest plugin reads an own item in a dev build: a path on this site.
    own.link = "/posts/how-a-general-meeting-actually-works/"
    own.site_path = "posts/how-a-general-meeting-actually-works/"
    own.source_title = "Millbrook Chapter"
    f = render_issue(issue, settings())
    post = f"{SITEURL}/posts/how-a-general-meeting-actually-works/"
    hrefs = [a.get("href") for t, a in Tree(f.html).tags if t == "a"]
    assert hrefs.count(post) == 1  # the title, and nothing else
    assert "Read at" not in f.html and "Read on" not in f.html
    assert "Read at" not in f.text
    assert f"] {post}" in f.text
    assert f"{own.title} [" in " ".join(f.text.split())
