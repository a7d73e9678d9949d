"""What does the print edition cost a build, and is an unchanged issue left alone?

    .venv/bin/python bench/bench_print.py [--items 40] [--runs 3]

In a temporary project (tests/test_digest_support.Site: the project's
settings, theme and plugins; nothing of content/ or output/ is touched)
with one generated issue of `--items` items (cover story with a picture,
four chapters' sections, 60-word excerpts, some with a link inside) and an
intro, measures, best and median of `--runs` runs:

(a) the HTML build without "digest_print" (chapter, digest, digest_email):
    the issue page, the email and the rest of the site;
(b) the PDF alone: digest_print.build.make_edition with an empty cache each
    run, in this process after one untimed render (WeasyPrint imported, fonts
    checked), and its two halves: view + HTML (prepare, render_html) and
    WeasyPrint (render_pdf);
(c) the full build with "digest_print", with an empty cache (it renders) and
    then again with the issue unchanged (the cache answers). The warm build
    should be within noise of (a), and must not render: PrintEdition.rendered
    is False and the cached PDF is still the same file. A re-render exits 1;
(d) `invoke print --month` (digest_print.cli.print_issue) in a new process,
    with an empty cache (start-up and the WeasyPrint import included), then
    with a warm one.

Builds (a) and (c) run in a new process each ((a) and the unchanged builds
interleaved, so a busy moment of the machine hits each alike); their figure
is Pelican.run()'s own time. Prints each figure's best and median wall time
and median CPU time (user + system: it varies far less than wall time on a
shared machine), their ratios to (a), digest_print's own share of the
unchanged build, and the PDF time against the target of issue #11: a
40-item issue renders in <= 5 s. Nothing goes on the network. Takes about a
minute and a half on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))
sys.path.insert(0, str(REPO))

TARGET = 5.0  # seconds for a 40-item issue's PDF (issue #11)
MONTH = "2025-03"
ISSUE_DATE = "2025-04-01 09:00"
PUBLIC_URL = "https://millbrook.example.org"
HTML_PLUGINS = ["i18n", "chapter", "digest", "digest_email"]
COVER_PICTURE = REPO / "content" / "digests" / "images" / "2026-10" / (
    "0b1eed55b5d09da3853bf71861f7b8405e84851ccca1cc4c7659b69638c90049.png")

CHAPTERS = ["Ashford", "Cedar Falls", "Port Wilder", "Riverbend"]
PEOPLE = ["Odile Marchetti", "Kwame Asante-Ruiz", "Signe Palmquist", "Bilal Haddad", "Ines Carvalho",
          "Ruth Okonkwo", "Lorcan Doyle", "Mei-Lin Trask", "Augustin Bele", "Farida Nasser"]
SUBJECTS = ["tenants at Birchwood Court", "the night-shift nurses", "school bus drivers", "warehouse pickers",
            "library pages", "the food bank volunteers", "bus riders on Route 12", "the cafeteria workers",
            "mobile home residents", "the county's home carers"]
WINS = ["win back their deposits", "force a repair schedule", "get a second union steward", "stop a fare rise",
        "keep the branch open on Sundays", "get heat restored before the frost", "win paid breaks",
        "get the council to hold an evening hearing"]
THINGS = ["a rent freeze", "the transit budget", "the clinic's grant", "the new lease", "the zoning vote",
          "the shift rota", "the water bill rise", "the school boundary plan"]
TITLES = [
    "How {subject} {win}",
    "{Subject} {win} after a month of pressure",
    "What we learned organising {subject}",
    "Our testimony on {thing}",
    "Five questions about {thing}, answered",
    "{Subject} ask the county to rethink {thing}",
    "A door-knocking weekend on {thing}",
    "Notes from the hearing on {thing}",
]
SENTENCES = [
    "Members met on Tuesday in the union hall and agreed to keep up the pressure until every repair is logged.",
    "The committee will print a short flyer and knock on doors in both buildings this weekend.",
    "Neighbours who cannot come in person can sign the petition with their building captain.",
    "Childcare and a hot meal are provided, and anyone who needs a ride should ask at the front desk.",
    "We have counted three hundred households so far; the goal for the month is five hundred.",
    "The vote is close, and the county heard from nurses, drivers, parents and retirees.",
    "Next week we train new volunteers to run the phone bank and take the minutes.",
    "The landlord's lawyer asked for a delay, and the judge gave him two weeks and no more.",
    "Dues stay at five dollars a month, and nobody is turned away for being unable to pay.",
    "Bring a folding chair, a thermos and a friend who has never been to a meeting.",
]


def excerpt(rng: random.Random, host: str, n: int, with_link: bool) -> str:
    """About 60 words of generated sentences; with a Markdown link inside when `with_link`."""
    chosen = rng.sample(SENTENCES, len(SENTENCES))
    if with_link:
        chosen.insert(1, f"The [full minutes](https://{host}/minutes/{MONTH}/item-{n}/) are online.")
    words: list[str] = []
    for sentence in chosen:
        if len(words) >= 56:
            break
        words += sentence.split()
    return " ".join(words)


def issue_text(items: int) -> str:
    """An issue file of `items` items: a cover story with a picture, then four chapters' sections."""
    rng = random.Random(20250301)
    year, month = map(int, MONTH.split("-"))
    lines = [
        "Title: The Millbrook Lantern | March 2025 (Issue 1)",
        f"Date: {ISSUE_DATE}",
        "Issue: 1",
        f"Month: {MONTH}",
        "Status: published",
        "",
        "March was a month of hearings: the county budget, the transit fares and the Birchwood Court repairs "
        "all came before someone with a vote, and our neighbours' chapters were in the room for each of them.",
        "",
        f"This issue is a long one, {items} items from four chapters. As always, read them at the source, and "
        "write to the editors with what we missed.",
        "",
    ]

    titles: set[str] = set()

    def item(n: int, chapter_index: int, picture: str | None) -> list[str]:
        chapter = CHAPTERS[chapter_index]
        host = f"chapter{chapter_index + 1}.example.net"
        title = None
        while title is None or title in titles:  # forty different headlines, as an editor would choose
            subject = rng.choice(SUBJECTS)
            title = rng.choice(TITLES).format(subject=subject, Subject=subject[0].upper() + subject[1:],
                                              win=rng.choice(WINS), thing=rng.choice(THINGS))
        titles.add(title)
        slug = f"item-{n}"
        link = f"https://{host}/{year}/{month:02d}/{slug}/"
        out = ["", f"### {title}", f"Id: https://{host}/feed.xml#{link}", f"Link: {link}",
               f"Source: {chapter} Chapter", f"Source-URL: https://{host}/"]
        if n % 5:
            out.append(f"Author: {PEOPLE[n % len(PEOPLE)]}")
        out.append(f"Date: {MONTH}-{1 + (n * 7) % 28:02d}")
        if n % 9 == 4:
            out.append("Also-in: Riverlands League National Aggregator")
        if picture:
            out += [f"Image: {picture}", "Image-alt: Members at a folding table with clipboards and a banner"]
        if n % 11 == 6:
            out.append("Note: The editors recommend this one to every building committee.")
        out += ["", excerpt(rng, host, n, with_link=n % 4 == 1)]
        return out

    picture = f"digests/images/{MONTH}/{COVER_PICTURE.name}"
    lines += ["## Cover story"] + item(0, 0, picture)
    rest = items - 1
    for index, chapter in enumerate(CHAPTERS):
        count = rest // len(CHAPTERS) + (index < rest % len(CHAPTERS))
        first = 1 + sum(rest // len(CHAPTERS) + (i < rest % len(CHAPTERS)) for i in range(index))
        lines += ["", f"## {chapter} Chapter"]
        for n in range(first, first + count):
            lines += item(n, index, None)
    return "\n".join(lines) + "\n"


def make_site(work: Path, items: int):
    from tests.test_digest_support import Site

    site = Site(work, DIGEST_EMAIL_SITEURL=PUBLIC_URL)
    shutil.copy(REPO / "content" / "pages" / "join.md", site.content / "pages" / "join.md")  # the back page's
    pictures = site.content / "digests" / "images" / MONTH
    pictures.mkdir(parents=True)
    shutil.copy(COVER_PICTURE, pictures / COVER_PICTURE.name)
    site.issue_path(MONTH).write_text(issue_text(items), encoding="utf-8")
    return site


# --- the child processes -------------------------------------------------------------


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children: on a shared,
    loaded machine it varies far less than wall time."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_build(conf: str, overrides: str) -> None:
    """One Pelican build in this (new) process; prints its times and print editions as JSON."""
    from pelican import Pelican, signals
    from pelican.settings import read_settings

    settings = read_settings(conf, override=json.loads(overrides))
    editions, plugin = {}, [0.0, 0.0]  # the print plugin's wall and CPU seconds

    def grab(generators):
        editions.update(generators[0].context.get("print_editions") or {})

    def timed(method):
        def wrapper(self, *args, **kwargs):
            began, cpu = time.perf_counter(), cpu_seconds()
            try:
                return method(self, *args, **kwargs)
            finally:
                plugin[0] += time.perf_counter() - began
                plugin[1] += cpu_seconds() - cpu
        return wrapper

    if "digest_print" in settings["PLUGINS"]:
        # The print plugin's own share of the build: its generator's two stages.
        import digest_print

        for name in ("generate_context", "generate_output"):
            setattr(digest_print.PrintGenerator, name, timed(getattr(digest_print.PrintGenerator, name)))
    signals.all_generators_finalized.connect(grab)
    began, cpu = time.perf_counter(), cpu_seconds()
    Pelican(settings).run()
    took, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    print(json.dumps({"seconds": took, "cpu": cpu, "plugin": plugin, "editions": {
        month: {"rendered": e.rendered, "cache_path": str(e.cache_path), "size": e.size}
        for month, e in editions.items()}}))


def run_build(work: Path, site, plugins: list[str] | None) -> dict:
    """A build in a new process: its Pelican.run() wall and CPU seconds, the print
    plugin's seconds, the whole process's wall and CPU seconds, its print editions."""
    shutil.rmtree(site.output, ignore_errors=True)
    overrides = {"PLUGINS": plugins} if plugins else {}
    began, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run([sys.executable, __file__, "--child-build", str(site.conf), json.dumps(overrides)],
                          cwd=work, capture_output=True, text=True, env=dict(os.environ, COLUMNS="200"))
    wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stdout}\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(report, process=(wall, cpu))


