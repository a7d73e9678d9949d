"""Every command of the project, as invoke tasks: `.venv/bin/invoke --list`.

Writers' and editors' commands are listed first; development tasks are listed
apart, under `dev.` (`invoke test` and the other old names still work).

The Makefile only wraps these. Each task is a thin shell around a plugin's
`cli` module, so the logic lives (and is tested) in `plugins/`.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from invoke import Collection, Exit, task

ROOT = Path(__file__).resolve().parent
# Pelican loads plugins from plugins/ as top-level packages; import them the
# same way here so there is one copy of each module (and of each exception).
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
DEV_CONF = ROOT / "pelicanconf.py"
PUBLISH_CONF = ROOT / "publishconf.py"


def _pelican(c, settings: Path, extra: str = "") -> None:
    # Builds into a fresh folder and swaps it in only if the build succeeded,
    # so a failed build or publish leaves the last good output/ whole.
    import shlex

    from chapter import publish

    code = publish.build_site(ROOT, settings, extra=shlex.split(extra))
    if code:
        raise Exit(code=code)


# --- Site (writers) -----------------------------------------------------------


@task
def check(c):
    """Validate every content file; print file:line: problem, how to fix it."""
    from chapter import cli as chapter_cli

    raise Exit(code=chapter_cli.check(ROOT, DEV_CONF))


@task
def build(c):
    """Build the site into output/ (fails, naming the file, on invalid content)."""
    _pelican(c, DEV_CONF)


@task
def serve(c, port=8000, bind="127.0.0.1"):
    """Preview the site on http://127.0.0.1:8000/ and rebuild on every save."""
    # Not `pelican --autoreload` (it misses saves made during a build and
    # rewrites every page each time): plugins/preview/.
    from preview import cli as preview_cli

    raise Exit(code=preview_cli.serve(ROOT, DEV_CONF, port=int(port), bind=bind))


@task
def publish(c):
    """Build the production site (publishconf.py) into output/."""
    _pelican(c, PUBLISH_CONF)


@task(help={"kind": "post or statement", "title": "the title, in quotes"})
def new(c, kind="post", title=""):
    """Create a new post or statement with the right metadata; print its path."""
    from chapter import cli as chapter_cli

    raise Exit(code=chapter_cli.new(ROOT, kind=kind, title=title))


@task(help={"add": "start the catalogue of a new language (its code, e.g. fr)"})
def translations(c, add=""):
    """Update the interface's translations; list what is left to translate."""
    from i18n import cli as i18n_cli
    from pelican.settings import read_settings

    raise Exit(code=i18n_cli.translations(ROOT, read_settings(str(DEV_CONF)), add=add))


@task
def clean(c):
    """Remove the built site (output/)."""
    shutil.rmtree(ROOT / "output", ignore_errors=True)


# --- Feed archive and digest (editors) ---------------------------------------


@task(
    help={
        "sources": "OPML file of sources (default: DIGEST_SOURCES)",
        "archive": "SQLite archive (default: DIGEST_ARCHIVE)",
        "quiet": "plain log lines only, no progress bar",
    }
)
def fetch(c, sources=None, archive=None, quiet=False):
    """Fetch every source's feed into the archive; exit 1 if some failed."""
    from digest import cli as digest_cli

    raise Exit(code=digest_cli.fetch(ROOT, DEV_CONF, sources=sources, archive=archive, quiet=quiet))


@task(help={"sources": "OPML file of sources", "archive": "SQLite archive"})
def sources(c, sources=None, archive=None):
    """Print each source's health. `invoke sources import FILE` adds sources."""
    # `invoke sources import FILE` runs this task and then `import`; the
    # import prints the health table itself once the sources are added.
    if "import" in sys.argv[sys.argv.index("sources") + 1 :]:
        return
    from digest import cli as digest_cli

    raise Exit(code=digest_cli.sources(ROOT, DEV_CONF, sources=sources, archive=archive))


@task(
    name="import",
    positional=["file"],
    help={"file": "an OPML file or a planet.ini", "sources": "OPML file to add to"},
)
def import_sources(c, file, sources=None, archive=None):
    """Add the sources listed in FILE (OPML or planet.ini) to the sources file."""
    from digest import cli as digest_cli

    raise Exit(code=digest_cli.import_sources(ROOT, DEV_CONF, file, sources=sources, archive=archive))


@task(
    help={
        "month": "YYYY-MM, in the site's TIMEZONE",
        "archive": "SQLite archive (default: DIGEST_ARCHIVE)",
        "sources": "OPML file of sources (default: DIGEST_SOURCES)",
        "force": "rewrite the issue file, keeping intro, number and notes",
    }
)
def digest(c, month, archive=None, sources=None, force=False):
    """Compose the digest issue for a month into content/digests/YYYY-MM.md."""
    from digest import cli as digest_cli

    raise Exit(
        code=digest_cli.digest(ROOT, DEV_CONF, month=month, archive=archive, sources=sources, force=force)
    )


