"""The issue file is the editor's: lossless reading and writing, merges that never
change what the editor wrote, and compose that never overwrites a save.

Property-based (Hypothesis) over generated issue files with editor-style edits,
plus regression tests for each way an editor's work was lost or changed.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import threading
from contextlib import redirect_stdout
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.format import format_item, one_line, safe_id
from digest.issue import read_issue
from digest.issuefile import Section, parse_issue_text, read_issue_doc
from digest.merge import ComposedPart, merge
from digest.models import ComposedItem
from tests.cli_env import wide_log_env
from tests.feedserver import FeedServer, Route
from test_digest_support import REPO, Site, fetch, png, rss, source, utc

HEADER = {"Title": "The Lantern | March 2025 (Issue 4)", "Date": "2025-04-01 09:00", "Issue": "4",
          "Month": "2025-03", "Status": "draft"}

# --- Generated issue files ------------------------------------------------------------------

words = st.text(alphabet="abcdefghij klmnopqrstuvwxyz,.'’é", min_size=1, max_size=30).map(str.strip).filter(bool)
comment = words.map(lambda w: f"<!-- {w} -->")
# What editors type in an intro, an excerpt or a note: anything Markdown allows,
# including lines that look like structure inside code or a comment.
editor_block = st.one_of(
    words,
    comment,
    words.map(lambda w: f"#### {w}"),
    words.map(lambda w: f"# {w}"),
    words.map(lambda w: f"- {w}\n  - nested {w}\n    - deeper"),
    words.map(lambda w: f"```\n## not a section {w}\n### not an item\n```"),
    words.map(lambda w: f"<!--\n### hidden {w}\n-->"),
    words.map(lambda w: f"<div class=\"box\">{w}</div>"),
    st.just("\n\n"),  # a run of blank lines
)
editor_text = st.lists(editor_block, min_size=1, max_size=4).map("\n\n".join)


@st.composite
def issue_files(draw):
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    out = [f"{k}: {v}" for k, v in HEADER.items()] + [""]
    if draw(st.booleans()):
        out += ["<!-- digest:report", "Composed somewhen.", "-->", ""]
    out += [draw(editor_text), ""]
    n = 0
    for s in range(draw(st.integers(0, 3))):
        out += [f"## Section {s}" + draw(st.sampled_from(["", " <!-- digest:new -->", " <!-- digest:held -->"]))]
        out += draw(st.lists(st.sampled_from(["", "<!-- a comment before the first item -->"]), max_size=3))
        for _ in range(draw(st.integers(0, 3))):
            n += 1
            out += [f"### {draw(words)}", f"Id: https://ex.example.org/feed#{n}", f"Link: https://ex.example.org/{n}",
                    "Source: Somewhere", "Date: 2025-03-02"]
            if draw(st.booleans()):
                out += ["Note: " + draw(words), "  - a list in the note", "    - nested in it", "  ## a heading"]
            if draw(st.booleans()):
                out += ["<!-- a comment among the fields -->"]
            out += ["", draw(editor_text)] + [""] * draw(st.integers(0, 3))
    if draw(st.booleans()):
        out += ["<!-- digest:seen", "0123456789ab https://ex.example.org/feed#1", "-->"]
    text = "\n".join(out) + ("\n" if draw(st.booleans()) else "")
    return text.replace("\n", nl)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(issue_files())
def test_reading_and_writing_back_is_byte_identical(text):
    doc = parse_issue_text(text, "2025-03.md")
    assert doc.text() == text
    # Code, comments and deeper headings never become structure.
    assert all(item.title and "not an item" not in item.title and "hidden" not in item.title for item in doc.items())
    assert all(section.title.startswith("Section ") for section in doc.sections())


def test_a_hand_written_file_survives_parsing_unchanged():
    text = (REPO / "content" / "digests" / "2026-10.md").read_text(encoding="utf-8")
    assert parse_issue_text(text, "2026-10.md").text() == text


# --- Merges -------------------------------------------------------------------------------------

def composed_item(n: int, version: int = 1, **extra) -> ComposedItem:
    return ComposedItem(id=f"https://hc.example.org/feed#{n}", title=f"Harbor story {n}",
                        link=f"https://hc.example.org/{n}/", source_title="Harbor City Chapter",
                        source_url="https://hc.example.org/", author="Ana Ruiz", date=date(2025, 3, n % 28 + 1),
                        excerpt_text=f"Excerpt {n}, version {version}.\n\nA second paragraph.", **extra)


def compose_parts(items: list[ComposedItem]) -> list[ComposedPart]:
    return [ComposedPart("Harbor City Chapter", "source", [format_item(item) for item in items])]


EDITS = st.fixed_dictionaries({
    "intro": editor_text,
    "retitle": st.sets(st.integers(0, 5)),
    "rewrite": st.sets(st.integers(0, 5)),
    "note": st.sets(st.integers(0, 5)),
    "cut": st.sets(st.integers(0, 5)),
    "reverse": st.booleans(),
    "comment": st.booleans(),
    "hand_added": st.booleans(),
})


def edit(text: str, edits: dict) -> tuple[str, list[str]]:
    """Apply editor edits to a composed file; return the text and the lines the editor wrote."""
    doc = parse_issue_text(text, "2025-03.md")
    mine: list[str] = []
    intro = doc.parts[2]  # the placeholder's lines, after the report block
    intro.lines = ["", *edits["intro"].split("\n"), ""]
    mine += [line for line in edits["intro"].split("\n") if line.strip()]
    section: Section = doc.sections()[0]
    kept = []
    for index, item in enumerate(section.items):
        if index in edits["cut"]:
            continue
        if index in edits["retitle"]:
            item.head = f"### Retitled by the editor {index}"
            mine.append(item.head)
        if index in edits["note"]:
            item.meta += [f"Note: Read this, {index}.", "  - first reason", "    - nested reason"]
            mine += item.meta[-3:]
        if index in edits["rewrite"]:
            lead, _, trail = item.body_parts()
            item.body = lead + [f"The editor's own summary of story {index}.", "", "#### A heading she typed"] + trail
            mine += [f"The editor's own summary of story {index}.", "#### A heading she typed"]
        kept.append(item)
    section.items = list(reversed(kept)) if edits["reverse"] else kept
    if edits["comment"]:
        section.preamble.insert(0, "<!-- the editor's comment under the heading -->")
        mine.append("<!-- the editor's comment under the heading -->")
    text = doc.text()
    if edits["hand_added"]:
        added = ("### A story the editor added by hand\nLink: https://elsewhere.example.org/x\nSource: Elsewhere\n"
                 "Date: 2025-03-09\n\nWritten by the editor.\n\n")
        text = text.replace("\n<!-- digest:seen", "\n" + added + "<!-- digest:seen", 1)
        mine += [line for line in added.split("\n") if line]
    return text, mine


def is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    it = iter(haystack)
    return all(any(line == hay for hay in it) for line in needles)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS, st.booleans())
def test_a_merge_never_changes_a_line_the_editor_wrote(edits, force):
    first = merge(None, compose_parts([composed_item(n) for n in range(6)]), header=HEADER, report=["r1"],
                  force=False)
    edited, mine = edit(first.doc.text(), edits)
    # The sources changed every excerpt and published two more stories since.
    again = compose_parts([composed_item(n, version=2) for n in range(8)])
    result = merge(parse_issue_text(edited, "2025-03.md"), again, header=HEADER, report=["r2"], force=force)
    merged = result.doc.text()
    assert parse_issue_text(merged, "2025-03.md").text() == merged
    ours = set(mine)
    in_order = [line for line in edited.split("\n") if line in ours]  # the editor's lines, in file order
    assert is_subsequence(in_order, merged.split("\n")), "an editor's line was changed or moved"
    titles = [item.title for item in result.doc.items()]
    for index in edits["cut"] - edits["retitle"]:
        assert f"Harbor story {index}" not in titles  # a cut stays cut
    assert {i.id for i in result.added} == {f"https://hc.example.org/feed#{n}" for n in (6, 7)}
    for item in result.doc.items():
        n = int(item.id.rsplit("#", 1)[1]) if item.id.startswith("https://hc.example.org/feed#") else None
        if n is None or n >= 6:
            continue
        if force and n not in edits["rewrite"]:
            assert f"Excerpt {n}, version 2." in item.excerpt  # untouched: refreshed
        elif n not in edits["rewrite"]:
            assert f"Excerpt {n}, version 1." in item.excerpt  # no --force: nothing refreshed
    if not force:
        # Only the report, the seen block and the review section changed.
        def outside(doc):
            return [p.all_lines() for p in doc.parts
                    if not (getattr(p, "kind", "") in ("report", "seen", "new", "held"))]
        assert outside(result.doc) == outside(parse_issue_text(edited, "2025-03.md"))


def test_force_keeps_an_edited_note_and_a_removed_image_line():
    from digest.models import LocalImage

    picture = LocalImage(src="digests/images/2025-03/" + "a" * 64 + ".png", alt="A crowd", width=40, height=30)
    first = merge(None, compose_parts([composed_item(1, image=picture)]), header=HEADER, report=[], force=False)
    text = first.doc.text()
    assert "Image: digests/images/2025-03/" in text
    text = re.sub(r"Image: .*\nImage-alt: .*\n", "Note: No picture, please.\n", text)
    result = merge(parse_issue_text(text, "x.md"), compose_parts([composed_item(1, 2, image=picture)]),
                   header=HEADER, report=[], force=True)
    item = result.doc.items()[0]
    assert "Image" not in item.fields and item.fields["Note"] == "No picture, please."
    assert "Excerpt 1, version 2." in item.excerpt  # the excerpt was untouched: refreshed


@given(st.text(max_size=80))
def test_feed_text_is_one_safe_line(text):
    line = one_line(text)
    assert "\n" not in line and "\r" not in line and "<!--" not in line and "-->" not in line
    assert line == " ".join(line.split())
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff\u202a-\u202e\u2066-\u2069]", line)


@given(st.text(min_size=1, max_size=80))
def test_an_unsafe_id_is_written_as_a_hash(raw):
    written = safe_id("https://x.example.org/feed#" + raw)
    assert "\n" not in written and "-->" not in written and written == written.strip()
    assert safe_id(written) == written


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=60), st.text(max_size=200), st.text(max_size=200))
def test_hostile_feed_text_cannot_forge_structure(title, excerpt, guid):
    """Whatever a feed says, the written item reads back as one item with the same id."""
    item = ComposedItem(id=f"https://x.example.org/feed#{guid}", title=title, link="https://x.example.org/a",
                        source_title=title, source_url=None, author=title, date=date(2025, 3, 3),
                        excerpt_text=excerpt)
    first = merge(None, [ComposedPart(title or "S", "source", [format_item(item)])], header=HEADER, report=[title],
                  force=False)
    doc = parse_issue_text(first.doc.text(), "x.md")
    assert len(doc.items()) == 1 and doc.items()[0].id == safe_id(item.id)
    assert [s.kind for s in doc.sections()] == ["normal"]
    assert doc.seen()[0] == [safe_id(item.id)]


# --- Compose against a real archive and image server --------------------------------------------

class HeldImage:
    """An image route that answers only when the test says so (events, not sleeps)."""

    def __init__(self):
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, request):
        with self.changed:
            self.count += 1
            self.changed.notify_all()
        self.arrived.set()
        self.release.wait(30)
        return Route(body=png(40, 30), content_type="image/png")

    def wait_for(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout=30)


def one_story_site(tmp_path, server, months=("2025-03",)):
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": f"Story of {m}", "link": f"https://harbor-city.example.org/{m}/", "guid": f"hc-{m}",
         "date": utc(int(m[:4]), int(m[5:]), 5, 12),
         "content": f'<p>Words for {m}.</p><img src="{server.url("/held.png")}" alt="A picture">'}
        for m in months]))
    site = Site(tmp_path, DIGEST_IMAGE_ALLOW_HOSTS=[f"127.0.0.1:{server.port}"])
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    return site


def compose_in_thread(site, month, **options):
    from digest.compose import run_compose

    result = {}
    lines: list[str] = []  # each thread its own output (redirect_stdout is process-wide)

    def run():
        result["code"] = run_compose(site.root, site.settings(), month=month, archive_path=site.archive,
                                     out=lines.append, **options)
        result["out"] = "\n".join(lines)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_save_made_while_compose_downloads_images_is_kept(tmp_path):
    held = HeldImage()
    with FeedServer() as server:
        server.route("/held.png", handler=held)
        site = one_story_site(tmp_path, server)
        held.release.set()
        assert site.digest("2025-03")[0] == 0
        path = site.issue_path("2025-03")
        # A new story arrives; compose it while the image server holds the download.
        server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": "Story of 2025-03", "link": "https://harbor-city.example.org/2025-03/", "guid": "hc-2025-03",
             "date": utc(2025, 3, 5, 12)},
            {"title": "A later story", "link": "https://harbor-city.example.org/later/", "guid": "hc-later",
             "date": utc(2025, 3, 9, 12), "content": f'<img src="{server.url("/held.png?2")}" alt="b">'}]))
        fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
        held.arrived.clear()
        held.release.clear()
        thread, result = compose_in_thread(site, "2025-03")
        assert held.arrived.wait(30), "compose never asked for the image"
        saved = path.read_text().replace("<!-- digest:intro-placeholder", "The editor's intro, saved mid-compose.\n<!--")
        path.write_text(saved)
        held.release.set()
        thread.join(60)
    assert result["code"] == 1
    assert "changed while composing" in result["out"] and "run" in result["out"].lower()
    assert path.read_text() == saved  # the editor's save is on disk, untouched
    # Run again: now it merges, keeping the intro.
    assert site.digest("2025-03")[0] == 0
    assert "The editor's intro, saved mid-compose." in path.read_text() and "### A later story" in path.read_text()


def test_two_composes_at_once_never_share_a_number_or_a_file(tmp_path):
    held = HeldImage()
    with FeedServer() as server:
        server.route("/held.png", handler=held)
        site = one_story_site(tmp_path, server, months=("2025-03", "2025-04"))
        runs = [compose_in_thread(site, "2025-03"), compose_in_thread(site, "2025-04"),
                compose_in_thread(site, "2025-03")]
        # Every compose has read its files and reserved its number before any image is answered.
        assert held.wait_for(3), "the three composes did not all reach the image server"
        held.release.set()
        for thread, _ in runs:
            thread.join(60)
    codes = sorted(result["code"] for _, result in runs)
    assert codes == [0, 0, 1]  # the second compose of March refuses to overwrite the first one's file
    loser = next(result for _, result in runs if result["code"] == 1)
    assert "changed while composing" in loser["out"]
    march, april = read_issue_doc(site.issue_path("2025-03")), read_issue_doc(site.issue_path("2025-04"))
    assert {march.number, april.number} == {1, 2}
    ledger = (site.content / "digests" / ".issue-numbers").read_text()
    assert f"2025-03 {march.number}\n" in ledger and f"2025-04 {april.number}\n" in ledger
    assert not [p for p in (site.content / "digests").iterdir() if p.name.endswith(".tmp")]


def test_a_cut_item_is_not_counted_in_the_summary(tmp_path):
    with FeedServer() as server:
        server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": f"Story {i}", "link": f"https://harbor-city.example.org/{i}/", "guid": f"hc-{i}",
             "date": utc(2025, 3, 2 + i, 12)} for i in range(3)]))
        site = Site(tmp_path, DIGEST_IMAGES=False)
        fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    code, out = site.digest("2025-03")
    assert code == 0 and "The issue holds 3 item(s)" in out and "Harbor City Chapter: 3" in out
    path = site.issue_path("2025-03")
    doc = read_issue_doc(path)
    doc.sections()[0].items = [item for item in doc.sections()[0].items if item.title != "Story 1"]
    path.write_text(doc.text())
    code, out = site.digest("2025-03")
    assert code == 0 and "The issue holds 2 item(s)" in out and "Harbor City Chapter: 2" in out


def test_a_failed_write_names_the_file_and_changes_nothing(tmp_path):
    with FeedServer() as server:
        server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": "Story", "link": "https://harbor-city.example.org/s/", "guid": "hc-s", "date": utc(2025, 3, 2)}]))
        site = Site(tmp_path, DIGEST_IMAGES=False)
        fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    (site.content / "digests" / ".issue-numbers").mkdir()  # where compose must write a file
    code, out = site.digest("2025-03")
    assert code == 1 and ".issue-numbers" in out and "Traceback" not in out
    assert not site.issue_path("2025-03").exists()


@pytest.mark.parametrize("setting, value, named", [
    ("TIMEZONE", "Mars/Olympus_Mons", "TIMEZONE"),
    ("DIGEST_EXCERPT_WORDS", "sixty", "DIGEST_EXCERPT_WORDS"),
    ("DIGEST_EXCERPT_MODE", "everything", "DIGEST_EXCERPT_MODE"),
    ("DIGEST_EMAIL_SITEURL", "millbrook.example.org", "DIGEST_EMAIL_SITEURL"),
])
def test_a_bad_setting_is_named_by_compose_and_by_the_build(tmp_path, setting, value, named):
    site = Site(tmp_path, **{setting: value})
    site.archive.parent.mkdir(parents=True, exist_ok=True)
    code, out = site.digest("2025-03")
    assert code == 2 and named in out and "Traceback" not in out
    run = subprocess.run([sys.executable, "-m", "pelican", str(site.content), "-s", str(site.conf)],
                         capture_output=True, text=True, cwd=REPO, timeout=120, env=wide_log_env())
    assert run.returncode != 0 and named in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_month_out_of_range_is_refused(tmp_path):
    site = Site(tmp_path)
    for month in ("9999-12", "0999-01", "2025-13"):
        code, out = site.digest(month)
        assert code == 2 and "--month" in out


def test_a_typo_is_file_and_line_from_check_and_from_the_build(tmp_path):
    site = Site(tmp_path)
    path = site.issue_path("2025-03")
    path.write_text("\n".join([*(f"{k}: {v}" for k, v in HEADER.items()), "", "Intro.", "", "## S", "",
                               "### An item", "Lnk: https://a.example.org/", "Source: S", "Date: 2025-03-02", ""]))
    from chapter import cli as chapter_cli

    out = io.StringIO()
    with redirect_stdout(out):
        code = chapter_cli.check(site.root, site.conf)
    assert code == 1
    assert f"{path}:12: unknown item key 'Lnk' (did you mean Link?)" in out.getvalue()
    run = subprocess.run([sys.executable, "-m", "pelican", str(site.content), "-s", str(site.conf)],
                         capture_output=True, text=True, cwd=REPO, timeout=120, env=wide_log_env())
    assert run.returncode != 0
    assert f"{path}:12: unknown item key 'Lnk'" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


# --- The build: links, scheduling, drafts' email ------------------------------------------------

def issue_text(month="2025-03", status="draft", when="2025-04-01 09:00", number=1) -> str:
    return "\n".join([
        f"Title: The Millbrook Lantern | {month} (Issue {number})", f"Date: {when}", f"Issue: {number}",
        f"Month: {month}", f"Status: {status}", "", "The intro.", "", "## From our chapter", "",
        "### Our March general meeting", "Id: site#posts/our-march-general-meeting",
        "Link: /posts/our-march-general-meeting/", "Source: Millbrook Chapter", "Date: 2025-03-12", "",
        "We met.", "", "## Harbor City Chapter", "", "### A harbor story", "Id: https://hc.example.org/feed#1",
        "Link: https://hc.example.org/1/", "Source: Harbor City Chapter", "Date: 2025-03-05", "", "Words.", ""])


def test_own_links_follow_the_build_siteurl_in_page_feeds_and_email(tmp_path):
    site = Site(tmp_path, SITEURL="https://staging.example.net", DIGEST_EMAIL_SITEURL="https://staging.example.net",
                DIGEST_SHOW_DRAFTS=False)
    site.post("our-march-general-meeting", "Our March general meeting", "2025-03-12 19:00", author="Rosa Delgado")
    site.issue_path("2025-03").write_text(issue_text(status="published"))
    out = site.build()
    own = "https://staging.example.net/posts/our-march-general-meeting/"
    page = (out / "digest" / "2025-03" / "index.html").read_text()
    assert f'href="{own}"' in page
    assert own in (out / "feeds" / "digest.atom.xml").read_text()
    assert own in (out / "digest" / "2025-03" / "email.txt").read_text()
    assert "millbrook.example.org/posts" not in page


def test_a_published_issue_dated_in_the_future_waits_like_a_post(tmp_path):
    tz = ZoneInfo("America/Los_Angeles")
    later = (datetime.now(tz) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    site = Site(tmp_path, DIGEST_SHOW_DRAFTS=False, SITEURL="https://millbrook.example.org")
    site.issue_path("2025-03").write_text(issue_text(status="published", when=later))
    run = subprocess.run([sys.executable, "-m", "pelican", str(site.content), "-s", str(site.conf)],
                         capture_output=True, text=True, cwd=REPO, timeout=120, env=wide_log_env())
    assert run.returncode == 0, run.stdout + run.stderr
    assert "scheduled for" in run.stdout + run.stderr and "2025-03.md" in run.stdout + run.stderr
    assert not (site.output / "digest" / "2025-03").exists()
    assert "2025-03" not in (site.output / "feeds" / "digest.atom.xml").read_text()
    # A preview build shows it, marked, with a test copy of the email.
    site.write_conf(DIGEST_SHOW_DRAFTS=True)
    out = site.build()
    assert (out / "digest" / "2025-03" / "index.html").is_file()
    eml = (out / "digest" / "2025-03" / "issue.eml").read_bytes()
    assert b"Subject: [SCHEDULED] The Millbrook Lantern" in eml


def test_drafts_get_a_marked_email_edition_in_preview_builds_only(tmp_path):
    from test_email_send import Inbox, LoopbackController

    from digest_email.cli import send_test

    site = Site(tmp_path, DIGEST_SHOW_DRAFTS=True)
    site.issue_path("2025-03").write_text(issue_text(status="draft"))
    out = site.build()
    folder = out / "digest" / "2025-03"
    assert b"Subject: [DRAFT] The Millbrook Lantern" in (folder / "issue.eml").read_bytes()
    assert "DRAFT: a test copy" in (folder / "email.html").read_text()
    assert (folder / "email.txt").read_text().startswith("*** DRAFT")
    inbox = Inbox()
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    try:
        code = send_test(site.root, site.conf, month="2025-03", to="editor@example.org",
                         env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(controller.port), "SMTP_STARTTLS": "0"})
    finally:
        controller.stop()
    assert code == 0 and len(inbox.messages) == 1
    # A public build never contains the draft.
    site.write_conf(DIGEST_SHOW_DRAFTS=False)
    import shutil

    shutil.rmtree(site.output)
    out = site.build()
    assert not (out / "digest" / "2025-03").exists()


def test_contents_list_names_every_section_of_the_sample_issue(tmp_path):
    site = Site(tmp_path, DIGEST_SHOW_DRAFTS=False)
    import shutil

    shutil.copy(REPO / "content" / "digests" / "2026-10.md", site.issue_path("2026-10"))
    shutil.copytree(REPO / "content" / "digests" / "images", site.content / "digests" / "images")
    issue = read_issue(site.issue_path("2026-10"), site.digest_settings())
    out = site.build()
    page = (out / "digest" / "2026-10" / "index.html").read_text()
    assert "In this issue" in page and len(issue.sections_after_cover) > 1
    for section in issue.sections_after_cover:
        assert f'href="#{section.slug}"' in page and f'id="{section.slug}"' in page
    # The sample's "Cover story" section holds only the cover: shown as the cover, not as a section.
    assert issue.cover.title in page and 'id="cover-story"' not in page
