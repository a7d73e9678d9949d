"""The site's languages, read once from the Pelican settings into one typed object.

    languages = Languages.from_pelican(settings)   # raises LanguageSettingsError naming the setting

DEFAULT_LANG is the language of the site's root (`/`); every other language
in I18N_LANGUAGES gets a tree under `/<lang>/` and feeds under
`feeds/<lang>/`. Adding a language is a catalogue (I18N_CATALOGUES) and one
more code here, never code. docs/settings.md documents each setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LanguageSettingsError

DEFAULT_CATALOGUES = "theme/translations"
FEEDS_DIR = "feeds/"
# A primary language subtag: what a catalogue folder, a URL prefix and `Lang:` use.
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Languages:
    default: str
    all: tuple[str, ...]  # the default first, then the others in the setting's order
    catalogues: Path
    # I18N_SETTINGS: reader-facing settings (SITESUBTITLE, …) per other language.
    texts: dict = field(default_factory=dict, compare=False, hash=False)

    def setting(self, lang: str, name: str, default=None):
        """A reader-facing setting as `lang` has it (I18N_SETTINGS), else `default`."""
        return self.texts.get(lang, {}).get(name, default)

    @property
    def others(self) -> tuple[str, ...]:
        return self.all[1:]

    @property
    def several(self) -> bool:
        return len(self.all) > 1

    def prefix(self, lang: str) -> str:
        """Where a language's tree starts, relative to the site root: "" or "es/"."""
        return "" if lang == self.default else f"{lang}/"

    def path(self, lang: str, path: str) -> str:
        """Where a default-language page or feed path lives in `lang`
        (feeds under feeds/<lang>/, everything else under <lang>/)."""
        if lang == self.default:
            return path
        if path.startswith(FEEDS_DIR):
            return f"{FEEDS_DIR}{lang}/{path[len(FEEDS_DIR):]}"
        return f"{lang}/{path}"

    def base_path(self, path: str) -> str:
        """The default language's path for a path in any language's tree (inverse of `path`)."""
        for lang in self.others:
            if path.startswith(f"{FEEDS_DIR}{lang}/"):
                return FEEDS_DIR + path[len(f"{FEEDS_DIR}{lang}/"):]
            if path.startswith(f"{lang}/"):
                return path[len(lang) + 1:]
        return path

    def language_of_feed(self, path) -> str:
        """The language of a feed file, from where it lies: …/feeds/es/x.xml -> "es"."""
        parts = Path(path).parts
        if FEEDS_DIR.rstrip("/") in parts:
            at = len(parts) - 1 - parts[::-1].index(FEEDS_DIR.rstrip("/"))
            if at + 1 < len(parts) and parts[at + 1] in self.others:
                return parts[at + 1]
        return self.default

    def language_of_path(self, path: str) -> str:
        """The language whose tree holds an output path (inverse of `path`)."""
        for lang in self.others:
            if path.startswith((f"{lang}/", f"{FEEDS_DIR}{lang}/")):
                return lang
        return self.default

    @classmethod
    def from_pelican(cls, settings) -> "Languages":
        default = settings.get("DEFAULT_LANG") or "en"
        if not isinstance(default, str) or not LANGUAGE_CODE.fullmatch(default):
            raise LanguageSettingsError(
                f"DEFAULT_LANG = {default!r} in pelicanconf.py: write a two- or three-letter "
                "language code in lower case, such as \"en\""
            )
        listed = settings.get("I18N_LANGUAGES") or [default]
        if isinstance(listed, str) or not all(isinstance(code, str) for code in listed):
            raise LanguageSettingsError(
                f"I18N_LANGUAGES = {listed!r} in pelicanconf.py: write a list of language codes, "
                "such as [\"en\", \"es\"]"
            )
        for code in listed:
            if not LANGUAGE_CODE.fullmatch(code):
                raise LanguageSettingsError(
                    f"I18N_LANGUAGES: {code!r} is not a language code; write two or three lower-case "
                    "letters, such as \"es\""
                )
        if default not in listed:
            raise LanguageSettingsError(
                f"I18N_LANGUAGES = {list(listed)!r} leaves out DEFAULT_LANG ({default!r}); add it to the list"
            )
        ordered = (default, *dict.fromkeys(code for code in listed if code != default))
        root = Path(settings.get("ROOT") or Path(settings.get("PATH") or ".").parent)
        catalogues = Path(settings.get("I18N_CATALOGUES") or DEFAULT_CATALOGUES)
        if not catalogues.is_absolute():
            catalogues = root / catalogues
        texts = settings.get("I18N_SETTINGS") or {}
        if not isinstance(texts, dict) or not all(
            isinstance(values, dict) and all(isinstance(key, str) and isinstance(value, str) for key, value in values.items())
            for values in texts.values()
        ):
            raise LanguageSettingsError(
                "I18N_SETTINGS in pelicanconf.py: write a dict of languages, each a dict of setting names "
                "and texts, such as {\"es\": {\"SITESUBTITLE\": \"...\"}}"
            )
        for code in texts:
            if code not in ordered[1:]:
                raise LanguageSettingsError(
                    f"I18N_SETTINGS has texts for {code!r}, which is not one of the other languages in "
                    f"I18N_LANGUAGES ({', '.join(ordered[1:]) or 'none'}); add it there or remove its texts"
                )
        return cls(default=default, all=ordered, catalogues=catalogues, texts=texts)
