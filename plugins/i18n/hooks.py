"""The i18n plugin's wiring: Pelican's signals to the stages (settings,
catalogues, content, links, trees)."""

from __future__ import annotations

import logging

from chapter.errors import NoTraceback, stop_build
from pelican import signals

from . import catalogues, content, links, trees
from .errors import LanguageError
from .settings import Languages

logger = logging.getLogger(__name__)
_no_traceback = NoTraceback(LanguageError)


def check(pelican) -> None:
    """initialized: bad language settings or a broken catalogue stop the build, named."""
    try:
        catalogues.check_catalogues(Languages.from_pelican(pelican.settings))
    except LanguageError as error:
        stop_build(error)


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
