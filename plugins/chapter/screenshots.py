"""`invoke screenshots`: every kind of page, as a reader's browser shows it.

Builds the site with the given settings into a temporary folder (never
output/), serves it on 127.0.0.1 and has Debian's headless Chromium save
full-page PNGs of each page kind (home, a post, a statement, a working
group, the digest index, the newest issue, Subscribe and that issue's email
edition) at a phone's and a laptop's width, in light and in dark mode:
`home-390-dark.png`, `email-1280-light.png`, ...

Shots are exactly as wide as the screen they stand for; a page that is wider
(it would scroll sideways) is named in the output, not widened in the PNG.

`screenshots(root, conf, out)` prints for humans and returns an exit code
(0 taken, 1 failed, 2 cannot run here), like the other `cli` functions.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

KINDS = ("home", "post", "statement", "group", "digest", "issue", "subscribe", "email")
# Screen width -> height: a phone (390 x 844) and a laptop.
SCREENS = {390: 844, 1280: 800}
SCHEMES = ("light", "dark")
DEFAULT_FOLDER = "screenshots"
PREFERRED_GROUP = "sanctuary-city"

# Lazy images below the first screen would be blank in a full-page shot: ask
# for them all now and wait until each has loaded (or failed).
LOAD_EVERY_IMAGE = """async () => {
  const images = [...document.images];
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener("load", done, {once: true});
    img.addEventListener("error", done, {once: true});
  })));
  await document.fonts.ready;
}"""


def _article(site: Path, folder: str, prefer_figure: bool = False) -> str | None:
    pages = sorted((site / folder).glob("*/index.html"))
    if prefer_figure:
        # A post with a picture shows more of the design.
        pages = sorted(pages, key=lambda p: "<figure" not in p.read_text(encoding="utf-8"))
    return _url(site, pages[0]) if pages else None


def _url(site: Path, index: Path) -> str:
    relative = index.relative_to(site).as_posix()
    return "/" + (relative.removesuffix("index.html") if relative.endswith("/index.html") else relative)


def newest_issue(site: Path) -> str | None:
    """The newest digest issue's folder name (YYYY-MM), or None."""
    months = sorted(p.parent.name for p in (site / "digest").glob("*/index.html")
                    if re.fullmatch(r"\d{4}-\d{2}", p.parent.name))
    return months[-1] if months else None


def page_kinds(site: Path) -> dict[str, str]:
    """Each page kind the built `site` has: short name -> URL path."""
    kinds = {"home": "/" if (site / "index.html").is_file() else None}
    kinds["post"] = _article(site, "posts", prefer_figure=True)
    kinds["statement"] = _article(site, "statements")
    group = site / "groups" / PREFERRED_GROUP / "index.html"
    kinds["group"] = _url(site, group) if group.is_file() else _article(site, "groups")
    kinds["digest"] = "/digest/" if (site / "digest" / "index.html").is_file() else None
    month = newest_issue(site)
    kinds["issue"] = f"/digest/{month}/" if month else None
    kinds["subscribe"] = "/subscribe/" if (site / "subscribe" / "index.html").is_file() else None
    email = site / "digest" / str(month) / "email.html"
    kinds["email"] = _url(site, email) if month and email.is_file() else None
    return {name: path for name, path in kinds.items() if path}


def shot_name(kind: str, width: int, scheme: str) -> str:
    return f"{kind}-{width}-{scheme}.png"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve `folder` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _site_file(site: Path, path: str) -> Path | None:
    """The built file a URL path names (a folder means its index.html), inside `site` only."""
    root = site.resolve()
    candidate = (root / unquote(path).lstrip("/")).resolve()
    if candidate.is_dir():
        candidate = candidate / "index.html"
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def keep_local(context, base: str, site: Path, mirrored: list[str] = ()) -> None:
    """Nothing leaves the machine: requests to `base` go through; requests to
    a URL in `mirrored` (the email's absolute DIGEST_EMAIL_SITEURL links) are
    answered from the built `site`; any other host is refused."""
    own = urlsplit(base).netloc
    prefixes = [m.rstrip("/") + "/" for m in mirrored if m]

    def handle(route):
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        elif any(url.startswith(prefix) for prefix in prefixes):
            found = _site_file(site, urlsplit(url).path)
            if found is None:
                route.fulfill(status=404, body="not in the built site")
            else:
                route.fulfill(path=str(found))
        else:
            route.abort()

    context.route("**/*", handle)


