"""The publication's identity (plugins/chapter/brand.py) and where it shows:
accent colours that stay readable whatever the chapter picks, settings
errors a writer can act on, and the masthead, cover story, sign-up link and
quiet own-item links on the built pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from chapter.brand import DARK_BACKGROUNDS, LIGHT_BACKGROUNDS, MIN_CONTRAST, Brand, BrandError, contrast
from digest.render import MAX_SENTENCE, first_sentence
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_site_support import build, make_site, post, statement

hex_colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300, deadline=None)
@given(hex_colours)
def test_any_accent_gives_links_readable_on_every_background(accent):
    brand = Brand.from_settings({"CHAPTER_ACCENT": accent})
    for colour in (brand.accent_light,):
        assert all(contrast(colour, bg) >= MIN_CONTRAST for bg in LIGHT_BACKGROUNDS), (accent, colour)
    assert all(contrast(brand.accent_dark, bg) >= MIN_CONTRAST for bg in DARK_BACKGROUNDS), (accent, brand.accent_dark)
    # The button text (--bg on --accent) reads too, in both schemes.
    assert contrast(brand.accent_light, LIGHT_BACKGROUNDS[0]) >= MIN_CONTRAST
    assert contrast(brand.accent_dark, DARK_BACKGROUNDS[0]) >= MIN_CONTRAST
    css = brand.css()
    assert css.count("--accent:") == 2 and brand.accent_light in css and brand.accent_dark in css


def test_a_readable_accent_is_kept_as_set():
    assert Brand.from_settings({"CHAPTER_ACCENT": "#A1251B"}).accent_light == "#a1251b"
    # Too pale for a light page: darkened, same hue.
    pale = Brand.from_settings({"CHAPTER_ACCENT": "#ffcc00"})
    assert pale.accent_light != "#ffcc00" and contrast(pale.accent_light, "#ffffff") >= MIN_CONTRAST


@pytest.mark.parametrize(
    "setting, value, words",
    [
        ("CHAPTER_ACCENT", "red", "six hex digits"),
        ("CHAPTER_ACCENT", "#12345", "six hex digits"),
        ("DIGEST_SIGNUP_URL", "javascript:alert(1)", "full address of the sign-up form"),
        ("DIGEST_SIGNUP_URL", "forms.example.org/x", "full address of the sign-up form"),
        ("CHAPTER_LOGO", "images/logo.png", "must be an SVG"),
    ],
)
def test_bad_brand_settings_are_named_with_the_fix(setting, value, words):
    with pytest.raises(BrandError) as caught:
        Brand.from_settings({setting: value})
    assert setting in str(caught.value) and words in str(caught.value)


def test_a_build_with_a_bad_accent_stops_with_one_line_and_no_traceback(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("A post")}, extra_settings='CHAPTER_ACCENT = "brick"')
    result = build(site)
    assert result.returncode != 0
    assert "CHAPTER_ACCENT = 'brick' is not a colour" in result.output
    assert "Traceback" not in result.output


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600))
def test_first_sentence_of_any_intro_is_bounded_plain_text(text):
    from html import escape

    sentence = first_sentence(f"<p>{escape(text)}</p>")
    assert "<" not in sentence.replace("\N{HORIZONTAL ELLIPSIS}", "") or "<" in text
    assert len(sentence) <= MAX_SENTENCE + 1
    assert sentence == " ".join(sentence.split())


def test_first_sentence_stops_at_the_first_sentence_end():
    assert first_sentence("<p>One <em>two</em>. Three four.</p><p>Five.</p>") == "One two."
    assert first_sentence("<p>Is it “on”? Yes.</p>") == "Is it “on”?"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), []

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None


def links(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.links


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The sample chapter (content/, pelicanconf.py), built once."""
    from pathlib import Path

    from pelican import Pelican
    from pelican.settings import read_settings

    repo = Path(__file__).resolve().parent.parent
    out = tmp_path_factory.mktemp("brand-site")
    settings_ = read_settings(str(repo / "pelicanconf.py"), override={
        "OUTPUT_PATH": str(out), "PATH": str(repo / "content"), "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False,
        "PLUGINS": ["i18n", "chapter", "digest"],  # the email edition has its own tests
    })
    Pelican(settings_).run()
    return out


def test_issue_page_has_one_masthead_and_says_its_number_once(sample_site):
    html = (sample_site / "digest" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'class="masthead-name">The Millbrook Lantern<', html)
    assert html.count("Issue 2 ·") == 1 and "Issue 2 · October 2026" in html
    # The cover story is the first item of the file, with its picture, and is not repeated below.
    cover = html[html.index('class="digest-cover'):html.index("</article>", html.index('class="digest-cover'))]
    assert "Lakeview Towers tenants vote" in cover and "<img" in cover
    assert html.count("Lakeview Towers tenants vote to make their union permanent") == 1


def test_own_items_link_to_the_post_and_no_item_says_read_at(sample_site):
    html = (sample_site / "digest" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "Read at" not in html
    found = links(html)
    assert ("/posts/how-a-general-meeting-actually-works/", "How a general meeting actually works") in found
    # An item's one link: its title; the source's name is not a second link.
    assert not [href for href, text in found if text == "Eastlake Chapter" and not href.startswith("#")]


def test_statement_items_carry_one_byline(sample_site):
    html = (sample_site / "digest" / "2026-10" / "index.html").read_text(encoding="utf-8")
    start = html.index("The chapter endorses the Renters")
    meta = html[html.index('class="digest-item-meta"', start):html.index("</p>", html.index('class="digest-item-meta"', start))]
    assert meta.count("Millbrook Chapter") == 1


def test_signup_link_on_home_subscribe_and_digest_pages(sample_site):
    for page in ("index.html", "subscribe/index.html", "digest/index.html", "digest/2026-10/index.html"):
        found = links((sample_site / page).read_text(encoding="utf-8"))
        assert ("https://forms.example.org/millbrook-lantern", "Get The Millbrook Lantern by email") in found, page


def test_home_has_a_lead_story_and_the_latest_issue(sample_site):
    html = (sample_site / "index.html").read_text(encoding="utf-8")
    lead = html.index('class="lead-story')
    assert html.index('id="lead-title"') > lead
    box = html[html.index('class="issue-box"'):]
    assert "Issue 2 · October 2026" in box and "The Pier 9 strike is won" in box
    assert (sample_site / "theme" / "css" / "brand.css").read_text(encoding="utf-8").count("--accent:") == 2


def test_digest_index_cards_show_cover_number_month_and_first_sentence(sample_site):
    html = (sample_site / "digest" / "index.html").read_text(encoding="utf-8")
    cards = html.split('<li class="issue-card')[1:]
    assert len(cards) == 2
    assert "Issue 2" in cards[0] and "October 2026" in cards[0] and 'class="issue-card-image"' in cards[0]
    assert "September was a month of kitchens and spreadsheets." in cards[1]
    assert "In Harbor City" not in cards[1]  # the first sentence only


def test_without_a_signup_form_the_pages_say_how_members_get_it(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("A post"), "statements/s.md": statement("A statement")},
                     extra_settings='DIGEST_SIGNUP_URL = ""')
    result = build(site)
    assert result.returncode == 0, result.output
    html = (site / "output" / "index.html").read_text(encoding="utf-8")
    assert 'class="signup-link"' not in html
    assert "Members receive The Millbrook Lantern by email" in html
