"""Stage 2 of the preview: rebuild fast, write only what is looked at.

A full build of 1,000 posts spends a third of its time reading and two
thirds rendering and writing every page, listing and feed. In the preview:

- reading is cached in memory across builds (Pelican's reader-level
  content cache, CACHE_CONTENT, kept in a dict instead of a gzip'ed pickle
  written and read back on every build); the files that changed are
  dropped from it before each build, so a save that lands while a build
  reads can never be hidden behind a stale cache entry;
- the build runs every generator and plugin as usual (validation, schedule,
  groups, digest, feeds), but with a `RecordingWriter`: each page or feed
  Pelican would write is recorded with its template and context, and
  rendered by `render()` only when the browser asks for it. What is
  rendered is exactly what Pelican's own Writer writes for that file.

Files plugins write themselves (static files, the digest's feeds, email
files) are written during the build, as in a full build. The preview writes
into its own folder (`<CACHE_PATH>/preview/site`), never into OUTPUT_PATH:
`invoke build` and `invoke publish` stay full, clean builds.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from jinja2 import BytecodeCache
from pelican import Pelican, signals
from pelican.log import LimitFilter
from pelican.paginator import Paginator
from pelican.settings import read_settings
from pelican.writers import FileOverwriteFailedError, Writer

from .errors import SettingsError

# Settings the preview changes (its output folder aside).
PREVIEW_OVERRIDES = {
    "CACHE_CONTENT": True,
    "CONTENT_CACHING_LAYER": "reader",
    # Kept in memory by Rebuilder; nothing to load from disk.
    "LOAD_CONTENT_CACHE": False,
    "DELETE_OUTPUT_DIRECTORY": False,
    # The saved page first; the search index follows in a background thread (plugins/search/index.py).
    "SEARCH_IN_BACKGROUND": True,
}


class _TemplateCache(BytecodeCache):
    """Compiled templates kept across builds (each build makes new Jinja
    environments, and compiling the theme again cost ~0.15 s a build). Jinja
    checks each entry against the template's source, so an edit recompiles."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


def load_settings(conf: Path, template_cache: BytecodeCache | None = None) -> dict:
    """The project's settings, with the preview's own output folder and caching."""
    # read_settings warns about feed URLs in a development build: not news here.
    quiet = logging.getLogger("pelican.settings")
    was_disabled, quiet.disabled = quiet.disabled, True
    try:
        settings = read_settings(str(conf))
    except Exception as error:  # noqa: BLE001 - a settings file can raise anything
        raise SettingsError(f"{conf}: cannot read the settings ({type(error).__name__}: {error}); "
                            "fix the file and save it again") from None
    finally:
        quiet.disabled = was_disabled
    settings.update(PREVIEW_OVERRIDES)
    settings["OUTPUT_PATH"] = str(preview_output(settings))
    if template_cache is not None:
        settings["JINJA_ENVIRONMENT"] = {**settings.get("JINJA_ENVIRONMENT", {}), "bytecode_cache": template_cache}
    return settings


def preview_output(settings) -> Path:
    return Path(settings["CACHE_PATH"]) / "preview" / "site"


# --- recording what a build would write ---------------------------------------------


@dataclass
class Output:
    """One file a full build writes: a page (maybe one of a paginated list) or a feed."""

    kind: str  # "page" or "feed"
    args: dict
    override: bool = False
    paginators: dict | None = None
    page_number: int = 0  # 0-based, for paginated pages

    def render(self, output_path: str, settings) -> None:
        """Write this one file exactly as Pelican's Writer does in a full build."""
        writer = Writer(output_path, settings=settings)
        if self.kind == "feed":
            writer.write_feed(**self.args)
            return
        args = dict(self.args)
        kwargs = args.pop("kwargs")
        if self.paginators is None:
            writer.write_file(**args, **kwargs)
            return
        # The body of Writer.write_file's pagination loop, for one page
        # (rendering a 100-page index to show its first page would cost
        # more than the whole rebuild).
        n = self.page_number
        paginated_kwargs = kwargs.copy()
        for key, paginator in self.paginators.items():
            previous_page = paginator.page(n) if n > 0 else None
            page = paginator.page(n + 1)
            next_page = paginator.page(n + 2) if n + 1 < paginator.num_pages else None
            paginated_kwargs.update(
                {
                    f"{key}_paginator": paginator,
                    f"{key}_page": page,
                    f"{key}_previous_page": previous_page,
                    f"{key}_next_page": next_page,
                }
            )
        args.update(name=page.save_as, paginated={}, template_name=None)
        writer.write_file(**args, **paginated_kwargs)


