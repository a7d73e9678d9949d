"""How much slower is the chapter site than bare Pelican on the same posts?

Generates 1,000 extra posts into a temporary copy of content/, then builds:

- project: the project's settings, theme and every plugin (pelicanconf.py),
  both languages on (English and Spanish: the sample's Spanish posts, pages
  and issue intro give the Spanish tree, feeds and edition their content),
- the project with its site plugin only (to show what the digest and email cost),
- bare:    Pelican's defaults (default theme, no plugins), only PATH and
           OUTPUT set, over the same posts and statements,

each three times in a fresh `pelican` process, and prints the best wall and
CPU time of each and the ratios. Target: project <= 1.3 x bare in wall time,
the wait a writer sees (the CPU ratio is printed beside it: Pagefind indexes
on the second core while the pages are written).

Then what search costs (bench/search_cost.py measures it):

- indexing: the time plugins/search spends in the project builds above
  (collecting records, staging them, Pagefind itself, swapping the bundle
  in), timed inside those very builds, beside the whole build and as its
  share. Target: <= 25 % of the build.
- one search: the project's site served on 127.0.0.1 and /search/?q=QUERY
  opened in Debian's headless Chromium (QUERY: a word in nearly every
  generated post, so the index chunk and the result count are at their
  largest); the response bytes of everything after the page's own HTML, CSS,
  images and favicon, by kind of file, and with the page. Target: <= 300 KB
  (1 KB = 1,000 bytes). Requests to any other host are refused and counted.

    .venv/bin/python bench/bench_site.py [--posts 1000] [--runs 3] [--query tenants] [--profile]

`--profile` also writes a cProfile of one in-process project build to
/tmp/bench_site.prof (view with `python -m pstats /tmp/bench_site.prof`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from search_cost import COLLECT, FINISH, INDEX, PAGEFIND, STAGE, WRITE, one_search, timed_build_command  # noqa: E402
from chapter.people import load_people  # noqa: E402

WORDS = (
    "tenants rent wage county clinic meeting budget shift union neighbours landlord "
    "hearing testimony volunteers line training library transit fare school nurses "
    "ballot petition committee minutes agenda council budget housing repairs heat "
    "water lease deposit eviction court organizing door knocking flyer rally march"
).split()
TARGET = 1.3
INDEX_SHARE_TARGET = 0.25  # of the project's build
NAME_WIDTH = 57  # the longest row name, so the figures line up
SEARCH_BYTES_TARGET = 300_000


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return " ".join(words).capitalize() + "."


def generate_posts(posts_dir: Path, count: int, people) -> None:
    """`count` valid posts: declared authors and groups, tags, links between posts."""
    rng = random.Random(20240501)
    authors = [p.name for p in people.authors.values()]
    groups = list(people.groups)
    tags = [f"topic-{n}" for n in range(30)]
    start = datetime.datetime(2021, 1, 1, 9, 0)
    for i in range(count):
        date = start + datetime.timedelta(hours=19 * i)
        meta = [
            f"Title: Bench note {i}: {rng.choice(WORDS)} and {rng.choice(WORDS)}",
            f"Date: {date:%Y-%m-%d %H:%M}",
            f"Author: {authors[i % len(authors)]}",
            f"Tags: {', '.join(rng.sample(tags, 3))}",
            f"Summary: {sentence(rng)}",
        ]
        if groups and i % 3 == 0:
            meta.append(f"Group: {groups[i % len(groups)]}")
        body = []
        for section in range(3):
            body.append(f"## Part {section + 1}")
            body += [" ".join(sentence(rng) for _ in range(5)) for _ in range(2)]
            body.append("\n".join(f"- {sentence(rng)}" for _ in range(3)))
        if i:
            body.append(f"Earlier: [bench note {i - 1}]({{filename}}bench-{i - 1:04d}.md).")
        text = "\n".join(meta) + "\n\n" + "\n\n".join(body) + "\n"
        (posts_dir / f"bench-{i:04d}.md").write_text(text, encoding="utf-8")


def project_settings(work: Path, content: Path) -> Path:
    conf = work / "benchconf.py"
    conf.write_text(
        f"""import sys
sys.path.insert(0, {str(REPO)!r})
from pelicanconf import *  # the project's own settings, theme and plugins

