"""Typographic punctuation at build time (plugins/chapter/typography.py).

A post titled `The jail's "new" policy -- again...` reads "The jail’s “new”
policy – again…" in its page, <title>, listings and feeds; code, pre, kbd,
scripts, styles, comments and attribute values keep what was typed; the
digest's titles (other sites' plain text), excerpts, notes and intro get the
same characters on the page and in both parts of the email, and escaped text
stays text. Hypothesis checks the transform on generated HTML and hostile
strings: idempotent, never raises, never adds, drops or alters a tag.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import smartypants
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chapter.typography import ATTR, convert_quotes_of_runs, smarten_html, smarten_text
from test_site_support import build, built_files, make_site, post, statement

TITLE = """The jail's "new" policy -- again..."""
CURLY_TITLE = "The jail’s “new” policy – again…"
SLUG = "the-jails-new-policy-again"  # what Pelican makes of the title as typed
CODE = """it's "raw" -- ..."""
KBD = """Ctrl--'"""
PRE = """$ grep "hold's" -- jail-data.csv..."""
ABBR_TITLE = "rent > wage 'x'"  # a raw > in a writer's attribute value
SKIP = {"code", "pre", "kbd", "samp", "tt", "math", "script", "style"}


# --- reading the output --------------------------------------------------------------------


class Doc(HTMLParser):
    """Tags, attributes, comments and text of an HTML document, as a browser would see them."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []  # ("start", tag, attrs) / ("end", tag) / ("comment", text) / ("text", text, skipped)
        self.open: list[str] = []
        self.texts: dict[str, list[str]] = {}  # tag -> texts of its elements
        self.attrs: list[tuple[str, dict]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, tuple(attrs)))
        self.attrs.append((tag, dict(attrs)))
        if tag not in ("meta", "link", "br", "img", "hr", "input"):
            self.open.append(tag)
            self.texts.setdefault(tag, []).append("")

    def handle_endtag(self, tag):
        self.events.append(("end", tag))
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass

    def handle_comment(self, data):
        self.events.append(("comment", data))

    def handle_data(self, data):
        skipped = any(tag in SKIP for tag in self.open)
        if self.events and self.events[-1][0] == "text" and self.events[-1][2] == skipped:
            self.events[-1] = ("text", self.events[-1][1] + data, skipped)
        else:
            self.events.append(("text", data, skipped))
        for tag in set(self.open):
            self.texts[tag][-1] += data

    def text(self, tag: str) -> list[str]:
        return [" ".join(t.split()) for t in self.texts.get(tag, [])]

    def elements(self) -> list[tuple]:
        return [e for e in self.events if e[0] != "text"]


def page(output, rel: str) -> Doc:
    return Doc((output / rel).read_text(encoding="utf-8"))


# Each substitution SmartyPants may make: (typographic character, what was typed).
SUBSTITUTIONS = [("‘", ("'",)), ("’", ("'",)), ("“", ('"',)), ("”", ('"',)),
                 ("–", ("--",)), ("—", ("---",)), ("…", ("...", ". . ."))]


def typographic_variant(typed: str, shown: str) -> bool:
    """Whether `shown` is `typed` with some quotes, dashes and ellipses made typographic, and nothing else changed."""
    i = j = 0
    while j < len(shown):
        if i < len(typed) and typed[i] == shown[j]:
            i, j = i + 1, j + 1
            continue
        for char, forms in SUBSTITUTIONS:
            if shown[j] == char:
                form = next((f for f in forms if typed.startswith(f, i)), None)
                if form is not None:
                    i, j = i + len(form), j + 1
                    break
        else:
            return False
    return i == len(typed)


def test_typographic_variant_is_a_strict_oracle():
    assert typographic_variant("it's -- a \"test\"...", "it’s – a “test”…")
    assert not typographic_variant("it's", "its")  # a lost character
    assert not typographic_variant("a<b", "a&lt;b")  # a changed one
    assert not typographic_variant("--", "—")  # the wrong dash
    assert not typographic_variant("x", "x’")  # an added one


# --- the site -----------------------------------------------------------------------------

BODY = f"""The sheriff's office says the change is "routine" -- we disagree...

Type `{CODE}` into the form, or press <kbd>{KBD}</kbd>.

    {PRE}

The <abbr title="{ABBR_TITLE}">RW</abbr> campaign's answer: "No."
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = make_site(tmp_path_factory.mktemp("typography") / "site", {
        "posts/jail.md": post(TITLE, body=BODY, Summary="""Why the county's "temporary" holds -- aren't..."""),
        "statements/wait.md": statement("""We won't "wait and see" """.strip()),
        "pages/who.md": "Title: Who we are -- and who we aren't\n\nThe chapter's members, in their words.\n",
    })
    result = build(root)
    assert result.returncode == 0, result.output
    return root / "output"


