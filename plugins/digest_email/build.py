"""Writes the four email files of each edition of an issue beside its page:
the default language's in output/digest/YYYY-MM/, each other language's
(an issue has one where it has an intro in it) beside that language's page,
output/es/digest/YYYY-MM/."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from digest.files import write_atomically
from digest.models import DigestIssue
from i18n.errors import LanguageError

from .errors import EmailError, EmailWriteError
from .mime import build_message, message_bytes
from .render import render_body, render_html
from .settings import EmailSettings
from .text import render_text
from .view import issue_languages, prepare

log = logging.getLogger(__name__)

FILES = ("email.html", "email.txt", "email-body.html", "issue.eml")


@dataclass
class EmailFiles:
    html: str
    text: str
    body: str
    eml: bytes

    def contents(self) -> dict[str, bytes]:
        return {
            "email.html": self.html.encode("utf-8"),
            "email.txt": self.text.encode("utf-8"),
            "email-body.html": self.body.encode("utf-8"),
            "issue.eml": self.eml,
        }


def render_issue(issue: DigestIssue, settings: EmailSettings, lang: str | None = None,
                 print_edition=None) -> EmailFiles:
    """The edition in `lang` (default: the site's default language); EmailError
    if the issue has none in that language (no intro in it)."""
    view = prepare(issue, settings, print_edition, lang=lang)
    html = render_html(view)
    text = render_text(view)
    body = render_body(view)
    eml = message_bytes(build_message(issue, settings, text, html, subject=view.subject, lang=view.lang))
    return EmailFiles(html=html, text=text, body=body, eml=eml)


def edition_url(issue: DigestIssue, settings: EmailSettings, lang: str | None = None) -> str:
    """Where the edition in `lang` lives: "digest/2026-10/", "es/digest/2026-10/"."""
    languages = settings.site_languages
    return languages.path(lang or languages.default, issue.url.lstrip("/"))


def issue_dir(output_path: str | os.PathLike, issue: DigestIssue, settings: EmailSettings | None = None,
              lang: str | None = None) -> Path:
    """output/<the edition's URL> (the issue's, or its page's in `lang`),
    refusing a URL that would leave the output folder."""
    url = edition_url(issue, settings, lang) if settings is not None else issue.url
    root = Path(output_path).resolve()
    target = (root / url.strip("/")).resolve()
    if root != target and root not in target.parents:
        raise EmailError(f"{issue.source_path}: the issue URL {issue.url!r} points outside the output folder.")
    return target


def write_issue(issue: DigestIssue, settings: EmailSettings, output_path, lang: str | None = None,
                print_edition=None) -> Path:
    """Render and write the four files of the edition in `lang` (default: the
    site's default language); warn if email.html is over the clip size."""
    files = render_issue(issue, settings, lang=lang, print_edition=print_edition)
    target = issue_dir(output_path, issue, settings, lang)
    size = len(files.html.encode("utf-8"))
    if size > settings.max_bytes:
        log.warning(
            "%s: the email edition of %s (%s/email.html) is %s bytes, over the %s-byte limit "
            "(DIGEST_EMAIL_MAX_BYTES; Gmail clips messages over 102 KB and hides the rest, "
            "footer and unsubscribe line included). Shorten excerpts or hold back some items.",
            issue.source_path,
            issue.title,
            edition_url(issue, settings, lang).strip("/"),
            f"{size:,}",
            f"{settings.max_bytes:,}",
        )
    for name, data in files.contents().items():
        try:
            write_atomically(target / name, data)  # whole or not at all
        except OSError as exc:
            raise EmailWriteError(
                f"{target / name}: cannot write the email edition of {issue.source_path} "
                f"({exc.strerror or exc}); free some disk space or make the folder writable, then build again."
            ) from None
    return target


def write_all(issues, pelican_settings: dict, output_path, print_editions=None) -> list[Path]:
    """Write the email files of every edition of every issue (one per language
    it has an intro in); errors are logged, naming the issue. `print_editions`
    ({month: PrintEdition}, from digest_print) adds the PDF's link."""
    issues = list(issues or [])
    if not issues:
        return []
    try:
        settings = EmailSettings.from_pelican(pelican_settings)
    except EmailError as exc:
        log.error("Email edition not written: %s", exc)
        return []
    written = []
    for issue in issues:
        for lang in issue_languages(issue, settings):
            try:
                written.append(write_issue(issue, settings, output_path, lang=lang,
                                           print_edition=(print_editions or {}).get(issue.month)))
            except EmailWriteError:
                raise  # the build must fail: a site without this issue's email files is half-built
            except (EmailError, LanguageError) as exc:
                log.error("Email edition (%s) of %s not written: %s", lang, issue.source_path, exc)
    return written
