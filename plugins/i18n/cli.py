"""`invoke translations`: keep every language's catalogue in step with the templates.

1. extract: every `_()`, `ngettext()` and `{% trans %}` in the theme's and
   the plugins' templates, and every `_()` in the plugins' Python, into
   `<I18N_CATALOGUES>/messages.pot` (the words to translate, with where each is used);
2. update: merge that into each other language's `messages.po` (new words
   empty, changed ones marked fuzzy, removed ones kept as obsolete comments);
   `--add fr` starts a catalogue for a new language;
3. compile: write each `messages.mo` beside it (the build compiles its own
   copy in memory; the .mo is for translators' tools);
4. report: every word still untranslated or fuzzy, as `file:line: msgid`,
   and exit 1 if there is any, so CI and `invoke translations` agree with
   tests/test_i18n_catalogues.py.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .catalogues import DOMAIN, catalogue_path, read_catalogue
from .errors import LanguageError
from .settings import LANGUAGE_CODE, Languages

PROJECT = "chapter-site"
# Where reader-facing words live, relative to the project root.
SOURCES = ("theme/templates", "plugins")
_JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true"}
METHOD_MAP = [("**.html", "jinja2"), ("**.j2", "jinja2"), ("**.py", "python")]
OPTIONS_MAP = {"**.html": _JINJA_OPTIONS, "**.j2": _JINJA_OPTIONS}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


@dataclass(frozen=True)
class Untranslated:
    lang: str
    path: Path
    lineno: int
    msgid: str
    fuzzy: bool

    def __str__(self) -> str:
        state = "fuzzy (check it, then delete the '#, fuzzy' line)" if self.fuzzy else "not translated"
        return f"{self.path}:{self.lineno}: {state}: {self.msgid!r}"


def extract(root: Path) -> Catalog:
    """The words of every template and plugin, as a catalogue template."""
    template = Catalog(project=PROJECT, domain=DOMAIN, charset="utf-8", fuzzy=False)
    for source in SOURCES:
        folder = root / source
        if not folder.is_dir():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            str(folder), method_map=METHOD_MAP, options_map=OPTIONS_MAP, keywords=KEYWORDS, strip_comment_tags=True
        ):
            # Only the i18n plugin's own tests and docs would put words in tests/.
            template.add(message, None, [(f"{source}/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    # width=0: one line per message, so diffs of the catalogue stay readable.
    write_po(out, catalog, width=0, sort_by_file=True, include_previous=True)
    return out.getvalue()


_DATE_LINES = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')


def _without_dates(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if not line.startswith(_DATE_LINES)]


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Write only if something but the header's timestamps changed (no churn in git)."""
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)
    return True


def untranslated(languages: Languages, template: Catalog) -> list[Untranslated]:
    """Every word of the templates that some language's catalogue lacks or only guesses."""
    found = []
    for lang in languages.others:
        path = catalogue_path(languages, lang)
        catalog = read_catalogue(path, lang)
        lines = _msgid_lines(path)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, context=message.context)
            strings = entry.string if entry is not None else None
            values = strings if isinstance(strings, (list, tuple)) else [strings]
            if entry is None or not all(values) or entry.fuzzy:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                found.append(Untranslated(lang, path, lines.get(msgid, 0), msgid, bool(entry is not None and entry.fuzzy)))
    return found


def _msgid_lines(path: Path) -> dict[str, int]:
    """msgid -> its line in the .po file (Babel's Catalog forgets where an entry was)."""
    lines = {}
    with open(path, "rb") as handle:
        for message in read_po(handle, abort_invalid=False):
            if message.id and message.lineno:
                lines[message.id if isinstance(message.id, str) else message.id[0]] = message.lineno
    return lines


def translations(root: Path, settings: dict, add: str = "", out=print) -> int:
    try:
        languages = Languages.from_pelican(settings)
        if add and not LANGUAGE_CODE.fullmatch(add):
            out(f"error: --add {add!r}: write a two- or three-letter language code in lower case, such as \"fr\"")
            return 2
        template = extract(root)
        pot = languages.catalogues / f"{DOMAIN}.pot"
        _write_if_changed(pot, _po_bytes(template))
        out(f"extracted {len(template)} messages into {pot.relative_to(root) if pot.is_relative_to(root) else pot}")
        codes = list(languages.others) + ([add] if add and add not in languages.all else [])
        for lang in codes:
            path = catalogue_path(languages, lang)
            if path.exists():
                catalog = read_catalogue(path, lang)
            else:
                catalog = Catalog(locale=lang, domain=DOMAIN, project=PROJECT, charset="utf-8", fuzzy=False)
                out(f"started {path}: translate each msgstr, then add {lang!r} to I18N_LANGUAGES in pelicanconf.py")
            catalog.update(template, update_header_comment=False)
            changed = _write_if_changed(path, _po_bytes(catalog))
            mo = io.BytesIO()
            write_mo(mo, catalog, use_fuzzy=False)
            _write_if_changed(path.with_suffix(".mo"), mo.getvalue())
            out(f"{'updated' if changed else 'up to date'}: {path}")
        missing = untranslated(languages, template)
    except LanguageError as error:
        out(f"error: {error}")
        return 1
    for entry in missing:
        out(str(entry))
    if missing:
        out(f"{len(missing)} message(s) to translate: edit the msgstr lines named above, then rerun `invoke translations`")
        return 1
    out("every catalogue is complete")
    return 0
