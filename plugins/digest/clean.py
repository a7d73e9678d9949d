"""Cleaning other sites' HTML for the digest: footers, sanitising, URLs, excerpts.

Everything that arrives from a feed is untrusted. The one gate is `sanitise()`
(nh3, an allow-list HTML sanitiser built on html5ever, so it parses like a
browser and is not fooled by noscript/svg/math namespace tricks). Regexes in
this module only ever *remove* text before sanitising or rewrite nh3's own
well-formed output; they are never the security boundary.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import nh3

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


# --- Footers and "read more" tails ------------------------------------------

# "The post <a>X</a> appeared first on <a>Y</a>." (WordPress) and the
# "first appeared on" variant some themes use; one paragraph, never across two.
_P_INNER = r"(?:(?!</?p\b)[\s\S]){0,2000}?"
_FOOTER_P = re.compile(
    r"<p\b[^>]*>\s*The post\b" + _P_INNER + r"\b(?:appeared first|first appeared) on\b" + _P_INNER + r"</p>",
    re.IGNORECASE,
)
_FOOTER_TEXT = re.compile(
    r"\s*The post\b[^<]{0,600}?\b(?:appeared first|first appeared) on\b[^<\n]{0,300}?\.?\s*$",
    re.IGNORECASE,
)
_READ_MORE_WORDS = r"(?:Continue reading|Read more|Read the full (?:post|story|article)|Keep reading)"
_READ_MORE_LINK = re.compile(
    r"<a\b[^>]*>\s*" + _READ_MORE_WORDS + r"(?:(?!</a>)[\s\S]){0,300}</a>", re.IGNORECASE
)
_READ_MORE_P = re.compile(
    r"<p\b[^>]*>(?:\s|&nbsp;|&#160;)*(?:<(?:span|em|strong)\b[^>]*>\s*)*"
    + _READ_MORE_WORDS
    + r"(?:(?!</?p\b)[\s\S]){0,300}?</p>",
    re.IGNORECASE,
)
_READ_MORE_TEXT = re.compile(
    r"(?:\s|\[?(?:…|&hellip;|&#8230;|\.\.\.)\]?)*\b" + _READ_MORE_WORDS + r"\b(?:[^\n<]|<(?!/?p\b)[^>]*>){0,200}?((?:</p>\s*)?)$",
    re.IGNORECASE,
)
_BRACKET_ELLIPSIS = re.compile(r"\s*\[(?:…|&hellip;|&#8230;|\.\.\.)\]\s*")
_EMPTY_P = re.compile(r"<p\b[^>]*>(?:\s|&nbsp;|&#160;|<br\s*/?>)*</p>", re.IGNORECASE)


def strip_boilerplate(fragment: str | None) -> str:
    """Remove WordPress feed footers and "Continue reading"/"Read more" tails."""
    if not fragment:
        return ""
    text = fragment
    lower = text.lower()
    # Cheap substring checks first: most entries have neither, and the
    # patterns are the slowest part of composing a month.
    if "appeared first" in lower or "first appeared" in lower:
        text = _FOOTER_TEXT.sub("", _FOOTER_P.sub("", text))
    if "reading" in lower or "read more" in lower or "read the full" in lower:
        text = _READ_MORE_P.sub("", text)
        text = _READ_MORE_LINK.sub("", text)
        text = _READ_MORE_TEXT.sub(r"\1", text.rstrip())
    if "[" in text:
        text = _BRACKET_ELLIPSIS.sub(" … ", text)
    if "</p>" in text:
        text = _EMPTY_P.sub("", text)
    return text.strip()


# --- Sanitising -------------------------------------------------------------

_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)


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


def sanitise(fragment: str | None, *, base: str | None = None, image_src=None) -> str:
    """HTML safe to put into a page: the allow-list above and nothing else.

    Relative `href`/`src` are resolved against `base` (the entry's link),
    tracking parameters removed. `image_src(url) -> str | None` may rewrite
    (or, returning None, remove) every image source; images left without a
    source are removed.
    """
    if not fragment:
        return ""
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
    return cleaned.strip()


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
    # Sanitise first so the text of scripts and styles never becomes prose.
    parser.feed(nh3.clean(fragment, tags=ALLOWED_TAGS - {"img"}, clean_content_tags=DROP_WITH_CONTENT))
    parser.close()
    text = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def plain_title(text: str | None) -> str:
    """A title or name as one line of text (markup in it is shown, not run)."""
    return " ".join((text or "").split())


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
