"""Writing files so that a reader, or a crash, sees the old file or the new one."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def write_atomically(path: str | Path, data: bytes, *, durable: bool = False) -> None:
    """Write `data` beside `path`, then rename over it.

    `durable` also flushes to disk before the rename (editor-owned files,
    where a power cut must not leave an empty file). The new file keeps the
    old one's permissions, or gets ordinary 0644 ones (mkstemp makes 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def exclusive_lock(path: str | Path):
    """Hold an exclusive lock on `path` (created if missing) for the `with` block.

    An advisory flock: every compose takes it, so issue numbers and issue
    files are decided by one process at a time. The kernel releases it when
    the process ends, however it ends.
    """
    import fcntl

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
