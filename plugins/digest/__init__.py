"""The digest plugin: feed archive (sources, fetch, archive) and monthly issues
(compose, clean, images, issuefile, render).

The archive stages run from `invoke fetch`/`invoke sources`, composing from
`invoke digest`; the site build only reads issue files (it never fetches).
"""


def register():
    # Filled in by the render stage: registers the generator that reads
    # content/digests/*.md and writes digest pages and feeds.
    try:
        from .render import register as register_render
    except ImportError:  # render stage not written yet
        return
    register_render()
