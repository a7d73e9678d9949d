"""The email edition's exceptions: part of the digest's hierarchy, so one
`except DigestError` catches both, with messages an editor can act on."""

from digest.errors import DigestError


class EmailError(DigestError):
    """The email edition of an issue cannot be built (a setting is missing or wrong)."""


class SendError(EmailError):
    """A test send failed: the SMTP server could not be reached, refused the
    login, the sender or a recipient. Messages never contain the password."""


class SettingsError(EmailError):
    """An SMTP_* environment variable or DIGEST_EMAIL_* setting is missing or invalid."""


class EmailWriteError(EmailError):
    """An email file could not be written (disk full, read-only folder). Fails
    the build, so a publish never goes out with an issue's email files missing."""
