"""Search's settings, read once into one typed object.

Every SEARCH_* setting has its default in DEFAULTS; docs/settings.md
documents each one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from i18n.settings import Languages

from .errors import SearchSettingsError

DEFAULTS = {
    "SEARCH_ENABLED": True,  # False: no search page, no index, no "Search" in the navigation
    "SEARCH_BUNDLE": "pagefind",  # the index and Pagefind's search code, under output/
    "SEARCH_MAX_RECORD_CHARS": 100_000,  # a longer text is cut (what one result costs a reader to download)
    "SEARCH_TIMEOUT": 300,  # seconds Pagefind may take to index the whole site
    # The preview (plugins/preview) sets True: the page a writer saved is
    # shown at once and the index follows a moment later, off the save's path.
    "SEARCH_IN_BACKGROUND": False,
}


@dataclass(frozen=True)
class SearchSettings:
    enabled: bool
    bundle: str  # "pagefind": the folder under OUTPUT_PATH
    max_record_chars: int
    timeout: float
    in_background: bool
    languages: Languages
    siteurl: str  # SITEURL without a trailing "/"

    @classmethod
    def from_pelican(cls, settings) -> SearchSettings:
        def value(name):
            got = settings.get(name)
            return DEFAULTS[name] if got is None else got

        enabled, background = value("SEARCH_ENABLED"), value("SEARCH_IN_BACKGROUND")
        for name, got in (("SEARCH_ENABLED", enabled), ("SEARCH_IN_BACKGROUND", background)):
            if not isinstance(got, bool):
                raise SearchSettingsError(f"{name} must be True or False, not {got!r}")
        bundle = value("SEARCH_BUNDLE")
        parts = bundle.strip("/").split("/") if isinstance(bundle, str) else []
        if not parts or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            raise SearchSettingsError(f'SEARCH_BUNDLE must be a folder name in quotes, such as "pagefind", not {bundle!r}')
        chars = value("SEARCH_MAX_RECORD_CHARS")
        if isinstance(chars, bool) or not isinstance(chars, int) or chars < 1000:
            raise SearchSettingsError(f"SEARCH_MAX_RECORD_CHARS must be a whole number of at least 1000, not {chars!r}")
        timeout = value("SEARCH_TIMEOUT")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
            raise SearchSettingsError(f"SEARCH_TIMEOUT must be a number of seconds above 0, not {timeout!r}")
        return cls(
            enabled=enabled,
            bundle="/".join(parts),
            max_record_chars=chars,
            timeout=float(timeout),
            in_background=background,
            languages=Languages.from_pelican(settings),
            siteurl=str(settings.get("SITEURL") or "").rstrip("/"),
        )
