"""The command groups: `invoke --list` shows writers' and editors' commands apart
from development tasks, and every command name in the docs still runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from digest.sources import load_sources
from tests.cli_env import wide_log_env

REPO = Path(__file__).resolve().parent.parent
INVOKE = Path(sys.executable).parent / "invoke"
WRITERS_AND_EDITORS = {"build", "check", "clean", "digest", "fetch", "new", "print", "publish", "send-test", "serve", "sources",
                      "translations"}
DEVELOPMENT = {"test", "setup-test", "bench", "lock", "sample-digests", "screenshots"}


def invoke(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([str(INVOKE), *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env=wide_log_env())


def listed_names() -> list[str]:
    done = invoke("--list")
    assert done.returncode == 0, done.stderr
    # "  name   help text" lines; wrapped help continues on lines that start with more spaces.
    return [m.group(1) for m in re.finditer(r"^  (\S+)", done.stdout, re.M)]


def test_list_shows_writers_and_editors_commands_first_and_development_apart():
    names = listed_names()
    top = [n for n in names if "." not in n]
    assert set(top) == WRITERS_AND_EDITORS
    assert {n.removeprefix("dev.") for n in names if n.startswith("dev.")} == DEVELOPMENT
    # Every top-level command comes before the first development task.
    assert max(names.index(n) for n in top) < min(names.index(n) for n in names if "." in n)
    # No stray `import` beside `sources`, and nothing listed twice.
    assert not [n for n in names if "import" in n]
    assert len(names) == len(set(names)) == len(WRITERS_AND_EDITORS) + len(DEVELOPMENT)


def test_the_names_people_type_still_resolve():
    for name in sorted(WRITERS_AND_EDITORS | DEVELOPMENT | {f"dev.{n}" for n in DEVELOPMENT}):
        done = invoke("--help", name)
        assert done.returncode == 0, f"invoke --help {name}: {done.stdout}{done.stderr}"
        assert f"[--core-opts] {name} " in done.stdout, done.stdout
    assert "--args" in invoke("--help", "test").stdout  # `invoke test --args "-k x"`
    unknown = invoke("--help", "no-such-task")
    assert unknown.returncode != 0


def test_sources_import_adds_to_a_copy_of_the_sources_file(tmp_path):
    """`invoke sources import FILE`, as an editor types it, on a copy of the real sources file."""
    target = tmp_path / "sources.opml"
    shutil.copy(REPO / "content" / "digest" / "sources.opml", target)
    before = {s.feed_url for s in load_sources(target)}
    planet = tmp_path / "planet.ini"
    planet.write_text(
        "[Planet]\nname = Riverlands League\n\n"
        "[cedar-hollow]\ntitle = Cedar Hollow Chapter\nfeed = https://cedar-hollow.example.org/feed.xml\n"
        "link = https://cedar-hollow.example.org/\n",
        encoding="utf-8",
    )
    done = invoke("sources", "import", str(planet), "--sources", str(target), "--archive", str(tmp_path / "a.sqlite"))
    assert done.returncode == 0, done.stdout + done.stderr
    after = {s.feed_url for s in load_sources(target)}
    assert after - before == {"https://cedar-hollow.example.org/feed.xml"}
    assert "Cedar Hollow Chapter" in done.stdout  # the health table printed after the import
    # The original file's comment (which points to the editors' guide) is kept as it was.
    assert "docs/editors.md" in target.read_text(encoding="utf-8")
