"""`invoke check` and the build refuse invalid content, naming file and line.

Every kind of error is driven twice: through `chapter.cli.check` (what
`invoke check` runs) and through a real `pelican` build in a subprocess
(what `invoke build` runs), which must exit non-zero instead of silently
dropping the post.
"""

from __future__ import annotations

import pytest
from test_site_support import build, make_site, post, statement

from chapter import cli


def line_of(text: str, marker: str) -> int:
    """1-based number of the first line of text containing marker."""
    for number, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in the fixture")


# (id, relative path, file text, marker on the offending line, words of the message)
CASES = [
    (
        "missing-title",
        "posts/untitled.md",
        "Date: 2025-03-14 18:30\nAuthor: Rosa Delgado\n\nNo title here.\n",
        "Date:",  # no Title line: reported at the top of the file
        "no Title: line",
    ),
    (
        "missing-date",
        "posts/undated.md",
        "Title: Undated\nAuthor: Rosa Delgado\n\nWhen was this?\n",
        "Title:",
        "no Date: line",
    ),
    (
        "unparseable-date",
        "posts/bad-date.md",
        post("Bad date", date="2025-02-30 18:30"),
        "Date:",
        "'2025-02-30 18:30' is not a date",
    ),
    (
        "vague-date",
        "posts/vague-date.md",
        post("Vague date", date="next Tuesday"),
        "Date:",
        "write it as YYYY-MM-DD HH:MM",
    ),
    (
        "unknown-category",
        "posts/opinion.md",
        post("Opinion piece", Category="Opinion"),
        "Category:",
        "unknown category 'Opinion'",
    ),
    (
        "folder-not-a-category",
        "posts/old/archived.md",
        post("From an old folder"),
        "Title:",
        "folder 'old' is not a category",
    ),
    (
        "unknown-author",
        "posts/typo.md",
        post("Typo in the byline", author="Rosa Delgato"),
        "Author:",
        "author 'Rosa Delgato' is not declared in content/people.toml; did you mean 'Rosa Delgado'?",
    ),
    (
        "missing-author",
        "posts/anonymous.md",
        post("Nobody wrote this", author=None),
        "Title:",
        "no Author: line",
    ),
    (
        "unknown-group",
        "posts/grouped.md",
        post("For a group", Group="sanctuary"),
        "Group:",
        "Group: 'sanctuary' is not a group declared in content/people.toml",
    ),
    (
        "unknown-signed-body",
        "statements/harbor.md",
        statement("Signed by a stranger", signed="harbor-city"),
        "Signed:",
        "Signed: 'harbor-city' is not a group declared",
    ),
    (
        "statement-with-author",
        "statements/authored.md",
        statement("Signed by a person", Author="Rosa Delgado"),
        "Author:",
        "statements are signed by a body, not a person",
    ),
    (
        "broken-internal-link",
        "posts/linker.md",
        post("Links", body="Intro.\n\nRead [the earlier post]({filename}/posts/gone.md) first."),
        "{filename}",
        "broken link {filename}/posts/gone.md: content/posts/gone.md does not exist",
    ),
    (
        "broken-static-link",
        "posts/minutes.md",
        post("Minutes", body="The [minutes]({static}/files/minutes.pdf) are here."),
        "{static}",
        "broken link {static}/files/minutes.pdf: content/files/minutes.pdf does not exist",
    ),
    (
        "missing-markdown-image",
        "posts/chart.md",
        post("Chart", body="Before.\n\n![Rents by year](/images/rents.png)\n\nAfter."),
        "![",
        "missing image /images/rents.png: content/images/rents.png does not exist",
    ),
    (
        "missing-html-image",
        "posts/figure.md",
        post("Figure", body='<figure>\n<img src="{static}/images/flyer.svg" alt="The flyer">\n</figure>'),
        "<img",
        "broken image {static}/images/flyer.svg: content/images/flyer.svg does not exist",
    ),
    (
        "relative-image",
        "posts/relative.md",
        post("Relative", body="![Photo of the meeting](meeting.jpg)"),
        "![",
        "missing image meeting.jpg: content/posts/meeting.jpg does not exist",
    ),
    (
        "remote-image",
        "posts/remote.md",
        post("Remote", body="![A photo](https://photos.example.net/rally.jpg)"),
        "![",
        "is loaded from another site",
    ),
    (
        "unknown-status",
        "posts/status.md",
        post("Status typo", Status="drat"),
        "Status:",
        "Status: 'drat' is not one of published, draft, hidden",
    ),
    (
        "metadata-key-typo",
        "posts/auther.md",
        "Title: Key typo\nDate: 2025-03-14 18:30\nAuthor: Rosa Delgado\nSumary: Short.\n\nText.\n",
        "Sumary:",
        "unknown metadata key 'Sumary'; did you mean 'summary'?",
    ),
]

