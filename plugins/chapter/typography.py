"""Typographic punctuation: ’ “ ” – — … where writers and other sites typed ' " -- ... .

Applied once per text, when it becomes the record every template, feed and
email reads, never per template render:

- posts, statements and pages: title, content and a written Summary:, as
  Pelican creates each object (`content_object_init`); a summary Pelican cuts
  from the content inherits the content's punctuation;
- the digest: plugins/digest/issue.py passes item titles through
  `smarten_text` and the editor's HTML (intro, excerpts, notes) through
  `smarten_html` as it reads an issue.

The conversions are SmartyPants' (the `smartypants` package), with its
Unicode output (`Attr.u`: characters, not `&#8217;`), so a title stays plain
text in <title>, meta tags, feeds and the email's text part. `--` is an en
dash and `---` an em dash (`Attr.D`, as Markdown's `smarty` had them).
Three of its misreadings are corrected, as `smarty` read them: a quote
after a dash (`--"Yes"`), a decade (`'80s`), and a quote right after inline
markup (`<em>Maria</em>'s`).

This module drives those conversions over its own HTML tokenizer rather than
calling `smartypants.smartypants()` on a whole page:

- SmartyPants ends a tag at its first `>`, so an attribute value holding one
  (`<abbr title="rent > wage">`, legal in a writer's raw HTML) would have its
  closing quote curled, and the rest of the page would become that attribute;
- it reads `\\"` as its own escape for a straight quote and drops the
  backslash, which Markdown has already handled and a title means literally;
- it costs: about thirty regular expressions per run of text, quotes or
  not (a page of prose took as long as its Markdown). Here a run without a
  quote, `--` or `...` is left alone, and the quotes of a whole page are
  decided together (see `convert_quotes_of_runs`), with the same result.

Text inside code, pre, kbd, samp, tt, math (SmartyPants' `tags_to_skip`),
script, style and the other raw-text elements, comments and attribute
values is never changed. A writer keeps a straight quote with `&quot;` or
`&#39;`.
"""

from __future__ import annotations

import re

import smartypants
from pelican import signals
from pelican.contents import Article, Page

# What this module asks of SmartyPants; `_educate_all` performs these conversions.
ATTR = smartypants.Attr.q | smartypants.Attr.D | smartypants.Attr.e | smartypants.Attr.u
_UNICODE = 0  # convert_entities' mode for Attr.u: characters instead of &#8217; references

# Elements whose text is never converted: SmartyPants' own list...
SKIP = frozenset(smartypants.tags_to_skip)
# ...and those whose content is not parsed as HTML at all, read to their end tag.
RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
                      "plaintext"})

# --- Reading HTML ---------------------------------------------------------------------------

_WS = r"\t\n\f\r "
# A start or end tag as an HTML parser reads it (WHATWG tokenizer): quoted
# attribute values may hold `>`; an unterminated one runs to the end of the
# text. Atomic groups and possessive quantifiers: one reading, no guessing.
_ATTRIBUTES_AND_END = rf"""
    (?>
        [{_WS}/]++
      | [^{_WS}/>][^{_WS}/>=]*+
        (?> [{_WS}]*+ = [{_WS}]*+ (?> "[^"]*+" | '[^']*+' | [^{_WS}>"'][^{_WS}>]*+ | (?=>) )
          | (?! [{_WS}]*+ = ) )
    )*+
    >"""
_TAG = re.compile(rf"<(/?)([a-zA-Z][^{_WS}/>]*+){_ATTRIBUTES_AND_END}", re.VERBOSE)
_COMMENT = re.compile(r"<!--(?:>|->|.*?(?:--!?>|\Z))", re.DOTALL)
_BOGUS = re.compile(r"<[!?/][^>]*+(?:>|\Z)")  # <!DOCTYPE>, <?x>, </ x>: opaque up to the next >
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# The same reading as one pattern, for re.split: text, markup, text, ...
_MARKUP = re.compile(
    rf"""(
        </?[a-zA-Z][^{_WS}/>]*+{_ATTRIBUTES_AND_END}
      | <!--(?:>|->|.*?(?:--!?>|\Z))
      | </?[a-zA-Z].*
      | <[!?/][^>]*+(?:>|\Z)
    )""",
    re.VERBOSE | re.DOTALL,
)
# Where the reading needs to know which elements are open.
_STATEFUL = re.compile(rf"</?(?:{'|'.join(sorted(SKIP | RAW_TEXT))})(?=[{_WS}/>])", re.IGNORECASE)


