"""The email edition looks like the publication the site shows: its masthead,
the site's palette and type with the chapter's accent, one byline and one
link an item, and the sign-up link for readers it was forwarded to."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings as hypothesis_settings, strategies as st

from digest_email.build import render_issue
from digest_email.settings import EmailSettings

from tests.test_email_fixtures import make_issue

REPO = Path(__file__).resolve().parent.parent
SITEURL = "https://millbrook.example.org"
SIGNUP = "https://forms.example.org/millbrook-lantern"
CONF = {
    "SITENAME": "Millbrook Chapter",
    "DIGEST_NAME": "The Millbrook Lantern",
    "DIGEST_EMAIL_SITEURL": SITEURL,
    "CHAPTER_ADDRESS": "Millbrook Chapter · PO Box 0000 · Millbrook",
}
MIN_CONTRAST = 4.5


def render(issue=None, **extra):
    return render_issue(issue or make_issue(6), EmailSettings.from_pelican({**CONF, **extra}))


class Elements(HTMLParser):
    """Every element: tag, attributes, its own text, and the classes of the
    elements it sits in."""

    VOID = {"br", "img", "hr", "meta", "link", "input", "wbr"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []
        self._open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        element = {
            "tag": tag,
            "attrs": attrs,
            "classes": (attrs.get("class") or "").split(),
            "inside": [c for e in self._open for c in e["classes"]],
            "text": "",
        }
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element["text"] += data

    def with_class(self, cls: str) -> list[dict]:
        return [e for e in self.elements if cls in e["classes"]]


def text_of(element: dict) -> str:
    return " ".join(element["text"].split())


def declarations(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        if ":" in part:
            name, value = part.split(":", 1)
            out[name.strip().lower()] = value.strip()
    return out


# WCAG 2.1 relative luminance and contrast ratio, written out here so the
# test does not share the code it checks.
def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


HEX = re.compile(r"#[0-9a-fA-F]{6}")


def colour(value: str) -> str:
    match = HEX.search(value)
    assert match, f"not a #rrggbb colour: {value!r}"
    return match.group(0).lower()


def dark_rules(html: str) -> list[tuple[str, dict[str, str]]]:
    """(selectors, declarations) of the prefers-color-scheme: dark block."""
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    start = style.index("{", style.index("prefers-color-scheme:dark")) + 1
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(style[end], 0)
        end += 1
    block = style[start : end - 1]
    return [
        (selectors.strip(), declarations(body.replace("!important", "")))
        for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", block)
    ]


def colour_pairs(html: str) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(where, text, background) in the light scheme (inline styles) and the dark one."""
    light = []
    for element in Elements(html).elements:
        style = declarations(element["attrs"].get("style") or "")
        if "color" in style:
            background = style.get("background-color") or style.get("background")
            where = f"<{element['tag']} class={element['attrs'].get('class')!r}>"
            assert background, f"{where} sets a text colour without its background"
            light.append((where, colour(style["color"]), colour(background)))
    dark = []
    for selectors, decls in dark_rules(html):
        if "color" in decls:
            assert "background-color" in decls, f"dark {selectors} sets a text colour without its background"
            dark.append((selectors, colour(decls["color"]), colour(decls["background-color"])))
    return light, dark


# --- The masthead ---------------------------------------------------------


def test_masthead_has_the_wordmark_issue_line_and_chapter():
    f = render(DIGEST_TAGLINE="What Millbrook and the chapters around us wrote this month")
    tree = Elements(f.html)
    [masthead] = tree.with_class("masthead")
    [name] = tree.with_class("masthead-name")
    [issue_line] = tree.with_class("masthead-issue")
    assert "masthead" in name["inside"] and "masthead" in issue_line["inside"]
    assert name["tag"] == "h1" and text_of(name) == "The Millbrook Lantern"
    assert text_of(issue_line) == "Issue 7 · October 2026"
    assert "Millbrook Chapter" in text_of(masthead)
    assert "What Millbrook and the chapters around us wrote this month" in text_of(masthead)
    # A text wordmark: no logo image (SVG is refused by many mail clients).
    assert not [e for e in tree.elements if e["tag"] == "img" and "masthead" in e["inside"]]
    # The subject line keeps its form, in <title> too.
    assert "<title>The Millbrook Lantern | October 2026 (Issue 7)</title>" in f.html
    lines = f.text.splitlines()
    assert lines[:5] == [
        "Millbrook Chapter · the monthly digest",
        "The Millbrook Lantern",
        "=====================",
        "Issue 7 · October 2026",
        "What Millbrook and the chapters around us wrote this month",
    ]


def test_masthead_without_tagline_and_with_other_names():
    issue = make_issue(2, month="2027-03", number=12)
    f = render(issue, SITENAME="Harbor City Chapter", DIGEST_NAME="The Harbor Ledger")
    tree = Elements(f.html)
    assert text_of(tree.with_class("masthead-name")[0]) == "The Harbor Ledger"
    assert text_of(tree.with_class("masthead-issue")[0]) == "Issue 12 · March 2027"
    assert tree.with_class("tg") == []
    assert f.text.splitlines()[:5] == [
        "Harbor City Chapter · the monthly digest",
        "The Harbor Ledger",
        "=================",
        "Issue 12 · March 2027",
        "",
    ]


