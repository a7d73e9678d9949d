"""Sample digest issues for the email edition's tests (no tests in here).

All names and words are fictional: the Millbrook Chapter of the Riverlands
Workers' League and its neighbouring chapters.
"""

from __future__ import annotations

import struct
import zlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digest.models import DigestIssue, DigestItem, DigestSection, ItemImage

TZ = ZoneInfo("America/Los_Angeles")

SOURCES = [
    ("Harbor City Chapter", "https://harbor.example.org/"),
    ("Northfield Chapter", "https://northfield.example.net/"),
    ("Eastlake Chapter", "https://eastlake.example.org/"),
    ("Riverlands League National Aggregator", "https://aggregator.example.net/"),
]
AUTHORS = ["Rosa Delgado", "Tomasz Wren", "Adaeze Okafor", None]
TOPICS = [
    "tenant meeting at the Alder Street laundromat",
    "know-your-rights training for night-shift workers",
    "clinic escort schedule for the winter months",
    "bus route cuts and who they leave behind",
    "a food drive that ran out of shelves",
    "the county budget hearing, line by line",
    "phone-banking for the library levy",
    "what the rapid-response line heard this month",
]

EXCERPT = (
    "<p>Members of the {src} met on a wet Tuesday to talk about {topic}. "
    "About forty people came, more than the room was meant to hold, and the "
    "conversation ran long past the posted end time.</p>"
    "<p>The working group will report back next month; the full notes are "
    '<a href="{link}notes">on the chapter\'s site</a>, and the sign-up sheet is '
    '<a href="/pages/volunteer/">here</a>.</p>'
)


def tiny_png(width: int = 8, height: int = 4, rgb=(200, 90, 40)) -> bytes:
    """A solid-colour PNG, built with zlib so the tests need no imaging library."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def make_item(i: int, month: str = "2026-10") -> DigestItem:
    src_title, src_url = SOURCES[i % len(SOURCES)]
    topic = TOPICS[i % len(TOPICS)]
    link = f"{src_url}posts/{month}-item-{i}/"
    year, mon = (int(x) for x in month.split("-"))
    return DigestItem(
        key=f"{src_url}feed.xml#item-{i}",
        title=f"Notes #{i}: {topic} & what comes <next>",
        link=link,
        source_title=src_title,
        source_url=src_url,
        author=AUTHORS[i % len(AUTHORS)],
        date=date(year, mon, 1 + i % 28),
        excerpt_html=EXCERPT.format(src=src_title, topic=topic, link=link),
        note_html=("<p>Worth reading before our own meeting on the <em>14th</em>.</p>" if i % 5 == 0 else None),
        image=(ItemImage(src=f"digests/images/{month}/img{i}.png", alt=f"Photo for item {i}") if i % 3 == 0 else None),
        also_in=(["Riverlands League National Aggregator"] if i % 4 == 1 else []),
    )


def make_issue(n_items: int = 6, month: str = "2026-10", number: int = 7, intro_html: str | None = None) -> DigestIssue:
    items = [make_item(i, month) for i in range(n_items)]
    sections: dict[str, list[DigestItem]] = {}
    for item in items:
        sections.setdefault(item.source_title, []).append(item)
    year, mon = (int(x) for x in month.split("-"))
    label = datetime(year, mon, 1).strftime("%B %Y")
    return DigestIssue(
        month=month,
        number=number,
        title=f"The Millbrook Lantern | {label} (Issue {number})",
        date=datetime(year, mon, 28, 9, 0, tzinfo=TZ),
        status="published",
        intro_html=intro_html
        if intro_html is not None
        else (
            "<p>Welcome to this month's Lantern. Our neighbours were busy: tenant "
            'meetings, a budget hearing, and <a href="https://harbor.example.org/">Harbor '
            "City</a> found a new home for its food drive.</p>"
        ),
        sections=[
            DigestSection(title=title, slug=title.lower().replace(" ", "-"), items=its)
            for title, its in sections.items()
        ],
        source_path=f"content/digests/{month}.md",
        url=f"digest/{month}/",
        save_as=f"digest/{month}/index.html",
        month_label=label,
    )
