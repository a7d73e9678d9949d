"""The publication's identity, set once in pelicanconf.py, used everywhere.

Pages, digest issues, the email edition, the feeds' stylesheet and print all
read one `Brand` (in templates: `BRAND`), so the name, logo and colour cannot
drift apart:

- `SITENAME`: the chapter's name (header, footer, signatures);
- `DIGEST_NAME`, `DIGEST_TAGLINE`: the publication's name (the masthead's
  wordmark) and the line under it;
- `CHAPTER_LOGO`: an SVG under content/ (`images/lantern.svg`), or "";
- `CHAPTER_ACCENT`: one colour, `#rrggbb`. Light and dark variants are
  derived from it so links on either background keep at least 4.5:1
  contrast (WCAG AA), whatever colour the chapter picks;
- `DIGEST_SIGNUP_URL`: the chapter's hosted sign-up form (https), shown as a
  plain link "Get <publication> by email"; "" says how members receive it.

The derived colours are written as output/theme/css/brand.css, which every
page loads after site.css (a stylesheet, not an inline <style>: the
Content-Security-Policy allows styles from the site itself).
"""

from __future__ import annotations

import colorsys
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pelican import signals

logger = logging.getLogger(__name__)

from .errors import ChapterError

DEFAULT_ACCENT = "#a1251b"
BRAND_CSS = "theme/css/brand.css"

# The theme's backgrounds (site.css): an accent must read on all of them.
LIGHT_BACKGROUNDS = ("#fbf9f4", "#ffffff")
DARK_BACKGROUNDS = ("#161513", "#201e1b")
MIN_CONTRAST = 4.5  # WCAG AA, normal text
# A little above the minimum, so anti-aliased thin strokes still read.
TARGET_CONTRAST = 5.0

_HEX = re.compile(r"^#([0-9a-fA-F]{6})$")


class BrandError(ChapterError):
    """A brand setting is unusable; the message names it and how to fix it."""


Rgb = tuple[float, float, float]


def _rgb(hex_colour: str) -> Rgb:
    value = hex_colour.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _hex(rgb: Rgb) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def _luminance(rgb: Rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(a: str, b: str, share_of_b: float) -> str:
    ra, rb = _rgb(a), _rgb(b)
    return _hex(tuple(x + (y - x) * share_of_b for x, y in zip(ra, rb)))  # type: ignore[arg-type]


def _readable_on(colour: str, backgrounds: tuple[str, ...], lighter: bool) -> str:
    """`colour` made lighter or darker (same hue and saturation) just enough to
    reach the target contrast on every background."""
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(colour))
    for step in range(0, 101):
        shifted = lightness + (1 - lightness) * step / 100 if lighter else lightness * (1 - step / 100)
        candidate = _hex(colorsys.hls_to_rgb(h, shifted, s))
        if all(contrast(candidate, bg) >= TARGET_CONTRAST for bg in backgrounds):
            return candidate
    return "#ffffff" if lighter else "#000000"


