"""The email edition in every language of an issue (issue #12): a Spanish
edition beside the Spanish page for each issue with a Spanish intro, its words
from the catalogue, its items each in their own language; `send-test --lang`.

The Spanish words come from a tiny catalogue written here, so these tests
check the email's wiring, not the real catalogue's progress."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
from email import policy
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from digest_email.build import render_issue, write_all
from digest_email.cli import send_test
from digest_email.settings import EmailSettings

from tests.test_digest_support import Site
from tests.test_email_fixtures import make_issue
from tests.test_email_send import smtp_server  # noqa: F401 - the loopback SMTP fixture, shared

REPO = Path(__file__).resolve().parent.parent
INVOKE = Path(sys.executable).parent / "invoke"
SITEURL = "https://millbrook.example.org"

CATALOGUE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: es\\n"

msgid "Cover story"
msgstr "Tema de portada"

msgid "From our chapter"
msgstr "De nuestro capítulo"

msgid "%(name)s | %(month)s (Issue %(number)s)"
msgstr "%(name)s | %(month)s (número %(number)s)"

msgid "Issue %(number)s"
msgstr "Número %(number)s"

msgid "Read this issue on the web"
msgstr "Lee este número en la web"

msgid "Published %(date)s"
msgstr "Publicado el %(date)s"

msgid "Print edition in %(language)s (PDF, %(size)s)"
msgstr "Edición impresa en %(language)s (PDF, %(size)s)"

msgid "Editor’s note"
msgstr "Nota de la redacción"

msgid "Editor's note:"
msgstr "Nota de la redacción:"

msgid "Links"
msgstr "Enlaces"
"""

SPANISH_TITLE = "The Millbrook Lantern | octubre de 2026 (número 2)"
SPANISH_INTRO = "Este mes los vecinos de Alder Street ganaron su primera negociación colectiva."
ENGLISH_INTRO = "This month the Alder Street tenants won their first collective negotiation."

OCTOBER = f"""\
Title: The Millbrook Lantern | October 2026 (Issue 2)
Date: 2026-11-01 09:00
Issue: 2
Month: 2026-10
Status: published

{ENGLISH_INTRO}

## En español <!-- digest:intro es -->

{SPANISH_INTRO}

## Cover story

### Alder Street tenants sign their first agreement
Id: https://eastlake.example.net/feed.xml#alder-agreement
Link: https://eastlake.example.net/news/alder-agreement/
Source: Eastlake Chapter
Source-URL: https://eastlake.example.net/
Author: Hana Osei
Date: 2026-10-12
Note: Our housing group helped with the petition.

Forty households, one lease: the landlord signed on the steps of the laundromat.

## From our chapter

### How our general meetings run
Id: site#posts/how-our-general-meetings-run
Link: /posts/how-our-general-meetings-run/
Source: Millbrook Chapter
Author: Tomasz Wren
Date: 2026-10-06

Motions, the speakers' list, and why we vote on things that seem obvious.

## Ribera Chapter

### Cocina comunitaria todos los sábados
Id: https://ribera.example.org/feed.xml#cocina
Link: https://ribera.example.org/cocina/
Source: Ribera Chapter
Source-URL: https://ribera.example.org/
Lang: es
Date: 2026-10-18

Cocinamos juntos cada sábado en el salón de la parroquia; trae un táper.
"""

SEPTEMBER = """\
Title: The Millbrook Lantern | September 2026 (Issue 1)
Date: 2026-10-01 09:00
Issue: 1
Month: 2026-09
Status: published

Our first issue: what the chapters around us wrote in September.

## Northfield Chapter

### Bus riders pack the transit board hearing
Id: https://northfield.example.net/atom.xml#hearing
Link: https://northfield.example.net/2026/09/hearing/
Source: Northfield Chapter
Source-URL: https://northfield.example.net/
Date: 2026-09-15

Sixty riders signed up to speak against the route cuts.
"""


