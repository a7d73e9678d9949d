"""Posts read with their Markdown converted in worker processes
(plugins/chapter/reading.py): the same site, byte for byte, as Pelican
reading alone; and a file a worker could not convert, or that changed since,
read by Pelican itself."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pelican.readers import MarkdownReader
from pelican.settings import read_settings

from chapter.convert import convert
from chapter.reading import ParallelMarkdownReader, ReadAhead, worker_count
from test_site_support import REPO, build, make_site, post, statement

needs_two_cores = pytest.mark.skipif(worker_count() < 2, reason="reading in parallel needs two cores")

BODIES = [
    # Typography, footnotes, a table, headings whose ids the toc extension must number alike.
    'He said "rent is due" -- and it wasn\'t... yet.[^1]\n\n[^1]: A footnote.\n\n'
    "## Why\n\nText.\n\n## Why\n\nAgain.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "*[HTML]: Hyper Text\n\nThe HTML page.\n\n<div markdown=\"1\">**bold** inside</div>\n\n```\ncode -- kept\n```\n",
    "- one\n- two\n\n1. first\n2. second\n\n> a quote with 'single' marks\n",
]


def _site_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for n in range(12):
        files[f"posts/note-{n:02d}.md"] = post(
            f"Note {n}: 'quotes' and -- dashes",
            date=f"2025-03-{n + 1:02d} 18:30",
            body=BODIES[n % len(BODIES)],
            summary=f'A *summary* with "quotes" number {n}.',
            tags="housing, transit",
        )
    # Dates all differ: Pelican orders posts of the same date as it happens to list the files.
    files["posts/other-extension.markdown"] = post("Another extension", date="2025-04-01 10:00", body=BODIES[0])
    # A byte order mark and Windows line ends: read as Pelican reads them.
    files["posts/bom.md"] = ("\ufeff" + post("With a BOM", date="2025-04-02 10:00", body=BODIES[1])).replace("\n", "\r\n").encode("utf-8")
    files["statements/on-rent.md"] = statement("On rent", date="2025-04-03 10:00", body=BODIES[2], summary="The **chapter** on rent.")
    return files


def _comparable(output: Path) -> dict[str, str]:
    """Every page and feed; a feed's own build-time stamp (an empty feed is dated when built) left out."""
    found = {}
    for path in sorted(output.rglob("*")):
        if path.suffix not in (".html", ".xml") or "pagefind" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".xml":
            text = re.sub(r"<(updated|lastBuildDate)>[^<]*</\1>", "", text)
        found[path.relative_to(output).as_posix()] = text
    return found


@needs_two_cores
def test_a_site_read_in_parallel_is_the_site_read_by_pelican_alone(tmp_path):
    site = make_site(tmp_path / "site", _site_files())
    parallel = build(site, tmp_path / "parallel", args=("-v", "-e", "CHAPTER_READ_IN_PARALLEL_FROM=1"))
    alone = build(site, tmp_path / "alone", args=("-v", "-e", "CHAPTER_READ_IN_PARALLEL_FROM=0"))
    assert parallel.returncode == 0, parallel.output
    assert alone.returncode == 0, alone.output
    assert re.search(r"Converting the Markdown of 15 files in \d+ worker processes", parallel.output), parallel.output
    assert "worker processes" not in alone.output
    pages = _comparable(tmp_path / "parallel")
    assert sum("A <em>summary</em> with" in text for text in pages.values()) >= 5
    assert pages == _comparable(tmp_path / "alone")


def _settings() -> dict:
    return read_settings(str(REPO / "pelicanconf.py"), override={"PATH": str(REPO / "content")})


def _write(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


@needs_two_cores
def test_files_the_workers_cannot_convert_are_read_by_pelican_with_its_own_error(tmp_path):
    conf = _settings()
    reader = ParallelMarkdownReader(conf)
    good = _write(tmp_path, "good.md", post("Good", summary="Fine."))
    bad = _write(tmp_path, "bad.md", b"Title: Bad\n\nLatin-1 \xe9 is not UTF-8\n")
    ahead = ReadAhead([bad, good], conf["MARKDOWN"], tuple(conf["FORMATTED_FIELDS"]), workers=2)
    try:
        assert ahead.take(bad) is None  # the worker failed on it; Pelican reads it
        converted = ahead.take(good)
        assert converted is not None and converted.body == "<p>A paragraph of text.</p>"
    finally:
        ahead.close()
    with pytest.raises(UnicodeDecodeError):
        reader.read(bad)


@needs_two_cores
def test_when_a_worker_dies_the_rest_is_read_in_the_build_process(tmp_path, caplog):
    conf = _settings()
    paths = [_write(tmp_path, f"p{n}.md", post(f"Post {n}", body=f"Body {n}.")) for n in range(40)]
    ahead = ReadAhead(paths, conf["MARKDOWN"], tuple(conf["FORMATTED_FIELDS"]), workers=2)
    reader = ParallelMarkdownReader(conf)
    reader.read_ahead = ahead
    for pid in list(ahead._executor._processes):  # private, but the only handle on the workers' pids
        os.kill(pid, signal.SIGKILL)
    try:
        read = [reader.read(path)[0] for path in paths]
    finally:
        ahead.close()
    assert read == [f"<p>Body {n}.</p>" for n in range(40)]
    assert "a reading process failed (BrokenProcessPool" in caplog.text


class _Converted:
    """A ReadAhead that has already converted one file (to test the reader's checks)."""

    def __init__(self, converted):
        self.converted = converted

    def take(self, path):
        return self.converted


def test_a_file_saved_after_its_worker_read_it_is_read_again(tmp_path):
    conf = _settings()
    path = _write(tmp_path, "post.md", post("First", body="Old words."))
    stale = convert(path, conf["MARKDOWN"], tuple(conf["FORMATTED_FIELDS"]))
    _write(tmp_path, "post.md", post("Second", body="New words, saved since."))
    reader = ParallelMarkdownReader(conf)
    reader.read_ahead = _Converted(stale)
    content, metadata = reader.read(path)
    assert content == "<p>New words, saved since.</p>"
    assert metadata["title"] == "Second"


# Text with what Markdown reads specially: emphasis, links, lists, HTML, entities, quotes.
_text = st.text(alphabet=st.sampled_from(list("ab \n*_#-`[]()<>&\"'.:1|!\\~>é\u00a0")), max_size=200)
_line = st.text(alphabet=st.sampled_from(list("ab *_-`\"'.é&<")), min_size=1, max_size=40).map(str.strip).filter(bool)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_line, summary=st.lists(_line, min_size=0, max_size=3), tags=st.lists(_line, max_size=3),
       body=_text, duplicate_title=st.booleans())
def test_replaying_a_workers_conversion_gives_what_pelican_reads(tmp_path, title, summary, tags, body,
                                                                 duplicate_title):
    conf = _settings()
    lines = [f"Title: {title}", "Date: 2025-03-14 18:30"]
    if duplicate_title:
        lines.append(f"Title: {title} again")
    if summary:
        lines.append(f"Summary: {summary[0]}")
        lines += [f"    {more}" for more in summary[1:]]
    if tags:
        lines.append("Tags: " + ", ".join(t.replace(",", " ") for t in tags))
    path = _write(tmp_path, "generated.md", "\n".join(lines) + "\n\n" + body + "\n")
    expected = MarkdownReader(conf).read(path)
    reader = ParallelMarkdownReader(conf)
    reader.read_ahead = _Converted(convert(path, conf["MARKDOWN"], tuple(conf["FORMATTED_FIELDS"])))
    assert reader.read(path) == expected
