"""Stage 1 of the preview: one file watcher for the whole session.

Pelican's `wait_for_changes` starts a new watcher after every build, so a
save made while a build runs is never seen. Here one watcher (watchfiles,
the library Pelican uses) runs from start to stop in its own thread and
adds every change to a pending set; the rebuild loop takes the whole set
at once, so a burst of saves is one rebuild and a save during a build is
the next one.

Pelican's filter also matches IGNORE_FILES (`**/.*`) against the absolute
path, so a project kept below a hidden folder (`~/.sites/…`) never
updates; here the patterns only see the part of the path below the watched
folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
from collections.abc import Callable, Iterable

from watchfiles import DefaultFilter
from watchfiles.main import RustNotify  # what watchfiles.watch() drives; public in watchfiles.main

from .errors import WatchError

# Editors' swap and backup files, VCS folders…: watchfiles' own defaults.
_IGNORE_DIRS = frozenset(DefaultFilter.ignore_dirs)
_IGNORE_ENTITIES = tuple(re.compile(p) for p in DefaultFilter.ignore_entity_patterns)


class ChangeFilter:
    """Which changed paths matter: those below a watched root, not ignored.

    Every test is made on the path *relative to the watched root* (for a
    watched file, its name), never on the folders above it.
    """

    def __init__(self, roots: Iterable[str], ignore_patterns: Iterable[str] = (), excluded: Iterable[str] = ()):
        # Longest first, so a path is made relative to the closest root.
        self.roots = sorted({os.path.abspath(r) for r in roots}, key=len, reverse=True)
        # Pelican's default is "**/.*": on one path component that is ".*".
        self.patterns = [p[3:] if p.startswith("**/") else p for p in ignore_patterns]
        self.excluded = [os.path.abspath(e) for e in excluded]

    def relative(self, path: str) -> str | None:
        for root in self.roots:
            if path == root:
                return os.path.basename(root)
            if path.startswith(root + os.sep):
                return path[len(root) + 1 :]
        return None

    def __call__(self, change, path: str) -> bool:
        path = os.path.abspath(path)
        if any(path == e or path.startswith(e + os.sep) for e in self.excluded):
            return False
        rel = self.relative(path)
        if rel is None:
            return False
        parts = rel.split(os.sep)
        if any(part in _IGNORE_DIRS for part in parts):
            return False
        if any(regex.search(parts[-1]) for regex in _IGNORE_ENTITIES):
            return False
        return not any(fnmatch.fnmatch(part, pattern) for part in parts for pattern in self.patterns)


class Watcher:
    """Collects changed paths from `start()` until `stop()`.

    `take()` blocks until something changed and returns every path changed
    since the previous `take()`. Batches are numbered (`seq`); `taken` is
    the number of the last batch `take()` returned, so a build can say which
    saves it includes. `on_changes(paths, seq)` (optional) is called from
    the watcher thread after each batch is added (tests wait on it).
    """

    def __init__(
        self,
        paths: Iterable[str],
        watch_filter: Callable[[object, str], bool],
        *,
        step_ms: int = 50,
        debounce_ms: int = 400,
        on_changes: Callable[[set[str], int], None] | None = None,
    ):
        self.paths = [os.path.abspath(p) for p in paths if os.path.exists(p)]
        self.filter = watch_filter
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.on_changes = on_changes
        self._pending: set[str] = set()
        self.seq = 0  # batches added so far
        self.taken = 0  # the last batch take() handed out
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._notify = None
        self.error: BaseException | None = None

    def start(self) -> Watcher:
        # Created here, not in the thread: once start() returns, the OS
        # watches are in place, so a save right after it is seen.
        try:
            self._notify = RustNotify(self.paths, False, False, 300, True, False)
        except (OSError, RuntimeError) as error:
            raise WatchError(
                f"cannot watch {', '.join(self.paths)} for changes ({error}); on Linux, raise the limit with "
                "`sudo sysctl fs.inotify.max_user_watches=524288`, or close other programs that watch files"
            ) from None
        self._thread = threading.Thread(target=self._run, name="preview-watch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                raw = self._notify.watch(self.debounce_ms, self.step_ms, 1000, self._stop)
                if raw in ("timeout", "signal"):
                    continue
                if raw == "stop":
                    break
                paths = {path for change, path in raw if self.filter(change, path)}
                if not paths:
                    continue
                with self._cond:
                    self._pending |= paths
                    self.seq += 1
                    seq = self.seq
                    self._cond.notify_all()
                if self.on_changes is not None:
                    self.on_changes(paths, seq)
        except Exception as error:  # noqa: BLE001 - reported by take()
            with self._cond:
                self.error = WatchError(f"the file watcher stopped ({type(error).__name__}: {error}); "
                                        "saves are no longer seen: stop and start `invoke serve` again")
                self._cond.notify_all()
        finally:
            self._notify.close()

    def take(self, timeout: float | None = None) -> set[str]:
        """Every path changed since the last call; waits for one. Empty set if stopped or timed out."""
        with self._cond:
            self._cond.wait_for(lambda: self._pending or self._stop.is_set() or self.error, timeout)
            if self.error is not None:
                raise self.error
            paths, self._pending = self._pending, set()
            if paths:
                self.taken = self.seq
            return paths

    @property
    def pending(self) -> set[str]:
        with self._cond:
            return set(self._pending)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
