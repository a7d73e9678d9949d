"""The print edition's settings, read once into one typed object.

Every DIGEST_PRINT_* setting has its default in DEFAULTS; docs/settings.md
documents each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import PrintSettingsError

DEFAULTS = {
    "DIGEST_PRINT": True,  # False: no PDFs and no "Print edition" links
    "DIGEST_PRINT_PAPER": "letter",  # or "a4"
    "DIGEST_PRINT_JOIN_PAGE": "join",  # slug of the page the back cover points to
    "DIGEST_PRINT_CACHE": "cache/print",  # rendered PDFs by content hash, relative to the project
    "DIGEST_PRINT_CACHE_SIZE": 24,  # PDFs kept there (the least recently used go first)
}

PAPERS = {"letter": "letter", "a4": "A4"}  # setting -> CSS @page size


@dataclass(frozen=True)
class PrintSettings:
    enabled: bool
    paper: str  # "letter" or "a4"
    join_page: str
    cache_dir: Path
    cache_size: int
    lang: str  # DEFAULT_LANG: the PDF's language
    page_url: str  # PAGE_URL, to print the join page's address

    @property
    def css_page_size(self) -> str:
        return PAPERS[self.paper]

    @classmethod
    def from_pelican(cls, settings) -> PrintSettings:
        def value(name):
            got = settings.get(name)
            return DEFAULTS[name] if got is None else got

        enabled = value("DIGEST_PRINT")
        if not isinstance(enabled, bool):
            raise PrintSettingsError(f"DIGEST_PRINT must be True or False, not {enabled!r}")
        paper = value("DIGEST_PRINT_PAPER")
        if not isinstance(paper, str) or paper.strip().lower() not in PAPERS:
            raise PrintSettingsError(f'DIGEST_PRINT_PAPER must be "letter" or "a4", not {paper!r}')
        join = value("DIGEST_PRINT_JOIN_PAGE")
        if not isinstance(join, str):
            raise PrintSettingsError(f'DIGEST_PRINT_JOIN_PAGE must be a page slug in quotes, such as "join", not {join!r}')
        size = value("DIGEST_PRINT_CACHE_SIZE")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise PrintSettingsError(f"DIGEST_PRINT_CACHE_SIZE must be a whole number of at least 1, not {size!r}")
        cache = value("DIGEST_PRINT_CACHE")
        if not isinstance(cache, str) or not cache.strip():
            raise PrintSettingsError(f'DIGEST_PRINT_CACHE must be a folder in quotes, such as "cache/print", not {cache!r}')
        cache = Path(cache)
        if not cache.is_absolute():
            root = settings.get("ROOT") or Path(settings.get("PATH") or "content").resolve().parent
            cache = Path(root) / cache
        return cls(
            enabled=enabled,
            paper=paper.strip().lower(),
            join_page=join.strip(),
            cache_dir=cache,
            cache_size=size,
            lang=str(settings.get("DEFAULT_LANG") or "en"),
            page_url=str(settings.get("PAGE_URL") or "pages/{slug}.html"),
        )
