"""`invoke send-test`: send a built issue.eml to one address (the edition
in one language: `--lang es` sends output/es/digest/YYYY-MM/issue.eml)."""

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


def _issue_file(settings: dict, month: str) -> Path | None:
    """content/digests/<month>.md, as the digest's settings place it (None if they cannot be read)."""
    from digest.errors import DigestError
    from digest.settings import DigestSettings

    try:
        return DigestSettings.from_pelican(settings).issues_dir / f"{month}.md"
    except DigestError:
        return None


def _no_edition(settings: dict, month: str, lang: str, root: Path) -> str | None:
    """Why the issue has no edition in `lang`, from its file (None if the file does have an intro in it)."""
    from digest.errors import DigestError
    from digest.issuefile import read_issue_doc

    from .view import language_in

    path = _issue_file(settings, month)
    if path is None or not path.is_file():
        return None
    try:
        shown = path.relative_to(root)
    except ValueError:
        shown = path
    name = language_in(lang, "en")
    try:
        sections = [section for section in read_issue_doc(path).intro_sections() if section.lang == lang]
    except DigestError as exc:
        return f"{exc}"
    if not sections:
        return (f"{shown}: the issue has no {name} edition: the issue file has no "
                f"`## … <!-- digest:intro {lang} -->` section; write the {name} intro there first, "
                "then run `make build`.")
    if not sections[0].text.strip():
        return (f"{shown}:{sections[0].line}: the {name} intro is empty, so the issue has no {name} edition; "
                "write the intro under that heading, then run `make build`.")
    return None


def send_test(root: Path, conf: Path, month: str, to: str, env=None, lang: str | None = None) -> int:
    """Send output/digest/<month>/issue.eml (or output/<lang>/digest/<month>/issue.eml,
    the edition in `lang`; default: the site's default language) to `to`;
    print what happened; return an exit code."""
    from i18n.errors import LanguageError
    from i18n.settings import Languages
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
    try:
        languages = Languages.from_pelican(settings)
    except LanguageError as exc:
        print(f"{conf}: {exc}", file=sys.stderr)
        return 2
    lang = (lang or "").strip().lower() or languages.default
    if lang not in languages.all:
        print(f"--lang {lang!r}: the site is not published in that language (I18N_LANGUAGES is "
              f"{', '.join(languages.all)}); use one of those, e.g. --lang {languages.all[-1]}.", file=sys.stderr)
        return 2
    eml_path = _output_path(Path(root), settings) / languages.path(lang, f"digest/{month}") / "issue.eml"
    if not eml_path.is_file():
        why = _no_edition(settings, month, lang, Path(root)) if lang != languages.default else None
        if why:
            print(why, file=sys.stderr)
            return 1
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
