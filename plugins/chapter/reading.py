"""Reading posts on every core: their Markdown converted in worker processes.

Pelican reads the content files one after another in the build's process,
and converting their Markdown is most of that: about 3 of the 4 seconds a
1,000-post build spends reading (bench/bench_site.py --profile). When a
build has at least CHAPTER_READ_IN_PARALLEL_FROM posts and statements to
read, and the machine more than one core:

- at `article_generator_init` the files the articles generator will read
  are handed, in the order it reads them, to one worker process per core
  (started from a fork server: chapter/processes.py);
- a worker converts each file as Pelican's MarkdownReader does (the body,
  then each formatted field such as `Summary:`, on one Markdown instance,
  in the same order) and sends back the HTML and the raw metadata;
- the build's own MarkdownReader then reads a file by replaying those
  conversions through Pelican's `_parse_metadata`, so its metadata, dates,
  authors and warnings are Pelican's own, while the workers convert ahead.

Pages, and any post or statement the workers could not convert (unreadable,
not UTF-8, changed on disk since, a worker that died), are read by Pelican
itself, which reports their errors as usual. The
result is the same HTML byte for byte (tests/test_reading.py). Files the
content cache already holds (the preview's rebuilds) are not read again.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor

from pelican import signals
from pelican.readers import MarkdownReader
from pelican.utils import file_suffix

from .convert import Converted, convert_chunk, file_stamp, start_worker
from .processes import worker_pool

logger = logging.getLogger(__name__)

DEFAULT_READ_IN_PARALLEL_FROM = 200  # files: below that, starting the workers costs more than it saves
CHUNK = 16  # files per task: sending a task costs little beside converting sixteen posts
IN_FLIGHT_PER_WORKER = 3  # tasks: the workers never wait, and a failed build waits for few
MAX_WORKERS = 4  # beyond that, the build's own share of reading (a third) is what it waits for


class ReadAhead:
    """Files converted by worker processes, ahead of the reader asking for them."""

    def __init__(self, paths: list[str], markdown_settings: dict, formatted_fields: tuple[str, ...], workers: int):
        self._chunks = deque(paths[start:start + CHUNK] for start in range(0, len(paths), CHUNK))
        self._expected = set(paths)
        self._done: dict[str, Converted | None] = {}
        self._in_flight: deque[tuple[list[str], Future]] = deque()
        self._window = workers * IN_FLIGHT_PER_WORKER
        extensions = [name for name in markdown_settings.get("extensions", ()) if isinstance(name, str)]
        self._executor: ProcessPoolExecutor | None = worker_pool(
            workers, ["chapter.convert", *extensions], initializer=start_worker,
            initargs=(markdown_settings, formatted_fields),
        )
        self._submit()

    def _submit(self) -> None:
        while self._executor is not None and self._chunks and len(self._in_flight) < self._window:
            chunk = self._chunks.popleft()
            self._in_flight.append((chunk, self._executor.submit(convert_chunk, chunk)))

    def take(self, path: str) -> Converted | None:
        """The worker's conversion of `path`, or None: the reader converts it itself."""
        if path not in self._expected:
            return None
        self._expected.discard(path)
        while path not in self._done and self._in_flight:
            chunk, future = self._in_flight.popleft()
            try:
                self._done.update(zip(chunk, future.result()))
            except Exception as error:  # noqa: BLE001 - a worker died or could not start: read here
                logger.warning("Reading the remaining posts in the build's own process: a reading "
                               "process failed (%s: %s).", type(error).__name__, error)
                self.close()
                return None
            self._submit()
        converted = self._done.pop(path, None)
        if not self._expected:
            self.close()
        return converted

    def close(self) -> None:
        executor, self._executor = self._executor, None
        self._chunks.clear()
        self._in_flight.clear()
        self._expected.clear()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