def test_the_post_page_shows_the_title_curly_in_h1_and_title(site):
    doc = page(site, f"posts/{SLUG}/index.html")
    assert doc.text("h1") == [CURLY_TITLE]
    assert doc.text("title")[0].startswith(CURLY_TITLE + " · ")


def test_slugs_and_urls_keep_what_was_typed(site):
    files = built_files(site)
    assert f"posts/{SLUG}/index.html" in files
    assert not [f for f in files if set(f) & set("‘’“”–—…")], files
    hrefs = [a.get("href", "") for tag, a in page(site, "index.html").attrs if tag == "a"]
    assert any(href.endswith(f"/posts/{SLUG}/") for href in hrefs), hrefs


def test_the_body_is_curly_but_code_pre_kbd_and_attributes_keep_what_was_typed(site):
    doc = page(site, f"posts/{SLUG}/index.html")
    paragraphs = doc.text("p")
    assert "The sheriff’s office says the change is “routine” – we disagree…" in paragraphs
    assert "The RW campaign’s answer: “No.”" in paragraphs
    assert CODE in doc.text("code")
    assert KBD in doc.text("kbd")
    assert PRE in doc.text("pre")
    assert ("abbr", {"title": ABBR_TITLE}) in doc.attrs


def test_listings_and_meta_description_show_the_curly_title_and_summary(site):
    summary = "Why the county’s “temporary” holds – aren’t…"
    for rel in ("index.html", "posts/index.html", "archives/index.html"):
        doc = page(site, rel)
        assert CURLY_TITLE in doc.text("a"), rel
    assert summary in " ".join(page(site, "index.html").text("main"))
    descriptions = [a.get("content") for tag, a in page(site, f"posts/{SLUG}/index.html").attrs
                    if tag == "meta" and a.get("name") == "description"]
    assert descriptions == [summary]


def test_feeds_carry_the_curly_title_and_code_as_typed(site):
    atom = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.parse(site / "feeds" / "all.atom.xml").getroot()
    entry = next(e for e in root.findall("a:entry", atom) if SLUG in e.find("a:link", atom).get("href"))
    assert entry.find("a:title", atom).text == CURLY_TITLE
    body = Doc(entry.find("a:content", atom).text)
    assert CODE in body.text("code")
    assert "The sheriff’s office says the change is “routine” – we disagree…" in body.text("p")
    rss_titles = [t.text for t in ET.parse(site / "feeds" / "all.rss.xml").getroot().iter("title")]
    assert CURLY_TITLE in rss_titles


def test_statements_and_pages_get_it_too(site):
    statement_page = next(p for p in built_files(site) if p.startswith("statements/we-wont") and p.endswith(".html"))
    assert page(site, statement_page).text("h1") == ["We won’t “wait and see”"]
    assert page(site, "who-we-are-and-who-we-arent/index.html").text("h1") == ["Who we are – and who we aren’t"]


def test_each_text_is_converted_once_per_build_not_per_page(tmp_path, monkeypatch):
    """The post shows on its page, the home page, archives, its category, author and tag pages and
    four feeds; its title, content and summary still go through the transform once each."""
    from pelican import Pelican
    from pelican.settings import read_settings

    from chapter import typography

    seen: list[str] = []

    def counting(text):
        seen.append(text)
        return smarten_html(text)

    monkeypatch.setattr(typography, "smarten_html", counting)
    root = make_site(tmp_path / "site", {"posts/jail.md": post(TITLE, body=BODY, Summary="The county's holds.",
                                                                 Tags="jail")})
    monkeypatch.chdir(root)
    Pelican(read_settings(str(root / "siteconf.py"), override={"CACHE_CONTENT": False})).run()
    assert CURLY_TITLE in page(root / "output", f"posts/{SLUG}/index.html").text("h1")
    assert seen.count(TITLE) == 1
    assert len([text for text in seen if "The sheriff" in text]) == 1
    assert len([text for text in seen if "holds." in text]) == 1


# --- the transform, by example -------------------------------------------------------------


def test_unicode_output_is_smartypants_own_with_attr_u():
    typed = """"Fair rents" -- now... or the tenants' strike"""
    assert smartypants.smartypants(typed, ATTR) == "“Fair rents” – now… or the tenants’ strike"
    assert smarten_text(typed) == smarten_html(typed) == "“Fair rents” – now… or the tenants’ strike"
    # Without Attr.u SmartyPants writes references, which a feed title or the email's text part would show as such.
    assert "&#8220;" in smartypants.smartypants(typed, ATTR & ~smartypants.Attr.u)


