"""`invoke digest --month YYYY-MM`: compose (or update) one month's issue file.

The command runs the stages one way:

    read the editor's file  ->  select (archive + the chapter's own posts)
    ->  images (local copies)  ->  format (issue-file text, fingerprints)
    ->  merge (into the editor's file)  ->  write, only if the file is unchanged

Composes take a lock (`content/digests/.compose.lock`): issue numbers are
handed out under it, and the file is written under it only if its bytes are
still the ones compose read. An editor's save made while compose was busy
(downloading images can take minutes) is never overwritten: compose writes
nothing and says so.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from .errors import DigestError, FrozenIssueError, IssueChangedError, IssueFileError, SettingsError
from .files import exclusive_lock, write_atomically
from .format import format_item
from .issuefile import MONTH, IssueDoc, month_label, read_issue_doc, read_issue_text
from .merge import ComposedPart, MergeResult, merge
from .models import ComposedItem, ComposedSection, LocalImage, Source
from .settings import DigestSettings

LEDGER = ".issue-numbers"  # "YYYY-MM N" lines: a number once given is never given to another month
LOCK = ".compose.lock"


# --- Issue numbers ------------------------------------------------------------------


def _ledger(issues: Path) -> dict[str, int]:
    numbers: dict[str, int] = {}
    try:
        for line in (issues / LEDGER).read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and MONTH.fullmatch(parts[0]) and parts[1].isdigit():
                numbers[parts[0]] = int(parts[1])
    except FileNotFoundError:
        pass
    return numbers


def issue_number(issues: Path, month: str) -> int:
    """The month's number: its old one if it ever had one, else one past the highest."""
    ledger = _ledger(issues)
    if month in ledger:
        return ledger[month]
    highest = max(ledger.values(), default=0)
    for path in issues.glob("*.md"):
        try:
            head = path.read_text(encoding="utf-8")[:2000]
        except (OSError, UnicodeDecodeError):
            continue
        match = re.search(r"^Issue:\s*(\d+)\s*$", head, re.MULTILINE)
        if match:
            highest = max(highest, int(match.group(1)))
    return highest + 1


def remember_number(issues: Path, month: str, number: int) -> None:
    """Record the month's number (call under the compose lock)."""
    ledger = _ledger(issues)
    if ledger.get(month) == number:
        return
    ledger[month] = number
    text = "".join(f"{m} {n}\n" for m, n in sorted(ledger.items()))
    write_atomically(issues / LEDGER, text.encode("utf-8"), durable=True)


def new_header(conf: DigestSettings, month: str, number: int) -> dict[str, str]:
    from .select import month_window

    _, end = month_window(month, conf.timezone)
    when = end.replace(hour=conf.issue_hour)
    return {
        "Title": f"{conf.name} | {month_label(month)} (Issue {number})",
        "Date": when.strftime("%Y-%m-%d %H:%M"),
        "Issue": str(number),
        "Month": month,
        "Status": "draft",
    }


def failing_sources(health) -> list[tuple[Source, str]]:
    failing = []
    for h in health:
        last_failed = h.last_error and (h.last_success is None or (h.last_attempt and h.last_attempt > h.last_success))
        if last_failed or h.dead:
            failing.append((h.source, h.last_error or "no longer answers"))
    return failing


# --- The command ------------------------------------------------------------------------


def check_month(month: str | None) -> str | None:
    """Why `month` cannot be an issue's month, or None."""
    if not MONTH.fullmatch(month or ""):
        return f"--month must look like 2025-03, not {month!r}"
    if not 1900 <= int(month[:4]) <= 2999:
        return f"--month must fall between 1900-01 and 2999-12, not {month!r}"
    return None


