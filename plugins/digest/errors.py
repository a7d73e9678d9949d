"""The digest's exceptions: one small hierarchy, messages an editor can act on.

Every message says what went wrong, where (file and line, or source URL) and
what to do about it.
"""


def display_path(path) -> str:
    """A path as an editor would type it: relative to the current folder when it is under it."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)


class DigestError(Exception):
    """Base of every error the digest plugin raises on purpose."""


class SourcesFileError(DigestError):
    """The sources file (OPML or planet.ini) is missing or unreadable."""


class ArchiveError(DigestError):
    """The archive file cannot be opened, or its schema is newer than this code."""


class FetchError(DigestError):
    """One source could not be fetched or parsed; the others are unaffected."""

    def __init__(self, feed_url: str, message: str, *, status: int | None = None):
        super().__init__(f"{feed_url}: {message}")
        self.feed_url = feed_url
        self.status = status


class IssueFileError(DigestError):
    """A digest issue file cannot be read; the message names file and line."""

    def __init__(self, path, line: int | None, message: str):
        where = f"{display_path(path)}:{line}" if line else str(display_path(path))
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class FrozenIssueError(DigestError):
    """The issue is marked published; composing would change what readers got."""


class SettingsError(DigestError):
    """A DIGEST_* (or TIMEZONE, SITEURL) setting has a value the digest cannot use; the message names it."""


class IssueChangedError(DigestError):
    """The issue file changed on disk while compose was running; nothing was written."""
