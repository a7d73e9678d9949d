"""Debian's Chromium, driven by Playwright: the one way the project starts it
(the tests through tests/browser.py, and `invoke screenshots`).

Never a browser download: /usr/bin/chromium from apt. The flags keep it from
reaching for Google's services on a machine with no network.
"""

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright):
    """A headless Chromium browser from the sync Playwright API."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