@task(
    name="print",
    help={"month": "YYYY-MM of the issue", "paper": "letter or a4 (default: DIGEST_PRINT_PAPER)"},
)
def print_edition(c, month, paper=None):
    """Make one issue's print edition, output/digest/YYYY-MM/issue.pdf, without building the site."""
    from digest_print import cli as print_cli

    raise Exit(code=print_cli.print_issue(ROOT, DEV_CONF, month=month, paper=paper))


@task(name="sample-digests")
def sample_digests(c):
    """Recompose the sample site's digest issues from the fixture feeds (loopback only)."""
    with c.cd(str(ROOT)):
        c.run(f'"{PYTHON}" tools/compose_samples.py', pty=False)


@task(help={"month": "YYYY-MM of the issue", "to": "address to send the test copy to",
            "lang": "the edition's language, e.g. es (default: the site's default language)"})
def send_test(c, month, to, lang=""):
    """Send the built issue.eml of a month to one address (SMTP_* from the environment)."""
    from digest_email import cli as email_cli

    raise Exit(code=email_cli.send_test(ROOT, DEV_CONF, month=month, to=to, lang=lang or None))


# --- Development ---------------------------------------------------------------


@task
def setup_test(c):
    """Install what the tests need: pinned test packages, axe-core, the Nu HTML Checker, Chromium."""
    c.run(f'"{PYTHON}" -m pip install --quiet -r "{ROOT / "requirements-test.lock"}"')
    node_tools = (ROOT / "node_modules" / "axe-core" / "axe.min.js", ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar")
    if not all(path.exists() for path in node_tools):
        with c.cd(str(ROOT)):
            # --ignore-scripts: vnu-jar's install script would fetch a Java runtime; the machine's Java runs it.
            c.run("npm ci --silent --no-audit --no-fund --ignore-scripts")
    if not Path("/usr/bin/chromium").exists():
        if os.geteuid() == 0:
            c.run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")
        else:
            raise Exit(
                "The browser tests need Debian's Chromium at /usr/bin/chromium: "
                "run `sudo apt-get install chromium`, then `make test` again.",
                code=2,
            )
    if shutil.which("java") is None:
        raise Exit("The HTML validation test needs Java: run `sudo apt-get install default-jre-headless`.", code=2)


@task(pre=[setup_test], help={"args": "extra pytest arguments, quoted"})
def test(c, args=""):
    """Run the whole test suite (installs test dependencies first)."""
    with c.cd(str(ROOT)):
        c.run(f'"{PYTHON}" -m pytest -n 2 {args}', pty=False)


@task
def bench(c):
    """Run every benchmark in bench/ and print their figures."""
    with c.cd(str(ROOT)):
        for script in sorted((ROOT / "bench").glob("bench_*.py")):
            c.run(f'"{PYTHON}" "{script}"', pty=False)


@task(help={"out": "folder for the PNGs (default: screenshots/)"})
def screenshots(c, out=None):
    """Build the site into a temporary folder and save screenshots of each kind of page."""
    from chapter import screenshots as chapter_screenshots

    raise Exit(code=chapter_screenshots.screenshots(ROOT, DEV_CONF, out=out))


@task
def lock(c):
    """Re-pin requirements*.lock from pyproject.toml in a scratch venv."""
    with c.cd(str(ROOT)):
        c.run(f'"{PYTHON}" tools/lock.py')


# --- Command groups: what `invoke --list` shows ------------------------------------
#
# Writers' and editors' commands are top-level; development tasks are listed
# apart, as `dev.<task>`. The names already typed in the Makefile, the docs and
# CI (`invoke test`, `invoke bench`, ...) and the second half of
# `invoke sources import FILE` keep working, without being listed a second time.


class _Unlisted(Collection):
    """One task run by this collection's own name (`invoke test`), not listed.

    invoke lists a collection's `tasks` but parses and runs what `task_names`
    and `task_with_config` answer; a collection's default task answers to the
    collection's name.
    """

    def __init__(self, name: str, the_task):
        super().__init__(name)
        self.the_task = the_task
        self.default = "run"

    @property
    def task_names(self):
        return {"run": []}

    def task_with_config(self, name):
        return self.the_task, self.configuration()


WRITERS_AND_EDITORS = (build, check, clean, digest, fetch, new, print_edition, publish, send_test, serve, sources,
                       translations)
DEVELOPMENT = {"test": test, "setup-test": setup_test, "bench": bench, "lock": lock, "sample-digests": sample_digests,
               "screenshots": screenshots}

ns = Collection()
for _task in WRITERS_AND_EDITORS:
    ns.add_task(_task)
dev = Collection("dev")
for _name, _task in DEVELOPMENT.items():
    dev.add_task(_task, name=_name)
    ns.add_collection(_Unlisted(_name, _task))
ns.add_collection(dev)
ns.add_collection(_Unlisted("import", import_sources))  # `invoke sources import FILE`

