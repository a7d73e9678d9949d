"""The search plugin's exceptions: messages a writer or editor can act on.

They are ChapterErrors, so a build stops on them with the message alone
(the chapter plugin's log filter drops the traceback) and the preview shows
the message in the browser."""

from chapter.errors import ChapterError


class SearchError(ChapterError):
    """The search index cannot be built; the message says what to install or change."""


class SearchSettingsError(SearchError):
    """A SEARCH_* setting has a value this plugin cannot use; the message names it."""
