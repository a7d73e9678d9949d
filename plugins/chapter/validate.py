"""Content validation: one implementation for `invoke check` and the build.

`validate_site(settings, root)` reads every Markdown file under the
article and page paths and returns a list of `Problem`s, each
`file:line: what is wrong, how to fix it`. The build runs the same function
when the articles generator starts and raises `ContentError` if anything is
wrong, so `pelican` exits non-zero naming the file instead of logging an
error and silently dropping the post. Files Pelican's own readers could not
read are turned into a failed build too (`all_generators_finalized`).

The metadata header is parsed with the same rules as Markdown's `meta`
extension (which Pelican uses), but here we keep the line numbers.

Languages (DEFAULT_LANG, I18N_LANGUAGES, read once per run with
i18n.settings.Languages): a file's `Lang:` must be one of the site's
languages; a translation (`Translation-of: <slug or path>`, or
`Translation: true` sharing its original's slug) must have an original in the
default language; one language may use a slug once per category (or once
among the pages); and a post or statement in another language must not name a
group that has no name in that language in people.toml. The originals are
looked up after every file is read, since an original may come later in the
walk than its translation.
"""

from __future__ import annotations

import datetime
import difflib
import fnmatch
import importlib.machinery
import importlib.util
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pelican import signals
from pelican.urlwrappers import Category
from pelican.utils import get_date, slugify

from .errors import ChapterError, ContentError, NoTraceback, PeopleFileError
from .people import People, people_file, read_people

logger = logging.getLogger(__name__)

MARKDOWN_EXTENSIONS = ("md", "markdown", "mkd", "mdown")
DEFAULT_CATEGORIES = ["Posts", "Statements"]
CHAPTER_SIGNATURE = "chapter"
STATUSES = ("published", "draft", "hidden")
# What `invoke new` writes; allowed in a draft, an error once it would publish.
PLACEHOLDER_SUMMARY = "One or two sentences that say what this is about, for listings and feeds."
PLACEHOLDER_BODY = "Write here. Leave a blank line between paragraphs."
PLACEHOLDER_NOTE_END = "Delete this note when you are done."
# Metadata keys Pelican or this project understands; an unknown key that is
# close to one of these is almost certainly a typo ("Auther:").
KNOWN_KEYS = (
    "title", "date", "modified", "author", "authors", "group", "signed", "tags",
    "summary", "status", "category", "slug", "lang", "translation", "save_as",
    "url", "template", "translation-of",
)  # fmt: skip
# What Pelican can read as an article or page: what `Translation-of: <path>` may name.
READABLE_SUFFIXES = (*(f".{ext}" for ext in MARKDOWN_EXTENSIONS), ".html", ".htm", ".rst")

# Markdown's meta extension rules (markdown/extensions/meta.py).
META_RE = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
META_MORE_RE = re.compile(r"^[ ]{4,}(?P<value>.*)")
BEGIN_RE = re.compile(r"^-{3}(\s.*)?")
END_RE = re.compile(r"^(-{3}|\.{3})(\s.*)?")
# The date formats we document; dateutil alone would accept "March 5" and
# silently pick the current year.
DATE_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)

