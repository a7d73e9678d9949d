"""A bilingual site's content errors (issue #12), named by file and line:
a translation whose original is missing, a `Lang:` the site does not
publish, two files with one language and slug, and a post in Spanish naming
a group that has no Spanish name; and people.toml's per-language sub-tables
([authors.<slug>.es], [groups.<slug>.es]) with their own errors.

The content checks run through `chapter.cli.check` (what `invoke check`
runs) on tiny sites from tests/test_site_support.py, and once through a real
`pelican` build, which must stop before publishing.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_site_support import PEOPLE, REPO, build, make_site, post, statement
from test_site_validate import line_of

from chapter import cli
from chapter.errors import PeopleFileError
from chapter.people import Group, Person, load_people

# The catalogues are named in one message; relative, they are the site's own theme/translations.
LANGUAGES = 'I18N_LANGUAGES = ["en", "es"]\nDEFAULT_LANG = "en"\nI18N_CATALOGUES = "theme/translations"\n'

# The Sanctuary City group has a Spanish name; the Steering Committee has none.
BILINGUAL_PEOPLE = (
    PEOPLE
    + """
[groups.sanctuary-city.es]
name = "Grupo de Trabajo Ciudad Santuario"
description = "Talleres de Conozca sus derechos y la línea de respuesta rápida."

