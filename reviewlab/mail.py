"""Outgoing mail: invitations and password resets, through SMTP or, in development, the log.

The API builds a :class:`Mail` with :func:`invitation_mail` or :func:`password_reset_mail` and hands it
to a :class:`Mailer`; :func:`mailer_from_settings` picks the implementation:

* :class:`SmtpMailer` when ``SMTP_HOST`` is set: ``smtplib`` with STARTTLS (``SMTP_STARTTLS``, on by
  default) or implicit TLS on port 465, login when ``SMTP_USERNAME`` is set (refused over a plaintext
  connection), and a timeout on every network operation (connecting, each command and its answer).
* :class:`LogMailer` otherwise: the whole mail, body included, goes to the ``reviewlab.mail`` logger at
  INFO. That is the development default, where the reset link must be readable in the console; outside
  development :func:`mailer_from_settings` warns that links are being logged instead of sent.
* :class:`MemoryMailer` keeps what was sent, for tests.

Errors::

    ReviewlabError
    └── MailError               a mail could not be sent; ``code`` and ``reply`` are the server's answer
        ├── MailTimeout         the server did not answer within the timeout
        └── InvalidMail         (also an InputError) an address is malformed or a header holds CR/LF

Messages name the server, the stage (connect, STARTTLS, login, sender, recipient, data) and the
server's answer, never the password.

Addresses are plain ASCII ``local@domain`` (internationalised addresses need SMTPUTF8, which the
platform does not use); the sender may carry a display name (``ReviewLab <noreply@example.com>``).
"""

from __future__ import annotations

import contextlib
import logging
import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Protocol, TypeVar
from urllib.parse import quote

from pydantic import SecretStr

from reviewlab.errors import InputError, ReviewlabError, SettingsError
from reviewlab.settings import Environment, Settings

log = logging.getLogger(__name__)

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ADDRESS = 254
MAX_SUBJECT = 255


