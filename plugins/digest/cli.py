"""Command-line entry points of the digest (wrapped by tasks.py).

Each function takes (root, conf, **options), prints for humans and returns
an exit code: 0 all well, 1 some sources failed (the rest stored), 2 bad
usage or an unreadable sources file / archive.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import DigestError

DEFAULT_SOURCES = "content/digest/sources.opml"
DEFAULT_ARCHIVE = "cache/digest.sqlite"


def _settings(conf: Path) -> dict:
    import logging

    from pelican.settings import read_settings

    # Pelican warns about build-only matters (SITEURL for feeds) while
    # reading; they are noise for fetch and sources.
    logger = logging.getLogger("pelican.settings")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return read_settings(str(conf))
    finally:
        logger.setLevel(level)


def _archive_settings(conf: Path) -> dict:
    """The settings file's upper-case names, loaded the way Pelican loads it,
    without Pelican's defaults: `fetch` and `sources` read only DIGEST_*,
    SITENAME, SITEURL and TIMEZONE, and importing Pelican (its readers,
    docutils) would be a third of their start-up."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(conf.stem, conf)
    if spec is None or spec.loader is None:
        raise OSError(f"{conf} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {name: value for name, value in vars(module).items() if name.isupper()}


def _path(root: Path, option, settings: dict, name: str, default: str) -> Path:
    value = Path(option or settings.get(name) or default)
    return value if value.is_absolute() else Path(root) / value


def _console() -> Console:
    # Logs (CI, cron) get wide lines rather than a table squeezed into 80 columns.
    width = None if sys.stdout.isatty() else 160
    return Console(highlight=False, markup=False, soft_wrap=False, width=width)


def _when(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "—"


def _site_tz(settings: dict):
    try:
        return ZoneInfo(settings.get("TIMEZONE") or "UTC")
    except Exception:  # noqa: BLE001 - a bad TIMEZONE is the site build's to report
        return timezone.utc


class _BadUsage(Exception):
    """Already printed for the editor; the command exits 2."""


def _load_sources(root: Path, conf: Path, sources, archive, console: Console):
    """Settings, the sources file and the archive path, shared by fetch and sources.

    Raises _BadUsage (after printing why) when the settings or the sources
    file cannot be read.
    """
    from .sources import load_sources

    try:
        settings = _archive_settings(conf)
    except Exception as error:  # noqa: BLE001 - any broken settings file is bad usage
        console.print(f"{conf}: cannot read the settings ({error})")
        raise _BadUsage from None
    sources_path = _path(root, sources, settings, "DIGEST_SOURCES", DEFAULT_SOURCES)
    archive_path = _path(root, archive, settings, "DIGEST_ARCHIVE", DEFAULT_ARCHIVE)
    try:
        source_list = load_sources(sources_path)
    except DigestError as error:
        console.print(f"error: {error}")
        raise _BadUsage from None
    return settings, sources_path, archive_path, source_list


# --- invoke fetch ----------------------------------------------------------------


def fetch(root: Path, conf: Path, sources=None, archive=None, quiet: bool = False, **_options) -> int:
    """Fetch every source into the archive; print progress and a summary."""
    from .archive import Archive
    from .fetch import fetch_all

    console = _console()
    try:
        settings, sources_path, archive_path, source_list = _load_sources(root, conf, sources, archive, console)
    except _BadUsage:
        return 2
    if not source_list:
        console.print(f"{sources_path}: lists no sources yet; add <outline xmlUrl=…> lines (see docs/editors.md, section “The sources file”)")
        return 0
    from .settings import DigestSettings

    try:
        fetch_settings = DigestSettings.from_pelican(settings).fetch_settings(settings)
    except DigestError as error:  # a bad setting, named
        console.print(f"error: {error} (in {conf})")
        return 2
    tz = _site_tz(settings)
    try:
        store = Archive(archive_path)
    except DigestError as error:
        console.print(f"error: {error}")
        return 2
    with store:
        use_bar = console.is_terminal and not quiet
        if use_bar:
            progress = Progress(
                TextColumn("Fetching"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=True,
            )
            with progress:
                task = progress.add_task("", total=len(source_list))

                def on_result(result):
                    progress.update(task, advance=1, description=result.source.title)

                results = fetch_all(source_list, store, fetch_settings, progress=on_result)
        else:
            done = [0]

            def on_result(result):
                done[0] += 1
                line = f"[{done[0]}/{len(source_list)}] {result.source.title}: {_outcome_text(result)}"
                print(line, flush=True)

            results = fetch_all(source_list, store, fetch_settings, progress=on_result)

    table = Table(title=f"Fetched {len(results)} sources into {archive_path}")
    table.add_column("Source")
    table.add_column("Status")
    table.add_column("New", justify="right")
    table.add_column("Updated", justify="right")
    table.add_column("Time", justify="right")
    for result in results:
        style = None if result.ok else "red"
        table.add_row(
            result.source.title,
            _outcome_text(result, tz),
            str(result.new),
            str(result.updated),
            f"{result.elapsed:.2f} s",
            style=style,
        )
    console.print(table)
    for result in results:
        if result.permanent_redirect:
            console.print(
                f"Moved for good: {result.source.title} is now at {result.permanent_redirect}; "
                f"update its xmlUrl in {sources_path}"
            )
    failed = [r for r in results if not r.ok]
    fetched = sum(1 for r in results if r.outcome == "fetched")
    unchanged = sum(1 for r in results if r.outcome == "unchanged")
    console.print(
        f"{fetched} fetched, {unchanged} unchanged, {len(failed)} failed; "
        f"{sum(r.new for r in results)} new and {sum(r.updated for r in results)} updated entries."
    )
    if failed:
        console.print("Failed sources keep everything already archived; see `invoke sources` for their history.")
        return 1
    return 0


def _outcome_text(result, tz=timezone.utc) -> str:
    if result.outcome == "fetched":
        text = f"{result.status} fetched"
        if result.warning:
            text += f" (warning: {result.warning})"
        return text
    if result.outcome == "unchanged":
        return "304 unchanged"
    if result.outcome == "waiting":
        return f"skipped: the server asked us to wait until {_when(result.retry_after, tz)}"
    prefix = f"{result.status} " if result.status and str(result.status) not in (result.error or "") else ""
    return f"{prefix}failed: {result.error}"


# --- invoke sources ----------------------------------------------------------------


def sources(root: Path, conf: Path, sources=None, archive=None, **_options) -> int:
    """Print each source's health."""
    return _health(root, conf, sources, archive)


def _health(root: Path, conf: Path, sources, archive) -> int:
    from .archive import Archive

    console = _console()
    try:
        settings, sources_path, archive_path, source_list = _load_sources(root, conf, sources, archive, console)
        store = Archive(archive_path)
    except _BadUsage:
        return 2
    except DigestError as error:
        console.print(f"error: {error}")
        return 2
    from .settings import DigestSettings

    try:
        dead_after = DigestSettings.from_pelican(settings).dead_after_days
    except DigestError as error:  # a bad setting, named
        console.print(f"error: {error} (in {conf})")
        return 2
    tz = _site_tz(settings)
    try:
        with store:
            health = store.sources_health(source_list, dead_after_days=dead_after)
            listed = {s.feed_url for s in source_list}
            retired = [h for h in store.sources_health(dead_after_days=dead_after) if h.source.feed_url not in listed]
    except DigestError as error:  # a damaged archive: the message says what to do
        console.print(f"error: {error}")
        return 2
    table = Table(title=f"{len(source_list)} sources in {sources_path} (times in {tz})")
    for column in ("Source", "Last attempt", "Last success", "Status or error", "Failures", "Entries", "Newest entry"):
        table.add_column(column, justify="right" if column in ("Failures", "Entries") else "left")
    for item in health:
        if item.last_attempt is None:
            status = "never fetched"
        elif item.last_error:
            mentioned = item.last_status and str(item.last_status) in item.last_error
            status = (f"{item.last_status} " if item.last_status and not mentioned else "") + item.last_error
        else:
            status = f"{item.last_status} ok" + (f" (warning: {item.last_warning})" if item.last_warning else "")
        name = item.source.title + (" [DEAD]" if item.dead else "")
        table.add_row(
            name,
            _when(item.last_attempt, tz),
            _when(item.last_success, tz),
            status,
            str(item.consecutive_failures),
            str(item.entries_stored),
            _when(item.newest_entry, tz),
            style="red" if item.dead else None,
        )
    console.print(table)
    for item in health:
        if item.dead:
            why = "answered 410 Gone" if item.gone else f"has failed since {_when(item.failing_since, tz)}"
            console.print(
                f"DEAD: {item.source.title} ({item.source.feed_url}) {why}. Its archived entries are kept; "
                f"remove it from {sources_path} or replace its xmlUrl."
            )
        if item.permanent_redirect:
            console.print(
                f"MOVED: {item.source.title} now lives at {item.permanent_redirect}; "
                f"update its xmlUrl in {sources_path}."
            )
        if item.retry_after and item.retry_after > datetime.now(timezone.utc):
            console.print(f"WAITING: {item.source.title} asked us not to fetch before {_when(item.retry_after, tz)}.")
    for item in retired:
        console.print(
            f"Not in {sources_path.name} any more: {item.source.title} ({item.entries_stored} entries kept in the archive)."
        )
    return 0


# --- invoke sources import FILE --------------------------------------------------------


def import_sources(root: Path, conf: Path, file, sources=None, archive=None, **_options) -> int:
    """Add the sources listed in an OPML file or planet.ini to the sources file."""
    from .sources import add_sources, read_import_file

    console = _console()
    if not file:
        console.print("usage: invoke sources import FILE (an OPML file or a planet.ini)")
        return 2
    try:
        settings = _archive_settings(conf)
    except Exception as error:  # noqa: BLE001
        console.print(f"{conf}: cannot read the settings ({error})")
        return 2
    sources_path = _path(root, sources, settings, "DIGEST_SOURCES", DEFAULT_SOURCES)
    file_path = Path(file)
    if not file_path.is_absolute() and not file_path.exists():
        file_path = Path(root) / file_path
    try:
        incoming = read_import_file(file_path)
        added, skipped = add_sources(sources_path, incoming)
    except DigestError as error:
        console.print(f"error: {error}")
        return 2
    console.print(f"Read {len(incoming)} sources from {file_path}.")
    for source in added:
        console.print(f"  added: {source.title} ({source.feed_url})")
    if skipped:
        console.print(f"  {len(skipped)} already in {sources_path}, left as they are.")
    if not added:
        console.print(f"Nothing to add; {sources_path} is unchanged.")
    else:
        console.print(f"Added {len(added)} to {sources_path}.")
    return _health(root, conf, sources_path, archive)


# --- invoke digest ---------------------------------------------------------------


def month_settings(conf: Path, month: str) -> dict | None:
    """The settings for a command about one month (`invoke digest`, `invoke print`);
    None, after saying why, for a malformed month or an unreadable settings file."""
    from .compose import check_month

    problem = check_month(month)
    if problem:
        print(f"error: {problem}")
        return None
    try:
        return _settings(conf)
    except Exception as error:  # noqa: BLE001 - any broken settings file is bad usage
        print(f"{conf}: cannot read the settings ({error})")
        return None


def digest(root: Path, conf: Path, *, month: str, archive=None, sources=None, force: bool = False, **_options) -> int:
    """Compose the month's issue into content/digests/YYYY-MM.md (see docs/editors.md, section “The monthly digest”)."""
    from .compose import run_compose

    settings = month_settings(conf, month)
    if settings is None:
        return 2
    return run_compose(
        Path(root),
        settings,
        month=month,
        archive_path=_path(root, archive, settings, "DIGEST_ARCHIVE", DEFAULT_ARCHIVE),
        sources_path=_path(root, sources, settings, "DIGEST_SOURCES", DEFAULT_SOURCES),
        force=bool(force),
    )


if __name__ == "__main__":  # pragma: no cover - `python -m digest.cli` is not an entry point
    sys.exit("use `invoke fetch`, `invoke sources` or `invoke sources import FILE`")

