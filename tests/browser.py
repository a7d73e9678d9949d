"""Debian's Chromium, driven by Playwright, the one way the tests start it.

The launcher lives in plugins/chapter/browser.py, so `invoke screenshots`
starts the browser the same way; the tests import it from here.
"""

from chapter.browser import CHROMIUM, LAUNCH_ARGS, launch_chromium

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "launch_chromium"]
