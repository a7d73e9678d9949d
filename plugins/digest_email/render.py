"""email.html and email-body.html: Jinja2 templates, then css-inline.

The templates carry their CSS in a <style> block with a few short classes;
css-inline copies every rule onto the elements it matches (mail clients drop
or ignore <style> blocks) and keeps only the @media rules in <style>, where
the clients that support them use them for dark mode.

Every word in the templates goes through gettext (Jinja's i18n extension,
installed by i18n.catalogues): each render passes `page_lang`, the edition's
language, which picks the catalogue.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from string import Template

import css_inline
from chapter.brand import Brand
from i18n import catalogues
from i18n.catalogues import format_number
from i18n.settings import Languages
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .errors import EmailError
from .text import html_to_text
from .view import EmailIssue

TEMPLATES = Path(__file__).parent / "templates"
PREHEADER_CHARS = 140
# Invisible filler after the preheader keeps mail clients from padding the
# inbox preview with the first lines of the body ("Read this issue on the web").
PREHEADER_PADDING = "\u200c\u00a0" * 40



@lru_cache(maxsize=8)
def environment(languages: Languages) -> Environment:
    """The templates' environment, speaking the site's languages (one per
    site: the catalogues' folder is part of `languages`)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalogues.install(env, languages)
    return env

# Never fetch a stylesheet named in the HTML: the build must not touch the network.
_full = css_inline.CSSInliner(keep_at_rules=True, minify_css=True, load_remote_stylesheets=False)
_fragment = css_inline.CSSInliner(minify_css=True, load_remote_stylesheets=False)


# The site's palette (theme/static/css/site.css, :root and its dark scheme).
LIGHT = {"bg": "#fbf9f4", "text": "#1f1c18", "muted": "#57514a", "rule": "#ddd6ca"}
DARK = {"bg": "#161513", "text": "#ece7df", "muted": "#b5ada1", "rule": "#3b3731"}


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def _css(name: str) -> str:
    # Without comments: css-inline keeps one that sits between two @media
    # rules in the <style> block, where it only adds bytes.
    return _CSS_COMMENT.sub("", (TEMPLATES / name).read_text(encoding="utf-8"))


def palette(brand: Brand) -> dict[str, str]:
    """The colours colors.css is filled in with: the site's, and the brand's
    accent in the variants made to read on the light and the dark page."""
    colours = {**LIGHT, "accent": brand.accent_light, "soft": brand.accent_light_soft}
    colours.update({f"dark_{k}": v for k, v in DARK.items()})
    colours.update(dark_accent=brand.accent_dark, dark_soft=brand.accent_dark_soft)
    return colours


def colors_css(brand: Brand) -> str:
    return Template(_css("colors.css")).substitute(palette(brand))


def preheader(issue: EmailIssue) -> str:
    """The inbox preview line: the intro's first words, else what the issue holds."""
    text = html_to_text(issue.intro_html)
    if not text:
        ngettext = issue.words.ngettext
        sources = sorted({item.source_title for item in issue.items})
        count = len(issue.items)
        text = ngettext("%(num)s piece of writing from %(sources)s.", "%(num)s pieces of writing from %(sources)s.",
                        count) % {"num": format_number(count, issue.lang), "sources": ", ".join(sources)}
    if len(text) > PREHEADER_CHARS:
        text = text[: PREHEADER_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"
    return text


def render_html(issue: EmailIssue) -> str:
    """The complete email: document, masthead, body, footer; CSS inlined."""
    brand = issue.settings.identity
    html = environment(issue.settings.site_languages).get_template("email.html.j2").render(
        e=issue,
        s=issue.settings,
        b=brand,
        lang=issue.lang,
        page_lang=issue.lang,
        css=_css("layout.css") + colors_css(brand),
        preheader=preheader(issue),
        padding=PREHEADER_PADDING,
    )
    try:
        inlined = _full.inline(html)
    except css_inline.InlineError as exc:  # only a broken template could cause this
        raise EmailError(f"{TEMPLATES}: cannot inline the email CSS: {exc}") from exc
    return _charset_first(inlined).rstrip("\n") + "\n"


def _charset_first(html: str) -> str:
    """css-inline writes the kept @media rules as the first thing in <head>;
    the charset must come within the first 1024 bytes, so it goes first."""
    charset = '<meta charset="utf-8">'
    head = html.find("<head>")
    if head < 0 or charset not in html:
        return html
    html = html.replace(charset, "", 1)
    at = head + len("<head>")
    return html[:at] + charset + html[at:]


def render_body(issue: EmailIssue) -> str:
    """The issue's content only (no document, header or footer), CSS inlined,
    for mailing tools that wrap every email in the organization's template."""
    html = environment(issue.settings.site_languages).get_template("email-body.html.j2").render(
        e=issue, s=issue.settings, page_lang=issue.lang)
    try:
        return _fragment.inline_fragment(html, _css("layout.css")).strip() + "\n"
    except css_inline.InlineError as exc:
        raise EmailError(f"{TEMPLATES}: cannot inline the email CSS: {exc}") from exc
