"""The digest's exceptions: one small hierarchy, messages an editor can act on.

Every message says what went wrong, where (file and line, or source URL) and
what to do about it.
"""


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
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


class FrozenIssueError(DigestError):
    """The issue is marked published; composing would change what readers got."""
