"""The print edition of every issue a build publishes: output/digest/YYYY-MM/issue.pdf.

`make_edition` is the whole way of one issue: prepare the view, look its
content hash up in the cache, and only on a miss render HTML (with QR codes)
and the PDF. The generator runs it for each issue in generate_context, so
that the issue pages and the email editions, written later, can link the
PDF with its size (`context["print_editions"]`, by month).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from chapter.brand import brand as site_brand
from digest.files import write_atomically
from digest.models import DigestIssue
from digest.settings import DigestSettings

from .cache import PdfCache, cache_key
from .errors import PrintError
from .settings import PrintSettings
from .view import Context, prepare

log = logging.getLogger(__name__)

PDF_NAME = "issue.pdf"


@dataclass(frozen=True)
class PrintEdition:
    month: str
    url: str  # under the site root: "digest/2025-03/issue.pdf"
    size: int  # bytes
    cache_path: Path
    rendered: bool  # False: taken from the cache

    @property
    def size_label(self) -> str:
        """ "240 KB", "1.3 MB": what the link says, so a reader on a phone plan knows."""
        if self.size < 1_000_000:
            return f"{max(1, round(self.size / 1000))} KB"
        return f"{self.size / 1_000_000:.1f} MB"


def print_context(settings, conf: DigestSettings, prints: PrintSettings) -> Context:
    brand = site_brand(settings)
    feeds = []
    if settings.get("FEED_ALL_ATOM"):
        feeds.append(("Everything the chapter publishes", str(settings["FEED_ALL_ATOM"])))
    if conf.feed_atom:
        feeds.append((f"{brand.publication}, each issue", conf.feed_atom))
    return Context(
        content_dir=conf.content_dir,
        public_url=conf.public_url,
        lang=prints.lang,
        chapter=brand.chapter,
        publication=brand.publication,
        tagline=brand.tagline,
        accent=brand.accent_light,
        paper=prints.css_page_size,
        logo=brand.logo,
        signup_url=brand.signup_url,
        join_slug=prints.join_page,
        page_url=prints.page_url,
        feeds=tuple(feeds),
    )


def make_edition(issue: DigestIssue, context: Context, prints: PrintSettings,
                 output_dir: Path) -> PrintEdition | None:
    """The issue's PDF in the cache (rendered only if its content changed); None
    if WeasyPrint fails on it: the issue is then published without a print
    edition (and without links to one), never stopping the build."""
    view = prepare(issue, context)
    cache = PdfCache(prints.cache_dir, prints.cache_size)
    key = cache_key(view)
    path = cache.get(key)
    rendered = path is None
    if path is None:
        # Imported only now: a build whose issues are all cached needs neither.
        from .pdf import render_pdf
        from .render import render_html

        try:
            pdf = render_pdf(render_html(view), base=context.content_dir, roots=(context.content_dir, output_dir))
        except PrintError:
            raise  # a missing library or font: the message says what to install
        except Exception as error:  # noqa: BLE001 - text from other sites must not sink the build
            log.warning("%s: the print edition of %s could not be made (%s: %s); the issue is published "
                        "without it. Look for unusual characters or markup in its excerpts, or report it.",
                        issue.source_path, issue.month, type(error).__name__, str(error)[:200])
            return None
        path = cache.put(key, pdf)
        log.info("print edition of %s rendered (%d KB)", issue.month, len(pdf) // 1000)
    return PrintEdition(month=issue.month, url=f"{issue.url}{PDF_NAME}", size=path.stat().st_size,
                        cache_path=path, rendered=rendered)


def write_edition(edition: PrintEdition, output_dir: Path) -> Path:
    """Copy the cached PDF to output/<url>, atomically: a reader never gets half a file."""
    target = Path(output_dir) / edition.url
    write_atomically(target, edition.cache_path.read_bytes())
    return target
