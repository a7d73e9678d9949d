"""Stage 3: Pagefind indexes the staged records; the bundle is swapped in whole.

`build_index(texts, conf, output_path)` writes the stage into a scratch
folder beside the bundle, runs the `pagefind` binary that the `pagefind-bin`
wheel installed (pinned in requirements.lock; nothing is downloaded), and
replaces `<output>/<SEARCH_BUNDLE>` with the new bundle by renaming: a reader
(or the preview) never sees half an index. Pagefind's own ready-made UIs are
deleted: the site has its own page (theme/static/js/search.js), and less
code served is less to trust.

Full builds index in the build. The preview hands its records to a
`BackgroundIndexer` instead (SEARCH_IN_BACKGROUND): one thread per preview
folder that formats and indexes the newest records after the build, at a
lower CPU priority, skipping a stage equal to the last one indexed, so a
writer's save is shown without waiting for the index.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path

from .errors import SearchError
from .records import SearchRecord
from .settings import SearchSettings
from .stage import fingerprint, stage_texts, write_stage

# Pagefind's ready-made interfaces, which this site does not use.
UNUSED = (
    "pagefind-ui.js", "pagefind-ui.css", "pagefind-component-ui.js", "pagefind-component-ui.css",
    "pagefind-modular-ui.js", "pagefind-modular-ui.css", "pagefind-highlight.js",
)  # fmt: skip
INSTALL_HINT = "run `make build` (it installs requirements.lock), or `.venv/bin/pip install -r requirements.lock`"


def pagefind_executable() -> Path:
    """The binary of the pinned pagefind-bin wheel."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise SearchError(f"search: Pagefind is not installed; {INSTALL_HINT}") from None
    return Path(get_executable())


def _environment() -> dict:
    # PAGEFIND_* variables would reconfigure the binary behind the settings' back.
    return {name: value for name, value in os.environ.items() if not name.upper().startswith("PAGEFIND_")}