@pytest.mark.parametrize("typed, shown", [
    # SmartyPants misreads these; Markdown's smarty (used before) read them right.
    ("""a--"Yes" and a—"Yes\"""", "a–“Yes” and a—“Yes”"),  # a quote opens after a dash
    ("in the '80s", "in the ’80s"),  # a decade
    ("<em>Ana</em>'s <em>term</em>\" said", "<em>Ana</em>’s <em>term</em>” said"),  # a word's tail after markup
    # SmartyPants reads backslashes as its own escapes (two show as one); Markdown has handled the writer's already.
    ('share \\\\files\\\\ "draft"', 'share \\\\files\\\\ “draft”'),
    # References a writer typed for a straight quote stay straight.
    ("&quot;as typed&quot; and &#39;this&#39;", "&quot;as typed&quot; and &#39;this&#39;"),
])
def test_corrections_and_escapes(typed, shown):
    assert smarten_html(typed) == shown


@pytest.mark.parametrize("markup", [
    "<code>it's \"x\" -- ...</code>", "<pre>it's \"x\" -- ...</pre>", "<kbd>it's -- ...</kbd>",
    "<samp>'s'</samp>", "<script>var a = \"--\" + '...';</script>", "<style>a::after { content: \"--\" }</style>",
    "<pre><code>it's</code> \"still pre\" --</pre>",  # nested: the pre is still open
    "<!-- it's a \"comment\" -- ... -->", "<textarea>it's -- ...</textarea>",
    "<script>if (a<b && c>\"--\") {}</script>",  # a < in a script is no tag
])
def test_skipped_text_is_untouched(markup):
    text = f"<p>It's {markup} that's it...</p>"
    result = smarten_html(text)
    assert markup in result
    assert result.startswith("<p>It’s ") and result.endswith(" that’s it…</p>")


@pytest.mark.parametrize("tag", [
    '<abbr title="rent > wage -- \'x\'">', "<abbr title='a > \"b\" -- ...'>", '<a href="/x/?a=1--2" title=it\'s>',
    '<img alt="they said > \'no\'" src="/a.png">',
])
def test_attribute_values_are_untouched(tag):
    text = f"It's {tag}\"x\" -- y</abbr> that's all"
    result = smarten_html(text)
    assert tag in result
    assert "It’s" in result and "“x” – y" in result and "that’s all" in result


def test_an_unterminated_attribute_leaves_the_rest_alone():
    # A browser reads everything after the open quote as the value; so does the transform.
    assert smarten_html('It\'s <a title="never closed> it\'s -- "') == 'It’s <a title="never closed> it\'s -- "'


def test_escaped_text_stays_text():
    title = """<script>alert("x")</script> Dockworkers' "fair shift" -- day two... &amp; &#8220;"""
    shown = """<script>alert(“x”)</script> Dockworkers’ “fair shift” – day two… &amp; &#8220;"""
    assert smarten_text(title) == shown  # plain text in, plain text out: references stay what they were typed as
    assert smarten_html(html.escape(title, quote=False)) == html.escape(shown, quote=False)


# --- the digest: the record, the page and both parts of the email ----------------------------

ISSUE = """\
Title: The Millbrook Lantern | March 2025 (Issue 1)
Date: 2025-04-01 09:00
Issue: 1
Month: 2025-03
Status: published

Our intro: the county's "budget" -- again...

## Harbor City Chapter

### <script>alert("x")</script> Dockworkers' "fair shift" -- day two...
Id: https://harbor-city.example.org/feed/#hc-1
Link: https://harbor-city.example.org/a/
Source: Harbor City Chapter
Source-URL: https://harbor-city.example.org/
Date: 2025-03-04
Note: The editor's note -- "read it"...

The families' kitchen serves "four hundred" meals -- daily... Type `don't "quote" --` here.
"""
ITEM_TITLE = """<script>alert(“x”)</script> Dockworkers’ “fair shift” – day two…"""
EXCERPT = "The families’ kitchen serves “four hundred” meals – daily… Type don't \"quote\" -- here."
NOTE = "The editor’s note – “read it”…"
INTRO = "Our intro: the county’s “budget” – again…"


@pytest.fixture(scope="module")
def digest_site(tmp_path_factory):
    from test_digest_support import Site

    site = Site(tmp_path_factory.mktemp("typography-digest"))
    site.issue_path("2025-03").write_text(ISSUE, encoding="utf-8")
    return site


