"""The interface's words in every language: the Spanish catalogue is
complete (this test fails when a template gains a word nobody translated),
placeholders survive translation, `invoke translations` reports what is
missing at its file:line and leaves a complete catalogue unchanged, and
one Jinja environment renders each page in its own language."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment

from i18n import catalogues, cli
from i18n.settings import Languages

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def languages(catalogue_dir: Path = ROOT / "theme" / "translations") -> Languages:
    return Languages.from_pelican({"DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en", "es"],
                                   "I18N_CATALOGUES": str(catalogue_dir), "ROOT": str(ROOT)})


def spanish_catalogue(path: Path | None = None):
    with open(path or catalogues.catalogue_path(languages(), "es"), "rb") as handle:
        return read_po(handle, locale="es")


def test_every_word_of_the_interface_has_a_spanish_translation():
    missing = cli.untranslated(languages(), cli.extract(ROOT))
    assert not missing, "\n".join(map(str, missing)) + "\nrun `invoke translations` and translate these"


def test_the_extraction_finds_the_theme_the_email_and_the_python_words():
    template = cli.extract(ROOT)
    places = {path for message in template for path, _ in message.locations}
    assert any(p.startswith("theme/templates/") for p in places)
    assert any(p.startswith("plugins/digest_email/templates/") for p in places)
    assert any(p.endswith(".py") for p in places)
    assert "Skip to main content" in {m.id for m in template}


def test_translations_keep_every_placeholder():
    for message in spanish_catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        wanted = set(PLACEHOLDER.findall(ids[-1])) | set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            # A singular may leave out %(num)s ("un artículo"); nothing else may go or come.
            found = set(PLACEHOLDER.findall(string))
            assert found <= wanted, f"{message.id!r}: {string!r} adds {found - wanted}"
            assert wanted - found <= {"num"}, f"{message.id!r}: {string!r} drops {wanted - found}"


def test_a_missing_or_fuzzy_word_is_reported_at_its_line(tmp_path):
    folder = tmp_path / "translations"
    shutil.copytree(ROOT / "theme" / "translations", folder)
    po = folder / "es" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgid "Skip to main content"\nmsgstr "', 'msgid "Skip to main content"\nmsgstr "" #"', 1)
    text = text.replace('msgid "Topics"\n', '#, fuzzy\nmsgid "Topics"\n', 1)
    po.write_text(re.sub(r'msgstr "" #"[^\n]*', 'msgstr ""', text), encoding="utf-8")
    found = {entry.msgid: entry for entry in cli.untranslated(languages(folder), cli.extract(ROOT))}
    assert set(found) == {"Skip to main content", "Topics"}
    assert not found["Skip to main content"].fuzzy and found["Topics"].fuzzy
    lines = po.read_text(encoding="utf-8").splitlines()
    assert lines[found["Skip to main content"].lineno - 1] == 'msgid "Skip to main content"'
    assert f"messages.po:{found['Topics'].lineno}: fuzzy" in str(found["Topics"])


def test_invoke_translations_reports_and_then_changes_nothing(tmp_path):
    project = tmp_path / "project"
    for part in ("theme/templates", "plugins"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "theme" / "translations", project / "theme" / "translations")
    conf = {"DEFAULT_LANG": "en", "I18N_LANGUAGES": ["en", "es"], "ROOT": str(project)}
    said: list[str] = []
    assert cli.translations(project, conf, out=said.append) == 0, said
    po = project / "theme" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
    before = po.read_bytes()
    said.clear()
    assert cli.translations(project, conf, out=said.append) == 0
    assert po.read_bytes() == before and any("up to date" in line for line in said)
    # A new word in a template: reported, and the exit status says so.
    base = project / "theme" / "templates" / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace(
        "</footer>", '<p>{{ _("A brand new sentence") }}</p></footer>'), encoding="utf-8")
    said.clear()
    assert cli.translations(project, conf, out=said.append) == 1
    assert any("not translated: 'A brand new sentence'" in line for line in said)
    assert (po.with_suffix(".mo")).exists()


def test_one_environment_renders_each_page_in_its_language():
    env = Environment(loader=DictLoader({"page.html": (
        '{{ _("Statements") }} · {{ day|date_long(page_lang) }} · '
        '{{ ngettext("%(num)s post", "%(num)s posts", 3) }}')}))
    catalogues.install(env, languages())
    import datetime

    day = datetime.date(2026, 10, 14)
    english = env.get_template("page.html").render(page_lang="en", day=day)
    spanish = env.get_template("page.html").render(page_lang="es", day=day)
    assert english == "Statements · October 14, 2026 · 3 posts"
    assert spanish.startswith("Comunicados · 14 de octubre de 2026 · 3 ")
    assert "posts" not in spanish


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
                          st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)),
                max_size=12, unique_by=lambda pair: pair[0]))
def test_catalogues_round_trip_through_po_files(pairs):
    catalog = Catalog(locale="es", domain="messages", charset="utf-8")
    for msgid, msgstr in pairs:
        catalog.add(msgid, msgstr)
    data = cli._po_bytes(catalog)
    again = read_po(io.BytesIO(data), locale="es")
    assert {m.id: m.string for m in again if m.id} == {m: s for m, s in pairs}
    out = io.BytesIO()
    write_po(out, again, width=0, sort_by_file=True, include_previous=True)
    assert cli._without_dates(out.getvalue()) == cli._without_dates(data)
