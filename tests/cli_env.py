"""The environment for commands the tests run as subprocesses (pelican, invoke).

Pelican logs through rich, which wraps every message at the terminal width, and
a captured subprocess has no terminal: rich falls back to COLUMNS, else 80. A
message naming a long temporary path then breaks across lines wherever the
width happens to fall, and a test looking for `file:line` fails at random. A
wide, fixed width keeps each message on one line; no colour, no cursor codes.
"""

from __future__ import annotations

import os

WIDE_LOG = {"COLUMNS": "1000", "NO_COLOR": "1", "TERM": "dumb"}


def wide_log_env(**extra: str) -> dict[str, str]:
    """os.environ with a wide, fixed log width, plus `extra`."""
    return {**os.environ, **WIDE_LOG, **extra}


def lines_with(output: str, text: str) -> list[str]:
    """The whole lines of `output` that contain `text` (a message is one line)."""
    return [line for line in output.splitlines() if text in line]
