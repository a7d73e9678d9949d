"""Listing pages paginate as .../page/N/, so no two URLs can collide.

With Pelican's default patterns, page 2 of author `writer-1` is written as
`author/writer-12.html`, the very file of author `writer-12`'s first page.
"""

from __future__ import annotations

import re

from test_site_support import build, built_files, make_site, post

PER_PAGE = 10  # pelicanconf DEFAULT_PAGINATION
COUNT = PER_PAGE + 3  # each author needs a second page

PEOPLE = "".join(f'[authors.writer-{n}]\nname = "Writer {n}"\nbio = "Writes a lot."\n\n' for n in (1, 12))


def site_files():
    files = {}
    for n in (1, 12):
        for i in range(COUNT):
            files[f"posts/w{n}-{i:02d}.md"] = post(
                f"Note {i:02d} by writer {n}",
                date=f"2025-01-{i + 1:02d} {n:02d}:00",
                author=f"Writer {n}",
                Tags=f"shared, only-{n}",
            )
    return files


def titles_in(path):
    return set(re.findall(r"Note \d\d by writer \d+", path.read_text(encoding="utf-8")))


def test_authors_writer_1_and_writer_12_paginate_without_collision(tmp_path):
    site = make_site(tmp_path / "site", site_files(), people=PEOPLE)

    result = build(site)

    # Pelican refuses (fails the build) to write one file twice.
    assert result.returncode == 0, result.output
    output = site / "output"
    files = built_files(output)
    for n in (1, 12):
        first = output / f"authors/writer-{n}/index.html"
        second = output / f"authors/writer-{n}/page/2/index.html"
        assert first.is_file() and second.is_file()
        listed = titles_in(first) | titles_in(second)
        assert listed == {f"Note {i:02d} by writer {n}" for i in range(COUNT)}, n
        assert not titles_in(first) & titles_in(second)
        assert f"authors/writer-{n}/page/3/index.html" not in files
        assert (output / f"tags/only-{n}/page/2/index.html").is_file()
    shared = set()
    for page in sorted(p for p in files if p.startswith("tags/shared/")):
        shared |= titles_in(output / page)
    assert len(shared) == 2 * COUNT


def test_pelican_default_patterns_would_collide(tmp_path):
    # The same site with Pelican's default author URLs and pagination: the
    # collision the project's settings avoid (proves the site above is a
    # real test of it).
    defaults = (
        'AUTHOR_URL = "author/{slug}.html"\n'
        'AUTHOR_SAVE_AS = "author/{slug}.html"\n'
        "PAGINATION_PATTERNS = ((1, '{name}{extension}', '{name}{extension}'),"
        " (2, '{name}{number}{extension}', '{name}{number}{extension}'))\n"
    )
    site = make_site(tmp_path / "site", site_files(), people=PEOPLE, extra_settings=defaults)

    result = build(site)

    assert result.returncode != 0
    assert "author/writer-12.html" in result.output
