"""`invoke send-test` against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from digest_email.build import write_issue
from digest_email.cli import send_test
from digest_email.settings import EmailSettings

from tests.test_email_fixtures import make_issue

REPO = Path(__file__).resolve().parent.parent
INVOKE = Path(sys.executable).parent / "invoke"
USER, PASSWORD = "lantern-editor", "s3cret-Pa55-for-tests-only"
WRONG_PASSWORD = "wrong-Pa55-that-must-stay-secret"
REJECTED = "nobody@rejected.example.org"
# The AUTH server runs without TLS on purpose (loopback only); aiosmtpd warns.
no_tls_warning = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


class Inbox:
    """aiosmtpd handler: keeps what it receives, refuses one recipient domain."""

    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@rejected.example.org"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted"


def check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


class LoopbackController(Controller):
    """Controller on 127.0.0.1 port 0: learn the port the OS chose before the
    readiness probe connects to it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture()
def smtp_server():
    inbox = Inbox()
    controller = LoopbackController(inbox, hostname="127.0.0.1", port=0)
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture()
def smtp_auth_server():
    inbox = Inbox()
    controller = LoopbackController(
        inbox, hostname="127.0.0.1", port=0, authenticator=check_login, auth_require_tls=False, auth_required=True
    )
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.fixture()
def project(tmp_path):
    """A copy of the project's entry points with a built issue in its output/."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "tasks.py", root / "tasks.py")
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    (root / "plugins").symlink_to(REPO / "plugins")
    (root / "theme").symlink_to(REPO / "theme")
    (root / "content").mkdir()  # Pelican's settings loader insists on it
    settings = EmailSettings.from_pelican(
        {
            "SITENAME": "Millbrook Chapter",
            "DIGEST_NAME": "The Millbrook Lantern",
            "DIGEST_EMAIL_SITEURL": "https://millbrook.example.org",
            "DIGEST_EMAIL_FROM": "The Millbrook Lantern <lantern@millbrook.example.org>",
        }
    )
    issue = make_issue(4)
    write_issue(issue, settings, root / "output")
    return root, issue


def run_invoke(root: Path, port: int, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    environ.update({"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "0", **env})
    return subprocess.run(
        [str(INVOKE), "send-test", *args], cwd=root, env=environ, capture_output=True, text=True, timeout=60
    )


def test_send_test_delivers_the_issue(project, smtp_server):
    root, issue = project
    inbox, port = smtp_server
    result = run_invoke(root, port, "--month", "2026-10", "--to", "editor@millbrook.example.org")
    assert result.returncode == 0, result.stderr
    assert "Sent" in result.stdout and "editor@millbrook.example.org" in result.stdout
    assert len(inbox.messages) == 1
    rcpts, raw = inbox.messages[0]
    assert rcpts == ["editor@millbrook.example.org"]
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == issue.title
    assert msg["To"] == "editor@millbrook.example.org"
    assert msg["From"] == "The Millbrook Lantern <lantern@millbrook.example.org>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    built = email.message_from_bytes((root / "output/digest/2026-10/issue.eml").read_bytes(), policy=policy.default)
    # A fresh Message-ID per send, the same content.
    assert msg["Message-ID"] != built["Message-ID"]
    assert msg.get_body(("html",)).get_content() == built.get_body(("html",)).get_content()


@no_tls_warning
def test_send_test_with_login(project, smtp_auth_server):
    root, issue = project
    inbox, port = smtp_auth_server
    result = run_invoke(root, port, "--month", "2026-10", "--to", "editor@millbrook.example.org",
                        SMTP_USER=USER, SMTP_PASSWORD=PASSWORD)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert len(inbox.messages) == 1
    msg = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert msg["Subject"] == issue.title


@no_tls_warning
def test_rejected_login_is_clear_and_never_shows_the_password(project, smtp_auth_server):
    root, _ = project
    inbox, port = smtp_auth_server
    result = run_invoke(root, port, "--month", "2026-10", "--to", "editor@millbrook.example.org",
                        SMTP_USER=USER, SMTP_PASSWORD=WRONG_PASSWORD)
    assert result.returncode == 1
    assert "refused the login" in result.stderr and "SMTP_PASSWORD" in result.stderr
    assert USER in result.stderr
    assert WRONG_PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert inbox.messages == []


def test_closed_port_is_a_clear_error(project):
    root, _ = project
    # A socket bound but not listening: connections to it are refused, and no
    # other test can take the port meanwhile.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        result = run_invoke(root, port, "--month", "2026-10", "--to", "editor@millbrook.example.org")
    assert result.returncode == 1
    assert "connection refused" in result.stderr and f"127.0.0.1:{port}" in result.stderr
    assert "SMTP_HOST" in result.stderr and "Traceback" not in result.stderr


def test_rejected_recipient_is_a_clear_error(project, smtp_server):
    root, _ = project
    inbox, port = smtp_server
    result = run_invoke(root, port, "--month", "2026-10", "--to", REJECTED)
    assert result.returncode == 1
    assert "rejected the recipient" in result.stderr and REJECTED in result.stderr
    assert "550" in result.stderr and "No such mailbox" in result.stderr
    assert inbox.messages == []


def test_starttls_required_by_default(project, smtp_server, capsys):
    root, _ = project
    inbox, port = smtp_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMTP_")}
    code = send_test(root, root / "pelicanconf.py", month="2026-10", to="editor@millbrook.example.org",
                     env={**env, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)})
    assert code == 1
    err = capsys.readouterr().err
    assert "does not offer STARTTLS" in err and "SMTP_STARTTLS=0" in err
    assert inbox.messages == []


def test_missing_build_says_to_run_make_build(project, smtp_server, capsys):
    root, _ = project
    _, port = smtp_server
    code = send_test(root, root / "pelicanconf.py", month="2026-09", to="editor@millbrook.example.org",
                     env={"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_STARTTLS": "0"})
    err = capsys.readouterr().err
    assert code == 1
    assert "make build" in err and "digest/2026-09/issue.eml" in err


@pytest.mark.parametrize(
    "options, env, message",
    [
        ({"month": "2026-13", "to": "a@example.org"}, {"SMTP_HOST": "h"}, "YYYY-MM"),
        ({"month": "2026-10", "to": "a@example.org, b@example.org"}, {"SMTP_HOST": "h"}, "not one email address"),
        ({"month": "2026-10", "to": "a@example.org"}, {}, "SMTP_HOST is not set"),
        ({"month": "2026-10", "to": "a@example.org"}, {"SMTP_HOST": "h", "SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"month": "2026-10", "to": "a@example.org"}, {"SMTP_HOST": "h", "SMTP_USER": "u"}, "SMTP_PASSWORD"),
    ],
)
def test_bad_options_and_settings(project, capsys, options, env, message):
    root, _ = project
    code = send_test(root, root / "pelicanconf.py", env=env, **options)
    assert code == 2
    assert message in capsys.readouterr().err
