"""An issue file as readers get it: `read_issue(path, conf) -> DigestIssue`.

The build's first digest stage. Editor Markdown (intro, notes, excerpts)
becomes HTML under the digest's allow-list; links to the chapter's own posts
are resolved against the build's own articles and SITEURL, so the page, the
feeds and the email point to where the site is really published; a picture's
size is read from its local copy (Outlook for Windows needs width and height).
Each item carries its language (`Lang:`, else DEFAULT_LANG); each
`<!-- digest:intro LANG -->` section with text becomes `DigestIssue.intros[LANG]`.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from pathlib import Path
from typing import Sequence

import markdown
from chapter.typography import smarten_html, smarten_text

from .clean import plain_title, sanitise
from .errors import IssueFileError
from .issuefile import IMAGE_PATH, MONTH, SPECIAL_KINDS, Item, month_label, read_issue_doc
from .models import DigestIssue, DigestItem, DigestSection, ItemImage
from .settings import DigestSettings
from .textfield import language_tag

logger = logging.getLogger(__name__)


def render_markdown(text: str, *, siteurl: str = "") -> str:
    """Editor Markdown (intro, excerpt, note) -> HTML under the digest's allow-list.

    Images must be local copies made by `invoke digest`; any other image is
    removed, so a page never loads a resource from another host. Quotes,
    dashes and ellipses become typographic characters, as in item titles and
    on the site (chapter/typography.py), so page, feeds and email agree.
    """
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text, extensions=["extra"], output_format="html")
    return smarten_html(sanitise(html, image_src=lambda src: local_image_url(src, siteurl)))


def local_image_url(src: str, siteurl: str = "") -> str | None:
    path = src.lstrip("/")
    if siteurl and src.startswith(siteurl.rstrip("/") + "/"):
        path = src[len(siteurl.rstrip("/")) + 1 :]
    if IMAGE_PATH.fullmatch(path):
        return f"{siteurl.rstrip('/')}/{path}"
    return None


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of a local picture, read from its header; (0, 0) if it cannot be read."""
    try:
        from PIL import Image

        with Image.open(path) as picture:
            return picture.size
    except Exception:  # noqa: BLE001 - a missing or broken file is reported by the caller
        return 0, 0


def read_issue(path: str | Path, conf: DigestSettings, *, own_links: dict[str, str] | None = None,
               now: datetime | None = None, languages: Sequence[str] | None = None) -> DigestIssue:
    """Parse an issue file into what pages, feeds and email render.

    `own_links` maps "posts/<slug>" (an own item's Id after "site#";
    "es/posts/<slug>" for a post only in Spanish) to the article's URL in
    this build; `now` decides whether a published issue is still scheduled;
    `languages` (I18N_LANGUAGES), when given, are the languages an intro may
    be in: an intro in another one is left out, with a warning.
    """
    doc = read_issue_doc(path)
    month = doc.month
    sections: list[DigestSection] = []
    review: list[DigestSection] = []
    for raw in doc.sections():
        items = [_digest_item(item, conf, own_links, path) for item in raw.items]
        slug = _slug(raw.title)
        section = DigestSection(title=raw.title, slug=slug or "section", items=items, kind=raw.kind)
        if raw.kind in SPECIAL_KINDS:
            review.append(section)
        elif items:
            sections.append(section)
    used: set[str] = set()  # unique anchors: the table of contents' and each item's
    for section in sections + review:
        section.slug = _unique(section.slug, used)
    for section in sections + review:
        for item in section.items:
            item.anchor = _unique("item-" + (_slug(item.title)[:MAX_ANCHOR].strip("-_") or "untitled"), used)
    intro_html = render_markdown(doc.intro(), siteurl=conf.siteurl)
    intros = _intros(doc, conf, languages, path)
    when = datetime.strptime(doc.header["Date"], "%Y-%m-%d %H:%M").replace(tzinfo=conf.timezone)
    preview = "draft" if doc.status == "draft" else "scheduled" if now is not None and when > now else ""
    return DigestIssue(
        month=month,
        number=doc.number,
        title=plain_title(doc.header["Title"]),
        date=when,
        status=doc.status,
        intro_html=intro_html,
        sections=sections,
        source_path=str(path),
        url=f"digest/{month}/",
        save_as=f"digest/{month}/index.html",
        month_label=month_label(month),
        review_sections=review,
        has_intro=bool(intro_html.strip()),
        preview=preview,
        intros=intros,
        default_lang=conf.default_lang,
    )


MAX_ANCHOR = 60  # characters of a title kept in its item's anchor


def _slug(text: str) -> str:
    """Letters and digits of any script, lower-cased, joined by '-' (bidi and other controls dropped)."""
    return re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-_")


