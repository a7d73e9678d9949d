"""Issue files: the editor's plain-text copy of one monthly issue.

    Title: The Millbrook Lantern | March 2025 (Issue 11)
    Date: 2025-04-01 09:00
    Issue: 11
    Month: 2025-03
    Status: draft

    <!-- digest:report
    (written by `invoke digest`: when it composed, which sources failed)
    -->

    The intro, in Markdown: everything up to the first "## " heading.

    ## From our chapter

    ### An item's title
    Id: site#posts/some-post
    Link: https://millbrook.example.org/posts/some-post/
    Source: Millbrook Chapter
    Date: 2025-03-04
    Note: The editor's note, in Markdown (optional).

    The excerpt, in Markdown, until the next heading.

    ## New since last compose <!-- digest:new -->
    ## Held back: Some Source <!-- digest:held -->

    <!-- digest:seen
    every item id ever composed into this file, one a line, each after a
    fingerprint of the excerpt composed for it (so that `--force` can tell
    an excerpt the editor rewrote from one it may refresh)
    -->

Sections marked `<!-- digest:new -->` or `<!-- digest:held -->` are for the
editor only: they are never published. The parser is strict and line-aware;
every problem is an IssueFileError naming file:line and what to do.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import markdown

from . import digestconf
from .clean import is_http_url, plain_title, sanitise
from .errors import IssueFileError
from .files import write_atomically
from .models import DigestIssue, DigestItem, DigestSection, ItemImage

HEADER_KEYS = ("Title", "Date", "Issue", "Month", "Status")
ITEM_KEYS = ("Id", "Link", "Source", "Source-URL", "Author", "Date", "Also-in", "Image", "Image-alt", "Note")
STATUSES = ("draft", "published")
SPECIAL_KINDS = ("new", "held")
NEW_SECTION_TITLE = "New since last compose"
INTRO_PLACEHOLDER = (
    "<!-- digest:intro-placeholder Write the intro here, in Markdown: a few sentences "
    "about this month. Then delete this line. -->"
)
HELD_HINT = (
    "<!-- Not published: these items are held back for review. Move the ones you want "
    "into a section above (or cut them), then delete this section when it is empty. -->"
)
NEW_HINT = (
    "<!-- Not published: items found since the last compose. Move the ones you want "
    "into a section above, cut the rest. -->"
)
IMAGE_PATH = re.compile(r"digests/images/\d{4}-\d{2}/[0-9a-f]{64}\.(?:png|jpg|gif|webp)")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

_HEADING = re.compile(r"^(#{1,6})(?:\s+(.*?))?\s*$")
_FIELD = re.compile(r"^([A-Za-z][A-Za-z-]*):(?:\s+(.*?))?\s*$")
_MARKER = re.compile(r"\s*<!--\s*digest:(\w+)\s*-->\s*$")
# A seen line: "<excerpt fingerprint> <item id>" (ids never start with 12 hex digits and a space)
_SEEN_LINE = re.compile(r"([0-9a-f]{12}) (\S.*)")


def excerpt_print(body: str) -> str:
    """A short fingerprint of an excerpt as the file holds it (escaped as written)."""
    return hashlib.sha256(_safe_body(body.strip("\n")).strip().encode("utf-8")).hexdigest()[:12]


@dataclass
class RawItem:
    title: str
    fields: dict[str, str]
    body: str  # Markdown
    line: int = 0

    @property
    def id(self) -> str:
        return self.fields.get("Id") or f"manual#{self.fields.get('Link', '')}"


@dataclass
class RawSection:
    title: str
    items: list[RawItem]
    kind: str = "normal"  # "normal", "own", "new", "held"
    line: int = 0


@dataclass
class IssueDoc:
    """An issue file as text structure: what compose merges into and write_issue writes."""

    header: dict[str, str]
    intro: str
    sections: list[RawSection]
    seen: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)
    path: Path | None = None
    # item id -> fingerprint of the excerpt as last composed (see excerpt_print)
    excerpt_prints: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return self.header.get("Status", "draft")

    @property
    def number(self) -> int:
        return int(self.header["Issue"])

    def items(self) -> list[RawItem]:
        return [item for section in self.sections for item in section.items]


# --- Parsing -----------------------------------------------------------------


def parse_issue_text(text: str, path: str | Path) -> IssueDoc:
    lines = text.split("\n")
    fail = lambda n, msg: IssueFileError(path, n, msg)  # noqa: E731
    header: dict[str, str] = {}
    i = 0
    # Header: Key: value lines up to the first blank line.
    while i < len(lines) and lines[i].strip():
        match = _FIELD.match(lines[i])
        if not match:
            raise fail(i + 1, f"expected a header line such as 'Title: ...' (keys: {', '.join(HEADER_KEYS)}), "
                       "then a blank line before the intro")
        key, value = match.group(1), (match.group(2) or "")
        if key not in HEADER_KEYS:
            raise fail(i + 1, f"unknown header key {key!r}; the keys are {', '.join(HEADER_KEYS)}")
        if key in header:
            raise fail(i + 1, f"{key} is given twice; keep one")
        header[key] = value
        i += 1
    for key in HEADER_KEYS:
        if not header.get(key):
            raise fail(1, f"the header needs a '{key}: ...' line")
    _check_header(header, path)

    intro: list[str] = []
    sections: list[RawSection] = []
    seen: list[str] = []
    excerpt_prints: dict[str, str] = {}
    report: list[str] = []
    section: RawSection | None = None
    item: RawItem | None = None
    body: list[str] = []
    ids: dict[str, int] = {}

    def finish_item():
        nonlocal item, body
        if item is not None:
            item.body = "\n".join(body).strip("\n")
            section.items.append(item)
        item, body = None, []

    while i < len(lines):
        line = lines[i]
        n = i + 1
        if line.lstrip().startswith("<!-- digest:seen") or line.lstrip().startswith("<!-- digest:report"):
            kind = "seen" if "digest:seen" in line else "report"
            rest = line.split(f"digest:{kind}", 1)[1].strip()
            if rest:
                raise fail(n, f"put nothing after '<!-- digest:{kind}' on its line; one entry a line below it")
            j = i + 1
            while j < len(lines) and lines[j].strip() != "-->":
                j += 1
            if j == len(lines):
                raise fail(n, f"the digest:{kind} block is not closed; add a line '-->' after its last entry")
            block = [entry.strip() for entry in lines[i + 1 : j] if entry.strip()]
            if kind == "report":
                report.extend(block)
            for entry in block if kind == "seen" else ():
                printed = _SEEN_LINE.fullmatch(entry)
                if printed:
                    excerpt_prints[printed.group(2)] = printed.group(1)
                seen.append(printed.group(2) if printed else entry)
            i = j + 1
            continue
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) in (2, 3):
            level = len(heading.group(1))
            title = heading.group(2) or ""
            if level == 2:
                finish_item()
                kind = "normal"
                marker = _MARKER.search(title)
                if marker:
                    kind = marker.group(1)
                    if kind not in SPECIAL_KINDS + ("own",):
                        raise fail(n, f"unknown section marker 'digest:{kind}'; use digest:new or digest:held, "
                                   "or no marker")
                    title = title[: marker.start()].strip()
                if not title:
                    raise fail(n, "a section heading needs a title after '## '")
                section = RawSection(title=title, items=[], kind=kind, line=n)
                sections.append(section)
                i += 1
                continue
            # An item: ### title, then Key: value lines, then a blank line, then the excerpt.
            finish_item()
            if section is None:
                raise fail(n, "an item ('### ...') before any section; put a '## Section' heading above it")
            title = plain_title(title)
            if not title:
                raise fail(n, "an item heading needs a title after '### '")
            item = RawItem(title=title, fields={}, body="", line=n)
            i += 1
            last_key = None
            while i < len(lines) and lines[i].strip():
                if lines[i].startswith("  ") and last_key == "Note":
                    item.fields["Note"] += "\n" + lines[i].strip()
                    i += 1
                    continue
                match = _FIELD.match(lines[i])
                if not match:
                    raise fail(i + 1, "expected 'Key: value' lines right under the item title "
                               f"(keys: {', '.join(ITEM_KEYS)}), then a blank line before the excerpt")
                key, value = match.group(1), (match.group(2) or "")
                if key not in ITEM_KEYS:
                    raise fail(i + 1, f"unknown item key {key!r}; the keys are {', '.join(ITEM_KEYS)}")
                if key in item.fields:
                    raise fail(i + 1, f"{key} is given twice for this item; keep one")
                item.fields[key] = value
                last_key = key
                i += 1
            _check_item(item, path)
            if item.id in ids:
                raise fail(n, f"item Id {item.id!r} is also used at line {ids[item.id]}; an item may appear once")
            ids[item.id] = n
            continue
        if heading and len(heading.group(1)) == 1:
            raise fail(n, "use '## ' for sections and '### ' for items; the issue title is the Title: header")
        if item is not None:
            body.append(line)
        elif section is None:
            intro.append(line)
        elif line.strip() and not _is_comment_line(line):
            raise fail(n, "text between a section heading and its first item; put it into an item's "
                       "excerpt or Note, or into the intro")
        i += 1
    finish_item()
    return IssueDoc(header=header, intro="\n".join(intro).strip("\n"), sections=sections, seen=seen,
                    report=report, path=Path(path), excerpt_prints=excerpt_prints)


def _is_comment_line(line: str) -> bool:
    s = line.strip()
    return s.startswith("<!--") and s.endswith("-->")


def _check_header(header: dict[str, str], path) -> None:
    if not header["Issue"].isdigit() or int(header["Issue"]) < 1:
        raise IssueFileError(path, _line_of(path, "Issue"), f"Issue must be a whole number such as 12, not "
                             f"{header['Issue']!r}")
    if not MONTH.fullmatch(header["Month"]):
        raise IssueFileError(path, _line_of(path, "Month"), f"Month must look like 2025-03, not {header['Month']!r}")
    if header["Status"] not in STATUSES:
        raise IssueFileError(path, _line_of(path, "Status"), f"Status must be 'draft' or 'published', not "
                             f"{header['Status']!r}")
    try:
        datetime.strptime(header["Date"], "%Y-%m-%d %H:%M")
    except ValueError:
        raise IssueFileError(path, _line_of(path, "Date"), f"Date must look like 2025-04-01 09:00, not "
                             f"{header['Date']!r}") from None


def _line_of(path, key: str) -> int | None:
    try:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), 1):
            if line.startswith(f"{key}:"):
                return n
    except OSError:
        pass
    return None


def _check_item(item: RawItem, path) -> None:
    where = item.line
    for key in ("Link", "Source", "Date"):
        if not item.fields.get(key):
            raise IssueFileError(path, where, f"item {item.title!r} needs a '{key}: ...' line under its title")
    if not is_http_url(item.fields["Link"]):
        raise IssueFileError(path, where, f"item {item.title!r}: Link must be an http(s) address, not "
                             f"{item.fields['Link']!r}")
    if item.fields.get("Source-URL") and not is_http_url(item.fields["Source-URL"]):
        raise IssueFileError(path, where, f"item {item.title!r}: Source-URL must be an http(s) address")
    try:
        date.fromisoformat(item.fields["Date"])
    except ValueError:
        raise IssueFileError(path, where, f"item {item.title!r}: Date must look like 2025-03-04, not "
                             f"{item.fields['Date']!r}") from None
    image = item.fields.get("Image")
    if image and not IMAGE_PATH.fullmatch(image):
        raise IssueFileError(path, where, f"item {item.title!r}: Image must be a file `invoke digest` downloaded "
                             "(digests/images/YYYY-MM/<hash>.png|jpg|gif|webp); remove the Image line instead")


def read_issue_doc(path: str | Path) -> IssueDoc:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise IssueFileError(path, line, "not valid UTF-8 text; save the file as UTF-8") from None
    except OSError as error:
        raise IssueFileError(path, None, f"cannot read the issue file ({error.strerror})") from None
    doc = parse_issue_text(text.replace("\r\n", "\n"), path)
    if MONTH.fullmatch(path.stem) and path.stem != doc.header["Month"]:
        raise IssueFileError(path, _line_of(path, "Month"), f"Month is {doc.header['Month']} but the file is named "
                             f"{path.name}; make them agree (the file name is YYYY-MM.md)")
    return doc


# --- Writing -----------------------------------------------------------------


def _safe_body(body: str) -> str:
    # A body line must not be read back as a heading or a machine block.
    out = []
    for line in body.split("\n"):
        if re.match(r"\s*#", line):
            line = line.replace("#", "&#35;", 1)
        if re.match(r"\s*<!--\s*digest:", line):
            line = line.replace("<!--", "&lt;!--", 1)
        out.append(line)
    return "\n".join(out)


def _heading_text(title: str) -> str:
    # Names come from other sites: one line, and no comment delimiters that
    # could read back as a `<!-- digest:… -->` marker or hide what follows.
    return plain_title(title.replace("<!--", " ").replace("-->", " "))


def format_issue(doc: IssueDoc) -> str:
    out: list[str] = [f"{key}: {doc.header[key]}" for key in HEADER_KEYS]
    out.append("")
    if doc.report:
        out += ["<!-- digest:report", *doc.report, "-->", ""]
    out.append(doc.intro.strip("\n") or INTRO_PLACEHOLDER)
    for section in doc.sections:
        marker = f" <!-- digest:{section.kind} -->" if section.kind in SPECIAL_KINDS else ""
        out += ["", f"## {_heading_text(section.title)}{marker}"]
        if section.kind == "held":
            out.append(HELD_HINT)
        elif section.kind == "new":
            out.append(NEW_HINT)
        for item in section.items:
            out += ["", f"### {_heading_text(item.title)}"]
            for key in ITEM_KEYS:
                value = item.fields.get(key)
                if value and key == "Note":  # the one field that may run over several lines
                    lines = str(value).split("\n")
                    out.append(f"{key}: {lines[0]}")
                    out += [f"  {extra}" for extra in lines[1:]]
                elif value:
                    out.append(f"{key}: {_heading_text(str(value))}")
            if item.body.strip():
                out += ["", _safe_body(item.body.strip("\n"))]
    seen = [f"{doc.excerpt_prints[i]} {i}" if i in doc.excerpt_prints else i for i in doc.seen]
    out += ["", "<!-- digest:seen", *seen, "-->", ""]
    return "\n".join(out)


def write_issue(doc: IssueDoc, path: str | Path) -> None:
    """Write atomically: a reader (or a crash) sees the old file or the new one."""
    write_atomically(path, format_issue(doc).encode("utf-8"), durable=True)


# --- Reading for readers -----------------------------------------------------


def month_label(month: str) -> str:
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def render_markdown(text: str, *, siteurl: str = "") -> str:
    """Editor Markdown (intro, excerpt, note) -> HTML under the digest's allow-list.

    Images must be local copies made by `invoke digest`; any other image is
    removed, so a page never loads a resource from another host.
    """
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text, extensions=["extra", "smarty"], output_format="html")
    return sanitise(html, image_src=lambda src: local_image_url(src, siteurl))


def local_image_url(src: str, siteurl: str = "") -> str | None:
    path = src.lstrip("/")
    if siteurl and src.startswith(siteurl.rstrip("/") + "/"):
        path = src[len(siteurl.rstrip("/")) + 1 :]
    if IMAGE_PATH.fullmatch(path):
        return f"{siteurl.rstrip('/')}/{path}"
    return None


def read_issue(path: str | Path, settings) -> DigestIssue:
    """Parse an issue file into what pages, feeds and email render."""
    doc = read_issue_doc(path)
    siteurl = settings.get("SITEURL", "") if settings is not None else ""
    tz = digestconf.timezone(settings or {})
    public = digestconf.site_public_url(settings or {})
    month = doc.header["Month"]
    sections: list[DigestSection] = []
    review: list[DigestSection] = []
    for raw in doc.sections:
        items = [_digest_item(item, siteurl, public) for item in raw.items]
        slug = re.sub(r"[^\w]+", "-", raw.title.casefold(), flags=re.UNICODE).strip("-_")
        section = DigestSection(title=raw.title, slug=slug or "section", items=items, kind=raw.kind)
        if raw.kind in SPECIAL_KINDS:
            review.append(section)
        elif items:
            sections.append(section)
    # Unique anchors for the table of contents.
    used: set[str] = set()
    for section in sections + review:
        base, n = section.slug, 2
        while section.slug in used:
            section.slug = f"{base}-{n}"
            n += 1
        used.add(section.slug)
    intro_html = render_markdown(doc.intro, siteurl=siteurl)
    return DigestIssue(
        month=month,
        number=doc.number,
        title=doc.header["Title"],
        date=datetime.strptime(doc.header["Date"], "%Y-%m-%d %H:%M").replace(tzinfo=tz),
        status=doc.status,
        intro_html=intro_html,
        sections=sections,
        source_path=str(path),
        url=f"digest/{month}/",
        save_as=f"digest/{month}/index.html",
        month_label=month_label(month),
        review_sections=review,
        has_intro=bool(intro_html.strip()),
    )


def _digest_item(raw: RawItem, siteurl: str, public: str | None = None) -> DigestItem:
    f = raw.fields
    site_path = None
    if public and raw.id.startswith("site#") and f["Link"].startswith(public + "/"):
        site_path = f["Link"][len(public) + 1 :]
    image = None
    if f.get("Image"):
        image = ItemImage(src=f["Image"], alt=plain_title(f.get("Image-alt", "")))
    also = [plain_title(s) for s in (f.get("Also-in") or "").split(";") if s.strip()]
    return DigestItem(
        key=raw.id,
        title=raw.title,
        link=f["Link"],
        source_title=plain_title(f["Source"]),
        source_url=f.get("Source-URL") or None,
        author=plain_title(f.get("Author")) or None,
        date=date.fromisoformat(f["Date"]),
        excerpt_html=render_markdown(raw.body, siteurl=siteurl),
        note_html=render_markdown(f.get("Note", ""), siteurl=siteurl) or None,
        image=image,
        also_in=also,
        site_path=site_path,
    )


# --- Merging a fresh compose into the editor's file --------------------------

KEEP_ON_FORCE = ("Note", "Image", "Image-alt")


def merge(existing: IssueDoc | None, composed: list[RawSection], header: dict[str, str], *,
          force: bool) -> tuple[IssueDoc, list[RawItem]]:
    """The file to write, and the items it gains.

    Without an existing file: the composed issue. Without `force`: the
    editor's file untouched, plus composed items it has never held (by Id,
    remembering cut items through the seen list) in a "New since last
    compose" section (or their "Held back" section). With `force`: the
    composed issue, keeping the editor's header (number, date, title,
    status), intro, retitles, notes, images, hand-added items and cuts.
    """
    composed_ids = [item.id for section in composed for item in section.items]
    composed_prints = {item.id: excerpt_print(item.body) for section in composed for item in section.items}
    if existing is None:
        doc = IssueDoc(header=dict(header), intro="", sections=[s for s in composed if s.items],
                       seen=list(dict.fromkeys(composed_ids)), excerpt_prints=composed_prints)
        return doc, [item for section in doc.sections for item in section.items]
    prints = dict(existing.excerpt_prints)
    present = {item.id: item for item in existing.items()}
    cut = set(existing.seen) - set(present)
    seen = list(dict.fromkeys(existing.seen + list(present) + composed_ids))
    if not force:
        known = set(existing.seen) | set(present)
        sections = [RawSection(s.title, list(s.items), s.kind, s.line) for s in existing.sections]
        added: list[RawItem] = []
        for section in composed:
            fresh = [item for item in section.items if item.id not in known]
            if not fresh:
                continue
            added += fresh
            if section.kind == "held":
                target = next((s for s in sections if s.kind == "held" and s.title == section.title), None)
                if target is None:
                    target = RawSection(section.title, [], "held")
                    sections.append(target)
            else:
                target = next((s for s in sections if s.kind == "new"), None)
                if target is None:
                    target = RawSection(NEW_SECTION_TITLE, [], "new")
                    # Before the held-back sections, after everything published.
                    at = next((i for i, s in enumerate(sections) if s.kind == "held"), len(sections))
                    sections.insert(at, target)
            target.items.extend(fresh)
            prints.update((item.id, composed_prints[item.id]) for item in fresh)
        doc = IssueDoc(header=dict(existing.header), intro=existing.intro, sections=sections, seen=seen,
                       report=existing.report, path=existing.path, excerpt_prints=prints)
        return doc, added
    sections = []
    placed: set[str] = set()
    for section in composed:
        items = []
        for item in section.items:
            if item.id in cut:
                continue
            mine = present.get(item.id)
            if section.kind == "held" and mine is not None and _section_kind(existing, item.id) != "held":
                continue  # the editor released it from review: it stays where they put it
            if mine is None:
                prints[item.id] = composed_prints[item.id]
            else:
                # An excerpt is refreshed only if the editor left it as composed;
                # without a fingerprint (an older file) theirs is kept.
                untouched = prints.get(item.id) == excerpt_print(mine.body)
                body = item.body if untouched else mine.body
                if untouched:
                    prints[item.id] = composed_prints[item.id]
                item = RawItem(title=mine.title, fields=dict(item.fields), body=body)
                for key in KEEP_ON_FORCE:
                    if mine.fields.get(key):
                        item.fields[key] = mine.fields[key]
            items.append(item)
            placed.add(item.id)
        if items:
            sections.append(RawSection(section.title, items, section.kind))
    # Items the editor added by hand (or that no longer compose): kept where they were.
    for old in existing.sections:
        leftovers = [item for item in old.items if item.id not in placed]
        if not leftovers:
            continue
        target = next((s for s in sections if s.title == old.title and s.kind == old.kind), None)
        if target is None:
            target = RawSection(old.title, [], old.kind)
            sections.append(target)
        target.items.extend(leftovers)
    added = [item for section in sections for item in section.items if item.id not in present]
    doc = IssueDoc(header=dict(existing.header), intro=existing.intro, sections=sections, seen=seen,
                   report=existing.report, path=existing.path, excerpt_prints=prints)
    return doc, added


def _section_kind(doc: IssueDoc, item_id: str) -> str | None:
    for section in doc.sections:
        if any(item.id == item_id for item in section.items):
            return section.kind
    return None
