"""The preview's exceptions: one small hierarchy, messages a writer can act on."""

from __future__ import annotations


class PreviewError(Exception):
    """Base of every error the preview raises on purpose."""


class ListenError(PreviewError):
    """The preview cannot listen on the address it was given."""

    def __init__(self, bind: str, port: int, reason: str):
        super().__init__(f"cannot listen on {bind}:{port} ({reason}); try another port, e.g. --port {port + 1 if port else 8001}")


class SettingsError(PreviewError):
    """The settings file cannot be read; the message names it and the reason."""


class WatchError(PreviewError):
    """The file watcher cannot start or stopped; the message says what to do."""
