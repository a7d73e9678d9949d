"""The chapter plugin's exceptions: one small hierarchy, messages a writer can act on."""

from __future__ import annotations


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
