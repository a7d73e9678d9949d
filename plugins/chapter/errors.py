"""The chapter plugin's exceptions: one small hierarchy, messages a writer can act on."""

from __future__ import annotations

import logging


class ChapterError(Exception):
    """Base of every error the chapter plugin raises on purpose."""


class PeopleFileError(ChapterError):
    """people.toml cannot be read; the message names the file and what to fix."""


class ContentError(ChapterError):
    """Content files are invalid; the message lists file:line: problem, fix."""

    def __init__(self, problems: list):
        self.problems = list(problems)
        count = len(self.problems)
        # The problems themselves are printed one a line as they are found
        # (Pelican's log would wrap them); the message only sums them up.
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the content (listed above), "
            "nothing was published"
        )


def stop_build(error: Exception):
    """Print the problem on one line (Pelican's log would wrap it), then stop the build with it."""
    print(f"error: {error}", flush=True)
    raise error


class NoTraceback(logging.Filter):
    """Drops the traceback from a log record of one of `kinds`: those errors
    already name the file:line or setting and the fix, and a traceback would
    bury them. Each plugin adds one instance to the "pelican" logger."""

    def __init__(self, *kinds: type[BaseException]):
        super().__init__()
        self.kinds = kinds

    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], self.kinds):
            record.exc_info = None
        return True
