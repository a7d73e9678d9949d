"""issue.eml: the issue as one multipart/alternative message (text, then
HTML; both UTF-8), built with the standard library's email package."""

from __future__ import annotations

import hashlib
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from urllib.parse import urlsplit

from digest.models import DigestIssue

from .errors import EmailError
from .settings import EmailSettings
from .view import subject_prefix


def check_sender(sender: str) -> None:
    """Raise EmailError unless DIGEST_EMAIL_FROM is one usable address."""
    parsed = getaddresses([sender])
    if len(parsed) != 1 or "@" not in parsed[0][1]:
        raise EmailError(
            f"DIGEST_EMAIL_FROM is {sender!r}, which is not one email address. "
            'Set it like DIGEST_EMAIL_FROM = "The Lantern <lantern@your-chapter.example.org>".'
        )


def build_message(issue: DigestIssue, settings: EmailSettings, text: str, html: str, *,
                  subject: str | None = None, lang: str | None = None) -> EmailMessage:
    """`subject`: the edition's (view.EmailIssue.subject), else the issue's title;
    `lang`: the edition's language, when it is not the site's default."""
    check_sender(settings.sender)
    msg = EmailMessage(policy=policy.SMTP)
    # One line: a line break in a header would end it (or inject another).
    msg["Subject"] = " ".join((subject or subject_prefix(issue) + issue.title).split())
    msg["From"] = settings.sender
    # The publication date, so rebuilding an unchanged issue gives the same file.
    msg["Date"] = format_datetime(issue.date) if issue.date.tzinfo else format_datetime(issue.date.astimezone())
    # Stable for the same content; `invoke send-test` gives each send a fresh one,
    # because mail providers drop a second message with a Message-ID they have seen.
    digest = hashlib.sha256((text + html).encode("utf-8")).hexdigest()[:16]
    domain = Address(addr_spec=getaddresses([settings.sender])[0][1]).domain or urlsplit(settings.siteurl).hostname
    edition = f"-{lang}" if lang and lang != settings.site_languages.default else ""
    msg["Message-ID"] = f"<digest-{issue.month}{edition}.{digest}@{domain}>"
    # quoted-printable keeps every line short and 7-bit, whatever relay the
    # message passes through, and leaves the text part readable in an editor.
    msg.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # A boundary from the content instead of a random one: same issue, same file.
    msg.set_boundary(f"=_lantern_{digest}")
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=policy.SMTP)
