"""Writes the four email files of an issue beside its page."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from digest.files import write_atomically
from digest.models import DigestIssue

from .errors import EmailError, EmailWriteError
from .mime import build_message, message_bytes
from .render import render_body, render_html
from .settings import EmailSettings
from .text import render_text
from .view import prepare

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


def render_issue(issue: DigestIssue, settings: EmailSettings, lang: str = "en", print_edition=None) -> EmailFiles:
    view = prepare(issue, settings, print_edition)
    html = render_html(view, lang=lang)
    text = render_text(view)
    body = render_body(view)
    eml = message_bytes(build_message(issue, settings, text, html))
    return EmailFiles(html=html, text=text, body=body, eml=eml)


def issue_dir(output_path: str | os.PathLike, issue: DigestIssue) -> Path:
    """output/<issue.url>, refusing a URL that would leave the output folder."""
    root = Path(output_path).resolve()
    target = (root / issue.url.strip("/")).resolve()
    if root != target and root not in target.parents:
        raise EmailError(f"{issue.source_path}: the issue URL {issue.url!r} points outside the output folder.")
    return target


def write_issue(issue: DigestIssue, settings: EmailSettings, output_path, lang: str = "en",
                print_edition=None) -> Path:
    """Render and write the four files; warn if email.html is over the clip size."""
    files = render_issue(issue, settings, lang=lang, print_edition=print_edition)
    target = issue_dir(output_path, issue)
    size = len(files.html.encode("utf-8"))
    if size > settings.max_bytes:
        log.warning(
            "%s: the email edition of %s (%s/email.html) is %s bytes, over the %s-byte limit "
            "(DIGEST_EMAIL_MAX_BYTES; Gmail clips messages over 102 KB and hides the rest, "
            "footer and unsubscribe line included). Shorten excerpts or hold back some items.",
            issue.source_path,
            issue.title,
            issue.url.strip("/"),
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
    """Write every issue's email files; errors are logged, naming the issue.
    `print_editions` ({month: PrintEdition}, from digest_print) adds the PDF's link."""
    issues = list(issues or [])
    if not issues:
        return []
    try:
        settings = EmailSettings.from_pelican(pelican_settings)
    except EmailError as exc:
        log.error("Email edition not written: %s", exc)
        return []
    lang = pelican_settings.get("DEFAULT_LANG") or "en"
    written = []
    for issue in issues:
        try:
            written.append(write_issue(issue, settings, output_path, lang=lang,
                                       print_edition=(print_editions or {}).get(issue.month)))
        except EmailWriteError:
            raise  # the build must fail: a site without this issue's email files is half-built
        except EmailError as exc:
            log.error("Email edition of %s not written: %s", issue.source_path, exc)
    return written
