"""Production settings: `invoke publish` builds with this file.

Set SITEURL in the deploy environment (`SITEURL=https://example.org invoke
publish`); every link and feed URL is then absolute under it.
"""

import os
import sys

# First on the path: this folder's pelicanconf.py, not one in the current folder.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F401,F403

# The public address of the site; set SITEURL in the deploy environment.
SITEURL = (os.environ.get("SITEURL") or "https://millbrook.example.org").rstrip("/")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
# Start from an empty output/: nothing stale (a deleted post, an old draft
# preview) can reach the public site.
DELETE_OUTPUT_DIRECTORY = True
# Drafts get a preview page in a development build (drafts/...), never here.
DRAFT_SAVE_AS = ""
DRAFT_URL = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_URL = ""
DIGEST_EMAIL_SITEURL = os.environ.get("DIGEST_EMAIL_SITEURL", SITEURL)
DIGEST_SHOW_DRAFTS = False  # draft digest issues are never published
