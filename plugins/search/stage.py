"""Stage 2: each record as a small HTML file for Pagefind, in its language.

Pagefind indexes HTML files, one result per file. Each record becomes
`<stage>/<n>.html`: `<html lang>` picks its language's index, the title is
the `<h1>` (Pagefind ranks title words higher), the body is the record's
HTML, and what a result shows and filters on is read from `data-pagefind-*`
elements, formatted here in the record's language:

- meta: url (where the result leads, a site path), kind, group, date,
  source and issue (a digest item's chapter and issue);
- filters: kind, group, year; sort: date.

Every text is escaped. The body's own `data-pagefind-*` attributes are
renamed, so no text from a post or another site can set a result's
address, title or filters. A body longer than SEARCH_MAX_RECORD_CHARS is
cut before a tag (each result's text is downloaded by the reader's browser).
These files are Pagefind's input only; no reader ever gets them.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

from i18n.catalogues import format_date_long, format_month, format_number, gettext_for

from .records import ISSUE, ITEM, PAGE, POST, STATEMENT, SearchRecord
from .settings import SearchSettings



def _(message: str) -> str:
    """Marks a message for `invoke translations`; translated where it is shown."""
    return message


# What a reader sees for each kind, as catalogue messages (translated per language).
KIND_LABELS = {POST: _("Post"), STATEMENT: _("Statement"), PAGE: _("Page"), ISSUE: _("Digest issue"),
               ITEM: _("Digest item")}
_PAGEFIND_ATTRIBUTE = re.compile(r"data-pagefind-", re.IGNORECASE)
# Pagefind files a page under the `lang` of every <html> tag it meets, a body's too.
_HTML_TAG = re.compile(r"<(/?)html(?![^\s/>])", re.IGNORECASE)


def bounded(body: str, limit: int) -> str:
    """`body` cut to at most `limit` characters, before a tag, never inside one."""
    if len(body) <= limit:
        return body
    cut = body[:limit]
    # The first "<" after the last ">" opens the tag the limit fell in (an earlier one would be left open).
    opening = cut.find("<", cut.rfind(">") + 1)
    return cut if opening == -1 else cut[:opening]


def record_html(record: SearchRecord, conf: SearchSettings, words) -> str:
    """One record as the HTML file Pagefind reads (`words`: the record language's gettext)."""
    esc = html.escape
    lang = record.lang
    title = record.title
    if record.issue is not None and record.kind == ISSUE and lang != conf.languages.default:
        from digest.models import translated_title  # issue records exist only with the digest plugin

        title = translated_title(record.issue.name, record.issue.month, record.issue.number, lang, words)
    kind = words.gettext(KIND_LABELS[record.kind])
    meta = {"url": "/" + record.url, "kind": kind}
    filters = {"kind": kind}
    if record.group:
        meta["group"] = filters["group"] = record.group
    if record.date is not None:
        meta["date"] = format_date_long(record.date, lang)
        filters["year"] = str(record.date.year)
    if record.source:
        meta["source"] = record.source
    if record.kind == ITEM and record.issue is not None:
        meta["issue"] = words.gettext("Issue %(number)s") % {"number": format_number(record.issue.number, lang)} \
            + " · " + format_month(record.issue.month, lang)
    lines = [f'<!DOCTYPE html>\n<html lang="{esc(lang)}"><head><meta charset="utf-8"><title></title></head><body>',
             "<div hidden>"]
    lines += [f'<span data-pagefind-meta="{name}">{esc(value)}</span>' for name, value in meta.items()]
    lines += [f'<span data-pagefind-filter="{name}">{esc(value)}</span>' for name, value in filters.items()]
    # Undated records (pages) sort last, newest first.
    lines.append(f'<span data-pagefind-sort="date">{record.date.isoformat() if record.date else "0000-00-00"}</span>')
    body = _PAGEFIND_ATTRIBUTE.sub("data-x-", bounded(record.html or "", conf.max_record_chars))
    body = _HTML_TAG.sub(r"<\1x-html", body)
    lines += ["</div>", f'<main data-pagefind-body><h1 data-pagefind-meta="title">{esc(title)}</h1>',
              body, "</main></body></html>", ""]
    return "\n".join(lines)


def stage_texts(records: list[SearchRecord], conf: SearchSettings) -> list[str]:
    """Every record's file, in order."""
    words = {lang: gettext_for(conf.languages, lang) for lang in {record.lang for record in records}}
    return [record_html(record, conf, words[record.lang]) for record in records]


def fingerprint(texts: list[str]) -> str:
    """Equal for equal stages: an unchanged index need not be built again."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def write_stage(texts: list[str], folder: Path) -> None:
    """Write the files into `folder`, which must be new or empty."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(texts):
        (folder / f"{number:06d}.html").write_text(text, encoding="utf-8")
