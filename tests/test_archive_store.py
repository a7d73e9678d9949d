"""The archive file itself: schema, migrations, windows, updates, errors."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest import archive as archive_module
from digest.archive import SCHEMA_VERSION, Archive
from digest.errors import ArchiveError
from digest.parse import parse_feed
from digest.models import Enclosure, FeedEntry, Source

UTC = timezone.utc
FEEDS = Path(__file__).parent / "fixtures" / "feeds"
SOURCE = Source("https://harbor-city.example.org/feed/", "Harbor City Chapter", category="chapter")


def entry(key: str, *, published=None, updated=None, title=None, **extra) -> FeedEntry:
    return FeedEntry(
        key=key,
        guid=key,
        title=title or f"Entry {key}",
        link=f"https://harbor-city.example.org/{key}",
        author=None,
        published=published,
        updated=updated,
        summary_html="<p>summary</p>",
        content_html=None,
        **extra,
    )


def test_creates_file_and_folder_in_wal_mode_with_schema_version(tmp_path):
    path = tmp_path / "deep" / "cache" / "digest.sqlite"
    with Archive(path) as archive:
        assert archive.schema_version == SCHEMA_VERSION
    assert path.is_file()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # The month window is answered from an index, not a scan.
    plan = " ".join(
        str(row)
        for row in db.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM entries WHERE effective_date >= '2025' AND effective_date < '2026'"
        )
    )
    assert "entries_by_effective_date" in plan


def test_entries_between_uses_published_then_updated_then_first_seen(tmp_path):
    fetched = datetime(2025, 4, 2, 10, 0, tzinfo=UTC)
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.store_entries(
            SOURCE,
            [
                entry("published-march", published=datetime(2025, 3, 31, 23, 59, tzinfo=UTC),
                      updated=datetime(2025, 4, 5, tzinfo=UTC)),
                entry("updated-april", updated=datetime(2025, 4, 1, 0, 0, tzinfo=UTC)),
                entry("undated"),
                entry("published-feb", published=datetime(2025, 2, 28, 12, tzinfo=UTC)),
            ],
            fetched_at=fetched,
        )
        march = archive.entries_between(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC))
        april = archive.entries_between(datetime(2025, 4, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC))
        # A non-UTC aware window means the same instants.
        pacific = timezone(timedelta(hours=-7))
        shifted = archive.entries_between(
            datetime(2025, 3, 31, 17, 0, tzinfo=pacific), datetime(2025, 4, 1, 0, 0, tzinfo=pacific)
        )
        with pytest.raises(ValueError, match="naive"):
            archive.entries_between(datetime(2025, 3, 1), datetime(2025, 4, 1))
    assert [e.key for e in march] == ["published-march"]
    assert [e.key for e in april] == ["updated-april", "undated"]  # start <= date < end, oldest first
    assert april[1].first_seen == fetched and april[1].effective_date == fetched
    assert [e.key for e in shifted] == ["updated-april"]
    assert all(e.feed_url == SOURCE.feed_url for e in march + april)


def test_store_counts_new_updated_and_never_deletes(tmp_path):
    first = datetime(2025, 3, 1, tzinfo=UTC)
    second = first + timedelta(days=1)
    with Archive(tmp_path / "a.sqlite") as archive:
        assert archive.store_entries(SOURCE, [entry("a"), entry("b")], fetched_at=first) == (2, 0)
        # a changed, b dropped out, c new
        assert archive.store_entries(SOURCE, [entry("a", title="Retitled"), entry("c")], fetched_at=second) == (1, 1)
        stored = {e.key: e for e in archive.entries_for(SOURCE.feed_url)}
    assert set(stored) == {"a", "b", "c"}
    assert stored["a"].title == "Retitled" and stored["a"].first_seen == first and stored["a"].last_seen == second
    assert stored["b"].last_seen == first  # not seen since, still kept


def test_categories_enclosures_round_trip(tmp_path):
    # Values written here, so the comparison cannot pass on two empty sides:
    # order kept, separators and non-ASCII inside a category, an enclosure
    # with unknown type and length, and an entry with none of either.
    rich = entry(
        "rich",
        categories=("Mutual Aid", "Food, Housing; Rent", "Vivienda", "Naïve \"quoted\""),
        enclosures=(
            Enclosure("https://harbor-city.example.org/flyer.pdf", "application/pdf", 48213),
            Enclosure("https://harbor-city.example.org/talk.mp3", None, None),
        ),
        image_url="https://harbor-city.example.org/pantry.jpg",
    )
    bare = entry("bare")
    parsed = parse_feed((FEEDS / "wordpress.xml").read_bytes(), url=SOURCE.feed_url).entries
    # The fixture feed must carry what this test round-trips, or the loop below proves nothing.
    assert any(e.categories for e in parsed) and any(e.enclosures for e in parsed)
    assert any(e.image_url for e in parsed) and any(e.content_html for e in parsed)
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.store_entries(SOURCE, [rich, bare, *parsed], fetched_at=datetime.now(UTC))
        stored = {e.key: e for e in archive.entries_for(SOURCE.feed_url)}
    assert stored["rich"].categories == rich.categories
    assert stored["rich"].enclosures == rich.enclosures
    assert stored["rich"].image_url == rich.image_url
    assert (stored["bare"].categories, stored["bare"].enclosures, stored["bare"].image_url) == ((), (), None)
    assert set(stored) == {"rich", "bare"} | {e.key for e in parsed}
    for original in parsed:
        again = stored[original.key]
        for name in ("title", "link", "author", "published", "updated", "summary_html", "content_html",
                     "categories", "enclosures", "image_url", "guid"):
            assert getattr(again, name) == getattr(original, name), name


def test_newer_schema_refused_with_clear_error(tmp_path):
    path = tmp_path / "a.sqlite"
    Archive(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(ArchiveError, match=r"newer than this code.*update the project"):
        Archive(path)


def test_migrations_applied_in_order_and_keep_data(tmp_path, monkeypatch):
    path = tmp_path / "a.sqlite"
    with Archive(path) as archive:
        archive.store_entries(SOURCE, [entry("kept")], fetched_at=datetime.now(UTC))
    step = "ALTER TABLE entries ADD COLUMN language TEXT; CREATE INDEX entries_by_language ON entries(language)"
    monkeypatch.setattr(archive_module, "MIGRATIONS", archive_module.MIGRATIONS + [step])
    monkeypatch.setattr(archive_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Archive(path) as archive:
        assert archive.schema_version == SCHEMA_VERSION + 1
        assert [e.key for e in archive.entries_for(SOURCE.feed_url)] == ["kept"]
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(entries)")]
    assert "language" in columns


def test_not_an_archive_and_folder_paths_give_actionable_errors(tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_text("this is a text file, not a database\n" * 100)
    with pytest.raises(ArchiveError, match=r"notes\.sqlite: not a usable archive.*DIGEST_ARCHIVE"):
        Archive(junk)
    assert junk.read_text().startswith("this is a text file")  # left alone
    with pytest.raises(ArchiveError, match="is a folder"):
        Archive(tmp_path)


def test_failed_transaction_leaves_source_untouched(tmp_path):
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.store_entries(SOURCE, [entry("a")], fetched_at=datetime(2025, 3, 1, tzinfo=UTC))
        broken = entry("b", published=datetime(2025, 3, 2))  # naive: refused mid-way
        with pytest.raises(ValueError):
            archive.store_entries(SOURCE, [entry("new-one"), broken], fetched_at=datetime(2025, 3, 3, tzinfo=UTC))
        assert [e.key for e in archive.entries_for(SOURCE.feed_url)] == ["a"]
        (health,) = archive.sources_health([SOURCE])
        assert health.last_success == datetime(2025, 3, 1, tzinfo=UTC)


def test_sources_health_lists_never_fetched_and_known_sources(tmp_path):
    other = Source("https://northfield.example.org/feeds/all.atom.xml", "Northfield Chapter")
    with Archive(tmp_path / "a.sqlite") as archive:
        archive.store_entries(SOURCE, [entry("a", published=datetime(2025, 3, 9, tzinfo=UTC))],
                              fetched_at=datetime(2025, 3, 10, tzinfo=UTC))
        listed = archive.sources_health([other, SOURCE])
        known = archive.sources_health()
    assert [h.source.title for h in listed] == ["Northfield Chapter", "Harbor City Chapter"]
    assert listed[0].last_attempt is None and listed[0].entries_stored == 0
    assert listed[1].entries_stored == 1 and listed[1].newest_entry == datetime(2025, 3, 9, tzinfo=UTC)
    assert [h.source for h in known] == [SOURCE]


def test_locked_archive_gives_actionable_error_and_keeps_data(tmp_path):
    path = tmp_path / "a.sqlite"
    with Archive(path) as archive:
        archive.store_entries(SOURCE, [entry("a")], fetched_at=datetime.now(UTC))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another fetch holding the write lock
    try:
        with Archive(path, timeout=0.2) as archive:
            with pytest.raises(ArchiveError, match="another `invoke fetch` is running"):
                archive.store_entries(SOURCE, [entry("b")], fetched_at=datetime.now(UTC))
            assert [e.key for e in archive.entries_for(SOURCE.feed_url)] == ["a"]  # readers still read
    finally:
        other.execute("ROLLBACK")
        other.close()
