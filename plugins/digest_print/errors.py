"""The print edition's exceptions: messages an editor can act on.

They are DigestErrors, so a build stops on them with the message alone
(digest.render's log filter drops the traceback)."""

from digest.errors import DigestError


class PrintError(DigestError):
    """The print edition cannot be made; the message says what to install or change."""


class PrintSettingsError(PrintError):
    """A DIGEST_PRINT_* setting has a value this plugin cannot use; the message names it."""
