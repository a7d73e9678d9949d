"""`invoke serve`: the writer's preview (plugins/preview/).

In-process sessions (Preview on port 0, real watcher, real HTTP on
loopback) for the watcher race and the server's behaviour; one subprocess
session through `chapter.cli.serve` for the command as writers run it.
Nothing here sleeps to wait for a build: tests wait on the session's own
events (a build finished, the watcher saw a change) or poll HTTP until a
deadline.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import io
import json
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from preview.errors import ListenError
from preview.rebuild import Rebuilder
from preview.serve import CSP, Hooks, Preview, inject, page_hash
from preview.watch import ChangeFilter
from search.index import background_indexer
from test_site_support import PYTHON, REPO, build, make_site, post, statement


@contextlib.contextmanager
def running(site: Path, hooks: Hooks | None = None):
    """A preview session on a free loopback port, its loop in a thread."""
    preview = Preview(site / "siteconf.py", port=0, hooks=hooks, out=io.StringIO())
    preview.start()
    loop = threading.Thread(target=preview.run, daemon=True)
    loop.start()
    try:
        yield preview
    finally:
        preview.stop()
        loop.join(timeout=10)


def get(preview: Preview, path: str, method: str = "GET"):
    """(status, headers, body text) without following redirects."""
    host, port = preview.address
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def save(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


class ChangesSeen:
    """Collects what the watcher reports; wait() blocks until a path shows up."""

    def __init__(self):
        self.paths: dict[str, int] = {}  # path -> number of the batch it was last seen in
        self.cond = threading.Condition()

    def __call__(self, paths, seq):
        with self.cond:
            self.paths.update({os.path.realpath(p): seq for p in paths})
            self.cond.notify_all()

    def clear(self):
        with self.cond:
            self.paths.clear()

    def wait(self, path: Path, timeout=30.0) -> int:
        """The watcher's batch number for `path`, once it has reported it."""
        key = os.path.realpath(path)
        with self.cond:
            assert self.cond.wait_for(lambda: key in self.paths, timeout), f"watcher never saw {path}"
            return self.paths[key]


# --- the watcher race ------------------------------------------------------------------


def test_a_save_during_a_build_is_always_built(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="Version zero.")})
    source = site / "content" / "posts" / "a.md"
    held, release = threading.Event(), threading.Event()
    hold_next = threading.Event()
    held_build = []
    seen = ChangesSeen()

    def after_read():
        # Runs inside the build once every content file has been read.
        if hold_next.is_set():
            hold_next.clear()
            held_build.append(preview.rebuilder.number)
            held.set()
            assert release.wait(60), "the test never released the build"

    with running(site, Hooks(after_read=after_read, on_changes=seen)) as preview:
        assert "Version zero." in get(preview, "/posts/first-title/")[2]

        hold_next.set()
        save(source, post("First title", body="Version one."))
        assert held.wait(30), "no build started after the first save"
        # The held build has read version one. Save again while it runs.
        seen.clear()
        save(source, post("First title", body="Version two."))
        batch = seen.wait(source)
        release.set()

        # The held build finishes with version one; the save made during it
        # must start another build, which reads version two.
        later = preview.wait_for_build(lambda b: b.upto >= batch, timeout=60)
        assert later.ok, later.problems
        assert later.number > held_build[0]
        status, _, body = get(preview, "/posts/first-title/")
        assert status == 200
        assert "Version two." in body and "Version one." not in body


def test_two_saves_100ms_apart_end_with_the_second(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="Start.")})
    source = site / "content" / "posts" / "a.md"
    seen = ChangesSeen()
    with running(site, Hooks(on_changes=seen)) as preview:
        for round_ in range(3):
            save(source, post("First title", body=f"Round {round_} first."))
            time.sleep(0.1)  # the writer's rhythm being tested, not a wait for the build
            seen.clear()
            save(source, post("First title", body=f"Round {round_} second."))
            batch = seen.wait(source)
            # A build that includes the watcher's batch with the second save read it.
            built = preview.wait_for_build(lambda b, batch=batch: b.upto >= batch, timeout=60)
            assert built.ok, built.problems
            assert f"Round {round_} second." in get(preview, "/posts/first-title/")[2]


def test_a_site_below_a_hidden_folder_rebuilds_on_save(tmp_path):
    # Pelican's own watcher matches IGNORE_FILES ("**/.*") against the whole
    # path, so a project in ~/.sites/ never rebuilds.
    site = make_site(tmp_path / ".sites" / "site", {"posts/a.md": post("First title", body="Before.")})
    source = site / "content" / "posts" / "a.md"
    with running(site) as preview:
        first = preview.current().number
        save(source, post("First title", body="After."))
        built = preview.wait_for_build(lambda b: b.number > first, timeout=30)
        assert os.path.realpath(source) in {os.path.realpath(p) for p in built.changed}
        assert "After." in get(preview, "/posts/first-title/")[2]
        # Editors' hidden swap files below the content are still ignored.
        filt = preview.watcher.filter
        assert not filt(None, str(site / "content" / "posts" / ".a.md.swp"))
        assert filt(None, str(source))


