"""A site in several languages: DEFAULT_LANG at the root, each other
language of I18N_LANGUAGES under `/<lang>/` with its own listings and feeds,
every reader-facing word from a gettext catalogue, dates and numbers by
Babel. Stages, in the data's order: settings (the languages), catalogues
(words and formats), content (which version is which), links (switcher,
hreflang), trees (each language's listings and feeds)."""


def register():
    # Imported here, not at the top: `digest` and `digest_email` import
    # i18n.catalogues, and this package's import must not pull in Pelican
    # (a third of `invoke fetch`'s start-up).
    from .hooks import register as register_hooks

    register_hooks()
