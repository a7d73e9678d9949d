"""Benchmark: `invoke fetch`'s engine against the loop a user would write.

    .venv/bin/python bench/bench_fetch.py            # about 45 s
    .venv/bin/python bench/bench_fetch.py --quick    # baseline loop sampled

100 sources on loopback, every answer delayed 300 ms (25 loopback hosts,
127.0.0.1-127.0.0.25, 4 feeds each, so the per-host limit of 4 is not what
is measured). Prints, each next to its target:

1. wall time of the project's fetch (in a subprocess, so its peak memory is
   its own) beside a sequential ``feedparser.parse(url)`` loop, and the ratio;
2. a second fetch run: how many answers were 304 Not Modified;
3. peak RSS of the fetch subprocess;
4. the archive's month-window query on 50,000 entries / 200 sources, beside
   loading every entry and filtering in Python.

Loopback only; nothing leaves the machine. Runs in about a minute.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT))

SOURCES = 100
HOSTS = 25
LATENCY = 0.3
# 100 sources at 300 ms each: with N in flight the floor is ceil(100/N) * 0.3 s.
# Measured at the default DIGEST_FETCH_CONCURRENCY (100: floor 0.3 s plus
# parsing); 16 is printed too for comparison (floor 7 * 0.3 = 2.1 s).
from digest.fetch import FetchSettings  # noqa: E402

CONCURRENCY = FetchSettings.concurrency


def feed_body(n: int) -> bytes:
    items = "".join(
        f"""<item><title>Bench chapter {n}, post {i}</title>
