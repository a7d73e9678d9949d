"""A post's Markdown converted in a worker process, as Pelican's MarkdownReader
would convert it (chapter/reading.py explains the split). This module imports
only Markdown: each worker is forked from a server that imported it once
(chapter/processes.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from markdown import Markdown


@dataclass(frozen=True)
class Converted:
    """One file's Markdown as a worker converted it."""

    stamp: tuple[int, int]  # (mtime in ns, size) of the file the worker read
    body: str
    meta: dict[str, list[str]] | None  # Markdown's `Meta`: lower-case name -> its lines
    formatted: dict[str, str]  # a formatted field's text -> its HTML


def file_stamp(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_mtime_ns, status.st_size


def convert(path: str, markdown_settings: dict, formatted_fields: tuple[str, ...]) -> Converted:
    """What MarkdownReader.read converts, in the order it converts it."""
    stamp = file_stamp(path)
    with open(path, encoding="utf-8-sig") as handle:  # as pelican.utils.pelican_open reads
        text = handle.read()
    markdown = Markdown(**markdown_settings)
    body = markdown.convert(text)
    meta = getattr(markdown, "Meta", None)
    formatted: dict[str, str] = {}
    if meta is not None:
        markdown.preprocessors.deregister("meta")
        for name, lines in meta.items():
            if name.lower() in formatted_fields:
                joined = "\n".join(lines)
                markdown.reset()
                formatted[joined] = markdown.convert(joined)
    return Converted(stamp, body, meta, formatted)


# A worker's settings, set once when it starts (`start_worker`).
_worker_settings: tuple[dict, tuple[str, ...]] = ({}, ())


def start_worker(markdown_settings: dict, formatted_fields: tuple[str, ...]) -> None:
    global _worker_settings
    _worker_settings = (markdown_settings, formatted_fields)


def convert_chunk(paths: list[str]) -> list[Converted | None]:
    results: list[Converted | None] = []
    for path in paths:
        try:
            results.append(convert(path, *_worker_settings))
        except Exception:  # noqa: BLE001 - the build reads this file itself and reports why
            results.append(None)
    return results
