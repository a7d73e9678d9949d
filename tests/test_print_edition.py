"""The digest's print edition (plugins/digest_print): real Pelican builds of a
tiny site, the PDFs read back with pypdf and poppler, their QR codes decoded
with zbarimg; `invoke print`'s function; property tests of the HTML that goes
to paper.

PDF renders cost a second or more each, so the builds are module-scoped and
shared; tests that change content or settings get their own site and cache.
"""

from __future__ import annotations

import io
import re
import subprocess
import threading
from collections import Counter
from contextlib import redirect_stdout
from datetime import datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from digest_print.view import MAX_DEPTH, PRINT_TAGS, SHORT_ADDRESS, print_html, printed_address, public_link
from tests.test_digest_support import Site, png

PUBLIC = "https://millbrook.example.org"
SIGNUP = "https://forms.example.org/millbrook-lantern"  # pelicanconf's DIGEST_SIGNUP_URL
MONTH, MONTH_LABEL, NUMBER = "2026-10", "October 2026", 7
DRAFT_MONTH = "2026-11"
ISSUE_TITLE = f"The Millbrook Lantern | {MONTH_LABEL} (Issue {NUMBER})"
OWN_SLUG = "why-we-ride-the-14"
CATALOGUE = "https://eastlake.example.net/tools/catalogue/"
LETTER = (612.0, 792.0)
A4 = (595.28, 841.89)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
DRAFT_LABEL = "Draft: not for distribution"

INTRO = (
    "October brought the first frost to the Millbrook community gardens and a full room to every meeting we held.",
    "This issue gathers what our neighbours in Eastlake and Northfield wrote, with our own notes on the bus campaign.",
)

# (section, title, link, excerpt[, extra header lines]); the first item is the cover story.
ITEMS = [
    ("Cover story", "Orchard volunteers plant forty pear trees on Gable Hill",
     "https://eastlake.example.net/news/2026/10/orchard.html",
     "Thirty members and their children dug, watered and staked the new orchard in one long Saturday."),
    ("From our chapter", "Why we are riding the 14 bus all week", f"/posts/{OWN_SLUG}/",
     "A week of early rides, late transfers and a notebook of every missed connection."),
    ("Eastlake Chapter", "Tool library opens on Cedar Street",
     "https://eastlake.example.net/news/2026/10/tool-library.html",
     f"Ladders, drills and a cider press are listed in the [lending catalogue]({CATALOGUE}) for members."),
    ("Eastlake Chapter", "Bakers at the Linden Road plant win their first contract",
     "https://eastlake.example.net/news/2026/10/bakers-contract.html",
     "Three weeks on the picket line ended with a contract that caps double shifts at two a month."),
    ("Northfield Chapter", "Sunday hours return to the Northfield branch libraries",
     "https://northfield.example.net/2026/10/sunday-hours/",
     "The county restored the hours after four hundred library users signed the petition."),
    # "Field" and "office": ligatures must still come out of the PDF as letters.
    ("Northfield Chapter", "Field office moves above the hardware store",
     "https://northfield.example.net/2026/10/field-office/",
     "The new office has a ramp, a kettle and room for forty folding chairs."),
]


def own_url(link: str) -> str:
    return f"{PUBLIC}{link}" if link.startswith("/") else link


ITEM_LINKS = [own_url(link) for _, _, link, _ in ITEMS]
# The back page: the join page, the sign-up form and the site's address, each with a QR code.
BACK_LINKS = [f"{PUBLIC}/join/", SIGNUP, f"{PUBLIC}/"]


def issue_text(items, *, month=MONTH, number=NUMBER, status="published", intro=INTRO, date="2026-11-01 09:00",
               label=MONTH_LABEL) -> str:
    lines = [f"Title: The Millbrook Lantern | {label} (Issue {number})", f"Date: {date}", f"Issue: {number}",
             f"Month: {month}", f"Status: {status}", ""]
    for paragraph in intro:
        lines += [paragraph, ""]
    section = None
    for n, (heading, title, link, excerpt, *extra) in enumerate(items, start=1):
        if heading != section:
            section = heading
            lines += [f"## {heading}", ""]
        own = link.startswith("/")
        lines += [f"### {title}",
                  f"Id: site#posts/{link.strip('/').split('/')[-1]}" if own else f"Id: {link}#{n}",
                  f"Link: {link}",
                  "Source: Millbrook Chapter" if own else f"Source: {heading}"]
        if own:
            lines.append("Author: Tomasz Wren")
        else:
            lines.append(f"Source-URL: https://{urlsplit(link).hostname}/")
        lines += [f"Date: {month}-{10 + n:02d}", *(extra[0] if extra else []), "", excerpt, ""]
    return "\n".join(lines)