ROOT = {str(work)!r}
PATH = {str(content)!r}
THEME = {str(REPO / "theme")!r}
PLUGIN_PATHS = [{str(REPO / "plugins")!r}]
CHAPTER_PEOPLE_FILE = {str(content / "people.toml")!r}
I18N_CATALOGUES = {str(REPO / "theme" / "translations")!r}
CACHE_PATH = {str(work / "cache")!r}
""",
        encoding="utf-8",
    )
    return conf


def timed_build(command: list[str], cwd: Path, output: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one build in a fresh process.

    CPU time (user + system of the child) is printed too: on a shared,
    loaded machine it varies far less than wall time. It leaves out the
    workers that convert Markdown (plugins/chapter/reading.py): they are
    children of multiprocessing's fork server, which no one waits for.
    """
    shutil.rmtree(output, ignore_errors=True)
    env = dict(os.environ, COLUMNS="200")
    env.pop("SITEURL", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(command + ["-o", str(output)], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"build failed ({' '.join(command)}):\n{result.stdout}\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def profile_build(conf: Path, output: Path, work: Path) -> None:
    import cProfile

    from pelican import Pelican
    from pelican.settings import read_settings

    settings = read_settings(str(conf), override={"OUTPUT_PATH": str(output)})
    cwd = os.getcwd()
    os.chdir(work)
    try:
        profiler = cProfile.Profile()
        profiler.enable()
        Pelican(settings).run()
        profiler.disable()
    finally:
        os.chdir(cwd)
    target = Path(tempfile.gettempdir()) / "bench_site.prof"
    profiler.dump_stats(target)
    print(f"profile written to {target}")


def read_search_timings(timings: Path) -> dict:
    if not timings.exists():
        sys.exit("the chapter site's build wrote no search timings: is \"search\" in pelicanconf.py's PLUGINS?")
    found = json.loads(timings.read_text(encoding="utf-8"))
    if PAGEFIND not in found["spent"]:
        sys.exit("the chapter site's build ran no Pagefind: SEARCH_ENABLED off, or nothing to index?")
    return found


def print_indexing(runs: list[dict], build: tuple[float, float], count: int) -> None:
    """The search stages' best times beside the project's best build, and their share of it.

    Pagefind runs beside the writing of the pages: what it adds to the build's
    wall time is the staging before it and the wait for it at the end; its CPU
    counts whole."""

    def best(stage: str) -> tuple[float, float]:
        return min(run["spent"][stage][0] for run in runs), min(run["spent"][stage][1] for run in runs)

    def indexing(run: dict) -> tuple[float, float]:
        spent = run["spent"]
        ours = [spent[COLLECT][n] + spent[STAGE][n] + spent[INDEX][n] + spent[FINISH][n] for n in (0, 1)]
        return ours[0], ours[1] + spent[PAGEFIND][1]

    def staging(run: dict) -> tuple[float, float]:
        spent = run["spent"]
        return tuple(spent[STAGE][n] + spent[WRITE][n] for n in (0, 1))

    def best_of(measure) -> tuple[float, float]:
        return min(measure(run)[0] for run in runs), min(measure(run)[1] for run in runs)

    records = runs[-1]["records"]
    languages = ", ".join(f"{lang} {n:,}" for lang, n in sorted(records.items(), key=lambda kv: -kv[1]))
    whole = best_of(indexing)
    rows = {
        "chapter site build (the same runs as above)": build,
        "search indexing: its wall added to the build, all its CPU": whole,
        "  collecting records (records.collect)": best(COLLECT),
        f"  staging {sum(records.values()):,} records (stage_texts + write)": best_of(staging),
        "  Pagefind, beside the writing of the pages (not added)": best(PAGEFIND),
        "  waiting for it at the end, swapping the bundle in": best(FINISH),
    }
    print(f"Search index ({languages} records), inside the chapter site's build, best of {count} runs:")
    print(f"  {'':<{NAME_WIDTH}} {'wall':>8} {'CPU':>8} {'share of build':>18}")
    for name, (wall, cpu) in rows.items():
        share = "" if name.startswith("chapter") else f"{wall / build[0]:6.1%} {cpu / build[1]:6.1%} CPU"
        print(f"  {name:<{NAME_WIDTH}} {wall:7.2f}s {cpu:7.2f}s {share:>18}")
    worst = max(whole[0] / build[0], whole[1] / build[1])
    verdict = "ok" if worst <= INDEX_SHARE_TARGET else "OVER"
    print(f"  share of the build: {whole[0] / build[0]:.1%} wall, {whole[1] / build[1]:.1%} CPU "
          f"(target <= {INDEX_SHARE_TARGET:.0%}): {verdict}")
    pagefind, ours = best(PAGEFIND), best_of(staging)
    print(f"  Pagefind alone vs our staging: {pagefind[0] / ours[0]:.1f} x wall, {pagefind[1] / ours[1]:.1f} x CPU")


def kilobytes(size: int) -> str:
    return f"{size / 1000:,.1f} KB"


def print_one_search(cost) -> None:
    """What one search downloads, by kind of file, beside the target."""
    search_bytes, page_bytes = sum(size for _, size in cost.search), sum(size for _, size in cost.page)
    print(f"One search in Chromium, {cost.url} ({cost.status.strip()}; {cost.shown} shown), response bodies:")
    print(f"  {'':<{NAME_WIDTH}} {'requests':>8} {'bytes':>10}")
    for kind, (count, size) in cost.by_kind().items():
        print(f"  {kind:<{NAME_WIDTH}} {count:>8} {kilobytes(size):>10}")
    verdict = "ok" if search_bytes <= SEARCH_BYTES_TARGET else "OVER"
    print(f"  {'search (every request but the page itself)':<{NAME_WIDTH}} {len(cost.search):>8} "
          f"{kilobytes(search_bytes):>10}  (target <= {kilobytes(SEARCH_BYTES_TARGET)}): {verdict}")
    print(f"  {'  the same from a host that gzips text (JS, JSON)':<{NAME_WIDTH}} {'':>8} "
          f"{kilobytes(cost.search_gzipped):>10}")
    print(f"  {'the page itself (HTML, CSS, images, favicon)':<{NAME_WIDTH}} {len(cost.page):>8} "
          f"{kilobytes(page_bytes):>10}")
    print(f"  {'total with the page':<{NAME_WIDTH}} {len(cost.search) + len(cost.page):>8} "
          f"{kilobytes(search_bytes + page_bytes):>10}")
    hosts = "none" if not cost.elsewhere else f"{len(cost.elsewhere)} (refused): " + ", ".join(cost.elsewhere[:5])
    print(f"  requests to other hosts: {hosts}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--query", default="tenants", help="the word searched for (default: in every generated post)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        work = Path(tmp)
        content = work / "content"
        shutil.copytree(REPO / "content", content)
        people = load_people(content / "people.toml")
        generate_posts(content / "posts", args.posts, people)

        # Bare Pelican gets the same posts, statements and images, and nothing
        # of the project (no people.toml; no digest issue files, which it would
        # read as articles; no pages, which name the project's templates).
        bare = work / "bare"
        for sub in ("posts", "statements", "images"):
            if (content / sub).is_dir():
                shutil.copytree(content / sub, bare / sub)
        total = len(list((content / "posts").glob("*.md"))) + len(list((content / "statements").glob("*.md")))

        conf = project_settings(work, content)
        python = sys.executable
        pelican_args = [str(content), "-s", str(conf)]
        project_cmd = [python, "-m", "pelican", *pelican_args]
        bare_cmd = [python, "-m", "pelican", str(bare)]  # cwd has no pelicanconf.py: defaults
        # The project's build, with plugins/search's stages timed inside it.
        timings = work / "search-timings.json"
        timed_project_cmd = timed_build_command(pelican_args, timings)

        project_name = "chapter site (project settings, theme, plugins, en + es)"
        builds = {
            project_name: timed_project_cmd,
            # The theme needs the site plugin (its filters, BRAND); the digest, email and search are optional.
            "  the same with the site plugin only": project_cmd + ["-e", 'PLUGINS=["i18n","chapter"]'],
            "bare Pelican (defaults, default theme)": bare_cmd,
        }
        outputs = {name: work / f"out-{number}" for number, name in enumerate(builds)}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in builds}
        search_runs: list[dict] = []
        for _ in range(args.runs):
            # Interleaved, so a busy moment of the machine hits each alike.
            for name, command in builds.items():
                timings.unlink(missing_ok=True)
                times[name].append(timed_build(command, work, outputs[name]))
                if name == project_name:
                    search_runs.append(read_search_timings(timings))

        best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in times.items()}
        project, plain, bare_best = best.values()
        print(f"Site build, {total} articles ({args.posts} generated), best of {args.runs} runs:")
        print(f"  {'':<{NAME_WIDTH}} {'wall':>8} {'CPU':>8}")
        for name, (wall, cpu) in best.items():
            print(f"  {name:<{NAME_WIDTH}} {wall:7.2f}s {cpu:7.2f}s")
        wall_ratio, cpu_ratio = project[0] / bare_best[0], project[1] / bare_best[1]
        # The target is the wait (wall): Pagefind's CPU is spent on the second core, beside the writing.
        verdict = "ok" if wall_ratio <= TARGET else "OVER"
        print(f"  ratio to bare Pelican: {wall_ratio:.2f} x wall (target <= {TARGET} x): {verdict}; "
              f"{cpu_ratio:.2f} x CPU (the build's process and Pagefind; not the Markdown workers)")
        plugins_share = (project[1] - plain[1]) / bare_best[1]
        print(f"  the digest, email and search plugins' share: {plugins_share:+.2f} x bare (CPU)")

        print()
        print_indexing(search_runs, project, args.runs)
        print()
        print_one_search(one_search(outputs[project_name], args.query))
        if args.profile:
            profile_build(conf, work / "out-profile", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
