"""`invoke print --month YYYY-MM`: one issue's print edition, without building the site.

Returns an exit code: 0 written, 2 bad usage, a bad issue file or settings,
or a print edition that cannot be made (the message says what to install).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path


def print_issue(root: Path, conf: Path, *, month: str, paper: str | None = None) -> int:
    from digest.cli import month_settings
    from digest.errors import DigestError, display_path
    from digest.issue import read_issue
    from digest.settings import DigestSettings

    from .build import make_edition, print_context, write_edition
    from .settings import PrintSettings

    settings = month_settings(conf, month)
    if settings is None:
        return 2
    if paper:
        settings["DIGEST_PRINT_PAPER"] = paper
    started = time.perf_counter()
    try:
        conf_digest = DigestSettings.from_pelican(settings)
        prints = PrintSettings.from_pelican(settings)
        path = conf_digest.issues_dir / f"{month}.md"
        if not path.is_file():
            print(f"error: there is no issue file {display_path(path)}; compose it first with "
                  f"`invoke digest --month {month}`")
            return 2
        issue = read_issue(path, conf_digest, now=datetime.now(conf_digest.timezone))
        output = Path(settings.get("OUTPUT_PATH") or Path(root) / "output")
        edition = make_edition(issue, print_context(settings, conf_digest, prints), prints, output)
        if edition is None:  # the warning above says why
            return 2
        target = write_edition(edition, output)
    except DigestError as error:
        print(f"error: {error}")
        return 2
    how = "rendered" if edition.rendered else "unchanged since it was last rendered (from the cache)"
    mark = f", marked {issue.preview}" if issue.preview else ""
    print(f"Wrote {display_path(target)} ({edition.size_label}, {prints.paper}{mark}): {how}, "
          f"{time.perf_counter() - started:.1f} s")
    return 0