def run_print(work: Path, conf: Path) -> tuple[tuple[float, float], str]:
    """((wall, CPU) seconds, what it said) of print_issue in a new process: what `invoke print --month` runs."""
    code = ("import sys; from pathlib import Path; from digest_print.cli import print_issue; "
            f"sys.exit(print_issue(Path({str(work)!r}), Path({str(conf)!r}), month={MONTH!r}))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "plugins"), str(REPO)]))
    began, cpu = time.perf_counter(), cpu_seconds()
    done = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - began, cpu_seconds() - cpu
    if done.returncode != 0:
        sys.exit(f"print_issue failed:\n{done.stdout}\n{done.stderr}")
    return (wall, cpu), done.stdout.strip().splitlines()[-1]


def cache_files(folder: Path) -> dict[str, int]:
    """{name: inode} of the cached PDFs. A cache hit only touches a file's mtime
    (least recently used goes first), so mtime cannot tell; a render writes a
    new file and renames it over, so the inode would change."""
    return {p.name: p.stat().st_ino for p in folder.glob("*.pdf")} if folder.is_dir() else {}


# --- (b): the PDF alone, in this process ------------------------------------------------


def time_pdf(site, runs: int, work: Path) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds of make_edition with an empty cache, and of its two halves."""
    from digest.issue import read_issue
    from digest.settings import DigestSettings
    from digest_print.build import make_edition, print_context
    from digest_print.pdf import render_pdf
    from digest_print.qr import qr_svg
    from digest_print.render import render_html
    from digest_print.settings import PrintSettings
    from digest_print.view import prepare

    settings = site.settings()
    conf = DigestSettings.from_pelican(settings)
    prints = PrintSettings.from_pelican(settings)
    issue = read_issue(site.issue_path(MONTH), conf, now=datetime.now(conf.timezone))
    context = print_context(settings, conf, prints)
    output = work / "output-pdf"
    output.mkdir()

    def edition(name: str) -> tuple[float, float]:
        qr_svg.cache_clear()  # each run makes its QR codes, as a new build would
        fresh = dataclasses.replace(prints, cache_dir=work / "cache-pdf" / name)
        began, cpu = time.perf_counter(), cpu_seconds()
        made = make_edition(issue, context, fresh, output)
        took = (time.perf_counter() - began, cpu_seconds() - cpu)
        if not made.rendered:
            sys.exit("make_edition took the PDF from an empty cache: the benchmark measured nothing")
        return took

    times = {"first": [edition("first")], "edition": [], "html": [], "weasyprint": []}
    for run in range(runs):
        times["edition"].append(edition(f"run-{run}"))
        qr_svg.cache_clear()
        began, cpu = time.perf_counter(), cpu_seconds()
        html = render_html(prepare(issue, context))
        middle, middle_cpu = time.perf_counter(), cpu_seconds()
        render_pdf(html, base=context.content_dir, roots=(context.content_dir, output))
        times["html"].append((middle - began, middle_cpu - cpu))
        times["weasyprint"].append((time.perf_counter() - middle, cpu_seconds() - middle_cpu))
    return times


def spread(values: list[float]) -> float:
    return max(values) - min(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.items < 5 or args.runs < 1:
        parser.error("--items must be at least 5 and --runs at least 1")
    print(f"(machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start)")

    with tempfile.TemporaryDirectory(prefix="bench-print-") as tmp:
        work = Path(tmp)
        site = make_site(work, args.items)
        cache = work / "cache" / "print"  # DIGEST_PRINT_CACHE's default, under the throwaway ROOT

        html_build, cold_build, warm_build = [], [], []
        rerendered = []  # (which run, why) of every run that rendered an unchanged issue
        for run in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            cold = run_build(work, site, None)
            if not cold["editions"].get(MONTH, {}).get("rendered"):
                sys.exit(f"the build with digest_print made no print edition of {MONTH} from an empty cache; "
                         "the benchmark measured nothing")
            cold_build.append(cold)
        # The last cold build left the issue's PDF in the cache; nothing changes from here on.
        # (a) and the unchanged builds interleaved, so a busy moment of the machine
        # hits each alike (and neither follows a WeasyPrint render, which slows the
        # next process on a shared machine).
        for run in range(args.runs):
            html_build.append(run_build(work, site, HTML_PLUGINS))
            before = cache_files(cache)
            warm = run_build(work, site, None)
            warm_build.append(warm)
            after = cache_files(cache)
            if warm["editions"].get(MONTH, {}).get("rendered", True):
                rerendered.append((f"build {run + 1}", "PrintEdition.rendered is True"))
            elif before != after:
                rerendered.append((f"build {run + 1}", f"the cache changed: {before} -> {after}"))

        # (d) the command right after a build: it should take the build's PDF.
        _, said = run_print(work, site.conf)
        if "unchanged" not in said:
            rerendered.append(("invoke print after a build", said))
        cli_cold, cli_warm = [], []
        for run in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            took, said = run_print(work, site.conf)
            if "rendered" not in said or "unchanged" in said:
                sys.exit(f"invoke print with an empty cache did not render: {said}")
            cli_cold.append(took)
            took, said = run_print(work, site.conf)
            cli_warm.append(took)
            if "unchanged" not in said:
                rerendered.append((f"invoke print {run + 1}", said))

        pdf = time_pdf(site, args.runs, work)

    def pelican(builds):
        return [(b["seconds"], b["cpu"]) for b in builds]

    base_wall = statistics.median(b["seconds"] for b in html_build)
    base_cpu = statistics.median(b["cpu"] for b in html_build)

    def row(label: str, values: list[tuple[float, float]]) -> None:
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(f"  {label:<60} {min(walls):6.2f} s {wall:6.2f} s {cpu:6.2f} s "
              f"{wall / base_wall:6.2f} x {cpu / base_cpu:6.2f} x")

    print(f"\nPrint edition of one {args.items}-item issue ({MONTH}: cover story with a picture, "
          f"{len(CHAPTERS)} chapters' sections); runs: {args.runs}; ratios of medians to (a):")
    print(f"  {'':<60} {'best':>8} {'median':>8} {'CPU':>8} {'x (a)':>8} {'CPU x (a)':>9}")
    row("(a) HTML build, no digest_print (Pelican.run)", pelican(html_build))
    row("(b) PDF alone: make_edition, empty cache", pdf["edition"])
    row("      view + HTML (prepare, render_html)", pdf["html"])
    row("      WeasyPrint (render_pdf)", pdf["weasyprint"])
    row("    the first in a process (WeasyPrint import, font check)", pdf["first"])
    row("(c) full build with digest_print, empty cache (renders)", pelican(cold_build))
    row("    full build with digest_print, unchanged issue (cache)", pelican(warm_build))
    row("      its digest_print generator alone", [tuple(b["plugin"]) for b in warm_build])
    row("(d) invoke print --month, new process, empty cache", cli_cold)
    row("    invoke print --month, new process, warm cache", cli_warm)
    row("whole process of (a): start-up, imports, build", [b["process"] for b in html_build])
    row("whole process of (c), unchanged issue", [b["process"] for b in warm_build])

    warm_cpu = [b["cpu"] for b in warm_build]
    difference = statistics.median(warm_cpu) - base_cpu
    noise = max(spread([b["cpu"] for b in html_build]), spread(warm_cpu))
    wall_difference = statistics.median(b["seconds"] for b in warm_build) - base_wall
    plugin = statistics.median(b["plugin"][1] for b in warm_build)
    print(f"  unchanged full build - HTML build: {difference:+.2f} s CPU, {wall_difference:+.2f} s wall (medians); "
          f"run-to-run CPU spread {noise:.2f} s: {'within noise' if abs(difference) <= noise else 'ABOVE noise'}")
    print(f"  digest_print's own share of the unchanged build: {plugin:.2f} s CPU ({plugin / base_cpu:.0%} of (a))")
    print(f"  re-rendered: {'YES' if rerendered else 'no'} (the unchanged issue in {args.runs} builds and "
          f"{args.runs + 1} invoke print runs, by PrintEdition.rendered and the cached PDF's inode)")
    for which, why in rerendered:
        print(f"    {which}: {why}")
    took = statistics.median(w for w, _ in pdf["edition"])
    print(f"  {args.items}-item PDF: {took:.2f} s (target <= {TARGET:.0f} s): {'OK' if took <= TARGET else 'OVER'}")
    # A slow PDF is a measurement; a re-render of an unchanged issue is a bug.
    return 1 if rerendered else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child-build":
        child_build(sys.argv[2], sys.argv[3])
    else:
        sys.exit(main())
