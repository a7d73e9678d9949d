"""Shared fixtures: the repo's sample site, built once per test session, a
loopback HTTP server for it, and headless Chromium for the browser tests.
Other test modules add their own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def build_site(output: Path, conf: str = "pelicanconf.py", **override) -> Path:
    """Build the repo's content/ with `conf` (default pelicanconf.py) into `output`."""
    from pelican import Pelican
    from pelican.settings import read_settings

    settings = read_settings(
        str(ROOT / conf),
        override={"OUTPUT_PATH": str(output), "PATH": str(ROOT / "content"), "CACHE_CONTENT": False, **override},
    )
    Pelican(settings).run()
    return output


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The sample site, built once into a temporary folder; its output Path."""
    return build_site(tmp_path_factory.mktemp("site") / "output")


@pytest.fixture(scope="session")
def site_server(built_site):
    """Serve the built site on 127.0.0.1 (free port); yields the base URL."""
    from chapter.screenshots import serve

    with serve(built_site) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (never a download), one per test module."""
    from chapter.browser import launch_chromium
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("The browser tests need Debian's Chromium: `sudo apt-get install chromium`.")
    with sync_playwright() as p:
        chromium = launch_chromium(p)
        yield chromium
        chromium.close()