def smarten_html(html: str) -> str:
    """An HTML fragment with typographic punctuation in its text; markup, attribute values
    and the text of code, pre, kbd, script, style and the like unchanged."""
    if not html or not _has_trigger(html):
        return html
    if _STATEFUL.search(html):
        return _smarten_stateful(html)
    # No element to skip: every run of text between markup is converted.
    parts = _MARKUP.split(html)
    runs: list[tuple[str, str]] = []  # runs to convert: (text, last character before it)
    places: list[int] = []
    previous = ""
    for index in range(0, len(parts), 2):
        text = parts[index]
        if text:
            if _has_trigger(text):
                runs.append((text, previous))
                places.append(index)
            previous = text[-1]
    for place, converted in zip(places, _educate_all(runs)):
        parts[place] = converted
    return "".join(parts)


def _smarten_stateful(html: str) -> str:
    """smarten_html, reading tag by tag and keeping track of open code, pre, script, ... elements."""
    out: list[str] = []
    runs: list[tuple[str, str]] = []  # runs to convert: (text, last character before it)
    places: list[int] = []  # where each is in `out`
    skipping: list[str] = []  # open elements of SKIP, innermost last
    previous = ""  # last character of the previous run of text
    text_start = pos = 0
    length = len(html)

    def flush_text(end: int) -> None:
        nonlocal previous
        if end > text_start:
            run = html[text_start:end]
            if not skipping and _has_trigger(run):
                runs.append((run, previous))
                places.append(len(out))
            out.append(run)
            previous = run[-1]

    while True:
        lt = html.find("<", pos)
        if lt < 0 or lt + 1 >= length:
            break
        nxt = html[lt + 1]
        if nxt in _LETTERS or (nxt == "/" and html[lt + 2 : lt + 3] in _LETTERS):
            flush_text(lt)
            tag = _TAG.match(html, lt)
            if tag is None:  # a tag never closed: what follows is no one's text
                out.append(html[lt:])
                text_start = length
                break
            end, name = tag.end(), tag.group(2).lower()
            if tag.group(1):  # an end tag
                if skipping and skipping[-1] == name:
                    skipping.pop()
            elif name in RAW_TEXT:
                end = _raw_text_end(html, end, name)
            elif name in SKIP:
                skipping.append(name)
        elif nxt in "!?/":
            flush_text(lt)
            end = (_COMMENT.match(html, lt) if html.startswith("<!--", lt) else _BOGUS.match(html, lt)).end()
        else:  # a lone "<" is text
            pos = lt + 1
            continue
        out.append(html[lt:end])
        text_start = pos = end
    flush_text(length)
    for place, converted in zip(places, _educate_all(runs)):
        out[place] = converted
    return "".join(out)


def _raw_text_end(html: str, start: int, name: str) -> int:
    """Where the raw text of `<name>` that starts at `start` ends: after its end tag, else the text's end."""
    if name == "plaintext":  # never ends
        return len(html)
    closing = re.compile(rf"</{name}(?=[{_WS}/>])", re.IGNORECASE).search(html, start)
    if closing is None:
        return len(html)
    tag = _TAG.match(html, closing.start())
    return tag.end() if tag else len(html)


def smarten_text(text: str) -> str:
    """Plain text (a title from another site) with typographic punctuation; it stays plain
    text: `<script>` or `&amp;` in it come out as they went in."""
    if not text or not _has_trigger(text):
        return text
    # Escaped as a template would, so it reads exactly as on the page; and text that
    # looks like a reference (`&#8220;`, `&nbsp;`) is read as the text it is.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _educate_all([(escaped, "")])[0].replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&")


# --- Converting runs of text ----------------------------------------------------------------

