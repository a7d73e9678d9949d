"""The i18n plugin's exceptions: one small hierarchy, messages an editor can act on."""

from __future__ import annotations


class LanguageError(Exception):
    """Base of every error the i18n plugin raises on purpose."""


class LanguageSettingsError(LanguageError):
    """DEFAULT_LANG / I18N_LANGUAGES / I18N_CATALOGUES is wrong; the message names it and the fix."""


class CatalogueError(LanguageError):
    """A gettext catalogue cannot be read; the message names the .po file and line."""