def start_pagefind(stage: Path, bundle: Path, *, nice: bool = False) -> subprocess.Popen:
    """Start indexing the HTML files of `stage` into the new folder `bundle`."""
    command = [str(pagefind_executable()), "--site", str(stage), "--output-path", str(bundle), "--silent"]
    try:
        # cwd: a folder of ours, so no pagefind.yml lying in the project is read.
        process = subprocess.Popen(command, cwd=stage.parent, env=_environment(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as error:
        raise SearchError(f"search: cannot run Pagefind ({error.strerror}); {INSTALL_HINT}") from None
    if nice:
        try:
            os.setpriority(os.PRIO_PROCESS, process.pid, 10)
        except OSError:  # it may have finished already
            pass
    return process


def wait_for_pagefind(process: subprocess.Popen, remaining: float, timeout: float) -> None:
    """Wait until Pagefind is done; SearchError if it failed or is still running
    `remaining` seconds from now (past SEARCH_TIMEOUT, `timeout`, since its start)."""
    try:
        output, _ = process.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SearchError(f"search: Pagefind took longer than SEARCH_TIMEOUT ({timeout:g} s) to index the site; "
                          "raise SEARCH_TIMEOUT in pelicanconf.py, or build again when the machine is less busy") from None
    if process.returncode != 0:
        said = " ".join(output.decode("utf-8", "replace").split())[-400:]
        raise SearchError(f"search: Pagefind could not index the site (exit {process.returncode}): {said}; "
                          "build again, and if it persists report this line")


class IndexRun:
    """One index build: the stage written and Pagefind started by `start_index`,
    waited for and swapped in by `finish`. A full build starts it once the
    records are known and finishes it after writing the pages, so Pagefind
    runs on the other core meanwhile."""

    def __init__(self, texts: list[str], conf: SearchSettings, output_path: Path, *, nice: bool = False):
        self.conf = conf
        self.bundle = Path(output_path) / conf.bundle
        self.bundle.parent.mkdir(parents=True, exist_ok=True)
        self._scratch = tempfile.TemporaryDirectory(prefix=".search-", dir=self.bundle.parent)
        self.work = Path(self._scratch.name)
        self._deadline = time.monotonic() + conf.timeout
        self.process: subprocess.Popen | None = None
        try:
            if texts:
                write_stage(texts, self.work / "stage")
                self.process = start_pagefind(self.work / "stage", self.work / "bundle", nice=nice)
        except BaseException:
            self._scratch.cleanup()
            raise
        # A build that fails before `finish` drops this run: Pagefind is stopped then, or at exit.
        self._stop = weakref.finalize(self, _stop_and_remove, self.process, self._scratch)

    def finish(self) -> None:
        """Wait for Pagefind and replace `<output>/<bundle>` with the new bundle (none if nothing was indexed)."""
        try:
            if self.process is not None:
                wait_for_pagefind(self.process, max(0.0, self._deadline - time.monotonic()), self.conf.timeout)
                for name in UNUSED:
                    (self.work / "bundle" / name).unlink(missing_ok=True)
            if self.bundle.exists():
                if not _is_bundle(self.bundle):
                    raise SearchError(f"SEARCH_BUNDLE = {self.conf.bundle!r}: {self.bundle} holds the site's own files, "
                                      "which the index would replace; set SEARCH_BUNDLE in pelicanconf.py to a "
                                      'folder of its own, such as "pagefind"')
                self.bundle.rename(self.work / "old")
            if self.process is not None:
                (self.work / "bundle").rename(self.bundle)
            # Nothing to index (a new site): no bundle; the search page says so.
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Stop Pagefind if it still runs and remove the scratch folder."""
        self._stop()


def _stop_and_remove(process: subprocess.Popen | None, scratch: tempfile.TemporaryDirectory) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.communicate()
    scratch.cleanup()


def start_index(texts: list[str], conf: SearchSettings, output_path: Path, *, nice: bool = False) -> IndexRun:
    """Stage `texts` (stage.stage_texts) and start Pagefind on them; `finish()` the run to swap the bundle in."""
    return IndexRun(texts, conf, output_path, nice=nice)


def build_index(texts: list[str], conf: SearchSettings, output_path: Path, *, nice: bool = False) -> None:
    """Index `texts` into `<output_path>/<bundle>`, replacing what was there."""
    start_index(texts, conf, output_path, nice=nice).finish()


def _is_bundle(folder: Path) -> bool:
    """Whether `folder` holds a Pagefind bundle and nothing else."""
    return (folder / "pagefind-entry.json").is_file() and all(
        entry.name.startswith(("pagefind", "wasm.")) or entry.name in ("fragment", "index", "filter")
        for entry in folder.iterdir())


class BackgroundIndexer:
    """Indexes the newest records handed to it, one run at a time, in its own thread."""

    def __init__(self, output_path: Path):
        self.output_path = Path(output_path)
        self._changed = threading.Condition()
        self._pending: tuple[list[SearchRecord], SearchSettings, int] | None = None
        self._indexed: str | None = None  # the fingerprint of the bundle on disk
        self.submitted = 0  # records handed over so far (a ticket number each)
        self.done = 0  # the newest ticket whose records the bundle on disk reflects
        self.error: str | None = None  # the last run's problem, until a run succeeds
        self._thread = threading.Thread(target=self._run, name="search-index", daemon=True)
        self._thread.start()

    def submit(self, records: list[SearchRecord], conf: SearchSettings) -> int:
        """Index these records after the current run (a later submit replaces one still waiting); its ticket."""
        with self._changed:
            self.submitted += 1
            self._pending = (records, conf, self.submitted)
            self._changed.notify_all()
            return self.submitted

    def wait_for(self, ticket: int, timeout: float = 60.0) -> bool:
        """Wait until the bundle reflects the records of `ticket` or later ones; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self.done >= ticket, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._pending is not None)
                records, conf, ticket = self._pending
                self._pending = None
            try:
                texts = stage_texts(records, conf)
                stamp = fingerprint(texts)
                if stamp != self._indexed or not (self.output_path / conf.bundle).exists():
                    build_index(texts, conf, self.output_path, nice=True)
                    self._indexed = stamp
                self.error = None
            except Exception as error:  # noqa: BLE001 - the preview keeps serving; the writer sees the line
                self.error = str(error) if isinstance(error, SearchError) else f"search: {type(error).__name__}: {error}"
                print(self.error, flush=True)
            with self._changed:
                self.done = max(self.done, ticket)
                self._changed.notify_all()


_indexers: dict[Path, BackgroundIndexer] = {}
_indexers_lock = threading.Lock()


def background_indexer(output_path: Path) -> BackgroundIndexer:
    """The one BackgroundIndexer of a preview folder (a preview process builds many times into one folder)."""
    key = Path(output_path).resolve()
    with _indexers_lock:
        if key not in _indexers:
            _indexers[key] = BackgroundIndexer(key)
        return _indexers[key]
