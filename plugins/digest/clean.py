"""Cleaning other sites' HTML for the digest: footers, sanitising, URLs, excerpts.

Everything that arrives from a feed is untrusted. The one gate is `sanitise()`
(nh3, an allow-list HTML sanitiser built on html5ever, so it parses like a
browser and is not fooled by noscript/svg/math namespace tricks). Regexes in
this module only ever *remove* text before sanitising or rewrite nh3's own
well-formed output; they are never the security boundary.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import nh3

from .textfield import one_line, xml_text

logger = logging.getLogger(__name__)

# --- The allow-list ----------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "abbr", "cite", "q", "code", "kbd", "pre", "blockquote",
    "ul", "ol", "li", "dl", "dt", "dd", "h3", "h4", "h5", "h6", "hr",
    "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "caption",
}
# Removed with everything inside them (the text of a script is not prose).
DROP_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
    "form", "textarea", "select", "button", "title", "xmp", "noembed", "noframes", "plaintext",
    "applet", "frameset", "frame", "head", "audio", "video", "canvas",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"

# Query parameters that only track readers; removed from every link.
TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mkt_tok", "_hsenc", "_hsmi"}
TRACKING_PREFIXES = ("utm_", "mc_")


def is_http_url(url: str | None) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def strip_tracking(url: str) -> str:
    """The URL without utm_*, mc_*, fbclid and similar parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking_param(k)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def resolve(url: str, base: str | None) -> str:
    url = (url or "").strip()
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return url
    return url


def normalise_url(url: str | None) -> str | None:
    """A key under which two addresses of the same story compare equal.

    Ignores scheme, `www.`/`amp.`/`m.` host prefixes, AMP path and query
    variants, trailing slashes, fragments and tracking parameters.
    """
    if not is_http_url(url):
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    for prefix in ("www.", "amp.", "m."):
        if host.startswith(prefix):
            host = host[len(prefix):]
    path = re.sub(r"/+", "/", parts.path or "/")
    path = re.sub(r"(/amp)+/?$", "/", path)  # WordPress AMP: /post/amp/
    path = re.sub(r"\.amp(\.html?)?$", r"\1", path)
    path = re.sub(r"/index\.html?$", "/", path)
    path = path.rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking_param(k) and k.lower() not in ("amp", "outputtype")
    )
    return f"{host}{path}" + (f"?{urlencode(query)}" if query else "")


# --- Bounding the cost of other sites' HTML ----------------------------------


@dataclass(frozen=True)
class HtmlLimits:
    """What one entry's HTML may cost. html5ever (inside nh3) is quadratic in
    nesting depth and in open formatting elements it must reconstruct (88 KB
    of unclosed <b title=…> took minutes and gigabytes), so the input is cut
    at the first element over a bound, before the sanitiser sees it."""

    max_chars: int = 300_000  # characters in, before sanitising
    max_elements: int = 5_000  # start tags
    max_depth: int = 100  # elements open at once (explicit end tags only)
    max_formatting: int = 12  # formatting elements opened and not explicitly closed
    max_chars_out: int = 400_000  # characters out, after sanitising


HTML_LIMITS = HtmlLimits()

# The HTML standard's formatting elements: the ones html5ever reconstructs.
_FORMATTING = {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "keygen", "image"}
# Elements whose end tag is implied by a sibling (<li><li>, <p><p>): the
# parser never nests them in themselves, so they do not count as depth.
_OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "tbody", "thead", "tfoot", "option", "optgroup",
                 "colgroup", "caption", "rb", "rt", "rp", "rtc"}
_TAG_START = re.compile(r"<(/?)([A-Za-z][^\s/>\x00]{0,64})")


