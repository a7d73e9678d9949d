"""`invoke check`, `invoke new` and `invoke serve`: the writer's commands.

Both take the project root and the settings file, print for humans and
return an exit code (0 fine, 1 problems found, 2 bad usage); tasks.py only
wraps them.
"""

from __future__ import annotations

import datetime
import logging
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from pelican.settings import read_settings
from pelican.utils import slugify

from .errors import PeopleFileError
from .people import people_file, read_people
from .validate import (
    CHAPTER_SIGNATURE,
    PLACEHOLDER_BODY,
    PLACEHOLDER_NOTE_END,
    PLACEHOLDER_SUMMARY,
    content_files,
    display_path,
    validate_site,
)

# kind -> the folder under PATH that makes it that category
KINDS = {"post": "posts", "statement": "statements"}


def _settings(root: Path, conf: Path | None) -> dict:
    conf = Path(conf) if conf else Path(root) / "pelicanconf.py"
    if not conf.is_absolute():
        conf = Path(root) / conf
    # read_settings warns about feed URLs in a development build: not news
    # for someone checking their content.
    quiet = logging.getLogger("pelican.settings")
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        return read_settings(str(conf))
    finally:
        quiet.disabled = was_disabled


def check(root: Path, conf: Path, **options) -> int:
    """Validate every content file; print `file:line: problem, fix`; 1 if any."""
    settings = _settings(root, conf)
    problems = validate_site(settings, Path(root))
    checked = len(content_files(settings))
    for problem in problems:
        print(problem)
    issue_problems, issues_checked = _digest_problems(settings)
    for problem in issue_problems:
        print(problem)
    checked += issues_checked
    if problems or issue_problems:
        files = len({p.path for p in problems}) + len({p.split(":", 1)[0] for p in issue_problems})
        problems = list(problems) + issue_problems
        print(
            f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''} (of {checked} checked). Fix them, then run "
            "`invoke check` again.",
            file=sys.stderr,
        )
        return 1
    print(f"{checked} content file{'s' if checked != 1 else ''} checked: no problems.")
    return 0


def _digest_problems(settings) -> tuple[list[str], int]:
    """The digest's issue files' problems (`file:line: problem, fix`) and how many were checked."""
    if "digest" not in (settings.get("PLUGINS") or []):
        return [], 0
    from digest.errors import SettingsError
    from digest.issue import issue_paths, issue_problems
    from digest.settings import DigestSettings

    try:
        conf = DigestSettings.from_pelican(settings)
    except SettingsError as error:
        return [f"pelicanconf.py: {error}"], 0
    return issue_problems(conf), len(issue_paths(conf))


def _scaffold(kind: str, title: str, date: str, people, people_path: str) -> str:
    """The new file's text. Every placeholder is a valid value, so it passes check."""
    authors = [p.name for p in people.authors.values()] if people else []
    groups = list(people.groups) if people else []
    header = [f"Title: {title}", f"Date: {date}"]
    if kind == "post":
        header.append(f"Author: {authors[0] if authors else 'Your Name'}")
    else:
        header.append(f"Signed: {CHAPTER_SIGNATURE}")
    header += ["Tags:", f"Summary: {PLACEHOLDER_SUMMARY}", "Status: draft"]
    if kind == "post":
        note = [
            f"Author: must be one of {', '.join(authors) or '(none declared yet)'}",
            f"        (declared in {people_path}; add yourself there if you are new).",
            f"Group:  optional; add `Group: <slug>` to file this under one of: {', '.join(groups)}.",
        ]
    else:
        note = [
            f"Signed: the body that issues this statement: {', '.join([CHAPTER_SIGNATURE, *groups])}",
            f"        (bodies are declared in {people_path}).",
        ]
    note += [
        "Tags:   optional, comma separated, e.g. `Tags: housing, county budget`.",
        "Status: draft keeps this off the site; delete that line to publish.",
        "        A Date in the future publishes it at that time (after a rebuild).",
        PLACEHOLDER_NOTE_END,
    ]
    lines = header + ["", "<!--", *[f"  {line}" for line in note], "-->", "", PLACEHOLDER_BODY, ""]
    return "\n".join(lines)


def new(root: Path, conf: Path | None = None, *, kind: str = "post", title: str = "", **options) -> int:
    """Create content/posts/<slug>.md or content/statements/<slug>.md; print its path."""
    if kind not in KINDS:
        print(f"unknown kind {kind!r}: use --kind post or --kind statement", file=sys.stderr)
        return 2
    title = " ".join(title.split())
    if not title:
        print('give the title: invoke new --kind post --title "What it is about"', file=sys.stderr)
        return 2
    settings = _settings(root, conf)
    slug = slugify(
        title,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )
    if not slug:
        print(f"cannot make a file name from the title {title!r}; use some letters or digits", file=sys.stderr)
        return 2
    folder = Path(settings["PATH"]) / KINDS[kind]
    path = folder / f"{slug}.md"
    if path.exists():
        print(
            f"{display_path(path)} already exists; edit it, or choose a different title",
            file=sys.stderr,
        )
        return 1

    ppath = people_file(settings, Path(root))
    try:
        people = read_people(ppath)
    except PeopleFileError as error:
        print(f"{error}", file=sys.stderr)
        return 1
    tz = ZoneInfo(settings.get("TIMEZONE") or "UTC")
    date = datetime.datetime.now(tz).strftime("%Y-%m-%d %H:%M")
    text = _scaffold(kind, title, date, people, display_path(ppath))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # "x" mode: never overwrite, even if the file appeared since the check above.
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"{display_path(path)} already exists; edit it, or choose a different title", file=sys.stderr)
        return 1
    print(display_path(path))
    return 0


def serve(root: Path, conf: Path, *, port: int = 8000, bind: str = "127.0.0.1", **options) -> int:
    """The preview server lives in plugins/preview/ (watch, rebuild, serve)."""
    from preview.cli import serve as preview_serve

    return preview_serve(root, conf, port=port, bind=bind, **options)
