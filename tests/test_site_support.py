"""Tiny chapter sites in a temporary folder, built with the project's own
settings, theme and chapter plugin (helpers for the tests/test_site_*.py
files; no tests here).

Each site gets its own content and people.toml, so the tests do not depend on
the sample content. Builds run `pelican` in a subprocess, as `invoke build`
does, so the exit code and the printed messages are the real ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

PEOPLE = """\
[authors.rosa-delgado]
name = "Rosa Delgado"
bio = "Rosa organizes with the Sanctuary City Working Group."

[authors.tomasz-wren]
name = "Tomasz Wren"
bio = "Tomasz knocks on doors on Alder Street."

[groups.steering-committee]
name = "Steering Committee"
kind = "committee"
description = "Keeps the calendar and the budget."

[groups.sanctuary-city]
name = "Sanctuary City Working Group"
kind = "working group"
description = "Know-your-rights trainings and the rapid-response line."
"""


def post(title, date="2025-03-14 18:30", author="Rosa Delgado", body="A paragraph of text.", **meta):
    """The text of a post; keyword arguments add metadata lines (Group="...")."""
    lines = [f"Title: {title}", f"Date: {date}"]
    if author is not None:
        lines.append(f"Author: {author}")
    lines += [f"{key.capitalize()}: {value}" for key, value in meta.items()]
    return "\n".join(lines) + "\n\n" + body + "\n"


def statement(title, date="2025-03-15 09:00", signed="chapter", body="The chapter says so.", **meta):
    lines = [f"Title: {title}", f"Date: {date}", f"Signed: {signed}"]
    lines += [f"{key.capitalize()}: {value}" for key, value in meta.items()]
    return "\n".join(lines) + "\n\n" + body + "\n"


def make_site(
    root: Path,
    files: dict[str, str],
    *,
    people: str = PEOPLE,
    extra_settings: str = "",
    base: str = "pelicanconf",
) -> Path:
    """A site folder: content/<files>, content/people.toml, siteconf.py.

    siteconf.py starts from the project's settings file `base` (pelicanconf
    or publishconf) and points at this folder's content and output.
    """
    root.mkdir(parents=True, exist_ok=True)
    content = root / "content"
    # digests/images: pelicanconf's STATIC_PATHS, watched by `invoke serve`.
    for sub in ("posts", "statements", "pages", "images", "digests/images"):
        (content / sub).mkdir(parents=True, exist_ok=True)
    (content / "people.toml").write_text(people, encoding="utf-8")
    # The project's CHAPTER_LOGO, so the header is the one readers see.
    (content / "images" / "lantern.svg").write_bytes((REPO / "content" / "images" / "lantern.svg").read_bytes())
    for rel, text in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    conf = f"""\
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from {base} import *  # the project's settings, theme and plugins

        ROOT = {str(root)!r}
        PATH = "content"
        OUTPUT_PATH = "output"
        THEME = {str(REPO / "theme")!r}
        PLUGIN_PATHS = [{str(REPO / "plugins")!r}]
        # The site plugin only (and the languages one the theme speaks
        # through): these tests are about posts and statements.
        PLUGINS = ["i18n", "chapter"]
        I18N_CATALOGUES = {str(REPO / "theme" / "translations")!r}
        CHAPTER_PEOPLE_FILE = "content/people.toml"
        CACHE_PATH = {str(root / "cache")!r}
        """
    (root / "siteconf.py").write_text(textwrap.dedent(conf) + extra_settings + "\n", encoding="utf-8")
    return root


def build(site: Path, output: Path | None = None, *, env: dict | None = None, timeout: int = 120,
          args: tuple[str, ...] = ()):
    """Run `pelican content -s siteconf.py [args]` in the site folder; CompletedProcess.

    `.output` is stdout and stderr together (Pelican logs to stdout).
    """
    environment = dict(os.environ)
    # Rich wraps log lines at the terminal width; a wide one keeps each
    # message on one line so the tests can find it.
    environment.update({"COLUMNS": "400", "NO_COLOR": "1", "TERM": "dumb"})
    environment.pop("SITEURL", None)
    environment.update(env or {})
    command = [PYTHON, "-m", "pelican", "content", "-s", "siteconf.py", *args]
    if output is not None:
        command += ["-o", str(output)]
    result = subprocess.run(
        command, cwd=site, env=environment, capture_output=True, text=True, timeout=timeout
    )
    result.output = result.stdout + result.stderr
    return result


def built_files(output: Path) -> set[str]:
    return {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}


def all_text(output: Path, suffixes=(".html", ".xml")) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted(output.rglob("*")) if p.suffix in suffixes
    )
