"""The print edition as one HTML document (stylesheet inlined), ready for the PDF stage."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .qr import qr_svg
from .view import PrintIssue, PrintLink

TEMPLATES = Path(__file__).parent / "templates"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    env.globals["qr"] = lambda link: qr_svg(link.url, f"QR code: {link.printed}") if isinstance(link, PrintLink) else ""
    env.globals["file_url"] = lambda path: Path(path).as_uri()
    return env


def render_html(issue: PrintIssue) -> str:
    env = _environment()
    # The accent comes from the brand (a checked #rrggbb); anything else would
    # be CSS from a setting, so it falls back to black.
    accent = issue.accent if _COLOUR.fullmatch(issue.accent or "") else "#000000"
    css = env.get_template("print.css.j2").render(paper=issue.paper, accent=accent, draft=issue.draft_label)
    return env.get_template("issue.html.j2").render(issue=issue, css=css)