def make_site(root: Path, **settings) -> Site:
    root.mkdir(parents=True, exist_ok=True)
    conf = {"DIGEST_EMAIL_SITEURL": PUBLIC, "DIGEST_PRINT_CACHE": str(root / "print-cache"),
            "DIGEST_SHOW_DRAFTS": False, **settings}
    site = Site(root, **conf)
    site.post("bus-week", "Why we are riding the 14 bus all week", "2026-10-08 10:00", author="Tomasz Wren",
              slug=OWN_SLUG, body="We rode the 14 from the first bus to the last, every day for a week.")
    (site.content / "pages" / "join.md").write_text(
        "Title: Join the chapter\nSlug: join\nSummary: Dues, meetings and how to sign up.\n\n"
        "Come to a general meeting on the second Tuesday of the month.\n", encoding="utf-8")
    return site


# --- reading PDFs back --------------------------------------------------------------


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    return subprocess.run(["pdftotext", *pages, "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def flowing(text: str) -> str:
    """Text as one line: words joined across line breaks, hyphenated breaks mended."""
    return " ".join(re.sub(r"(\w)-\n\s*(\w)", r"\1\2", text).split())


def squeezed(text: str) -> str:
    """Text without any whitespace, to find an address broken over lines anywhere."""
    return "".join(text.split())


def page_sizes(path: Path) -> list[tuple[float, float]]:
    return [(float(page.mediabox.width), float(page.mediabox.height)) for page in PdfReader(path).pages]


def qr_codes_by_page(path: Path, folder: Path) -> list[list[str]]:
    """What zbarimg decodes on each page rendered at 200 dpi: one list of links per page."""
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(folder / "page")], check=True)
    pages = []
    for image in sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        found = subprocess.run(["zbarimg", "--raw", "-q", str(image)], capture_output=True, text=True)
        assert found.returncode in (0, 4), found.stderr  # 4: no symbol on this page
        pages.append(found.stdout.splitlines())
    return pages


def issue_pdf(output: Path, month: str = MONTH) -> Path:
    return output / "digest" / month / "issue.pdf"


# --- the shared builds ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lantern(tmp_path_factory) -> Site:
    """A published issue (and a draft) built as the public site: Letter paper, drafts hidden."""
    site = make_site(tmp_path_factory.mktemp("lantern"))
    site.issue_path(MONTH).write_text(issue_text(ITEMS), encoding="utf-8")
    draft_items = [("Eastlake Chapter", "Winter coat drive needs sorters", "https://eastlake.example.net/coats/",
                    "Bring a bag and an hour on Saturday morning.")]
    site.issue_path(DRAFT_MONTH).write_text(
        issue_text(draft_items, month=DRAFT_MONTH, number=NUMBER + 1, status="draft", label="November 2026",
                   date="2026-12-01 09:00"), encoding="utf-8")
    site.build()
    return site


@pytest.fixture(scope="module")
def lantern_pdf(lantern) -> Path:
    return issue_pdf(lantern.output)


