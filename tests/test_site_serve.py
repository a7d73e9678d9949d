"""`invoke serve`: preview over loopback HTTP, rebuild on save, survive errors."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from test_site_support import PYTHON, REPO, make_site, post

SERVE = (
    "import sys; from pathlib import Path; from chapter import cli; "
    "sys.exit(cli.serve(Path(sys.argv[1]), Path(sys.argv[1]) / 'siteconf.py', port=0))"
)


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        return None  # not built yet


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_serve_rebuilds_on_save_and_waits_quietly_after_an_error(tmp_path):
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
        wait_for(lambda: "Original words." in (fetch(page) or ""), what="the first build")

        source = site / "content" / "posts" / "a.md"
        source.write_text(post("First title", body="Edited words."), encoding="utf-8")
        wait_for(lambda: "Edited words." in (fetch(page) or ""), what="the rebuild after saving")

        # An invalid file: the problem is printed, the last good build stays up,
        # and the server waits for the next save instead of spinning.
        broken = site / "content" / "posts" / "b.md"
        broken.write_text(post("Second", date="2025-99-01 10:00"), encoding="utf-8")
        wait_for(lambda: "content/posts/b.md:2: " in log_text(), what="the error message")
        time.sleep(1.0)
        spent = cpu_seconds(process.pid)
        time.sleep(3.0)
        assert cpu_seconds(process.pid) - spent < 0.5, "the server keeps rebuilding while nothing changes"
        assert "Edited words." in (fetch(page) or "")
        assert process.poll() is None

        broken.write_text(post("Second"), encoding="utf-8")
        wait_for(lambda: fetch(f"{base}/posts/second/"), what="the rebuild after the fix")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