LINK_RE = re.compile(r"[{|](filename|static|attach)[}|]([^\s)\"'<>]+)")
MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
HTML_IMAGE_RE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*([\"'])(.*?)\1", re.IGNORECASE)
# A cheap first look: most lines hold no link or image at all.
_MAYBE_LINK_RE = re.compile(r"[{|](?:filename|static|attach)[}|]|!\[|<img", re.IGNORECASE)
FENCE_RE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
CODE_SPAN_RE = re.compile(r"(`+).+?\1")


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # as shown to the writer: relative to the current folder if inside it
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def display_path(path) -> str:
    """`content/posts/x.md` rather than an absolute path, when possible."""
    path = os.path.abspath(path)
    cwd = os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# --- reading one file -----------------------------------------------------------


@dataclass
class Header:
    fields: dict[str, list[tuple[int, str]]]  # key (lowercase) -> [(line, value)]
    end_line: int  # first line after the header
    stopper: tuple[int, str] | None  # a non-blank line that ended the header early

    def first(self, key: str) -> tuple[int, str] | None:
        values = self.fields.get(key)
        return values[0] if values else None


def parse_header(lines: list[str]) -> Header:
    """Metadata lines as Markdown's meta extension reads them, with line numbers."""
    fields: dict[str, list[tuple[int, str]]] = {}
    index = 0
    if lines and BEGIN_RE.match(lines[0]):
        index = 1
    key = None
    stopper = None
    while index < len(lines):
        line = lines[index]
        if not line.strip() or (index > 0 and END_RE.match(line)):
            index += 1
            break
        match = META_RE.match(line)
        if match:
            key = match.group("key").lower()
            fields.setdefault(key, []).append((index + 1, match.group("value").strip()))
        else:
            more = META_MORE_RE.match(line)
            if more and key:
                lineno, value = fields[key][-1]
                fields[key][-1] = (lineno, f"{value} {more.group('value').strip()}".strip())
            else:
                stopper = (index + 1, line)
                break
        index += 1
    return Header(fields=fields, end_line=index + 1, stopper=stopper)


def _suggest(word: str, choices, cutoff: float = 0.6) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"; did you mean {close[0]!r}?" if close else ""


def _missing(header: Header, key: str, example: str) -> tuple[int, str]:
    """Where to report a missing key: the line that ended the header early, or line 1."""
    if header.stopper:
        lineno, text = header.stopper
        return (
            lineno,
            f"no {key}: line in the metadata block, which ends here because "
            f"{text.strip()[:40]!r} is not a `Key: value` line; "
            f"put `{key}: {example}` in the block at the top of the file",
        )
    return (1, f"no {key}: line; add `{key}: {example}` to the metadata block at the top of the file")


@dataclass
class Written:
    """What the language checks need to know of one file; they run once every file is read."""

    shown: str
    rel: str  # relative to PATH, with "/": what `Translation-of:` may name
    kind: str  # "article" or "page"
    lang: str
    slug: str | None
    translation_of: tuple[int, str] | None  # (line, value)
    translation: tuple[int, str] | None  # a `Translation:` line that marks a translation


@dataclass
class Context:
    settings: dict
    content_root: Path  # PATH
    people: People | None
    people_path: str
    categories: dict[str, str]  # slug -> declared name
    theme_static: Path | None
    # DEFAULT_LANG and I18N_LANGUAGES; None if they are wrong (reported once, by validate_site)
    languages: object = None  # i18n.settings.Languages
    # (draft?, category slug or "page", language, slug) -> (the file at that address, marked as a translation?)
    addresses: dict = field(default_factory=dict)
    written: list[Written] = field(default_factory=list)

    @property
    def default_lang(self) -> str:
        if self.languages is not None:
            return self.languages.default
        return self.settings.get("DEFAULT_LANG") or "en"


def _check_date(lineno: int, key: str, value: str, problems: list) -> None:
    match = DATE_RE.match(value)
    try:
        if not match:
            raise ValueError
        # The common forms need no dateutil (slow, and it would accept too much).
        if match.group("tz") is None:
            datetime.datetime(*(int(part) for part in match.group("y", "m", "d")), int(match.group("H") or 0),
                              int(match.group("M") or 0), int(match.group("S") or 0))  # fmt: skip
        else:
            get_date(value)
    except (ValueError, OverflowError):
        problems.append(
            (
                lineno,
                f"{key}: {value!r} is not a date; write it as YYYY-MM-DD HH:MM "
                f"in the site's time zone, e.g. `{key}: 2025-03-14 18:30`",
            )
        )


def _check_people(kind: str, header: Header, ctx: Context, problems: list) -> None:
    """Author / Signed / Group lines against people.toml."""
    people = ctx.people
    if people is None:
        return  # people.toml itself is broken; reported once, elsewhere
    names = {p.name: p for p in people.authors.values()}
    author_lines = header.fields.get("author", []) + header.fields.get("authors", [])
    if kind == "posts":
        if not author_lines:
            lineno, message = _missing(header, "Author", next(iter(names), "Your Name"))
            problems.append((lineno, f"{message} (declared authors: {', '.join(names)})"))
        for lineno, value in author_lines:
            separator = ";" if ";" in value else ","
            for name in [v.strip() for v in value.split(separator) if v.strip()] or [""]:
                if name in names:
                    continue
                found = people.find_author(name) if name else None
                if found:
                    problems.append(
                        (lineno, f"write the author's name as declared in {ctx.people_path}: {found.name!r}")
                    )
                else:
                    problems.append(
                        (
                            lineno,
                            f"author {name!r} is not declared in {ctx.people_path}"
                            f"{_suggest(name, names) or '.'} Use one of: {', '.join(names)}; "
                            f"or declare a new author there under [authors.<slug>]",
                        )
                    )
    elif author_lines:
        problems.append(
            (
                author_lines[0][0],
                "statements are signed by a body, not a person: replace the Author: "
                "line with `Signed: <group slug>` (or `Signed: chapter`)",
            )
        )

    group_slugs = list(people.groups)
    signed_choices = ", ".join([CHAPTER_SIGNATURE, *group_slugs])
    if kind == "statements":
        signed = header.first("signed")
        if signed is None or not signed[1]:
            if signed is None:
                lineno, message = _missing(header, "Signed", CHAPTER_SIGNATURE)
            else:
                lineno, message = signed[0], "Signed: is empty"
            problems.append((lineno, f"{message} (choose one of: {signed_choices})"))
        elif signed[1] != CHAPTER_SIGNATURE and signed[1] not in people.groups:
            problems.append((signed[0], _unknown_group("Signed", signed[1], people, ctx, signed_choices)))

    group = header.first("group")
    if group is not None and group[1] not in people.groups:
        problems.append((group[0], _unknown_group("Group", group[1], people, ctx, ", ".join(group_slugs))))


def _unknown_group(key: str, value: str, people: People, ctx: Context, choices: str) -> str:
    found = people.find_group(value) if value else None
    if found:
        return f"{key}: takes the group's slug: write `{key}: {found.slug}`"
    return (
        f"{key}: {value!r} is not a group declared in {ctx.people_path}"
        f"{_suggest(value, people.groups) or '.'} Use one of: {choices}"
    )


def _slug_of(header: Header, ctx: Context) -> tuple[str, int] | None:
    """The file's slug as Pelican makes it (its Slug: line, or its title), and that line."""
    explicit = header.first("slug")
    title = header.first("title")
    if explicit and explicit[1]:
        return explicit[1], explicit[0]
    if title and title[1]:
        settings = ctx.settings
        slug = slugify(
            title[1],
            regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
            preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
            use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
        )
        return slug, title[0]
    return None


def _translation_mark(header: Header) -> tuple[int, str] | None:
    """A `Translation:` line that makes the file a translation (Pelican: any value but "false")."""
    line = header.first("translation")
    return line if line is not None and line[1].lower() != "false" else None


def _check_address(
    namespace: tuple, header: Header, lang: str, shown: str, ctx: Context, problems: list
) -> None:
    """Two files with the same slug and language in one category would be written to one page.

    A translation shares its original's slug on purpose: it is in another
    language, so at another address (es/posts/<slug>/)."""
    found = _slug_of(header, ctx)
    if found is None:
        return
    slug, lineno = found
    status = header.first("status")
    draft = ("draft",) if status and status[1].lower() == "draft" else ()
    key = (*draft, *namespace, lang, slug)
    marked = bool(_translation_mark(header) or header.first("translation-of"))
    other, other_marked = ctx.addresses.setdefault(key, (shown, marked))
    if other != shown:
        prefix = f"{lang}/" if lang != ctx.default_lang else ""
        where = f"{prefix}{slug}/" if namespace == ("page",) else f"{prefix}{namespace[0]}/{slug}/"
        fix = f"Change the title, or add a `Slug: {slug}-2` line"
        if lang == ctx.default_lang and (marked or other_marked):
            others = ctx.languages.others if ctx.languages is not None else ()
            example = f" (e.g. `Lang: {others[0]}`)" if others else ""
            fix = f"The translation needs a `Lang:` line naming its language{example}"
        problems.append(
            (lineno, f"{other} already has the address {where}; one would overwrite the other. {fix}")
        )


# --- languages ---------------------------------------------------------------------


def _languages_type():
    """i18n.settings.Languages, also when Pelican loaded the chapter plugin alone.

    Pelican imports a plugin from PLUGIN_PATHS without putting that folder on
    sys.path, so `import i18n` fails unless the i18n plugin was loaded first;
    it is found the way Pelican finds plugins, next to this one."""
    try:
        from i18n.settings import Languages
    except ModuleNotFoundError as error:
        if error.name != "i18n":
            raise
        plugins = str(Path(__file__).resolve().parent.parent)
        spec = importlib.machinery.PathFinder.find_spec("i18n", [plugins])
        if spec is None:
            raise
        module = importlib.util.module_from_spec(spec)
        sys.modules["i18n"] = module  # as Pelican does: the plugin loads once, whoever asks first
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules["i18n"]
            raise
        from i18n.settings import Languages
    return Languages


def language_name(code: str) -> str:
    """"Spanish" for "es" (Babel's English name), the code itself if Babel does not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code).get_display_name("en") or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def _own_names(code: str) -> set[str]:
    """A language's names in English and in itself, folded: what a writer may put in `Lang:` by mistake."""
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return set()
    return {name.casefold() for name in (locale.get_display_name("en"), locale.get_display_name(code)) if name}


def _check_lang(line: tuple[int, str], ctx: Context, problems: list) -> None:
    """`Lang:` names one of the site's languages, written as I18N_LANGUAGES writes it."""
    languages = ctx.languages
    lineno, value = line
    listed = ", ".join(languages.all)
    if not value:
        problems.append(
            (lineno, f"Lang: is empty; write the file's language (one of {listed}), "
                     f"or delete the line if it is in {language_name(languages.default)}")
        )
        return
    if value in languages.all:
        return
    setting = f"I18N_LANGUAGES: {listed}"
    for code in languages.all:
        if value.lower() == code:
            fix = f"write the code in lower case, as I18N_LANGUAGES does: `Lang: {code}`"
        elif re.split(r"[-_]", value.lower(), maxsplit=1)[0] == code:
            fix = f"the site's languages are plain language codes, without a region: write `Lang: {code}`"
        elif value.casefold() in _own_names(code):
            fix = f"write the language's code: `Lang: {code}`"
        else:
            continue
        problems.append((lineno, f"Lang: {value!r} is not one of the site's languages ({setting}); {fix}"))
        return
    name = language_name(value)
    named = f" ({name})" if name != value else ""
    catalogue = display_path(languages.catalogues / value / "LC_MESSAGES" / "messages.po")
    problems.append(
        (
            lineno,
            f"Lang: {value!r}{named} is not one of the site's languages ({setting}); "
            f"fix the code, or add {value!r} to I18N_LANGUAGES in pelicanconf.py "
            f"together with its catalogue {catalogue}",
        )
    )


def _check_group_names(header: Header, lang: str, ctx: Context, problems: list) -> None:
    """A post or statement in another language shows its group's name in that language."""
    people = ctx.people
    if people is None:
        return
    for key in ("group", "signed"):
        line = header.first(key)
        group = people.groups.get(line[1]) if line else None
        if group is None or group.has_name_in(lang):
            continue  # an unknown group is reported by _check_people; `Signed: chapter` is the site's name
        name = group.name if group.name.lower().startswith("the ") else f"the {group.name}"
        problems.append(
            (
                line[0],
                f"{name} has no {language_name(lang)} name: add [groups.{group.slug}.{lang}] "
                f'name = "..." to {ctx.people_path}',
            )
        )


def _check_translations(ctx: Context) -> list[Problem]:
    """Every translation has its original in the default language (all files read first)."""
    default = ctx.default_lang
    language = language_name(default)
    originals: dict[str, dict[str, list[Written]]] = {"article": {}, "page": {}}
    paths: dict[str, list[str]] = {"article": [], "page": []}
    for written in ctx.written:
        if written.lang == default:
            paths[written.kind].append(written.rel)
            if written.slug is not None:
                originals[written.kind].setdefault(written.slug, []).append(written)
    problems = []
    for written in ctx.written:
        what = "post or statement" if written.kind == "article" else "page"
        slugs = originals[written.kind]
        if written.translation_of is not None:
            lineno, value = written.translation_of
            target = value.lstrip("/")
            file = ctx.content_root / target
            if value in slugs or (target.endswith(READABLE_SUFFIXES) and file.is_file()):
                continue
            if "/" in target or target.endswith(READABLE_SUFFIXES):
                missing = f"there is no file {display_path(file)}{_suggest(target, paths[written.kind]) or '.'}"
            else:
                missing = f"no {language} {what} has the slug {value!r}{_suggest(value, slugs) or '.'}"
            example = "statements/<file>.md" if written.kind == "article" else "pages/<file>.md"
            problems.append(
                Problem(
                    written.shown,
                    lineno,
                    f"Translation-of: {value!r} names no original: {missing} Write the original's slug, "
                    f"or its path under {display_path(ctx.content_root)}/ (e.g. `Translation-of: {example}`)",
                )
            )
        elif written.translation is not None and written.slug is not None:
            if any(other is not written for other in slugs.get(written.slug, [])):
                continue
            lineno, value = written.translation
            hint = _suggest(written.slug, [slug for slug in slugs if slug != written.slug])
            problems.append(
                Problem(
                    written.shown,
                    lineno,
                    f"Translation: {value} but no {language} {what} has this file's slug "
                    f"{written.slug!r} (a translation shares its original's slug){hint or '.'} "
                    "Add a `Slug:` line with the original's slug, or name the original with "
                    "`Translation-of: <its slug or path>` instead",
                )
            )
    return problems


def _resolve_link(target: str, source: Path, ctx: Context) -> Path:
    """Where Pelican looks for a {filename}/{static} target (contents._link_replacer)."""
    target = unquote(urlsplit(target).path)
    if target.startswith("/"):
        return ctx.content_root / target.lstrip("/")
    return source.parent / target


def _check_links(lines: list[str], source: Path, ctx: Context, problems: list) -> None:
    in_fence = None
    for number, line in enumerate(lines, start=1):
        fence = FENCE_RE.match(line)
        if fence:
            marker = fence.group(1)[0]
            if in_fence is None:
                in_fence = marker
            elif in_fence == marker:
                in_fence = None
            continue
        if in_fence or not _MAYBE_LINK_RE.search(line):
            continue
        text = CODE_SPAN_RE.sub("", line) if "`" in line else line
        seen = set()
        for kind, target in LINK_RE.findall(text):
            seen.add(target)
            path = _resolve_link(target, source, ctx)
            if not path.exists():
                what = "image" if _is_image_context(text, target) else "link"
                problems.append(
                    (
                        number,
                        f"broken {what} {{{kind}}}{target}: {display_path(path)} does not exist; "
                        f"fix the path (a leading / starts at {display_path(ctx.content_root)}/) "
                        f"or add the file",
                    )
                )
        images = [m for m in MD_IMAGE_RE.findall(text)]
        images += [m[1] for m in HTML_IMAGE_RE.findall(text)]
        for src in images:
            if any(src.endswith(t) for t in seen) and LINK_RE.search(src):
                continue  # already checked as {static}/{filename}
            _check_image(src, number, source, ctx, problems)


def _is_image_context(text: str, target: str) -> bool:
    return any(target in src for src in MD_IMAGE_RE.findall(text)) or any(
        target in m[1] for m in HTML_IMAGE_RE.findall(text)
    )


def _check_image(src: str, number: int, source: Path, ctx: Context, problems: list) -> None:
    parts = urlsplit(src)
    if parts.scheme == "data":
        return
    if parts.scheme or src.startswith("//"):
        problems.append(
            (
                number,
                f"image {src} is loaded from another site, which tells that site who reads "
                f"our pages; save the file under {display_path(ctx.content_root / 'images')}/ "
                f"and write ![description]({{static}}/images/<file>)",
            )
        )
        return
    path = unquote(parts.path)
    if not path:
        return
    candidates = []
    if path.startswith("/"):
        # A site-absolute URL: a static file under PATH, or the theme's files.
        candidates.append(ctx.content_root / path.lstrip("/"))
        theme_dir = ctx.settings.get("THEME_STATIC_DIR", "theme").strip("/")
        if ctx.theme_static and path.lstrip("/").startswith(theme_dir + "/"):
            candidates.append(ctx.theme_static / path.lstrip("/")[len(theme_dir) + 1 :])
    else:
        candidates.append(source.parent / path)
    if not any(c.exists() for c in candidates):
        problems.append(
            (
                number,
                f"missing image {src}: {display_path(candidates[0])} does not exist; "
                f"put the file there or fix the path, e.g. ![description]({{static}}/images/<file>)",
            )
        )


# --- HTML in a post: what would run, or load from another host ----------------------

# Attributes that hold text, not an address the browser loads.
_TEXT_ATTRIBUTES = {"alt", "title", "cite", "lang", "dir", "class", "id", "name", "width", "height", "rel", "type"}
_CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE | re.DOTALL)
_EMBED_TAGS = {"iframe", "object", "embed", "frame", "frameset", "applet", "portal"}
_MEDIA_TAGS = {"video", "audio", "source", "track"}
_IMAGES_HINT = (
    "download the file into content/images/ and write {static}/images/<file> instead "
    "(a load from another site tells it who reads our pages)"
)


