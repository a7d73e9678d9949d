"""The feed archive: one SQLite file that keeps every entry ever fetched.

    with Archive("cache/digest.sqlite") as archive:
        archive.store_entries(source, entries, fetched_at=now)   # one transaction
        archive.entries_between(start, end)                       # for compose
        archive.sources_health()                                  # for `invoke sources`

Design (see docs/development.md, section “Archive storage schema”):

* stdlib sqlite3, WAL journal, one transaction per source: a fetch killed at
  any moment leaves every source either fully stored or untouched.
* Nothing is ever deleted: an entry that dropped out of its feed stays; a
  changed entry is updated in place (first_seen is kept).
* Times are stored as fixed-width ISO 8601 UTC text
  (``2025-03-01T08:00:00.000000Z``) so text order is time order and the
  indexed ``effective_date`` column answers month windows fast.
* The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS`` is
  applied in order, and a file from newer code is refused, not guessed at.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Sequence

from .errors import ArchiveError
from .models import Enclosure, FeedEntry, Source, SourceHealth, StoredEntry

UTC = timezone.utc

# Each step takes the schema from version i to i+1; append, never edit.
MIGRATIONS: list[str] = [
    # 0 -> 1
    """
    CREATE TABLE sources (
        feed_url             TEXT PRIMARY KEY,
        title                TEXT NOT NULL,
        html_url             TEXT,
        category             TEXT,
        location             TEXT,
        avatar               TEXT,
        etag                 TEXT,
        last_modified        TEXT,
        last_attempt         TEXT,
        last_success         TEXT,
        last_status          INTEGER,
        last_error           TEXT,
        last_warning         TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        failing_since        TEXT,
        retry_after          TEXT,
        gone                 INTEGER NOT NULL DEFAULT 0,
        permanent_redirect   TEXT
    );
    CREATE TABLE entries (
        feed_url       TEXT NOT NULL REFERENCES sources(feed_url),
        key            TEXT NOT NULL,
        guid           TEXT,
        title          TEXT NOT NULL,
        link           TEXT,
        author         TEXT,
        published      TEXT,
        updated        TEXT,
        first_seen     TEXT NOT NULL,
        last_seen      TEXT NOT NULL,
        effective_date TEXT GENERATED ALWAYS AS
                       (COALESCE(published, updated, first_seen)) STORED,
        summary_html   TEXT,
        content_html   TEXT,
        categories     TEXT NOT NULL DEFAULT '[]',
        enclosures     TEXT NOT NULL DEFAULT '[]',
        image_url      TEXT,
        content_hash   TEXT NOT NULL,
        PRIMARY KEY (feed_url, key)
    ) WITHOUT ROWID;
    CREATE INDEX entries_by_effective_date ON entries(effective_date);
    """,
    # 1 -> 2: the language an entry (or its feed) declares, a BCP 47 tag or NULL.
    # Entries stored before it stay NULL until their feed is fetched again.
    """
    ALTER TABLE entries ADD COLUMN lang TEXT
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def to_db_time(value: datetime | None) -> str | None:
    """An aware datetime as sortable UTC text; naive datetimes are refused."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) datetime")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class FetchState:
    """What fetch needs to know about a source before requesting it."""

    etag: str | None = None
    last_modified: str | None = None
    retry_after: datetime | None = None
    gone: bool = False


def _entry_values(entry: FeedEntry) -> tuple:
    """The stored columns of an entry, from guid to image_url, in schema order."""
    return (
        entry.guid,
        entry.title,
        entry.link,
        entry.author,
        to_db_time(entry.published),
        to_db_time(entry.updated),
        entry.summary_html,
        entry.content_html,
        json.dumps(list(entry.categories), ensure_ascii=False),
        json.dumps([[e.url, e.type, e.length] for e in entry.enclosures], ensure_ascii=False),
        entry.image_url,
    )


def _values_hash(values: tuple) -> str:
    """A digest of what the feed says about an entry (every stored column from
    guid to image_url): decides "updated". The language is left out, so the
    first fetch after the lang column arrived does not count every entry as
    updated; it is written on every fetch instead."""
    payload = json.dumps(values, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_ENTRY_COLUMNS = (
    "feed_url, key, guid, title, link, author, published, updated, first_seen, "
    "last_seen, summary_html, content_html, categories, enclosures, image_url, lang"
)


class Archive:
    """The archive file. Not thread-safe: use one Archive per thread."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ArchiveError(
                f"{self.path}: cannot create the archive's folder ({error.strerror}); "
                "set DIGEST_ARCHIVE or --archive to a writable path"
            ) from None
        if self.path.is_dir():
            raise ArchiveError(
                f"{self.path}: is a folder, not an archive file; "
                "set DIGEST_ARCHIVE or --archive to a file path such as cache/digest.sqlite"
            )
        if self.path.exists() and not os.access(self.path, os.R_OK | os.W_OK):
            raise ArchiveError(
                f"{self.path}: the archive is not readable and writable by this user; "
                "fix its permissions (or point DIGEST_ARCHIVE / --archive at a copy)"
            )
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so each
            # source is exactly one transaction.
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise ArchiveError(
                f"{self.path}: cannot open the archive ({error}); check the path and its permissions"
            ) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is crash-safe in WAL mode (a killed process loses nothing
            # committed); only an OS crash may roll back the last transaction.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            damaged = self._damage(error)
            self._db.close()
            if damaged is not None:
                raise damaged from None
            raise ArchiveError(
                f"{self.path}: not a usable archive ({error}). If this file is not the "
                "feed archive, point DIGEST_ARCHIVE or --archive elsewhere; if it is a "
                "damaged archive, restore it from a backup (see docs/editors.md, section “Keeping the archive between runs”)"
            ) from None

    # --- lifecycle ---------------------------------------------------------

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path}: archive schema version {version} is newer than this code "
                f"understands (version {SCHEMA_VERSION}); update the project "
                "(git pull, then reinstall requirements) before using this archive"
            )
        for step in range(version, SCHEMA_VERSION):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split_sql(MIGRATIONS[step]):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {step + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    # --- damage --------------------------------------------------------------

    def _damage(self, error: sqlite3.Error) -> ArchiveError | None:
        """An ArchiveError telling the editor what to do, if `error` came from
        a damaged file (confirmed by PRAGMA quick_check), else None."""
        code = getattr(error, "sqlite_errorcode", None)
        # SQLITE_NOTADB ("file is not a database") is a wrong path, not damage.
        hinted = code == sqlite3.SQLITE_CORRUPT or "malformed" in str(error).lower()
        if not hinted:
            return None
        try:
            found = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
        except sqlite3.DatabaseError as again:
            found = str(again)
        if found == "ok":
            return None
        detail = " ".join(str(found).split())[:160]
        return ArchiveError(
            f"{self.path}: the archive file is damaged ({detail}); restore from a backup, or delete it and "
            "fetch again (`invoke fetch` rebuilds it from the feeds, without the entries they no longer list)"
        )

    @contextmanager
    def _reading(self):
        """sqlite errors while reading become ArchiveError (damage named as such)."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            damaged = self._damage(error)
            if damaged is not None:
                raise damaged from None
            raise ArchiveError(f"{self.path}: reading the archive failed ({error}); run the command again") from None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- writing -----------------------------------------------------------

    @contextmanager
    def _transaction(self):
        """One all-or-nothing write; sqlite failures become ArchiveError."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise ArchiveError(
                f"{self.path}: cannot write to the archive ({error}); if another "
                "`invoke fetch` is running, wait for it to finish and run this again"
            ) from None
        try:
            yield
            self._db.execute("COMMIT")
        except BaseException as error:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the transaction may already be gone with the damage
            damaged = self._damage(error) if isinstance(error, sqlite3.Error) else None
            if damaged is not None:
                raise damaged from None
            if isinstance(error, sqlite3.Error):
                raise ArchiveError(
                    f"{self.path}: writing to the archive failed ({error}); nothing of this "
                    "source was changed. Check free disk space and the file's permissions"
                ) from error
            raise

    def _upsert_source(self, source: Source) -> None:
        self._db.execute(
            """
            INSERT INTO sources (feed_url, title, html_url, category, location, avatar)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (feed_url) DO UPDATE SET
                title = excluded.title, html_url = excluded.html_url,
                category = excluded.category, location = excluded.location,
                avatar = excluded.avatar
            """,
            (source.feed_url, source.title, source.html_url, source.category, source.location, source.avatar),
        )

    def store_entries(
        self,
        source: Source,
        entries: Iterable[FeedEntry],
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int | None = 200,
        permanent_redirect: str | None = None,
        warning: str | None = None,
    ) -> tuple[int, int]:
        """Store one successful fetch of a source; return (new, updated).

        New entries are inserted, changed ones updated in place (first_seen
        kept), unchanged ones only get last_seen; nothing is deleted. The
        source's health is reset. All in one transaction.
        """
        now = to_db_time(fetched_at)
        new = updated = 0
        with self._transaction():
            self._upsert_source(source)
            known = dict(
                self._db.execute("SELECT key, content_hash FROM entries WHERE feed_url = ?", (source.feed_url,))
            )
            for entry in entries:
                values = _entry_values(entry)
                digest = _values_hash(values)
                values += (digest,)
                previous = known.get(entry.key)
                if previous is None:
                    self._db.execute(
                        """
                        INSERT INTO entries (guid, title, link, author, published, updated,
                            summary_html, content_html, categories, enclosures, image_url,
                            content_hash, feed_url, key, first_seen, last_seen, lang)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                        values + (source.feed_url, entry.key, now, now, entry.lang),
                    )
                    new += 1
                elif previous != digest:
                    self._db.execute(
                        """
                        UPDATE entries SET guid = ?, title = ?, link = ?, author = ?,
                            published = ?, updated = ?, summary_html = ?, content_html = ?,
                            categories = ?, enclosures = ?, image_url = ?, content_hash = ?,
                            last_seen = ?, lang = ?
                        WHERE feed_url = ? AND key = ?
                        """,
                        values + (now, entry.lang, source.feed_url, entry.key),
                    )
                    updated += 1
                else:
                    self._db.execute(
                        "UPDATE entries SET last_seen = ?, lang = ? WHERE feed_url = ? AND key = ?",
                        (now, entry.lang, source.feed_url, entry.key),
                    )
                known[entry.key] = digest
            self._record_success(source, now, status, etag, last_modified, permanent_redirect, warning)
        return new, updated

    def _record_success(self, source, now, status, etag, last_modified, permanent_redirect, warning) -> None:
        self._db.execute(
            """
            UPDATE sources SET last_attempt = ?, last_success = ?, last_status = ?,
                last_error = NULL, last_warning = ?, consecutive_failures = 0,
                failing_since = NULL, retry_after = NULL, gone = 0,
                etag = ?, last_modified = ?, permanent_redirect = ?
            WHERE feed_url = ?
            """,
            (now, now, status, warning, etag, last_modified, permanent_redirect, source.feed_url),
        )

    def record_not_modified(
        self,
        source: Source,
        *,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 304,
        permanent_redirect: str | None = None,
    ) -> None:
        """A 304 Not Modified: a success that changes no entry.

        Validators the server did not resend are kept.
        """
        now = to_db_time(fetched_at)
        with self._transaction():
            self._upsert_source(source)
            row = self._db.execute(
                "SELECT etag, last_modified, last_warning FROM sources WHERE feed_url = ?", (source.feed_url,)
            ).fetchone()
            self._record_success(
                source, now, status, etag or row[0], last_modified or row[1], permanent_redirect, row[2]
            )

    def record_failure(
        self,
        source: Source,
        *,
        attempted_at: datetime,
        error: str,
        status: int | None = None,
        retry_after: datetime | None = None,
        gone: bool = False,
        permanent_redirect: str | None = None,
    ) -> None:
        """A failed attempt: entries and validators are left as they were."""
        now = to_db_time(attempted_at)
        with self._transaction():
            self._upsert_source(source)
            self._db.execute(
                """
                UPDATE sources SET last_attempt = ?, last_status = ?, last_error = ?,
                    consecutive_failures = consecutive_failures + 1,
                    failing_since = COALESCE(failing_since, ?),
                    retry_after = ?, gone = ?,
                    permanent_redirect = COALESCE(?, permanent_redirect)
                WHERE feed_url = ?
                """,
                (now, status, error, now, to_db_time(retry_after), int(gone), permanent_redirect, source.feed_url),
            )

    # --- reading -----------------------------------------------------------

    def fetch_state(self, feed_url: str) -> FetchState:
        with self._reading():
            return self._fetch_state(feed_url)

    def _fetch_state(self, feed_url: str) -> FetchState:
        row = self._db.execute(
            "SELECT etag, last_modified, retry_after, gone FROM sources WHERE feed_url = ?", (feed_url,)
        ).fetchone()
        if row is None:
            return FetchState()
        return FetchState(row[0], row[1], from_db_time(row[2]), bool(row[3]))

    def entries_between(self, start: datetime, end: datetime) -> list[StoredEntry]:
        """Entries whose effective date is in [start, end), oldest first.

        Effective date: published, else updated, else first seen.
        """
        with self._reading():
            rows = self._db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries "
                "WHERE effective_date >= ? AND effective_date < ? ORDER BY effective_date, feed_url, key",
                (to_db_time(start), to_db_time(end)),
            )
            return [_stored_entry(row) for row in rows]

    def entries_for(self, feed_url: str) -> list[StoredEntry]:
        """Every entry stored for one source, oldest first."""
        with self._reading():
            rows = self._db.execute(
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE feed_url = ? ORDER BY effective_date, key",
                (feed_url,),
            )
            return [_stored_entry(row) for row in rows]

    def sources_health(
        self,
        sources: Sequence[Source] | None = None,
        *,
        dead_after_days: float = 30,
        now: datetime | None = None,
    ) -> list[SourceHealth]:
        """Health of the given sources (in that order; ones never fetched
        included), or of every source the archive knows, by title."""
        with self._reading():
            return self._sources_health(sources, dead_after_days, now)

    def _sources_health(self, sources, dead_after_days, now) -> list[SourceHealth]:
        now = now or datetime.now(UTC)
        counts = {
            row[0]: (row[1], row[2])
            for row in self._db.execute(
                "SELECT feed_url, COUNT(*), MAX(effective_date) FROM entries GROUP BY feed_url"
            )
        }
        rows = {
            row[0]: row
            for row in self._db.execute(
                """
                SELECT feed_url, title, html_url, category, location, avatar, last_attempt,
                    last_success, last_status, last_error, consecutive_failures, failing_since,
                    retry_after, gone, permanent_redirect, last_warning
                FROM sources
                """
            )
        }
        if sources is None:
            sources = sorted(
                (Source(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows.values()),
                key=lambda s: (s.title.casefold(), s.feed_url),
            )
        health = []
        for source in sources:
            row = rows.get(source.feed_url)
            stored, newest = counts.get(source.feed_url, (0, None))
            if row is None:
                health.append(SourceHealth(source, None, None, None, None, 0, stored, from_db_time(newest), False))
                continue
            failing_since = from_db_time(row[11])
            gone = bool(row[13])
            dead = gone or (
                failing_since is not None and now - failing_since >= timedelta(days=dead_after_days)
            )
            health.append(
                SourceHealth(
                    source=source,
                    last_attempt=from_db_time(row[6]),
                    last_success=from_db_time(row[7]),
                    last_status=row[8],
                    last_error=row[9],
                    consecutive_failures=row[10],
                    entries_stored=stored,
                    newest_entry=from_db_time(newest),
                    dead=dead,
                    permanent_redirect=row[14],
                    gone=gone,
                    failing_since=failing_since,
                    retry_after=from_db_time(row[12]),
                    last_warning=row[15],
                )
            )
        return health

    def integrity_check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]


def _stored_entry(row) -> StoredEntry:
    (feed_url, key, guid, title, link, author, published, updated, first_seen, last_seen,
     summary_html, content_html, categories, enclosures, image_url, lang) = row
    return StoredEntry(
        key=key,
        guid=guid,
        title=title,
        link=link,
        author=author,
        published=from_db_time(published),
        updated=from_db_time(updated),
        summary_html=summary_html,
        content_html=content_html,
        categories=tuple(json.loads(categories)),
        enclosures=tuple(Enclosure(*item) for item in json.loads(enclosures)),
        image_url=image_url,
        lang=lang,
        feed_url=feed_url,
        first_seen=from_db_time(first_seen),
        last_seen=from_db_time(last_seen),
    )


def _split_sql(script: str) -> list[str]:
    # Migration scripts hold plain DDL without semicolons inside strings.
    return [part.strip() for part in script.split(";") if part.strip()]
