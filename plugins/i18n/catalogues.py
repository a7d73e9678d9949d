"""What a reader sees, in their language: gettext catalogues and Babel formats.

Catalogues are Babel's gettext `.po` files, one per language:
`<I18N_CATALOGUES>/<lang>/LC_MESSAGES/messages.po` (one domain for the
theme, the digest pages and the email edition). The build compiles them in
memory each time a file changes, so a stale compiled `.mo` can never ship;
`invoke translations` extracts, updates and compiles them on disk for
translators' tools. The default language needs no catalogue: the templates
are written in it.

Templates use Jinja's i18n extension (`{% trans %}`, `_()`); `install()`
gives an Environment a gettext that picks the catalogue from the render
context's `page_lang`, so one Environment renders every language. Every
page sets `page_lang`: the shared context holds the default language,
article.html and page.html set the item's own, and each language tree's
listings pass theirs. Dates and numbers go through Babel (`date_long`,
`month_year`, `number` filters), so "November 22, 2026" is
"22 de noviembre de 2026" on a Spanish page.
"""

from __future__ import annotations

import datetime
import io
import os
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import pass_context

from .errors import CatalogueError
from .settings import Languages

DOMAIN = "messages"


def catalogue_path(languages: Languages, lang: str) -> Path:
    return languages.catalogues / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(path: Path, lang: str):
    """A .po file as a Babel Catalog; CatalogueError naming file:line if it is broken."""
    try:
        with open(path, "rb") as handle:
            return read_po(handle, locale=lang, domain=DOMAIN, abort_invalid=True)
    except PoFileError as error:
        raise CatalogueError(f"{path}: {error}; fix the catalogue there (or rerun `invoke translations`)") from None
    except OSError as error:
        raise CatalogueError(f"{path}: cannot be read ({error.strerror})") from None


# (path, mtime, size) -> Translations: each catalogue compiled once per edit
# (`invoke serve` rebuilds in one process).
_compiled: dict[tuple[str, int, int], Translations] = {}


def gettext_for(languages: Languages, lang: str) -> NullTranslations:
    """The translations of one language (`.gettext`, `.ngettext`); the
    default language's are the templates' own words."""
    path = catalogue_path(languages, lang)
    try:
        stat = os.stat(path)
    except OSError:
        if lang == languages.default:
            return NullTranslations()
        raise CatalogueError(
            f"{path}: missing: {lang!r} is in I18N_LANGUAGES but has no catalogue; "
            f"run `invoke translations --add {lang}`, then translate the new file"
        ) from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _compiled.get(key)
    if found is None:
        compiled = io.BytesIO()
        # Fuzzy entries are a translator's unchecked guesses: never shown.
        write_mo(compiled, read_catalogue(path, lang), use_fuzzy=False)
        compiled.seek(0)
        found = Translations(compiled, domain=DOMAIN)
        _compiled[key] = found
    return found


def check_catalogues(languages: Languages) -> None:
    """Every language's catalogue can be read (raises CatalogueError otherwise)."""
    for lang in languages.all:
        gettext_for(languages, lang)


# --- Babel formats -----------------------------------------------------------


def _date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


@lru_cache(maxsize=8192)
def _format_date_long(day: datetime.date, lang: str) -> str:
    return format_date(day, format="long", locale=lang)


def format_date_long(value, lang: str) -> str:
    """"November 22, 2026" / "22 de noviembre de 2026"."""
    return _format_date_long(_date(value), lang)


@lru_cache(maxsize=1024)
def _format_month(year: int, month: int, lang: str) -> str:
    return format_skeleton("yMMMM", datetime.date(year, month, 1), locale=lang)


def format_month(value, lang: str) -> str:
    """"October 2026" / "octubre de 2026"; takes a date or "YYYY-MM"."""
    if isinstance(value, str):
        year, month = value.split("-")[:2]
        return _format_month(int(year), int(month), lang)
    return _format_month(value.year, value.month, lang)


@lru_cache(maxsize=8192)
def _format_day_month(day: datetime.date, lang: str) -> str:
    return format_date(day, "d MMM", locale=lang)


def format_day_month(value, lang: str) -> str:
    """"22 Nov" / "22 nov": a date under its month's heading."""
    return _format_day_month(_date(value), lang)


def format_number(value, lang: str) -> str:
    return format_decimal(value, locale=lang)


@lru_cache(maxsize=256)
def language_in(code: str, in_lang: str) -> str:
    """A language's name as a sentence has it: ("en", "es") -> "inglés"."""
    try:
        return Locale.parse(code).get_display_name(in_lang) or code
    except (UnknownLocaleError, ValueError):
        return code


@lru_cache(maxsize=64)
def language_name(code: str, in_lang: str) -> str:
    """A language's name as a label (the switcher): ("es", "es") -> "Español"."""
    name = language_in(code, in_lang)
    return name[:1].upper() + name[1:]


# --- Jinja --------------------------------------------------------------------


def page_lang(context, languages: Languages) -> str:
    lang = context.get("page_lang")
    return lang if lang in languages.all else languages.default


def install(env, languages: Languages) -> None:
    """Jinja's i18n extension, with a catalogue chosen per render by `page_lang`."""
    if "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension("jinja2.ext.i18n")
    # {% trans %} blocks may wrap lines in templates; the catalogue keeps one line.
    env.policies["ext.i18n.trimmed"] = True

    # Read once per Environment (each build makes new ones): a page asks for
    # dozens of words, and looking at the catalogue file for each is not free.
    loaded: dict[str, NullTranslations] = {}

    def words(context) -> NullTranslations:
        lang = page_lang(context, languages)
        found = loaded.get(lang)
        if found is None:
            found = loaded[lang] = gettext_for(languages, lang)
        return found

    @pass_context
    def gettext(context, message):
        return words(context).gettext(message)

    @pass_context
    def ngettext(context, singular, plural, count):
        return words(context).ngettext(singular, plural, count)

    env.install_gettext_callables(gettext, ngettext, newstyle=True)

    # The format filters take the language as an argument (`d|date_long(page_lang)`):
    # a filter that reads the render context costs a derived context per call
    # inside a loop, and listings call these once per entry.
    def known(lang) -> str:
        return lang if lang in languages.all else languages.default

    def date_long(value, lang=None):
        return format_date_long(value, known(lang)) if value else ""

    def month_year(value, lang=None):
        return format_month(value, known(lang)) if value else ""

    def day_month(value, lang=None):
        return format_day_month(value, known(lang)) if value else ""

    def number(value, lang=None):
        return format_number(value, known(lang))

    def language_label(code, lang=None):
        """A language's name as a sentence in `lang` has it ("Spanish" / "inglés")."""
        return language_in(code, known(lang))

    @pass_context
    def localized_setting(context, name: str):
        """A reader-facing setting (SITESUBTITLE, CHAPTER_DISCLAIMER, DIGEST_TAGLINE…)
        in the page's language: I18N_SETTINGS[lang][name], else the setting itself."""
        return languages.setting(page_lang(context, languages), name, context.get(name))

    env.filters.update(date_long=date_long, month_year=month_year, day_month=day_month, number=number,
                       language_label=language_label)
    env.globals["localized_setting"] = localized_setting
    env.globals["language_name"] = language_name
    env.globals["I18N_LANGUAGES"] = languages.all
