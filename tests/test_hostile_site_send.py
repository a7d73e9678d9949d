"""Issue 9, `invoke send-test`: one overall deadline, no password in any
message, --to on one line, --month within 1900-2999; never a traceback."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from digest_email.errors import SendError, SettingsError
from digest_email.send import SmtpSettings, send

from tests.test_email_send import project, run_invoke  # noqa: F401 - the built-issue fixture

NON_ASCII_PASSWORD = "pässwörd-ßecret"


@pytest.fixture()
def dripping_server():
    """An "SMTP server" on loopback that sends its banner one byte every 0.2 s, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            accepted.append(conn)
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    def drip(conn):
        banner = b"220 slow.example.org ESMTP " + b"." * 10_000
        for byte in banner:
            if stop.is_set():
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for conn in accepted:
            conn.close()


def test_a_dripping_banner_is_cut_off_at_the_deadline(project, dripping_server):  # noqa: F811
    root, _ = project
    port, accepted = dripping_server
    eml = (root / "output/digest/2026-10/issue.eml").read_bytes()
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=False)
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        send(eml, "editor@millbrook.example.org", smtp, deadline=2)
    elapsed = time.monotonic() - started
    assert accepted, "the client never connected"
    assert "did not finish within 2 s" in str(caught.value) and f"127.0.0.1:{port}" in str(caught.value)
    # Each byte arrives well inside the 30 s per-reply timeout: without the
    # deadline this would run for the 10,000 bytes' 33 minutes. Generous margin.
    assert elapsed < 25, elapsed


def test_non_ascii_password_is_refused_without_showing_any_of_it(project):  # noqa: F811
    root, _ = project
    with pytest.raises(SettingsError) as caught:
        SmtpSettings.from_env({"SMTP_HOST": "h", "SMTP_USER": "u", "SMTP_PASSWORD": NON_ASCII_PASSWORD})
    assert "SMTP_PASSWORD" in str(caught.value)
    result = run_invoke(root, 1, "--month", "2026-10", "--to", "editor@millbrook.example.org",
                        SMTP_USER="lantern-editor", SMTP_PASSWORD=NON_ASCII_PASSWORD)
    shown = result.stdout + result.stderr
    assert result.returncode == 2, shown
    assert "SMTP_PASSWORD" in shown and "ASCII" in shown
    assert "Traceback" not in shown
    for char in set(NON_ASCII_PASSWORD) - set(" -"):
        if not char.isascii():
            assert char not in shown, char
    # Not even a part of it: no four characters of the password in a row.
    assert not any(NON_ASCII_PASSWORD[i:i + 4] in shown for i in range(len(NON_ASCII_PASSWORD) - 3))


@pytest.mark.parametrize("to", ["editor@millbrook.example.org\nBcc: everyone@example.org",
                                "editor@millbrook.example.org\r\n", "edi\ttor@millbrook.example.org"])
def test_to_must_be_one_address_on_one_line(project, to):  # noqa: F811
    root, _ = project
    result = run_invoke(root, 1, "--month", "2026-10", "--to", to)
    assert result.returncode == 2
    assert "--to must be one address on one line" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("month", ["9999-12", "1899-12", "3000-01", "0000-01"])
def test_month_outside_1900_to_2999_is_bad_usage(project, month):  # noqa: F811
    root, _ = project
    result = run_invoke(root, 1, "--month", month, "--to", "editor@millbrook.example.org")
    assert result.returncode == 2
    assert "between 1900 and 2999" in result.stderr
    assert "Traceback" not in result.stderr