_DECADE = re.compile(r"'(?<!\w')(?=\d\ds\b)")  # the quote first: a fast scan for it
_LONE_QUOTE = {("'", True): "’", ("'", False): "‘", ('"', True): "”", ('"', False): "“"}
_JOIN = "\ufdd0"  # a noncharacter: no conversion reads it as part of a dash, an ellipsis or a word


def _has_trigger(text: str) -> bool:
    """Whether a text holds anything to convert (`in` is several times faster than a regular expression)."""
    return "'" in text or '"' in text or "--" in text or "..." in text or ". . ." in text


def _educate_all(runs: list[tuple[str, str]]) -> list[str]:
    """Runs of text outside skipped elements, each as SmartyPants converts it with ATTR.

    Each run comes with the last character of the run before it, SmartyPants'
    context for a run that is a lone quote (`<em>word</em>"`). Dashes, ellipses
    and references are converted in all runs at once (joined by a character no
    conversion reads across), quotes by `convert_quotes_of_runs`.
    """
    if not runs:
        return []
    if len(runs) > 1 and any(_JOIN in text for text, _ in runs):
        return [_educate_all([run])[0] for run in runs]
    texts = [text for text, _ in runs]
    joined = _JOIN.join(texts)
    if "--" in joined:
        joined = smartypants.convert_dashes_oldschool(joined)
    if "..." in joined or ". . ." in joined:
        joined = smartypants.convert_ellipses(joined)
    if "'" in joined or '"' in joined:
        # Two misreadings of SmartyPants' quote rules, corrected as Markdown's smarty
        # had them: it opens a quote after a dash only if the dash is a named reference
        # (its pattern for &#8212; is lost to a comment), and it opens "the '80s".
        if "–" in joined or "—" in joined:
            joined = joined.replace("–", "&ndash;").replace("—", "&mdash;")
        if "&#821" in joined:
            joined = joined.replace("&#8211;", "&ndash;").replace("&#8212;", "&mdash;")
        if "'" in joined:
            joined = _DECADE.sub("&#8217;", joined)
    converted = joined.split(_JOIN) if len(runs) > 1 else [joined]
    quoted: list[tuple[int, bool]] = []  # (index, starts with a borrowed character)
    for index, ((text, previous), now) in enumerate(zip(runs, converted)):
        if text == "'" or text == '"':
            converted[index] = _LONE_QUOTE[text, bool(previous) and not previous.isspace()]
        elif "'" in now or '"' in now:
            # A run that starts a word's tail (`<em>Maria</em>'s`) closes the quote, as in
            # one run: it borrows the word's last character (no conversion changes one).
            borrowed = previous.isalnum() or previous == "_"
            quoted.append((index, borrowed))
            if borrowed:
                converted[index] = previous + now
    for (index, borrowed), now in zip(quoted, convert_quotes_of_runs([converted[i] for i, _ in quoted])):
        converted[index] = now[1:] if borrowed else now
    joined = _JOIN.join(converted)
    if "dash;" in joined:
        joined = joined.replace("&ndash;", "–").replace("&mdash;", "—")
    if "&#" in joined:
        joined = smartypants.convert_entities(joined, _UNICODE)
    return joined.split(_JOIN) if len(runs) > 1 else [joined]


# --- SmartyPants' quotes, once per page -------------------------------------------------------
#
# smartypants.convert_quotes() runs fourteen regular expressions over its text:
# about 30 µs a call however short the text, then about 0.25 µs a character.
# Once per run of text, that was most of the cost of typography on prose. So:
# - the usual quotes (don't, tenants' , "word"), which it decides from their
#   neighbours alone, are written at once (_PLAIN_QUOTES);
# - the others, of every run of a page, go to it in one call: each quote is
#   decided by at most 9 characters before it (`&&#x2013;`, as its pattern
#   reads) and 3 after (`'80s`), so it gets only the stretches around them,
#   joined by a separator its patterns read as the end of one text and the
#   start of another. What it decides at the very start of a text (`^` in
#   three patterns) is decided beforehand, the same way.
# tests/test_typography.py checks, with Hypothesis, that the result equals one
# call per run.

