"""`invoke send-test`: send a built issue.eml to one address."""

from __future__ import annotations

import os
import re
import sys
from email.utils import parseaddr
from pathlib import Path

from .errors import EmailError, SettingsError

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _output_path(root: Path, settings: dict) -> Path:
    out = Path(settings.get("OUTPUT_PATH") or "output")
    return out if out.is_absolute() else Path(root) / out


def send_test(root: Path, conf: Path, month: str, to: str, env=None) -> int:
    """Send output/digest/<month>/issue.eml to `to`; print what happened; return an exit code."""
    from pelican.settings import read_settings

    from .send import SmtpSettings, send

    month = (month or "").strip()
    if not _MONTH.match(month):
        print(f"--month {month!r} is not a month: use YYYY-MM, e.g. --month 2026-10.", file=sys.stderr)
        return 2
    to = (to or "").strip()
    name, addr = parseaddr(to)
    if not addr or "@" not in addr or any(c in to for c in ",;") or " " in addr:
        print(f"--to {to!r} is not one email address: use e.g. --to editor@example.org.", file=sys.stderr)
        return 2

    try:
        settings = read_settings(str(conf))
    except (OSError, ValueError, SyntaxError) as exc:
        print(f"{conf}: cannot read the settings: {exc}", file=sys.stderr)
        return 2
    eml_path = _output_path(Path(root), settings) / "digest" / month / "issue.eml"
    if not eml_path.is_file():
        print(
            f"{eml_path} does not exist: run `make build` first (and check that "
            f"content/digests/{month}.md exists and is published).",
            file=sys.stderr,
        )
        return 1
    try:
        smtp = SmtpSettings.from_env(os.environ if env is None else env)
        msg = send(eml_path.read_bytes(), to, smtp)
    except EmailError as exc:
        print(f"Not sent: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1
    print(f"Sent “{msg['Subject']}” to {to} through {smtp.host}:{smtp.port}.")
    return 0
