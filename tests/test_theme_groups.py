"""Working-group pages and the people/groups context on tiny sites of their
own (so the expectations come from the content written here): pagination as
groups/<slug>/page/N/, drafts and scheduled posts left out, and unknown
names handled without crashing."""

from __future__ import annotations

import datetime
import textwrap
from pathlib import Path

import feedparser
from pelican import Pelican
from pelican.contents import Article
from pelican.settings import read_settings
from pelican.urlwrappers import Author, Category

from chapter.context import annotate, get_people

ROOT = Path(__file__).resolve().parent.parent

PEOPLE = """\
[authors.ana-ruiz]
name = "Ana Ruiz"
bio = "Ana Ruiz is a member of the Test Chapter and an organizer of the Tenants Working Group."

[groups.tenants]
name = "Tenants Working Group"
kind = "working group"
description = "Tenant organizing."

[groups.steering-committee]
name = "Steering Committee"
kind = "committee"
description = "Runs the chapter between meetings."
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def post(folder: Path, slug: str, date: str, extra: str = "") -> None:
    write(
        folder / "posts" / f"{slug}.md",
        f"""\
        Title: Post {slug}
        Date: {date}
        Author: Ana Ruiz
        Group: tenants
        Tags: housing
        Summary: Summary of {slug}.
        {extra}
        Body of {slug}.
        """,
    )


def build(tmp_path: Path, **override) -> Path:
    content = tmp_path / "content"
    output = tmp_path / "output"
    settings = read_settings(
        str(ROOT / "pelicanconf.py"),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "CHAPTER_PEOPLE_FILE": str(content / "people.toml"),
            "PLUGINS": ["i18n", "chapter"],
            "CACHE_CONTENT": False,
            **override,
        },
    )
    Pelican(settings).run()
    return output


def listed(html: str) -> list[str]:
    import re

    return re.findall(r'class="entry-title"><a href="/((?:posts|statements)/[^"]+)"', html)


def test_group_pages_paginate_and_leave_out_drafts_and_scheduled_posts(tmp_path):
    content = tmp_path / "content"
    write(content / "people.toml", PEOPLE)
    for day in (1, 2, 3):
        post(content, f"p{day}", f"2026-08-0{day} 10:00")
    post(content, "drafted", "2026-08-04 10:00", "Status: draft")
    post(content, "scheduled", "2099-01-01 10:00")
    write(
        content / "statements" / "s1.md",
        """\
        Title: Statement s1
        Date: 2026-08-05 10:00
        Signed: tenants
        Tags: housing
        Summary: A statement.

        We demand.
        """,
    )
    output = build(tmp_path, DEFAULT_PAGINATION=2)

    first = (output / "groups/tenants/index.html").read_text(encoding="utf-8")
    second = (output / "groups/tenants/page/2/index.html").read_text(encoding="utf-8")
    assert listed(first) == ["statements/statement-s1/", "posts/post-p3/"]
    assert listed(second) == ["posts/post-p2/", "posts/post-p1/"]
    assert 'href="/groups/tenants/page/2/"' in first
    assert not (output / "groups/tenants/page/3").exists()
    for kind in ("atom", "rss"):
        feed = feedparser.parse((output / f"feeds/groups/tenants.{kind}.xml").read_bytes())
        titles = [e.title for e in feed.entries]
        assert titles == ["Statement s1", "Post p3", "Post p2", "Post p1"]
        assert "Body of p1" in feed.entries[-1].get("content", [{}])[0].get("value", "") + feed.entries[-1].get(
            "summary", ""
        )
    # A body with nothing published still gets its page and an empty feed.
    empty = (output / "groups/steering-committee/index.html").read_text(encoding="utf-8")
    assert listed(empty) == [] and "Nothing published yet" in empty
    assert feedparser.parse((output / "feeds/groups/steering-committee.atom.xml").read_bytes()).entries == []
    index = (output / "groups/index.html").read_text(encoding="utf-8")
    assert "/groups/tenants/" in index and "/groups/steering-committee/" in index


def article(settings, category: str, **meta) -> Article:
    metadata = {
        "title": "T",
        "date": datetime.datetime(2026, 8, 1, 10, 0),
        "category": Category(category, settings),
        **meta,
    }
    if "author" in metadata:
        metadata["author"] = Author(metadata["author"], settings)
    return Article("<p>x</p>", metadata=metadata, settings=settings, source_path="x.md")


def test_unknown_names_leave_the_fields_empty_instead_of_crashing(tmp_path):
    write(tmp_path / "people.toml", PEOPLE)
    settings = read_settings(
        str(ROOT / "pelicanconf.py"), override={"CHAPTER_PEOPLE_FILE": str(tmp_path / "people.toml")}
    )
    people = get_people(settings)

    known = article(settings, "Posts", author="Ana Ruiz", group="tenants")
    annotate(known, people, settings)
    assert known.person.slug == "ana-ruiz" and known.group.name == "Tenants Working Group"
    assert known.is_statement is False and known.signed_by is None

    stranger = article(settings, "Posts", author="Nobody Known", group="no-such-group")
    annotate(stranger, people, settings)
    assert stranger.person is None and stranger.group is None

    statement = article(settings, "Statements", signed="no-such-body")
    annotate(statement, people, settings)
    assert statement.is_statement and statement.signed_by.name == settings["SITENAME"]
    assert str(statement.author) == settings["SITENAME"] and statement.authors == []

    chapter = article(settings, "Statements", signed="chapter")
    annotate(chapter, people, settings)
    assert chapter.signed_by.kind == "chapter" and chapter.signed_by.url == ""

    by_committee = article(settings, "Statements", signed="steering-committee")
    annotate(by_committee, people, settings)
    assert str(by_committee.author) == "Steering Committee" and by_committee.person is None


def test_a_broken_people_file_does_not_crash_the_context(tmp_path, caplog):
    write(tmp_path / "people.toml", "[authors.x\nname = 1\n")
    settings = read_settings(
        str(ROOT / "pelicanconf.py"), override={"CHAPTER_PEOPLE_FILE": str(tmp_path / "people.toml")}
    )
    people = get_people(settings)
    assert people.authors == {} and people.groups == {}
    assert str(tmp_path / "people.toml") in caplog.text
