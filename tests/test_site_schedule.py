"""Drafts and scheduled posts stay out of the site, its listings and feeds."""

from __future__ import annotations

import datetime
import time
from zoneinfo import ZoneInfo

import feedparser
import pytest
from test_site_support import all_text, build, built_files, make_site, post

SITE_TZ = ZoneInfo("America/Los_Angeles")  # pelicanconf TIMEZONE


def feed_titles(output):
    titles = set()
    for path in (output / "feeds").rglob("*.xml"):
        titles |= {entry.title for entry in feedparser.parse(path.read_bytes()).entries}
    return titles


def test_drafts_never_appear_in_pages_listings_or_feeds(tmp_path):
    files = {
        "posts/published.md": post("Rent strike meeting", Tags="housing"),
        "posts/draft.md": post(
            "Half written plan", author="Tomasz Wren", Tags="secret-plans", Status="draft", Group="sanctuary-city"
        ),
    }
    site = make_site(tmp_path / "dev", files)
    result = build(site)
    assert result.returncode == 0, result.output
    output = site / "output"

    public = {rel for rel in built_files(output) if not rel.startswith("drafts/")}
    text = "\n".join((output / rel).read_text(encoding="utf-8") for rel in public if rel.endswith((".html", ".xml")))
    assert "Rent strike meeting" in text
    assert "Half written plan" not in text
    assert "Half written plan" not in feed_titles(output)
    assert "Rent strike meeting" in feed_titles(output)
    # The draft's author and tag have nothing published: no page, no feed.
    assert not any("tomasz-wren" in rel for rel in public)
    assert not any("secret-plans" in rel for rel in public)
    # A development build keeps a preview for the writer, off every listing.
    assert (output / "drafts" / "posts" / "half-written-plan" / "index.html").is_file()

    # The published site (publishconf) has no trace of it at all.
    published = make_site(tmp_path / "prod", files, base="publishconf")
    result = build(published)
    assert result.returncode == 0, result.output
    assert "Half written plan" not in all_text(published / "output")
    assert not (published / "output" / "drafts").exists()
    assert "Rent strike meeting" in all_text(published / "output")


@pytest.mark.parametrize(
    "date",
    [
        datetime.datetime(2099, 12, 1, 9, 0, tzinfo=SITE_TZ),
        # One hour ahead on the chapter's clock: already past in UTC's wall
        # time, so this fails if the date were read as UTC.
        (datetime.datetime.now(SITE_TZ) + datetime.timedelta(hours=1)).replace(second=0, microsecond=0),
    ],
    ids=["far-future", "one-hour-ahead-in-site-time"],
)
def test_scheduled_post_is_hidden_everywhere_and_announced(tmp_path, date):
    files = {
        "posts/now.md": post("Out today", Tags="housing"),
        "posts/later.md": post(
            "Coming soon", date=date.strftime("%Y-%m-%d %H:%M"), author="Tomasz Wren", Tags="embargoed"
        ),
    }
    site = make_site(tmp_path / "site", files)

    result = build(site)

    assert result.returncode == 0, result.output
    output = site / "output"
    text = all_text(output)
    assert "Out today" in text
    assert "Coming soon" not in text
    assert "Coming soon" not in feed_titles(output)
    files_out = built_files(output)
    assert not any("coming-soon" in rel or "embargoed" in rel or "tomasz-wren" in rel for rel in files_out)
    when = date.strftime("%Y-%m-%d %H:%M %Z")
    assert f"scheduled: content/posts/later.md will publish on {when}" in result.output


@pytest.mark.slow
def test_scheduled_post_appears_once_its_date_has_passed(tmp_path):
    # Date with seconds, a few seconds ahead in the site's time zone: the
    # first build holds it back, a build after that moment publishes it.
    due = (datetime.datetime.now(SITE_TZ) + datetime.timedelta(seconds=10)).replace(microsecond=0)
    files = {
        "posts/now.md": post("Out today"),
        "posts/soon.md": post("Due in seconds", date=due.strftime("%Y-%m-%d %H:%M:%S"), Tags="soon"),
    }
    site = make_site(tmp_path / "site", files)

    first = build(site, site / "first")
    assert first.returncode == 0, first.output
    if datetime.datetime.now(SITE_TZ) >= due:
        pytest.fail("the first build took longer than the 10 s margin; the machine is too slow for this test")
    assert "scheduled: content/posts/soon.md will publish on " + due.strftime("%Y-%m-%d") in first.output
    assert "Due in seconds" not in all_text(site / "first")

    time.sleep(max(0.0, (due - datetime.datetime.now(SITE_TZ)).total_seconds()) + 1)
    second = build(site, site / "second")

    assert second.returncode == 0, second.output
    assert "scheduled:" not in second.output
    assert (site / "second" / "posts" / "due-in-seconds" / "index.html").is_file()
    assert "Due in seconds" in feed_titles(site / "second")
    assert "Due in seconds" in (site / "second" / "index.html").read_text(encoding="utf-8")
    assert (site / "second" / "tags" / "soon" / "index.html").is_file()
