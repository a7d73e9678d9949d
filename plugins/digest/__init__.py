"""The digest plugin: feed archive (sources, fetch, parse, archive) and monthly issues
(compose, clean, images, issuefile, render).

The archive stages run from `invoke fetch`/`invoke sources`, composing from
`invoke digest`; the site build only reads issue files (it never fetches).
"""


def register():
    # The generator that reads content/digests/*.md and writes the digest's
    # pages and feeds.
    from .render import register as register_render

    register_render()
