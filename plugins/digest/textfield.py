"""Text fields from other sites (feeds, OPML files) made into plain, safe text.

Every short string that reaches the archive, the issue file, a page or a
feed passes through here at the parse stage:

* `xml_text(s)`: no character that XML 1.0 forbids (C0 controls but tab and
  newlines, lone surrogates, U+FFFE/U+FFFF), so a digest feed always parses.
* `one_line(s)`: `xml_text`, plus no line break of any kind (a newline in a
  field could start a structural line of the issue file), no C1 controls,
  whitespace collapsed, bidi controls balanced and isolated so a name
  written right-to-left cannot flip the text around it, length capped.
* `clean_link(url)`: an absolute http(s) address or None: no whitespace or
  controls, no user:password@, host as IDNA ASCII (so a mixed-script
  look-alike host is printed as xn--…, never as-is), length capped.
* `safe_key(text)`: the text if it is a short, plain token, else a hash:
  an entry key is written into the issue file, and must not be able to
  close an HTML comment or carry markup.
* `display_host(url)`: a host for people: Unicode when every label is
  written in one script, else the xn-- form.
* `language_tag(s)`: a declared language as a BCP 47 tag in its usual case
  ("EN-us" -> "en-US"), or None for anything that is not one.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from urllib.parse import quote, urlsplit, urlunsplit

import idna

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# C1 controls: valid XML but invisible and meaningless in a title.
_C1 = re.compile("[\x7f-\x9f]")
# Every way Unicode can break a line (str.splitlines' list, plus tab).
_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]")

# Explicit bidi formatting characters (UAX #9).
LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_EMBEDDINGS = {LRE, RLE, LRO, RLO}
_ISOLATES = {LRI, RLI, FSI}
_BIDI = _EMBEDDINGS | _ISOLATES | {PDF, PDI}

MAX_LINE = 500  # characters of a title or name; longer ones are cut with "…"
MAX_LINK = 2048  # characters of an address (what browsers and servers reliably accept)
MAX_KEY = 200  # characters of a GUID kept as the entry key


def xml_text(text: str | None) -> str:
    """The text without the characters XML 1.0 does not allow."""
    if not text:
        return ""
    return _XML_INVALID.sub("", text)


def isolate_bidi(text: str) -> str:
    """Text whose bidi controls cannot leak out of it.

    Unmatched closers are dropped (a stray PDI would end an isolate opened
    by the page around the text); openers left open are closed at the end;
    then, if any control remains, the whole text is wrapped in FSI…PDI, so
    it is laid out on its own whatever its first strong character is.
    """
    balanced = _balance_bidi(text)
    return FSI + balanced + PDI if any(ch in _BIDI for ch in balanced) else balanced


def _balance_bidi(text: str) -> str:
    if not any(ch in _BIDI for ch in text):
        return text
    out: list[str] = []
    stack: list[str] = []  # "e" for an embedding/override, "i" for an isolate
    for ch in text:
        if ch in _EMBEDDINGS:
            stack.append("e")
        elif ch in _ISOLATES:
            stack.append("i")
        elif ch == PDF:
            # A PDF closes the innermost embedding, never across an isolate.
            if not stack or stack[-1] != "e":
                continue
            stack.pop()
        elif ch == PDI:
            if "i" not in stack:
                continue
            while stack.pop() != "i":  # a PDI also ends the embeddings inside its isolate
                pass
        out.append(ch)
    for kind in reversed(stack):
        out.append(PDF if kind == "e" else PDI)
    return "".join(out)


def one_line(text: str | None, *, limit: int = MAX_LINE) -> str:
    """A title, name, category or GUID as one line of plain, XML-safe text."""
    if not text:
        return ""
    if len(text) > limit * 4:  # bound the work below on absurd input
        text = text[: limit * 4]
    text = " ".join(_C1.sub("", _BREAKS.sub(" ", xml_text(text))).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    # Balance first, then tidy the spaces a dropped control may leave, then isolate.
    text = " ".join(_balance_bidi(text).split())
    return FSI + text + PDI if any(ch in _BIDI for ch in text) else text


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


# A key is written into the issue file (the digest:seen comment and item ids):
# a plain token of URL-ish characters, no "--" (closes a comment), no markup.
_SAFE_KEY = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%\- ]+")


def safe_key(text: str | None) -> str | None:
    """``text`` if it is safe to write as an entry key, else "sha256:<hash>"."""
    if not text:
        return None
    if len(text) <= MAX_KEY and _SAFE_KEY.fullmatch(text) and "--" not in text and text == text.strip():
        return text
    return "sha256:" + short_hash(text)


MAX_LANGUAGE_TAG = 35  # BCP 47's advice for a buffer that holds any tag in practice
# A primary language subtag of 2-3 letters, then subtags of 1-8 letters or
# digits ("es", "pt-BR", "zh-Hant-TW", "es-419", "en-US-x-twain"); private-use
# ("x-…") and grandfathered ("i-…") tags name no language a reader could use.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_tag(value: str | None) -> str | None:
    """A feed's or a file's declared language as a BCP 47 tag in its usual
    case (language lower, script title, region upper: "EN-us" -> "en-US",
    "es_mx" -> "es-MX"), or None: nothing, "und" (undetermined), or anything
    that is not a tag's shape (markup, paths, controls, over 35 characters)."""
    if not isinstance(value, str) or len(value) > 4 * MAX_LANGUAGE_TAG:
        return None
    value = value.strip().replace("_", "-")
    if len(value) > MAX_LANGUAGE_TAG or not _LANGUAGE_TAG.fullmatch(value):
        return None
    subtags = value.split("-")
    tag = [subtags[0].lower()]
    after_singleton = False  # an extension's or private-use part is lower case throughout
    for subtag in subtags[1:]:
        after_singleton = after_singleton or len(subtag) == 1
        if not after_singleton and subtag.isalpha() and len(subtag) == 2:
            tag.append(subtag.upper())
        elif not after_singleton and subtag.isalpha() and len(subtag) == 4:
            tag.append(subtag.title())
        else:
            tag.append(subtag.lower())
    return None if tag[0] == "und" else "-".join(tag)


