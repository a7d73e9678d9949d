"""Worker processes that start clean and cheap, for the stages that use
other cores (reading posts: chapter/reading.py; parsing feeds: digest/fetch.py).

- A fork server, never fork: the process starting them may run threads
  (the preview's server and watcher, a fetch's progress bar, test servers),
  and forking it could copy a lock some thread holds into the child. The
  server is a fresh interpreter that imports the stage's worker modules
  once; each worker is then a cheap fork of it.
- A worker imports the stage's modules from this plugins folder, which
  Pelican (it loads plugins by path) need not have put on `sys.path`.
- multiprocessing re-runs the parent's main script in every new worker
  (for `invoke …`, all of invoke: ~0.15 s of CPU each; a script without an
  `if __name__ == "__main__"` guard would run its whole work again). The
  workers need nothing from it: `worker_pool` starts them all while
  `main_script_not_rerun` is in effect.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Callable, Sequence

PLUGINS_FOLDER = str(Path(__file__).resolve().parents[1])


@contextmanager
def main_script_not_rerun():
    """A main module whose spec is named ``__main__`` is one multiprocessing skips."""
    main = sys.modules["__main__"]
    spec = getattr(main, "__spec__", None)
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = spec


def worker_pool(workers: int, preload: Sequence[str], initializer: Callable | None = None,
                initargs: tuple = ()) -> ProcessPoolExecutor:
    """`workers` processes forked from a server that imported `preload`, all
    started before this returns (not one per task as tasks arrive).

    The fork server is one per process: `preload` counts only for the first
    pool that starts it; a module it lacks is imported by each worker."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=initargs)
    added = PLUGINS_FOLDER not in sys.path
    if added:
        sys.path.append(PLUGINS_FOLDER)  # what a new worker's sys.path is set to
    try:
        with main_script_not_rerun():
            for _ in range(workers):
                pool.submit(os.getpid)
    finally:
        if added:
            sys.path.remove(PLUGINS_FOLDER)
    return pool
