"""fetch_all against a real loopback HTTP server serving fixture feeds,
into a real SQLite archive: what is stored, and what health is reported."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.archive import Archive
from digest.fetch import FetchSettings, fetch_all
from digest.models import Source
from tests.feedserver import FeedServer, endless, gzip_bomb

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
UTC = timezone.utc

# Small limits keep the bad-server cases fast.
FAST = FetchSettings(
    concurrency=8,
    per_host=4,
    connect_timeout=1.0,
    read_timeout=1.0,
    total_timeout=1.5,
    max_bytes=1_000_000,
    user_agent="Test Chapter digest fetcher (+https://test-chapter.example.org)",
)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "cache" / "digest.sqlite") as opened:
        yield opened


def source(server: FeedServer, path: str, title: str | None = None) -> Source:
    return Source(feed_url=server.url(path), title=title or path.strip("/"))


def health_of(archive: Archive, src: Source):
    (health,) = archive.sources_health([src])
    return health


def test_wordpress_feed_stored_with_content_footer_and_images(server, archive):
    server.file("/feed/", FEEDS / "wordpress.xml", content_type="application/rss+xml; charset=UTF-8")
    src = source(server, "/feed/", "Harbor City Chapter")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched" and result.status == 200
    assert (result.new, result.updated) == (3, 0)
    stored = {e.key: e for e in archive.entries_for(src.feed_url)}
    pantry = stored["https://harbor-city.example.org/?p=2101"]
    assert pantry.title == "Dockworkers\u2019 Pantry Opens on Pier Street"  # markup stripped, entity decoded
    assert pantry.author == "Mirela Ostrander"
    assert pantry.published == datetime(2025, 3, 14, 18, 15, tzinfo=UTC)
    assert pantry.categories == ("Food", "Mutual Aid")
    assert "take what you need" in pantry.content_html
    assert "appeared first on" in pantry.content_html  # stored as received; compose strips it
    assert pantry.image_url == "https://harbor-city.example.org/wp-content/uploads/2025/03/pantry.jpg"
    clinic = stored["https://harbor-city.example.org/?p=2088"]
    assert clinic.enclosures[0].url.endswith("clinic-flyer.pdf") and clinic.enclosures[0].length == 48213
    assert pantry.first_seen is not None and pantry.first_seen.tzinfo is not None
    health = health_of(archive, src)
    assert health.last_status == 200 and health.consecutive_failures == 0 and not health.dead
    assert health.entries_stored == 3
    assert health.newest_entry == datetime(2025, 3, 14, 18, 15, tzinfo=UTC)
    # Polite: the request named the site and accepted compression.
    (request,) = server.requests_for("/feed/")
    assert request.headers["user-agent"] == FAST.user_agent
    assert "gzip" in request.headers["accept-encoding"]


def test_atom_xml_base_and_relative_links_resolved(server, archive):
    server.file("/blog/atom.xml", FEEDS / "atom-xmlbase.xml", content_type="application/atom+xml")
    src = source(server, "/blog/atom.xml")
    fetch_all([src], archive, FAST)
    stored = {e.title: e for e in archive.entries_for(src.feed_url)}
    snow = stored["Snow Shovel Brigade & the Sidewalk Pledge"]
    assert snow.link == "https://northfield.example.org/blog/2025/03/snow-shovel-brigade/"
    assert 'href="https://northfield.example.org/blog/2025/03/snow-map/"' in snow.content_html
    assert 'src="https://northfield.example.org/blog/images/shovels.png"' in snow.content_html
    assert snow.published == datetime(2025, 3, 10, 12, 45, tzinfo=UTC)  # -05:00 converted to UTC
    assert snow.updated == datetime(2025, 3, 12, 15, 0, tzinfo=UTC)
    reading = stored["Reading Group: Spring List"]
    assert reading.link == "https://northfield.example.org/reading-group/spring/"  # root-relative
    assert reading.published is None and reading.effective_date == datetime(2025, 3, 2, 20, 0, tzinfo=UTC)
    health = health_of(archive, src)
    assert (health.last_status, health.entries_stored, health.last_warning) == (200, 2, None)
    assert health.newest_entry == datetime(2025, 3, 10, 12, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    "content_type, declaration",
    [
        ("application/rss+xml", b' encoding="windows-1252"'),  # declared in the XML
        ("application/rss+xml; charset=windows-1252", b""),  # only the HTTP header says so
        ("application/rss+xml", b""),  # nobody says: detected
    ],
)
def test_windows_1252_feed_decoded(server, archive, content_type, declaration):
    body = (FEEDS / "windows-1252.xml").read_bytes().replace(b' encoding="windows-1252"', declaration)
    server.route("/news/rss.xml", body=body, content_type=content_type)
    src = source(server, "/news/rss.xml")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched"
    (entry,) = archive.entries_for(src.feed_url)
    assert entry.title == "\u201cCaf\u00e9 Night\u201d Raises Funds \u2013 Thank You"
    assert "cr\u00e8me br\u00fbl\u00e9e" in entry.summary_html
    health = health_of(archive, src)
    assert health.last_status == 200 and health.last_warning is None and health.entries_stored == 1


def test_undated_feed_uses_first_seen_and_key_fallbacks(server, archive):
    server.file("/youth/feed.xml", FEEDS / "undated.xml")
    src = source(server, "/youth/feed.xml")
    before = datetime.now(UTC)
    fetch_all([src], archive, FAST)
    after = datetime.now(UTC)
    entries = {e.title: e for e in archive.entries_for(src.feed_url)}
    assert entries["Zine Workshop Recap"].key == "eastlake-youth-17"  # the GUID
    bike = entries["Bike Repair Day"]
    assert bike.guid is None and bike.key == bike.link  # no GUID: the (absolute) link
    assert bike.link == server.url("/youth/bike-repair-day")
    note = entries["A Note Without Any Address"]
    assert note.link is None and note.key.startswith("sha256:")  # neither: hash of title+date
    for entry in entries.values():
        assert entry.published is None and entry.updated is None
        assert before <= entry.effective_date <= after  # first seen
    # An undated entry counts in the month it was first seen, and only then.
    assert len(archive.entries_between(before - timedelta(seconds=1), after + timedelta(seconds=1))) == 3
    assert archive.entries_between(after + timedelta(seconds=1), after + timedelta(days=40)) == []
    # Fetching again keeps the same keys and the first-seen times.
    (again,) = fetch_all([src], archive, FAST)
    assert (again.new, again.updated) == (0, 0)
    assert {e.key: e.first_seen for e in archive.entries_for(src.feed_url)} == {
        e.key: e.first_seen for e in entries.values()
    }


def test_malformed_feed_stored_with_warning(server, archive):
    server.file("/bulletin.xml", FEEDS / "malformed.xml")
    src = source(server, "/bulletin.xml")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched" and result.new == 2
    assert "malformed" in result.warning and "2 entries recovered" in result.warning
    assert {e.title for e in archive.entries_for(src.feed_url)} == {"Potluck & Planning Night", "Canvass Sign-up Open"}
    health = health_of(archive, src)
    assert health.last_error is None and "malformed" in health.last_warning


def test_not_modified_costs_no_parsing_and_keeps_entries(server, archive):
    route = server.file("/feed/", FEEDS / "wordpress.xml", etag=True, last_modified=True)
    src = source(server, "/feed/")
    (first,) = fetch_all([src], archive, FAST)
    assert first.new == 3
    # Were the body ever parsed again, this broken body would turn up as a failure.
    route.body = b"<rss><channel><item><title>broken"
    route.etag = '"%s"' % __import__("hashlib").sha1((FEEDS / "wordpress.xml").read_bytes()).hexdigest()[:16]
    (second,) = fetch_all([src], archive, FAST)
    assert second.outcome == "unchanged" and second.not_modified and second.status == 304
    first_request, second_request = server.requests_for("/feed/")
    assert "if-none-match" not in first_request.headers
    assert second_request.headers["if-none-match"] == route.etag
    assert second_request.headers["if-modified-since"] == "Sat, 01 Mar 2025 12:00:00 GMT"
    health = health_of(archive, src)
    assert health.last_status == 304 and health.entries_stored == 3 and health.last_success is not None


def test_slow_source_within_timeout_is_stored(server, archive):
    server.file("/slow.xml", FEEDS / "undated.xml", delay=0.4)
    src = source(server, "/slow.xml")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched" and result.new == 3
    assert len(server.requests) == 1  # waited for the answer: no retry, no second request
    health = health_of(archive, src)
    assert health.last_status == 200 and health.consecutive_failures == 0 and health.entries_stored == 3


def test_hanging_server_dropped_at_total_timeout(server, archive):
    server.route("/hang.xml", hang=True)
    src = source(server, "/hang.xml")
    settings = FetchSettings(connect_timeout=1, read_timeout=10, total_timeout=0.8)
    (result,) = fetch_all([src], archive, settings)
    # The total deadline (0.8 s) ended it, not the 10 s read timeout: the reason says which.
    assert result.outcome == "failed" and "gave up after 0.8 s" in result.error
    health = health_of(archive, src)
    assert health.consecutive_failures == 1 and "gave up" in health.last_error


def test_trickling_server_dropped_at_total_timeout(server, archive):
    # One byte every 0.1 s never trips the per-read timeout; the total deadline must.
    server.file("/trickle.xml", FEEDS / "wordpress.xml", trickle=0.1)
    src = source(server, "/trickle.xml")
    settings = FetchSettings(connect_timeout=1, read_timeout=1, total_timeout=1.0)
    (result,) = fetch_all([src], archive, settings)
    assert result.outcome == "failed" and "gave up after 1 s" in result.error
    assert archive.entries_for(src.feed_url) == []


def test_redirect_loop_reported(server, archive):
    server.route("/loop-a", status=302, location="/loop-b")
    server.route("/loop-b", status=302, location="/loop-a")
    src = source(server, "/loop-a")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "failed" and "redirect" in result.error
    # At most 5 redirects were followed: 6 requests in all.
    assert len(server.requests_for("/loop-a")) + len(server.requests_for("/loop-b")) == 6
    health = health_of(archive, src)
    assert "more than 5 redirects" in health.last_error and health.consecutive_failures == 1
    assert health.permanent_redirect is None and not health.dead


def test_gone_marks_source_dead_and_keeps_entries(server, archive):
    route = server.file("/feed/", FEEDS / "wordpress.xml")
    src = source(server, "/feed/")
    fetch_all([src], archive, FAST)
    route.status, route.body = 410, b"gone"
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "failed" and result.gone and result.status == 410
    health = health_of(archive, src)
    assert health.dead and health.gone and health.last_status == 410
    assert health.entries_stored == 3  # nothing lost
    assert len(archive.entries_for(src.feed_url)) == 3


def test_gzip_bomb_and_endless_stream_cut_off(server, archive):
    server.route("/bomb.xml", body=gzip_bomb(60_000_000), gzip_encoded=True)
    server.route("/endless.xml", body=endless(), content_length=False)
    bomb, stream = source(server, "/bomb.xml"), source(server, "/endless.xml")
    results = fetch_all([bomb, stream], archive, FAST)
    for result in results:
        assert result.outcome == "failed"
        assert "larger than 1,000,000 bytes" in result.error
    assert health_of(archive, bomb).last_error.startswith("the feed is larger")


def test_gzip_compressed_feed_accepted(server, archive):
    server.file("/feed/", FEEDS / "wordpress.xml", compress=True)
    src = source(server, "/feed/")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched" and result.new == 3


def test_html_page_reports_autodiscovered_feed(server, archive):
    server.file("/", FEEDS / "page-with-feed.html", content_type="text/html; charset=utf-8")
    src = source(server, "/")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "failed"
    assert result.feed_found == server.url("/news/rss.xml")
    assert server.url("/news/rss.xml") in result.error and "web page, not a feed" in result.error
    assert server.url("/news/rss.xml") in health_of(archive, src).last_error


def test_retry_after_recorded_and_source_skipped_until_then(server, archive):
    server.route("/busy.xml", status=429, retry_after="3600")
    server.route("/unavailable.xml", status=503, retry_after="Wed, 21 Oct 2099 07:28:00 GMT")
    busy, unavailable = source(server, "/busy.xml"), source(server, "/unavailable.xml")
    started = datetime.now(UTC)
    first = fetch_all([busy, unavailable], archive, FAST)
    assert [r.outcome for r in first] == ["failed", "failed"]
    assert timedelta(minutes=59) < first[0].retry_after - started < timedelta(minutes=61)
    assert first[1].retry_after <= started + timedelta(days=30, minutes=1)  # a far date is capped
    assert health_of(archive, busy).retry_after == first[0].retry_after
    second = fetch_all([busy, unavailable], archive, FAST)
    assert [r.outcome for r in second] == ["waiting", "waiting"] and all(r.ok for r in second)
    assert len(server.requests_for("/busy.xml")) == 1  # not asked again
    assert len(server.requests_for("/unavailable.xml")) == 1


def test_permanent_redirect_recorded_and_followed(server, archive):
    server.route("/old-feed", status=301, location="/new-feed")
    server.file("/new-feed", FEEDS / "undated.xml")
    server.route("/temporary", status=302, location="/new-feed")
    moved, temporary = source(server, "/old-feed"), source(server, "/temporary")
    results = fetch_all([moved, temporary], archive, FAST)
    assert [r.outcome for r in results] == ["fetched", "fetched"]
    assert results[0].permanent_redirect == server.url("/new-feed")
    assert results[1].permanent_redirect is None
    assert health_of(archive, moved).permanent_redirect == server.url("/new-feed")
    assert len(archive.entries_for(moved.feed_url)) == 3  # stored under the address in sources.opml


def test_failing_source_keeps_archive_and_others_are_stored(server, archive):
    route = server.file("/feed/", FEEDS / "wordpress.xml")
    server.file("/atom.xml", FEEDS / "atom-xmlbase.xml")
    wordpress, atom = source(server, "/feed/"), source(server, "/atom.xml")
    fetch_all([wordpress], archive, FAST)
    route.status, route.body = 500, b"oops"
    results = fetch_all([wordpress, atom], archive, FAST)
    assert results[0].outcome == "failed" and "HTTP 500" in results[0].error
    assert results[1].outcome == "fetched" and results[1].new == 2
    assert len(archive.entries_for(wordpress.feed_url)) == 3
    route.status = 404
    fetch_all([wordpress], archive, FAST)
    health = health_of(archive, wordpress)
    assert health.consecutive_failures == 2 and health.last_status == 404 and health.last_success is not None
    # Failing for DIGEST_DEAD_AFTER_DAYS makes a source dead.
    assert not health.dead
    (later,) = archive.sources_health([wordpress], now=datetime.now(UTC) + timedelta(days=31))
    assert later.dead and not later.gone


def test_changed_entry_updated_in_place_and_dropped_entry_stays(server, archive):
    original = (FEEDS / "wordpress.xml").read_bytes()
    route = server.route("/feed/", body=original)
    src = source(server, "/feed/")
    fetch_all([src], archive, FAST)
    first_seen = {e.key: e.first_seen for e in archive.entries_for(src.feed_url)}
    # Next version: one title fixed, the oldest item gone from the feed.
    start = original.index(b"<item>\n\t\t<title>February Meeting Notes")
    end = original.index(b"</item>", start) + len(b"</item>")
    route.body = (original[:start] + original[end:]).replace(b"Second Saturdays", b"Every Second Saturday")
    (result,) = fetch_all([src], archive, FAST)
    assert (result.new, result.updated) == (0, 1)
    stored = {e.key: e for e in archive.entries_for(src.feed_url)}
    assert len(stored) == 3  # the dropped-out entry stays
    clinic = stored["https://harbor-city.example.org/?p=2088"]
    assert clinic.title == "Tenant Clinic: Every Second Saturday"
    assert clinic.first_seen == first_seen[clinic.key]  # updated in place
    assert stored["https://harbor-city.example.org/?p=2050"].title == "February Meeting Notes"


def test_duplicate_guids_both_kept(server, archive):
    server.file("/transit.xml", FEEDS / "duplicate-guids.xml")
    src = source(server, "/transit.xml")
    (result,) = fetch_all([src], archive, FAST)
    assert result.new == 2
    entries = archive.entries_for(src.feed_url)
    assert {e.title for e in entries} == {"Route 9 Survey Results", "Fare-Free Fridays Petition"}
    assert all(e.guid == "post" for e in entries) and len({e.key for e in entries}) == 2


def test_per_host_limit_and_concurrency(tmp_path):
    # 12 sources on one host, 0.3 s each, at most 4 at a time: three waves.
    with FeedServer(latency=0.3) as server, Archive(tmp_path / "a.sqlite") as archive:
        body = (FEEDS / "undated.xml").read_bytes()
        sources = []
        for i in range(12):
            server.route(f"/f{i}.xml", body=body)
            sources.append(source(server, f"/f{i}.xml"))
        settings = FetchSettings(concurrency=16, per_host=4, total_timeout=5)
        results = fetch_all(sources, archive, settings)
        assert all(r.outcome == "fetched" for r in results)
        # Ordering, not speed (bench/bench_fetch.py measures speed): the server holds
        # every answer 0.3 s, so requests arriving within 0.3 s of one another were in
        # flight together. Never more than 4 (the per-host limit), and more than one
        # (the fetch is concurrent, not a loop).
        times = sorted(r.time for r in server.requests)
        in_flight = [sum(1 for t in times if start <= t < start + 0.3) for start in times]
        assert 1 < max(in_flight) <= 4, in_flight


@pytest.mark.parametrize("wbits", [15, -15], ids=["zlib-deflate", "raw-deflate"])
def test_deflate_compressed_feed_accepted(server, archive, wbits):
    import zlib

    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = compressor.compress((FEEDS / "undated.xml").read_bytes()) + compressor.flush()
    server.route("/deflate.xml", body=body, headers={"Content-Encoding": "deflate"})
    src = source(server, "/deflate.xml")
    (result,) = fetch_all([src], archive, FAST)
    assert result.outcome == "fetched" and result.new == 3


def test_unsupported_encoding_and_unreachable_host_reported(server, archive):
    server.route("/br.xml", body=b"\x00\x01", headers={"Content-Encoding": "br"})
    with FeedServer() as closed:
        dead_url = closed.url("/feed.xml")  # nothing listens there once stopped
    brotli, dead = source(server, "/br.xml"), Source(dead_url, "Closed")
    results = fetch_all([brotli, dead], archive, FAST)
    assert "unsupported Content-Encoding ('br')" in results[0].error
    assert results[1].outcome == "failed" and "could not connect" in results[1].error
    assert health_of(archive, dead).consecutive_failures == 1


def test_parsing_in_worker_processes_stores_the_same(server, tmp_path):
    server.file("/feed/", FEEDS / "wordpress.xml")
    server.file("/atom.xml", FEEDS / "atom-xmlbase.xml")
    sources = [source(server, "/feed/"), source(server, "/atom.xml")]
    stored = []
    for workers in (0, 2):
        settings = FetchSettings(parse_processes=workers, total_timeout=10)
        with Archive(tmp_path / f"w{workers}.sqlite") as archive:
            results = fetch_all(sources, archive, settings)
            assert [r.new for r in results] == [3, 2]
            stored.append([
                (e.key, e.title, e.link, e.published, e.content_html, e.categories)
                for s in sources for e in archive.entries_for(s.feed_url)
            ])
    assert stored[0] == stored[1]