[authors.rosa-delgado.es]
bio = "Rosa organiza con el Grupo de Trabajo Ciudad Santuario."
"""
)

# Every way of being a valid translation, plus a post only in Spanish.
GOOD = {
    # An English original and its Spanish version sharing a slug.
    "posts/rally.md": post("Rally at the county jail", Group="sanctuary-city"),
    "posts/rally.es.md": post(
        "Concentración frente a la cárcel del condado", Slug="rally-at-the-county-jail", Lang="es",
        Group="sanctuary-city",
    ),
    # Translation-of by the original's slug; the translation keeps its own slug.
    "statements/end-the-detainer-agreement.md": statement(
        "End the detainer agreement", signed="sanctuary-city"
    ),
    "statements/fin-al-acuerdo.es.md": statement(
        "Fin al acuerdo de retenciones", signed="sanctuary-city", Lang="es",
        **{"Translation-of": "end-the-detainer-agreement"},
    ),
    # Translation-of by path (relative to content/), for a page.
    "pages/about.md": "Title: About\n\nAbout the chapter.\n",
    "pages/quienes-somos.md": "Title: Quiénes somos\nLang: es\nTranslation-of: pages/about.md\n\nEl capítulo.\n",
    # Translations walked before their originals (a- sorts before z-).
    "posts/a-vigilia.es.md": post(
        "Vigilia en el cruce", Lang="es", **{"Translation-of": "zebra-crossing-vigil"}
    ),
    "posts/a-tenants.es.md": post(
        "Asamblea de inquilinos", Slug="tenants-assembly", Lang="es", Translation="true"
    ),
    "posts/zebra.md": post("Zebra crossing vigil"),
    "posts/zz-tenants.md": post("Tenants assembly"),
    # Only in Spanish, for a group that has a Spanish name.
    "posts/solo.es.md": post("Solo en español", Lang="es", Group="sanctuary-city"),
}


def check(tmp_path, monkeypatch, capsys, files, *, people=BILINGUAL_PEOPLE, extra_settings=LANGUAGES):
    """(exit code, the `content/...` problem lines) of `invoke check` on a tiny site."""
    site = make_site(tmp_path / "site", files, people=people, extra_settings=extra_settings)
    monkeypatch.chdir(site)  # as `invoke check` runs from the project root
    code = cli.check(site, site / "siteconf.py")
    out = capsys.readouterr().out
    return code, [line for line in out.splitlines() if line.startswith(("content/", "pelicanconf.py"))]


def test_valid_translations_pass(tmp_path, monkeypatch, capsys):
    code, problems = check(tmp_path, monkeypatch, capsys, GOOD)
    assert problems == []
    assert code == 0


# (id, relative path, file text, marker on the offending line, the whole message)
CASES = [
    (
        "translation-of-unknown-slug",
        "statements/typo.es.md",
        statement("Una errata", signed="sanctuary-city", Lang="es",
                  **{"Translation-of": "end-the-detainer-agrement"}),
        "Translation-of:",
        "Translation-of: 'end-the-detainer-agrement' names no original: no English post or statement has the "
        "slug 'end-the-detainer-agrement'; did you mean 'end-the-detainer-agreement'? Write the original's slug, "
        "or its path under content/ (e.g. `Translation-of: statements/<file>.md`)",
    ),
    (
        "translation-of-unknown-path",
        "statements/typo.es.md",
        statement("Una errata", signed="sanctuary-city", Lang="es",
                  **{"Translation-of": "statements/end-the-detainer-agreemnt.md"}),
        "Translation-of:",
        "Translation-of: 'statements/end-the-detainer-agreemnt.md' names no original: there is no file "
        "content/statements/end-the-detainer-agreemnt.md; did you mean 'statements/end-the-detainer-agreement.md'? "
        "Write the original's slug, or its path under content/ (e.g. `Translation-of: statements/<file>.md`)",
    ),
    (
        # A page's slug does not name an article's original: same kind only.
        "translation-of-a-page-from-a-post",
        "posts/sobre.es.md",
        post("Sobre nosotros", Lang="es", **{"Translation-of": "about"}),
        "Translation-of:",
        "Translation-of: 'about' names no original: no English post or statement has the slug 'about'. "
        "Write the original's slug, or its path under content/ (e.g. `Translation-of: statements/<file>.md`)",
    ),
    (
        "translation-without-original",
        "posts/huerfano.es.md",
        post("Huérfano", Slug="rally-at-county-jail", Lang="es", Translation="true"),
        "Translation:",
        "Translation: true but no English post or statement has this file's slug 'rally-at-county-jail' "
        "(a translation shares its original's slug); did you mean 'rally-at-the-county-jail'? Add a `Slug:` "
        "line with the original's slug, or name the original with `Translation-of: <its slug or path>` instead",
    ),
    (
        "language-not-in-the-setting",
        "posts/bonjour.md",
        post("Bonjour", Lang="fr"),
        "Lang:",
        "Lang: 'fr' (French) is not one of the site's languages (I18N_LANGUAGES: en, es); fix the code, "
        "or add 'fr' to I18N_LANGUAGES in pelicanconf.py together with its catalogue "
        "theme/translations/fr/LC_MESSAGES/messages.po",
    ),
    (
        "language-in-upper-case",
        "posts/mayusculas.md",
        post("Mayúsculas", Lang="ES"),
        "Lang:",
        "Lang: 'ES' is not one of the site's languages (I18N_LANGUAGES: en, es); write the code in lower "
        "case, as I18N_LANGUAGES does: `Lang: es`",
    ),
    (
        "language-with-a-region",
        "posts/region.md",
        post("Con región", Lang="es-MX"),
        "Lang:",
        "Lang: 'es-MX' is not one of the site's languages (I18N_LANGUAGES: en, es); the site's languages "
        "are plain language codes, without a region: write `Lang: es`",
    ),
    (
        "language-by-name",
        "posts/nombre.md",
        post("Por nombre", Lang="Spanish"),
        "Lang:",
        "Lang: 'Spanish' is not one of the site's languages (I18N_LANGUAGES: en, es); write the language's "
        "code: `Lang: es`",
    ),
    (
        "two-spanish-files-one-slug",
        "posts/zz-otra.es.md",
        post("Otra concentración", Slug="rally-at-the-county-jail", Lang="es"),
        "Slug:",
        "content/posts/rally.es.md already has the address es/posts/rally-at-the-county-jail/; one would "
        "overwrite the other. Change the title, or add a `Slug: rally-at-the-county-jail-2` line",
    ),
    (
        "translation-without-lang",
        "posts/zz-sin-idioma.md",
        post("Sin idioma", Slug="rally-at-the-county-jail", Translation="true"),
        "Slug:",
        "content/posts/rally.md already has the address posts/rally-at-the-county-jail/; one would "
        "overwrite the other. The translation needs a `Lang:` line naming its language (e.g. `Lang: es`)",
    ),
    (
        "group-without-spanish-name",
        "posts/comite.es.md",
        post("Presupuesto", Lang="es", Group="steering-committee"),
        "Group:",
        'the Steering Committee has no Spanish name: add [groups.steering-committee.es] name = "..." '
        "to content/people.toml",
    ),
    (
        "signed-by-a-group-without-spanish-name",
        "statements/comite.es.md",
        statement("Declaración del comité", signed="steering-committee", Lang="es"),
        "Signed:",
        'the Steering Committee has no Spanish name: add [groups.steering-committee.es] name = "..." '
        "to content/people.toml",
    ),
]


@pytest.mark.parametrize(("rel", "text", "marker", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_names_file_line_and_fix(tmp_path, monkeypatch, capsys, rel, text, marker, message):
    code, problems = check(tmp_path, monkeypatch, capsys, {**GOOD, rel: text})

    assert problems == [f"content/{rel}:{line_of(text, marker)}: {message}"]
    assert code == 1


def test_a_same_slug_in_another_category_or_language_is_no_clash(tmp_path, monkeypatch, capsys):
    files = {
        **GOOD,
        # The Spanish statement shares the Spanish post's slug, in another category.
        "statements/rally.es.md": statement(
            "Concentración", Slug="rally-at-the-county-jail", Lang="es", Translation="true"
        ),
        # An English page and a Spanish page with one slug are a page and its translation.
        "pages/contact.md": "Title: Contact\n\nWrite to us.\n",
        "pages/contacto.md": "Title: Contacto\nSlug: contact\nLang: es\n\nEscríbenos.\n",
    }
    code, problems = check(tmp_path, monkeypatch, capsys, files)
    # The statement's original is the English post: Pelican pairs articles by slug across categories.
    assert problems == []
    assert code == 0


def test_language_settings_that_leave_out_the_default_are_reported(tmp_path, monkeypatch, capsys):
    code, problems = check(
        tmp_path, monkeypatch, capsys, {"posts/fine.md": post("Fine")},
        extra_settings='I18N_LANGUAGES = ["es"]\nDEFAULT_LANG = "en"\n',
    )
    assert problems == ["pelicanconf.py:1: I18N_LANGUAGES = ['es'] leaves out DEFAULT_LANG ('en'); add it to the list"]
    assert code == 1


def test_the_build_stops_on_a_missing_original(tmp_path):
    # A real `pelican` run with the i18n plugin: the build stops before
    # publishing anything, naming the file and line.
    text = post("Huérfano", Lang="es", **{"Translation-of": "posts/gone.md"})
    plugins = f'PLUGINS = ["i18n", "chapter"]\nI18N_CATALOGUES = {str(REPO / "theme" / "translations")!r}\n'
    site = make_site(
        tmp_path / "site", {**GOOD, "posts/huerfano.es.md": text}, people=BILINGUAL_PEOPLE,
        extra_settings=LANGUAGES + plugins,
    )

    result = build(site)

    assert result.returncode != 0, result.output
    expected = f"content/posts/huerfano.es.md:{line_of(text, 'Translation-of:')}: Translation-of: 'posts/gone.md'"
    assert any(line.startswith(expected) for line in result.output.splitlines()), result.output
    assert "nothing was published" in result.output
    assert "Traceback" not in result.output


# --- people.toml: per-language names and bios -----------------------------------------------


def write_people(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_language_sub_tables_give_names_bios_and_descriptions(tmp_path):
    text = BILINGUAL_PEOPLE + '\n[authors.tomasz-wren.es]\nname = "Tomás Wren"\n'
    people = load_people(write_people(tmp_path, text))

    rosa = people.authors["rosa-delgado"]
    assert rosa.bio_in("es") == "Rosa organiza con el Grupo de Trabajo Ciudad Santuario."
    assert rosa.bio_in("en") == rosa.bio == "Rosa organizes with the Sanctuary City Working Group."
    assert rosa.name_in("es") == "Rosa Delgado"  # no Spanish name: the default one
    tomasz = people.authors["tomasz-wren"]
    assert (tomasz.name_in("es"), tomasz.bio_in("es")) == ("Tomás Wren", "Tomasz knocks on doors on Alder Street.")

    group = people.groups["sanctuary-city"]
    assert group.name_in("es") == "Grupo de Trabajo Ciudad Santuario"
    assert group.description_in("es") == "Talleres de Conozca sus derechos y la línea de respuesta rápida."
    assert group.name_in("fr") == group.name == "Sanctuary City Working Group"
    assert group.has_name_in("es") and not group.has_name_in("en") and not group.has_name_in("fr")
    assert not people.groups["steering-committee"].has_name_in("es")

    spanish = group.in_language("es", "es/")
    assert (spanish.name, spanish.description, spanish.url) == (
        "Grupo de Trabajo Ciudad Santuario",
        "Talleres de Conozca sus derechos y la línea de respuesta rápida.",
        "es/groups/sanctuary-city/",
    )
    assert (spanish.slug, spanish.kind) == ("sanctuary-city", "working group")
    committee = people.groups["steering-committee"].in_language("es", "es/")
    assert (committee.name, committee.url) == ("Steering Committee", "es/groups/steering-committee/")
    assert group.in_language("en", "") == group
    # A group without a page (the chapter's own signature) gets none in another language either.
    assert Group("chapter", "Millbrook Chapter", "chapter", "", url="").in_language("es", "es/").url == ""


def test_people_stay_hashable_and_old_constructors_work():
    person = Person("ana-ruiz", "Ana Ruiz", "Ana organizes tenants.")
    group = Group(slug="tenants", name="Tenants Working Group", kind="working group", description="Tenants.")
    assert (person.bio_in("es"), person.name_in("es")) == ("Ana organizes tenants.", "Ana Ruiz")
    assert (group.url, group.name_in("es"), group.has_name_in("es")) == ("", "Tenants Working Group", False)
    with_page = Group("tenants", "Tenants Working Group", "working group", "Tenants.", "groups/tenants/")
    assert len({group, with_page, with_page.in_language("es", "es/"), person}) == 4


# (id, people.toml text, line of the error, the message after "<file>:<line>: ")
PEOPLE_ERRORS = [
    (
        "language-key-not-a-table",
        '[authors.rosa-delgado]\nname = "Rosa Delgado"\nes = "Rosa organiza."\n',
        3,
        "[authors.rosa-delgado] has es = ..., which is neither one of its fields (name, bio) nor a language "
        "table; write the texts in language 'es' under their own [authors.rosa-delgado.es] heading, "
        'e.g. bio = "..."',
    ),
    (
        "unknown-key-in-a-language-table",
        '[groups.sanctuary-city]\nname = "Sanctuary City Working Group"\n\n'
        '[groups.sanctuary-city.es]\nname = "Grupo Ciudad Santuario"\nkind = "grupo de trabajo"\n',
        6,
        "[groups.sanctuary-city.es] has an unknown key 'kind'; a language table takes only name and "
        "description (everything else is the same in every language)",
    ),
    (
        "misspelt-key-in-a-language-table",
        '[groups.sanctuary-city]\nname = "Sanctuary City Working Group"\n\n'
        '[groups.sanctuary-city.es]\ndescripcion = "Talleres."\n',
        5,
        "[groups.sanctuary-city.es] has an unknown key 'descripcion'; did you mean description? a language "
        "table takes only name and description (everything else is the same in every language)",
    ),
    (
        "not-text-in-a-language-table",
        '[authors.rosa-delgado]\nname = "Rosa Delgado"\n[authors.rosa-delgado.es]\nbio = 3\n',
        4,
        '[authors.rosa-delgado.es] bio must be text in quotes, e.g. bio = "..."',
    ),
    (
        "empty-text-in-a-language-table",
        '[groups.tenants]\nname = "Tenants"\n[groups.tenants.es]\nname = " "\n',
        4,
        "[groups.tenants.es] name is empty; write it in that language, or delete the line to use the "
        "default language's",
    ),
    (
        "an-entry-not-a-table",
        '[authors]\nrosa-delgado = "Rosa Delgado"\n',
        2,
        "[authors] has rosa-delgado = ..., which is not a table; write the author under "
        '[authors.rosa-delgado] with name = "..." and bio = "..."',
    ),
    (
        "a-default-field-not-text",
        '[groups.tenants]\nname = "Tenants"\ndescription = ["Rent", "Repairs"]\n',
        3,
        '[groups.tenants] description must be text in quotes, e.g. description = "..."',
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), [c[1:] for c in PEOPLE_ERRORS], ids=[c[0] for c in PEOPLE_ERRORS])
def test_people_file_errors_name_file_line_and_table(tmp_path, text, line, message):
    path = write_people(tmp_path, text)
    with pytest.raises(PeopleFileError) as caught:
        load_people(path)
    assert str(caught.value) == f"{path}:{line}: {message}"


def test_check_reports_a_people_sub_table_error_at_its_line(tmp_path, monkeypatch, capsys):
    people = PEOPLE + '\n[groups.sanctuary-city.es]\nname = "Grupo"\nkind = "grupo de trabajo"\n'
    code, problems = check(tmp_path, monkeypatch, capsys, {"posts/fine.md": post("Fine")}, people=people)
    line = line_of(people, 'kind = "grupo')
    assert problems == [
        f"content/people.toml:{line}: [groups.sanctuary-city.es] has an unknown "
        "key 'kind'; a language table takes only name and description (everything else is the same in every "
        "language)"
    ]
    assert code == 1


# people.toml documents, mostly well-formed: entries with and without a
# name, fields and language sub-tables holding values of every TOML type,
# odd keys; and loose lines (headers, keys, broken syntax) in any order.
_SLUGS = st.sampled_from(["rosa-delgado", "tenants", "es", "bio", "x"])
_KEYS = st.sampled_from(["name", "bio", "kind", "description", "es", "fr", "en", "url", "eng", "tag", "Es", "n"])
_TEXT = st.text(alphabet=string.ascii_letters + " áé\\\"'\n", max_size=12).map(
    lambda t: json.dumps(t, ensure_ascii=False)  # a JSON string is a TOML basic string
)
_VALUES = st.one_of(
    _TEXT,
    _TEXT,
    st.sampled_from(['""', '" "', "3", "true", "1.5", '["a", "b"]', '{ name = "Ana" }',
                     '{ bio = 4 }', "2026-10-01", '"""two\nlines"""', "'literal'", '"unterminated']),
)
# Mostly the keys people.toml takes, sometimes one it does not.
_FIELDS = st.dictionaries(
    st.one_of(*[st.sampled_from(["name", "bio", "kind", "description"])] * 4, _KEYS),
    st.one_of(*[_TEXT] * 4, _VALUES),
    max_size=4,
)
_LANGUAGE_FIELDS = st.one_of(
    *[st.dictionaries(st.sampled_from(["name", "bio", "description"]), _TEXT, max_size=2)] * 3, _FIELDS
)
_ENTRY = st.fixed_dictionaries(
    {"name": st.one_of(_TEXT, _TEXT, _TEXT, st.none(), st.just("3")), "fields": _FIELDS,
     "languages": st.dictionaries(st.sampled_from(["es", "fr", "en", "eng", "bio", "url"]), _LANGUAGE_FIELDS,
                                  max_size=2)}
)
_DOCUMENT = st.dictionaries(
    st.sampled_from(["authors", "groups"]), st.dictionaries(_SLUGS, _ENTRY, max_size=3), max_size=2
)


def _toml(document) -> str:
    lines = []
    for section, entries in document.items():
        for slug, entry in entries.items():
            lines.append(f"[{section}.{slug}]")
            if entry["name"] is not None:
                lines.append(f"name = {entry['name']}")
            lines += [f"{key} = {value}" for key, value in entry["fields"].items()
                      if key != "name" and key not in entry["languages"]]
            for lang, fields in entry["languages"].items():
                lines.append(f"[{section}.{slug}.{lang}]")
                lines += [f"{key} = {value}" for key, value in fields.items()]
    return "\n".join(lines)


_LINES = st.one_of(
    st.builds(lambda section, slug: f"[{section}.{slug}]", st.sampled_from(["authors", "groups"]), _SLUGS),
    st.builds(lambda section, slug, lang: f"[{section}.{slug}.{lang}]",
              st.sampled_from(["authors", "groups"]), _SLUGS, _KEYS),
    st.builds(lambda key, value: f"{key} = {value}", _KEYS, _VALUES),
    st.sampled_from(["[authors]", "[groups]", "authors = 1", "groups = []", "[[groups]]", "[authors.a.es.b]", "=", ""]),
)
_PEOPLE_TEXT = st.one_of(_DOCUMENT.map(_toml), st.lists(_LINES, max_size=14).map("\n".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_PEOPLE_TEXT)
def test_load_people_raises_only_people_file_errors(tmp_path, text):
    path = write_people(tmp_path, text + "\n")
    try:
        people = load_people(path)
    except PeopleFileError as error:
        assert str(error).startswith(f"{path}"), error
        return
    # What loads answers every language with text.
    for entry in [*people.authors.values(), *people.groups.values()]:
        for lang in ("en", "es", "fr"):
            assert isinstance(entry.name_in(lang), str)
            text_in = entry.bio_in(lang) if isinstance(entry, Person) else entry.description_in(lang)
            assert isinstance(text_in, str)
        hash(entry)