class RecordingWriter(Writer):
    """A Writer that records what it would write (see Output) instead of writing."""

    def __init__(self, output_path, settings=None):
        super().__init__(output_path, settings=settings)
        self.outputs: dict[str, Output] = {}

    def _add(self, name: str, output: Output) -> None:
        key = os.path.normpath(name).replace(os.sep, "/")
        previous = self.outputs.get(key)
        if previous is not None:
            # Pelican's rules (Writer._open_w): one write wins if it says
            # override; two plain writes of one file fail the build.
            if previous.override:
                return
            if not output.override:
                raise FileOverwriteFailedError(
                    f'Failed to overwrite "{name}" as Pelican has already written to it previously '
                    "(two pages have the same address: change one's Slug or title)"
                )
        self.outputs[key] = output

    def write_file(self, name, template, context, relative_urls=False, paginated=None, template_name=None,
                   override_output=False, url=None, **kwargs):
        if not name:
            return
        # A copy now, as the real write_file makes one now: later generators
        # add to the shared context.
        args = dict(name=name, template=template, context=context.copy(), relative_urls=relative_urls,
                    paginated=paginated, template_name=template_name, override_output=override_output,
                    url=url, kwargs=kwargs)
        if paginated is None:
            paginated = {key: val for key, val in kwargs.items() if key in {"articles", "dates"}}
        if paginated and template_name in self.settings["PAGINATED_TEMPLATES"]:
            per_page = self.settings["PAGINATED_TEMPLATES"][template_name] or self.settings["DEFAULT_PAGINATION"]
            paginators = {key: Paginator(name, url, val, self.settings, per_page) for key, val in paginated.items()}
            first = next(iter(paginators.values()))
            for number in range(first.num_pages):
                self._add(first.page(number + 1).save_as,
                          Output("page", args, override_output, paginators, number))
        else:
            self._add(name, Output("page", args, override_output))

    def write_feed(self, elements, context, path=None, url=None, feed_type="atom", override_output=False,
                   feed_title=None):
        if not path:
            return super().write_feed(elements, context, path, url, feed_type, override_output, feed_title)
        args = dict(elements=list(elements), context=context.copy(), path=path, url=url, feed_type=feed_type,
                    override_output=override_output, feed_title=feed_title)
        self._add(path, Output("feed", args, override_output))
        return None


class PreviewPelican(Pelican):
    """Pelican with the recording writer; `after_read()` runs once every file is read."""

    def __init__(self, settings, after_read: Callable[[], None] | None = None):
        self.after_read = after_read
        self.recorder: RecordingWriter | None = None
        super().__init__(settings)

    def _get_writer(self):
        if self.after_read is not None:
            self.after_read()
        self.recorder = RecordingWriter(self.output_path, settings=self.settings)
        return self.recorder


# --- builds ---------------------------------------------------------------------------


@dataclass
class Build:
    """The outcome of one rebuild. Pages are rendered from the last good build."""

    number: int
    changed: frozenset
    problems: list[str] = field(default_factory=list)  # `file:line: problem, fix` lines; empty if good
    upto: int = 0  # the watcher's last batch of saves this build includes (watch.Watcher.seq)
    printed: bool = False  # the problems are on the terminal already (the chapter plugin prints them)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def describe(error: BaseException) -> list[str]:
    """What went wrong, as the lines a writer can act on (never a traceback)."""
    from chapter.errors import ChapterError, ContentError

    if isinstance(error, ContentError):
        return [str(problem) for problem in error.problems]
    if isinstance(error, ChapterError):
        return [str(error)]
    try:
        from jinja2 import TemplateSyntaxError
    except ImportError:  # pragma: no cover - Pelican needs Jinja
        TemplateSyntaxError = ()  # noqa: N806
    if isinstance(error, TemplateSyntaxError):
        return [f"{error.filename or error.name}:{error.lineno}: template error: {error.message}; fix the template"]
    # A template that fails while rendering: name its file and line.
    for frame, lineno in reversed(list(traceback.walk_tb(error.__traceback__))):
        filename = frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".j2", ".jinja")):
            # Jinja rewrites tracebacks so template frames carry the template's file and line.
            return [f"{filename}:{lineno}: template error: {type(error).__name__}: {error}; fix the template"]
    return [f"build failed: {type(error).__name__}: {error}"]