def primary_language(tag: str) -> str:
    """The language subtag of a tag: "pt" of "pt-BR"."""
    return tag.split("-", 1)[0].lower()


# Characters an address may hold as they are (RFC 3986 reserved and
# unreserved, and "%" of escapes already there); anything else is escaped.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


def _ascii_host(host: str) -> str | None:
    """A host name as lower-case ASCII (IDNA), an IP literal, or None."""
    host = host.rstrip(".").lower()
    if not host:
        return None
    if ":" in host:  # urlsplit strips an IPv6 literal's brackets
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    label = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
    return host if re.fullmatch(rf"{label}(?:\.{label})*", host) else None


def clean_link(value: str | None) -> str | None:
    """An absolute http(s) address safe to store, write and print, or None."""
    if not value:
        return None
    value = _XML_INVALID.sub("", value)
    # As browsers do: tabs and newlines inside an address are dropped.
    value = re.sub("[\t\n\r]", "", value).strip()
    if not value or len(value) > MAX_LINK * 2:
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = _ascii_host(parts.hostname)
    if host is None:
        return None
    netloc = host + (f":{port}" if port is not None else "")  # user:password@ dropped

    def escape(part: str) -> str:
        part = _C1.sub("", part)
        return quote(part, safe=_URL_SAFE)

    url = urlunsplit((parts.scheme.lower(), netloc, escape(parts.path), escape(parts.query), escape(parts.fragment)))
    if len(url) > MAX_LINK:
        return None
    return url


_SCRIPT_GROUPS = ({"CJK", "HIRAGANA", "KATAKANA"}, {"CJK", "HANGUL"})


def _script(ch: str) -> str | None:
    if ch.isascii() and not ch.isalpha():
        return None  # digits, "-": every script uses them
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def display_host(url_or_host: str | None) -> str:
    """The host as people should read it: each label in Unicode only when it
    is in a single script (or a usual CJK mix), else the xn-- form."""
    if not url_or_host:
        return ""
    host = urlsplit(url_or_host).hostname if "/" in url_or_host else url_or_host
    host = _ascii_host(host or "")
    if not host:
        return ""
    labels = []
    for label in host.split("."):
        if not label.startswith("xn--"):
            labels.append(label)
            continue
        try:
            text = idna.decode(label)
        except (idna.IDNAError, UnicodeError, ValueError):
            labels.append(label)
            continue
        scripts = {s for s in map(_script, text) if s}
        single = len(scripts) <= 1 or any(scripts <= group for group in _SCRIPT_GROUPS)
        labels.append(text if single else label)
    return ".".join(labels)
