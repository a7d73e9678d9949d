"""Send a built issue.eml to one address through SMTP (for test sends).

Settings come from the environment, never from files in git: SMTP_HOST,
SMTP_PORT (587; 465 means TLS from the first byte), SMTP_USER,
SMTP_PASSWORD, SMTP_STARTTLS (on unless 0/false/no).

Every failure becomes a SendError whose message says what to check, raised
`from None`: smtplib's own exceptions stay out of tracebacks, and no message
ever carries the password.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, getaddresses, make_msgid
from typing import Mapping

from .errors import SendError, SettingsError

TIMEOUT = 30  # seconds for connecting and for each SMTP reply
# The whole send, however the server paces its bytes: a server that drips its
# banner one byte at a time never trips the per-reply TIMEOUT above.
DEADLINE = 60
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in repr or messages
    starttls: bool = True

    @property
    def implicit_tls(self) -> bool:
        return self.port == 465

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "SmtpSettings":
        host = (env.get("SMTP_HOST") or "").strip()
        if not host:
            raise SettingsError(
                "SMTP_HOST is not set. Set the SMTP_* variables for your mail provider, e.g. "
                "SMTP_HOST=smtp.example.org SMTP_PORT=587 SMTP_USER=you@example.org SMTP_PASSWORD=… "
                "(see docs/editors.md, section “Test sends”)."
            )
        raw_port = (env.get("SMTP_PORT") or "587").strip()
        try:
            port = int(raw_port)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            raise SettingsError(f"SMTP_PORT is {raw_port!r}; it must be a port number such as 587 or 465.") from None
        raw_tls = (env.get("SMTP_STARTTLS") or "1").strip().lower()
        if raw_tls not in _TRUE | _FALSE:
            raise SettingsError(f"SMTP_STARTTLS is {raw_tls!r}; use 1 (the default) or 0.")
        user = env.get("SMTP_USER") or None
        password = env.get("SMTP_PASSWORD") or None
        if user and not password:
            raise SettingsError("SMTP_USER is set but SMTP_PASSWORD is not; set both, or neither.")
        # smtplib sends logins as ASCII only; say so without showing any of the password.
        if user and not _printable_ascii(user):
            raise SettingsError(
                "SMTP_USER has characters other than plain ASCII letters, digits and punctuation "
                "(or a line break); SMTP logins here must be ASCII. Check the variable for a stray character."
            )
        if password and not _printable_ascii(password):
            raise SettingsError(
                "SMTP_PASSWORD has characters other than plain ASCII letters, digits and punctuation "
                "(or a line break); SMTP logins here must be ASCII. Create an ASCII app password "
                "with your mail provider, or check the variable for a stray character."
            )
        return cls(host=host, port=port, user=user, password=password, starttls=raw_tls in _TRUE)


def _printable_ascii(text: str) -> bool:
    return all(" " <= c <= "~" for c in text)


def prepare_message(eml: bytes, to: str) -> EmailMessage:
    """The built message, addressed to `to`, with a fresh Date and Message-ID
    (providers silently drop a message whose Message-ID they have already seen)."""
    msg = BytesParser(policy=policy.SMTP).parsebytes(eml)
    for header in ("To", "Cc", "Bcc", "Date", "Message-ID"):
        del msg[header]
    msg["To"] = to
    msg["Date"] = formatdate(localtime=True)
    sender = getaddresses([str(msg.get("From", ""))])
    domain = sender[0][1].rpartition("@")[2] if sender and "@" in sender[0][1] else None
    msg["Message-ID"] = make_msgid("test", domain=domain)
    return msg


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


class _Watchdog:
    """Closes the client's socket when the deadline passes, from a timer thread:
    a blocked read then fails at once, whatever the server is doing."""

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.client: smtplib.SMTP | None = None
        self.fired = False
        self._timer = threading.Timer(deadline, self._fire)
        self._timer.daemon = True

    def _fire(self) -> None:
        self.fired = True
        sock = getattr(self.client, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        return False


def send(eml: bytes, to: str, smtp: SmtpSettings, *, deadline: float = DEADLINE) -> EmailMessage:
    """Send the message to one address within `deadline` seconds; return what was sent. Raises SendError."""
    started = time.monotonic()
    with _Watchdog(deadline) as watchdog:
        try:
            return _send(eml, to, smtp, watchdog)
        except SendError:
            if watchdog.fired:
                raise SendError(
                    f"The SMTP server at {smtp.host}:{smtp.port} did not finish within {deadline:g} s "
                    f"(stopped after {time.monotonic() - started:.0f} s); it may be overloaded, or not an SMTP "
                    "server. Check SMTP_HOST and SMTP_PORT, or try again later."
                ) from None
            raise


def _send(eml: bytes, to: str, smtp: SmtpSettings, watchdog: _Watchdog) -> EmailMessage:
    msg = prepare_message(eml, to)
    where = f"{smtp.host}:{smtp.port}"
    secret = smtp.password

    def fail(message: str) -> SendError:
        if secret:
            message = message.replace(secret, "********")
        return SendError(message)

    try:
        # Made unconnected, so the watchdog holds the client before the first byte is read.
        if smtp.implicit_tls:
            client = smtplib.SMTP_SSL(timeout=TIMEOUT, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(timeout=TIMEOUT)
        watchdog.client = client
        # What the constructor sets when given the host: the name TLS checks the certificate against.
        client._host = smtp.host
        code, banner = client.connect(smtp.host, smtp.port)
        if code != 220:
            client.close()
            raise smtplib.SMTPConnectError(code, banner)
    except ConnectionRefusedError:
        raise fail(
            f"Could not connect to the SMTP server at {where}: connection refused. "
            "Check SMTP_HOST and SMTP_PORT, and that the server is running."
        ) from None
    except socket.gaierror:
        raise fail(f"Could not find the SMTP server {smtp.host!r}. Check SMTP_HOST.") from None
    except (TimeoutError, socket.timeout):
        raise fail(f"The SMTP server at {where} did not answer within {TIMEOUT} s. Check SMTP_HOST and SMTP_PORT.") from None
    except ssl.SSLError as exc:
        raise fail(f"TLS with the SMTP server at {where} failed ({exc.reason}). Is 465 the right SMTP_PORT?") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise fail(f"Could not connect to the SMTP server at {where}: {exc}.") from None

    try:
        with client:
            client.ehlo()
            if smtp.starttls and not smtp.implicit_tls:
                if not client.has_extn("starttls"):
                    raise fail(
                        f"The SMTP server at {where} does not offer STARTTLS, so the password would be sent "
                        "unencrypted. Use the provider's submission port (587), or set SMTP_STARTTLS=0 only "
                        "for a test server on your own machine."
                    )
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if smtp.user:
                try:
                    client.login(smtp.user, smtp.password or "")
                except smtplib.SMTPAuthenticationError as exc:
                    raise fail(
                        f"The SMTP server at {where} refused the login for {smtp.user!r} ({_reply(exc)}). "
                        "Check SMTP_USER and SMTP_PASSWORD."
                    ) from None
                except smtplib.SMTPNotSupportedError:
                    raise fail(
                        f"The SMTP server at {where} does not accept logins here. "
                        "Unset SMTP_USER, or turn on STARTTLS (SMTP_STARTTLS=1) if the server requires it first."
                    ) from None
            try:
                client.send_message(msg, to_addrs=[to])
            except smtplib.SMTPRecipientsRefused as exc:
                replies = "; ".join(
                    f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
                    for code, text in exc.recipients.values()
                )
                raise fail(f"The SMTP server at {where} rejected the recipient {to!r} ({replies}). Check --to.") from None
            except smtplib.SMTPSenderRefused as exc:
                raise fail(
                    f"The SMTP server at {where} refused the sender {msg['From']!s} ({_reply(exc)}). "
                    "Set DIGEST_EMAIL_FROM to an address this account may send from."
                ) from None
            except smtplib.SMTPDataError as exc:
                raise fail(f"The SMTP server at {where} refused the message ({_reply(exc)}).") from None
    except SendError:
        raise
    except ssl.SSLError as exc:
        raise fail(f"STARTTLS with the SMTP server at {where} failed ({exc.reason}).") from None
    except smtplib.SMTPServerDisconnected:
        raise fail(f"The SMTP server at {where} closed the connection unexpectedly.") from None
    except smtplib.SMTPResponseException as exc:
        raise fail(f"The SMTP server at {where} answered with an error ({_reply(exc)}).") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise fail(f"Sending through the SMTP server at {where} failed: {exc}.") from None
    except UnicodeError:
        # Never the exception's text: it would quote the character (of the password, say).
        raise fail(f"The SMTP server at {where} could not be given a value that is not ASCII; "
                   "check SMTP_USER, SMTP_PASSWORD and --to.") from None
    return msg