# A valid neighbour in every site: errors must name the broken file only.
GOOD = {"posts/fine.md": post("A fine post", Group="sanctuary-city")}


@pytest.mark.parametrize(("rel", "text", "marker", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_reports_file_line_and_fix(tmp_path, monkeypatch, capsys, rel, text, marker, message):
    site = make_site(tmp_path / "site", {**GOOD, rel: text})
    monkeypatch.chdir(site)  # as `invoke check` runs from the project root

    code = cli.check(site, site / "siteconf.py")

    out = capsys.readouterr()
    assert code == 1
    expected = f"content/{rel}:{line_of(text, marker)}: "
    problem_lines = [line for line in out.out.splitlines() if line.startswith(expected)]
    assert problem_lines, f"no {expected!r} in:\n{out.out}"
    assert any(message in line for line in problem_lines), out.out
    assert "content/posts/fine.md" not in out.out
    assert "1 file" in out.err


@pytest.mark.parametrize(("rel", "text", "marker", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_build_fails_naming_file_and_line(tmp_path, rel, text, marker, message):
    site = make_site(tmp_path / "site", {**GOOD, rel: text})

    result = build(site)

    assert result.returncode != 0, result.output
    expected = f"content/{rel}:{line_of(text, marker)}: "
    assert any(expected in line and message in line for line in result.output.splitlines()), result.output
    assert "nothing was published" in result.output
    # The message is the whole story; a Python traceback would bury it.
    assert "Traceback" not in result.output
    assert not (site / "output" / "posts" / "a-fine-post" / "index.html").exists()


def test_valid_site_passes_check_and_builds(tmp_path, monkeypatch, capsys):
    files = {
        **GOOD,
        "images/flyer.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        "posts/linked.md": post(
            "Linked",
            author="Tomasz Wren",
            body=(
                "See [the fine post]({filename}/posts/fine.md) and [the statement]({filename}../statements/s.md).\n\n"
                "![The flyer]({static}/images/flyer.svg)\n\n"
                '<img src="/images/flyer.svg" alt="The flyer again">\n\n'
                "```\n![not an image, just code](nowhere.png) and {filename}/nowhere.md\n```\n\n"
                "Inline `{static}/not/checked.pdf` code is not a link."
            ),
            Tags="housing, tenants",
            Summary="Links and pictures that all exist.",
        ),
        "statements/s.md": statement("A statement", signed="steering-committee"),
        "statements/c.md": statement("Another statement", signed="chapter"),
        "pages/about.md": "Title: About\n\nAbout the chapter.\n",
    }
    site = make_site(tmp_path / "site", files)
    monkeypatch.chdir(site)

    assert cli.check(site, site / "siteconf.py") == 0
    markdown_files = sum(1 for rel in files if rel.endswith(".md"))
    assert f"{markdown_files} content files checked: no problems." in capsys.readouterr().out

    result = build(site)
    assert result.returncode == 0, result.output
    assert (site / "output" / "posts" / "linked" / "index.html").is_file()
    assert (site / "output" / "statements" / "a-statement" / "index.html").is_file()


def test_header_ended_early_is_pointed_at(tmp_path, monkeypatch, capsys):
    # "Publish date" has a space, so Markdown ends the metadata there and
    # reads the rest as text: the writer must be sent to that line.
    text = "Title: Early end\nPublish date: 2025-03-14\nDate: 2025-03-14 18:30\nAuthor: Rosa Delgado\n\nText.\n"
    site = make_site(tmp_path / "site", {"posts/early.md": text})
    monkeypatch.chdir(site)

    assert cli.check(site, site / "siteconf.py") == 1
    out = capsys.readouterr().out
    assert f"content/posts/early.md:{line_of(text, 'Publish date')}: no Date: line in the metadata block" in out
    assert "'Publish date: 2025-03-14' is not a `Key: value` line" in out


def test_broken_people_file_is_reported_with_its_line(tmp_path, monkeypatch, capsys):
    people = '[authors.rosa-delgado]\nname = "Rosa Delgado\n'  # unterminated string on line 2
    site = make_site(tmp_path / "site", {"posts/fine.md": post("Fine")}, people=people)
    monkeypatch.chdir(site)

    assert cli.check(site, site / "siteconf.py") == 1
    out = capsys.readouterr().out
    assert "content/people.toml:2: " in out
    assert "fix the TOML syntax" in out


def test_placeholders_from_new_block_publishing(tmp_path, monkeypatch, capsys):
    site = make_site(tmp_path / "site", {})
    monkeypatch.chdir(site)
    assert cli.new(site, site / "siteconf.py", kind="post", title="Unfinished thoughts") == 0
    path = site / "content" / "posts" / "unfinished-thoughts.md"
    capsys.readouterr()
    # Deleting the draft line without writing anything must not publish the scaffold.
    path.write_text(path.read_text(encoding="utf-8").replace("Status: draft\n", ""), encoding="utf-8")

    assert cli.check(site, site / "siteconf.py") == 1
    out = capsys.readouterr().out
    assert "content/posts/unfinished-thoughts.md" in out
    assert "Summary: is still the placeholder" in out
    assert "the note from `invoke new` is still here" in out
    assert "placeholder text from `invoke new`" in out


def test_pelican_reader_failure_fails_the_build_with_the_reason(tmp_path):
    # Our checks read Markdown; Pelican also reads HTML files in posts/.
    # One it cannot read (a date it cannot parse) must fail the build too.
    legacy = (
        "<html><head><title>Old page</title>"
        '<meta name="date" content="sometime in spring">'
        "</head><body><p>Imported from the old site.</p></body></html>"
    )
    site = make_site(tmp_path / "site", {**GOOD, "posts/legacy.html": legacy})

    result = build(site)

    assert result.returncode != 0, result.output
    lines = [line for line in result.output.splitlines() if "content/posts/legacy.html:1: " in line]
    assert lines, result.output
    assert "Pelican could not read this file" in lines[0]
    assert "'sometime in spring' is not a valid date" in lines[0]


def test_pelican_skipping_a_file_fails_the_build(tmp_path):
    # Bare Pelican logs "Skipping ...: could not find information about
    # 'title'" and builds the site without the file; we fail instead.
    site = make_site(tmp_path / "site", {**GOOD, "posts/untitled.html": "<html><body>No head.</body></html>"})

    result = build(site)

    assert result.returncode != 0, result.output
    assert any("content/posts/untitled.html:1: Pelican could not read" in line for line in result.output.splitlines())


def test_two_posts_with_one_address_are_caught(tmp_path, monkeypatch, capsys):
    # Same title, same category: Pelican would stop with a "Failed to
    # overwrite" traceback; check names both files and the fix instead.
    files = {
        "posts/first.md": post("Rally at City Hall"),
        "posts/second.md": post("Rally at City Hall", date="2025-04-01 12:00"),
        # Same title in another category, or with its own Slug, is fine.
        "statements/rally.md": statement("Rally at City Hall"),
        "posts/third.md": post("Rally at City Hall", Slug="rally-at-city-hall-april"),
    }
    site = make_site(tmp_path / "site", files)
    monkeypatch.chdir(site)

    assert cli.check(site, site / "siteconf.py") == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("content/")]
    assert lines == [
        "content/posts/second.md:1: content/posts/first.md already has the address posts/rally-at-city-hall/; "
        "one would overwrite the other. Change the title, or add a `Slug: rally-at-city-hall-2` line"
    ]

    result = build(site)
    assert result.returncode != 0
    assert "content/posts/second.md:1: content/posts/first.md already has the address" in result.output