<link>https://bench{n}.example.org/posts/{i}/</link><guid>https://bench{n}.example.org/?p={i}</guid>
<pubDate>Mon, {1 + i % 28:02d} Sep 2025 12:00:00 +0000</pubDate>
<description>&lt;p&gt;Post {i} of a fictional chapter's feed, written for this benchmark.&lt;/p&gt;</description></item>
"""
        for i in range(20)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bench {n}</title>'
        f"<link>https://bench{n}.example.org/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def child(sources_path: str, archive_path: str, concurrency: str) -> None:
    """Run in a subprocess: one fetch, report figures as JSON."""
    from digest.archive import Archive
    from digest.fetch import FetchSettings, fetch_all
    from digest.sources import load_sources

    sources = load_sources(sources_path)
    settings = FetchSettings(concurrency=int(concurrency), per_host=4, user_agent="bench")
    # Start-up is excluded on both sides: httpx imports its transport lazily
    # on the first client, as the sequential loop has urllib imported already.
    import httpx

    httpx.Client().close()
    with Archive(archive_path) as archive:
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        results = fetch_all(sources, archive, settings)
        elapsed = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "outcomes": [r.outcome for r in results],
                "statuses": [r.status for r in results],
                "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                # feed-parsing worker processes (largest one), if the fetch used any
                "children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                "cpu": (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime),
            }
        )
    )


def run_child(sources: Path, archive: Path, concurrency: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(sources), str(archive), str(concurrency)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(label: str, value: str, target: str, ok: bool) -> None:
    print(f"  {label:<44} {value:>14}   target {target:<10} {'OK' if ok else 'MISSED'}")


def serve_feeds(servers) -> list[str]:
    """Route SOURCES feeds round-robin over the loopback servers; their addresses, in order."""
    urls = []
    for n in range(SOURCES):
        server = servers[n % len(servers)]
        server.route(f"/feed{n}.xml", body=feed_body(n), etag=True, last_modified=True)
        urls.append(server.url(f"/feed{n}.xml"))
    return urls


def bench_fetch(work: Path) -> None:
    import feedparser

    from digest.sources import new_opml
    from digest.models import Source
    from tests.feedserver import FeedServer

    servers = [FeedServer(host=f"127.0.0.{h + 1}", latency=LATENCY).start() for h in range(HOSTS)]
    try:
        urls = serve_feeds(servers)
        sources = work / "sources.opml"
        sources.write_bytes(new_opml([Source(url, f"Bench {n}") for n, url in enumerate(urls)]))

        print(f"Fetch: {SOURCES} sources on {HOSTS} loopback hosts, {LATENCY * 1000:.0f} ms latency each")
        # Wall times depend on what else the machine is doing: say so.
        load = os.getloadavg()[0]
        print(f"  (machine: {os.cpu_count()} CPUs, load average {load:.1f} at start)")
        first = run_child(sources, work / "a.sqlite", CONCURRENCY)
        assert first["outcomes"].count("fetched") == SOURCES, first["outcomes"]
        second = run_child(sources, work / "a.sqlite", CONCURRENCY)
        default = run_child(sources, work / "b.sqlite", 16)

        started = time.perf_counter()
        # --quick: a 10-source sample of the loop, scaled up (it is strictly linear).
        sample = urls[:10] if "--quick" in sys.argv else urls
        for url in sample:
            parsed = feedparser.parse(url)
            assert len(parsed.entries) == 20
        sequential = (time.perf_counter() - started) * len(urls) / len(sample)

        ratio = sequential / first["elapsed"]
        not_modified = second["statuses"].count(304) / SOURCES
        rss_mb = max(first["maxrss_kb"], second["maxrss_kb"]) / 1024
        line(f"project fetch, default concurrency {CONCURRENCY}", f"{first['elapsed']:.2f} s", "<= 2 s", first["elapsed"] <= 2)
        label = "sequential loop (10 measured, x10)" if "--quick" in sys.argv else "sequential feedparser.parse(url) loop"
        line(label, f"{sequential:.2f} s", "(baseline)", True)
        line("speed-up over the sequential loop", f"{ratio:.1f}x", ">= 15x", ratio >= 15)
        line("second run: answers that were 304", f"{not_modified:.0%}", ">= 95 %", not_modified >= 0.95)
        line("CPU time in the fetch process itself", f"{first['cpu']:.2f} s", "(info)", True)
        line("second run wall time", f"{second['elapsed']:.2f} s", "(info)", True)
        line("peak RSS of the fetch subprocess", f"{rss_mb:.0f} MB", "<= 150 MB", rss_mb <= 150)
        worker_mb = first["children_maxrss_kb"] / 1024
        workers = min(os.cpu_count() or 1, 4) if (os.cpu_count() or 1) > 1 else 0
        total_mb = rss_mb + workers * worker_mb
        line(f"  + {workers} parse workers ({worker_mb:.0f} MB largest), sum", f"{total_mb:.0f} MB", "<= 150 MB", total_mb <= 150)
        line("concurrency 16 (floor 7 x 0.3 = 2.1 s)", f"{default['elapsed']:.2f} s", "(info)", True)
    finally:
        for server in servers:
            server.stop()


def bench_archive(work: Path) -> None:
    import sqlite3

    from digest.archive import Archive
    from digest.models import FeedEntry, Source

    path = work / "big.sqlite"
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    with Archive(path) as archive:
        for s in range(200):
            source = Source(f"https://bench{s}.example.org/feed", f"Bench {s}")
            entries = [
                FeedEntry(
                    key=f"{s}-{i}", guid=f"{s}-{i}", title=f"Post {i}", link=f"https://bench{s}.example.org/{i}",
                    author=None, published=start + timedelta(hours=((s * 7919 + i * 104729) % (3 * 365 * 24))),
                    updated=None, summary_html="<p>" + "words " * 60 + "</p>", content_html=None,
                )
                for i in range(250)
            ]
            archive.store_entries(source, entries, fetched_at=datetime.now(timezone.utc))
        window = (datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 4, 1, tzinfo=timezone.utc))
        archive.entries_between(*window)  # warm the page cache, as a second compose would
        started = time.perf_counter()
        found = archive.entries_between(*window)
        indexed = time.perf_counter() - started
    # The alternative: load every entry and filter in Python (what a store
    # without an indexed date column leaves you to do).
    from digest.archive import _ENTRY_COLUMNS, _stored_entry

    db = sqlite3.connect(path)
    started = time.perf_counter()
    everything = [_stored_entry(row) for row in db.execute(f"SELECT {_ENTRY_COLUMNS} FROM entries")]
    scanned = [e for e in everything if window[0] <= e.effective_date < window[1]]
    scan = time.perf_counter() - started
    db.close()
    assert len(scanned) == len(found)
    print(f"Archive: 50,000 entries from 200 sources, one month window ({len(found)} entries)")
    line("entries_between (indexed, records built)", f"{indexed * 1000:.0f} ms", "< 300 ms", indexed < 0.3)
    line("load all 50,000 and filter in Python", f"{scan * 1000:.0f} ms", "(baseline)", True)
    line("ratio", f"{scan / indexed:.0f}x", "(info)", True)


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        bench_fetch(work)
        bench_archive(work)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
