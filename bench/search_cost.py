"""What search costs: its share of the build, and the bytes of one search.

bench/bench_site.py prints these figures; this file holds the two measurements.

- `timed_build_command(pelican_args, timings)`: the command that builds like
  `python -m pelican ARGS` in a fresh process, with plugins/search's stages
  timed (records.collect, stage.stage_texts, index.start_index with
  write_stage inside it, Pagefind from its start to its exit, and
  IndexRun.finish, the wait for it at the end) by wrapping them in that
  process only; the times go to the JSON file `timings`. plugins/search is unchanged.
- `one_search(site, query)`: serves a built site on 127.0.0.1, opens
  /search/?q=QUERY in Debian's headless Chromium, waits until the form is
  ready and the first results are shown, and returns every response by path
  and size, sorted into the page's own files and what search loads.

Run on its own, it is the timed build (bench_site.py starts it):

    .venv/bin/python bench/search_cost.py TIMINGS.json PELICAN-ARGS...

(Not named bench_*.py: `invoke bench` runs those, and this one needs arguments.)
"""

from __future__ import annotations

import functools
import gzip
import json
import resource
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "plugins") not in sys.path:
    sys.path.insert(0, str(REPO / "plugins"))

# Stage names in the timings file, in the order the build runs them: records
# collected, staged, written and Pagefind started (start_index), Pagefind
# running beside the writing of the pages (its own wall and CPU), and the wait
# for it plus the swap at the end (finish).
COLLECT, STAGE, WRITE, INDEX, PAGEFIND, FINISH = (
    "collect", "stage_texts", "write_stage", "start_index", "pagefind", "finish")


def timed_build_command(pelican_args: list[str], timings: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), str(timings), *pelican_args]


