"""`invoke digest --month YYYY-MM`: compose (or update) one month's issue file.

cli.digest wraps `run_digest`. Steps: read the editor's file (refuse if it
is published), read the month's entries from the archive and the chapter's
own posts, compose, merge into the editor's file without losing their work,
download images of the items written, write atomically, report.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from . import digestconf
from .compose import Composition, compose, month_window
from .errors import DigestError, FrozenIssueError, IssueFileError
from .issuefile import (
    IssueDoc,
    MONTH,
    merge,
    month_label,
    read_issue_doc,
    write_issue,
)
from .models import Source
from .own import own_posts

LEDGER = ".issue-numbers"  # "YYYY-MM N" lines: a number once given is never given to another month


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


def _remember_number(issues: Path, month: str, number: int) -> None:
    ledger = _ledger(issues)
    if ledger.get(month) == number:
        return
    ledger[month] = number
    text = "".join(f"{m} {n}\n" for m, n in sorted(ledger.items()))
    tmp = issues / f"{LEDGER}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(issues / LEDGER)


def new_header(settings, month: str, number: int) -> dict[str, str]:
    tz = digestconf.timezone(settings)
    _, end = month_window(month, tz)
    when = end.replace(hour=int(digestconf.get(settings, "DIGEST_ISSUE_HOUR")))
    name = digestconf.get(settings, "DIGEST_NAME")
    return {
        "Title": f"{name} | {month_label(month)} (Issue {number})",
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


def run_digest(root: Path, settings, *, month: str, archive_path: Path, sources_path: Path | None, force: bool,
               now: datetime | None = None, out=print) -> int:
    from .archive import Archive

    now = now or datetime.now(UTC)
    if not MONTH.fullmatch(month or ""):
        out(f"error: --month must look like 2025-03, not {month!r}")
        return 2
    issues = digestconf.issues_dir(settings)
    path = issues / f"{month}.md"
    existing: IssueDoc | None = None
    try:
        if path.exists():
            existing = read_issue_doc(path)
            if existing.status == "published":
                raise FrozenIssueError(
                    f"{path}: this issue is published (Status: published), so it is frozen: readers "
                    "already have it. Nothing was changed. To change it anyway, set 'Status: draft' in "
                    "the file first."
                )
    except (IssueFileError, FrozenIssueError) as error:
        out(f"error: {error}")
        return 1
    if not archive_path.exists():
        out(f"error: {archive_path}: no feed archive yet; run `invoke fetch` first (or pass --archive)")
        return 2
    try:
        store = Archive(archive_path)
    except DigestError as error:
        out(f"error: {error}")
        return 2
    with store:
        tz = digestconf.timezone(settings)
        start, end = month_window(month, tz)
        entries = store.entries_between(start.astimezone(UTC), end.astimezone(UTC))
        health = store.sources_health()
    sources = {h.source.feed_url: h.source for h in health}
    if sources_path is not None and sources_path.exists():
        try:
            from .sources import load_sources

            for source in load_sources(sources_path):
                sources[source.feed_url] = source  # the editor's titles and categories win
        except DigestError as error:
            out(f"warning: {error} (using the titles stored in the archive)")
    own = own_posts(settings, start, end, now)
    composition = compose(entries, sources, own, settings, now=now)
    number = existing.number if existing else issue_number(issues, month)
    failing = failing_sources(health)
    report = [f"Composed {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC from {len(entries)} archived entries."]
    report += [f"Source failing at its last fetch: {s.title} ({s.feed_url}): {why}" for s, why in failing]
    report += [f"Dropped: {w}" for w in composition.dropped]
    report += [f"Held back for review (flood guard): {t}, {n} items" for t, n in sorted(composition.held.items())]
    report = [line.replace("-->", "- ->") for line in report]
    doc, added = merge(existing, composition.sections, new_header(settings, month, number), force=force)
    doc.report = report
    images_failed = _images(root, settings, month, doc, composition,
                            fresh={item.id for item in added} if not force or existing is None else None)
    issues.mkdir(parents=True, exist_ok=True)
    write_issue(doc, path)
    _remember_number(issues, month, number)
    _summary(out, path, existing, force, doc, added, composition, failing, images_failed)
    return 0


def _images(root, settings, month: str, doc: IssueDoc, composition: Composition, *, fresh: set[str] | None) -> list[str]:
    """Download lead (and, in full mode, inline) images of the items just written.

    `fresh`: ids whose content came from this compose (None: every item
    that came from compose, as with --force). Held-back items get none.
    """
    if not digestconf.get(settings, "DIGEST_IMAGES"):
        return []
    from .images import ImageFetcher, localise_html

    content = Path(settings.get("PATH") or Path(root) / "content")
    full = digestconf.get(settings, "DIGEST_EXCERPT_MODE") == "full"
    composed_ids = {item.id for s in composition.sections for item in s.items}
    with ImageFetcher(content, month, max_bytes=int(digestconf.get(settings, "DIGEST_IMAGE_MAX_BYTES")),
                      timeout=float(digestconf.get(settings, "DIGEST_IMAGE_TIMEOUT"))) as fetcher:
        for section in doc.sections:
            if section.kind == "held":
                continue
            for item in section.items:
                if item.id not in (fresh if fresh is not None else composed_ids):
                    continue
                if full and "<img" in item.body:
                    item.body = localise_html(item.body, fetcher.fetch)
                lead = composition.lead_images.get(item.id)
                if lead and not item.fields.get("Image"):
                    local = fetcher.fetch(lead[0])
                    if full and local and local in item.body:
                        continue  # already shown inline
                    if local:
                        item.fields["Image"] = local
                    if lead[1]:
                        item.fields["Image-alt"] = lead[1]
        return list(fetcher.failures)


def _summary(out, path, existing, force, doc, added, composition, failing, images_failed) -> None:
    if existing is None:
        out(f"Wrote {path} (new issue {doc.number}).")
    elif force:
        out(f"Rewrote {path} (--force): kept the intro, issue number, notes, retitles and cut items.")
    else:
        out(f"Updated {path}: {len(added)} new item(s) added" + (" (see 'New since last compose')." if added else "."))
        for item in added:
            out(f"  + {item.title} ({item.fields.get('Source')})")
    out("Items per source:")
    for title, count in sorted(composition.per_source.items(), key=lambda kv: kv[0].casefold()):
        out(f"  {title}: {count}")
    if composition.duplicates:
        out(f"Duplicates merged: {composition.duplicates}")
    if composition.held:
        out("Held back for review (not published until you move them out of the 'Held back' section):")
        for title, count in sorted(composition.held.items()):
            out(f"  {title}: {count} items")
    else:
        out("Held back: none")
    if composition.future:
        out(f"Future-dated entries left out: {composition.future}")
    for warning in composition.dropped:
        out(f"warning: {warning}")
    if failing:
        out("Sources that failed at their last fetch (the issue was composed without their newest posts):")
        for source, why in failing:
            out(f"  {source.title} ({source.feed_url}): {why}")
    else:
        out("Sources that failed: none")
    for failure in images_failed:
        out(f"warning: image skipped: {failure}")
