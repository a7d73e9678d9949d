"""QR codes as vector graphics (segno), one per link a reader may follow from paper."""

from __future__ import annotations

import io
from functools import lru_cache

import segno

# A QR code holds at most ~2,900 bytes; phones read long ones badly long
# before that. A longer address is not encoded (the printed one stays).
MAX_QR_URL = 1000


@lru_cache(maxsize=512)
def qr_svg(url: str, title: str) -> str:
    """An inline <svg> of `url`'s QR code, sized by CSS; "" if the address is too long."""
    if len(url) > MAX_QR_URL:
        return ""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    # No XML declaration, no fixed size (viewBox only): it is inlined in HTML
    # and the stylesheet gives it its printed size.
    code.save(out, kind="svg", border=2, xmldecl=False, svgns=True, nl=False, omitsize=True,
              title=title, svgclass="qr", lineclass=None)
    return out.getvalue().decode("utf-8")