def _unique(anchor: str, used: set[str]) -> str:
    """`anchor`, or `anchor-2`, `anchor-3`, … if taken; recorded as taken."""
    candidate, n = anchor, 2
    while candidate in used:
        candidate = f"{anchor}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def _intros(doc, conf: DigestSettings, languages: Sequence[str] | None, path) -> dict[str, str]:
    """Language -> HTML of each other-language intro that has text (in the
    order of `languages` when given, else the file's)."""
    intros: dict[str, str] = {}
    for section in doc.intro_sections():
        if section.lang == conf.default_lang:
            raise IssueFileError(path, section.line, f"the intro in {conf.default_lang!r}, the site's own language, "
                                 "is the text above the first '## ' heading; move this text there and delete "
                                 "this heading")
        if languages is not None and section.lang not in languages:
            logger.warning("%s:%s: the intro in %r is left out: the site is not published in that language "
                           "(I18N_LANGUAGES is %s); add it there, or fix the code", path, section.line,
                           section.lang, ", ".join(languages))
            continue
        html = render_markdown(section.text, siteurl=conf.siteurl)
        if html.strip():  # a heading with no text (or a comment only) is no intro yet
            intros[section.lang] = html
    if languages is not None:
        order = {lang: index for index, lang in enumerate(languages)}
        intros = dict(sorted(intros.items(), key=lambda pair: order[pair[0]]))
    return intros


def _own_link(item: Item, conf: DigestSettings, own_links: dict[str, str] | None, path) -> tuple[str, str | None]:
    """(link, path on this site) of one of the chapter's own items, as this build publishes it."""
    link = item.fields["Link"]
    key = item.id[len("site#"):]
    if own_links is not None and key in own_links:
        site_path = own_links[key]
    elif link.startswith("/"):
        site_path = link.lstrip("/")
        if own_links is not None:
            logger.warning("%s:%s: %r links to %s, which is not a published post or statement in this build; "
                           "check its Id and Link", path, item.line, item.title, link)
    elif conf.public_url and link.startswith(conf.public_url + "/"):
        site_path = link[len(conf.public_url) + 1 :]  # an older file: a link frozen to the public address
    else:
        return link, None
    return f"{conf.siteurl}/{site_path}", site_path


def _digest_item(raw: Item, conf: DigestSettings, own_links, path) -> DigestItem:
    f = raw.fields
    link, site_path = _own_link(raw, conf, own_links, path) if raw.id.startswith("site#") else (f["Link"], None)
    image = None
    if f.get("Image"):
        width, height = image_size(conf.content_dir / f["Image"])
        image = ItemImage(src=f["Image"], alt=plain_title(f.get("Image-alt", "")), width=width, height=height)
    also = [plain_title(s) for s in (f.get("Also-in") or "").split(";") if s.strip()]
    return DigestItem(
        key=raw.id,
        title=smarten_text(raw.title),
        link=link,
        source_title=plain_title(f["Source"]),
        source_url=f.get("Source-URL") or None,
        author=plain_title(f.get("Author")) or None,
        date=date.fromisoformat(f["Date"]),
        excerpt_html=render_markdown(raw.excerpt, siteurl=conf.siteurl),
        note_html=render_markdown(f.get("Note", ""), siteurl=conf.siteurl) or None,
        image=image,
        also_in=also,
        site_path=site_path,
        lang=language_tag(f.get("Lang")) or conf.default_lang,
    )


def issue_paths(conf: DigestSettings) -> list[Path]:
    folder = conf.issues_dir
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def _read_all(conf: DigestSettings, own_links=None, now=None, languages=None):
    """(path, DigestIssue or the IssueFileError that file gives), for every issue file in name order."""
    numbers: dict[int, str] = {}
    for path in issue_paths(conf):
        if not MONTH.fullmatch(path.stem):
            yield path, IssueFileError(path, None, "issue files are named YYYY-MM.md (e.g. 2025-03.md); rename "
                                       "this file or move it out of the digests folder")
            continue
        try:
            issue = read_issue(path, conf, own_links=own_links, now=now, languages=languages)
        except IssueFileError as error:
            yield path, error
            continue
        if issue.number in numbers:
            yield path, IssueFileError(path, read_issue_doc(path).header_line.get("Issue"), f"Issue {issue.number} "
                                       f"is also the number of {numbers[issue.number]}; each issue needs its own number")
            continue
        numbers[issue.number] = path.name
        yield path, issue


def _missing_images(issue: DigestIssue, conf: DigestSettings) -> list[DigestItem]:
    return [item for item in issue.items + [i for s in issue.review_sections for i in s.items]
            if item.image and not (conf.content_dir / item.image.src).is_file()]


def load_issues(conf: DigestSettings, *, own_links: dict[str, str] | None = None,
                now: datetime | None = None, languages: Sequence[str] | None = None) -> list[DigestIssue]:
    """Every issue file, oldest first (raises IssueFileError on the first bad one)."""
    issues: list[DigestIssue] = []
    for _, issue in _read_all(conf, own_links, now, languages):
        if isinstance(issue, IssueFileError):
            raise issue
        for item in _missing_images(issue, conf):
            logger.warning("%s: image %s of %r is missing; the item is shown without it",
                           issue.source_path, item.image.src, item.title)
            item.image = None
        issues.append(issue)
    issues.sort(key=lambda issue: issue.month)
    return issues


def issue_problems(conf: DigestSettings) -> list[str]:
    """Every issue file's first problem, as `file:line: problem, how to fix it` (for `invoke check`)."""
    problems: list[str] = []
    for path, issue in _read_all(conf):
        if isinstance(issue, IssueFileError):
            problems.append(str(issue))
            continue
        for item in _missing_images(issue, conf):
            problems.append(f"{path}: the picture {item.image.src} of {item.title!r} is missing; run "
                            "`invoke digest --force` to download it again, or remove the Image line")
    return problems
