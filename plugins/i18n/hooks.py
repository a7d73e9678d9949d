"""The i18n plugin's wiring: Pelican's signals to the stages (settings,
catalogues, content, links, trees)."""

from __future__ import annotations

import logging
import sys

from pelican import signals

from . import catalogues, content, links, trees
from .errors import LanguageError
from .settings import Languages

logger = logging.getLogger(__name__)


def _stop(error: LanguageError) -> None:
    """Print the problem on one line (Pelican's log would wrap it), then stop the build."""
    print(f"error: {error}")
    sys.stdout.flush()
    raise error


class _NoTraceback(logging.Filter):
    """Our errors already name the setting or file and the fix; a traceback would bury them."""

    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], LanguageError):
            record.exc_info = None
        return True


_no_traceback = _NoTraceback()


def check(pelican) -> None:
    """initialized: bad language settings or a broken catalogue stop the build, named."""
    try:
        catalogues.check_catalogues(Languages.from_pelican(pelican.settings))
    except LanguageError as error:
        _stop(error)


def install_templates(generator) -> None:
    """generator_init: every generator's templates speak every language."""
    env = getattr(generator, "env", None)
    if env is None:
        return
    languages = Languages.from_pelican(generator.settings)
    catalogues.install(env, languages)
    links.install(env, languages, generator.context)
    generator.context.setdefault("page_lang", languages.default)


def register():
    logging.getLogger("pelican").addFilter(_no_traceback)  # addFilter ignores a second copy
    signals.initialized.connect(check)
    signals.generator_init.connect(install_templates)
    content.register()
    trees.register()