def _is_foreign(url: str) -> bool:
    """An address on another host: http(s)://, //host, ftp:, and the like (not data: or a path)."""
    url = url.strip()
    parts = urlsplit(url)
    return url.startswith("//") or bool(parts.scheme and parts.scheme.lower() not in ("data", "mailto", "tel"))


def _srcset_urls(value: str) -> list[str]:
    return [candidate.strip().split()[0] for candidate in value.split(",") if candidate.strip()]


class _HtmlScan(HTMLParser):
    """Raw HTML in a Markdown file, with line numbers; collects (line, message)."""

    def __init__(self, first_line: int):
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.found: list[tuple[int, str]] = []
        self._style = False

    def _line(self) -> int:
        return self.first_line + self.getpos()[0]

    def _add(self, message: str) -> None:
        self.found.append((self._line(), message))

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._add("<script> is not allowed: the site runs no scripts, and readers' browsers refuse them "
                      "(Content-Security-Policy); delete the element")
        elif tag in _EMBED_TAGS:
            self._add(f"<{tag}> embeds another site's page or player, which loads from that site for every reader; "
                      "link to it instead, e.g. [Watch the video](https://…)")
        elif tag == "form":
            self._add("<form> would send readers' answers from our pages; link to the form instead, "
                      "e.g. [Sign the petition](https://…)")
        elif tag == "base":
            self._add("<base> changes where every link on the page points; delete it")
        elif tag == "meta":
            self._add("<meta> in a post can redirect or refresh the page; delete it")
        elif tag == "link":
            self._add("<link> in a post makes every reader's browser fetch that address; delete it "
                      "(the theme already links the site's styles and feeds)")
        elif tag == "style":
            self._style = True
        # Embeds, forms and links are reported whole (above); their addresses need no second line.
        flagged = tag in _EMBED_TAGS or tag in ("form", "link", "base", "meta", "script")
        for name, value in attrs:
            name = name.lower()
            value = value or ""
            if name.startswith("on"):
                self._add(f"<{tag} {name}=…> runs a script when the reader interacts with the page; "
                          "delete the attribute")
                continue
            if name == "style":
                self._check_css(f"<{tag} style=…>", value)
                continue
            if name in _TEXT_ATTRIBUTES or name.startswith(("aria-", "data-")):
                continue
            if name == "href" and tag in ("a", "area"):
                if value.strip().lower().startswith(("javascript:", "vbscript:", "data:")):
                    self._add(f"link to {value.strip()[:30]!r} runs code or opens a hidden document; "
                              "link to a web address (https://…) instead")
                continue  # a link is followed when clicked, not loaded
            if tag == "img" and name == "src":
                continue  # pictures are checked above (missing file, outside picture)
            if flagged:
                continue
            urls = _srcset_urls(value) if name in ("srcset", "imagesrcset") else [value]
            for url in urls:
                if _is_foreign(url):
                    hint = ("link to the video or recording instead of embedding it, "
                            "e.g. [Watch the recording](https://…)") if tag in _MEDIA_TAGS else _IMAGES_HINT
                    self._add(f"<{tag} {name}=\"{url[:80]}\"> loads from another site; {hint}")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "style":
            self._style = False

    def handle_data(self, data):
        if self._style:
            self._check_css("<style>", data)

    def _check_css(self, where: str, css: str) -> None:
        for match in _CSS_URL_RE.finditer(css):
            url = match.group(2) if match.group(2) is not None else match.group(4)
            if url and _is_foreign(url):
                self._add(f"{where} with url({url[:80]}) loads from another site; {_IMAGES_HINT}")


