"""Compose the sample site's digest issues (2026-09, 2026-10) the way an editor would.

    .venv/bin/invoke sample-digests        # or: .venv/bin/python tools/compose_samples.py

1. serves the fictional chapters' feeds (tests/fixtures/digest_sample/) and
   four generated PNG pictures from a loopback HTTP server;
2. fetches them with the real fetcher into a temporary archive, then files
   the entries under the sources' public example.org addresses (the ones in
   content/digest/sources.opml), so item ids and links never name 127.0.0.1;
3. runs the real `invoke digest` cli for both months (images are downloaded
   from the loopback server into content/digests/images/);
4. writes an intro, an editor's note, and marks both issues published.

Existing sample issue files for those months are replaced (their issue
numbers are kept through content/digests/.issue-numbers). No other network.
"""

from __future__ import annotations

import shutil
import struct
import sys
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT))

from pelican.settings import read_settings  # noqa: E402

from digest.compose import run_compose  # noqa: E402
from digest.archive import Archive  # noqa: E402
from digest.fetch import FetchSettings, fetch_all  # noqa: E402
from digest.files import write_atomically  # noqa: E402
from digest.issuefile import INTRO_PLACEHOLDER, parse_issue_text, read_issue_text  # noqa: E402
from digest.models import Source  # noqa: E402
from digest.sources import load_sources  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "digest_sample"
CONF = ROOT / "pelicanconf.py"
MONTHS = ("2026-09", "2026-10")

# fixture file -> (path on the loopback server, title of the source in sources.opml)
FEEDS = {
    "harbor-city.xml": ("/harbor-city/feed/", "Harbor City Chapter"),
    "northfield.atom": ("/northfield/feeds/all.atom.xml", "Northfield Chapter"),
    "eastlake.xml": ("/eastlake/news/rss.xml", "Eastlake Chapter"),
    "aggregator.atom": ("/planet/atom.xml", "Riverlands League National Aggregator"),
}

INTROS = {
    "2026-09": (
        "September was a month of kitchens and spreadsheets. In Harbor City, strikers' families "
        "fed four hundred people a day and the strike fund passed forty thousand dollars, while the "
        "chapter read the port authority's budget line by line; here at home, the Sanctuary City "
        "Working Group did the same with the county's detainer data.\n\n"
        "If one piece of this issue stays with you, let it be the Lakeview Towers rent strike in "
        "Eastlake: forty households, two months, and new boilers before the cold comes. And if you "
        "know of a room with a loading door in Northfield, their pantry needs one by November."
    ),
    "2026-10": (
        "The Pier 9 strike is won, our chapter has endorsed the Renters' Protection Ordinance, "
        "and nominations for next year's Steering Committee are open until the end of November.\n\n"
        "Elsewhere, the Lakeview Towers tenants have made their union permanent, Eastlake members "
        "are on the Linden Road picket line every morning, and Northfield is fighting both a fare "
        "increase and Sunday library closures (its pantry, you will be glad to hear, has found a "
        "home). Eastlake's free tax clinic is looking for greeters. As always: read them at the "
        "source, and tell us what we missed."
    ),
}
NOTES = {
    ("2026-09", "What the port authority's budget hides"): (
        "Worth reading next to our own post on the county's detainer data: "
        "two chapters, two public budgets, the same method."
    ),
    ("2026-10", "Bring your questions to the county budget hearing"): (
        "Their one-page guide to public comment is the clearest we have seen. The Bodily "
        "Autonomy Working Group will borrow it for the health board's November meeting."
    ),
}


Colour = tuple[int, int, int]
Box = tuple[int, int, int, int, Colour]  # x0, y0, x1, y1 (exclusive), colour