# --- what the preview serves --------------------------------------------------------


def site_files(root: Path) -> set[Path]:
    """Every file written, but the search bundle's."""
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "pagefind"}


def indexed(root: Path) -> dict[str, dict]:
    """What the search bundle indexes: each result's record (meta, filters, text), by its address."""
    records = {}
    for fragment in (root / "pagefind" / "fragment").glob("*.pf_fragment"):
        record = json.loads(gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd"))
        records[record["meta"]["url"]] = record
    return records


def test_preview_pages_are_the_full_builds_pages(tmp_path):
    """Every file the preview renders is byte for byte what `pelican` writes."""
    files = {f"posts/p{n:02d}.md": post(f"Post number {n}", date=f"2025-03-{n + 1:02d} 10:00",
                                           Tags="housing, tenants" if n % 2 else "budget",
                                           **({"Group": "sanctuary-city"} if n % 3 == 0 else {}))
             for n in range(14)}
    files["posts/draft.md"] = post("A draft", Status="draft")
    files["statements/s.md"] = statement("A statement", signed="steering-committee")
    # Every plugin of the project: Pelican's signals are process-wide, so an in-process
    # preview in a test worker where another test loaded the digest plugin would otherwise
    # write its pages too, and the comparison would be about test order, not the preview.
    site = make_site(tmp_path / "site", files,
                     extra_settings='\nPLUGINS = ["i18n", "chapter", "digest", "digest_email", "search"]')
    full = build(site, tmp_path / "full")
    assert full.returncode == 0, full.output

    rebuilder = Rebuilder(site / "siteconf.py")
    try:
        rebuilder.start_fresh()
        first = rebuilder.build()
        assert first.ok, first.problems
        for key in list(rebuilder.outputs):
            assert rebuilder.render(key)
        # The preview's search index is built in the background (SEARCH_IN_BACKGROUND): wait for it.
        indexer = background_indexer(rebuilder.output_path)
        assert indexer.wait_for(indexer.submitted, timeout=120) and indexer.error is None, indexer.error
    finally:
        rebuilder.close()
    # Pagefind's bundle is not byte-reproducible (the order of a filter's values, and so
    # the chunks' hashed names, varies from run to run): compared by what it indexes.
    assert indexed(rebuilder.output_path) == indexed(tmp_path / "full") != {}
    expected = site_files(tmp_path / "full")
    got = site_files(rebuilder.output_path)
    assert got == expected
    # Pagination, groups, feeds, drafts and the search page are among them.
    for rel in ("page/2/index.html", "groups/sanctuary-city/index.html", "feeds/all.atom.xml",
                "drafts/posts/a-draft/index.html", "search/index.html"):
        assert Path(rel) in got
    def settled(rel, data: bytes) -> bytes:
        # A digest feed with no issue yet is dated by the clock of the build that wrote it.
        if rel.name.startswith("digest.") and b"<entry>" not in data and b"<item>" not in data:
            return re.sub(rb"<(updated|lastBuildDate)>[^<]*</\1>", b"", data)
        return data

    for rel in sorted(expected):
        assert settled(rel, (rebuilder.output_path / rel).read_bytes()) == \
            settled(rel, (tmp_path / "full" / rel).read_bytes()), rel
    # The preview wrote into its own folder, not the site's output/.
    assert not (site / "output").exists()


def test_html_gets_the_reload_script_and_nothing_else_does(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title")})
    with running(site) as preview:
        status, headers, body = get(preview, "/posts/first-title/")
        assert status == 200
        assert body.count('<script src="/__preview/reload.js"') == 1
        assert headers["Content-Security-Policy"] == CSP and "script-src 'self'" in CSP
        assert headers["Cache-Control"] == "no-store"

        status, headers, feed = get(preview, "/feeds/all.atom.xml")
        assert status == 200 and "<feed" in feed and "__preview" not in feed
        assert "Content-Security-Policy" not in headers

        status, headers, script = get(preview, "/__preview/reload.js")
        assert status == 200 and headers["Content-Type"].startswith("text/javascript")
        assert "EventSource" in script

        status, headers, _ = get(preview, "/posts/first-title")
        assert status == 301 and headers["Location"] == "/posts/first-title/"
        assert get(preview, "/no/such/page/")[0] == 404
        assert get(preview, "/../siteconf.py")[0] in (400, 404)
        assert get(preview, "/%2e%2e/siteconf.py")[0] in (400, 404)
        assert get(preview, "/posts/first-title/", method="HEAD")[2] == ""

    # What a build writes never holds the script.
    result = build(site, tmp_path / "built")
    assert result.returncode == 0, result.output
    for path in (tmp_path / "built").rglob("*"):
        if path.is_file():
            assert b"__preview" not in path.read_bytes(), path


def test_only_pages_that_changed_ask_to_reload(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="A words."),
                                         "statements/s.md": statement("A statement", body="S words.")})
    with running(site) as preview:
        def asked(path):
            status, _, text = get(preview, f"/__preview/hash?path={path}")
            assert status == 200
            return text

        _, _, page = get(preview, "/posts/first-title/")
        shown = re.search(r'data-hash="([0-9a-f]+)"', page).group(1)
        assert asked("/posts/first-title/") == shown
        other = asked("/statements/a-statement/")
        before = preview.current().number
        save(site / "content" / "posts" / "a.md", post("First title", body="New A words."))
        preview.wait_for_build(lambda b: b.number > before, timeout=30)
        assert asked("/posts/first-title/") != shown
        assert asked("/statements/a-statement/") == other


