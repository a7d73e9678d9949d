"""email.html and email-body.html: Jinja2 templates, then css-inline.

The templates carry their CSS in a <style> block with a few short classes;
css-inline copies every rule onto the elements it matches (mail clients drop
or ignore <style> blocks) and keeps only the @media rules in <style>, where
the clients that support them use them for dark mode.
"""

from __future__ import annotations

from pathlib import Path

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .errors import EmailError
from .text import html_to_text
from .view import EmailIssue

TEMPLATES = Path(__file__).parent / "templates"
PREHEADER_CHARS = 140
# Invisible filler after the preheader keeps mail clients from padding the
# inbox preview with the first lines of the body ("Read this issue on the web").
PREHEADER_PADDING = "\u200c\u00a0" * 40

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Never fetch a stylesheet named in the HTML: the build must not touch the network.
_full = css_inline.CSSInliner(keep_at_rules=True, minify_css=True, load_remote_stylesheets=False)
_fragment = css_inline.CSSInliner(minify_css=True, load_remote_stylesheets=False)


def _css(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def preheader(issue: EmailIssue) -> str:
    """The inbox preview line: the intro's first words, else what the issue holds."""
    text = html_to_text(issue.intro_html)
    if not text:
        sources = sorted({item.source_title for item in issue.items})
        count = len(issue.items)
        text = f"{count} piece{'s' if count != 1 else ''} of writing from {', '.join(sources)}."
    if len(text) > PREHEADER_CHARS:
        text = text[: PREHEADER_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"
    return text


def render_html(issue: EmailIssue, lang: str = "en") -> str:
    """The complete email: document, header, body, footer; CSS inlined."""
    html = _env.get_template("email.html.j2").render(
        e=issue,
        s=issue.settings,
        lang=lang,
        css=_css("layout.css") + _css("colors.css"),
        preheader=preheader(issue),
        padding=PREHEADER_PADDING,
    )
    try:
        return _full.inline(html).rstrip("\n") + "\n"
    except css_inline.InlineError as exc:  # only a broken template could cause this
        raise EmailError(f"{TEMPLATES}: cannot inline the email CSS: {exc}") from exc


def render_body(issue: EmailIssue) -> str:
    """The issue's content only (no document, header or footer), CSS inlined,
    for mailing tools that wrap every email in the organization's template."""
    html = _env.get_template("email-body.html.j2").render(e=issue, s=issue.settings)
    try:
        return _fragment.inline_fragment(html, _css("layout.css")).strip() + "\n"
    except css_inline.InlineError as exc:
        raise EmailError(f"{TEMPLATES}: cannot inline the email CSS: {exc}") from exc