_BEFORE, _AFTER = 10, 4  # characters read around a quote, and one more
_QUOTE = re.compile(r"""['"]""")
# A noncharacter, which no pattern reads as a word, a space or punctuation (like
# the end of a text), then "(", which no pattern takes as context for a quote
# after it (like the start of a text).
_SEPARATOR = "\ufdd0("
_PUNCT = r"""[!"#\$\%'()*+,-.\/:;<=>?\@\[\\\]\^_`{|}~]"""  # SmartyPants' punct_class
_AT_START = (
    # As SmartyPants writes it: `\\B` is a backslash and a B (a bug that makes it rare).
    (re.compile(rf"^'(?={_PUNCT}\\B)"), "&#8217;"),
    # `^"(?=punct\\B)`, the same; or `^"(?=punct)`, which runs once every ', and a " before
    # a space or before '+letter, has become a reference (&, not punctuation).
    (re.compile(rf"""^"(?:(?={_PUNCT}\\B)|(?={_PUNCT})(?!')(?!"\s)(?!"'\w))"""), "&#8221;"),
)


# The usual quotes, which SmartyPants decides from their neighbours alone when no
# other quote is within two characters: an apostrophe in or closing a word (don't,
# tenants' ), a double quote opening or closing a word. Each pattern starts with the
# quote itself, so the scan for it is fast; the guards look back over it.
_NO_QUOTE_NEAR = r"""(?<!['"]..)(?!.['"])"""
_PLAIN_QUOTES = (
    (re.compile(rf"""'(?<=[A-Za-z]'){_NO_QUOTE_NEAR}(?=[A-Za-z \n,.;:!?)]|\Z)"""), "&#8217;"),
    (re.compile(rf""""(?<=[ \n]"){_NO_QUOTE_NEAR}(?=[A-Za-z])"""), "&#8220;"),
    (re.compile(rf""""(?<=[A-Za-z.,!?]"){_NO_QUOTE_NEAR}(?=[ \n,.;:!?)]|\Z)"""), "&#8221;"),
)


def convert_quotes_of_runs(texts: list[str]) -> list[str]:
    """`[smartypants.convert_quotes(text) for text in texts]`, with one call at most."""
    if any("\ufdd0" in text for text in texts):
        return [smartypants.convert_quotes(text) for text in texts]
    prepared: list[str] = []
    spans: list[list[list[int]]] = []  # per text, [start, end] of each stretch around quotes
    for text in texts:
        if text[:1] in ("'", '"'):
            for pattern, replacement in _AT_START:
                text = pattern.sub(replacement, text, count=1)
        for pattern, replacement in _PLAIN_QUOTES:
            text = pattern.sub(replacement, text)
        stretches: list[list[int]] = []
        for quote in _QUOTE.finditer(text):
            start, end = max(quote.start() - _BEFORE, 0), quote.end() + _AFTER
            if stretches and start <= stretches[-1][1]:
                stretches[-1][1] = end
            else:
                stretches.append([start, end])
        prepared.append(text)
        spans.append(stretches)
    pieces = [text[start:end] for text, stretches in zip(prepared, spans) for start, end in stretches]
    if not pieces:  # every quote was a usual one
        return prepared
    converted = smartypants.convert_quotes(_SEPARATOR.join(pieces)).split(_SEPARATOR)
    if len(converted) != len(pieces):  # a separator was not left alone: never guess
        return [smartypants.convert_quotes(text) for text in texts]
    stretch = iter(converted)
    results = []
    for text, stretches in zip(prepared, spans):
        out, last = [], 0
        for start, end in stretches:
            out += (text[last:start], next(stretch))
            last = end
        out.append(text[last:])
        results.append("".join(out))
    return results


# --- Posts, statements and pages --------------------------------------------------------------


def smarten_content(content) -> None:
    """content_object_init: a post's, statement's or page's title, content and written summary."""
    if not isinstance(content, (Article, Page)):
        return
    title = getattr(content, "title", None)
    if isinstance(title, str):
        content.title = smarten_html(title)
        if "title" in content.metadata:
            content.metadata["title"] = content.title
    if isinstance(content._content, str):
        content._content = smarten_html(content._content)
    if isinstance(content.metadata.get("summary"), str):
        content.metadata["summary"] = content._summary = smarten_html(content.metadata["summary"])


def register():
    signals.content_object_init.connect(smarten_content)