def test_masthead_names_are_escaped():
    f = render(
        DIGEST_NAME="The <b>Lantern</b> & Co",
        DIGEST_TAGLINE="<script>x()</script>",
        DIGEST_EMAIL_FROM="The Lantern <lantern@millbrook.example.org>",
    )
    assert "<b>Lantern" not in f.html and "<script" not in f.html.lower()
    assert text_of(Elements(f.html).with_class("masthead-name")[0]) == "The <b>Lantern</b> & Co"


# --- Lede, cover story, sections --------------------------------------------


def test_intro_is_the_lede_then_the_cover_story_with_its_picture_then_the_sections():
    issue = make_issue(6)  # item 0 has a picture and an editor's note
    f = render(issue)
    html = f.html
    lede = html.index('class="in"')
    cover = html.index('class="cv"')
    contents = html.index('class="tc"')
    first_section = html.index('class="st"')
    assert lede < cover < contents < first_section
    tree = Elements(html)
    [cover_box] = tree.with_class("cv")
    [picture] = tree.with_class("ci")
    assert "cv" in picture["inside"]
    assert picture["attrs"]["src"] == f"{SITEURL}/digests/images/2026-10/img0.png"
    assert picture["attrs"]["alt"] == "Photo for item 0"
    assert "Cover story" in text_of(cover_box) and issue.items[0].title in text_of(cover_box)
    # The cover is not repeated in its section.
    assert html.count(f'href="{issue.items[0].link}"') == 1
    assert len(tree.with_class("it")) == len(issue.items) - 1
    assert f.text.index("COVER STORY") < f.text.index("IN THIS ISSUE")


def test_each_item_has_one_link():
    issue = make_issue(6, intro_html="<p>A quiet month, told without links.</p>")
    for item in issue.items:
        item.excerpt_html = "<p>Plain words about the meeting, with no links.</p>"
    f = render(issue, DIGEST_EMAIL_UNSUBSCRIBE_URL=f"{SITEURL}/unsubscribe/")
    hrefs = [e["attrs"]["href"] for e in Elements(f.html).elements if e["tag"] == "a"]
    for item in issue.items:
        assert hrefs.count(item.link) == 1, item.title
    # Beyond the items: the web version in the masthead and the unsubscribe link.
    assert len(hrefs) == len(issue.items) + 2
    assert not any(href.rstrip("/") == source.rstrip("/") for href in hrefs for source in
                   {i.source_url for i in issue.items})


def test_statement_signed_by_the_chapter_carries_one_byline():
    issue = make_issue(4)
    for statement, author in ((issue.items[0], "Millbrook  chapter"), (issue.items[2], "Millbrook Chapter")):
        statement.source_title = "Millbrook Chapter"
        statement.author = author
        statement.site_path = "statements/the-chapter-endorses-measure-r/"
        statement.link = "/statements/the-chapter-endorses-measure-r/"
    signed = issue.items[1]
    signed.source_title = "Millbrook Chapter"
    signed.author = "Steering Committee"
    f = render(issue)
    bylines = [text_of(e) for e in Elements(f.html).with_class("m") if "Millbrook" in e["text"]]
    assert sorted(bylines) == sorted([
        f"Millbrook Chapter · {issue.items[0].date:%B %-d, %Y}",  # the cover story
        f"Millbrook Chapter · {issue.items[2].date:%B %-d, %Y}",
        f"Millbrook Chapter · Steering Committee · {signed.date:%B %-d, %Y}",
    ])
    assert f"Millbrook Chapter · {issue.items[2].date:%B %-d, %Y}\n" in f.text
    assert f.text.lower().count("millbrook chapter · millbrook") == 0


def test_chapter_own_items_link_to_the_post_not_read_at():
    issue = make_issue(3)
    own = issue.items[2]
    own.source_title = "Millbrook Chapter"
    own.site_path = "posts/how-a-general-meeting-actually-works/"
    own.link = "/posts/how-a-general-meeting-actually-works/"
    f = render(issue)
    title = [e for e in Elements(f.html).elements if e["tag"] == "a" and text_of(e) == own.title]
    assert [a["attrs"]["href"] for a in title] == [f"{SITEURL}/posts/how-a-general-meeting-actually-works/"]
    assert "Read at" not in f.html and "Read at" not in f.text


# --- Sign-up for forwarded readers -------------------------------------------


def test_signup_link_when_the_chapter_has_a_form():
    f = render(DIGEST_SIGNUP_URL=SIGNUP)
    links = [e for e in Elements(f.html).elements if "signup-link" in e["classes"]]
    assert len(links) == 1
    assert links[0]["tag"] == "a" and links[0]["attrs"]["href"] == SIGNUP
    assert text_of(links[0]) == "Get The Millbrook Lantern by email"
    # Near the end: after the last item, before the address.
    assert f.html.index('class="signup-link"') > f.html.rindex('class="it"')
    assert f.html.index('class="signup-link"') < f.html.index("PO Box 0000")
    body = " ".join(f.text.split())
    number = re.search(r"Get The Millbrook Lantern by email \[(\d+)\]", body).group(1)
    assert f"\n[{number}] {SIGNUP}\n" in f.text + "\n"
    # Only a link: no form, no script, nothing loaded from the form's host.
    assert "<form" not in f.html and "<iframe" not in f.html and "<script" not in f.html
    assert [e for e in Elements(f.html).elements if e["tag"] == "img" and "forms.example.org" in e["attrs"]["src"]] == []