def _check_html(lines: list[str], start: int, problems: list) -> None:
    """Every load from another host, script, embed, form and on… attribute in the body's HTML.

    Code (fenced blocks, indented blocks, `code spans`) is shown, not run:
    it is blanked out first, keeping line numbers."""
    body: list[str] = []
    in_fence = None
    previous_blank = True
    in_code = False
    for line in lines[start:]:
        fence = FENCE_RE.match(line)
        if fence or in_fence:
            if fence:
                marker = fence.group(1)[0]
                in_fence = marker if in_fence is None else (None if in_fence == marker else in_fence)
            body.append("")
            previous_blank = False
            continue
        indented = line.startswith(("    ", "\t")) and line.strip()
        in_code = bool(indented and (previous_blank or in_code))
        previous_blank = not line.strip()
        if in_code:
            body.append("")
            continue
        body.append(CODE_SPAN_RE.sub("", line) if "`" in line else line)
    text = "\n".join(body)
    if "<" not in text:
        return
    scan = _HtmlScan(first_line=start)
    try:
        scan.feed(text)
        scan.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; never let a check crash the build
        return
    problems.extend(scan.found)


def validate_file(path: Path, ctx: Context, kind: str) -> list[Problem]:
    """Problems in one content file; kind is "page" or "article"."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        return [Problem(shown, line, "this file is not UTF-8 text; save it as UTF-8 in your editor")]
    except OSError as error:
        return [Problem(shown, 1, f"cannot read this file ({error.strerror}); check its permissions")]
    lines = text.splitlines()
    header = parse_header(lines)
    problems: list[tuple[int, str]] = []

    title = header.first("title")
    if title is None:
        problems.append(_missing(header, "Title", "A short, clear title"))
    elif not title[1]:
        problems.append((title[0], "Title: is empty; write the title after `Title:`"))

    for key in header.fields:
        if key not in KNOWN_KEYS:
            hint = _suggest(key, KNOWN_KEYS, cutoff=0.75)
            if hint:
                lineno = header.fields[key][0][0]
                problems.append((lineno, f"unknown metadata key {key.capitalize()!r}{hint}"))

    status = header.first("status")
    if status is not None and status[1].lower() not in STATUSES:
        problems.append(
            (status[0], f"Status: {status[1]!r} is not one of {', '.join(STATUSES)}; use `Status: draft` to hold a post back")
        )
    modified = header.first("modified")
    if modified is not None:
        _check_date(modified[0], "Modified", modified[1], problems)

    lang_line = header.first("lang")
    lang = lang_line[1] if lang_line and lang_line[1] else ctx.default_lang
    known_lang = ctx.languages is not None and lang in ctx.languages.all
    if lang_line is not None and ctx.languages is not None:
        _check_lang(lang_line, ctx, problems)

    if kind == "article":
        date = header.first("date")
        if date is None:
            problems.append(_missing(header, "Date", "2025-03-14 18:30"))
        else:
            _check_date(date[0], "Date", date[1], problems)

        category_line = header.first("category")
        if category_line is not None:
            lineno, name = category_line
        else:
            lineno, name = 1, path.parent.name  # USE_FOLDER_AS_CATEGORY
        category = ctx.categories.get(slugify(name))
        if category is None:
            allowed = ", ".join(ctx.categories.values())
            if category_line is not None:
                message = (
                    f"unknown category {name!r}{_suggest(name, ctx.categories.values()) or '.'} "
                    f"Allowed: {allowed}; the folder already sets it, so you can delete this line"
                )
            else:
                folders = ", ".join(f"{display_path(ctx.content_root / s)}/" for s in ctx.categories)
                message = f"this file's folder {name!r} is not a category; move it into one of {folders}"
            problems.append((lineno, message))
        else:
            _check_people(slugify(category), header, ctx, problems)
            _check_address((slugify(category),), header, lang, shown, ctx, problems)
            if known_lang and lang != ctx.default_lang:
                _check_group_names(header, lang, ctx, problems)
    elif title is not None and title[1]:
        _check_address(("page",), header, lang, shown, ctx, problems)
    slug = _slug_of(header, ctx)
    try:
        rel = path.relative_to(ctx.content_root).as_posix()
    except ValueError:
        rel = path.as_posix()
    ctx.written.append(
        Written(
            shown=shown,
            rel=rel,
            kind=kind,
            lang=lang,
            slug=slug[0] if slug else None,
            translation_of=header.first("translation-of"),
            translation=_translation_mark(header),
        )
    )

    if status is None or status[1].lower() != "draft":
        summary = header.first("summary")
        if summary is not None and summary[1] == PLACEHOLDER_SUMMARY:
            problems.append((summary[0], "Summary: is still the placeholder from `invoke new`; write one or two sentences"))
        for number, line in enumerate(lines if PLACEHOLDER_BODY[:20] in text or PLACEHOLDER_NOTE_END in text else [], start=1):
            if PLACEHOLDER_NOTE_END in line:
                problems.append((number, "the note from `invoke new` is still here; delete the whole <!-- ... --> block"))
            elif line.strip() == PLACEHOLDER_BODY:
                problems.append((number, "this is the placeholder text from `invoke new`; replace it with your text"))

    _check_links(lines, path, ctx, problems)
    _check_html(lines, header.end_line - 1, problems)
    return sorted(Problem(shown, lineno, message) for lineno, message in problems)


# --- the whole site --------------------------------------------------------------


def _walk(content_root: Path, paths, excludes, ignores) -> list[Path]:
    """The Markdown files Pelican's Generator.get_files would pick up."""
    found = []
    excluded = {os.path.normpath(content_root / e) for e in excludes}
    for rel in paths:
        top = content_root / rel if rel else content_root
        if top.is_file():
            found.append(top)
            continue
        for dirpath, dirs, files in os.walk(top, followlinks=True):
            dirs[:] = sorted(
                d
                for d in dirs
                if os.path.normpath(os.path.join(dirpath, d)) not in excluded
                and not any(fnmatch.fnmatch(d, i) for i in ignores)
            )
            for name in sorted(files):
                if any(fnmatch.fnmatch(name, i) for i in ignores):
                    continue
                if name.rsplit(".", 1)[-1] in MARKDOWN_EXTENSIONS:
                    found.append(Path(dirpath) / name)
    return found