def bound_html(fragment: str | None, limits: HtmlLimits = HTML_LIMITS) -> tuple[str, str | None]:
    """(the fragment cut where it first exceeds a bound, why it was cut or None).

    A linear scan over tag starts; an over-estimate of what the sanitiser
    will build (tags in comments count too), which is the safe direction.
    """
    if not fragment:
        return "", None
    why = None
    if len(fragment) > limits.max_chars:
        fragment, why = fragment[: limits.max_chars], f"longer than {limits.max_chars:,} characters"
    elements = formatting = 0
    stack: list[str] = []
    open_count: Counter = Counter()
    for match in _TAG_START.finditer(fragment):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            if name in _FORMATTING and open_count["fmt:" + name] > 0:
                open_count["fmt:" + name] -= 1
                formatting -= 1
            if open_count[name] > 0:  # pop to the element it closes; each element is popped once
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
            continue
        elements += 1
        if elements > limits.max_elements:
            why = f"more than {limits.max_elements:,} elements"
        elif name in _FORMATTING and formatting + 1 > limits.max_formatting:
            why = f"more than {limits.max_formatting} formatting elements left open"
        elif name not in _VOID and name not in _OPTIONAL_END and len(stack) + 1 > limits.max_depth:
            why = f"elements nested more than {limits.max_depth} deep"
        else:
            if name in _FORMATTING:
                formatting += 1
                open_count["fmt:" + name] += 1
            if name not in _VOID and name not in _OPTIONAL_END:
                stack.append(name)
                open_count[name] += 1
            continue
        return fragment[: match.start()], why
    return fragment, why


def _report(warn, why: str | None) -> None:
    if not why:
        return
    message = f"HTML cut short ({why}); the rest of this entry is left out"
    if warn is not None:
        warn(message)
    else:
        logger.warning("digest: %s", message)


# --- Footers and "read more" tails ------------------------------------------

# Boilerplate sits at the end of a fragment, so the patterns below only ever
# look at its last TAIL characters: their cost cannot grow with the entry.
TAIL = 3000

# "The post <a>X</a> appeared first on <a>Y</a>." (WordPress) and the
# "first appeared on" variant some themes use, wrapped in <p> or not.
_FOOTER_FROM_START = re.compile(
    r"The post\b(?:(?!<p\b|</p>)[\s\S]){0,2000}?\b(?:appeared first|first appeared) on\b"
    r"(?:(?!<p\b)[\s\S]){0,600}$",
    re.IGNORECASE,
)
_THE_POST = re.compile(r"\bthe post\b", re.IGNORECASE)
_OPEN_P_AT_END = re.compile(r"<p\b[^>]{0,300}>\s*$", re.IGNORECASE)
_READ_MORE_WORDS = r"(?:Continue reading|Read more|Read the full (?:post|story|article)|Keep reading)"
_READ_MORE_LINK = re.compile(
    r"<a\b[^>]{0,1000}>\s*" + _READ_MORE_WORDS + r"(?:(?!</a>)[\s\S]){0,300}</a>", re.IGNORECASE
)
_READ_MORE_P = re.compile(
    r"<p\b[^>]{0,1000}>(?:\s|&nbsp;|&#160;){0,20}(?:<(?:span|em|strong)\b[^>]{0,300}>\s*){0,5}"
    + _READ_MORE_WORDS
    + r"(?:(?!</?p\b)[\s\S]){0,300}?</p>",
    re.IGNORECASE,
)
_READ_MORE_LAST = re.compile(r"\b" + _READ_MORE_WORDS + r"\b", re.IGNORECASE)
_READ_MORE_AFTER = re.compile(r"(?:[^\n<]|<(?!/?p\b)[^>]{0,300}>){0,200}?((?:</p>\s*)?)$", re.IGNORECASE)
_ELLIPSES = ("[…]", "[&hellip;]", "[&#8230;]", "[...]", "…", "&hellip;", "&#8230;", "...")
# (?<!\s): one attempt per run of spaces, not one per space (quadratic).
_BRACKET_ELLIPSIS = re.compile(r"(?<!\s)\s*\[(?:…|&hellip;|&#8230;|\.\.\.)\]\s*")
_EMPTY_P = re.compile(r"<p\b[^>]{0,300}>(?:\s|&nbsp;|&#160;|<br\s*/?>){0,50}</p>", re.IGNORECASE)


def _split_tail(text: str) -> tuple[str, str]:
    if len(text) <= TAIL:
        return "", text
    at = len(text) - TAIL
    tag = text.find("<", at)  # start the tail at a tag, not inside one
    at = tag if tag != -1 and tag < at + 500 else at
    return text[:at], text[at:]