def run_compose(root: Path, settings, *, month: str, archive_path: Path | None = None,
                sources_path: Path | None = None, force: bool = False, now: datetime | None = None,
                out=print) -> int:
    """Compose the month; print what happened; return an exit code (0 ok, 1 not written, 2 bad usage)."""
    problem = check_month(month)
    if problem:
        out(f"error: {problem}")
        return 2
    try:
        conf = DigestSettings.from_pelican(settings)
    except SettingsError as error:
        out(f"error: {error} (in pelicanconf.py)")
        return 2
    try:
        return _Compose(conf, settings, month, force=force, now=now or datetime.now(UTC), out=out).run(
            archive_path or conf.archive_path, sources_path if sources_path is not None else conf.sources_path)
    except (IssueFileError, FrozenIssueError, IssueChangedError) as error:
        out(f"error: {error}")
        return 1
    except DigestError as error:
        out(f"error: {error}")
        return 2
    except sqlite3.DatabaseError as error:
        out(f"error: the feed archive cannot be read ({error}); restore it from a backup, or delete it and run "
            "`invoke fetch` again")
        return 2
    except OSError as error:
        where = error.filename or "a file"
        out(f"error: cannot write {where}: {error.strerror or error}. The issue file was not changed; free some "
            "disk space or fix the folder's permissions, then run again.")
        return 1