def write_catalogue(folder: Path) -> Path:
    po = folder / "es" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(CATALOGUE, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A bilingual throwaway site, built once: October has a Spanish intro, September has none."""
    root = tmp_path_factory.mktemp("bilingual")
    site = Site(root, I18N_LANGUAGES=["en", "es"], I18N_CATALOGUES=str(write_catalogue(root / "catalogues")))
    site.post("how-our-general-meetings-run", "How our general meetings run", "2026-10-06",
              body="Motions, the speakers' list, and why we vote.", author="Tomasz Wren")
    site.issue_path("2026-10").write_text(OCTOBER, encoding="utf-8")
    site.issue_path("2026-09").write_text(SEPTEMBER, encoding="utf-8")
    site.build()
    return site


class Elements(HTMLParser):
    """Every element of a document: (tag, attributes, its text), in document order."""

    VOID = {"br", "img", "hr", "meta", "link", "wbr", "input"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict, list[str]]] = []
        self.open: list[list[str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        texts: list[str] = []
        self.found.append((tag, dict(attrs), texts))
        if tag not in self.VOID:
            self.open.append(texts)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data):
        for texts in self.open:
            texts.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[tuple[dict, str]]:
        return [(attrs, " ".join("".join(texts).split())) for name, attrs, texts in self.found
                if name == tag and (cls is None or cls in (attrs.get("class") or "").split())]

    def titled(self, title: str) -> dict:
        """The attributes of the heading (h2 cover title or h3 item title) holding `title`."""
        for attrs, text in self.all("h2", "ct") + self.all("h3"):
            if text == title:
                return attrs
        raise AssertionError(f"no item titled {title!r}")


def eml(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


# --- The build writes each edition ---------------------------------------------


def test_spanish_edition_is_written_beside_the_spanish_page(site):
    folder = site.output / "es" / "digest" / "2026-10"
    for name in ("email.html", "email.txt", "email-body.html", "issue.eml"):
        assert (folder / name).is_file(), name
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html><html lang=\"es\">")
    assert SPANISH_INTRO in html and ENGLISH_INTRO not in html
    text = " ".join((folder / "email.txt").read_text(encoding="utf-8").split())  # unwrapped
    assert SPANISH_INTRO in text and ENGLISH_INTRO not in text
    assert SPANISH_INTRO in (folder / "email-body.html").read_text(encoding="utf-8")


def test_english_edition_stays_english(site):
    folder = site.output / "digest" / "2026-10"
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert "<html lang=\"en\">" in html
    assert ENGLISH_INTRO in html and SPANISH_INTRO not in html
    assert "Cover story" in html and "Tema de portada" not in html
    assert eml(folder / "issue.eml")["Subject"] == "The Millbrook Lantern | October 2026 (Issue 2)"


def test_issue_without_spanish_intro_has_no_spanish_edition(site):
    assert (site.output / "digest" / "2026-09" / "email.html").is_file()
    assert not (site.output / "es" / "digest" / "2026-09" / "email.html").exists()
    assert not (site.output / "es" / "digest" / "2026-09" / "issue.eml").exists()


def test_spanish_subject_title_and_web_link(site):
    folder = site.output / "es" / "digest" / "2026-10"
    message = eml(folder / "issue.eml")
    assert message["Subject"] == SPANISH_TITLE
    english = eml(site.output / "digest" / "2026-10" / "issue.eml")
    # Two editions of one issue, two messages: providers drop a repeated Message-ID.
    assert message["Message-ID"] != english["Message-ID"]
    assert "-es." in message["Message-ID"]
    html = message.get_body(("html",)).get_content()
    assert f"<title>{SPANISH_TITLE}</title>" in html
    links = [(attrs.get("href"), text) for attrs, text in Elements(html).all("a")]
    assert (f"{SITEURL}/es/digest/2026-10/", "Lee este número en la web") in links
    text = message.get_body(("plain",)).get_content()
    assert f"{SITEURL}/es/digest/2026-10/" in text and f"{SITEURL}/digest/2026-10/\n" not in text
    # The page it links to is the Spanish one the site built.
    assert (site.output / "es" / "digest" / "2026-10" / "index.html").is_file()


def test_spanish_words_dates_and_own_section(site):
    folder = site.output / "es" / "digest" / "2026-10"
    page = Elements((folder / "email.html").read_text(encoding="utf-8"))
    masthead = [text for _, text in page.all("p", "masthead-issue")]
    assert masthead == ["Número 2 · octubre de 2026"]
    assert [text for _, text in page.all("p", "ck")] == ["Tema de portada"]
    sections = [text for _, text in page.all("h2", "st")]
    # The chapter's own section is named in Spanish; another chapter's name is kept.
    assert sections == ["De nuestro capítulo", "Ribera Chapter"]
    assert any(text.startswith("Publicado el 1 de noviembre de 2026") for _, text in page.all("p", "dl"))
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "TEMA DE PORTADA" in text and "DE NUESTRO CAPÍTULO" in text
    assert "Eastlake Chapter · Hana Osei · 12 de octubre de 2026" in text
    assert "\nEnlaces\n" in text and "\nLinks\n" not in text
    # I18N_SETTINGS["es"]["DIGEST_TAGLINE"] (pelicanconf) is the Spanish edition's tagline.
    assert "Lo que escribieron este mes Millbrook y los capítulos vecinos" in text


def test_items_keep_their_own_language(site):
    spanish = Elements((site.output / "es/digest/2026-10/email.html").read_text(encoding="utf-8"))
    english = Elements((site.output / "digest/2026-10/email.html").read_text(encoding="utf-8"))
    # In the Spanish edition, the English items are marked; the Spanish one is not.
    assert spanish.titled("Alder Street tenants sign their first agreement").get("lang") == "en"
    assert spanish.titled("How our general meetings run").get("lang") == "en"
    assert "lang" not in spanish.titled("Cocina comunitaria todos los sábados")
    # And the other way round in the English edition.
    assert english.titled("Cocina comunitaria todos los sábados").get("lang") == "es"
    assert "lang" not in english.titled("Alder Street tenants sign their first agreement")
    excerpts = {text: attrs.get("lang") for attrs, text in spanish.all("div", "x") if "nt" not in attrs["class"]}
    assert excerpts["Forty households, one lease: the landlord signed on the steps of the laundromat."] == "en"
    assert excerpts["Cocinamos juntos cada sábado en el salón de la parroquia; trae un táper."] is None
    # The editor's note is the issue file's English under a Spanish label.
    assert [text for _, text in spanish.all("p", "nl")] == ["Nota de la redacción"]
    assert [(attrs.get("lang"), text) for attrs, text in spanish.all("div") if text.startswith("Our housing")] \
        == [("en", "Our housing group helped with the petition.")]
    # The plain-text part has no markup to carry a language.
    text = (site.output / "es/digest/2026-10/email.txt").read_text(encoding="utf-8")
    assert "lang=" not in text
    assert "Nota de la redacción: Our housing group helped with the petition." in text


def test_print_edition_is_linked_as_english(site):
    pdf = site.output / "digest" / "2026-10" / "issue.pdf"
    assert pdf.is_file()  # digest_print made it: the email links what exists
    assert not (site.output / "es" / "digest" / "2026-10" / "issue.pdf").exists()
    html = (site.output / "es/digest/2026-10/email.html").read_text(encoding="utf-8")
    links = [(attrs, text) for attrs, text in Elements(html).all("a") if attrs.get("href", "").endswith(".pdf")]
    assert len(links) == 1
    attrs, label = links[0]
    assert attrs["href"] == f"{SITEURL}/digest/2026-10/issue.pdf"
    assert attrs.get("hreflang") == "en"
    assert label.startswith("Edición impresa en inglés (PDF, ")
    text = (site.output / "es/digest/2026-10/email.txt").read_text(encoding="utf-8")
    assert "Edición impresa en inglés (PDF, " in text
    english = (site.output / "digest/2026-10/email.html").read_text(encoding="utf-8")
    assert "Print edition (PDF, " in english and "hreflang" not in english


# --- Rendering, in process --------------------------------------------------------


@pytest.fixture(scope="module")
def bilingual_settings(tmp_path_factory) -> EmailSettings:
    catalogues = write_catalogue(tmp_path_factory.mktemp("catalogues"))
    return EmailSettings.from_pelican({
        "SITENAME": "Millbrook Chapter",
        "DIGEST_NAME": "The Millbrook Lantern",
        "DIGEST_EMAIL_SITEURL": SITEURL,
        "I18N_LANGUAGES": ["en", "es"],
        "I18N_CATALOGUES": str(catalogues),
    })


def test_a_spanish_intro_leaves_the_english_edition_unchanged(bilingual_settings):
    plain = make_issue(6)
    translated = make_issue(6)
    translated.intros = {"es": f"<p>{SPANISH_INTRO}</p>"}
    assert render_issue(translated, bilingual_settings) == render_issue(plain, bilingual_settings)
    assert render_issue(translated, bilingual_settings, lang="es").html != render_issue(plain, bilingual_settings).html


def test_write_all_writes_each_language_of_each_issue(bilingual_settings, tmp_path):
    october, september = make_issue(3), make_issue(2, month="2026-09", number=6)
    october.intros = {"es": f"<p>{SPANISH_INTRO}</p>", "fr": "<p>Pas une langue du site.</p>"}
    settings = {"SITENAME": "Millbrook Chapter", "DIGEST_NAME": "The Millbrook Lantern",
                "DIGEST_EMAIL_SITEURL": SITEURL, "I18N_LANGUAGES": ["en", "es"],
                "I18N_CATALOGUES": str(bilingual_settings.site_languages.catalogues)}
    written = write_all([october, september], settings, tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        "digest/2026-09", "digest/2026-10", "es/digest/2026-10"]
    # An intro in a language the site does not publish makes no edition.
    assert not (tmp_path / "fr").exists()


def test_no_edition_in_a_language_without_intro(bilingual_settings):
    from digest_email.errors import EmailError

    with pytest.raises(EmailError, match=r"digest:intro es"):
        render_issue(make_issue(2), bilingual_settings, lang="es")


@hypothesis_settings(max_examples=25, deadline=None)
@given(item_langs=st.lists(st.sampled_from(["en", "es", "pt-BR", "fr"]), min_size=1, max_size=6),
       edition=st.sampled_from(["en", "es"]))
def test_exactly_the_items_in_another_language_are_marked(bilingual_settings, item_langs, edition):
    issue = make_issue(len(item_langs))
    issue.intros = {"es": f"<p>{SPANISH_INTRO}</p>"}
    by_title = {}
    for item, lang in zip(issue.items, item_langs):
        item.lang = lang
        by_title[item.title] = lang
    files = render_issue(issue, bilingual_settings, lang=edition)
    page = Elements(files.html)
    for title, lang in by_title.items():
        expected = lang if lang != edition else None
        assert page.titled(title).get("lang") == expected, title
    excerpt_langs = sorted((attrs.get("lang") or "") for attrs, _ in page.all("div", "x") if "nt" not in attrs["class"])
    assert excerpt_langs == sorted((lang if lang != edition else "") for lang in item_langs)
    assert "lang=" not in files.text


# --- send-test --lang ----------------------------------------------------------------


def smtp_env(port: int) -> dict[str, str]:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "0"}


def test_send_test_lang_es_delivers_the_spanish_edition(site, smtp_server, capsys):
    inbox, port = smtp_server
    code = send_test(site.root, site.conf, month="2026-10", to="editora@millbrook.example.org",
                     env=smtp_env(port), lang="es")
    out = capsys.readouterr()
    assert code == 0, out.err
    assert SPANISH_TITLE in out.out
    assert len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert message["Subject"] == SPANISH_TITLE
    assert message["To"] == "editora@millbrook.example.org"
    assert "<html lang=\"es\">" in message.get_body(("html",)).get_content()


def test_send_test_without_lang_sends_the_default_edition(site, smtp_server, capsys):
    inbox, port = smtp_server
    code = send_test(site.root, site.conf, month="2026-10", to="editor@millbrook.example.org", env=smtp_env(port))
    assert code == 0, capsys.readouterr().err
    message = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert message["Subject"] == "The Millbrook Lantern | October 2026 (Issue 2)"


def test_send_test_lang_of_an_issue_without_that_intro_says_what_to_write(site, smtp_server, capsys):
    inbox, port = smtp_server
    code = send_test(site.root, site.conf, month="2026-09", to="editor@millbrook.example.org",
                     env=smtp_env(port), lang="es")
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("content/digests/2026-09.md: ")
    assert "<!-- digest:intro es -->" in err and "write the Spanish intro there first" in err
    assert "Traceback" not in err
    assert inbox.messages == []


def test_send_test_lang_not_of_the_site(site, smtp_server, capsys):
    inbox, port = smtp_server
    code = send_test(site.root, site.conf, month="2026-10", to="editor@millbrook.example.org",
                     env=smtp_env(port), lang="fr")
    err = capsys.readouterr().err
    assert code == 2
    assert "--lang 'fr'" in err and "I18N_LANGUAGES is en, es" in err
    assert inbox.messages == []


def test_invoke_send_test_lang_es(site, smtp_server, tmp_path):
    """`invoke send-test --lang es` from a copy of the project's entry points."""
    inbox, port = smtp_server
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "tasks.py", root / "tasks.py")
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    (root / "plugins").symlink_to(REPO / "plugins")
    (root / "theme").symlink_to(REPO / "theme")
    (root / "content").mkdir()
    target = root / "output" / "es" / "digest" / "2026-10"
    target.mkdir(parents=True)
    shutil.copy(site.output / "es" / "digest" / "2026-10" / "issue.eml", target / "issue.eml")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    result = subprocess.run(
        [str(INVOKE), "send-test", "--month", "2026-10", "--to", "editora@millbrook.example.org", "--lang", "es"],
        cwd=root, env={**environ, **smtp_env(port)}, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    message = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert message["Subject"] == SPANISH_TITLE
