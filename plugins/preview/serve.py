"""Stage 3 of the preview: the loopback HTTP server and the session loop.

- A page is rendered when it is asked for (rebuild.Rebuilder.render), from
  the last good build; a request that arrives during a build waits for it,
  so it never shows a page older than the last save it could have seen.
- HTML responses get `<script src="/__preview/reload.js">` before
  `</head>`; the script listens to `/__preview/events` (server-sent events)
  and, when a build finishes, asks `/__preview/hash` whether its page
  changed, and reloads it if so. All three exist only here.
- While the content is invalid, every page is an error page listing the
  same `file:line: problem, how to fix it` lines as the terminal (escaped);
  the next good build replaces it.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
import os
import posixpath
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import ListenError
from .rebuild import Build, Rebuilder, describe, watch_roots
from .watch import ChangeFilter, Watcher

PREFIX = "/__preview/"
RELOAD_JS = (Path(__file__).with_name("reload.js")).read_bytes()
ERROR_CSS = b"""body{font:1rem/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.4rem;color:#a40000}pre{white-space:pre-wrap;background:#fff4f4;border-left:4px solid #a40000;
padding:1rem;font:0.95rem/1.5 ui-monospace,monospace}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}pre{background:#2a1212}h1{color:#ff8a80}}
"""
# Pages in the preview run no script but the site's and ours, and load
# nothing from other hosts ('wasm-unsafe-eval': the search page's Pagefind).
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


@dataclass
class Hooks:
    """Points where tests can watch or hold the session (all optional)."""

    after_read: Callable[[], None] | None = None  # in the build, once every file is read
    on_changes: Callable[[set[str], int], None] | None = None  # watcher thread: (paths, batch number)


class Preview:
    """One `invoke serve` session: watcher, rebuilder, HTTP server, loop."""

    def __init__(self, conf: Path, *, bind: str = "127.0.0.1", port: int = 8000, hooks: Hooks | None = None,
                 out=None):
        self.hooks = hooks or Hooks()
        self.out = out or sys.stdout
        self.rebuilder = Rebuilder(conf, after_read=self.hooks.after_read)
        self.lock = threading.RLock()  # held by a build and by each render
        self.changed = threading.Condition()  # notified when a build finishes
        self.last: Build | None = None
        self.building = False
        self.stopping = threading.Event()
        self._serving = False
        settings = self.rebuilder.settings
        roots = watch_roots(settings, conf)
        excluded = [str(self.rebuilder.output_path), settings.get("OUTPUT_PATH", ""), settings.get("CACHE_PATH", "")]
        self.watcher = Watcher(roots, ChangeFilter(roots, settings.get("IGNORE_FILES", []), [e for e in excluded if e]),
                               on_changes=self.hooks.on_changes)
        try:
            self.httpd = _Server((bind, int(port)), _Handler)
        except OSError as error:
            self.rebuilder.close()
            raise ListenError(bind, int(port), error.strerror or str(error)) from None
        self.httpd.preview = self
        self.address = self.httpd.server_address[:2]
        # Only this server's own names: a page on another site that points a
        # name of its own at 127.0.0.1 (DNS rebinding) gets nothing.
        real_port = self.address[1]
        self.hosts = {f"{name}:{real_port}" for name in (self.address[0], "127.0.0.1", "localhost", "[::1]")}
        self.any_host = bind in ("0.0.0.0", "::", "")

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}/"

    # --- the loop ---------------------------------------------------------------

    def start(self) -> Preview:
        """Watch (first, so no save is missed), serve, and build once."""
        self.watcher.start()
        threading.Thread(target=self.httpd.serve_forever, name="preview-http", daemon=True).start()
        self._serving = True
        self.rebuilder.start_fresh()
        self._build(set(), self.watcher.taken)
        return self

    def run(self) -> None:
        """Rebuild on every batch of saves until stop()."""
        while not self.stopping.is_set():
            changed = self.watcher.take(timeout=0.5)
            if changed and not self.stopping.is_set():
                shown = ", ".join(sorted(os.path.relpath(p) for p in changed)[:5])
                more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
                print(f"-> changed: {shown}{more}; rebuilding", file=self.out, flush=True)
                self._build(changed, self.watcher.taken)

    def _build(self, changed: set[str], upto: int = 0) -> Build:
        with self.lock:
            with self.changed:
                self.building = True
            build = None
            try:
                build = self.rebuilder.build(changed, upto)
            finally:
                # Still under the lock: no request sees the new pages with the
                # old build's state (an error page from before, say).
                with self.changed:
                    self.building = False
                    if build is not None:
                        self.last = build
                    self.changed.notify_all()
        if not build.ok:
            if not build.printed:
                for line in build.problems:
                    print(line, file=self.out)
            print("The browser shows these problems; fix the file and save.", file=self.out, flush=True)
        return build

    def wait_for_build(self, predicate: Callable[[Build], bool], timeout: float = 30.0) -> Build:
        """The last finished build once predicate holds for it; TimeoutError after `timeout` seconds."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.last is not None and predicate(self.last), timeout):
                raise TimeoutError(f"no build matched within {timeout} s")
            return self.last

    def stop(self) -> None:
        self.stopping.set()
        with self.changed:
            self.changed.notify_all()
        self.watcher.stop()
        if self._serving:  # shutdown() waits for serve_forever, which may never have started
            self.httpd.shutdown()
        self.httpd.server_close()
        self.rebuilder.close()

    # --- what the handler asks for ----------------------------------------------------

    def current(self) -> Build | None:
        with self.changed:
            return self.last

    def resolve(self, key: str) -> tuple[Path | None, Build | None]:
        """The file to send for `key` (relative path), rendered if needed, and the build it is from.

        A page that fails to render (a template error) comes back as a
        failed build naming the template's file and line.
        """
        with self.lock:  # waits for a build in progress
            build = self.last
            if self.rebuilder.is_gone(key):
                return None, build
            try:
                self.rebuilder.render(key)
            except Exception as error:  # noqa: BLE001 - shown to the writer, the preview keeps serving
                problems = describe(error)
                for line in problems:
                    print(line, file=self.out, flush=True)
                number = build.number if build else 0
                return None, Build(number, frozenset(), problems=problems, printed=True)
            path = self.rebuilder.output_path / key
            return (path if path.is_file() else None), build


@dataclass
class _Answer:
    status: int
    body: bytes
    ctype: str = "text/html; charset=utf-8"
    html: bool = False
    build: Build | None = None
    location: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            return  # the browser went away mid-answer: a reload, a closed tab
        print(f"preview: a request failed ({type(error).__name__}: {error})", file=sys.stderr, flush=True)


class _Handler(BaseHTTPRequestHandler):
    server_version = "ChapterPreview"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the writer's terminal is for builds
        pass

    @property
    def preview(self) -> Preview:
        return self.server.preview

    def do_HEAD(self):  # noqa: N802
        self.do_GET(head=True)

    def do_GET(self, head: bool = False):  # noqa: N802
        if not self.preview.any_host and self.headers.get("Host", "") not in self.preview.hosts:
            return self._send(421, "text/plain; charset=utf-8", b"this preview answers to its own address only", head)
        url = urlsplit(self.path)
        path = unquote(url.path)
        if path == PREFIX + "reload.js":
            return self._send(200, "text/javascript; charset=utf-8", RELOAD_JS, head)
        if path == PREFIX + "error.css":
            return self._send(200, "text/css; charset=utf-8", ERROR_CSS, head)
        if path == PREFIX + "events":
            return self._events()
        if path == PREFIX + "hash":
            # What the page at ?path= would show now: the reload script asks
            # after each build and reloads only if its page changed.
            asked = parse_qs(url.query).get("path", ["/"])[0]
            answer = self._lookup(asked)
            digest = page_hash(answer.body) if answer.html else "-"
            return self._send(200, "text/plain; charset=utf-8", digest.encode(), head)
        answer = self._lookup(path)
        if answer.status == 301:
            return self._redirect(answer.location)
        if answer.html:
            return self._send_html(answer.status, answer.body, answer.build, head)
        return self._send(answer.status, answer.ctype, answer.body, head)

    def _lookup(self, path: str) -> _Answer:
        """What to answer for a site path, before the reload script is added."""
        clean = posixpath.normpath(path)
        if ".." in clean.split("/") or "\x00" in clean:
            return _Answer(400, b"bad path", "text/plain; charset=utf-8")
        key = clean.lstrip("/")
        if path.endswith("/") or key == "":
            key = posixpath.join(key, "index.html") if key else "index.html"
        file, build = self.preview.resolve(key)
        if file is None and not path.endswith("/"):
            folder, _ = self.preview.resolve(posixpath.join(key, "index.html"))
            if folder is not None:
                return _Answer(301, b"", "", location=path + "/")
        is_html = file is None or file.suffix in (".html", ".htm")
        if build is not None and not build.ok and is_html:
            return _Answer(500, _error_page(build), html=True, build=build)
        if file is None:
            missing, _ = self.preview.resolve("404.html")
            body = missing.read_bytes() if missing else b"<!doctype html><title>Not found</title><h1>Not found</h1>"
            return _Answer(404, body, html=True, build=build)
        body = file.read_bytes()
        if is_html:
            return _Answer(200, body, html=True, build=build)
        ctype = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/xml", "application/javascript", "image/svg+xml"):
            ctype += "; charset=utf-8"
        return _Answer(200, body, ctype)

    # --- responses ---

    def _send(self, status: int, ctype: str, body: bytes, head: bool = False, extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # Always ask again: the page may have been rebuilt since.
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_html(self, status: int, body: bytes, build: Build | None, head: bool):
        number = build.number if build else 0
        body = inject(body, number, page_hash(body))
        self._send(status, "text/html; charset=utf-8", body, head, {"Content-Security-Policy": CSP})

    def _redirect(self, location: str):
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _events(self):
        """Server-sent events: `event: build` with the build number, now and after each build."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        preview = self.preview
        sent = None
        try:
            while not preview.stopping.is_set():
                with preview.changed:
                    preview.changed.wait_for(
                        lambda: preview.stopping.is_set()
                        or (preview.last is not None and preview.last.number != sent),
                        timeout=15,
                    )
                    build = preview.last
                if preview.stopping.is_set():
                    break
                if build is not None and build.number != sent:
                    sent = build.number
                    self.wfile.write(f"event: build\ndata: {sent}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")  # notices a closed tab
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def page_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:20]


def inject(body: bytes, build_number: int, digest: str = "") -> bytes:
    """The reload script, before </head> (or </body>); a page with neither is left alone."""
    tag = f'<script src="{PREFIX}reload.js" data-build="{build_number}" data-hash="{digest}" defer></script>'.encode()
    lower = body.lower()
    for marker in (b"</head>", b"</body>"):
        at = lower.find(marker)
        if at != -1:
            return body[:at] + tag + body[at:]
    return body


def _error_page(build: Build) -> bytes:
    lines = "\n".join(html.escape(line) for line in build.problems)
    count = len(build.problems)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Preview: the site did not build</title><link rel="stylesheet" href="{PREFIX}error.css"></head>
<body><main><h1>The site did not build</h1>
<p>{count} problem{"s" if count != 1 else ""} (also printed in the terminal). Fix the file and save: this page
reloads by itself with the next good build.</p>
<pre>{lines}</pre></main></body></html>
""".encode()