def _children_cpu() -> float:
    # Pagefind runs as a child of the build; its CPU time counts once it is waited for.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed_pelican(timings: Path, pelican_args: list[str]) -> None:
    """Build as `pelican ARGS` does, writing search's (wall, CPU) seconds per stage to `timings`."""
    # Imported before Pelican loads its plugins, so Pelican reuses these very modules.
    import search.index
    import search.records
    import search.stage

    spent: dict[str, list[float]] = {}
    counts: Counter = Counter()

    def wrap(module, name: str) -> None:
        original = getattr(module, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            try:
                result = original(*args, **kwargs)
            finally:
                total = spent.setdefault(name, [0.0, 0.0])
                total[0] += time.perf_counter() - wall
                total[1] += time.process_time() - cpu + _children_cpu() - children
            if name == COLLECT:
                counts.update(record.lang for record in result)
            return result

        setattr(module, name, timed)

    # The names the plugin looks up when it runs: __init__.py imports collect,
    # stage_texts and start_index at each call; IndexRun calls write_stage and
    # start_pagefind by their names in index.py.
    wrap(search.records, COLLECT)
    wrap(search.stage, STAGE)
    wrap(search.index, INDEX)
    wrap(search.index, WRITE)
    wrap(search.index.IndexRun, FINISH)
    start_pagefind = search.index.start_pagefind

    def watched(*args, **kwargs):
        """Pagefind's own wall and CPU, from its start until it exits (a thread reaps it)."""
        began, children = time.perf_counter(), _children_cpu()
        process = start_pagefind(*args, **kwargs)

        def reap():
            process.wait()
            spent[PAGEFIND] = [time.perf_counter() - began, _children_cpu() - children]

        threading.Thread(target=reap, daemon=True).start()
        return process

    search.index.start_pagefind = watched

    from pelican import main

    main(pelican_args)  # exits non-zero on a failed build, and then writes nothing
    timings.write_text(json.dumps({"spent": spent, "records": dict(counts)}), encoding="utf-8")


@dataclass
class SearchCost:
    """What one search downloaded: (URL path, response body bytes), one per request."""

    url: str  # the page opened, from the site's root
    status: str  # what #search-status said
    shown: int  # results on the page
    page: list[tuple[str, int]] = field(default_factory=list)  # the page's own HTML, CSS, images, favicon
    search: list[tuple[str, int]] = field(default_factory=list)  # everything else: what search loaded
    elsewhere: list[str] = field(default_factory=list)  # requests to another host (refused)
    # search's bytes if the host gzips text (the loopback server does not; Pagefind's own files are gzip already)
    search_gzipped: int = 0

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """Search's bytes by kind of file: {kind: (requests, bytes)}, largest first."""
        kinds: dict[str, list[int]] = {}
        for path, size in self.search:
            tally = kinds.setdefault(file_kind(path), [0, 0])
            tally[0] += 1
            tally[1] += size
        return {kind: (count, size) for kind, (count, size) in sorted(kinds.items(), key=lambda kv: -kv[1][1])}


# Pagefind's files by how their names end, for the breakdown.
KINDS_BY_SUFFIX = (
    (".pagefind", "wasm.<lang>.pagefind (the search code)"),
    (".pf_meta", "pagefind.<lang>.pf_meta"),
    (".pf_index", "index/ chunks"),
    (".pf_filter", "filter/ chunks"),
    (".pf_fragment", "fragment/ (one per result shown)"),
)


def file_kind(path: str) -> str:
    name = urlsplit(path).path.rsplit("/", 1)[-1]
    for suffix, kind in KINDS_BY_SUFFIX:
        if name.endswith(suffix):
            return kind
    return name  # search.js, pagefind.js, pagefind-worker.js, pagefind-entry.json


def _page_own(content_type: str, resource_type: str) -> bool:
    """The search page's own files: its HTML, style sheets, images (the favicon too), fonts."""
    kind = content_type.split(";")[0].strip().lower()
    return resource_type in ("document", "stylesheet", "image", "font") or kind.startswith(("text/html", "text/css",
                                                                                               "image/", "font/"))


def one_search(site: Path, query: str, timeout_ms: float = 300_000) -> SearchCost:
    """Open /search/?q=`query` on the served `site` in a new browser profile and tally what it downloads."""
    from chapter.browser import launch_chromium
    from chapter.screenshots import serve
    from playwright.sync_api import sync_playwright

    path = f"/search/?q={quote(query)}"
    with serve(site) as base, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context()  # empty cache: a first visit
            own = urlsplit(base).netloc
            elsewhere: list[str] = []

            def keep_local(route):
                # Refused, so nothing leaves the machine; still counted below, as the page asked for it.
                if urlsplit(route.request.url).netloc == own:
                    route.continue_()
                else:
                    route.abort()

            def note_elsewhere(request):
                if urlsplit(request.url).netloc != own:
                    elsewhere.append(request.url)

            context.route("**/*", keep_local)
            context.on("request", note_elsewhere)  # every request, the worker's too
            finished = []
            context.on("requestfinished", lambda request: finished.append(request))
            page = context.new_page()
            page.goto(base + path)
            # search.js sets "ready" once the index is loaded and the ?q= search is shown; the others are failures.
            settled = 'form#search-form:is([data-state="ready"], [data-state="empty"], [data-state="unavailable"])'
            page.wait_for_selector(settled, state="attached", timeout=timeout_ms)
            state = page.get_attribute("form#search-form", "data-state")
            if state != "ready":
                sys.exit(f"the search page did not get ready (data-state={state!r}): "
                         f"{page.inner_text('#search-status').strip()}")
            results = page.locator("#search-results li.search-result")
            if results.count() == 0:
                sys.exit(f"no results for {query!r}: pass --query a word the generated posts contain")
            # Anything the search started late (a fragment, a chunk) is counted too.
            page.wait_for_load_state("networkidle", timeout=timeout_ms)
            cost = SearchCost(url=path, status=page.inner_text("#search-status"), shown=results.count(),
                              elsewhere=elsewhere)
            for request in finished:
                response = request.response()
                if urlsplit(request.url).netloc != own or response is None:
                    continue
                # The body as served (no Content-Encoding here; Pagefind's files are gzip inside).
                body = response.body()
                key = request.url[len(base):]
                content_type = response.headers.get("content-type", "")
                part = cost.page if _page_own(content_type, request.resource_type) else cost.search
                part.append((key, len(body)))
                if part is cost.search:
                    text = content_type.startswith(("text/", "application/javascript", "application/json"))
                    cost.search_gzipped += len(gzip.compress(body, 6)) if text else len(body)
            return cost
        finally:
            browser.close()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: .venv/bin/python bench/search_cost.py TIMINGS.json PELICAN-ARGS...")
    _timed_pelican(Path(sys.argv[1]), sys.argv[2:])
