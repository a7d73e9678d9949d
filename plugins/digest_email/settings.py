"""The email edition's settings, read once from the Pelican settings dict.

Every setting has a default here; docs/settings.md documents them.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from chapter.brand import Brand, BrandError, brand
from i18n.errors import LanguageError
from i18n.settings import Languages

from .errors import EmailError


def _(message: str) -> str:
    """Marks a message for the catalogue without translating it here: the
    view translates it into each edition's language (gettext_noop)."""
    return message


# Gmail clips a message whose HTML is over 102 KB and hides the rest behind
# "View entire message" (and with it the footer's unsubscribe line). We count
# KB as 1024 bytes, the stricter reading.
GMAIL_CLIP_BYTES = 102 * 1024

DEFAULT_UNSUBSCRIBE = _("To stop receiving these emails, reply with the word “unsubscribe”.")
DEFAULT_OWN_SECTION = "From our chapter"  # digest.settings DEFAULTS["DIGEST_OWN_SECTION"]
# Reader-facing settings an edition takes from I18N_SETTINGS[lang] when given there.
LOCALIZED_SETTINGS = ("DIGEST_TAGLINE", "DIGEST_EMAIL_UNSUBSCRIBE")


def is_absolute_http(url: str | None) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class EmailSettings:
    siteurl: str  # absolute, no trailing slash
    sitename: str
    digest_name: str
    sender: str  # the From header
    address: str  # postal address line in the footer
    unsubscribe: str  # plain text; may be a mailing tool's merge tag
    unsubscribe_url: str | None  # optional link for the unsubscribe text (may be a merge tag)
    max_bytes: int
    date_format: str
    # The SITEURL of this build when it is absolute but not the production
    # address (a staging or preview build): links under it are moved to siteurl.
    build_siteurl: str | None = None
    # The publication's identity (plugins/chapter/brand.py), so the email's
    # masthead, accent and sign-up link are the site's.
    brand: Brand | None = None
    # The site's languages (i18n): one edition of an issue in each of its languages.
    languages: Languages | None = None
    # DIGEST_OWN_SECTION: the chapter's own section, whose title each edition translates.
    own_section: str = DEFAULT_OWN_SECTION
    # (lang, setting, value) for each LOCALIZED_SETTINGS entry of I18N_SETTINGS
    # (a tuple, so the settings stay hashable).
    localized: tuple[tuple[str, str, str], ...] = ()

    @property
    def identity(self) -> Brand:
        """The brand, or one read from the two names alone (settings built by hand)."""
        return self.brand or Brand.from_settings({"SITENAME": self.sitename, "DIGEST_NAME": self.digest_name})

    @property
    def site_languages(self) -> Languages:
        """The languages, or English alone (settings built by hand)."""
        return self.languages or Languages.from_pelican({})

    def setting_in(self, lang: str, name: str) -> str | None:
        """A LOCALIZED_SETTINGS value given for `lang` in I18N_SETTINGS, else None."""
        for code, key, value in self.localized:
            if code == lang and key == name:
                return value
        return None

    @classmethod
    def from_pelican(cls, settings: dict) -> "EmailSettings":
        """Read the DIGEST_EMAIL_* settings; raise EmailError if no absolute site URL is known."""
        from digest.settings import public_url

        siteurl = public_url(settings) or settings.get("DIGEST_EMAIL_SITEURL") or ""
        if not is_absolute_http(siteurl):
            shown = f" (it is {siteurl!r})" if siteurl else ""
            raise EmailError(
                "The email edition needs the site's public address for its links and images, "
                f"but neither DIGEST_EMAIL_SITEURL nor SITEURL is an absolute http(s) URL{shown}. "
                'Set DIGEST_EMAIL_SITEURL = "https://your-chapter.example.org" in pelicanconf.py.'
            )
        siteurl = siteurl.rstrip("/")
        try:
            identity = brand(settings)
        except BrandError as exc:
            raise EmailError(str(exc)) from None
        try:
            languages = Languages.from_pelican(settings)
        except LanguageError as exc:
            raise EmailError(str(exc)) from None
        digest_name = settings.get("DIGEST_NAME") or settings.get("SITENAME") or "Digest"
        sender = settings.get("DIGEST_EMAIL_FROM") or f"{digest_name} <digest@{urlsplit(siteurl).hostname}>"
        address = settings.get("DIGEST_EMAIL_ADDRESS")
        if address is None:
            address = settings.get("CHAPTER_ADDRESS") or ""
        unsubscribe = settings.get("DIGEST_EMAIL_UNSUBSCRIBE")
        if unsubscribe is None:
            unsubscribe = DEFAULT_UNSUBSCRIBE
        return cls(
            siteurl=siteurl,
            sitename=settings.get("SITENAME") or digest_name,
            digest_name=digest_name,
            sender=sender,
            address=address,
            unsubscribe=unsubscribe,
            unsubscribe_url=settings.get("DIGEST_EMAIL_UNSUBSCRIBE_URL") or None,
            max_bytes=int(settings.get("DIGEST_EMAIL_MAX_BYTES") or GMAIL_CLIP_BYTES),
            date_format=settings.get("DIGEST_EMAIL_DATE_FORMAT") or "%B %-d, %Y",
            build_siteurl=(
                settings["SITEURL"].rstrip("/")
                if is_absolute_http(settings.get("SITEURL")) and settings["SITEURL"].rstrip("/") != siteurl
                else None
            ),
            brand=identity,
            languages=languages,
            own_section=settings.get("DIGEST_OWN_SECTION") or DEFAULT_OWN_SECTION,
            localized=_localized(settings.get("I18N_SETTINGS")),
        )

    def absolute(self, url: str | None) -> str | None:
        """Make a site-relative path ("digests/images/…", "/digest/…") absolute.

        Absolute http(s) and mailto: URLs pass unchanged; other schemes
        (javascript:, data:, file:, …) are dropped (None)."""
        if url is None:
            return None
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme:
            if parts.scheme in ("http", "https") and parts.netloc:
                if self.build_siteurl and (url + "/").startswith(self.build_siteurl + "/"):
                    return self.siteurl + url[len(self.build_siteurl) :]
                return url
            if parts.scheme == "mailto":
                return url
            return None
        if url.startswith("//"):
            return "https:" + url
        if url.startswith("#") or not url:
            return None  # in-page anchors of the web page mean nothing in an email
        # Site-relative either way: "/digest/" and "digest/" both mean the site root.
        return urljoin(self.siteurl + "/", url.lstrip("/"))


def _localized(i18n_settings) -> tuple[tuple[str, str, str], ...]:
    """The email's reader-facing settings from I18N_SETTINGS ({lang: {setting: value}})."""
    found = []
    for lang, values in (i18n_settings or {}).items():
        if not isinstance(values, dict):
            continue
        for name in LOCALIZED_SETTINGS:
            value = values.get(name)
            if isinstance(value, str):
                found.append((lang, name, value))
    return tuple(found)