def content_files(settings) -> list[tuple[Path, str]]:
    """(path, "article" | "page") for every Markdown file the build reads."""
    root = Path(settings["PATH"])
    ignores = settings.get("IGNORE_FILES", [])
    pages = _walk(root, settings.get("PAGE_PATHS", []), settings.get("PAGE_EXCLUDES", []), ignores)
    page_set = set(pages)
    articles = [
        p
        for p in _walk(root, settings.get("ARTICLE_PATHS", []), settings.get("ARTICLE_EXCLUDES", []), ignores)
        if p not in page_set
    ]
    return [(p, "article") for p in articles] + [(p, "page") for p in pages]


def _theme_static(settings) -> Path | None:
    theme = settings.get("THEME")
    if not theme:
        return None
    static = Path(theme) / "static"
    return static if static.is_dir() else None


def validate_site(settings, root: Path | None = None) -> list[Problem]:
    """Every problem in every content file (and in people.toml), sorted by file and line."""
    ppath = people_file(settings, root)
    problems: list[Problem] = []
    try:
        people = read_people(ppath)
    except PeopleFileError as error:
        people = None
        # "<file>:<line>: ..." (a table's error), or "<file>: ... (at line N, column M)" (TOML syntax)
        message = str(error)
        located = re.match(rf"{re.escape(str(ppath))}:(\d+): ", message)
        if located:
            line, message = int(located.group(1)), message[located.end() :]
        else:
            match = re.search(r"line (\d+)", message)
            line = int(match.group(1)) if match else 1
            prefix = f"{ppath}: "
            if message.startswith(prefix):
                message = message[len(prefix) :]
        problems.append(Problem(display_path(ppath), line, message))
    categories = {
        slugify(name): name for name in settings.get("CHAPTER_CATEGORIES") or DEFAULT_CATEGORIES
    }
    Languages = _languages_type()
    from i18n.errors import LanguageSettingsError  # found now that _languages_type loaded i18n

    try:
        languages = Languages.from_pelican(settings)
    except LanguageSettingsError as error:  # the message names the setting and the fix
        languages = None
        problems.append(Problem("pelicanconf.py", 1, str(error)))
    ctx = Context(
        settings=settings,
        content_root=Path(settings["PATH"]),
        people=people,
        people_path=display_path(ppath),
        categories=categories,
        theme_static=_theme_static(settings),
        languages=languages,
    )
    for path, kind in content_files(settings):
        problems.extend(validate_file(path, ctx, kind))
    if languages is not None:
        problems.extend(_check_translations(ctx))
    return sorted(problems)