class _Replay:
    """Markdown as MarkdownReader._parse_metadata uses it, answering with a worker's conversions."""

    def __init__(self, formatted: dict[str, str]):
        self._formatted = formatted
        self.preprocessors = self

    def deregister(self, name: str, strict: bool = True) -> None:
        """The worker converted the formatted fields without the meta preprocessor already."""

    def reset(self) -> _Replay:
        return self

    def convert(self, text: str) -> str:
        return self._formatted[text]


class ParallelMarkdownReader(MarkdownReader):
    """Pelican's MarkdownReader, taking a worker's conversion when there is one."""

    read_ahead: ReadAhead | None = None

    def read(self, source_path):
        converted = self.read_ahead.take(source_path) if self.read_ahead is not None else None
        if converted is None or converted.stamp != file_stamp(source_path):
            return super().read(source_path)
        self._source_path = source_path
        self._md = _Replay(converted.formatted)
        try:
            metadata = self._parse_metadata(converted.meta) if converted.meta is not None else {}
        except KeyError:  # a field the worker did not format: convert the file here, as Pelican would
            return super().read(source_path)
        return converted.body, metadata


def use_parallel_reader(readers) -> None:
    """readers_init: Markdown files read by ParallelMarkdownReader, unless READERS names another reader."""
    for extension, reader_class in list(readers.reader_classes.items()):
        if reader_class is MarkdownReader:
            readers.reader_classes[extension] = ParallelMarkdownReader


def worker_count() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


def read_ahead(generator) -> None:
    """article_generator_init: start the workers on the files this build will read."""
    settings = generator.settings
    threshold = int(settings.get("CHAPTER_READ_IN_PARALLEL_FROM", DEFAULT_READ_IN_PARALLEL_FROM))
    workers = worker_count()
    if threshold <= 0 or workers < 2:
        return
    # Only the caching layer in use can hold a file (asking the reader's cache
    # costs a stat, or a hash of the file, even when it is empty).
    in_use = settings.get("CACHE_CONTENT") or settings.get("LOAD_CONTENT_CACHE")
    caching = settings.get("CONTENT_CACHING_LAYER") if in_use else None
    to_read: list[str] = []
    for relative in generator.get_files(settings["ARTICLE_PATHS"], exclude=settings["ARTICLE_EXCLUDES"]):
        reader = generator.readers.readers.get(file_suffix(relative))
        if not isinstance(reader, ParallelMarkdownReader):
            continue
        if caching == "generator" and generator.get_cached_data(relative, None) is not None:
            continue  # the generator's cache holds the article
        path = os.path.abspath(os.path.join(generator.path, relative))
        if caching == "reader" and generator.readers.get_cached_data(path, None) is not None:
            continue  # the reader's cache holds its conversion (the preview's rebuilds)
        to_read.append(path)
    if len(to_read) < threshold:
        return
    markdown_readers = [r for r in generator.readers.readers.values() if isinstance(r, ParallelMarkdownReader)]
    try:
        # One Markdown setting for every extension (.md, .markdown…): each has its own reader.
        ahead = ReadAhead(to_read, settings["MARKDOWN"], tuple(settings["FORMATTED_FIELDS"]), workers)
    except Exception as error:  # noqa: BLE001 - no worker processes here: read as Pelican does
        logger.warning("Reading posts in one process: could not start reading processes (%s: %s).",
                       type(error).__name__, error)
        return
    logger.info("Converting the Markdown of %d files in %d worker processes.", len(to_read), workers)
    for reader in markdown_readers:
        reader.read_ahead = ahead


def stop_reading_ahead(generator) -> None:
    """article_generator_finalized: the workers' part is over, whatever happened."""
    for reader in generator.readers.readers.values():
        if isinstance(reader, ParallelMarkdownReader) and reader.read_ahead is not None:
            reader.read_ahead.close()
            reader.read_ahead = None


def register():
    signals.readers_init.connect(use_parallel_reader)
    signals.article_generator_init.connect(read_ahead)
    signals.article_generator_finalized.connect(stop_reading_ahead)
