"""issue.eml parsed back with the standard email package."""

from __future__ import annotations

import email
from email import policy
from email.utils import parsedate_to_datetime

import pytest

from digest_email.build import render_issue, write_issue
from digest_email.errors import EmailError
from digest_email.settings import EmailSettings

from tests.test_email_fixtures import make_issue

CONF = {
    "SITENAME": "Millbrook Chapter",
    "DIGEST_NAME": "The Millbrook Lantern",
    "DIGEST_EMAIL_SITEURL": "https://millbrook.example.org",
    "DIGEST_EMAIL_FROM": "The Millbrook Lantern <lantern@millbrook.example.org>",
}


@pytest.fixture()
def built(tmp_path):
    issue = make_issue(5)
    issue.title = "The Millbrook Lantern — Octobre | Issue 7 «special»"  # non-ASCII subject
    folder = write_issue(issue, EmailSettings.from_pelican(CONF), tmp_path)
    return issue, folder


def test_multipart_alternative_text_first_then_html(built):
    issue, folder = built
    raw = (folder / "issue.eml").read_bytes()
    assert b"\r\n" in raw and max(len(line) for line in raw.split(b"\r\n")) <= 78
    raw.decode("ascii")  # 7-bit clean: quoted-printable parts, encoded headers
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert parts[0].get_content().replace("\r\n", "\n") == (folder / "email.txt").read_text(encoding="utf-8")
    assert parts[1].get_content().replace("\r\n", "\n") == (folder / "email.html").read_text(encoding="utf-8")


def test_headers(built):
    issue, folder = built
    msg = email.message_from_bytes((folder / "issue.eml").read_bytes(), policy=policy.default)
    assert msg["Subject"] == issue.title
    assert msg["From"] == CONF["DIGEST_EMAIL_FROM"]
    assert msg["From"].addresses[0].addr_spec == "lantern@millbrook.example.org"
    assert parsedate_to_datetime(msg["Date"]) == issue.date
    assert msg["Message-ID"].startswith("<digest-2026-10.") and msg["Message-ID"].endswith("@millbrook.example.org>")
    assert msg["MIME-Version"] == "1.0"
    assert msg["To"] is None  # a sending tool or `invoke send-test` addresses it


def test_rebuild_is_byte_identical_and_changes_with_content(tmp_path):
    s = EmailSettings.from_pelican(CONF)
    a = render_issue(make_issue(4), s).eml
    b = render_issue(make_issue(4), s).eml
    assert a == b
    changed = make_issue(4)
    changed.items[0].title = "A different title"
    c = render_issue(changed, s).eml
    id_of = lambda raw: email.message_from_bytes(raw, policy=policy.default)["Message-ID"]
    assert id_of(a) != id_of(c)


@pytest.mark.parametrize("sender", ["not an address", "a@example.org, b@example.org"])
def test_bad_from_setting_is_a_clear_error(sender):
    s = EmailSettings.from_pelican({**CONF, "DIGEST_EMAIL_FROM": sender})
    with pytest.raises(EmailError, match="DIGEST_EMAIL_FROM"):
        render_issue(make_issue(1), s)


def test_default_from_uses_digest_name_and_site_host():
    s = EmailSettings.from_pelican({k: v for k, v in CONF.items() if k != "DIGEST_EMAIL_FROM"})
    msg = email.message_from_bytes(render_issue(make_issue(1), s).eml, policy=policy.default)
    assert msg["From"] == "The Millbrook Lantern <digest@millbrook.example.org>"


def test_line_breaks_in_the_title_cannot_inject_headers():
    issue = make_issue(1)
    issue.title = "The Lantern\r\nBcc: everyone@example.org"
    raw = render_issue(issue, EmailSettings.from_pelican(CONF)).eml
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Bcc"] is None
    assert msg["Subject"] == "The Lantern Bcc: everyone@example.org"
