"""Rendered PDFs kept by content hash, so a build re-renders only the issues that changed.

The key covers everything a PDF is made from: the prepared issue (every text,
address and setting it shows), this plugin's code and templates, the
versions of WeasyPrint and segno, and the size and time of each local file
it embeds (logo, cover picture).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from digest.files import write_atomically

from .view import PrintIssue

PLUGIN = Path(__file__).parent


@lru_cache(maxsize=1)
def _code_digest() -> bytes:
    digest = hashlib.sha256()
    for path in sorted(PLUGIN.glob("*.py")) + sorted((PLUGIN / "templates").glob("*")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for package in ("weasyprint", "segno", "pydyf"):
        try:
            digest.update(f"{package}={version(package)}".encode())
        except PackageNotFoundError:
            digest.update(f"{package}=none".encode())
    return digest.digest()


def cache_key(issue: PrintIssue) -> str:
    digest = hashlib.sha256(_code_digest())
    digest.update(json.dumps(dataclasses.asdict(issue), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    for path in issue.files:
        try:
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
        except OSError:
            digest.update(f"{path}\0missing".encode())
    return digest.hexdigest()


class PdfCache:
    """A folder of <key>.pdf files, at most `size` of them (least recently used go first)."""

    def __init__(self, folder: Path, size: int):
        self.folder = Path(folder)
        self.size = size

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pdf"

    def get(self, key: str) -> Path | None:
        path = self.path(key)
        try:
            os.utime(path)  # recently used
        except OSError:
            return None
        return path

    def put(self, key: str, pdf: bytes) -> Path:
        path = self.path(key)
        write_atomically(path, pdf)
        self._prune()
        return path

    def _prune(self) -> None:
        try:
            kept = sorted(self.folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        except OSError:
            return  # another build pruned at the same moment
        for old in kept[self.size:]:
            old.unlink(missing_ok=True)
