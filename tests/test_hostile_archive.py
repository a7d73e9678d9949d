"""A damaged archive (issue 9, part 9): intact header, damaged pages. Every
command that reads it says so and what to do, with no traceback."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from digest.archive import Archive
from digest.errors import ArchiveError
from digest.models import FeedEntry, Source

from test_digest_support import Site

ADVICE = "restore from a backup, or delete it and fetch again"


def damaged_archive(path) -> None:
    """A real archive of 300 entries whose pages after the first few are overwritten."""
    source = Source("https://harbor-city.example.org/feed/", "Harbor City Chapter")
    entries = [
        FeedEntry(key=f"post-{i}", guid=None, title=f"Tenant meeting notes, part {i}", author=None,
                  link=f"https://harbor-city.example.org/{i}/", published=datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=i),
                  updated=None, summary_html="<p>We met on Quay Street.</p>" * 20, content_html=None)
        for i in range(300)
    ]
    with Archive(path) as archive:
        archive.store_entries(source, entries, fetched_at=datetime(2026, 10, 20, tzinfo=UTC))
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for start in range(3 * page, len(data) - page, 2 * page):
        data[start + 64: start + 2048] = b"\xa5" * (2048 - 64)
    path.write_bytes(bytes(data))
    with sqlite3.connect(path) as check:  # the header still reads: the damage shows only later
        assert check.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_reading_a_damaged_archive_names_the_file_and_what_to_do(tmp_path):
    path = tmp_path / "digest.sqlite"
    damaged_archive(path)
    with Archive(path) as archive:
        with pytest.raises(ArchiveError) as raised:
            archive.entries_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        assert str(raised.value).startswith(f"{path}: the archive file is damaged (")
        assert ADVICE in str(raised.value)
        with pytest.raises(ArchiveError, match=ADVICE):
            archive.sources_health()


def test_invoke_digest_on_a_damaged_archive_exits_2_without_a_traceback(tmp_path):
    site = Site(tmp_path)
    site.archive.parent.mkdir(parents=True)
    damaged_archive(site.archive)
    code, out = site.digest("2026-10")
    assert code == 2, out
    assert ADVICE in out and "Traceback" not in out
    assert not site.issue_path("2026-10").exists()


def test_an_intact_archive_is_not_called_damaged(tmp_path):
    path = tmp_path / "digest.sqlite"
    with Archive(path) as archive:
        assert archive.entries_between(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)) == []
        assert archive._damage(sqlite3.DatabaseError("database disk image is malformed")) is None


def test_invoke_sources_on_a_damaged_archive_exits_2_without_a_traceback(tmp_path, capsys):
    from digest import cli as digest_cli

    site = Site(tmp_path)
    site.archive.parent.mkdir(parents=True)
    damaged_archive(site.archive)
    opml = site.content / "digest" / "sources.opml"
    opml.write_text('<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
                    '<outline text="Harbor City Chapter" type="rss" xmlUrl="https://harbor-city.example.org/feed/"/>'
                    "</body></opml>", encoding="utf-8")
    code = digest_cli.sources(site.root, site.conf, sources=str(opml), archive=str(site.archive))
    out = capsys.readouterr().out
    assert code == 2, out
    assert ADVICE in " ".join(out.split()) and "Traceback" not in out