def _strip_footer(tail: str) -> str:
    # The footer is the earliest "The post" from which the rest reads as one
    # (not the last: the linked title may itself start with "The post").
    for match in _THE_POST.finditer(tail):
        if _FOOTER_FROM_START.match(tail, match.start()):
            kept = _OPEN_P_AT_END.sub("", tail[: match.start()].rstrip())
            return kept  # an element left open is closed by the sanitiser
    return tail


def _strip_read_more_text(tail: str) -> str:
    last = None
    for last in _READ_MORE_LAST.finditer(tail):
        pass
    if last is None:
        return tail
    after = _READ_MORE_AFTER.match(tail, last.end())
    if not after:
        return tail
    before = tail[: last.start()].rstrip()
    while True:  # drop "… [&#8230;]" before the words, one token at a time
        token = next((t for t in _ELLIPSES if before.endswith(t)), None)
        if token is None:
            return before + after.group(1)
        before = before[: -len(token)].rstrip()


def strip_boilerplate(fragment: str | None) -> str:
    """Remove WordPress feed footers and "Continue reading"/"Read more" tails."""
    if not fragment:
        return ""
    head, text = _split_tail(fragment[: HTML_LIMITS.max_chars])
    lower = text.lower()
    # Cheap substring checks first: most entries have neither.
    if "appeared first" in lower or "first appeared" in lower:
        text = _strip_footer(text)
    if "reading" in lower or "read more" in lower or "read the full" in lower:
        text = _READ_MORE_P.sub("", text)
        text = _READ_MORE_LINK.sub("", text)
        text = _strip_read_more_text(text.rstrip())
    text = head + text
    if "[" in text:
        text = _BRACKET_ELLIPSIS.sub(" … ", text)
    if "</p>" in text:
        text = _EMPTY_P.sub("", text)
    return text.strip()


# --- Sanitising -------------------------------------------------------------

_IMG_TAG = re.compile(r"<img\b[^>]{0,4000}>", re.IGNORECASE)


def _attr(tag: str, name: str) -> str | None:
    match = re.search(r"\s" + name + r"\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", tag, re.IGNORECASE)
    if not match:
        return None
    return html.unescape(match.group(1).strip("\"'"))


def _is_tracking_pixel(tag: str) -> bool:
    width, height = _attr(tag, "width"), _attr(tag, "height")
    tiny = lambda v: v is not None and re.fullmatch(r"\s*[01](?:px)?\s*", v) is not None  # noqa: E731
    return tiny(width) and tiny(height) or (tiny(width) or tiny(height)) and (width is None or height is None)


def _drop_tracking_pixels(fragment: str) -> str:
    return _IMG_TAG.sub(lambda m: "" if _is_tracking_pixel(m.group(0)) else m.group(0), fragment)


def sanitise(fragment: str | None, *, base: str | None = None, image_src=None, warn=None,
             limits: HtmlLimits = HTML_LIMITS) -> str:
    """HTML safe to put into a page: the allow-list above and nothing else.

    Relative `href`/`src` are resolved against `base` (the entry's link),
    tracking parameters removed. `image_src(url) -> str | None` may rewrite
    (or, returning None, remove) every image source; images left without a
    source are removed. The input is first cut to `limits` (bound_html);
    `warn(message)` is told when it was (else the log is).
    """
    if not fragment:
        return ""
    fragment, why = bound_html(fragment, limits)
    fragment = _drop_tracking_pixels(fragment)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr in ("href", "src"):
            url = resolve(value, base)
            scheme = urlsplit(url).scheme.lower() if ":" in url else ""
            if scheme and scheme not in URL_SCHEMES:
                return None
            if scheme in ("http", "https"):
                url = strip_tracking(url)
            if tag == "img" and attr == "src":
                return image_src(url) if image_src else url
            return url
        return value

    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=URL_SCHEMES,
    )
    # nh3's output is well-formed and quoted, so this match is exact.
    cleaned = re.sub(r"<img(?![^>]*\ssrc=\")[^>]*>", "", cleaned)
    if len(cleaned) > limits.max_chars_out:
        # Cut before a tag and let the sanitiser close what is left open.
        at = cleaned.rfind("<", 0, limits.max_chars_out)
        cleaned = nh3.clean(cleaned[: at if at > 0 else limits.max_chars_out], tags=ALLOWED_TAGS,
                            attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel=None)
        why = why or f"more than {limits.max_chars_out:,} characters once cleaned"
    _report(warn, why)
    return xml_text(cleaned).strip()