class MailError(ReviewlabError):
    """A mail could not be sent. ``code`` and ``reply`` hold the SMTP server's answer when it gave one."""

    def __init__(self, message: str, *, code: int | None = None, reply: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reply = reply


class MailTimeout(MailError):
    """The SMTP server did not answer (or could not be reached) within the timeout."""


class InvalidMail(MailError, InputError):
    """A mail cannot be built: a malformed address, or a header with a line break or control character."""


def check_address(address: str) -> str:
    """``address`` when it is a plain ``local@domain`` address; :class:`InvalidMail` otherwise."""
    if len(address) > MAX_ADDRESS or _ADDRESS.fullmatch(address) is None:
        raise InvalidMail(f"not a valid mail address: {address[:80]!r}")
    return address


@dataclass(frozen=True, slots=True)
class Mail:
    """One plain-text mail to one recipient."""

    to: str
    subject: str
    text: str

    def __post_init__(self) -> None:
        check_address(self.to)
        if _CONTROL.search(self.subject):
            raise InvalidMail("the subject must not contain line breaks or control characters")
        if not self.subject.strip() or len(self.subject) > MAX_SUBJECT:
            raise InvalidMail(f"the subject must hold 1 to {MAX_SUBJECT} characters")


class Mailer(Protocol):
    """Where mails go. ``send`` returns once the mail is accepted, or raises :class:`MailError`."""

    def send(self, message: Mail) -> None: ...


class LogMailer:
    """Writes each mail, body included, to the ``reviewlab.mail`` logger at INFO (the development default)."""

    def send(self, message: Mail) -> None:
        log.info(
            "mail not sent (SMTP_HOST is unset), logged instead\nTo: %s\nSubject: %s\n\n%s",
            message.to,
            message.subject,
            message.text,
        )


class MemoryMailer:
    """Keeps every mail in ``sent``, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self.sent: list[Mail] = []
        self._lock = threading.Lock()

    def send(self, message: Mail) -> None:
        with self._lock:
            self.sent.append(message)

    @property
    def last(self) -> Mail:
        """The mail sent last; ``LookupError`` when none was."""
        with self._lock:
            if not self.sent:
                raise LookupError("no mail was sent")
            return self.sent[-1]

    def to(self, address: str) -> list[Mail]:
        """The mails sent to ``address``."""
        with self._lock:
            return [mail for mail in self.sent if mail.to == address]

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()


_T = TypeVar("_T")


class SmtpMailer:
    """Sends through an SMTP server: one connection per mail, TLS and login as configured."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = True,
        implicit_tls: bool = False,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        name, address = parseaddr(sender)
        if sender not in (address, formataddr((name, address))) or _CONTROL.search(sender):
            raise SettingsError(f"SMTP_FROM is not a mail address: {sender[:80]!r}")
        try:
            check_address(address)
        except InvalidMail as err:
            raise SettingsError(f"SMTP_FROM is not a valid mail address: {address[:80]!r}") from err
        if username and not (starttls or implicit_tls):
            raise SettingsError("SMTP_USERNAME is set but the connection is not encrypted: set SMTP_STARTTLS=true")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.host = host
        self.port = port
        self.sender = sender
        self.envelope_sender = address
        self.username = username
        self._password = password
        self.starttls = starttls and not implicit_tls
        self.implicit_tls = implicit_tls
        self.timeout_s = timeout_s
        self._ssl_context = ssl_context if ssl_context is not None else ssl.create_default_context()

    def __repr__(self) -> str:
        return f"SmtpMailer({self.host!r}, {self.port}, sender={self.sender!r}, username={self.username!r})"

    def compose(self, message: Mail) -> EmailMessage:
        """The RFC 5322 message for ``message``: From, To, Subject, Date, Message-ID, a UTF-8 text body."""
        email = EmailMessage(policy=SMTP_POLICY)
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = make_msgid(domain=self.envelope_sender.rpartition("@")[2])
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.text)
        return email

    def send(self, message: Mail) -> None:
        email = self.compose(message)
        smtp = self._step("connect", self._connect)
        try:
            if self.starttls:
                self._step("STARTTLS", lambda: smtp.starttls(context=self._ssl_context))
            if self.username:
                password = self._password.get_secret_value() if self._password else ""
                self._step("login", lambda: smtp.login(self.username or "", password))
            self._step("send", lambda: smtp.send_message(email, self.envelope_sender, [message.to]))
            with contextlib.suppress(smtplib.SMTPException, OSError):  # the mail was accepted; a lost goodbye
                smtp.quit()  # does not unsend it
        finally:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self._ssl_context)
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)

    def _step(self, stage: str, action: Callable[[], _T]) -> _T:
        """Run one stage of the conversation, turning every failure into a :class:`MailError` that says where."""
        where = f"SMTP server {self.host}:{self.port}"
        try:
            return action()
        except smtplib.SMTPRecipientsRefused as err:
            code, raw = next(iter(err.recipients.values()))
            reply = self._redact(raw)
            raise MailError(f"{where} refused the recipient: {code} {reply}", code=code, reply=reply) from err
        except smtplib.SMTPResponseException as err:
            reply = self._redact(err.smtp_error)
            what = _REFUSALS.get(type(err), f"refused the {stage}")
            raise MailError(f"{where} {what}: {err.smtp_code} {reply}", code=err.smtp_code, reply=reply) from err
        except smtplib.SMTPNotSupportedError as err:
            raise MailError(f"{where} does not offer {stage} ({err})") from err
        except smtplib.SMTPServerDisconnected as err:
            if isinstance(err.__context__, TimeoutError):
                raise MailTimeout(f"{where} did not answer within {self.timeout_s:g} s ({stage})") from err
            raise MailError(f"{where} closed the connection during {stage}: {self._redact(str(err))}") from err
        except TimeoutError as err:
            raise MailTimeout(f"{where} did not answer within {self.timeout_s:g} s ({stage})") from err
        except (smtplib.SMTPException, OSError) as err:  # refused connection, DNS, TLS handshake, certificate
            raise MailError(f"{where}: {stage} failed: {type(err).__name__}: {self._redact(str(err))}") from err

    def _redact(self, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        secret = self._password.get_secret_value() if self._password else ""
        return text.replace(secret, "***") if secret else text


_REFUSALS: dict[type[smtplib.SMTPResponseException], str] = {
    smtplib.SMTPConnectError: "refused the connection",
    smtplib.SMTPHeloError: "refused the greeting",
    smtplib.SMTPAuthenticationError: "refused the login",
    smtplib.SMTPSenderRefused: "refused the sender",
    smtplib.SMTPDataError: "refused the message",
}


def mailer_from_settings(settings: Settings) -> Mailer:
    """:class:`SmtpMailer` when ``SMTP_HOST`` is set (implicit TLS on port 465), else :class:`LogMailer`."""
    if not settings.smtp_host:
        if settings.environment is not Environment.DEVELOPMENT:
            log.warning(
                "SMTP_HOST is unset with ENVIRONMENT=%s: mails (with their reset links) go to the log",
                settings.environment.value,
            )
        return LogMailer()
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        implicit_tls=settings.smtp_port == 465,
    )


def invitation_mail(to: str, token: str, public_url: str, invited_by: str) -> Mail:
    """The invitation to ``to``, linking to ``{public_url}/invitations/accept?token=...``."""
    link = _link(public_url, "/invitations/accept", token)
    inviter = _CONTROL.sub(" ", invited_by).strip() or "An administrator"
    text = (
        f"{inviter} invited you to ReviewLab.\n\n"
        f"Accept the invitation and choose your password here:\n\n{link}\n\n"
        "If you did not expect this invitation, ignore this mail.\n"
    )
    return Mail(to=to, subject="You are invited to ReviewLab", text=text)


def password_reset_mail(to: str, token: str, public_url: str, ttl: timedelta) -> Mail:
    """The password reset for ``to``, linking to ``{public_url}/password-reset?token=...``."""
    link = _link(public_url, "/password-reset", token)
    text = (
        "Someone (hopefully you) asked to reset your ReviewLab password.\n\n"
        f"Choose a new password here; the link works once, for {_duration(ttl)}:\n\n{link}\n\n"
        "If you did not ask for this, ignore this mail: your password stays as it is.\n"
    )
    return Mail(to=to, subject="Reset your ReviewLab password", text=text)


def _link(public_url: str, path: str, token: str) -> str:
    if not re.fullmatch(r"https?://[^\s?#]+", public_url):
        raise SettingsError(f"REVIEWLAB_PUBLIC_URL must be an http(s) URL without query: {public_url!r}")
    if not token:
        raise ValueError("the token is empty")
    return f"{public_url.rstrip('/')}{path}?token={quote(token, safe='')}"


def _duration(ttl: timedelta) -> str:
    minutes = max(1, round(ttl.total_seconds() / 60))
    if minutes % 1440 == 0:
        count, unit = minutes // 1440, "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    return f"{count} {unit}{'s' if count != 1 else ''}"
