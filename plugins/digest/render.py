"""The digest's Pelican generator: issue pages, the issue index and feeds.

Reads `content/digests/*.md` (issue files, written by `invoke digest` and
edited by hand), never the network: an issue builds the same forever.

- `generate_context`: parse every issue (an invalid file stops the build,
  naming file:line), link previous/next, and put the published issues,
  newest first, into `context["digest_issues"]` (the email edition reads it).
- `generate_output`: `digest/YYYY-MM/index.html`, `digest/index.html`,
  `feeds/digest.atom.xml` and `feeds/digest.rss.xml` (published issues only).

Drafts (`Status: draft`) are rendered only when DIGEST_SHOW_DRAFTS is True
(a preview build), marked as drafts, kept out of search engines, feeds and
`digest_issues`.
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path

from feedgenerator import Atom1Feed, Rss201rev2Feed, get_tag_uri
from pelican import signals
from pelican.generators import Generator

from . import digestconf
from .errors import IssueFileError
from .files import write_atomically
from .issuefile import MONTH, read_issue
from .models import DigestIssue

logger = logging.getLogger(__name__)


def load_issues(settings) -> list[DigestIssue]:
    """Every issue file, oldest first (raises IssueFileError on the first bad one)."""
    folder = digestconf.issues_dir(settings)
    if not folder.is_dir():
        return []
    issues = []
    numbers: dict[int, str] = {}
    for path in sorted(folder.glob("*.md")):
        if not MONTH.fullmatch(path.stem):
            raise IssueFileError(path, None, "issue files are named YYYY-MM.md (e.g. 2025-03.md); rename this file "
                                 "or move it out of the digests folder")
        issue = read_issue(path, settings)
        if issue.number in numbers:
            raise IssueFileError(path, _line(path, "Issue:"), f"Issue {issue.number} is also the number of "
                                 f"{numbers[issue.number]}; each issue needs its own number")
        numbers[issue.number] = path.name
        _check_images(issue, settings)
        issues.append(issue)
    issues.sort(key=lambda issue: issue.month)
    return issues


def _line(path: Path, prefix: str) -> int | None:
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith(prefix):
            return n
    return None


def _check_images(issue: DigestIssue, settings) -> None:
    content = Path(settings.get("PATH") or "content")
    for item in issue.items + [i for s in issue.review_sections for i in s.items]:
        if item.image and not (content / item.image.src).is_file():
            logger.warning("%s: image %s of %r is missing; the item is shown without it",
                           issue.source_path, item.image.src, item.title)
            item.image = None


def link_issues(issues: list[DigestIssue]) -> None:
    for before, after in zip(issues, issues[1:]):
        before.next, after.previous = after, before
    if issues:
        issues[0].previous = None
        issues[-1].next = None


class DigestGenerator(Generator):
    """Pages and feeds of the monthly digest."""

    def generate_context(self):
        try:
            issues = load_issues(self.settings)
        except IssueFileError as error:
            logger.critical("digest: %s", error)
            raise
        show_drafts = bool(digestconf.get(self.settings, "DIGEST_SHOW_DRAFTS"))
        published = [issue for issue in issues if issue.status == "published"]
        self.rendered = [issue for issue in issues if show_drafts or issue.status == "published"]
        link_issues(self.rendered)
        self.published = list(reversed(published))
        self.context["digest_issues"] = self.published
        self.context["DIGEST_NAME"] = digestconf.get(self.settings, "DIGEST_NAME")
        self._update_context(())

    def generate_output(self, writer):
        page = self.get_template("digest_issue")
        index = self.get_template("digest_index")
        common = {
            "DIGEST_NAME": digestconf.get(self.settings, "DIGEST_NAME"),
            "DIGEST_FEED_ATOM": digestconf.get(self.settings, "DIGEST_FEED_ATOM"),
            "DIGEST_FEED_RSS": digestconf.get(self.settings, "DIGEST_FEED_RSS"),
            "active_nav": "digest",
        }
        relative = self.settings.get("RELATIVE_URLS", False)
        for issue in self.rendered:
            writer.write_file(issue.save_as, page, self.context, relative_urls=relative, issue=issue,
                              page_name=issue.url.rstrip("/"), **common)
        writer.write_file("digest/index.html", index, self.context, relative_urls=relative,
                          issues=list(reversed(self.rendered)), page_name="digest", **common)
        self._write_feeds()

    # --- feeds -------------------------------------------------------------

    def issue_body_html(self, issue: DigestIssue) -> str:
        """The full issue as HTML for feeds (absolute URLs when SITEURL is absolute)."""
        macros = self.env.get_template("digest_macros.html").module
        return str(macros.issue_body(issue, self.settings.get("SITEURL", ""), True))

    def _write_feeds(self) -> None:
        siteurl = (self.settings.get("FEED_DOMAIN") or self.settings.get("SITEURL") or "").rstrip("/")
        name = digestconf.get(self.settings, "DIGEST_NAME")
        issues = self.published  # newest first
        for setting, cls in (("DIGEST_FEED_ATOM", Atom1Feed), ("DIGEST_FEED_RSS", Rss201rev2Feed)):
            target = digestconf.get(self.settings, setting)
            if not target:
                continue
            feed = cls(
                title=name,
                link=f"{siteurl}/digest/",
                description=f"{name}: the monthly digest of {self.settings.get('SITENAME', '')}",
                feed_url=f"{siteurl}/{target}",
                language=self.settings.get("DEFAULT_LANG", "en"),
                feed_guid=f"{siteurl}/digest/" if siteurl else None,
            )
            for issue in issues:
                link = f"{siteurl}/{issue.url}"
                body = self.issue_body_html(issue)
                feed.add_item(
                    title=issue.title,
                    link=link,
                    description=body if cls is Rss201rev2Feed else f"{issue.month_label}: issue {issue.number}",
                    content=body if cls is Atom1Feed else None,
                    # Stable: derived from the month alone, never from build time.
                    unique_id=_issue_id(siteurl, issue),
                    unique_id_is_permalink=False if cls is Rss201rev2Feed else None,
                    author_name=self.settings.get("SITENAME") or name,
                    pubdate=issue.date,
                    updateddate=issue.date,
                )
            path = Path(self.output_path) / target
            text = io.StringIO()
            feed.write(text, "utf-8")
            write_atomically(path, text.getvalue().encode("utf-8"))
            signals.feed_written.send(str(path), context=self.context, feed=feed)


def _issue_id(siteurl: str, issue: DigestIssue) -> str:
    if siteurl.startswith(("http://", "https://")):
        return get_tag_uri(f"{siteurl}/{issue.url}", datetime(int(issue.month[:4]), int(issue.month[5:]), 1, tzinfo=UTC))
    return f"urn:digest:{issue.month}"


def get_generators(pelican_object):
    return DigestGenerator


def register():
    signals.get_generators.connect(get_generators)