class Rebuilder:
    """Builds the site again and again in one process, keeping what it can.

    Not thread-safe by itself: the preview calls `build()` and `render()`
    under one lock.
    """

    def __init__(self, conf: Path, *, after_read: Callable[[], None] | None = None):
        self.conf = Path(conf)
        self.after_read = after_read
        self.templates = _TemplateCache()
        self.settings = load_settings(self.conf, self.templates)
        self.output_path = preview_output(self.settings)
        self.pelican: PreviewPelican | None = None
        self.outputs: dict[str, Output] = {}  # of the last good build
        self.rendered: set[str] = set()  # of those, the ones written since that build
        self.ever_rendered: set[str] = set()
        self._caches: dict[str, dict] = {}  # reader cache name -> {abs path: (stamp, data)}
        self.last: Build | None = None
        self.number = 0  # of the build running or last run
        signals.generator_init.connect(self._share_cache, weak=False)

    def close(self) -> None:
        signals.generator_init.disconnect(self._share_cache)

    def _share_cache(self, generator) -> None:
        readers = getattr(generator, "readers", None)
        if generator.settings is not self.settings or readers is None or not readers._cache_data_policy:
            return
        readers._cache = self._caches.setdefault(readers._cache_path, {})
        readers.save_cache = lambda: None  # the dict above is the cache

    def _forget(self, changed: set[str]) -> None:
        if str(self.conf.resolve()) in {os.path.realpath(p) for p in changed}:
            # New settings: new Pelican, and reading depends on settings.
            self.settings = load_settings(self.conf, self.templates)
            self.output_path = preview_output(self.settings)
            self.pelican = None
            self._caches.clear()
            return
        for path in changed:
            for cache in self._caches.values():
                cache.pop(os.path.abspath(path), None)
                cache.pop(os.path.realpath(path), None)

    def start_fresh(self) -> None:
        """Empty the preview's folder (it holds only what the preview wrote)."""
        import shutil

        shutil.rmtree(self.output_path, ignore_errors=True)
        self.output_path.mkdir(parents=True, exist_ok=True)

    def build(self, changed: set[str] | frozenset = frozenset(), upto: int = 0) -> Build:
        self.number += 1
        began = time.perf_counter()
        build = Build(self.number, frozenset(changed), upto=upto)
        # Pelican hides a warning it has shown once; each build should say
        # its own (e.g. "scheduled: ...") again.
        LimitFilter._raised_messages.clear()
        LimitFilter._group_count.clear()
        try:
            self._forget(set(changed))
            if self.pelican is None:
                self.pelican = PreviewPelican(self.settings, after_read=self.after_read)
            self.pelican.run()
        except SettingsError as error:
            build.problems = [str(error)]
        except Exception as error:  # noqa: BLE001 - shown to the writer, the preview keeps serving
            from chapter.errors import ContentError

            build.problems = describe(error) or [f"build failed: {type(error).__name__}"]
            build.printed = isinstance(error, ContentError)
        else:
            self.outputs = self.pelican.recorder.outputs if self.pelican.recorder else {}
            self.rendered = set()
        finally:
            sys.stdout.flush()
        build.seconds = time.perf_counter() - began
        self.last = build
        return build

    def render(self, key: str) -> bool:
        """Write output `key` (relative path) if the last good build has it; True if it does."""
        output = self.outputs.get(key)
        if output is None:
            return False
        if key not in self.rendered:
            output.render(str(self.output_path), self.settings)
            self.rendered.add(key)
            self.ever_rendered.add(key)
        return True

    def is_gone(self, key: str) -> bool:
        """A page an earlier build had and the last good one has not (a deleted post)."""
        return key in self.ever_rendered and key not in self.outputs


def watch_roots(settings, conf: Path) -> list[str]:
    """What a save in should rebuild: the settings file, the theme, the content."""
    roots = [str(conf), settings.get("THEME", ""), settings.get("PATH", "")]
    roots += [os.path.join(settings.get("PATH", ""), p) for p in settings.get("STATIC_PATHS", [])]
    return [os.path.abspath(r) for r in roots if r and os.path.exists(r)]

