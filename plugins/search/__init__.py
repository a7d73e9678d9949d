"""Search: every post, statement, page, digest issue and digest item, found
in the reader's browser from files on this site alone (Pagefind).

Stages, in the data's order: settings → records (what the build publishes,
typed) → stage (each record as a small HTML file in its language, labels
and dates formatted) → index (the pinned pagefind binary; the bundle is
swapped in whole) → this generator, which writes `search/` (and `es/search/`
…) from theme/templates/search.html and builds the index into
`output/pagefind/`: for `build` and `publish`, Pagefind starts once the
records are known (all_generators_finalized) and runs beside the writing of
the pages, its bundle swapped in at `finalized`; for the preview, in a
background thread after the build.

Pagefind keeps one index per language (`<html lang>` of each record), and a
search page searches its own language's. The browser side is
theme/static/js/search.js; it needs `'wasm-unsafe-eval'` in the
Content-Security-Policy (chapter/safety.py) and nothing from another host.
"""

from __future__ import annotations

from pathlib import Path

from pelican import signals
from pelican.generators import Generator

SEARCH_PAGE = "search/index.html"


class SearchGenerator(Generator):
    """The search page in each language, and the index."""

    def generate_context(self):
        from chapter.errors import stop_build

        from .errors import SearchError
        from .settings import SearchSettings

        try:
            self.conf = SearchSettings.from_pelican(self.settings)
        except SearchError as error:
            stop_build(error)
        self.records = []  # set at all_generators_finalized, when every list is final
        self.context["search_page"] = "search/" if self.conf.enabled else ""
        self.context["SEARCH_BUNDLE"] = self.conf.bundle

    def generate_output(self, writer):
        if not self.conf.enabled:
            return
        from .index import background_indexer

        languages = self.conf.languages
        template = self.get_template("search")
        relative = self.settings.get("RELATIVE_URLS", False)
        for lang in self.context.get("I18N_PRESENT") or languages.all[:1]:
            path = languages.path(lang, SEARCH_PAGE)
            writer.write_file(path, template, self.context, relative_urls=relative, page_lang=lang,
                              active_nav="search", page_name=path[: -len("/index.html")])
        if self.conf.in_background:
            background_indexer(Path(self.output_path)).submit(self.records, self.conf)

    def start_index(self) -> None:
        """Pagefind starts as soon as the records are known and runs while the pages are written."""
        from chapter.errors import stop_build

        from .errors import SearchError
        from .index import start_index
        from .stage import stage_texts

        key = str(Path(self.output_path).resolve())
        stale = _index_runs.pop(key, None)
        if stale is not None:  # from a build into the same folder that failed before finishing
            stale.abandon()
        try:
            # At a lower priority: the build, on one core, is what the writer waits for.
            _index_runs[key] = start_index(stage_texts(self.records, self.conf), self.conf, Path(self.output_path),
                                           nice=True)
        except SearchError as error:
            stop_build(error)


# A full build's index run, by output folder, from all_generators_finalized to finalized.
_index_runs: dict = {}


def collect_records(generators) -> None:
    """all_generators_finalized: what the build publishes, for the index; a full build starts indexing it."""
    from .records import collect

    for generator in generators:
        if isinstance(generator, SearchGenerator) and generator.conf.enabled:
            generator.records = collect(generators, generator.conf)
            if not generator.conf.in_background:
                generator.start_index()


def finish_index(pelican) -> None:
    """finalized: every page is written; wait for Pagefind and swap the bundle in."""
    from chapter.errors import stop_build

    from .errors import SearchError

    run = _index_runs.pop(str(Path(pelican.output_path).resolve()), None)
    if run is None:
        return
    try:
        run.finish()
    except SearchError as error:
        stop_build(error)


def get_generators(pelican_object):
    return SearchGenerator


def register():
    signals.get_generators.connect(get_generators)
    signals.all_generators_finalized.connect(collect_records)
    signals.finalized.connect(finish_index)
