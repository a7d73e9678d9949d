"""The atomic build behind `invoke build` and `invoke publish`.

Pelican writes into its output folder file by file, and a production build
empties that folder first: a build that fails half-way (a bad file, a full
disk, a read-only folder) used to leave a half-built site, e.g. pages but no
digest feeds or email files. Here Pelican builds into a fresh sibling folder
on the same filesystem (`.output.building-XXXX`), and only a build that
succeeded is swapped in, with one atomic rename (renameat2 RENAME_EXCHANGE
on Linux; two renames elsewhere). On any failure the last good output/ stays
exactly as it was and the message names the folder or file that failed.

`build_site(root, conf)` returns an exit code (0 built, 1 failed, 2 bad
usage) and prints for humans, like the other `cli` functions.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[1]
BUILDING_PREFIX = ".building-"
OLD_PREFIX = ".old-"
_RENAME_EXCHANGE = 2  # linux/fs.h


class PublishError(Exception):
    """The build cannot start or cannot be swapped in; the message says what to do."""


def _read_settings(root: Path, conf: Path) -> tuple[Path, list[str]]:
    """OUTPUT_PATH (Pelican makes it absolute, relative to the settings file)
    and OUTPUT_RETENTION (names in output/ that a build keeps, e.g. `.git`)."""
    from .cli import _settings  # the settings reader the other writer commands use

    settings = _settings(root, conf)
    return Path(settings["OUTPUT_PATH"]).absolute(), list(settings.get("OUTPUT_RETENTION") or [])


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step; False if this system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False  # an old kernel, or a filesystem without exchange
    raise OSError(error, os.strerror(error), str(b))


def swap_in(new: Path, output: Path, retain: list[str] = ()) -> None:
    """Make `new` the output folder; the old one is removed afterwards.

    Entries named in `retain` (Pelican's OUTPUT_RETENTION) move from the old
    folder into the new one first, and back if the swap fails.
    """
    if not output.exists():
        os.rename(new, output)
        return
    moved = []
    try:
        for name in retain:
            if (output / name).exists() and not (new / name).exists():
                os.rename(output / name, new / name)
                moved.append(name)
        if _exchange(new, output):
            shutil.rmtree(new, ignore_errors=True)  # `new` now holds the old build
            return
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}{OLD_PREFIX}", dir=output.parent))
        os.rmdir(old)
        os.rename(output, old)
        try:
            os.rename(new, output)
        except OSError:
            os.rename(old, output)  # put the last good build back
            raise
    except OSError:
        for name in moved:
            os.rename(new / name, output / name)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _remove_leftovers(output: Path) -> None:
    """Folders a killed build left behind (we hold the lock, so none is in use)."""
    for prefix in (BUILDING_PREFIX, OLD_PREFIX):
        for path in output.parent.glob(f".{output.name}{prefix}*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)


def _lock(folder: Path):
    """One build per output folder at a time: an flock on its parent folder."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"another build into {folder} is running; waiting for it to finish", file=sys.stderr, flush=True)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def shown_path(path: Path) -> str:
    """`path` relative to the working folder when it is below it, else as given (for messages)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def build_site(root: Path, conf: Path, *, output: Path | None = None, extra: list[str] | None = None,
               env: dict | None = None) -> int:
    """Build the site with `conf` into a fresh folder and swap it in on success."""
    root = Path(root)
    conf = Path(conf) if Path(conf).is_absolute() else root / conf
    try:
        configured, retain = _read_settings(root, conf)
        output = Path(output).absolute() if output else configured
    except Exception as error:  # noqa: BLE001 - a broken settings file, said plainly
        print(f"{shown_path(conf)}: cannot read the settings ({type(error).__name__}: {error})", file=sys.stderr)
        return 2
    if output.is_symlink():
        output = output.resolve()  # swap the folder the link points to, keep the link
    shown = shown_path(output)
    parent = output.parent
    if output.exists() and not output.is_dir():
        print(f"{shown} is a file, not a folder: move it away, then build again.", file=sys.stderr)
        return 1
    try:
        parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(parent)
    except OSError as error:
        print(
            f"cannot build into {shown}: its folder {shown_path(parent)} cannot be used "
            f"({error.strerror}); fix the path or OUTPUT_PATH. Nothing was changed.",
            file=sys.stderr,
        )
        return 1
    try:
        _remove_leftovers(output)
        try:
            fresh = Path(tempfile.mkdtemp(prefix=f".{output.name}{BUILDING_PREFIX}", dir=parent))
        except OSError as error:
            print(
                f"cannot build: no new folder can be made next to {shown} in {shown_path(parent)} "
                f"({error.strerror}); the build needs room and write access there. "
                f"{shown} was left as it was.",
                file=sys.stderr,
            )
            return 1
        os.chmod(fresh, 0o755)  # mkdtemp makes 0700; a web server must read it
        try:
            code = _run_pelican(root, conf, fresh, extra or [], dict(env or os.environ, PUBLISH_OUTPUT_SHOWN_AS=shown))
            if code != 0:
                print(
                    f"The build failed (see above); {shown} was left as it was, "
                    "with the last good build. Nothing was published.",
                    file=sys.stderr,
                )
                return 1
            try:
                swap_in(fresh, output, retain)
            except OSError as error:
                print(
                    f"The build succeeded but could not replace {shown} "
                    f"({error.strerror}: {error.filename or shown}); {shown} was left as it was. "
                    "Check that the folder is not a mount point and that you may write in "
                    f"{shown_path(parent)}.",
                    file=sys.stderr,
                )
                return 1
        finally:
            if fresh.exists():
                shutil.rmtree(fresh, ignore_errors=True)
    finally:
        os.close(lock)
    return 0


def _run_pelican(root: Path, conf: Path, fresh: Path, extra: list[str], env: dict | None) -> int:
    environment = dict(os.environ if env is None else env)
    command = [sys.executable, "-c", _CHILD, str(PLUGINS), "content", "-s", str(conf), "-o", str(fresh), *extra]
    return subprocess.run(command, cwd=root, env=environment).returncode


# The child: Pelican's own command line, with one change: an error shows as
# its one-line message, not a traceback (Pelican logs them with exc_info).
# `-D` (debug) keeps tracebacks for developers.
_CHILD = "import sys; sys.path.insert(0, sys.argv[1]); del sys.argv[1]; from chapter.publish import _child; _child()"


class _OneLineErrors(logging.Filter):
    def __init__(self, output: Path, shown: str):
        super().__init__()
        self.output = output  # the fresh folder being written
        self.shown = shown  # how the writer knows it: output

    def filter(self, record):
        if record.exc_info and record.levelno >= logging.ERROR:
            error = record.exc_info[1]
            record.exc_info = None
            if isinstance(error, OSError) and not error.filename:
                # A failed write() does not say which file; the newest one is it.
                newest = _newest_file(self.output)
                if newest is not None:
                    where = Path(self.shown) / newest.relative_to(self.output)
                    record.msg = f"{record.msg} (while writing {where})"
        return True


def _newest_file(folder: Path) -> Path | None:
    newest, when = None, -1.0
    for dirpath, dirs, files in os.walk(folder):
        # Not search's scratch folder: Pagefind writes there beside the build.
        dirs[:] = [name for name in dirs if not name.startswith(".search-")]
        for name in files:
            try:
                mtime = os.stat(os.path.join(dirpath, name)).st_mtime
            except OSError:
                continue
            if mtime >= when:
                newest, when = Path(dirpath, name), mtime
    return newest


def _child() -> None:
    import pelican

    if "-D" not in sys.argv and "--debug" not in sys.argv:
        output = Path(sys.argv[sys.argv.index("-o") + 1])
        shown = os.environ.get("PUBLISH_OUTPUT_SHOWN_AS") or str(output)
        logging.getLogger("pelican").addFilter(_OneLineErrors(output, shown))
    sys.argv[0] = "pelican"
    sys.exit(pelican.main(sys.argv[1:]))