def test_an_invalid_save_shows_the_error_in_the_browser_until_the_next_good_save(tmp_path, capsys):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="Good words.")})
    source = site / "content" / "posts" / "a.md"
    with running(site) as preview:
        assert get(preview, "/posts/first-title/")[0] == 200
        before = preview.current().number
        # File contents can hold markup: the page must show it as text.
        save(source, post("First title", author="<script>alert(1)</script>"))
        failed = preview.wait_for_build(lambda b: b.number > before, timeout=30)
        assert not failed.ok
        status, headers, page = get(preview, "/posts/first-title/")
        assert status == 500
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert" not in page
        assert headers["Content-Security-Policy"] == CSP
        # The same `file:line: problem` line as in the terminal.
        terminal = capsys.readouterr().out
        line = next(l for l in failed.problems if ":3: " in l)
        assert line in terminal
        assert line.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#x27;") in page
        # The error page reloads itself too.
        assert '<script src="/__preview/reload.js"' in page

        save(source, post("First title", body="Fixed words."))
        fixed = preview.wait_for_build(lambda b: b.number > failed.number, timeout=30)
        assert fixed.ok, fixed.problems
        status, _, page = get(preview, "/posts/first-title/")
        assert status == 200 and "Fixed words." in page


def test_a_deleted_post_is_gone_from_the_preview(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title"), "posts/b.md": post("Second title")})
    with running(site) as preview:
        assert get(preview, "/posts/second-title/")[0] == 200
        before = preview.current().number
        (site / "content" / "posts" / "b.md").unlink()
        preview.wait_for_build(lambda b: b.number > before, timeout=30)
        assert get(preview, "/posts/second-title/")[0] == 404
        assert "Second title" not in get(preview, "/")[2]


def test_a_template_error_names_the_template_and_line(tmp_path):
    import shutil

    theme = tmp_path / "theme"
    shutil.copytree(REPO / "theme", theme)
    article = theme / "templates" / "article.html"
    lines = article.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if "{% block content %}" in line)
    lines.insert(at + 1, "{{ article.no_such_field.at_all }}")
    article.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title")}, extra_settings=f"THEME = {str(theme)!r}")
    with running(site) as preview:
        status, _, page = get(preview, "/posts/first-title/")
        assert status == 500
        assert f"article.html:{at + 2}: template error: UndefinedError" in page
        # Other pages still render.
        assert get(preview, "/")[0] == 200


def test_a_broken_settings_file_is_an_error_not_a_traceback(tmp_path, capsys):
    from preview.cli import serve

    site = make_site(tmp_path / "site", {"posts/a.md": post("First title")})
    conf = site / "siteconf.py"
    good = conf.read_text(encoding="utf-8")
    with running(site) as preview:
        before = preview.current().number
        conf.write_text(good + "\nDEFAULT_PAGINATION = (\n", encoding="utf-8")
        failed = preview.wait_for_build(lambda b: b.number > before, timeout=30)
        assert failed.problems and failed.problems[0].startswith(f"{conf}: cannot read the settings (SyntaxError")
        status, _, page = get(preview, "/posts/first-title/")
        assert status == 500 and "cannot read the settings" in page
        conf.write_text(good, encoding="utf-8")
        fixed = preview.wait_for_build(lambda b: b.number > failed.number, timeout=30)
        assert fixed.ok and get(preview, "/posts/first-title/")[0] == 200

    conf.write_text("DEFAULT_PAGINATION = (\n", encoding="utf-8")
    capsys.readouterr()
    assert serve(site, conf, port=0) == 1
    err = capsys.readouterr().err
    assert f"{conf}: cannot read the settings (SyntaxError" in err and "Traceback" not in err