@pytest.fixture(scope="module")
def lantern_qr_codes(lantern_pdf, tmp_path_factory) -> list[list[str]]:
    return qr_codes_by_page(lantern_pdf, tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def preview_output(lantern) -> Path:
    """The same site built as a preview (drafts shown), into its own output folder."""
    output = lantern.root / "preview-output"
    lantern.build(DIGEST_SHOW_DRAFTS=True, OUTPUT_PATH=str(output))
    return output


# --- 1. what the PDF shows ---------------------------------------------------------------


def test_pdf_is_letter_by_default(lantern_pdf):
    sizes = page_sizes(lantern_pdf)
    assert len(sizes) >= 3  # cover, items, back page
    assert all(size == pytest.approx(LETTER, abs=0.01) for size in sizes), sizes


def test_pdf_is_a4_when_the_setting_says_so(lantern):
    output = lantern.root / "a4-output"
    lantern.build(DIGEST_PRINT_PAPER="a4", OUTPUT_PATH=str(output))
    sizes = page_sizes(issue_pdf(output))
    assert all(size == pytest.approx(A4, abs=0.01) for size in sizes), sizes


def test_every_title_and_the_intro_are_printed(lantern_pdf):
    text = flowing(pdf_text(lantern_pdf))
    for _, title, _, _ in ITEMS:
        assert title in text
    for paragraph in INTRO:
        assert paragraph in text


def test_cover_names_the_issue_and_month(lantern_pdf):
    cover = flowing(pdf_text(lantern_pdf, 1, 1))
    assert f"Issue {NUMBER}" in cover
    assert MONTH_LABEL in cover
    assert "The Millbrook Lantern" in cover


def test_one_qr_code_per_item_and_three_on_the_back(lantern_qr_codes):
    # Exactly these codes, each once: one per item (the cover story's only
    # in its full entry, not on the cover) plus the back page's three.
    decoded = [link for page in lantern_qr_codes for link in page]
    assert Counter(decoded) == Counter(ITEM_LINKS + BACK_LINKS)
    assert lantern_qr_codes[0] == []  # the cover has none
    assert sorted(lantern_qr_codes[-1]) == sorted(BACK_LINKS)
    assert f"{PUBLIC}/posts/{OWN_SLUG}/" in decoded


def test_link_in_an_excerpt_becomes_a_footnote(lantern_pdf):
    text = pdf_text(lantern_pdf)
    address = "eastlake.example.net/tools/catalogue"
    assert address in squeezed(text)
    assert CATALOGUE not in squeezed(text)  # printed without its scheme
    # The footnote is numbered at the page's foot: "1. eastlake.example.net/...".
    assert re.search(r"\d+\.\s*" + re.escape(address), text)


def test_document_title_and_language(lantern_pdf):
    reader = PdfReader(lantern_pdf)
    assert reader.metadata.title == ISSUE_TITLE
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_public_build_has_no_pdf_of_a_draft(lantern):
    assert issue_pdf(lantern.output).is_file()
    assert not issue_pdf(lantern.output, DRAFT_MONTH).exists()


def test_preview_build_marks_the_draft_on_every_page(preview_output):
    draft = issue_pdf(preview_output, DRAFT_MONTH)
    pages = len(PdfReader(draft).pages)
    for page in range(1, pages + 1):
        assert DRAFT_LABEL in flowing(pdf_text(draft, page, page)), f"page {page}"
    assert DRAFT_LABEL not in pdf_text(issue_pdf(preview_output))  # the published issue is not marked


# --- 2. no network --------------------------------------------------------------------------


class _Recorder(BaseHTTPRequestHandler):
    """Answers every GET with a small picture, and records it."""

    def do_GET(self):
        self.server.seen.append(self.path)
        body = png(8, 8)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    """A loopback server: (its base URL, the paths requested from it)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    server.shutdown()
    server.server_close()
    thread.join()


def test_build_fetches_nothing_named_in_the_issue(tmp_path, recorder):
    base, seen = recorder
    site = make_site(tmp_path, DIGEST_PRINT_CACHE=str(tmp_path / "own-cache"))
    items = [
        ("Eastlake Chapter", "Mural on the union hall is finished", f"{base}/mural.html",
         f"![The finished mural]({base}/img.png) The painters signed it on Friday; "
         f'<img src="{base}/raw.png" alt="raw"> the [photo set]({base}/photos/) is online.',
         [f"Note: See the [sketches]({base}/sketches/) and ![sketch]({base}/sketch.png)"]),
        ("Eastlake Chapter", "Second item with a remote link", f"{base}/second.html",
         f"More at [the hall]({base}/hall/)."),
    ]
    intro = (f"An intro with a picture ![hall]({base}/intro.png) and a [link]({base}/intro/).",)
    site.issue_path(MONTH).write_text(issue_text(items, intro=intro), encoding="utf-8")
    site.build()
    assert issue_pdf(site.output).is_file()
    assert "Mural on the union hall is finished" in flowing(pdf_text(issue_pdf(site.output)))
    assert seen == []


def test_pdf_stage_loads_only_files_under_its_roots(tmp_path, recorder):
    # The issue reader already drops remote pictures, so the build above never
    # hands WeasyPrint one; here the PDF stage gets them directly, with a local
    # picture inside its roots (embedded) and one outside them (refused).
    from digest_print.pdf import render_pdf

    base, seen = recorder
    inside, outside = tmp_path / "content", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "ok.png").write_bytes(png(6, 6))
    (outside / "secret.png").write_bytes(png(6, 6, (0, 0, 200)))
    html = f"""<!DOCTYPE html><html lang="en"><head><title>Fetch test</title>
<link rel="stylesheet" href="{base}/sheet.css">
<style>@import url("{base}/import.css"); @font-face {{ font-family: Far; src: url("{base}/font.woff2"); }}
body {{ background: url("{base}/background.png"); font-family: Far, serif; }}</style></head>
<body><p>Local and remote pictures.</p>
<img src="ok.png" alt="local"><img src="{base}/remote.png" alt="remote">
<img src="{(outside / 'secret.png').as_uri()}" alt="outside"><img src="../elsewhere/secret.png" alt="climbing out">
<object data="{base}/object.png"></object><iframe src="{base}/frame.html"></iframe></body></html>"""
    pdf = render_pdf(html, base=inside, roots=(inside,))
    assert pdf.startswith(b"%PDF-")
    assert seen == []
    embedded = [image for page in PdfReader(io.BytesIO(pdf)).pages for image in page.images]
    assert len(embedded) == 1  # ok.png only


# --- 3. the cache ---------------------------------------------------------------------------


def _edition(site: Site):
    from digest.issue import read_issue
    from digest.settings import DigestSettings
    from digest_print.build import make_edition, print_context
    from digest_print.settings import PrintSettings

    settings = site.settings()
    conf = DigestSettings.from_pelican(settings)
    prints = PrintSettings.from_pelican(settings)
    issue = read_issue(site.issue_path(MONTH), conf, now=datetime.now(conf.timezone))
    return make_edition(issue, print_context(settings, conf, prints), prints, site.output)


def test_unchanged_issue_is_taken_from_the_cache_and_a_changed_one_rendered(tmp_path):
    site = make_site(tmp_path)
    items = ITEMS[:2]
    site.issue_path(MONTH).write_text(issue_text(items), encoding="utf-8")
    first = _edition(site)
    again = _edition(site)
    assert first.rendered and not again.rendered
    assert again.cache_path == first.cache_path

    site.issue_path(MONTH).write_text(issue_text(items).replace("forty pear trees", "forty plum trees")
                                      .replace("dug, watered", "dug, mulched"), encoding="utf-8")
    changed = _edition(site)
    assert changed.rendered
    assert changed.cache_path != first.cache_path
    assert "mulched" in pdf_text(changed.cache_path)


def test_rebuilding_an_unchanged_site_writes_the_same_pdf(tmp_path):
    site = make_site(tmp_path)
    site.issue_path(MONTH).write_text(issue_text(ITEMS[:2]), encoding="utf-8")
    site.build()
    first = issue_pdf(site.output).read_bytes()
    cached = sorted(p.name for p in (tmp_path / "print-cache").glob("*.pdf"))
    site.build()
    assert issue_pdf(site.output).read_bytes() == first
    assert sorted(p.name for p in (tmp_path / "print-cache").glob("*.pdf")) == cached == cached[:1]


# --- 4. invoke print --------------------------------------------------------------------------


def run_print(site: Site, month: str, paper: str | None = None) -> tuple[int, str]:
    from digest_print.cli import print_issue

    out = io.StringIO()
    with redirect_stdout(out):
        code = print_issue(site.root, site.conf, month=month, paper=paper)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def cli_site(tmp_path_factory) -> Site:
    site = make_site(tmp_path_factory.mktemp("cli"))
    site.issue_path(MONTH).write_text(issue_text(ITEMS[2:4]), encoding="utf-8")
    return site


def test_print_writes_one_issue_on_a4(cli_site):
    code, said = run_print(cli_site, MONTH, paper="a4")
    assert code == 0, said
    assert f"output/digest/{MONTH}/issue.pdf" in said
    assert "a4" in said
    sizes = page_sizes(issue_pdf(cli_site.output))
    assert all(size == pytest.approx(A4, abs=0.01) for size in sizes), sizes


def test_print_refuses_a_bad_month(cli_site):
    code, said = run_print(cli_site, "2026-13")
    assert code == 2
    assert said.startswith("error:")
    assert "2026-13" in said
    assert "Traceback" not in said


def test_print_of_a_month_without_an_issue_says_how_to_compose_it(cli_site):
    code, said = run_print(cli_site, "2026-09")
    assert code == 2
    assert said.startswith("error:")
    assert "`invoke digest --month 2026-09`" in said
    assert not issue_pdf(cli_site.output, "2026-09").exists()


# --- 5. properties of the HTML for paper ------------------------------------------------------

SCHEMES = ("http", "https")
HOSTILE_TAGS = sorted(PRINT_TAGS) + ["span", "div", "script", "style", "img", "iframe", "svg", "math", "table",
                                     "td", "object", "embed", "form", "input", "video", "template", "noscript",
                                     "title", "textarea", "xmp", "plaintext", "base", "link", "meta"]
# Text full of what breaks printing or parsing: bidi controls, NULs, line and
# paragraph separators (U+2029 crashed WeasyPrint's line breaking), markup characters.
SEPARATORS = "\u2028\u2029\x0b\x0c\x85"
text_pieces = st.one_of(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                        st.sampled_from(list(BIDI) + list(SEPARATORS) + ["\x00", "<", ">", "&", '"', "'", "&amp;",
                                                                         "&#x202e;", "&#0;", "&#x2029;"]))
hostile_text = st.lists(text_pieces, max_size=40).map("".join)
address_text = st.text(st.characters(codec="ascii", exclude_characters="\x00"), max_size=30)
hrefs = st.one_of(
    st.sampled_from(["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)", "vbscript:x",
                     "data:text/html,<script>alert(1)</script>", "//evil.example/x", "/relative/path", "#top",
                     "mailto:lantern@millbrook.example.org", "https://", "http://[::1", ""]),
    st.builds(lambda scheme, rest: f"{scheme}://eastlake.example.net/{rest}", st.sampled_from(SCHEMES), address_text),
    st.builds(lambda n: "https://eastlake.example.net/" + "a" * n, st.integers(100, 6000)),
)
attributes = st.lists(st.one_of(
    st.tuples(st.just("href"), hrefs),
    st.tuples(st.sampled_from(["title", "onclick", "style", "src", "class", "id", "srcset", "onerror", "dir"]),
              hostile_text),
), max_size=3)


def element(tag: str, attrs, children: list[str], closed: bool) -> str:
    attrs_html = "".join(f' {name}="{value.replace(chr(34), "&quot;")}"' for name, value in attrs)
    return f"<{tag}{attrs_html}>" + "".join(children) + (f"</{tag}>" if closed else "")


# Links get their own branch: among forty-odd tags a random one would seldom be an <a href>.
link_attributes = st.builds(lambda href, others: [("href", href), *others], hrefs, attributes)
trees = st.recursive(
    hostile_text,
    lambda children: st.one_of(
        st.builds(element, st.just("a"), link_attributes, st.lists(children, max_size=3), st.booleans()),
        st.builds(element, st.sampled_from(HOSTILE_TAGS), attributes, st.lists(children, max_size=4), st.booleans()),
    ),
    max_leaves=25,
)
opening_tags = st.one_of(
    st.sampled_from(["em", "blockquote", "div", "li", "ul", "span", "b", "q", "abbr"]).map(lambda t: (t, [])),
    st.tuples(st.just("a"), link_attributes),
)
deep = st.builds(
    lambda tags, depth, inner, closed: "".join(element(t, a, [], False) for t, a in (tags * depth)[:depth]) + inner
    + ("".join(f"</{t}>" for t, _ in reversed((tags * depth)[:depth])) if closed else ""),
    st.lists(opening_tags, min_size=1, max_size=4), st.integers(1, 400), trees, st.booleans(),
)
fragments = st.one_of(trees, deep, st.lists(st.one_of(trees, deep), max_size=3).map("".join))


class _Events(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.events = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.events.append(("start", tag, attrs))

    def handle_endtag(self, tag):
        self.events.append(("end", tag, None))

    def handle_data(self, data):
        self.events.append(("data", data, None))


def check_print_html(out: str) -> None:
    assert not re.search(f"[{BIDI}]", out)
    assert not re.search(f"[{SEPARATORS}\x00]", out)
    parser = _Events()
    parser.feed(out)
    parser.close()
    events = parser.events
    stack: list[tuple[str, str | None]] = []
    for n, (kind, tag, attrs) in enumerate(events):
        if kind == "start":
            assert tag in PRINT_TAGS | {"span"}, tag
            names = [name for name, _ in attrs]
            assert len(names) == len(set(names))
            allowed = {"a": {"href"}, "abbr": {"title"}, "span": {"class"}}.get(tag, set())
            assert set(names) <= allowed, (tag, attrs)
            values = dict(attrs)
            if tag == "span":
                assert values == {"class": "footnote"}
            if "href" in values:
                parts = urlsplit(values["href"])
                assert parts.scheme.lower() in SCHEMES and parts.hostname, values["href"]
            if tag != "br":
                stack.append((tag, values.get("href")))
                assert len(stack) <= MAX_DEPTH + 1, [t for t, _ in stack]
        elif kind == "end":
            assert stack and stack[-1][0] == tag, (tag, stack)  # well nested
            _, href = stack.pop()
            if tag == "a" and href:
                # Its address printed right after it, as a footnote, and nothing else in it.
                follow = events[n + 1: n + 4]
                assert follow == [("start", "span", [("class", "footnote")]),
                                  ("data", printed_address(href), None), ("end", "span", None)], follow
    assert stack == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(fragments)
def test_print_html_keeps_only_the_print_allow_list(fragment):
    check_print_html(print_html(fragment))


def test_print_html_bounds_a_deep_nest_of_links_and_footnotes():
    # Fixed examples next to the property, so these shapes are always tried.
    nest = "".join(f'<blockquote><a href="https://eastlake.example.net/{n}">' for n in range(300))
    out = print_html(nest + "deepest" + "</a></blockquote>" * 300)
    check_print_html(out)
    assert "deepest" in out
    assert out.count('class="footnote"') >= 1
    check_print_html(print_html("<em>" * 500 + "\u202eunclosed \x00 text"))


# Bidi controls in an address are percent-encoded, so the link, its footnote and
# its QR code all name the same page.
def test_print_html_drops_bidi_controls_from_link_addresses():
    check_print_html(print_html('<a href="https://eastlake.example.net/\u202egnp.exe">notes</a>'))


def test_qr_code_and_printed_address_name_the_same_page():
    link = public_link("https://eastlake.example.net/\u202egnp.exe")
    # A short address is printed whole: what a reader types must be what the code encodes.
    typed = re.sub(r"^https?://(www\.)?", "", link.url).rstrip("/") if link else None
    assert link is not None
    assert typed == link.printed


@settings(max_examples=150, deadline=None)
@given(url=st.one_of(hrefs, st.lists(text_pieces, max_size=300).map("".join)), limit=st.integers(4, 400))
def test_printed_address_never_exceeds_its_limit(url, limit):
    assert len(printed_address(url, limit)) <= limit


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_printed_address_with_a_tiny_limit(limit):
    assert len(printed_address("https://eastlake.example.net/news/", limit)) <= limit


# --- 6. hostile content, end to end -----------------------------------------------------------


def test_hostile_link_and_title_still_print(tmp_path):
    long_link = "https://eastlake.example.net/news/" + "x" * 5000 + "/end"
    plain_link = "https://northfield.example.net/2026/10/ordinary/"
    items = [
        ("Eastlake Chapter", "A link five thousand letters long", long_link, "The address is absurdly long."),
        ("Northfield Chapter", "Reversed \u202etitle\u202c with an override", plain_link, "A short excerpt."),
    ]
    site = make_site(tmp_path)
    site.issue_path(MONTH).write_text(issue_text(items), encoding="utf-8")
    site.build()
    pdf = issue_pdf(site.output)
    assert pdf.is_file()
    text = pdf_text(pdf)
    assert not re.search(f"[{BIDI}]", text)
    assert "Reversed title with an override" in flowing(text)
    # The long address is printed cut, with an ellipsis, and given no QR code.
    printed = printed_address(long_link, SHORT_ADDRESS)
    assert "…" in printed and len(printed) <= SHORT_ADDRESS
    assert printed in squeezed(text)
    decoded = [link for page in qr_codes_by_page(pdf, tmp_path) for link in page]
    # make_site writes a join page, so the back page has all three of its codes.
    assert Counter(decoded) == Counter([plain_link] + BACK_LINKS)



def test_rendering_a_pdf_leaves_pillow_refusing_truncated_images(tmp_path):
    # WeasyPrint's import turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole
    # process; the digest's images stage, in the same process, must still refuse them.
    from PIL import ImageFile

    from digest_print.pdf import render_pdf

    render_pdf('<html lang="en"><title>t</title><p>One line.</p></html>', base=tmp_path, roots=(tmp_path,))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_paragraph_separator_between_lines_prints(tmp_path):
    # A feed's excerpt with U+2029 between two lines made WeasyPrint fail an
    # assertion and stopped the whole build (found by the hostile pipeline test).
    from digest_print.pdf import render_pdf

    excerpt = print_html("<p>" + "Rent strike update, day forty. \u2029" * 30 + "</p>")
    assert "\u2029" not in excerpt
    pdf = render_pdf(f'<html lang="en"><title>t</title><div style="columns: 2">{excerpt}</div></html>',
                     base=tmp_path, roots=(tmp_path,))
    (tmp_path / "out.pdf").write_bytes(pdf)
    assert "day forty" in flowing(pdf_text(tmp_path / "out.pdf"))
