"""Merging a fresh compose into the editor's issue file (the last stage of composing).

Merging is by item id, never by position, and it edits the parsed document in
place: every line it does not mean to change is written back as it was read.

- No file yet: the composed issue.
- Without `force`: the editor's file, plus the composed items it has never
  held (cut items are remembered in the seen block) in "New since last
  compose" (or their "Held back" section), a new report and seen block.
- With `force`: as without, but new items go straight into their source's
  section, and each part of an item (title, fields, excerpt) that the editor
  left exactly as compose last wrote it (its fingerprint in the seen block)
  is replaced by the new compose. A part the editor touched, the Note, the
  order of items and sections, comments and hand-added items are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .format import format_block, format_section, new_document, seen_entries
from .issuefile import NEW_SECTION_TITLE, Block, IssueDoc, Item, Lines, Prints, Section, _is_blank


@dataclass
class ComposedPart:
    """One composed section, formatted: its title, kind and items with their fingerprints."""

    title: str
    kind: str  # "own", "source", "held"
    items: list[tuple[Item, Prints]]


@dataclass
class MergeResult:
    doc: IssueDoc
    added: list[Item] = field(default_factory=list)  # items new to the file
    refreshed: list[str] = field(default_factory=list)  # ids whose untouched parts were recomposed (force)
    kept: list[str] = field(default_factory=list)  # ids where a part the editor changed was kept (force)


def merge(existing: IssueDoc | None, composed: list[ComposedPart], *, header: dict[str, str], report: list[str],
          force: bool, path=None) -> MergeResult:
    if existing is None:
        sections, prints, ids = [], {}, []
        for part in composed:
            if not part.items:
                continue
            section = format_section(part.title, "held" if part.kind == "held" else "normal")
            for item, item_prints in part.items:
                section.items.append(item)
                prints[item.id] = item_prints
                ids.append(item.id)
            sections.append(section)
        doc = new_document(header, sections, report, seen_entries(list(dict.fromkeys(ids)), prints), path=path)
        return MergeResult(doc=doc, added=[i for s in sections for i in s.items])
    return _Merger(existing, force).run(composed, report)


class _Merger:
    def __init__(self, doc: IssueDoc, force: bool):
        self.doc = doc
        self.force = force
        self.nl = doc.newline
        self.seen, self.prints = doc.seen()
        self.present = {item.id: item for item in doc.items()}
        self.known = set(self.seen) | set(self.present)
        self.result = MergeResult(doc=doc)

    def run(self, composed: list[ComposedPart], report: list[str]) -> MergeResult:
        for part in composed:
            for item, prints in part.items:
                if item.id in self.present:
                    if self.force:
                        self.refresh(self.present[item.id], item, prints)
                elif item.id not in self.known:
                    self.add(part, item)
                    self.prints[item.id] = prints
                    self.known.add(item.id)
                    self.result.added.append(item)
        ids = list(dict.fromkeys(self.seen + list(self.present) + [i.id for i in self.result.added]))
        self.replace_block("report", report)
        self.replace_block("seen", seen_entries(ids, self.prints))
        return self.result

    # --- refreshing what the editor left untouched ---------------------------------

    def refresh(self, mine: Item, new: Item, new_prints: Prints) -> None:
        base = self.prints.get(mine.id) or Prints(None, None, None)
        current = mine.prints()
        title, fields, body = base.title, base.fields, base.body
        changed = kept = False
        if base.title is not None and current.title == base.title:
            changed |= mine.head != new.head
            mine.head, mine.title, title = self._line_end(new.head, mine.head), new.title, new_prints.title
        elif current.title != new_prints.title:
            kept = True
        if base.fields is not None and current.fields == base.fields:
            meta = [self._line_end(line, mine.head) for line in new.meta] + mine.editor_meta()
            changed |= meta != mine.meta
            note = mine.fields.get("Note")
            mine.meta, mine.fields, fields = meta, dict(new.fields), new_prints.fields
            if note is not None:
                mine.fields["Note"] = note
        elif current.fields != new_prints.fields:
            kept = True
        if base.body is not None and current.body == base.body:
            lead, core, trail = mine.body_parts()
            _, new_core, _ = new.body_parts()
            if core:
                body_lines = lead + [self._line_end(line, mine.head) for line in new_core] + trail
            else:
                body_lines = [self._line_end(line, mine.head) for line in new.body]
            changed |= body_lines != mine.body
            mine.body, body = body_lines, new_prints.body
        elif current.body != new_prints.body:
            kept = True
        self.prints[mine.id] = Prints(title, fields, body)
        if changed:
            self.result.refreshed.append(mine.id)
        if kept:
            self.result.kept.append(mine.id)

    @staticmethod
    def _line_end(line: str, like: str) -> str:
        line = line.rstrip("\r")
        return line + "\r" if like.endswith("\r") else line

    # --- adding new items ----------------------------------------------------------------

    def add(self, part: ComposedPart, item: Item) -> None:
        if part.kind == "held":
            target = self.section(part.title, "held", before=())
        elif self.force:
            target = self.section(part.title, "normal", before=("new", "held"))
        else:
            target = self.section(NEW_SECTION_TITLE, "new", before=("held",))
        item.head, item.meta, item.body = (
            item.head.rstrip("\r") + self.nl,
            [m.rstrip("\r") + self.nl for m in item.meta],
            [b.rstrip("\r") + self.nl for b in item.body],
        )
        if target.items and not _is_blank(target.items[-1].all_lines()[-1]):
            target.items[-1].body.append(self.nl)
        elif not target.items and target.preamble and not _is_blank(target.preamble[-1]):
            target.preamble.append(self.nl)
        target.items.append(item)

    def section(self, title: str, kind: str, *, before: tuple[str, ...]) -> Section:
        """The editor's section of that title and kind, or a new one placed before `before` kinds."""
        for section in self.doc.sections():
            if section.title == title and section.kind == kind:
                return section
        section = format_section(title, kind, self.nl)
        parts = self.doc.parts
        sections = [i for i, p in enumerate(parts) if isinstance(p, Section)]
        at = next((i for i in sections if parts[i].kind in before), None)
        if at is None:
            if sections:
                at = sections[-1] + 1
            else:
                seen = next((i for i, p in enumerate(parts) if isinstance(p, Block) and p.kind == "seen"), None)
                at = seen if seen is not None else self._end()
        previous = self._lines_before(at)
        if previous and not _is_blank(previous[-1]):
            section.before = [self.nl]
        parts.insert(at, section)
        return section

    # --- machine blocks --------------------------------------------------------------------

    def replace_block(self, kind: str, entries: list[str]) -> None:
        block = format_block(kind, entries, self.nl)
        old = self.doc.block(kind)
        if old is not None:
            old.lines = block.lines
            return
        parts = self.doc.parts
        if kind == "report":
            # After the header's blank line, followed by a blank line.
            first = parts[0] if parts else None
            if isinstance(first, Lines) and first.lines and _is_blank(first.lines[0]):
                rest = first.lines[1:]
                parts[0:1] = [Lines([first.lines[0]]), block, Lines([self.nl, *rest])]
            else:
                parts[0:0] = [Lines([self.nl]), block, Lines([self.nl])]
            return
        at = self._end()
        previous = self._lines_before(at)
        lead = [] if previous and _is_blank(previous[-1]) else [self.nl]
        parts[at:at] = [Lines(lead), block] if lead else [block]
        if at + (2 if lead else 1) >= len(parts):
            parts.append(Lines([""]))  # end the file with a line break

    def _end(self) -> int:
        """Where to add at the end: before the file's final line break, if it has one."""
        parts = self.doc.parts
        if parts and isinstance(parts[-1], Lines) and parts[-1].lines == [""]:
            return len(parts) - 1
        if parts and isinstance(parts[-1], Lines) and parts[-1].lines and parts[-1].lines[-1] == "":
            last = parts.pop()
            parts += [Lines(last.lines[:-1]), Lines([""])]
            return len(parts) - 1
        return len(parts)

    def _lines_before(self, at: int) -> list[str]:
        lines = list(self.doc.header_lines)
        for part in self.doc.parts[:at]:
            lines += part.all_lines()
        return lines
