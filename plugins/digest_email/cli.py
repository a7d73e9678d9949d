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
    if not _MONTH.match(month) or not 1900 <= int(month[:4]) <= 2999:
        print(f"--month {month!r} is not a month: use YYYY-MM between 1900 and 2999, e.g. --month 2026-10.",
              file=sys.stderr)
        return 2
    raw_to = to or ""
    to = raw_to.strip()
    # A line break would end the To: header and start another (Bcc: …).
    if any(ord(c) < 32 or ord(c) == 127 for c in raw_to):
        print("--to must be one address on one line (it holds a line break or another control character); "
              "use e.g. --to editor@example.org.", file=sys.stderr)
        return 2
    name, addr = parseaddr(to)
    if not addr or "@" not in addr or any(c in to for c in ",;") or " " in addr:
        print(f"--to {to!r} is not one email address: use e.g. --to editor@example.org.", file=sys.stderr)
        return 2

    try:
        settings = read_settings(str(conf))
    except Exception as exc:  # noqa: BLE001 - any mistake in the settings file, said in one line
        print(f"{conf}: cannot read the settings ({type(exc).__name__}: {exc}).", file=sys.stderr)
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
        eml = eml_path.read_bytes()
        msg = send(eml, to, smtp)
    except OSError as exc:
        print(f"{eml_path}: cannot read it ({exc.strerror}); run `make build` again.", file=sys.stderr)
        return 1
    except EmailError as exc:
        print(f"Not sent: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, SettingsError) else 1
    print(f"Sent “{msg['Subject']}” to {to} through {smtp.host}:{smtp.port}.")
    return 0
