"""HTML -> PDF with WeasyPrint, reading nothing but local files.

WeasyPrint would fetch any URL a document names; its URL fetcher here reads
only files under the folders it is given (the site's content/ and output/),
so building the print edition never touches the network, whatever an
excerpt contains. The PDF is tagged (PDF/UA-1) with its title and language.
"""

from __future__ import annotations

import mimetypes
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlsplit

from .errors import PrintError

SYSTEM_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 fonts-crosextra-caladea fonts-crosextra-carlito"
FONTS = ("Caladea", "Carlito")  # print.css.j2's faces
INSTALL_HINT = (f"install them with `sudo apt-get install {SYSTEM_PACKAGES}` (or run `make build` as root), "
                "or turn the print edition off with DIGEST_PRINT = False")


@lru_cache(maxsize=1)
def _weasyprint():
    """The weasyprint module, or a PrintError saying which system package is missing."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    except OSError as error:  # cffi could not load Pango or HarfBuzz
        raise PrintError(f"the print edition needs the Pango text libraries ({error}); {INSTALL_HINT}") from None
    except ImportError as error:
        raise PrintError(f"the print edition needs WeasyPrint ({error}); run `make build` to install it") from None
    finally:
        # Importing WeasyPrint makes Pillow accept truncated images in the
        # whole process; the digest's images stage must keep refusing them
        # (the print edition only embeds copies that stage already checked).
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    return weasyprint


@lru_cache(maxsize=1)
def check_fonts() -> None:
    """Fontconfig must find the print faces: a missing one would silently fall back to another font."""
    if shutil.which("fc-match") is None:
        raise PrintError(f"the print edition needs fontconfig and its fonts; {INSTALL_HINT}")
    for face in FONTS:
        found = subprocess.run(["fc-match", "-f", "%{family}", face], capture_output=True, text=True, check=False)
        if face.lower() not in found.stdout.lower():
            raise PrintError(f"the font {face} is not installed (fontconfig offers {found.stdout or 'nothing'}); "
                             f"{INSTALL_HINT}")


def _local_fetcher(weasyprint, roots: Sequence[Path]):
    roots = tuple(Path(root).resolve() for root in roots)

    class LocalFilesOnly(weasyprint.URLFetcher):
        """Serves file: URLs under `roots`; refuses everything else (WeasyPrint then
        leaves the resource out, with a warning)."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"the print edition loads only local files, not {url[:200]}")
            path = Path(unquote(parts.path)).resolve()
            if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
                raise ValueError(f"{path} is not a file under {', '.join(map(str, roots))}")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return weasyprint.urls.URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})

    return LocalFilesOnly()


def render_pdf(html: str, *, base: Path, roots: Sequence[Path]) -> bytes:
    """The PDF of `html`; relative references resolve against `base`, files load only from `roots`."""
    weasyprint = _weasyprint()
    check_fonts()
    document = weasyprint.HTML(string=html, base_url=Path(base).resolve().as_uri() + "/",
                               url_fetcher=_local_fetcher(weasyprint, roots))
    return document.write_pdf(pdf_variant="pdf/ua-1")