def test_the_issue_record_is_curly_and_titles_stay_plain_text(digest_site):
    from digest.issue import read_issue

    issue = read_issue(digest_site.issue_path("2025-03"), digest_site.digest_settings())
    item = issue.items[0]
    assert item.title == ITEM_TITLE
    excerpt, note, intro = Doc(item.excerpt_html), Doc(item.note_html), Doc(issue.intro_html)
    assert excerpt.text("p") == [EXCERPT]
    assert excerpt.text("code") == ["don't \"quote\" --"]
    assert note.text("p") == [NOTE] and intro.text("p") == [INTRO]
    assert not [e for e in excerpt.elements() + note.elements() + intro.elements() if e[1] == "script"]


def test_the_email_parts_show_the_same_characters_as_the_page(digest_site):
    from digest.issue import read_issue
    from digest_email.build import render_issue
    from digest_email.settings import EmailSettings

    issue = read_issue(digest_site.issue_path("2025-03"), digest_site.digest_settings())
    files = render_issue(issue, EmailSettings.from_pelican(digest_site.settings()))
    email = Doc(files.html)
    assert not [e for e in email.elements() if e[1] == "script"]
    shown = " ".join(" ".join(t.split()) for e in email.events if e[0] == "text" for t in [e[1]])
    text = " ".join(files.text.split())
    for words in (ITEM_TITLE, EXCERPT.split(" Type")[0], NOTE, INTRO):
        assert words in shown, words
        assert words in text, words


def test_the_issue_page_shows_the_record(digest_site):
    output = digest_site.build()
    doc = page(output, "digest/2025-03/index.html")
    assert ITEM_TITLE in doc.text("h2") + doc.text("h3")  # the cover story's heading, or an item's
    assert EXCERPT in doc.text("p") and INTRO in doc.text("p")
    assert not [e for e in doc.elements() if e[0] == "start" and e[1] == "script" and not dict(e[2]).get("src")]


# --- Hypothesis: generated HTML and hostile strings -----------------------------------------

PROSE = st.lists(st.sampled_from([
    "it's", "'", '"', "--", "---", "...", ". . .", "'80s", " ", "\n", "a", "Ana", "—", "–", "’", "“", "\\", "-", ".",
    "&amp;", "&lt;", "&gt;", ">", "&quot;", "&#39;", "&#8220;", "&mdash;", "&nbsp;", "(", "[", "1", "_",
]), max_size=12).map("".join)
VALUE = st.lists(st.sampled_from(["it's", "'", "--", "...", ">", "<", "a", " ", "&amp;", "&quot;", "="]),
                 max_size=6).map("".join)


def attribute(name: str):
    return st.one_of(
        VALUE.map(lambda v: f' {name}="{v.replace(chr(34), "&quot;")}"'),
        VALUE.map(lambda v: f" {name}='{v.replace(chr(39), '&#39;')}'"),
    )


def element(children):
    plain = st.sampled_from(["p", "em", "strong", "q", "blockquote", "span", "li", "code", "pre", "kbd", "samp"])
    return st.one_of(
        st.tuples(plain, st.lists(children, max_size=4)).map(lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"),
        st.tuples(attribute("href"), attribute("title"), st.lists(children, max_size=3)).map(
            lambda t: f"<a{t[0]}{t[1]}>{''.join(t[2])}</a>"),
        st.tuples(attribute("title"), st.lists(children, max_size=3)).map(
            lambda t: f"<abbr{t[0]}>{''.join(t[1])}</abbr>"),
    )


RAW = st.lists(st.sampled_from(["it's", '"', "--", "...", "<b>", "a<b", "x>y", " "]), max_size=6).map("".join)
LEAVES = st.one_of(
    PROSE,
    RAW.map(lambda t: f"<script>{t}</script>"),
    RAW.map(lambda t: f"<style>{t}</style>"),
    PROSE.filter(lambda t: "--" not in t and ">" not in t and not t.endswith("-")).map(lambda t: f"<!--{t}-->"),
    st.sampled_from(["<br>", '<img alt="it\'s -- >" src="/a.png">', "<hr>"]),
)
HTML = st.recursive(LEAVES, element, max_leaves=25).map(str)
FRAGMENTS = st.lists(HTML, max_size=5).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FRAGMENTS)
def test_generated_html_keeps_every_tag_and_skipped_text(fragment):
    result = smarten_html(fragment)
    assert smarten_html(result) == result  # idempotent
    before, after = Doc(fragment), Doc(result)
    assert after.elements() == before.elements()  # same tags, attributes and comments, in order
    texts_before = [e for e in before.events if e[0] == "text"]
    texts_after = [e for e in after.events if e[0] == "text"]
    assert [e[2] for e in texts_after] == [e[2] for e in texts_before]
    for (_, typed, skipped), (_, shown, _) in zip(texts_before, texts_after):
        if skipped:
            assert shown == typed
        else:
            assert typographic_variant(typed, shown), (typed, shown)


