"""`invoke new` scaffolds a post or statement that passes `invoke check`."""

from __future__ import annotations

import datetime
import os
import subprocess
from zoneinfo import ZoneInfo

from test_site_support import REPO, build, make_site

from chapter import cli

SITE_TZ = ZoneInfo("America/Los_Angeles")
INVOKE = REPO / ".venv" / "bin" / "invoke"


def metadata(text):
    header = text.split("\n\n", 1)[0]
    return dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in header.splitlines())


def test_new_post_passes_check_and_publishes_once_undrafted(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)
    before = datetime.datetime.now(SITE_TZ).date()

    code = cli.new(site, site / "siteconf.py", kind="post", title="Rally at City Hall: 5 p.m.!")

    after = datetime.datetime.now(SITE_TZ).date()
    out = capsys.readouterr().out.strip()
    assert code == 0
    path = site / out
    assert path.parent == site / "content" / "posts"
    assert path.suffix == ".md" and path.is_file()
    text = path.read_text(encoding="utf-8")
    meta = metadata(text)
    assert meta["Title"] == "Rally at City Hall: 5 p.m.!"
    assert datetime.datetime.strptime(meta["Date"], "%Y-%m-%d %H:%M").date() in {before, after}
    assert meta["Author"] in {"Rosa Delgado", "Tomasz Wren"}
    assert meta["Status"] == "draft"
    assert "Signed" not in meta
    # The note tells the writer every valid name, from people.toml.
    assert "Rosa Delgado, Tomasz Wren" in text
    assert "steering-committee, sanctuary-city" in text

    assert cli.check(site, site / "siteconf.py") == 0

    # As a writer would: fill in, delete the note and the draft line.
    body = "The rally starts at five.\n"
    lines = [line for line in text.split("\n\n", 1)[0].splitlines() if not line.startswith(("Status", "Summary"))]
    path.write_text("\n".join(lines) + "\nSummary: Come to City Hall.\n\n" + body, encoding="utf-8")
    assert cli.check(site, site / "siteconf.py") == 0
    result = build(site)
    assert result.returncode == 0, result.output
    # The file name is the slug Pelican gives the post, so the URL matches it.
    assert (site / "output" / "posts" / path.stem / "index.html").is_file()


def test_new_statement(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)

    assert cli.new(site, site / "siteconf.py", kind="statement", title="On the county budget") == 0

    path = site / capsys.readouterr().out.strip()
    assert path == site / "content" / "statements" / "on-the-county-budget.md"
    text = path.read_text(encoding="utf-8")
    meta = metadata(text)
    assert meta["Signed"] == "chapter"
    assert "Author" not in meta
    assert "chapter, steering-committee, sanctuary-city" in text
    assert cli.check(site, site / "siteconf.py") == 0


def test_new_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)
    assert cli.new(site, site / "siteconf.py", kind="post", title="Door knocking") == 0
    path = site / capsys.readouterr().out.strip()
    path.write_text(path.read_text(encoding="utf-8") + "\nMy own words, not to be lost.\n", encoding="utf-8")
    edited = path.read_text(encoding="utf-8")

    code = cli.new(site, site / "siteconf.py", kind="post", title="Door knocking")

    err = capsys.readouterr().err
    assert code == 1
    assert "content/posts/door-knocking.md already exists" in err
    assert path.read_text(encoding="utf-8") == edited


def test_new_unknown_kind_is_a_usage_error(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)

    assert cli.new(site, site / "siteconf.py", kind="essay", title="Anything") == 2

    assert "unknown kind 'essay': use --kind post or --kind statement" in capsys.readouterr().err
    assert not any((site / "content").rglob("anything.md"))


def test_new_needs_a_title(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)
    assert cli.new(site, site / "siteconf.py", kind="post", title="   ") == 2
    assert "give the title" in capsys.readouterr().err


def test_invoke_tasks_pass_exit_codes_through():
    # The real `invoke` command line over tasks.py (it never writes here:
    # an unknown kind is refused before anything is created).
    env = dict(os.environ, COLUMNS="200")
    new = subprocess.run(
        [str(INVOKE), "new", "--kind", "essay", "--title", "Anything"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert new.returncode == 2, new.stdout + new.stderr
    assert "unknown kind 'essay'" in new.stderr
    assert not (REPO / "content" / "posts" / "anything.md").exists()

    check = subprocess.run([str(INVOKE), "check"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode in (0, 1)
    assert ("no problems" in check.stdout) == (check.returncode == 0), check.stdout + check.stderr