def _encode_png(width: int, height: int, pixels: list[bytearray]) -> bytes:
    """RGB rows -> PNG bytes, written by hand so the sample needs no image library."""
    raw = zlib.compress(b"".join(b"\x00" + bytes(row) for row in pixels), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def png(width: int, height: int, bands: list[Colour]) -> bytes:
    """A small striped PNG."""
    return _encode_png(width, height, [bytearray(bytes(bands[y * len(bands) // height]) * width)
                                       for y in range(height)])


def drawing(width: int, height: int, background: Colour, boxes: list[Box]) -> bytes:
    """A small PNG of filled rectangles on a background, later boxes on top."""
    pixels = [bytearray(bytes(background) * width) for _ in range(height)]
    for x0, y0, x1, y1, colour in boxes:
        for y in range(max(y0, 0), min(y1, height)):
            pixels[y][3 * max(x0, 0):3 * min(x1, width)] = bytes(colour) * (min(x1, width) - max(x0, 0))
    return _encode_png(width, height, pixels)


RED, BLUE, PINK, CREAM, INK = (161, 37, 27), (23, 74, 104), (246, 230, 226), (255, 241, 184), (28, 28, 30)


def clinic_chart() -> bytes:
    """Six bars, 2022-2027, the grant shrinking: the Harbor City budget post's chart."""
    grants = [182, 176, 150, 148, 139, 111]  # thousands of dollars, fictional
    boxes: list[Box] = [(30, 20, 33, 214, INK), (30, 211, 400, 214, INK)]  # axes
    for i, grant in enumerate(grants):
        left = 48 + i * 58
        boxes.append((left, 211 - grant, left + 40, 211, BLUE if i < 5 else RED))
    return drawing(420, 240, PINK, boxes)


def lakeview_vote() -> bytes:
    """A lobby meeting seen from the back: rows of people, most with a hand up."""
    boxes: list[Box] = [(0, 170, 360, 240, (200, 190, 170))]  # floor
    for row, (top, size) in enumerate(((70, 14), (110, 18), (150, 22))):
        for col in range(7 - row):
            x = 24 + row * 20 + col * (48 + row * 4)
            colour = (BLUE, RED, (90, 110, 60))[(col + row) % 3]
            boxes.append((x, top, x + size, top + size, INK))  # head
            boxes.append((x - 4, top + size, x + size + 4, top + 3 * size, colour))  # body
            if (col * 3 + row) % 4:  # hand up
                boxes.append((x + size + 2, top - size, x + size + 6, top + size, colour))
    return drawing(360, 240, CREAM, boxes)


def serve(server: FeedServer) -> None:
    base = server.base_url
    for name, (path, _title) in FEEDS.items():
        body = (FIXTURES / name).read_text(encoding="utf-8").replace("{BASE}", base).encode("utf-8")
        server.route(path, body=body, content_type="application/xml; charset=utf-8")
    server.route("/img/strike-kitchen.png", body=png(480, 270, [(161, 37, 27), (246, 230, 226), (23, 74, 104)]),
                 content_type="image/png")
    server.route("/media/bus-petition.png", body=png(400, 300, [(23, 74, 104), (251, 249, 244), (255, 241, 184)]),
                 content_type="image/png")
    server.route("/wp-content/uploads/2026/10/clinic-grant-chart.png",
                 body=clinic_chart(), content_type="image/png")
    # eastlake.xml names this one by a relative address (images/…), resolved against the feed's.
    server.route("/eastlake/news/images/lakeview-vote.png",
                 body=lakeview_vote(), content_type="image/png")


def main() -> int:
    public = {source.title: source for source in load_sources(ROOT / "content" / "digest" / "sources.opml")}
    issues = ROOT / "content" / "digests"
    for month in MONTHS:
        (issues / f"{month}.md").unlink(missing_ok=True)
        shutil.rmtree(issues / "images" / month, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        serve(server)
        loopback = [Source(feed_url=server.url(path), title=title) for path, title in FEEDS.values()]
        fetched = Archive(Path(tmp) / "fetched.sqlite")
        results = fetch_all(loopback, fetched, FetchSettings())
        failed = [r for r in results if getattr(r, "error", None)]
        if failed:
            print("fetch failed:", failed)
            return 1
        archive_path = Path(tmp) / "archive.sqlite"
        with Archive(archive_path) as archive:
            for source in loopback:
                archive.store_entries(public[source.title], fetched.entries_for(source.feed_url),
                                      fetched_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
        fetched.close()
        sources_path = ROOT / "content" / "digest" / "sources.opml"
        # The fixture "other sites" live on loopback, which compose refuses unless told otherwise.
        settings = read_settings(str(CONF), override={"DIGEST_IMAGE_ALLOW_HOSTS": [f"127.0.0.1:{server.port}"]})
        for month in MONTHS:
            code = run_compose(ROOT, settings, month=month, archive_path=archive_path, sources_path=sources_path)
            if code:
                return code
    for month in MONTHS:
        path = issues / f"{month}.md"
        # Edit as an editor would: the issue file is text, kept as it is but for these lines.
        text = read_issue_text(path).replace(INTRO_PLACEHOLDER, INTROS[month])
        doc = parse_issue_text(text.replace("Status: draft", "Status: published", 1), path)
        for item in doc.items():
            note = NOTES.get((month, item.title))
            if note:
                first, *rest = note.split("\n")
                item.meta += [f"Note: {first}", *[f"  {line}" for line in rest]]
        report = doc.block("report")
        report.lines = [line for line in report.lines if not line.startswith("Composed ")]
        if not report.entries:  # nothing to report: the block and the blank line after it go
            at = doc.parts.index(report)
            del doc.parts[at]
            if doc.parts[at].lines[:1] == [""]:
                doc.parts[at].lines = doc.parts[at].lines[1:]
        write_atomically(path, doc.text().encode("utf-8"), durable=True)
        print(f"{path}: intro written, marked published")
    return 0


if __name__ == "__main__":
    sys.exit(main())