def without_skipped_elements(fragment: str) -> str:
    from chapter.typography import _STATEFUL

    return _STATEFUL.sub(lambda tag: "</span" if tag.group(0).startswith("</") else "<span", fragment)


@settings(max_examples=300, deadline=None)
@given(st.one_of(FRAGMENTS, st.text()).map(without_skipped_elements))
def test_the_quick_reading_agrees_with_the_tag_by_tag_one(fragment):
    """Without code, pre, script and the like, text is read in one split; the same result."""
    from chapter.typography import _STATEFUL, _smarten_stateful

    assert _STATEFUL.search(fragment) is None  # so smarten_html takes the quick reading
    assert smarten_html(fragment) == _smarten_stateful(fragment)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), FRAGMENTS.map(lambda f: f[: len(f) // 2])))  # anything, and HTML cut anywhere
def test_any_text_never_raises_and_is_idempotent(text):
    once = smarten_html(text)
    assert smarten_html(once) == once
    assert smarten_text(smarten_text(text)) == smarten_text(text)


QUOTED_RUN = st.lists(st.sampled_from([
    "'", '"', "'", '"', "s", "80s", "1", "a", "_", "-", "(", "[", "{", ".", ",", "&", ";", "#", " ", "\n", "\t", "\f",
    "\u00a0", "\u2003", "&nbsp;", "&mdash;", "&ndash;", "&#8211;", "&#x2013;", "&&#x2014;", "--", "’", "“",
    "the tenants of Alder Street ", "organizing", "\ufdd0", "\\", "B", "\\B", "!", "?", ")", ":", "don't",
    "tenants' ", ' "word" ', 'said." ', "é",
]), max_size=40).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(QUOTED_RUN, max_size=6))
def test_quotes_of_a_page_in_one_call_equal_one_call_per_run(runs):
    assert convert_quotes_of_runs(runs) == [smartypants.convert_quotes(run) for run in runs]


def educate_one_by_one(text: str, previous: str) -> str:
    """What `_educate_all` does to one run, written plainly: SmartyPants' conversions in its order."""
    if text in ("'", '"'):
        return {"'": "‘’", '"': "“”"}[text][bool(previous) and not previous.isspace()]
    text = smartypants.convert_ellipses(smartypants.convert_dashes_oldschool(text))
    if "'" in text or '"' in text:
        text = text.replace("–", "&ndash;").replace("—", "&mdash;")
        text = text.replace("&#8211;", "&ndash;").replace("&#8212;", "&mdash;")
        text = re.sub(r"(?<!\w)'(?=\d\ds\b)", "&#8217;", text)
        borrowed = previous.isalnum() or previous == "_"
        text = smartypants.convert_quotes(previous + text)[1:] if borrowed else smartypants.convert_quotes(text)
    text = text.replace("&ndash;", "–").replace("&mdash;", "—")
    return smartypants.convert_entities(text, 0)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(QUOTED_RUN.filter(bool), st.sampled_from(["", " ", "a", "’", ">", "_", "9"])), max_size=6))
def test_all_runs_of_a_page_at_once_equal_one_by_one(runs):
    from chapter.typography import _educate_all

    assert _educate_all(runs) == [educate_one_by_one(text, previous) for text, previous in runs]


HOSTILE = st.lists(st.one_of(st.sampled_from([
    "<script>", "</script>", "<img src=x onerror=alert(1)>", "<!--", "-->", "<b>", "&amp;", "&lt;", "&#8220;",
    "&quot;", "&", ";", "#", "<", ">", "'", '"', "--", "...", ". . .", "`", "\\", "’", "—", "\u00a0", "\x00", "\u2028",
]), st.characters()), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE, st.booleans())
def test_escaped_hostile_text_never_becomes_markup(text, quote):
    escaped = html.escape(text, quote=quote)
    result = smarten_html(escaped)
    doc = Doc(result)
    assert doc.elements() == []  # no element, no comment
    shown = "".join(e[1] for e in doc.events)
    assert typographic_variant(text, shown), (text, shown)
    if not quote:  # the digest's titles: plain text in, the same plain text out
        assert shown == smarten_text(text)