# --- the build -------------------------------------------------------------------


class _ReaderFailures(logging.Filter):
    """Remembers why Pelican could not read a file.

    Pelican logs "Could not process <file>" without the reason (unless in
    debug mode) and carries on without the file; this filter runs inside
    Pelican's `except` block, so sys.exc_info() still holds the reason.
    """

    def __init__(self):
        super().__init__()
        self.reasons: dict[str, str] = {}

    def filter(self, record):
        if record.msg == "Could not process %s" and record.args:
            error = sys.exc_info()[1]
            if error is not None:
                self.reasons[os.path.normpath(str(record.args[0]))] = f"{type(error).__name__}: {error}"
        return True


_reader_failures = _ReaderFailures()
_no_traceback = NoTraceback(ChapterError)


def check_before_build(generator) -> None:
    """article_generator_init: refuse to build from invalid content."""
    _reader_failures.reasons.clear()
    problems = validate_site(generator.settings)
    if problems:
        _fail_build(problems)


def check_after_reading(generators) -> None:
    """all_generators_finalized: files Pelican's readers failed on fail the build."""
    context = generators[0].context if generators else {}
    failed = sorted(k for k, v in context.get("generated_content", {}).items() if v is None)
    if not failed:
        return
    settings = generators[0].settings
    problems = []
    for rel in failed:
        reason = _reader_failures.reasons.get(os.path.normpath(rel), "")
        detail = f" ({reason})" if reason else " (see the error above)"
        problems.append(
            Problem(
                display_path(Path(settings["PATH"]) / rel),
                1,
                f"Pelican could not read this file{detail}; fix it, or run `invoke check` for details",
            )
        )
    _fail_build(problems)