@dataclass(frozen=True)
class Brand:
    chapter: str
    publication: str
    tagline: str
    logo: str  # path under the site root ("images/lantern.svg"), or ""
    accent: str  # as set
    accent_light: str  # links and rules on the light page
    accent_light_strong: str
    accent_light_soft: str  # tinted backgrounds (notes, labels)
    accent_dark: str  # links and rules on the dark page
    accent_dark_strong: str
    accent_dark_soft: str
    signup_url: str  # https form, or ""

    @classmethod
    def from_settings(cls, settings) -> Brand:
        chapter = str(settings.get("SITENAME") or "The chapter").strip()
        publication = str(settings.get("DIGEST_NAME") or "The Digest").strip()
        tagline = " ".join(str(settings.get("DIGEST_TAGLINE") or "").split())
        accent = str(settings.get("CHAPTER_ACCENT") or DEFAULT_ACCENT).strip()
        if not _HEX.match(accent):
            raise BrandError(
                f"CHAPTER_ACCENT = {accent!r} is not a colour this theme can use; "
                'write it as six hex digits, e.g. CHAPTER_ACCENT = "#a1251b"'
            )
        accent = accent.lower()
        logo = _logo(settings)
        signup = str(settings.get("DIGEST_SIGNUP_URL") or "").strip()
        if signup:
            parts = urlsplit(signup)
            if parts.scheme not in ("https", "http") or not parts.netloc:
                raise BrandError(
                    f"DIGEST_SIGNUP_URL = {signup!r} is not a web address; give the full "
                    'address of the sign-up form, e.g. "https://forms.example.org/our-newsletter"'
                )
        light = _readable_on(accent, LIGHT_BACKGROUNDS, lighter=False)
        dark = _readable_on(accent, DARK_BACKGROUNDS, lighter=True)
        return cls(
            chapter=chapter,
            publication=publication,
            tagline=tagline,
            logo=logo,
            accent=accent,
            accent_light=light,
            accent_light_strong=_mix(light, "#000000", 0.22),
            accent_light_soft=_mix(light, LIGHT_BACKGROUNDS[0], 0.9),
            accent_dark=dark,
            accent_dark_strong=_mix(dark, "#ffffff", 0.3),
            accent_dark_soft=_mix(light, DARK_BACKGROUNDS[0], 0.8),
            signup_url=signup,
        )

    def css(self) -> str:
        """brand.css: the accent's custom properties for site.css and digest.css."""
        return (
            "/* Written by the build from CHAPTER_ACCENT (plugins/chapter/brand.py); do not edit. */\n"
            f":root {{ --accent: {self.accent_light}; --accent-strong: {self.accent_light_strong}; "
            f"--accent-soft: {self.accent_light_soft}; }}\n"
            "@media (prefers-color-scheme: dark) {\n"
            f"  :root {{ --accent: {self.accent_dark}; --accent-strong: {self.accent_dark_strong}; "
            f"--accent-soft: {self.accent_dark_soft}; }}\n"
            "}\n"
        )


def _logo(settings) -> str:
    value = str(settings.get("CHAPTER_LOGO") or "").strip().lstrip("/")
    if not value:
        return ""
    content = Path(settings.get("PATH") or "content")
    if not value.lower().endswith(".svg"):
        raise BrandError(f"CHAPTER_LOGO = {value!r}: the logo must be an SVG file under {content}/ (e.g. images/logo.svg)")
    if ".." in Path(value).parts or not (content / value).is_file():
        # A missing picture should not stop a writer's build: the name alone
        # still identifies the site. Said once, with the fix.
        logger.warning(
            "CHAPTER_LOGO = %r: there is no such file under %s/, so pages show the name without a logo; "
            "put the SVG in content/images/ and name it as images/<file>.svg",
            value,
            content,
        )
        return ""
    return value


def brand(settings) -> Brand:
    """The build's Brand (read once per settings object)."""
    cached = settings.get("_CHAPTER_BRAND")
    if isinstance(cached, Brand):
        return cached
    value = Brand.from_settings(settings)
    settings["_CHAPTER_BRAND"] = value
    return value


def check_settings(pelican_object) -> None:
    """initialized: a bad brand setting stops the build before anything is written, named."""
    try:
        brand(pelican_object.settings)
    except BrandError as error:
        print(f"error: {error}")
        raise


def add_to_theme(generator) -> None:
    generator.context["BRAND"] = brand(generator.settings)


def write_css(pelican_object) -> None:
    """finalized: output/theme/css/brand.css, beside the theme's own CSS."""
    target = Path(pelican_object.settings["OUTPUT_PATH"]) / BRAND_CSS
    target.parent.mkdir(parents=True, exist_ok=True)
    css = brand(pelican_object.settings).css()
    if not target.is_file() or target.read_text(encoding="utf-8") != css:
        target.write_text(css, encoding="utf-8")


def register():
    signals.initialized.connect(check_settings)
    signals.generator_init.connect(add_to_theme)
    signals.finalized.connect(write_css)
