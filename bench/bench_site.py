"""How much slower is the chapter site than bare Pelican on the same posts?

Generates 1,000 extra posts into a temporary copy of content/, then builds:

- project: the project's settings, theme and every plugin (pelicanconf.py),
  both languages on (English and Spanish: the sample's Spanish posts, pages
  and issue intro give the Spanish tree, feeds and edition their content),
- the project with its site plugin only (to show what the digest and email cost),
- bare:    Pelican's defaults (default theme, no plugins), only PATH and
           OUTPUT set, over the same posts and statements,

each three times in a fresh `pelican` process, and prints the best wall and
CPU time of each and the ratios. Target: project <= 1.3 x bare.

    .venv/bin/python bench/bench_site.py [--posts 1000] [--runs 3] [--profile]

`--profile` also writes a cProfile of one in-process project build to
/tmp/bench_site.prof (view with `python -m pstats /tmp/bench_site.prof`).
"""

from __future__ import annotations

import argparse
import datetime
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

from chapter.people import load_people  # noqa: E402

WORDS = (
    "tenants rent wage county clinic meeting budget shift union neighbours landlord "
    "hearing testimony volunteers line training library transit fare school nurses "
    "ballot petition committee minutes agenda council budget housing repairs heat "
    "water lease deposit eviction court organizing door knocking flyer rally march"
).split()
TARGET = 1.3


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
    loaded machine it varies far less than wall time.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
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
        project_cmd = [python, "-m", "pelican", str(content), "-s", str(conf)]
        bare_cmd = [python, "-m", "pelican", str(bare)]  # cwd has no pelicanconf.py: defaults

        builds = {
            "chapter site (project settings, theme, plugins, en + es)": project_cmd,
            # The theme needs the site plugin (its filters, BRAND); the digest and email are optional.
            "  the same with the site plugin only": project_cmd + ["-e", 'PLUGINS=["i18n","chapter"]'],
            "bare Pelican (defaults, default theme)": bare_cmd,
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in builds}
        for _ in range(args.runs):
            # Interleaved, so a busy moment of the machine hits each alike.
            for name, command in builds.items():
                times[name].append(timed_build(command, work, work / "out"))

        best = {name: (min(w for w, _ in runs), min(c for _, c in runs)) for name, runs in times.items()}
        project, plain, bare_best = best.values()
        print(f"Site build, {total} articles ({args.posts} generated), best of {args.runs} runs:")
        print(f"  {'':<50} {'wall':>8} {'CPU':>8}")
        for name, (wall, cpu) in best.items():
            print(f"  {name:<50} {wall:7.2f}s {cpu:7.2f}s")
        wall_ratio, cpu_ratio = project[0] / bare_best[0], project[1] / bare_best[1]
        verdict = "ok" if max(wall_ratio, cpu_ratio) <= TARGET else "OVER"
        print(f"  ratio to bare Pelican: {wall_ratio:.2f} x wall, {cpu_ratio:.2f} x CPU (target <= {TARGET} x): {verdict}")
        print(f"  the digest and email plugins' share: {(project[1] - plain[1]) / bare_best[1]:+.2f} x bare (CPU)")
        if args.profile:
            profile_build(conf, work / "out-profile", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