def take_screenshots(browser, site: Path, base: str, out: Path,
                     mirrored: list[str] = ()) -> tuple[list[Path], list[str], list[str]]:
    """Full-page PNGs of every page kind at each screen and colour scheme.

    Returns the files written, the pages that did not load and the pages
    wider than their screen (each as one line for humans).
    """
    out.mkdir(parents=True, exist_ok=True)
    kinds = page_kinds(site)
    written, failed, too_wide = [], [], []
    for width, height in SCREENS.items():
        for scheme in SCHEMES:
            context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1,
                                          color_scheme=scheme, reduced_motion="reduce")
            try:
                keep_local(context, base, site, mirrored)
                page = context.new_page()
                for kind, path in kinds.items():
                    response = page.goto(base + path, wait_until="load")
                    if response is None or not response.ok:
                        failed.append(f"{path}: the page did not load ({response.status if response else 'no answer'})")
                        continue
                    page.evaluate(LOAD_EVERY_IMAGE)
                    page_width, page_height = page.evaluate(
                        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]")
                    if page_width > width and scheme == SCHEMES[0]:
                        too_wide.append(f"{path}: {page_width} px wide on a {width} px screen; it scrolls "
                                        f"sideways (the shot shows the first {width} px)")
                    target = out / shot_name(kind, width, scheme)
                    page.screenshot(path=str(target), full_page=True, animations="disabled",
                                    clip={"x": 0, "y": 0, "width": width, "height": max(page_height, height)})
                    written.append(target)
            finally:
                context.close()
    return written, failed, too_wide


def screenshots(root: Path, conf: Path, out: Path | str | None = None) -> int:
    """Build the site into a temporary folder and save its screenshots in `out`."""
    from . import publish
    from .browser import CHROMIUM, launch_chromium
    from .cli import _settings

    root = Path(root)
    conf = Path(conf) if Path(conf).is_absolute() else root / conf
    out = Path(out).absolute() if out else root / DEFAULT_FOLDER
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("Screenshots need Playwright: run `invoke dev.setup-test`, then try again.", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"Screenshots need Debian's Chromium at {CHROMIUM}: run `sudo apt-get install chromium`.",
              file=sys.stderr)
        return 2
    settings = _settings(root, conf)
    published = Path(settings["OUTPUT_PATH"]).resolve()
    if out.resolve().is_relative_to(published):
        print(f"{publish.shown_path(out)} is inside the site's output folder, where it would be published: "
              "choose another folder with --out.", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chapter-screenshots-") as scratch:
        site = Path(scratch) / "site"
        if publish.build_site(root, conf, output=site):
            print("The build failed (see above): no screenshots were taken.", file=sys.stderr)
            return 1
        with serve(site) as base, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                kinds = page_kinds(site)
                written, failed, too_wide = take_screenshots(
                    browser, site, base, out, mirrored=[settings.get("DIGEST_EMAIL_SITEURL") or ""])
            finally:
                browser.close()
    for line in failed + too_wide:
        print(line, file=sys.stderr)
    missing = [kind for kind in KINDS if kind not in kinds]
    if missing:
        print(f"not in this build, so not shot: {', '.join(missing)}", file=sys.stderr)
    widths = " and ".join(str(w) for w in SCREENS)
    print(f"{len(written)} screenshots of {len(kinds)} pages ({widths} px wide, light and dark) in {publish.shown_path(out)}/")
    return 1 if failed or not written else 0
