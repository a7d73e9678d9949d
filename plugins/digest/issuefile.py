"""Issue files, read and written losslessly: the editor's copy of one monthly issue.

    Title: The Millbrook Lantern | March 2025 (Issue 11)
    Date: 2025-04-01 09:00
    Issue: 11
    Month: 2025-03
    Status: draft

    <!-- digest:report
    (written by `invoke digest`: when it composed, which sources failed)
    -->

    The intro, in Markdown: everything up to the first "## " heading.

    ## En español <!-- digest:intro es -->

    The intro in another language (here Spanish), in Markdown, up to the
    next "## " heading: the editor's, like the intro, never published as a
    section (the issue gets a page and an email edition in that language).

    ## From our chapter

    ### An item's title
    Id: site#posts/some-post
    Link: /posts/some-post/
    Source: Millbrook Chapter
    Date: 2025-03-04
    Lang: es            (optional: the item's language, when not the site's)
    Note: The editor's note, in Markdown (optional); more lines
      follow indented by two spaces.

    The excerpt, in Markdown, until the next "## " or "### " heading.

    ## New since last compose <!-- digest:new -->
    ## Held back: Some Source <!-- digest:held -->

    <!-- digest:seen
    every item id ever composed into this file, one a line, after the
    fingerprints of the title, fields and excerpt composed for it
    -->

The document keeps every line as it was read (`IssueDoc.text()` of a parsed
file is the file, byte for byte): only "## " and "### " headings at the start
of a line, the fields under an item heading and the two `digest:` blocks are
structure; everything else (comments, blank runs, raw HTML, other headings,
nested lists, fenced code) is kept verbatim where it stands. Lines inside a
fenced code block or an HTML comment are never structure.

Every problem is an IssueFileError naming file:line and what to do.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .clean import is_http_url
from .errors import IssueFileError
from .textfield import language_tag

HEADER_KEYS = ("Title", "Date", "Issue", "Month", "Status")
ITEM_KEYS = ("Id", "Link", "Source", "Source-URL", "Author", "Date", "Lang", "Also-in", "Image", "Image-alt",
             "Note")
EDITOR_KEYS = ("Note",)  # fields only the editor writes: never part of a composed item's fingerprint
STATUSES = ("draft", "published")
SPECIAL_KINDS = ("new", "held")  # editor-only sections, never published
INTRO_KIND = "intro"  # `## … <!-- digest:intro LANG -->`: the intro in another language
BLOCK_KINDS = ("report", "seen")
NEW_SECTION_TITLE = "New since last compose"
INTRO_PLACEHOLDER = (
    "<!-- digest:intro-placeholder Write the intro here, in Markdown: a few sentences "
    "about this month. Then delete this line. -->"
)
IMAGE_PATH = re.compile(r"digests/images/\d{4}-\d{2}/[0-9a-f]{64}\.(?:png|jpg|gif|webp)")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

_HEADING = re.compile(r"(#{2,3})(?:[ \t]+(.*?))?[ \t]*")
_FIELD = re.compile(r"([A-Za-z][A-Za-z-]*):(?:[ \t]+(.*?))?[ \t]*")
# A heading's marker: "<!-- digest:new -->", "<!-- digest:intro es -->".
_MARKER = re.compile(r"\s*<!--\s*digest:(\w+)(?:\s+(.*?))?\s*-->\s*$")
# An intro's language: a site language code, as `Lang:` in content files and
# the /<lang>/ tree use it (i18n.settings.LANGUAGE_CODE).
INTRO_LANG = re.compile(r"[a-z]{2,3}")
_BLOCK_START = re.compile(r"\s*<!--\s*digest:(report|seen)\b(.*)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
# A seen line: "<title>.<fields>.<excerpt> <id>" fingerprints, or (older files)
# one excerpt fingerprint, or a bare id. Ids never start with 12 hex digits and a space.
_SEEN_LINE = re.compile(r"([0-9a-f]{12})(?:\.([0-9a-f]{12})\.([0-9a-f]{12}))? (\S.*)")


def fingerprint(lines: list[str]) -> str:
    """A short hash of some lines of text as the file holds them (line ends ignored)."""
    text = "\n".join(line.rstrip("\r") for line in lines).strip("\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _bare(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


def _is_blank(line: str) -> bool:
    return not line.strip()


def _is_comment_line(line: str) -> bool:
    s = line.strip()
    return s.startswith("<!--") and s.endswith("-->")


UNKNOWN_PRINT = "0" * 12  # written for a part whose composed text is not known (an older file)


@dataclass(frozen=True)
class Prints:
    """What compose last wrote for an item, as fingerprints (None: not known)."""

    title: str | None
    fields: str | None
    body: str | None

    def line(self, item_id: str) -> str:
        if self.title is None and self.fields is None:
            return f"{self.body} {item_id}" if self.body else item_id  # as an older file had it
        parts = (self.title, self.fields, self.body)
        return ".".join(p or UNKNOWN_PRINT for p in parts) + f" {item_id}"


# --- The parts of a document -----------------------------------------------------


@dataclass
class Lines:
    """Lines outside any section: the intro (before the first section) or loose lines."""

    lines: list[str]

    def all_lines(self) -> list[str]:
        return self.lines


@dataclass
class Block:
    """A machine block, `<!-- digest:report` or `<!-- digest:seen` up to a line `-->`."""

    kind: str
    lines: list[str]
    line: int = 0

    @property
    def entries(self) -> list[str]:
        return [_bare(entry).strip() for entry in self.lines[1:-1] if entry.strip()]

    def all_lines(self) -> list[str]:
        return self.lines


@dataclass
class Item:
    """One item: its heading line, its field lines, and the lines after them (the excerpt)."""

    head: str
    meta: list[str]  # field lines, Note continuation lines, comment lines
    body: list[str]  # every line after the fields, up to the next structure (blank lines included)
    line: int = 0
    title: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.fields.get("Id") or f"manual#{self.fields.get('Link', '')}"

    def all_lines(self) -> list[str]:
        return [self.head, *self.meta, *self.body]

    def body_parts(self) -> tuple[list[str], list[str], list[str]]:
        """(leading blank lines, the excerpt, trailing blank lines) of the body."""
        start = 0
        while start < len(self.body) and _is_blank(self.body[start]):
            start += 1
        end = len(self.body)
        while end > start and _is_blank(self.body[end - 1]):
            end -= 1
        return self.body[:start], self.body[start:end], self.body[end:]

    @property
    def excerpt(self) -> str:
        return "\n".join(_bare(line) for line in self.body_parts()[1])

    def _composed_flags(self) -> list[bool]:
        """For each line of the fields block: True if compose writes it (not the Note, not a comment)."""
        flags, skipping = [], False
        for raw in self.meta:
            line = _bare(raw)
            match = _FIELD.fullmatch(line)
            if match and not line.startswith((" ", "\t")):
                skipping = match.group(1) in EDITOR_KEYS
                flags.append(not skipping)
            else:
                flags.append(not skipping and not _is_comment_line(line))
        return flags

    def composed_meta(self) -> list[str]:
        """The field lines compose writes (every field but the editor's own, and no comments)."""
        return [raw for raw, mine in zip(self.meta, self._composed_flags()) if mine]

    def editor_meta(self) -> list[str]:
        """The lines of the fields block compose never writes: the Note and comments."""
        return [raw for raw, mine in zip(self.meta, self._composed_flags()) if not mine]

    def prints(self) -> Prints:
        return Prints(fingerprint([_bare(self.head)]), fingerprint(self.composed_meta()),
                      fingerprint(self.body_parts()[1]))


@dataclass
class Section:
    head: str
    preamble: list[str]  # lines between the heading and the first item (comments, blanks)
    items: list[Item]
    line: int = 0
    title: str = ""
    kind: str = "normal"  # "normal", "new", "held"
    before: list[str] = field(default_factory=list)  # blank lines compose put before a heading it added

    def all_lines(self) -> list[str]:
        out = [*self.before, self.head, *self.preamble]
        for item in self.items:
            out += item.all_lines()
        return out


@dataclass
class IntroSection:
    """`## <heading> <!-- digest:intro LANG -->` and the lines up to the next
    structure: the intro in LANG, the editor's like the intro above the
    first section. Never a published section (not among `doc.sections()`)."""

    lang: str  # a language code: "es"
    head: str
    lines: list[str]  # the intro's Markdown lines (blank lines, comments and all)
    line: int = 0
    title: str = ""  # the heading's text, for the editor only

    def all_lines(self) -> list[str]:
        return [self.head, *self.lines]

    @property
    def text(self) -> str:
        """The intro's Markdown, without the blank lines around it."""
        return "\n".join(_bare(line) for line in self.lines).strip("\n")


Part = Lines | Block | Section | IntroSection


@dataclass
class IssueDoc:
    """An issue file as a list of parts that, joined, are the file."""

    header_lines: list[str]
    parts: list[Part]
    path: Path | None = None
    header: dict[str, str] = field(default_factory=dict)
    header_line: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        lines = list(self.header_lines)
        for part in self.parts:
            lines += part.all_lines()
        return "\n".join(lines)

    @property
    def status(self) -> str:
        return self.header.get("Status", "draft")

    @property
    def number(self) -> int:
        return int(self.header["Issue"])

    @property
    def month(self) -> str:
        return self.header["Month"]

    @property
    def newline(self) -> str:
        """"\\r" if the file's lines end in CRLF: lines compose adds then match."""
        return "\r" if self.header_lines and self.header_lines[0].endswith("\r") else ""

    def sections(self) -> list[Section]:
        return [part for part in self.parts if isinstance(part, Section)]

    def items(self) -> list[Item]:
        return [item for section in self.sections() for item in section.items]

    def block(self, kind: str) -> Block | None:
        return next((p for p in self.parts if isinstance(p, Block) and p.kind == kind), None)

    def intro(self) -> str:
        """The intro's Markdown: the lines before the first section, blocks left out."""
        lines: list[str] = []
        for part in self.parts:
            if isinstance(part, (Section, IntroSection)):
                break
            if isinstance(part, Lines):
                lines += [_bare(line) for line in part.lines]
        return "\n".join(lines).strip("\n")

    def intro_sections(self) -> list[IntroSection]:
        """The `<!-- digest:intro LANG -->` sections, in file order."""
        return [part for part in self.parts if isinstance(part, IntroSection)]

    def intros(self) -> dict[str, str]:
        """The intro in each other language: language code -> its Markdown
        (as `intro()` for the default language), in file order."""
        return {part.lang: part.text for part in self.intro_sections()}

    def seen(self) -> tuple[list[str], dict[str, Prints]]:
        """Every id the seen block lists, in order, and the fingerprints it records."""
        block = self.block("seen")
        ids: list[str] = []
        prints: dict[str, Prints] = {}
        for entry in block.entries if block else ():
            match = _SEEN_LINE.fullmatch(entry)
            if not match:
                ids.append(entry)
                continue
            first, fields_print, body_print, item_id = match.groups()
            ids.append(item_id)
            # An older file's one fingerprint is its excerpt's.
            known = lambda p: None if p == UNKNOWN_PRINT else p  # noqa: E731
            prints[item_id] = (Prints(known(first), known(fields_print), known(body_print)) if fields_print
                               else Prints(None, None, first))
        return ids, prints


# --- Parsing ---------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str, path):
        self.lines = text.split("\n")
        self.path = path
        self.i = 0
        self.fence: str | None = None  # the open fence's marker while inside fenced code
        self.in_comment = False  # inside an HTML comment that spans lines

    def fail(self, line: int | None, message: str) -> IssueFileError:
        return IssueFileError(self.path, line, message)

    # Fenced code and multi-line comments are never structure.
    def opaque(self, line: str) -> bool:
        """Whether `line` is inside code or a comment (updating the state as it passes)."""
        bare = _bare(line)
        if self.fence is not None:
            match = _FENCE.match(bare)
            if match and match.group(1)[0] == self.fence[0] and len(match.group(1)) >= len(self.fence) \
                    and not bare[match.end():].strip():
                self.fence = None
            return True
        if self.in_comment:
            if "-->" in bare:
                self.in_comment = False
            return True
        match = _FENCE.match(bare)
        if match:
            self.fence = match.group(1)
            return False
        stripped = bare.lstrip()
        if stripped.startswith("<!--") and "-->" not in stripped[4:] and not _BLOCK_START.match(bare):
            self.in_comment = True
        return False

    def structure(self, line: str):
        """("block", kind) / ("section", match) / ("item", match) / None for a line outside code."""
        bare = _bare(line)
        block = _BLOCK_START.match(bare)
        if block:
            return "block", block
        heading = _HEADING.fullmatch(bare)
        if heading:
            return ("section" if len(heading.group(1)) == 2 else "item"), heading
        return None

    def parse(self) -> IssueDoc:
        header_lines, header, header_line = self.header()
        doc = IssueDoc(header_lines=header_lines, parts=[], path=Path(self.path), header=header,
                       header_line=header_line)
        loose: list[str] = []
        section: Section | None = None
        intro: IntroSection | None = None  # the intro section the lines belong to
        item: Item | None = None
        ids: dict[str, int] = {}
        seen_blocks: dict[str, int] = {}
        intro_lines: dict[str, int] = {}  # language -> line of its intro section

        def flush_loose():
            nonlocal loose
            if loose:
                doc.parts.append(Lines(loose))
            loose = []

        while self.i < len(self.lines):
            line = self.lines[self.i]
            n = self.i + 1
            hidden = self.opaque(line)
            kind = None if hidden else self.structure(line)
            if kind and kind[0] == "block":
                block_kind, match = kind[1].group(1), kind[1]
                if match.group(2).strip():
                    raise self.fail(n, f"put nothing after '<!-- digest:{block_kind}' on its line; one entry a "
                                    "line below it, then a line '-->'")
                if block_kind in seen_blocks:
                    raise self.fail(n, f"a second digest:{block_kind} block (the first is at line "
                                    f"{seen_blocks[block_kind]}); keep one")
                seen_blocks[block_kind] = n
                end = self.i + 1
                while end < len(self.lines) and _bare(self.lines[end]).strip() != "-->":
                    end += 1
                if end == len(self.lines):
                    raise self.fail(n, f"the digest:{block_kind} block is not closed; add a line '-->' after "
                                    "its last entry")
                flush_loose()
                section, item, intro = None, None, None
                doc.parts.append(Block(block_kind, self.lines[self.i : end + 1], line=n))
                self.i = end + 1
                continue
            if kind and kind[0] == "section":
                flush_loose()
                item = None
                heading = self.section(kind[1], n)
                if isinstance(heading, IntroSection):
                    if heading.lang in intro_lines:
                        raise self.fail(n, f"a second intro in {heading.lang!r} (the first is at line "
                                        f"{intro_lines[heading.lang]}); keep one and delete the other")
                    intro_lines[heading.lang] = n
                    section, intro = None, heading
                else:
                    section, intro = heading, None
                doc.parts.append(heading)
                self.i += 1
                continue
            if kind and kind[0] == "item":
                if intro is not None:
                    raise self.fail(n, f"an item ('### ...') inside the intro in {intro.lang!r} (line {intro.line}); "
                                    "an intro holds no items: put a '## Section' heading above the item, or write "
                                    "a heading inside the intro with '#### '")
                if section is None:
                    after = "the digest:seen block" if doc.parts and not isinstance(doc.parts[-1], Lines) \
                        and any(isinstance(p, Section) for p in doc.parts) else "any section"
                    raise self.fail(n, f"an item ('### ...') before {after}; put a '## Section' heading above it")
                item = self.item(kind[1], n)
                if item.id in ids:
                    raise self.fail(n, f"item Id {item.id!r} is also used at line {ids[item.id]}; an item may "
                                    "appear once")
                ids[item.id] = n
                section.items.append(item)
                continue
            if item is not None:
                item.body.append(line)
            elif intro is not None:
                intro.lines.append(line)
            elif section is not None:
                if not section.items:
                    bare = _bare(line)
                    if bare.strip() and not hidden and not _is_comment_line(bare) and \
                            not bare.lstrip().startswith("<!--"):
                        raise self.fail(n, "text between a section heading and its first item; put it into an "
                                        "item's excerpt or Note, or into the intro")
                    section.preamble.append(line)
            else:
                loose.append(line)
            self.i += 1
        flush_loose()
        return doc

    def header(self):
        lines: list[str] = []
        header: dict[str, str] = {}
        where: dict[str, int] = {}
        while self.i < len(self.lines) and _bare(self.lines[self.i]).strip():
            raw = self.lines[self.i]
            bare = _bare(raw)
            if self.i == 0:
                bare = bare.lstrip("\ufeff")
            match = _FIELD.fullmatch(bare)
            if not match:
                raise self.fail(self.i + 1, f"expected a header line such as 'Title: ...' (keys: "
                                f"{', '.join(HEADER_KEYS)}), then a blank line before the intro")
            key, value = match.group(1), (match.group(2) or "")
            if key not in HEADER_KEYS:
                raise self.fail(self.i + 1, f"unknown header key {key!r}; the keys are {', '.join(HEADER_KEYS)}")
            if key in header:
                raise self.fail(self.i + 1, f"{key} is given twice; keep one")
            header[key], where[key] = value, self.i + 1
            lines.append(raw)
            self.i += 1
        for key in HEADER_KEYS:
            if not header.get(key):
                raise self.fail(where.get(key, 1), f"the header needs a '{key}: ...' line")
        self.check_header(header, where)
        return lines, header, where

    def check_header(self, header: dict[str, str], where: dict[str, int]) -> None:
        if not header["Issue"].isdigit() or not 1 <= int(header["Issue"]) <= 99999:
            raise self.fail(where["Issue"], f"Issue must be a whole number such as 12, not {header['Issue']!r}")
        if not MONTH.fullmatch(header["Month"]) or not "1900" <= header["Month"][:4] <= "2999":
            raise self.fail(where["Month"], f"Month must look like 2025-03, not {header['Month']!r}")
        if header["Status"] not in STATUSES:
            raise self.fail(where["Status"], f"Status must be 'draft' or 'published', not {header['Status']!r}")
        try:
            datetime.strptime(header["Date"], "%Y-%m-%d %H:%M")
        except ValueError:
            raise self.fail(where["Date"], f"Date must look like 2025-04-01 09:00, not {header['Date']!r}") from None

    def section(self, match: re.Match, n: int) -> Section | IntroSection:
        title = match.group(2) or ""
        kind = "normal"
        marker = _MARKER.search(title)
        if marker:
            kind, argument = marker.group(1), (marker.group(2) or "").strip()
            title = title[: marker.start()].strip()
            if kind == INTRO_KIND:
                return IntroSection(lang=self.intro_language(argument, n), head=self.lines[self.i], lines=[],
                                    line=n, title=" ".join(title.split()))
            if kind not in SPECIAL_KINDS:
                raise self.fail(n, f"unknown section marker 'digest:{_shown(kind)}'; use digest:new, digest:held "
                                "or digest:intro LANG (e.g. digest:intro es), or no marker")
            if argument:
                raise self.fail(n, f"put nothing after 'digest:{kind}' in the marker (found "
                                f"{_shown(argument)!r}); write <!-- digest:{kind} -->")
        if not title:
            raise self.fail(n, "a section heading needs a title after '## '")
        return Section(head=self.lines[self.i], preamble=[], items=[], line=n, title=" ".join(title.split()),
                       kind=kind)

    def intro_language(self, code: str, n: int) -> str:
        """The language of a `digest:intro LANG` marker, or an error saying how to write it."""
        if INTRO_LANG.fullmatch(code):
            return code
        if not code:
            raise self.fail(n, "the marker 'digest:intro' needs the intro's language code: write "
                            "<!-- digest:intro es --> for an intro in Spanish")
        tag = language_tag(code)
        hint = f" (for this intro: <!-- digest:intro {tag.split('-')[0]} -->)" if tag else ""
        raise self.fail(n, f"{_shown(code)!r} after 'digest:intro' is not one of the site's language codes; "
                        f"write the language's two- or three-letter code in lower case, such as es{hint}")

    def item(self, match: re.Match, n: int) -> Item:
        title = " ".join((match.group(2) or "").split())
        if not title:
            raise self.fail(n, "an item heading needs a title after '### '")
        item = Item(head=self.lines[self.i], meta=[], body=[], line=n, title=title)
        self.i += 1
        last_key = None
        while self.i < len(self.lines) and _bare(self.lines[self.i]).strip():
            raw = self.lines[self.i]
            bare = _bare(raw)
            if bare.startswith("  ") and last_key == "Note":
                # Two spaces of indent mark a Note's next line; the rest of the indent is the editor's.
                item.fields["Note"] += "\n" + bare[2:]
            elif _is_comment_line(bare):
                pass
            else:
                field_match = _FIELD.fullmatch(bare)
                if not field_match:
                    raise self.fail(self.i + 1, "expected 'Key: value' lines right under the item title (keys: "
                                    f"{', '.join(ITEM_KEYS)}), then a blank line before the excerpt; a Note's "
                                    "further lines start with two spaces")
                key, value = field_match.group(1), (field_match.group(2) or "")
                if key not in ITEM_KEYS:
                    near = difflib.get_close_matches(key, ITEM_KEYS, n=1, cutoff=0.6)
                    hint = f" (did you mean {near[0]}?)" if near else ""
                    raise self.fail(self.i + 1, f"unknown item key {key!r}{hint}; the keys are "
                                    f"{', '.join(ITEM_KEYS)}")
                if key in item.fields:
                    raise self.fail(self.i + 1, f"{key} is given twice for this item; keep one")
                if key == "Lang" and language_tag(value) is None:
                    raise self.fail(self.i + 1, f"Lang must be a language code such as es or pt-BR, not "
                                    f"{_shown(value)!r}; fix it, or remove the line for an item in the site's "
                                    "own language")
                item.fields[key] = value
                last_key = key
            item.meta.append(raw)
            self.i += 1
        self.check_item(item)
        return item

    def check_item(self, item: Item) -> None:
        where = item.line
        for key in ("Link", "Source", "Date"):
            if not item.fields.get(key):
                raise self.fail(where, f"item {item.title!r} needs a '{key}: ...' line under its title")
        link = item.fields["Link"]
        own = item.id.startswith("site#")
        if not (is_http_url(link) or own and link.startswith("/") and not link.startswith("//")):
            allowed = "an http(s) address" + (" or a path on this site such as /posts/x/" if own else "")
            raise self.fail(where, f"item {item.title!r}: Link must be {allowed}, not {link!r}")
        if item.fields.get("Source-URL") and not is_http_url(item.fields["Source-URL"]):
            raise self.fail(where, f"item {item.title!r}: Source-URL must be an http(s) address")
        try:
            date.fromisoformat(item.fields["Date"])
        except ValueError:
            raise self.fail(where, f"item {item.title!r}: Date must look like 2025-03-04, not "
                            f"{item.fields['Date']!r}") from None
        image = item.fields.get("Image")
        if image and not IMAGE_PATH.fullmatch(image):
            raise self.fail(where, f"item {item.title!r}: Image must be a file `invoke digest` downloaded "
                            "(digests/images/YYYY-MM/<hash>.png|jpg|gif|webp); remove the Image line instead")


def _shown(text: str, limit: int = 40) -> str:
    """Text from the file as a message quotes it: short (repr shows its controls)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_issue_text(text: str, path: str | Path) -> IssueDoc:
    """Parse an issue file's text; `doc.text() == text` for every file that parses."""
    return _Parser(text, path).parse()


def read_issue_text(path: str | Path) -> str:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IssueFileError(path, None, f"cannot read the issue file ({error.strerror})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise IssueFileError(path, line, "not valid UTF-8 text; save the file as UTF-8") from None


def read_issue_doc(path: str | Path, text: str | None = None) -> IssueDoc:
    path = Path(path)
    doc = parse_issue_text(read_issue_text(path) if text is None else text, path)
    if MONTH.fullmatch(path.stem) and path.stem != doc.month:
        raise IssueFileError(path, doc.header_line.get("Month"), f"Month is {doc.month} but the file is named "
                             f"{path.name}; make them agree (the file name is YYYY-MM.md)")
    return doc


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")
