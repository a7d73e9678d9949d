"""The docs cannot drift: links resolve, messages point to sections that exist,
and docs/settings.md lists every setting the plugins read, with their defaults.

Everything here reads files only (no build), so it is fast and deterministic.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
SETTING = re.compile(r"\b(?:CHAPTER|DIGEST|SEARCH)_[A-Z0-9_]*[A-Z0-9]\b")
# Where messages and comments that point readers to a document live.
MESSAGE_FILES = sorted(
    [*(REPO / "plugins").rglob("*.py"), *(REPO / "plugins").rglob("*.html"), *(REPO / "tools").glob("*.py"),
     *(REPO / "bench").glob("*.py"), *(REPO / "content" / "digest").glob("*"), *(REPO / "theme").rglob("*.html"),
     REPO / "tasks.py", REPO / "pelicanconf.py", REPO / "publishconf.py", REPO / "Makefile", REPO / "pyproject.toml"]
)
# "see docs/editors.md, section “The sources file”" (the section part is optional).
POINTER = re.compile(r"(?P<path>(?:docs/[\w./-]+\.md|README(?:\.md)?))(?:'s)?(?:,? section “(?P<section>[^”]+)”)?")


def _strip_code(text: str) -> str:
    """The text without fenced code blocks (whose `#` lines are not headings)."""
    return re.sub(r"^```.*?^```[^\n]*$", "", text, flags=re.S | re.M)


def headings(path: Path) -> list[str]:
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6} +(.+?) *#*$", _strip_code(path.read_text("utf-8")), re.M)]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def markdown_links(path: Path) -> list[tuple[int, str]]:
    links = []
    fence = False
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        if fence:
            continue
        line = re.sub(r"`[^`]*`", "", line)  # inline code is not a link
        links += [(number, m.group(1)) for m in re.finditer(r"\]\(([^)\s]+)\)", line)]
    return links


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_link_in_the_docs_resolves(doc):
    broken = []
    for number, target in markdown_links(doc):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: other sites are not checked offline
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (doc.parent / file_part).resolve() if file_part else doc
        where = f"{doc.relative_to(REPO)}:{number}: {target}"
        if not resolved.exists():
            broken.append(f"{where}: {file_part} does not exist")
        elif anchor and resolved.suffix == ".md" and anchor not in {slug(h) for h in headings(resolved)}:
            broken.append(f"{where}: no heading with anchor #{anchor} in {resolved.relative_to(REPO)}")
    assert not broken, "\n".join(broken)


def test_the_link_checker_catches_a_broken_anchor_and_file(tmp_path):
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n## The feed archive\n\n[ok](#the-feed-archive) [bad](#the-feeds)\n"
                   "```\n## not a heading\n[in code](missing.md)\n```\n", encoding="utf-8")
    assert [t for _, t in markdown_links(doc)] == ["#the-feed-archive", "#the-feeds"]
    assert "the-feeds" not in {slug(h) for h in headings(doc)}
    assert headings(doc) == ["Guide", "The feed archive"]
    assert slug("Writer's guide") == "writers-guide"
    assert slug("Links and pictures") == "links-and-pictures"


def pointers() -> list[tuple[str, str, str | None]]:
    found = []
    for path in MESSAGE_FILES:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            for m in POINTER.finditer(line):
                found.append((f"{path.relative_to(REPO)}:{number}", m.group("path"), m.group("section")))
    return found


def test_messages_and_comments_point_to_documents_and_sections_that_exist():
    found = pointers()
    # The messages this project has today (for sources, the archive, SMTP) must be found,
    # or the pattern above stopped matching them and this test checks nothing.
    assert sum(1 for _, _, section in found if section) >= 5, found
    broken = []
    for where, target, section in found:
        path = REPO / (target if target.endswith(".md") else "README.md")
        if not path.is_file():
            broken.append(f"{where}: {target} does not exist")
        elif section and section not in headings(path):
            broken.append(f"{where}: {target} has no section “{section}” (its sections: {headings(path)})")
    assert not broken, "\n".join(broken)


def test_no_message_sends_readers_to_a_readme_section():
    # The README is a front page now; guides live in docs/.
    stale = [f"{where}: {target}, section “{section}”" for where, target, section in pointers()
             if target.startswith("README") and section]
    assert not stale, "\n".join(stale)


def test_paths_the_docs_name_exist():
    """`plugins/...`, `tests/...`, `bench/...`, `tools/...`, `theme/...` and `docs/...` in the guides."""
    missing = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text("utf-8").splitlines(), 1):
            for m in re.finditer(r"`((?:plugins|tests|bench|tools|theme|docs)/[^`\s]*)`", line):
                name = m.group(1).rstrip("/")
                if re.search(r"[<{*…]|YYYY", name):
                    continue  # a pattern, not a path
                if not (REPO / name).exists():
                    missing.append(f"{doc.relative_to(REPO)}:{number}: {name}")
    assert not missing, "\n".join(missing)


# --- docs/settings.md against the code ------------------------------------------------------


def settings_read_by_the_plugins() -> set[str]:
    names = set()
    for path in (REPO / "plugins").rglob("*.py"):
        names |= set(re.findall(r"[\"']((?:CHAPTER|DIGEST|SEARCH)_[A-Z0-9_]*[A-Z0-9])[\"']", path.read_text("utf-8")))
    return names


def _literal(node, constants: dict[str, object]):
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id]
    if isinstance(node, ast.Attribute) and node.attr in constants:  # cls.concurrency
        return constants[node.attr]
    return ast.literal_eval(node)


def code_defaults() -> dict[str, list[tuple[str, object]]]:
    """Each setting's default(s) as written in plugins/: in dicts keyed by setting name
    (DEFAULTS), in `settings.get("NAME", default)` / `settings.get("NAME") or default`,
    and in dataclass fields commented with the setting's name (FetchSettings).
    Values that are not literals (computed defaults) are skipped."""
    found: dict[str, list[tuple[str, object]]] = {}

    def add(name, value_node, where, constants):
        try:
            value = _literal(value_node, constants)
        except (ValueError, TypeError, SyntaxError, KeyError):
            return
        found.setdefault(name, []).append((where, value))

    for path in sorted((REPO / "plugins").rglob("*.py")):
        source = path.read_text("utf-8")
        tree = ast.parse(source)
        rel = path.relative_to(REPO).as_posix()
        constants: dict[str, object] = {}
        for node in ast.walk(tree):
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else getattr(
                node, "target", None)
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(target, ast.Name) and node.value:
                try:
                    constants[target.id] = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError):
                    pass
        # A dict of overrides (the preview's PREVIEW_OVERRIDES) changes settings; it holds no defaults.
        overrides = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and any(isinstance(t, ast.Name) and t.id.endswith("OVERRIDES") for t in node.targets)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict) and id(node) not in overrides:
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str) and SETTING.fullmatch(key.value):
                        add(key.value, value, f"{rel}:{key.lineno}", constants)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
                args = node.args
                if len(args) == 2 and isinstance(args[0], ast.Constant) and SETTING.fullmatch(str(args[0].value)):
                    add(args[0].value, args[1], f"{rel}:{node.lineno}", constants)
            elif isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2:
                first, fallback = node.values
                if (isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "get"
                        and len(first.args) == 1 and isinstance(first.args[0], ast.Constant)
                        and SETTING.fullmatch(str(first.args[0].value))):
                    add(first.args[0].value, fallback, f"{rel}:{node.lineno}", constants)
        for number, line in enumerate(source.splitlines(), 1):
            m = re.match(r"\s*\w+\s*:\s*[\w\[\], |]+=\s*(?P<value>[^#]+?)\s*#\s*(?P<name>(?:CHAPTER|DIGEST|SEARCH)_\w+)", line)
            if m:
                try:
                    found.setdefault(m.group("name"), []).append((f"{rel}:{number}", ast.literal_eval(m.group("value"))))
                except (ValueError, SyntaxError):
                    pass
    return found


def settings_table() -> dict[str, tuple[int, str]]:
    rows = {}
    for number, line in enumerate((REPO / "docs" / "settings.md").read_text("utf-8").splitlines(), 1):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) >= 3:
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
                rows[name] = (number, cells[1])
    return rows


def test_every_setting_the_plugins_read_is_in_the_settings_reference():
    read = settings_read_by_the_plugins()
    assert {"CHAPTER_PEOPLE_FILE", "DIGEST_FETCH_MAX_BYTES", "DIGEST_EMAIL_FROM"} <= read  # the scan works
    missing = sorted(read - set(settings_table()))
    assert not missing, f"docs/settings.md has no row for: {', '.join(missing)}; add one to its table"


def test_every_setting_in_the_reference_exists_in_the_code():
    documented = {name for name in settings_table() if SETTING.fullmatch(name)}
    unknown = sorted(documented - settings_read_by_the_plugins())
    assert not unknown, f"docs/settings.md documents settings no plugin reads: {', '.join(unknown)}"


def test_the_defaults_in_the_settings_reference_match_the_code():
    table = settings_table()
    defaults = code_defaults()
    # Enough defaults are found that this test means something.
    assert {"DIGEST_EXCERPT_WORDS", "DIGEST_FETCH_CONCURRENCY", "CHAPTER_GROUP_URL"} <= set(defaults)
    compared, wrong = 0, []
    for name, (number, cell) in sorted(table.items()):
        shown = re.match(r"`([^`]+)`", cell)
        if not shown or name not in defaults:
            continue  # described in words ("unset", "SITEURL, else …"): nothing literal to compare
        try:
            value = ast.literal_eval(shown.group(1).replace("\\|", "|"))
        except (ValueError, SyntaxError):
            continue
        compared += 1
        for where, code_value in defaults[name]:
            if code_value != value:
                wrong.append(f"docs/settings.md:{number}: {name} shows {value!r}, {where} has {code_value!r}")
    assert compared >= 20, compared
    assert not wrong, "\n".join(wrong)
