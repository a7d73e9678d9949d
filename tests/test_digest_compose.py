"""`invoke digest` end to end: fixture feeds on a loopback server, the real
fetcher, a real archive file, the real cli writing a real issue file."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.archive import Archive
from digest.issue import read_issue
from digest.issuefile import read_issue_doc
from digest.models import FeedEntry, Source
from tests.feedserver import FeedServer
from test_digest_support import Site, fetch, png, rss, same_picture, source, utc

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def server():
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def site(tmp_path):
    return Site(tmp_path)


def items_by_title(site: Site, month: str) -> dict:
    issue = read_issue(site.issue_path(month), site.digest_settings())
    return {item.title: item for item in issue.items}


def test_month_window_follows_the_site_timezone(site, server):
    feed = rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        # 23:30 on 31 March in Los Angeles is already April in UTC: it is a March item.
        {"title": "Late on the last day of March", "link": "https://harbor-city.example.org/late-march/",
         "guid": "hc-late-march", "date": datetime(2025, 3, 31, 23, 30, tzinfo=LA)},
        # 00:30 on 1 April in Los Angeles: April, though only minutes after the other.
        {"title": "Just after midnight in April", "link": "https://harbor-city.example.org/early-april/",
         "guid": "hc-early-april", "date": datetime(2025, 4, 1, 0, 30, tzinfo=LA)},
        # 1 March 05:00 UTC is still 28 February in Los Angeles.
        {"title": "February evening, March in UTC", "link": "https://harbor-city.example.org/feb/",
         "guid": "hc-feb", "date": utc(2025, 3, 1, 5, 0)},
    ])
    server.route("/hc.xml", body=feed)
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    assert site.digest("2025-03")[0] == 0
    assert set(items_by_title(site, "2025-03")) == {"Late on the last day of March"}
    assert site.digest("2025-04")[0] == 0
    april = items_by_title(site, "2025-04")
    assert set(april) == {"Just after midnight in April"}
    assert str(april["Just after midnight in April"].date) == "2025-04-01"
    assert site.digest("2025-02")[0] == 0
    assert set(items_by_title(site, "2025-02")) == {"February evening, March in UTC"}


def test_undated_entry_counts_by_first_seen_and_future_entries_are_left_out(site, server):
    now = datetime.now(UTC)
    this_month = now.astimezone(LA).strftime("%Y-%m")
    future = now + timedelta(days=3)
    future_month = future.astimezone(LA).strftime("%Y-%m")
    server.route("/nf.xml", body=rss("Northfield Chapter", "https://northfield.example.org/", [
        {"title": "A post with no date at all", "link": "https://northfield.example.org/undated/", "guid": "nf-undated"},
        {"title": "Scheduled for three days from now", "link": "https://northfield.example.org/future/",
         "guid": "nf-future", "date": future},
    ]))
    fetch(site.archive, [source(server, "/nf.xml", "Northfield Chapter", "https://northfield.example.org/")])
    code, out = site.digest(this_month)
    assert code == 0
    assert "A post with no date at all" in items_by_title(site, this_month)
    code, out = site.digest(future_month) if future_month != this_month else (code, out)
    assert "Scheduled for three days from now" not in items_by_title(site, future_month)
    assert "Future-dated entries left out: 1" in out


def test_dedupe_across_sources_keeps_the_original_and_notes_also_in(site, server):
    when = utc(2025, 3, 10, 18)
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Crane operators vote to strike", "link": "https://harbor-city.example.org/2025/03/strike-vote/",
         "guid": "https://harbor-city.example.org/?p=10", "date": when, "description": "<p>The original.</p>"},
        {"title": "Port pensions explained in five charts", "link": "https://harbor-city.example.org/2025/03/pensions/",
         "guid": "https://harbor-city.example.org/?p=11", "date": when + timedelta(days=2)},
    ]))
    server.route("/planet.xml", body=rss("Riverlands League National Aggregator", "https://planet.example.org/", [
        # Same link, another GUID, with tracking parameters, www. and an AMP path.
        {"title": "Crane operators vote to strike (via Harbor City)",
         "link": "http://www.harbor-city.example.org/2025/03/strike-vote/amp/?utm_source=planet&fbclid=abc",
         "guid": "planet-0001-strike-vote", "date": when - timedelta(hours=1), "description": "<p>Copy.</p>"},
        # Same title within a few days, different link and GUID.
        {"title": "Port Pensions Explained, in Five Charts!", "link": "https://planet.example.org/p/pensions",
         "guid": "planet-0002-pensions", "date": when + timedelta(days=3)},
        # Same title, but weeks later: a different story.
        {"title": "Port pensions explained in five charts", "link": "https://planet.example.org/p/pensions-again",
         "guid": "planet-0003-pensions-again", "date": when + timedelta(days=19)},
    ]))
    server.route("/ef.xml", body=rss("Eastlake Chapter", "https://eastlake.example.net/", [
        # Cross-post with the same GUID as the original.
        {"title": "Harbor City strike vote (cross-post)", "link": "https://eastlake.example.net/x/strike",
         "guid": "https://harbor-city.example.org/?p=10", "date": when + timedelta(hours=5)},
    ]))
    fetch(site.archive, [
        source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/"),
        source(server, "/planet.xml", "Riverlands League National Aggregator", "https://planet.example.org/",
               category="publication"),
        source(server, "/ef.xml", "Eastlake Chapter", "https://eastlake.example.net/"),
    ])
    code, out = site.digest("2025-03")
    assert code == 0
    items = items_by_title(site, "2025-03")
    strike = items["Crane operators vote to strike"]
    assert strike.source_title == "Harbor City Chapter"
    assert strike.also_in == ["Eastlake Chapter", "Riverlands League National Aggregator"]
    pensions = [i for i in read_issue(site.issue_path("2025-03"), site.digest_settings()).items
                if i.title == "Port pensions explained in five charts" and i.source_title == "Harbor City Chapter"][0]
    assert pensions.also_in == ["Riverlands League National Aggregator"]
    titles = [item.title for item in read_issue(site.issue_path("2025-03"), site.digest_settings()).items]
    assert len(titles) == 3  # the two originals and the later, different story
    assert titles.count("Port pensions explained in five charts") == 2
    assert "Duplicates merged: 3" in out


def test_footers_read_more_relative_links_images_and_tracking(site, server):
    server.route("/img/photo.png", body=png(40, 20), content_type="image/png")
    server.route("/img/fake.png", body=b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                 content_type="image/png")
    base = server.base_url
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Summary with a WordPress footer", "link": "https://harbor-city.example.org/a/?utm_medium=rss&id=7",
         "guid": "hc-a", "date": utc(2025, 3, 3, 12),
         "description": '<p>First sentence of the post. Second sentence.</p><p>The post <a href="https://harbor-city.example.org/a/">'
                        'Summary with a WordPress footer</a> appeared first on <a href="https://harbor-city.example.org">'
                        'Harbor City Chapter</a>.</p>',
         "content": f'<p>Body with a <a href="../b/?utm_source=x&amp;mc_cid=1&amp;page=2">relative link</a>.</p>'
                    f'<p><img src="{base}/img/photo.png" alt="A red banner"></p>'
                    f'<img src="https://track.example.com/p.gif" width="1" height="1">'},
        {"title": "Summary with the other footer and a tail",
         "link": "https://harbor-city.example.org/b/", "guid": "hc-b", "date": utc(2025, 3, 4, 12),
         "description": "<p>Words about the meeting. More words. <a class='more-link' href='https://harbor-city.example.org/b/'>"
                        "Continue reading <span>Summary</span></a></p><p>The post Summary with the other footer "
                        "first appeared on Harbor City Chapter.</p>",
         "content": f'<p>Body.</p><img src="{base}/img/fake.png" alt="Not really a PNG">'},
    ]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    code, out = site.digest("2025-03")
    assert code == 0
    text = site.issue_path("2025-03").read_text()
    assert "appeared first" not in text and "first appeared" not in text
    assert "Continue reading" not in text
    assert "First sentence of the post. Second sentence." in text
    assert "Link: https://harbor-city.example.org/a/?id=7" in text  # utm_* removed, id kept
    items = items_by_title(site, "2025-03")
    image = items["Summary with a WordPress footer"].image
    assert image is not None and image.alt == "A red banner"
    stored = site.content / image.src
    assert same_picture(stored, png(40, 20))
    assert re.fullmatch(r"digests/images/2025-03/[0-9a-f]{64}\.png", image.src)
    # An "image/png" that is really SVG is refused, and reported.
    assert items["Summary with the other footer and a tail"].image is None
    assert "fake.png" in out and "not a png" in out.lower()
    assert "track.example.com" not in text


def test_full_mode_resolves_relative_links_and_localises_images(tmp_path, server):
    site = Site(tmp_path, DIGEST_EXCERPT_MODE="full")
    server.route("/media/chart.png", body=png(10, 10, (0, 0, 200)), content_type="image/png")
    # feedparser (fetch stage) resolves against the feed URL, compose against the entry link:
    # the feed sits beside the post so both give the same answer.
    server.route("/2025/03/post/feed.xml", body=rss("Harbor City Chapter", server.base_url + "/", [
        {"title": "Relative everything", "link": server.url("/2025/03/post/"), "guid": "hc-rel",
         "date": utc(2025, 3, 5, 12),
         "content": '<p>See <a href="../other/?fbclid=zzz">the other post</a>.</p>'
                    '<p><img src="../../../media/chart.png" alt="Chart"> <img src="/missing.png" alt="Gone picture"></p>'},
    ]))
    fetch(site.archive, [source(server, "/2025/03/post/feed.xml", "Harbor City Chapter", server.base_url + "/")])
    assert site.digest("2025-03")[0] == 0
    item = items_by_title(site, "2025-03")["Relative everything"]
    assert f'href="{server.url("/2025/03/other/")}"' in item.excerpt_html
    assert "fbclid" not in item.excerpt_html
    local = re.search(r'src="/(digests/images/2025-03/[0-9a-f]{64}\.png)"', item.excerpt_html)
    assert local and same_picture(site.content / local.group(1), png(10, 10, (0, 0, 200)))
    assert "[Gone picture]" in item.excerpt_html  # the alt text stays when the image cannot be fetched
    assert "127.0.0.1" not in re.sub(r'href="[^"]*"', "", item.excerpt_html)


HOSTILE_HTML = """
<p onclick="window.__pwned=1">Hello<script>window.__pwned=1; document.title='pwned'</script></p>
<p><a href="javascript:window.__pwned=1">js link</a> <a href="data:text/html,<script>window.__pwned=1</script>">data</a>
<a href="  JaVaScRiPt:window.__pwned=1">spaced</a></p>
<img src="x" onerror="window.__pwned=1"><svg onload="window.__pwned=1"><script>window.__pwned=1</script></svg>
<iframe src="https://evil.example.com/"></iframe><object data="https://evil.example.com/x.swf"></object>
<form action="https://evil.example.com/"><input name=a></form><style>@import url(https://evil.example.com/x.css);</style>
<meta http-equiv="refresh" content="0;url=https://evil.example.com/"><base href="https://evil.example.com/">
<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>"></noscript>
<math><mtext><table><mglyph><style><img src=x onerror=window.__pwned=1></style></mglyph></table></mtext></math>
<svg><p><style><img src="x" onerror="window.__pwned=1"></style></p></svg>
<div style="background:url(https://evil.example.com/bg.png)">styled</div>
<a href="https://evil.example.com/" target="_blank">plain link</a>
"""

HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">Totally <b>normal</b> title<script>document.title="pwned"</script>'


def hostile_feed(server) -> bytes:
    return rss("Eastlake Chapter", "https://eastlake.example.net/", [
        {"title": HOSTILE_TITLE, "link": "https://eastlake.example.net/hostile/", "guid": "ef-hostile",
         "date": utc(2025, 3, 6, 12), "author": '<script>window.__pwned=1</script>Mallory "Bobby" Tables',
         "description": HOSTILE_HTML, "content": HOSTILE_HTML},
        {"title": "Item whose link is javascript", "link": "javascript:window.__pwned=1", "guid": "ef-jslink",
         "date": utc(2025, 3, 7, 12), "description": "<p>Should not appear.</p>"},
    ])


@pytest.mark.parametrize("mode", ["summary", "full"])
def test_hostile_item_is_neutralised(tmp_path, server, mode):
    site = Site(tmp_path, DIGEST_EXCERPT_MODE=mode)
    server.route("/ef.xml", body=hostile_feed(server))
    fetch(site.archive, [source(server, "/ef.xml", "Eastlake Chapter", "https://eastlake.example.net/")])
    code, out = site.digest("2025-03")
    assert code == 0
    issue = read_issue(site.issue_path("2025-03"), site.digest_settings())
    # The title is text (the markup is dropped at the parse stage), the javascript: item is gone.
    assert [item.title for item in issue.items] == ["Totally normal title"]
    item = issue.items[0]
    assert item.link == "https://eastlake.example.net/hostile/"
    html = item.excerpt_html.lower()
    for bad in ("<script", "onerror", "onclick", "onload", "javascript:", "data:", "<iframe", "<object", "<svg",
                "<math", "<style", "@import", "<form", "<input", "<meta", "<base", "style=", "evil.example.com/x",
                "<noscript"):
        assert bad not in html, bad
    assert "Item whose link is javascript" not in [i.title for i in issue.items]
    assert "dropped" in out and "Item whose link is javascript" in out
    assert item.author == 'Mallory "Bobby" Tables'  # text: the script element and its content are gone


def test_windows_1252_source_and_malformed_source(site, server):
    server.route("/cp.xml", body=rss("Northfield Chapter", "https://northfield.example.org/", [
        {"title": "Café workers’ “fair schedule” campaign — week two", "link": "https://northfield.example.org/cafe/",
         "guid": "nf-cafe", "date": utc(2025, 3, 8, 12), "description": "<p>Señora Núñez spoke first – briefly.</p>"},
    ], encoding="windows-1252"), content_type="application/rss+xml; charset=windows-1252")
    server.route("/broken.xml", body=b"<html><body><h1>502 Bad Gateway</h1>", status=502, content_type="text/html")
    fetch(site.archive, [
        source(server, "/cp.xml", "Northfield Chapter", "https://northfield.example.org/"),
        source(server, "/broken.xml", "Broken Chapter", "https://broken.example.org/"),
    ])
    code, out = site.digest("2025-03")
    assert code == 0  # one failing source never fails the issue
    items = items_by_title(site, "2025-03")
    assert "Café workers’ “fair schedule” campaign — week two" in items
    assert "Señora Núñez spoke first – briefly." in items["Café workers’ “fair schedule” campaign — week two"].excerpt_html
    assert "Broken Chapter" in out and server.url("/broken.xml") in out
    doc = read_issue_doc(site.issue_path("2025-03"))
    assert any("Broken Chapter" in line and "failing" in line for line in doc.block("report").entries)


def test_flood_is_held_back_and_not_published(site, server):
    same = utc(2025, 3, 15, 9)
    server.route("/flood.xml", body=rss("Eastlake Chapter", "https://eastlake.example.net/", [
        {"title": f"Migrated archive post number {n}", "link": f"https://eastlake.example.net/old/{n}/",
         "guid": f"ef-old-{n}", "date": same} for n in range(8)
    ]))
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "An ordinary March post", "link": "https://harbor-city.example.org/ordinary/", "guid": "hc-o",
         "date": utc(2025, 3, 16, 9)},
    ]))
    fetch(site.archive, [
        source(server, "/flood.xml", "Eastlake Chapter", "https://eastlake.example.net/"),
        source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/"),
    ])
    code, out = site.digest("2025-03")
    assert code == 0
    assert "Eastlake Chapter: 8 items" in out
    issue = read_issue(site.issue_path("2025-03"), site.digest_settings())
    assert [item.title for item in issue.items] == ["An ordinary March post"]
    held = [s for s in issue.review_sections if s.kind == "held"]
    assert len(held) == 1 and len(held[0].items) == 8
    assert "<!-- digest:held -->" in site.issue_path("2025-03").read_text()
    # The editor moves one item out of the held section: it is published.
    text = site.issue_path("2025-03").read_text()
    block = re.search(r"### Migrated archive post number 3\n(?:.*\n)*?(?=\n### |\n## |\n<!-- digest:seen)", text).group(0)
    text = text.replace(block, "")
    text = text.replace("## Harbor City Chapter\n", "## Harbor City Chapter\n\n" + block.strip() + "\n")
    site.issue_path("2025-03").write_text(text)
    issue = read_issue(site.issue_path("2025-03"), site.digest_settings())
    assert "Migrated archive post number 3" in [item.title for item in issue.items]
    assert len([s for s in issue.review_sections if s.kind == "held"][0].items) == 7


def test_own_posts_come_first_and_drafts_and_future_posts_are_skipped(site, server):
    site.post("march-meeting", "Our March general meeting", "2025-03-12 19:00", author="Rosa Delgado",
              summary="What we decided about the tenant fund.")
    site.post("draft", "A draft that must not appear", "2025-03-13 19:00", status="draft")
    site.post("statement", "We support the dockworkers", "2025-03-20 10:00", folder="statements",
              signed="steering-committee")
    site.post("april", "An April post", "2025-04-02 10:00")
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        # The national aggregator-style republication of our own post is folded into ours.
        {"title": "Our March general meeting", "link": "https://harbor-city.example.org/repost/", "guid": "hc-r",
         "date": utc(2025, 3, 13, 9)},
    ]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    assert site.digest("2025-03")[0] == 0
    issue = read_issue(site.issue_path("2025-03"), site.digest_settings())
    own = issue.sections[0]
    assert own.title == "From our chapter"
    assert [item.title for item in own.items] == ["Our March general meeting", "We support the dockworkers"]
    assert own.items[0].author == "Rosa Delgado"
    # A path on this site: the build resolves it against its own SITEURL.
    assert own.items[0].link == "/posts/our-march-general-meeting/"
    assert own.items[0].site_path == "posts/our-march-general-meeting/"
    assert "Link: /posts/our-march-general-meeting/" in site.issue_path("2025-03").read_text()
    assert own.items[0].also_in == ["Harbor City Chapter"]
    assert own.items[1].author == "Steering Committee"
    assert len(issue.items) == 2


def test_rerun_without_force_keeps_editor_work_and_adds_only_new_items(site, server):
    def feed(n):
        return rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": f"Harbor post {i}", "link": f"https://harbor-city.example.org/p{i}/", "guid": f"hc-{i}",
             "date": utc(2025, 3, 1 + i, 12), "description": f"<p>Excerpt {i}.</p>"} for i in range(n)
        ])

    server.route("/hc.xml", body=feed(4))
    src = source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")
    fetch(site.archive, [src])
    assert site.digest("2025-03")[0] == 0
    path = site.issue_path("2025-03")
    text = path.read_text()
    # The editor: writes an intro, retitles post 1, adds a note to post 2, cuts post 3, moves post 2 first.
    text = re.sub(r"<!-- digest:intro-placeholder.*?-->", "Our March intro, by hand.", text)
    text = text.replace("### Harbor post 1\n", "### A better title for post one\n")
    text = text.replace("Date: 2025-03-03\n", "Date: 2025-03-03\nNote: Read this one *first*.\n")
    cut = re.search(r"\n### Harbor post 3\n(?:.+\n)+\nExcerpt 3\.\n", text).group(0)
    text = text.replace(cut, "\n")
    moved = re.search(r"\n### Harbor post 2\n(?:.+\n)+\nExcerpt 2\.\n", text).group(0)
    text = text.replace(moved, "\n").replace("## Harbor City Chapter\n", "## Harbor City Chapter\n" + moved)
    path.write_text(text)
    edited = path.read_text()

    server.route("/hc.xml", body=feed(6))  # two new posts since
    fetch(site.archive, [src])
    code, out = site.digest("2025-03")
    assert code == 0
    assert "2 new item(s) added" in out and "Harbor post 4" in out and "Harbor post 5" in out
    after = path.read_text()
    # Everything the editor wrote is still there, byte for byte, before the new section.
    kept = edited[edited.index("Our March intro"):edited.index("\n<!-- digest:seen")]
    squash = lambda t: re.sub(r"\n{3,}", "\n\n", t).strip()  # noqa: E731 - blank runs are normalised
    assert squash(kept) in squash(after)
    issue = read_issue(path, site.digest_settings())
    assert "Our March intro, by hand." in issue.intro_html
    titles = [item.title for item in issue.items]
    assert titles == ["Harbor post 2", "Harbor post 0", "A better title for post one"]
    assert "Harbor post 3" not in after.split("<!-- digest:seen")[0]  # the cut item stays cut
    new = [s for s in issue.review_sections if s.kind == "new"][0]
    assert [item.title for item in new.items] == ["Harbor post 4", "Harbor post 5"]
    # Running again adds nothing.
    code, out = site.digest("2025-03")
    assert "0 new item(s) added" in out
    assert path.read_text().count("### Harbor post 4") == 1

    # --force refreshes only what the editor left as composed: intro, number, note, retitle,
    # order, the cut and the review section all stay.
    number = read_issue_doc(path).number
    before = path.read_text()
    code, out = site.digest("2025-03", force=True)
    assert code == 0 and "(--force)" in out and "0 new" in out
    issue = read_issue(path, site.digest_settings())
    assert issue.number == number
    assert "Our March intro, by hand." in issue.intro_html
    by_key = {item.key.split("#")[-1]: item for item in issue.items}
    assert [item.key.split("#")[-1] for item in issue.items] == ["hc-2", "hc-0", "hc-1"]
    assert by_key["hc-1"].title == "A better title for post one"
    assert "<em>first</em>" in by_key["hc-2"].note_html
    new = [s for s in issue.review_sections if s.kind == "new"][0]
    assert [item.title for item in new.items] == ["Harbor post 4", "Harbor post 5"]
    # Nothing at the source changed, so nothing but the report changed.
    strip_report = lambda t: re.sub(r"<!-- digest:report\n.*?\n-->", "", t, flags=re.S)  # noqa: E731
    assert strip_report(path.read_text()) == strip_report(before)



def test_force_refreshes_untouched_excerpts_and_keeps_rewritten_ones(site, server):
    def feed(version):
        return rss("Harbor City Chapter", "https://harbor-city.example.org/", [
            {"title": f"Harbor post {i}", "link": f"https://harbor-city.example.org/p{i}/", "guid": f"hc-{i}",
             "date": utc(2025, 3, 1 + i, 12), "description": f"<p>Excerpt {i}, version {version}.</p>"}
            for i in range(2)
        ])

    server.route("/hc.xml", body=feed(1))
    src = source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")
    fetch(site.archive, [src])
    assert site.digest("2025-03")[0] == 0
    path = site.issue_path("2025-03")
    # The editor rewrites post 0's excerpt and leaves post 1's as composed.
    path.write_text(path.read_text().replace("Excerpt 0, version 1.", "A summary written by the editor for post 0."))

    server.route("/hc.xml", body=feed(2))  # both posts were edited at the source
    fetch(site.archive, [src])
    assert site.digest("2025-03", force=True)[0] == 0
    by_key = {item.key.split("#")[-1]: item for item in read_issue(path, site.digest_settings()).items}
    assert "A summary written by the editor for post 0." in by_key["hc-0"].excerpt_html
    assert "Excerpt 1, version 2." in by_key["hc-1"].excerpt_html

    # Still the editor's after another forced compose: the fingerprint stays the composed one.
    server.route("/hc.xml", body=feed(3))
    fetch(site.archive, [src])
    assert site.digest("2025-03", force=True)[0] == 0
    by_key = {item.key.split("#")[-1]: item for item in read_issue(path, site.digest_settings()).items}
    assert "A summary written by the editor for post 0." in by_key["hc-0"].excerpt_html
    assert "Excerpt 1, version 3." in by_key["hc-1"].excerpt_html

def test_published_issue_is_frozen(site, server):
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Only post", "link": "https://harbor-city.example.org/only/", "guid": "hc-only",
         "date": utc(2025, 3, 2, 12)}]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    assert site.digest("2025-03")[0] == 0
    path = site.issue_path("2025-03")
    path.write_text(path.read_text().replace("Status: draft", "Status: published"))
    before = path.read_bytes()
    for force in (False, True):
        code, out = site.digest("2025-03", force=force)
        assert code == 1
        assert "published" in out and "frozen" in out and "Status: draft" in out
        assert path.read_bytes() == before


def test_issue_numbers_are_sequential_and_never_reused(site, server):
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": f"Post of month {m}", "link": f"https://harbor-city.example.org/m{m}/", "guid": f"hc-m{m}",
         "date": utc(2025, m, 10, 12)} for m in (1, 2, 3)]))
    fetch(site.archive, [source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/")])
    for month in ("2025-01", "2025-02"):
        assert site.digest(month)[0] == 0
    assert read_issue_doc(site.issue_path("2025-01")).number == 1
    doc2 = read_issue_doc(site.issue_path("2025-02"))
    assert doc2.number == 2 and doc2.header["Title"] == "The Millbrook Lantern | February 2025 (Issue 2)"
    # Issue 2 is deleted: March still gets 3, and February recomposed gets its 2 back.
    site.issue_path("2025-02").unlink()
    assert site.digest("2025-03")[0] == 0
    assert read_issue_doc(site.issue_path("2025-03")).number == 3
    assert site.digest("2025-02")[0] == 0
    assert read_issue_doc(site.issue_path("2025-02")).number == 2


def test_bad_month_and_missing_archive_are_clear_errors(site):
    code, out = site.digest("March")
    assert code == 2 and "2025-03" in out
    code, out = site.digest("2025-03")
    assert code == 2 and "invoke fetch" in out and str(site.archive) in out


def test_store_entries_directly_with_timestamps(site):
    # Entries stored straight into the archive (as the benchmark does) compose the same way.
    src = Source(feed_url="https://eastlake.example.net/news/rss.xml", title="Eastlake Chapter",
                 html_url="https://eastlake.example.net/")
    with Archive(site.archive) as archive:
        archive.store_entries(src, [FeedEntry(key="e1", guid="e1", title="Stored directly",
                                              link="https://eastlake.example.net/e1", author=None,
                                              published=utc(2025, 3, 9), updated=None,
                                              summary_html="<p>Hi.</p>", content_html=None)],
                              fetched_at=utc(2025, 3, 10))
    assert site.digest("2025-03")[0] == 0
    assert "Stored directly" in items_by_title(site, "2025-03")


def test_an_earlier_copy_on_another_host_never_displaces_the_original(site, server):
    when = utc(2025, 3, 10, 18)
    server.route("/hc.xml", body=rss("Harbor City Chapter", "https://harbor-city.example.org/", [
        {"title": "Crane operators vote to strike", "link": "https://harbor-city.example.org/2025/03/strike-vote/",
         "guid": "harbor-city-post-1010", "date": when, "description": "<p>The real story, by the strikers.</p>"},
    ]))
    # Another "chapter" copies it a day earlier, under the same GUID and title but its own address.
    server.route("/copy.xml", body=rss("Quayside Chapter", "https://quayside.example.com/", [
        {"title": "Crane operators vote to strike", "link": "https://quayside.example.com/strike/",
         "guid": "harbor-city-post-1010", "date": when - timedelta(days=1),
         "description": "<p>A rewritten copy with a donate link.</p>"},
    ]))
    fetch(site.archive, [
        source(server, "/hc.xml", "Harbor City Chapter", "https://harbor-city.example.org/"),
        source(server, "/copy.xml", "Quayside Chapter", "https://quayside.example.com/"),
    ])
    assert site.digest("2025-03")[0] == 0
    items = [i for i in read_issue(site.issue_path("2025-03"), site.digest_settings()).items
             if i.title == "Crane operators vote to strike"]
    original = [i for i in items if i.source_title == "Harbor City Chapter"]
    # The original keeps its own link, excerpt and source; in doubt, the copy is listed apart.
    assert len(original) == 1
    assert original[0].link == "https://harbor-city.example.org/2025/03/strike-vote/"
    assert "The real story, by the strikers." in original[0].excerpt_html
    assert "Quayside Chapter" not in original[0].also_in
    assert {i.source_title for i in items} == {"Harbor City Chapter", "Quayside Chapter"}
