"""Time and peak memory of the worst hostile entries (issue 9), next to their limits.

    .venv/bin/python bench/bench_hostile.py [--no-baseline]

Each case runs in its own process (so its peak RSS is its own): a feed
holding one of the worst entries of tests/fixtures/hostile/corpus.py is
parsed (parse_feed, as `invoke fetch` does), stored in a real archive and
composed with the real `invoke digest` code (run_compose, images off), in
summary mode and in full mode. Limits: compose <= 2 s and <= 300 MB peak RSS
per case. Beside each, what the same entry costs the sanitiser when it is
not bounded first (plain nh3.clean, as compose did before), in a child with
a 20 s and 3 GB allowance, as a ratio.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT))

MAX_SECONDS, MAX_RSS_MB = 2.0, 300
BASELINE_SECONDS, BASELINE_BYTES = 20, 3 * 1024**3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(name: str) -> dict:
    """In a child process: parse, store and compose one worst entry; figures as JSON."""
    from digest.archive import Archive
    from digest.compose import run_compose
    from digest.models import Source
    from digest.parse import parse_feed
    from tests.fixtures.hostile.corpus import WORST_ENTRIES, feed_of

    body = feed_of([WORST_ENTRIES[name]()])
    t0 = time.perf_counter()
    parsed = parse_feed(body, url="https://quarry-hill.example.org/feed/", content_type="application/rss+xml")
    parse_s = time.perf_counter() - t0
    figures = {"case": name, "feed_bytes": len(body), "parse_s": parse_s, "parse_warning": parsed.warning or ""}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive_path = tmp / "archive.sqlite"
        with Archive(archive_path) as archive:
            archive.store_entries(Source("https://quarry-hill.example.org/feed/", "Quarry Hill Tenants"),
                                  parsed.entries, fetched_at=datetime(2026, 11, 1, tzinfo=UTC))
        (tmp / "content" / "posts").mkdir(parents=True)
        # Warm up (imports, settings) on an empty month, so the figures are the entry's cost.
        run_compose(tmp, {"PATH": str(tmp / "content"), "ROOT": str(tmp), "DIGEST_IMAGES": False}, month="2026-01",
                    archive_path=archive_path, sources_path=None, out=lambda *a: None)
        for mode in ("summary", "full"):
            settings = {"PATH": str(tmp / "content"), "ROOT": str(tmp), "TIMEZONE": "UTC",
                        "SITENAME": "Millbrook Chapter", "SITEURL": "https://millbrook.example.org",
                        "DIGEST_IMAGES": False, "DIGEST_EXCERPT_MODE": mode}
            (tmp / "content" / "digests" / "2026-10.md").unlink(missing_ok=True)
            lines: list[str] = []
            t0 = time.perf_counter()
            code = run_compose(tmp, settings, month="2026-10", archive_path=archive_path, sources_path=None,
                               force=False, out=lambda *a: lines.append(" ".join(map(str, a))),
                               now=datetime(2026, 11, 1, tzinfo=UTC))
            figures[f"compose_{mode}_s"] = time.perf_counter() - t0
            figures[f"compose_{mode}_code"] = code
            figures[f"compose_{mode}_warnings"] = [line for line in lines if "cut short" in line][:1]
    figures["peak_rss_mb"] = _peak_mb()
    return figures


def run_baseline(name: str) -> dict:
    """In a child process: the entry through nh3.clean with no bounds first."""
    import nh3

    from digest.clean import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, DROP_WITH_CONTENT
    from tests.fixtures.hostile.corpus import WORST_ENTRIES

    resource.setrlimit(resource.RLIMIT_AS, (BASELINE_BYTES, BASELINE_BYTES))
    html = WORST_ENTRIES[name]()
    t0 = time.perf_counter()
    nh3.clean(html, tags=ALLOWED_TAGS, clean_content_tags=DROP_WITH_CONTENT, attributes=ALLOWED_ATTRIBUTES)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": _peak_mb()}


def child(kind: str, name: str, timeout: float) -> dict | None:
    try:
        done = subprocess.run([sys.executable, __file__, f"--{kind}", name], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["killed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] in ("--case", "--baseline-case"):
        print(json.dumps(run_case(argv[1]) if argv[0] == "--case" else run_baseline(argv[1])))
        return 0
    from tests.fixtures.hostile.corpus import WORST_ENTRIES

    baseline = "--no-baseline" not in argv
    print(f"Worst hostile entries: parse + compose (summary and full), limits {MAX_SECONDS:g} s and "
          f"{MAX_RSS_MB} MB peak RSS per case")
    ok = True
    for name in WORST_ENTRIES:
        figures = child("case", name, 120)
        if figures is None or "failed" in figures:
            print(f"  {name}: FAILED ({figures and figures['failed'] or 'over 120 s'})")
            ok = False
            continue
        compose_s = max(figures["compose_summary_s"], figures["compose_full_s"])
        fine = compose_s <= MAX_SECONDS and figures["peak_rss_mb"] <= MAX_RSS_MB and \
            figures["compose_summary_code"] == 0 == figures["compose_full_code"]
        ok &= fine
        print(f"  {name}: feed {figures['feed_bytes'] / 1e6:.2f} MB, parse {figures['parse_s']:.2f} s, "
              f"compose summary {figures['compose_summary_s']:.2f} s / full {figures['compose_full_s']:.2f} s "
              f"(limit {MAX_SECONDS:g} s), peak RSS {figures['peak_rss_mb']:.0f} MB (limit {MAX_RSS_MB} MB) "
              f"-> {'OK' if fine else 'OVER'}")
        if baseline:
            before = child("baseline-case", name, BASELINE_SECONDS)
            if before is None:
                print(f"      unbounded nh3.clean of the same entry: over {BASELINE_SECONDS} s (stopped) "
                      f"-> bounded compose is > {BASELINE_SECONDS / compose_s:.0f}x faster")
            elif "failed" in before:
                print(f"      unbounded nh3.clean of the same entry: died at the {BASELINE_BYTES / 1024**3:.0f} GB "
                      f"allowance ({before['failed']})")
            else:
                print(f"      unbounded nh3.clean of the same entry: {before['seconds']:.2f} s, peak RSS "
                      f"{before['peak_rss_mb']:.0f} MB -> bounded compose is "
                      f"{before['seconds'] / max(compose_s, 1e-3):.1f}x the speed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
