"""What the theme needs to show writers' and other sites' words safely.

- `CHAPTER_CSP`: the Content-Security-Policy every page carries as a
  <meta http-equiv> (base.html; the digest pages extend it). Loads from the
  site itself only, no inline script, images from the site and data:. Even
  if a sanitiser misses something, a reader's browser then contacts no other
  host. The same policy belongs in the web server's headers
  (docs/deploying.md); a header also covers what a <meta> cannot
  (frame-ancestors).
- the `summary_html` Jinja filter: a post's Summary: is the writer's
  Markdown turned into HTML, shown in every listing; it keeps text-level
  markup and links, nothing that runs or loads.

Pelican's Jinja environment does not autoescape; the templates escape text
with `|e`, and titles with `|striptags|e` (Pelican's feeds strip tags from
titles too, and striptags decodes the entities a writer typed, so `&amp;`
shows as `&` and is escaped once).
"""

from __future__ import annotations

import functools

import nh3
from markupsafe import Markup
from pelican import signals

# 'unsafe-inline' for styles only: Markdown tables align cells with style=""
# (a style attribute cannot load anything: url() is governed by img-src and
# font-src, which stay 'self'). Scripts: files from this site only, no inline
# script; 'wasm-unsafe-eval' lets the search page compile Pagefind's
# WebAssembly (a file from this site too); it allows no eval() of text.
DEFAULT_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; frame-src 'none'; base-uri 'self'; form-action 'self'"
)

SUMMARY_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "code", "kbd", "q", "cite", "abbr", "span", "bdi",
}  # fmt: skip
SUMMARY_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "*": {"dir", "lang"}}


def summary_html(value) -> Markup:
    """A summary's HTML with only text-level markup and http(s)/mailto/relative links."""
    if not value:
        return Markup("")
    return Markup(_clean_summary(str(value)))


# A summary is shown in several listings (home, category, tags, author, group):
# it is cleaned once. Bounded: a summary is small, and 4,096 of them is plenty.
@functools.lru_cache(maxsize=4096)
def _clean_summary(text: str) -> str:
    return nh3.clean(
        text,
        tags=SUMMARY_TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "iframe", "object", "textarea", "title"},
        attributes=SUMMARY_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


def csp(settings) -> str:
    """The policy for the <meta> tag: CHAPTER_CSP, else DEFAULT_CSP; one line."""
    value = settings.get("CHAPTER_CSP", DEFAULT_CSP)
    return " ".join(str(value or "").split())


def add_to_theme(generator) -> None:
    """generator_init: the filter and the policy, for every generator's templates."""
    env = getattr(generator, "env", None)
    if env is not None:
        env.filters["summary_html"] = summary_html
    generator.context["CHAPTER_CSP"] = csp(generator.settings)


def register():
    signals.generator_init.connect(add_to_theme)