def image_sources(fragment: str | None, *, base: str | None = None) -> list[str]:
    """Absolute http(s) sources of the images a fragment shows, in order."""
    sources: list[str] = []

    def collect(url: str) -> str:
        if is_http_url(url) and url not in sources:
            sources.append(url)
        return url

    sanitise(fragment, base=base, image_src=collect)
    return sources


class _ImageCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            values = dict(attrs)
            if values.get("src"):
                self.images.append((values["src"], values.get("alt") or ""))


def images_in(fragment: str | None, *, base: str | None = None) -> list[tuple[str, str]]:
    """(absolute http(s) src, alt) of each image a fragment would show, in order."""
    if not fragment or "<img" not in fragment.lower():
        return []
    collector = _ImageCollector()
    collector.feed(sanitise(fragment, base=base))
    collector.close()
    seen: set[str] = set()
    result = []
    for src, alt in collector.images:
        if is_http_url(src) and src not in seen:
            seen.add(src)
            result.append((src, plain_title(alt)))
    return result


# --- Plain text and excerpts ------------------------------------------------


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "figure"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def to_text(fragment: str | None) -> str:
    """Readable plain text of a (sanitised) fragment: paragraphs split by blank lines."""
    if not fragment:
        return ""
    parser = _TextExtractor()
    fragment, why = bound_html(fragment)
    _report(None, why)
    # Sanitise first so the text of scripts and styles never becomes prose.
    cleaned = nh3.clean(fragment, tags=ALLOWED_TAGS - {"img"}, clean_content_tags=DROP_WITH_CONTENT)
    parser.feed(cleaned[: HTML_LIMITS.max_chars_out])
    parser.close()
    text = xml_text("".join(parser.parts))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def plain_title(text: str | None) -> str:
    """A title or name as one line of XML-safe text (markup in it is shown,
    not run); also for text archived before parse normalised it."""
    return one_line(text, limit=2000)


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


def excerpt_text(text: str, words: int) -> str:
    """The first `words` words of `text`, cut back to a sentence end when one is near.

    Paragraph breaks are kept. If no sentence ends in the last two thirds of
    the window, the cut is at a word and marked with an ellipsis.
    """
    paragraphs = [p.split() for p in text.split("\n\n") if p.strip()]
    total = sum(len(p) for p in paragraphs)
    if total <= words:
        return "\n\n".join(" ".join(p) for p in paragraphs)
    kept: list[list[str]] = []
    count = 0
    for para in paragraphs:
        take = para[: words - count]
        kept.append(take)
        count += len(take)
        if count >= words:
            break
    flat = [(i, j) for i, para in enumerate(kept) for j in range(len(para))]
    for position in range(len(flat) - 1, max(len(flat) // 3, 0) - 1, -1):
        i, j = flat[position]
        if _SENTENCE_END.search(kept[i][j]):
            kept = kept[:i] + [kept[i][: j + 1]]
            return "\n\n".join(" ".join(p) for p in kept if p)
    result = "\n\n".join(" ".join(p) for p in kept if p)
    return result.rstrip(",;:—–-") + " …"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|])")


def markdown_escape(text: str) -> str:
    """Text written into the issue file so that Markdown shows it literally."""
    out = []
    for para in text.split("\n\n"):
        para = para.replace("&", "&amp;")
        para = _MD_SPECIAL.sub(r"\\\1", para)
        para = para.replace("\\<", "&lt;").replace("\\>", "&gt;")
        # A paragraph must not start a list, quote or heading by accident.
        para = re.sub(r"^(\d+)([.)])(\s)", r"\1\\\2\3", para)
        para = re.sub(r"^([-+=])(\s|$)", r"\\\1\2", para)
        out.append(para)
    return "\n\n".join(out)