def _fail_build(problems: list) -> None:
    """Print each problem as one `file:line: …` line, then stop the build."""
    # stdout, where Pelican's log goes too, so the summary comes after them.
    for problem in problems:
        print(problem)
    sys.stdout.flush()
    raise ContentError(problems)


def canonical_category(generator, metadata) -> None:
    """article_generator_context: the folder `posts/` gives the category "Posts".

    Pelican names a folder-derived category after the folder, in lower case;
    the declared spelling (CHAPTER_CATEGORIES) is what readers should see.
    """
    category = metadata.get("category")
    if category is None:
        return
    # One Category object per declared name and build (slugify is not cheap).
    declared = getattr(generator, "_chapter_categories", None)
    if declared is None:
        names = generator.settings.get("CHAPTER_CATEGORIES") or DEFAULT_CATEGORIES
        declared = {slugify(n): Category(n, generator.settings) for n in names}
        generator._chapter_categories = declared
    canonical = declared.get(category.slug)
    if canonical is not None and canonical.name != category.name:
        metadata["category"] = canonical


def register():
    # addFilter ignores a filter that is already there (autoreload re-registers).
    logging.getLogger("pelican.generators").addFilter(_reader_failures)
    logging.getLogger("pelican").addFilter(_no_traceback)
    signals.article_generator_init.connect(check_before_build)
    signals.article_generator_context.connect(canonical_category)
    signals.all_generators_finalized.connect(check_after_reading)
