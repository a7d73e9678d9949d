"""Authors and working groups, declared once with their bios in people.toml.

    [authors.rosa-delgado]
    name = "Rosa Delgado"
    bio = "Rosa Delgado is a member of ... and an organizer of ..."

    [groups.sanctuary-city]
    name = "Sanctuary City Working Group"
    kind = "working group"            # or "committee"
    description = "What the group does, one paragraph."

Texts in another language go in a sub-table named after the language's code
(two or three lower-case letters, as in `Lang:` and I18N_LANGUAGES):

    [authors.rosa-delgado.es]
    bio = "Rosa Delgado es integrante de ..."      # name = "..." too, if it is written differently

    [groups.sanctuary-city.es]
    name = "Grupo de Trabajo Ciudad Santuario"
    description = "Lo que hace el grupo, en un párrafo."

An author's sub-table takes `name` and `bio`; a group's takes `name` and
`description` (its kind and slug are the same in every language). Whatever a
sub-table leaves out is the default language's text. Anything else in a
language sub-table (another key, a value that is not text in quotes, an
empty text) is a PeopleFileError naming the file, the line and the table.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from pelican.utils import slugify

from .errors import PeopleFileError

DEFAULT_PEOPLE_FILE = "content/people.toml"
# A primary language subtag, as i18n.settings.LANGUAGE_CODE; a sub-table with
# such a key holds that language's texts.
LANGUAGE_KEY = re.compile(r"[a-z]{2,3}")
AUTHOR_FIELDS = ("name", "bio")
GROUP_FIELDS = ("name", "kind", "description")
AUTHOR_LANGUAGE_FIELDS = ("name", "bio")
GROUP_LANGUAGE_FIELDS = ("name", "description")

# ((language, text), ...) sorted by language: a tuple, not a dict, so that
# Person and Group stay frozen and hashable.
Texts = tuple[tuple[str, str], ...]


def _text_in(texts: Texts, lang: str, default: str) -> str:
    for code, text in texts:
        if code == lang:
            return text
    return default


@dataclass(frozen=True)
class Person:
    slug: str
    name: str
    bio: str
    names: Texts = ()  # the name where a language writes it differently
    bios: Texts = ()

    def name_in(self, lang: str) -> str:
        return _text_in(self.names, lang, self.name)

    def bio_in(self, lang: str) -> str:
        return _text_in(self.bios, lang, self.bio)


@dataclass(frozen=True)
class Group:
    slug: str
    name: str
    kind: str  # "working group" or "committee"
    description: str
    url: str = ""  # filled in by the groups generator: "groups/<slug>/"
    names: Texts = ()
    descriptions: Texts = ()

    def name_in(self, lang: str) -> str:
        return _text_in(self.names, lang, self.name)

    def description_in(self, lang: str) -> str:
        return _text_in(self.descriptions, lang, self.description)

    def has_name_in(self, lang: str) -> bool:
        """True iff people.toml gives the group a name in `lang` ([groups.<slug>.<lang>] name = ...)."""
        return any(code == lang for code, _ in self.names)

    def in_language(self, lang: str, url_prefix: str) -> "Group":
        """The group as `lang`'s pages show it: that language's name and description
        (or the default ones) and its page under `url_prefix` ("es/groups/<slug>/").

        A group without a page (url "") keeps none. Call it on the group as
        loaded: the copy's `name` is already `lang`'s."""
        return replace(
            self,
            name=self.name_in(lang),
            description=self.description_in(lang),
            url=f"{url_prefix}{self.url}" if self.url else "",
        )


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


class _Reader:
    """One people.toml's text, for messages that name the line of a table or key."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def _header_line(self, table: str) -> int | None:
        # Only the plain `[a.b.c]` spelling is found; a quoted or inline table has no line.
        for number, line in enumerate(self.lines, start=1):
            if line.strip().startswith(f"[{table}]"):
                return number
        return None

    def line_of(self, table: str, key: str | None = None) -> int | None:
        start = self._header_line(table)
        if start is None or key is None:
            return start
        key_re = re.compile(rf"\s*{re.escape(key)}\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if line.lstrip().startswith("["):
                break
            if key_re.match(line):
                return number
        return start

    def error(self, table: str, message: str, key: str | None = None) -> PeopleFileError:
        line = self.line_of(table, key)
        where = f"{self.path}:{line}" if line else f"{self.path}"
        return PeopleFileError(f"{where}: [{table}] {message}")

    def table(self, value, table: str, fix: str) -> dict:
        """`value` if it is a table; else the error, at the line that gives `table` its value."""
        if isinstance(value, dict):
            return value
        parent, _, key = table.rpartition(".")
        if parent:
            raise self.error(parent, f"has {key} = ..., which is not a table; {fix}", key)
        raise PeopleFileError(f"{self.path}: {key} = ... is not a table; {fix}")

    def text(self, entry: dict, table: str, key: str, default: str | None = "") -> str:
        value = entry.get(key, default)
        if not isinstance(value, str):
            raise self.error(table, f'{key} must be text in quotes, e.g. {key} = "..."', key)
        return value


def _language_texts(reader: _Reader, entry: dict, table: str, allowed: tuple, known: tuple) -> dict:
    """{lang: {field: text}} from an entry's language sub-tables."""
    found: dict[str, dict[str, str]] = {}
    for key, value in entry.items():
        if key in known or not LANGUAGE_KEY.fullmatch(key):
            continue  # a field of the entry itself, or a key this version does not read
        sub = f"{table}.{key}"
        if not isinstance(value, dict):
            raise reader.error(
                table,
                f"has {key} = ..., which is neither one of its fields ({', '.join(known)}) nor a "
                f"language table; write the texts in language {key!r} under their own [{sub}] "
                f'heading, e.g. {allowed[-1]} = "..."',
                key,
            )
        texts = {}
        for field_name, text in value.items():
            if field_name not in allowed:
                close = difflib.get_close_matches(field_name, allowed, n=1)
                hint = f"did you mean {close[0]}? " if close else ""
                raise reader.error(
                    sub,
                    f"has an unknown key {field_name!r}; {hint}a language table takes only "
                    f"{' and '.join(allowed)} (everything else is the same in every language)",
                    field_name,
                )
            if not isinstance(text, str):
                raise reader.error(sub, f'{field_name} must be text in quotes, e.g. {field_name} = "..."', field_name)
            if not text.strip():
                raise reader.error(
                    sub,
                    f"{field_name} is empty; write it in that language, or delete the line "
                    "to use the default language's",
                    field_name,
                )
            texts[field_name] = text
        found[key] = texts
    return found


def _pairs(by_language: dict[str, dict[str, str]], field_name: str) -> Texts:
    return tuple(sorted((lang, texts[field_name]) for lang, texts in by_language.items() if field_name in texts))


def load_people(path: Path) -> People:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PeopleFileError(f"{path}: file not found; declare authors and groups there") from None
    except UnicodeDecodeError:
        raise PeopleFileError(f"{path}: this file is not UTF-8 text; save it as UTF-8 in your editor") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already says "(at line N, column M)".
        raise PeopleFileError(f"{path}: {error}; fix the TOML syntax there") from None
    reader = _Reader(path, text)
    people = People()
    authors = reader.table(data.get("authors", {}), "authors", "declare each author under [authors.<slug>]")
    for slug, entry in authors.items():
        table = f"authors.{slug}"
        entry = reader.table(entry, table, f'write the author under [{table}] with name = "..." and bio = "..."')
        if "name" not in entry:
            raise reader.error(table, 'needs a name = "..." line')
        languages = _language_texts(reader, entry, table, AUTHOR_LANGUAGE_FIELDS, AUTHOR_FIELDS)
        people.authors[slug] = Person(
            slug=slug,
            name=reader.text(entry, table, "name"),
            bio=reader.text(entry, table, "bio"),
            names=_pairs(languages, "name"),
            bios=_pairs(languages, "bio"),
        )
    groups = reader.table(data.get("groups", {}), "groups", "declare each group under [groups.<slug>]")
    for slug, entry in groups.items():
        table = f"groups.{slug}"
        entry = reader.table(entry, table, f'write the group under [{table}] with name, kind and description')
        if "name" not in entry:
            raise reader.error(table, 'needs a name = "..." line')
        languages = _language_texts(reader, entry, table, GROUP_LANGUAGE_FIELDS, GROUP_FIELDS)
        people.groups[slug] = Group(
            slug=slug,
            name=reader.text(entry, table, "name"),
            kind=reader.text(entry, table, "kind", "working group"),
            description=reader.text(entry, table, "description"),
            url=f"groups/{slug}/",
            names=_pairs(languages, "name"),
            descriptions=_pairs(languages, "description"),
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