def test_the_server_answers_to_its_own_address_only(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title")})
    with running(site) as preview:
        host, port = preview.address
        connection = http.client.HTTPConnection(host, port, timeout=30)
        try:
            connection.request("GET", "/posts/first-title/", headers={"Host": f"rebound.example:{port}"})
            response = connection.getresponse()
            assert response.status == 421
            assert b"First title" not in response.read()
        finally:
            connection.close()
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            with pytest.raises(ListenError, match="try another port"):
                Preview(site / "siteconf.py", port=taken.getsockname()[1], out=io.StringIO())


# --- properties ------------------------------------------------------------------------

_html_text = st.lists(st.sampled_from(list("abc<>/ \n") + ["</head>", "</HEAD>", "</body>", "<p>"]), max_size=30).map("".join)


@given(_html_text, st.integers(min_value=0, max_value=10**6))
def test_inject_adds_one_script_and_keeps_the_page(text, number):
    body = text.encode()
    out = inject(body, number, page_hash(body))
    tag = f'<script src="/__preview/reload.js" data-build="{number}" data-hash="{page_hash(body)}" defer></script>'.encode()
    lower = body.lower()
    if b"</head>" in lower or b"</body>" in lower:
        assert out.count(tag) == body.count(tag) + 1
        assert out.replace(tag, b"", 1) == body
        marker = b"</head>" if b"</head>" in lower else b"</body>"
        assert out.lower().index(tag.lower()) + len(tag) == out.lower().index(marker, out.lower().index(tag.lower()))
    else:
        assert out == body


_part = st.text(alphabet=st.sampled_from(list("abc.~_-")), min_size=1, max_size=8).filter(lambda p: p not in (".", ".."))


@given(st.lists(_part, min_size=0, max_size=3), st.lists(_part, min_size=1, max_size=3))
def test_the_watch_filter_looks_only_below_its_root(above, below):
    root = "/" + "/".join(["home", *above, "site", "content"])
    filt = ChangeFilter([root], ["**/.*"])
    path = root + "/" + "/".join(below)
    # What lies above the root never matters.
    hidden_below = any(p.startswith(".") for p in below)
    if not hidden_below and not below[-1].endswith("~") and not below[-1].endswith((".swp", ".swx")):
        assert filt(None, path)
    if hidden_below:
        assert not filt(None, path)
    assert not filt(None, "/elsewhere/" + "/".join(below))


# --- the command, as writers run it ------------------------------------------------------

SERVE = (
    "import sys; from pathlib import Path; from chapter import cli; "
    "sys.exit(cli.serve(Path(sys.argv[1]), Path(sys.argv[1]) / 'siteconf.py', port=0))"
)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def fetch(url: str) -> tuple[int, str] | None:
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError:
        return None  # not listening yet
    finally:
        connection.close()


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_invoke_serve_rebuilds_shows_errors_and_waits_quietly(tmp_path):
    site = make_site(tmp_path / "site", {"posts/a.md": post("First title", body="Original words.")})
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")
    env = dict(os.environ, COLUMNS="300", PYTHONPATH=str(REPO / "plugins"))
    process = subprocess.Popen([PYTHON, "-c", SERVE, str(site)], cwd=site, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:

        def log_text():
            log.flush()
            return (tmp_path / "serve.log").read_text(encoding="utf-8")

        match = wait_for(lambda: re.search(r"http://127\.0\.0\.1:(\d+)/", log_text()), what="the server address")
        base = f"http://127.0.0.1:{match.group(1)}"
        page = f"{base}/posts/first-title/"
        wait_for(lambda: "Original words." in (fetch(page) or (0, ""))[1], what="the first build")

        source = site / "content" / "posts" / "a.md"
        source.write_text(post("First title", body="Edited words."), encoding="utf-8")
        wait_for(lambda: "Edited words." in (fetch(page) or (0, ""))[1], what="the rebuild after saving")

        # An invalid file: the problem is printed and shown in the browser, and
        # the server waits for the next save instead of spinning.
        broken = site / "content" / "posts" / "b.md"
        broken.write_text(post("Second", date="2025-99-01 10:00"), encoding="utf-8")
        wait_for(lambda: "content/posts/b.md:2: " in log_text(), what="the error message")
        line = next(l for l in log_text().splitlines() if l.startswith("content/posts/b.md:2: "))
        status, body = fetch(page)
        assert status == 500 and line.replace("'", "&#x27;") in body
        time.sleep(1.0)
        spent = cpu_seconds(process.pid)
        time.sleep(3.0)
        assert cpu_seconds(process.pid) - spent < 0.5, "the server keeps rebuilding while nothing changes"
        assert process.poll() is None

        broken.write_text(post("Second"), encoding="utf-8")
        wait_for(lambda: (fetch(f"{base}/posts/second/") or (0, ""))[0] == 200, what="the rebuild after the fix")
        assert "Edited words." in fetch(page)[1]
        # The preview never writes the site's output/ folder.
        assert not (site / "output").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
