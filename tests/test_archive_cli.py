"""`invoke fetch`, `invoke sources`, `invoke sources import` through the real
cli (and, where it matters, the real invoke in a subprocess)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digest import cli
from digest.archive import Archive
from digest.sources import load_sources
from tests.cli_env import wide_log_env
from tests.feedserver import FeedServer

ROOT = Path(__file__).resolve().parent.parent
FEEDS = Path(__file__).parent / "fixtures" / "feeds"
INVOKE = Path(sys.executable).parent / "invoke"


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "testconf.py"
    path.write_text(
        "SITENAME = 'Test Chapter'\n"
        "SITEURL = 'https://test-chapter.example.org'\n"
        "TIMEZONE = 'America/Los_Angeles'\n"
        "DIGEST_SOURCES = 'sources.opml'\n"
        "DIGEST_ARCHIVE = 'cache/digest.sqlite'\n"
        "DIGEST_FETCH_CONNECT_TIMEOUT = 1\n"
        "DIGEST_FETCH_READ_TIMEOUT = 1\n"
        "DIGEST_FETCH_TOTAL_TIMEOUT = 1.5\n"
        "DIGEST_DEAD_AFTER_DAYS = 30\n"
    )
    return path


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def write_opml(path: Path, outlines: list[tuple[str, str]]) -> Path:
    lines = "\n".join(f'    <outline text="{title}" type="rss" xmlUrl="{url}"/>' for title, url in outlines)
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n  <head><title>t</title></head>\n'
        f"  <body>\n{lines}\n  </body>\n</opml>\n"
    )
    return path


def test_fetch_exit_0_when_all_fetched_and_settings_paths_used(tmp_path, conf, server, capsys):
    server.file("/feed/", FEEDS / "wordpress.xml", etag=True)
    server.file("/atom.xml", FEEDS / "atom-xmlbase.xml", etag=True)
    write_opml(tmp_path / "sources.opml", [("Harbor City Chapter", server.url("/feed/")),
                                           ("Northfield Chapter", server.url("/atom.xml"))])
    assert cli.fetch(tmp_path, conf) == 0
    out = capsys.readouterr().out
    assert "Harbor City Chapter" in out and "2 fetched, 0 unchanged, 0 failed; 5 new" in out
    with Archive(tmp_path / "cache" / "digest.sqlite") as archive:  # DIGEST_ARCHIVE, relative to root
        assert sum(h.entries_stored for h in archive.sources_health()) == 5
    # The User-Agent names the site and its address.
    assert server.requests[0].headers["user-agent"] == "Test Chapter digest fetcher (+https://test-chapter.example.org)"
    # Second run: everything unchanged is still success.
    assert cli.fetch(tmp_path, conf, quiet=True) == 0
    assert "0 fetched, 2 unchanged, 0 failed" in capsys.readouterr().out


def test_fetch_exit_1_when_some_failed_rest_stored(tmp_path, conf, server, capsys):
    server.file("/feed/", FEEDS / "wordpress.xml")
    server.route("/missing.xml", status=404, body=b"nope")
    sources = write_opml(tmp_path / "mine.opml", [("Harbor City Chapter", server.url("/feed/")),
                                                  ("Vanished Chapter", server.url("/missing.xml"))])
    archive = tmp_path / "elsewhere.sqlite"
    assert cli.fetch(tmp_path, conf, sources=str(sources), archive=str(archive)) == 1
    out = capsys.readouterr().out
    assert "HTTP 404" in out and "1 fetched, 0 unchanged, 1 failed" in out
    with Archive(archive) as opened:
        assert len(opened.entries_for(server.url("/feed/"))) == 3


def test_fetch_exit_2_on_missing_or_broken_sources_file(tmp_path, conf, capsys):
    assert cli.fetch(tmp_path, conf) == 2
    assert f"{tmp_path / 'sources.opml'}: file not found" in capsys.readouterr().out
    broken = tmp_path / "sources.opml"
    broken.write_text('<opml version="2.0"><body>\n<outline text="A & B" xmlUrl="https://a.example.org/feed"/>\n</body></opml>')
    assert cli.fetch(tmp_path, conf) == 2
    assert f"{broken}:2: not well-formed XML" in capsys.readouterr().out
    write_opml(broken, [("No Address", "ftp://files.example.org/feed")])
    assert cli.fetch(tmp_path, conf) == 2
    assert "is not a web address" in capsys.readouterr().out
    assert not (tmp_path / "cache").exists()  # nothing was fetched or created


def test_fetch_exit_2_on_unusable_archive(tmp_path, conf, server, capsys):
    write_opml(tmp_path / "sources.opml", [("A", server.url("/feed/"))])
    (tmp_path / "folder.sqlite").mkdir()
    assert cli.fetch(tmp_path, conf, archive=str(tmp_path / "folder.sqlite")) == 2
    assert "is a folder" in capsys.readouterr().out


def test_sources_health_flags_dead_and_moved(tmp_path, conf, server, capsys):
    server.route("/gone.xml", status=410)
    server.route("/old.xml", status=308, location="/new.xml")
    server.file("/new.xml", FEEDS / "undated.xml")
    write_opml(tmp_path / "sources.opml", [("Gone Chapter", server.url("/gone.xml")),
                                           ("Moved Chapter", server.url("/old.xml")),
                                           ("Quiet Chapter", "https://quiet.example.org/feed")])
    with Archive(tmp_path / "cache" / "digest.sqlite"):
        pass
    # Only fetch the two local ones (the third stays "never fetched").
    two = tmp_path / "two.opml"
    write_opml(two, [("Gone Chapter", server.url("/gone.xml")), ("Moved Chapter", server.url("/old.xml"))])
    assert cli.fetch(tmp_path, conf, sources=str(two)) == 1
    out = capsys.readouterr().out
    assert f"Moved for good: Moved Chapter is now at {server.url('/new.xml')}" in out
    assert cli.sources(tmp_path, conf) == 0
    out = capsys.readouterr().out
    assert "Gone Chapter [DEAD]" in out
    assert "DEAD: Gone Chapter" in out and "410 Gone" in out
    assert f"MOVED: Moved Chapter now lives at {server.url('/new.xml')}" in out
    assert "never fetched" in out


def test_import_planet_ini_and_opml_keep_file_and_skip_duplicates(tmp_path, conf, capsys):
    target = tmp_path / "sources.opml"
    original = (ROOT / "content" / "digest" / "sources.opml").read_bytes()
    target.write_bytes(original)
    assert cli.import_sources(tmp_path, conf, str(FEEDS / "planet.ini")) == 0
    after_ini = target.read_bytes()
    body_end = original.rindex(b"  </body>")
    assert after_ini.startswith(original[:body_end])  # the editor's file kept byte for byte
    assert after_ini.endswith(original[body_end:])
    sources = {s.feed_url: s for s in load_sources(target)}
    assert len(sources) == 6  # 4 + 2 new; Harbor City was already there
    lakeshore = sources["https://lakeshore.example.net/index.xml"]
    assert (lakeshore.title, lakeshore.html_url, lakeshore.location) == (
        "Lakeshore Chapter", "https://lakeshore.example.net/", "Lakeshore")
    assert sources["https://harbor-city.example.org/feed/"].category == "chapter"  # existing outline untouched
    out = capsys.readouterr().out
    assert "added: Lakeshore Chapter" in out and "1 already in" in out
    # OPML import: nested folder becomes the category; duplicates skipped.
    assert cli.import_sources(tmp_path, conf, str(FEEDS / "import.opml")) == 0
    sources = {s.feed_url: s for s in load_sources(target)}
    assert len(sources) == 8
    assert sources["https://tenants.riverlands-league.example.org/feed.xml"].category == "Working groups"
    assert sources["https://newsletter.millbrook-valley.example.net/atom"].category == "publication"
    # Importing again changes nothing.
    before = target.read_bytes()
    assert cli.import_sources(tmp_path, conf, str(FEEDS / "planet.ini")) == 0
    assert target.read_bytes() == before
    assert "Nothing to add" in capsys.readouterr().out


def test_import_creates_missing_sources_file_and_reports_bad_ini(tmp_path, conf, capsys):
    assert cli.import_sources(tmp_path, conf, str(FEEDS / "planet.ini"), sources=str(tmp_path / "new" / "s.opml")) == 0
    assert len(load_sources(tmp_path / "new" / "s.opml")) == 3
    bad = tmp_path / "planet.ini"
    bad.write_text("[one]\ntitle = One\nfeed = https://one.example.org/feed\n\n[one]\ntitle = Again\n")
    assert cli.import_sources(tmp_path, conf, str(bad)) == 2
    assert f"{bad}:5: section [one] appears twice" in capsys.readouterr().out
    missing_feed = tmp_path / "missing.ini"
    missing_feed.write_text("[two]\ntitle = Two\nlink = https://two.example.org/\n")
    assert cli.import_sources(tmp_path, conf, str(missing_feed)) == 2
    assert f"{missing_feed}:1: [two] has a link but no `feed" in capsys.readouterr().out


def test_invoke_sources_import_and_fetch_exit_codes(tmp_path, server):
    """The real `invoke` commands, as an editor types them."""
    target = tmp_path / "x.opml"
    archive = tmp_path / "a.sqlite"
    done = subprocess.run(
        [str(INVOKE), "sources", "import", str(FEEDS / "planet.ini"), "--sources", str(target), "--archive", str(archive)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=wide_log_env(),  # rich wraps at 80 columns
    )
    assert done.returncode == 0, done.stderr
    assert "Granite Falls Chapter" in done.stdout and len(load_sources(target)) == 3
    server.file("/feed/", FEEDS / "wordpress.xml")
    server.route("/down.xml", status=503)
    write_opml(target, [("Up", server.url("/feed/")), ("Down", server.url("/down.xml"))])
    done = subprocess.run(
        [str(INVOKE), "fetch", "--sources", str(target), "--archive", str(archive), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=wide_log_env(),  # rich wraps at 80 columns
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[2/2]" in done.stdout  # plain log lines, no progress bar, when not a terminal
    done = subprocess.run(
        [str(INVOKE), "fetch", "--sources", str(tmp_path / "nope.opml"), "--archive", str(archive)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=wide_log_env(),  # rich wraps at 80 columns
    )
    assert done.returncode == 2 and "nope.opml: file not found" in done.stdout


def test_killed_fetch_leaves_consistent_archive_and_next_fetch_completes(tmp_path):
    """SIGKILL `invoke fetch` mid-way: stored sources are complete, nothing is
    corrupt, and the next run stores the rest."""
    body = (FEEDS / "wordpress.xml").read_bytes()
    count = 12
    with FeedServer() as server:
        for i in range(count):
            # Distinct entries per source, answers spread over ~3 s.
            server.route(f"/s{i}.xml", body=body.replace(b"?p=", f"?s={i}&amp;p=".encode()), delay=0.25 * i)
        sources = write_opml(tmp_path / "s.opml", [(f"Chapter {i}", server.url(f"/s{i}.xml")) for i in range(count)])
        archive_path = tmp_path / "a.sqlite"
        command = [str(INVOKE), "fetch", "--sources", str(sources), "--archive", str(archive_path), "--quiet"]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 3 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("["):
                seen += 1
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        assert seen == 3 and process.returncode == -signal.SIGKILL

        db = sqlite3.connect(archive_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = dict(db.execute("SELECT feed_url, COUNT(*) FROM entries GROUP BY feed_url"))
        succeeded = [row[0] for row in db.execute("SELECT feed_url FROM sources WHERE last_success IS NOT NULL")]
        db.close()
        assert 3 <= len(stored) < count
        assert set(stored) == set(succeeded)
        assert all(n == 3 for n in stored.values())  # every stored source is complete

        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout
    with Archive(archive_path) as archive:
        assert archive.integrity_check() == "ok"
        health = archive.sources_health(load_sources(sources))
    assert [h.entries_stored for h in health] == [3] * count


def _descendants(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        found += children
        frontier += children
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find worker processes")
def test_killed_fetch_with_parse_processes_leaves_no_workers_behind(tmp_path):
    """A big fetch parses in worker processes; SIGKILL of the fetch must not
    leave them running, nor hurt the archive."""
    count = 24
    conf = tmp_path / "conf.py"
    conf.write_text("SITENAME = 'Test'\nDIGEST_FETCH_PER_HOST = 24\nDIGEST_FETCH_CONCURRENCY = 24\n")
    body = (FEEDS / "undated.xml").read_bytes()
    with FeedServer() as server:
        for i in range(count):
            server.route(f"/s{i}.xml", body=body.replace(b"eastlake-youth-17", f"y-{i}".encode()), delay=0.1 * i)
        sources = write_opml(tmp_path / "s.opml", [(f"Chapter {i}", server.url(f"/s{i}.xml")) for i in range(count)])
        archive_path = tmp_path / "a.sqlite"
        code = (
            "import sys; from pathlib import Path; from digest import cli; "
            f"sys.exit(cli.fetch(Path({str(tmp_path)!r}), Path({str(conf)!r}), sources={str(sources)!r}, "
            f"archive={str(archive_path)!r}, quiet=True))"
        )
        command = [sys.executable, "-c", code]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "plugins"), str(ROOT)])}
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        seen = 0
        while seen < 5:
            line = process.stdout.readline()
            assert line, "the fetch ended before five sources were done"
            seen += line.startswith("[")
        workers = _descendants(process.pid)
        # the fork server, its parse processes and multiprocessing's tracker
        assert len(workers) >= 3
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        process.stdout.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in workers):
            time.sleep(0.2)
        alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        for pid in alive:  # don't leak them into the rest of the suite
            os.kill(pid, signal.SIGKILL)
        assert alive == []

        with Archive(archive_path) as archive:
            assert archive.integrity_check() == "ok"
            counts = [h.entries_stored for h in archive.sources_health(load_sources(sources))]
        assert 5 <= sum(1 for n in counts if n) < count and set(counts) <= {0, 3}
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout
    with Archive(archive_path) as archive:
        assert [h.entries_stored for h in archive.sources_health(load_sources(sources))] == [3] * count