class _Compose:
    def __init__(self, conf: DigestSettings, settings, month: str, *, force: bool, now: datetime, out):
        self.conf = conf
        self.settings = settings
        self.month = month
        self.force = force
        self.now = now
        self.out = out
        self.path = conf.issues_dir / f"{month}.md"
        self.lock = conf.issues_dir / LOCK

    def run(self, archive_path: Path, sources_path: Path | None) -> int:
        original, existing = self.read_editor_file()
        entries, health, sources = self.read_archive(archive_path, sources_path)
        with exclusive_lock(self.lock):
            number = existing.number if existing else issue_number(self.conf.issues_dir, self.month)
            remember_number(self.conf.issues_dir, self.month, number)  # reserved: no other month gets it
        from .own import own_posts
        from .select import month_window, select

        start, end = month_window(self.month, self.conf.timezone)
        own = own_posts(self.settings, self.conf, start, end, self.now)
        selection = select(entries, sources, own, self.conf, now=self.now)
        known = self.known_ids(existing)
        sections, image_failures = self.localise(selection.sections, known)
        nl = existing.newline if existing else ""
        composed = [ComposedPart(s.title, s.kind, [format_item(item, nl) for item in s.items]) for s in sections]
        failing = failing_sources(health)
        report = self.report(len(entries), failing, selection)
        result = merge(existing, composed, header=new_header(self.conf, self.month, number), report=report,
                       force=self.force, path=self.path)
        self.write(original, result.doc, number)
        self.summary(existing, result, selection, failing, image_failures)
        return 0

    def read_editor_file(self) -> tuple[bytes | None, IssueDoc | None]:
        try:
            original = self.path.read_bytes()
        except FileNotFoundError:
            return None, None
        existing = read_issue_doc(self.path, read_issue_text(self.path))
        if existing.status == "published":
            raise FrozenIssueError(
                f"{self.path}: this issue is published (Status: published), so it is frozen: readers already "
                "have it. Nothing was changed. To change it anyway, set 'Status: draft' in the file first."
            )
        return original, existing

    def read_archive(self, archive_path: Path, sources_path: Path | None):
        from .archive import Archive
        from .select import month_window

        if not archive_path.exists():
            raise DigestError(f"{archive_path}: no feed archive yet; run `invoke fetch` first (or pass --archive)")
        start, end = month_window(self.month, self.conf.timezone)
        with Archive(archive_path) as store:
            entries = store.entries_between(start.astimezone(UTC), end.astimezone(UTC))
            health = store.sources_health()
        sources = {h.source.feed_url: h.source for h in health}
        if sources_path is not None and sources_path.exists():
            from .sources import load_sources

            try:
                for source in load_sources(sources_path):
                    sources[source.feed_url] = source  # the editor's titles and categories win
            except DigestError as error:
                self.out(f"warning: {error} (using the titles stored in the archive)")
        return entries, health, sources

    def known_ids(self, existing: IssueDoc | None) -> set[str]:
        if existing is None:
            return set()
        seen, _ = existing.seen()
        return set(seen) | {item.id for item in existing.items()}

    # --- images: only for the items this compose will write -----------------------------------

    def localise(self, sections: list[ComposedSection], known: set[str]) -> tuple[list[ComposedSection], list[str]]:
        from .format import safe_id

        wanted = [(s, i) for s in sections if s.kind != "held" for i in s.items
                  if self.force or safe_id(i.id) not in known]
        if not self.conf.images or not any(i.lead_image_url or "<img" in i.excerpt_html for _, i in wanted):
            return sections, []
        from .images import ImageFetcher, localise_html

        done: dict[str, ComposedItem] = {}
        with ImageFetcher(self.conf.content_dir, self.month, limits=self.conf.image_limits(self.settings)) as fetcher:
            for _, item in wanted:
                html = item.excerpt_html
                if self.conf.full_excerpts and "<img" in html:
                    html = localise_html(html, fetcher.fetch)
                image = None
                if item.lead_image_url:
                    local = fetcher.fetch(item.lead_image_url)
                    src = getattr(local, "src", local)
                    if src and not (self.conf.full_excerpts and src in html):
                        image = LocalImage(src=src, alt=item.lead_image_alt, width=getattr(local, "width", 0),
                                           height=getattr(local, "height", 0))
                done[item.id] = replace(item, excerpt_html=html, image=image)
            failures = list(fetcher.failures)
        localised = [replace(s, items=tuple(done.get(i.id, i) for i in s.items)) for s in sections]
        return localised, failures

    # --- writing ---------------------------------------------------------------------------

    def report(self, archived: int, failing, selection) -> list[str]:
        report = [f"Composed {self.now.astimezone(UTC):%Y-%m-%d %H:%M} UTC from {archived} archived entries."]
        report += [f"Source failing at its last fetch: {s.title} ({s.feed_url}): {why}" for s, why in failing]
        report += [f"Dropped: {w}" for w in selection.dropped]
        report += [f"Held back for review (flood guard): {t}, {n} items" for t, n in sorted(selection.held.items())]
        return report

    def write(self, original: bytes | None, doc: IssueDoc, number: int) -> None:
        data = doc.text().encode("utf-8")
        with exclusive_lock(self.lock):
            try:
                current = self.path.read_bytes()
            except FileNotFoundError:
                current = None
            if _digest(current) != _digest(original):
                raise IssueChangedError(
                    f"{self.path}: the issue file changed while composing (saved by an editor or another "
                    "compose); nothing was written, so that change is safe. Run `invoke digest` again."
                )
            if current != data:
                write_atomically(self.path, data, durable=True)
            remember_number(self.conf.issues_dir, self.month, number)

    def summary(self, existing, result: MergeResult, selection, failing, image_failures) -> None:
        out, doc = self.out, result.doc
        if existing is None:
            out(f"Wrote {self.path} (new issue {doc.number}).")
        elif self.force:
            out(f"Updated {self.path} (--force): {len(result.refreshed)} item(s) refreshed where you had not "
                f"edited them, {len(result.kept)} kept as you edited them, {len(result.added)} new.")
        else:
            out(f"Updated {self.path}: {len(result.added)} new item(s) added"
                + (" (see 'New since last compose')." if result.added else "."))
        for item in result.added if existing is not None else ():
            out(f"  + {item.title} ({item.fields.get('Source')})")
        published = Counter(item.fields.get("Source", "?") for s in doc.sections() if s.kind == "normal"
                            for item in s.items)
        review = sum(len(s.items) for s in doc.sections() if s.kind != "normal")
        out(f"The issue holds {sum(published.values())} item(s)"
            + (f", plus {review} for review (new or held back, not published)." if review else "."))
        for title, count in sorted(published.items(), key=lambda kv: kv[0].casefold()):
            out(f"  {title}: {count}")
        if selection.duplicates:
            out(f"Duplicates merged: {selection.duplicates}")
        if selection.held:
            out("Held back for review (not published until you move them out of the 'Held back' section):")
            for title, count in sorted(selection.held.items()):
                out(f"  {title}: {count} items")
        else:
            out("Held back: none")
        if selection.future:
            out(f"Future-dated entries left out: {selection.future}")
        for warning in selection.dropped:
            out(f"warning: {warning}")
        if failing:
            out("Sources that failed at their last fetch (the issue was composed without their newest posts):")
            for source, why in failing:
                out(f"  {source.title} ({source.feed_url}): {why}")
        else:
            out("Sources that failed: none")
        for failure in image_failures:
            out(f"warning: image skipped: {failure}")


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()
