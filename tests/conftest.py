"""Shared fixtures: the repo's sample site, built once per test session, and
a loopback HTTP server for it. Other test modules add their own fixtures."""

from __future__ import annotations

import functools
import http.server
import threading
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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep test output readable
        pass


@pytest.fixture(scope="session")
def site_server(built_site):
    """Serve the built site on 127.0.0.1 (free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