def test_no_signup_link_without_a_form_but_a_note():
    f = render()
    assert 'class="signup-link"' not in f.html and "forms.example.org" not in f.html
    [note] = Elements(f.html).with_class("signup-note")
    assert text_of(note) == "Members of Millbrook Chapter receive The Millbrook Lantern by email each month."
    assert "by email [" not in f.text
    assert "Members of Millbrook Chapter receive The Millbrook Lantern by email each month." in " ".join(f.text.split())


# --- Palette and type ---------------------------------------------------------


def site_stack(name: str) -> str:
    css = (REPO / "theme/static/css/site.css").read_text(encoding="utf-8")
    value = re.search(rf"--{name}:\s*([^;]+);", css).group(1)
    return ",".join(part.strip().replace('"', "'") for part in value.split(","))


def stack_of(element: dict) -> str:
    style = declarations(element["attrs"]["style"])
    value = style.get("font-family") or re.sub(r"^.*?\d+(?:\.\d+)?px(?:/[\d.]+)?\s+", "", style["font"])
    return ",".join(part.strip() for part in value.split(","))


def test_the_site_type_serif_body_sans_headings():
    tree = Elements(render().html)
    serif, sans = site_stack("serif"), site_stack("sans")
    assert "serif" in serif and "sans-serif" in sans
    assert stack_of(tree.with_class("bx")[0]) == serif  # body text
    assert stack_of(tree.with_class("masthead-name")[0]) == serif  # the wordmark
    assert stack_of(next(e for e in tree.elements if e["tag"] == "h3")) == sans
    assert stack_of(tree.with_class("m")[0]) == sans  # bylines
    assert stack_of(tree.with_class("masthead-issue")[0]) == sans


def test_the_site_palette_and_the_brand_accent():
    f = render(CHAPTER_ACCENT="#2d6a4f")
    tree = Elements(f.html)
    body = declarations(tree.with_class("bx")[0]["attrs"]["style"])
    assert colour(body["background-color"]) == "#fbf9f4" and colour(body["color"]) == "#1f1c18"
    issue_line = declarations(tree.with_class("masthead-issue")[0]["attrs"]["style"])
    assert colour(issue_line["color"]) == "#2d6a4f"  # dark enough to use as set
    link = next(e for e in tree.elements if e["tag"] == "a" and "x" in e["inside"])
    assert colour(declarations(link["attrs"]["style"])["color"]) == "#2d6a4f"
    dark = dict(dark_rules(f.html))
    assert colour(dark["body,.bg,.w,.hd,.bx"]["background-color"]) == "#161513"
    assert colour(dark["body,.bg,.w,.hd,.bx"]["color"]) == "#ece7df"
    assert colour(dark["a"]["color"]) != "#2d6a4f"  # lightened for the dark page


def test_every_text_colour_has_its_background_and_reads_in_both_schemes():
    issue = make_issue(8)
    f = render(issue, DIGEST_SIGNUP_URL=SIGNUP, DIGEST_TAGLINE="What the chapters wrote")
    light, dark = colour_pairs(f.html)
    assert len(light) > 30 and len(dark) >= 6
    for where, text, background in light + dark:
        assert contrast(text, background) >= MIN_CONTRAST, (where, text, background)
    # Body text, background and links, by name.
    wheres = {w for w, _, _ in light}
    assert any("class='bx'" in w for w in wheres) and any(w.startswith("<a ") for w in wheres)
    assert {"a", "body,.bg,.w,.hd,.bx", "a.signup-link"} <= {w for w, _, _ in dark}


@hypothesis_settings(max_examples=30, deadline=None)
@given(accent=st.from_regex(r"\A#[0-9a-f]{6}\Z"))
def test_any_accent_keeps_every_pair_readable(accent):
    f = render(make_issue(4), CHAPTER_ACCENT=accent, DIGEST_SIGNUP_URL=SIGNUP)
    light, dark = colour_pairs(f.html)
    for where, text, background in light + dark:
        assert contrast(text, background) >= MIN_CONTRAST, (accent, where, text, background)


def site_palette(scheme: str) -> dict[str, str]:
    """--bg, --text, --muted, --rule of site.css's light :root or its dark scheme."""
    css = (REPO / "theme/static/css/site.css").read_text(encoding="utf-8")
    dark_at = css.index("prefers-color-scheme: dark")
    block = css[:dark_at] if scheme == "light" else css[dark_at:]
    return {name: re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", block).group(1).lower()
            for name in ("bg", "text", "muted", "rule")}


def test_the_palette_is_the_sites():
    from digest_email.render import DARK, LIGHT

    assert LIGHT == site_palette("light")
    assert DARK == site_palette("dark")
