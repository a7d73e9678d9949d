"""Authors and working groups, declared once with their bios in people.toml.

    [authors.rosa-delgado]
    name = "Rosa Delgado"
    bio = "Rosa Delgado is a member of ... and an organizer of ..."

    [groups.sanctuary-city]
    name = "Sanctuary City Working Group"
    kind = "working group"            # or "committee"
    description = "What the group does, one paragraph."
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pelican.utils import slugify

from .errors import PeopleFileError

DEFAULT_PEOPLE_FILE = "content/people.toml"


@dataclass(frozen=True)
class Person:
    slug: str
    name: str
    bio: str


@dataclass(frozen=True)
class Group:
    slug: str
    name: str
    kind: str  # "working group" or "committee"
    description: str
    url: str = ""  # filled in by the groups generator: "groups/<slug>/"


@dataclass
class People:
    authors: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def find_author(self, name_or_slug: str) -> Person | None:
        """An author by slug ("rosa-delgado") or by name ("Rosa Delgado")."""
        return self.authors.get(name_or_slug) or _by_name(self.authors, name_or_slug)

    def find_group(self, name_or_slug: str) -> Group | None:
        return self.groups.get(name_or_slug) or _by_name(self.groups, name_or_slug)


# Pelican's slugify keeps spaces unless given SLUG_REGEX_SUBSTITUTIONS, so
# "Rosa Delgado" is matched by its declared name or a hyphenated slug.
_SLUG_SUBS = [(r"[^\w\s-]", ""), (r"(?u)\A\s*", ""), (r"(?u)\s*\Z", ""), (r"[-\s]+", "-")]


def _by_name(entries: dict, name_or_slug: str):
    wanted = name_or_slug.strip().casefold()
    for entry in entries.values():
        if entry.name.casefold() == wanted:
            return entry
    return entries.get(slugify(name_or_slug, regex_subs=_SLUG_SUBS))


def load_people(path: Path) -> People:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PeopleFileError(f"{path}: file not found; declare authors and groups there") from None
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already says "(at line N, column M)".
        raise PeopleFileError(f"{path}: {error}; fix the TOML syntax there") from None
    people = People()
    for slug, entry in data.get("authors", {}).items():
        if "name" not in entry:
            raise PeopleFileError(f'{path}: [authors.{slug}] needs a name = "..." line')
        people.authors[slug] = Person(slug=slug, name=entry["name"], bio=entry.get("bio", ""))
    for slug, entry in data.get("groups", {}).items():
        if "name" not in entry:
            raise PeopleFileError(f'{path}: [groups.{slug}] needs a name = "..." line')
        people.groups[slug] = Group(
            slug=slug,
            name=entry["name"],
            kind=entry.get("kind", "working group"),
            description=entry.get("description", ""),
            url=f"groups/{slug}/",
        )
    return people


def people_file(settings, root: Path | None = None) -> Path:
    """CHAPTER_PEOPLE_FILE as an absolute path.

    A relative path is taken from the project root: `root` if given (the cli),
    else the folder of pelicanconf.py (its ROOT setting), the folder holding
    PATH, or the current folder, whichever has the file.
    """
    raw = Path(settings.get("CHAPTER_PEOPLE_FILE") or DEFAULT_PEOPLE_FILE)
    if raw.is_absolute():
        return raw
    bases = [Path(root)] if root else []
    if settings.get("ROOT"):
        bases.append(Path(settings["ROOT"]))
    if settings.get("PATH"):
        bases.append(Path(settings["PATH"]).parent)
    bases.append(Path.cwd())
    for base in bases:
        if (base / raw).exists():
            return base / raw
    return bases[0] / raw


# Keyed by path, mtime and size: read once per build, re-read after an edit
# (`invoke serve` rebuilds in one process).
_people_cache: dict[tuple[str, int, int], People] = {}


def read_people(path: Path) -> People:
    """load_people with a cache; raises PeopleFileError like load_people."""
    try:
        stat = os.stat(path)
        key = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return load_people(path)  # raises the "file not found" error
    if key not in _people_cache:
        _people_cache.clear()
        _people_cache[key] = load_people(path)
    return _people_cache[key]
