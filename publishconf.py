"""Production settings: `invoke publish` builds with this file."""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: E402,F401,F403

# The public address of the site; set SITEURL in the deploy environment.
SITEURL = os.environ.get("SITEURL", "https://millbrook.example.org").rstrip("/")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = True
DIGEST_EMAIL_SITEURL = os.environ.get("DIGEST_EMAIL_SITEURL", SITEURL)
