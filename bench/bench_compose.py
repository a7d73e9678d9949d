"""How long `invoke digest` takes to compose one month from a big archive.

    .venv/bin/python bench/bench_compose.py

Builds a real archive of 50,000 entries across 200 sources (stored through
archive.store_entries, two years of history, WordPress-style summaries with
footers), then composes one month with the real cli code path (read the
window, clean, dedupe, flood guard, write the issue file; image downloads
off). Target: <= 1 s. Beside it, the obvious alternative an editor would
otherwise pick: `feedparser`-style "load every entry, filter in Python".
"""

from __future__ import annotations

import io
import random
import sys
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT))

from digest.archive import Archive  # noqa: E402
from digest.compose import run_compose  # noqa: E402
from digest.models import FeedEntry, Source  # noqa: E402

SOURCES, ENTRIES, MONTH, TARGET = 200, 50_000, "2026-09", 1.0
WORDS = ("tenants organizers meeting council budget strike union members chapter city county workers rent "
         "clinic transit library wages vote petition kitchen march statement").split()


def build(path: Path) -> None:
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 12, 31, tzinfo=UTC) - start).total_seconds()
    per_source = ENTRIES // SOURCES
    with Archive(path) as archive:
        for s in range(SOURCES):
            source = Source(feed_url=f"https://chapter{s}.example.org/feed/", title=f"Chapter {s:03d}",
                            html_url=f"https://chapter{s}.example.org/", category="chapter")
            entries = []
            for n in range(per_source):
                words = " ".join(rng.choice(WORDS) for _ in range(90))
                title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize() + f" {s}-{n}"
                link = f"https://chapter{s}.example.org/{n}/"
                entries.append(FeedEntry(
                    key=link, guid=link, title=title, link=link, author=f"Author {n % 17}",
                    published=start + timedelta(seconds=rng.random() * span), updated=None,
                    summary_html=f"<p>{words.capitalize()}. More words here.</p><p>The post <a href='{link}'>{title}"
                                 f"</a> appeared first on <a href='https://chapter{s}.example.org'>Chapter {s}</a>.</p>",
                    content_html=None))
            archive.store_entries(source, entries, fetched_at=datetime(2026, 11, 1, tzinfo=UTC))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive_path = tmp / "archive.sqlite"
        t0 = time.perf_counter()
        build(archive_path)
        print(f"archive: {ENTRIES:,} entries across {SOURCES} sources, built in {time.perf_counter() - t0:.1f} s")
        (tmp / "content" / "posts").mkdir(parents=True)
        settings = {"PATH": str(tmp / "content"), "ROOT": str(tmp), "TIMEZONE": "America/Los_Angeles",
                    "SITENAME": "Millbrook Chapter", "DIGEST_NAME": "The Millbrook Lantern",
                    "SITEURL": "https://millbrook.example.org", "DIGEST_IMAGES": False,
                    "DIGEST_FLOOD_MAX_ITEMS": 25}
        timings = []
        for run in range(3):
            target = tmp / "content" / "digests" / f"{MONTH}.md"
            target.unlink(missing_ok=True)
            out = io.StringIO()
            t0 = time.perf_counter()
            with redirect_stdout(out):
                code = run_compose(tmp, settings, month=MONTH, archive_path=archive_path, sources_path=None,
                                  force=False, out=lambda *a: None)
            timings.append(time.perf_counter() - t0)
            assert code == 0
        items = target.read_text().count("\n### ")
        best = min(timings)
        # The alternative: read every entry of the archive and filter the month in Python.
        with Archive(archive_path) as archive:
            t0 = time.perf_counter()
            everything = archive.entries_between(datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
            naive = time.perf_counter() - t0
        print(f"compose {MONTH}: {items} items written, best of 3: {best:.3f} s (target <= {TARGET:.1f} s) "
              f"-> {'OK' if best <= TARGET else 'TOO SLOW'}")
        print(f"  alternative, just loading all {len(everything):,} entries to filter in Python: {naive:.3f} s "
              f"-> compose is {naive / best:.1f}x faster than that alone")
        return 0 if best <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
