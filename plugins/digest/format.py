"""Formatting composed items as issue-file text (the third stage: select -> images -> format -> merge).

This is the one place where text from other sites becomes issue-file text,
so it is where that text is made safe for the file: every field is one line
with no characters XML cannot carry, nothing can open or close a comment or
a `digest:` block, no excerpt line can read back as a heading, a fence or a
marker, and an id that is not plain is replaced by a hash of itself. Nothing
the editor wrote ever passes through here.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from .clean import markdown_escape
from .issuefile import (
    INTRO_PLACEHOLDER,
    ITEM_KEYS,
    Block,
    IssueDoc,
    Item,
    Lines,
    Prints,
    Section,
    fingerprint,
)
from .models import ComposedItem
from .textfield import language_tag

HELD_HINT = (
    "<!-- Not published: these items are held back for review. Move the ones you want "
    "into a section above (or cut them), then delete this section when it is empty. -->"
)
NEW_HINT = (
    "<!-- Not published: items found since the last compose. Move the ones you want "
    "into a section above, cut the rest. -->"
)

# Characters XML 1.0 cannot carry (C0 controls but tab/newline, surrogates,
# U+FFFE/U+FFFF) and C1 controls; line and paragraph separators become spaces.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("[\r\n\x85\u2028\u2029\t\x0b\x0c]+")
# Bidi embeddings, overrides and isolates that are not closed would carry on
# into whatever follows the name on the page; they are dropped from one-line fields.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_PLAIN_ID = re.compile(r"[!-~](?:[ -~]{0,498}[!-~])?")
_STRUCTURAL_START = re.compile(r"( {0,3})(#|`{3}|~{3}|<!--)")


def one_line(text: str | None) -> str:
    """A feed's text as one safe line for a heading or a field."""
    text = _NOT_TEXT.sub("", _BIDI.sub("", _BREAKS.sub(" ", text or "")))
    # "<!--" or "-->" would open or close a comment around what follows.
    while "<!--" in text or "-->" in text:
        text = text.replace("<!--", " ").replace("-->", " ")
    return " ".join(text.split())


def safe_id(item_id: str) -> str:
    """The id as written: itself if it is plain printable ASCII, else a hash of it."""
    if _PLAIN_ID.fullmatch(item_id) and "-->" not in item_id and "<!--" not in item_id:
        return item_id
    prefix = item_id.split("#", 1)[0] if "#" in item_id else ""
    digest = hashlib.sha256(item_id.encode("utf-8", "surrogatepass")).hexdigest()
    if prefix and _PLAIN_ID.fullmatch(prefix) and "-->" not in prefix and "<!--" not in prefix:
        return f"{prefix}#sha256:{digest}"
    return f"sha256:{digest}"


def safe_link(url: str) -> str:
    """An address on one line: spaces, controls and line breaks percent-encoded."""
    url = _NOT_TEXT.sub("", url.strip())
    return re.sub(r"[\x00-\x20\x7f\u0085\u2028\u2029]", lambda m: quote(m.group(0)), url)


def _guard(lines: list[str], html: bool) -> list[str]:
    """Excerpt lines that cannot read back as structure: a leading #, fence or comment is escaped."""
    out = []
    for line in lines:
        line = _NOT_TEXT.sub("", line)
        match = _STRUCTURAL_START.match(line)
        if match:
            first = match.group(2)[0]
            escaped = {"#": "&#35;", "`": "&#96;", "~": "&#126;", "<": "&lt;"}[first] if html else "\\" + first
            if first == "<" and not html:
                escaped = "&lt;"
            line = match.group(1) + escaped + line[match.end(1) + 1 :]
        out.append(line)
    return out


def excerpt_lines(item: ComposedItem) -> list[str]:
    if item.excerpt_html:
        lines = item.excerpt_html.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        return _guard([line.rstrip() for line in lines if line.strip()], html=True)
    paragraphs = [one_line(p) for p in item.excerpt_text.split("\n\n")]
    lines: list[str] = []
    for paragraph in (p for p in paragraphs if p):
        lines += (["", markdown_escape(paragraph)] if lines else [markdown_escape(paragraph)])
    return _guard(lines, html=False)


def item_fields(item: ComposedItem) -> list[tuple[str, str]]:
    image = item.image
    values = {
        "Id": safe_id(item.id),
        "Link": safe_link(item.link),
        "Source": one_line(item.source_title) or "(unnamed source)",
        "Source-URL": safe_link(item.source_url) if item.source_url else "",
        "Author": one_line(item.author),
        "Date": item.date.isoformat(),
        "Lang": language_tag(item.lang) or "",
        "Also-in": "; ".join(one_line(name).replace(";", ",") for name in item.also_in if one_line(name)),
        "Image": image.src if image else "",
        "Image-alt": one_line(image.alt) if image else "",
    }
    return [(key, values[key]) for key in ITEM_KEYS if values.get(key)]


def format_item(item: ComposedItem, nl: str = "") -> tuple[Item, Prints]:
    """The item as the file will hold it, and the fingerprints of its three parts."""
    title = one_line(item.title) or "(untitled)"
    fields = item_fields(item)
    head = f"### {title}"
    meta = [f"{key}: {value}" for key, value in fields]
    core = excerpt_lines(item)
    body = ["", *core, ""] if core else [""]
    prints = Prints(fingerprint([head]), fingerprint(meta), fingerprint(core))
    formatted = Item(head=head + nl, meta=[m + nl for m in meta], body=[b + nl for b in body], title=title,
                     fields=dict(fields))
    return formatted, prints


def format_section(title: str, kind: str, nl: str = "") -> Section:
    """A section heading compose adds (its items are added by the caller)."""
    marker = f" <!-- digest:{kind} -->" if kind in ("new", "held") else ""
    hint = {"held": [HELD_HINT], "new": [NEW_HINT]}.get(kind, [])
    title = one_line(title) or "(untitled section)"
    return Section(head=f"## {title}{marker}{nl}", preamble=[h + nl for h in hint] + [nl], items=[], title=title,
                   kind=kind if kind in ("new", "held") else "normal")


def format_block(kind: str, entries: list[str], nl: str = "") -> Block:
    lines = [one_line(entry) for entry in entries]
    return Block(kind, [f"<!-- digest:{kind}{nl}", *[line + nl for line in lines if line], f"-->{nl}"])


def seen_entries(ids: list[str], prints: dict[str, Prints]) -> list[str]:
    """The seen block's lines: each id after what compose last wrote for it (if known)."""
    return [prints[i].line(i) if i in prints else i for i in ids]


def new_document(header: dict[str, str], sections: list[Section], report: list[str],
                 seen: list[str], path=None) -> IssueDoc:
    """A new issue file: header, report, intro placeholder, sections, seen block."""
    header_lines = [f"{key}: {value}" for key, value in header.items()]
    parts: list = [Lines([""]), format_block("report", report), Lines(["", INTRO_PLACEHOLDER, ""])]
    for section in sections:
        parts.append(section)
    parts.append(format_block("seen", seen))
    parts.append(Lines([""]))
    return IssueDoc(header_lines=header_lines, parts=parts, path=Path(path) if path else None, header=dict(header))
