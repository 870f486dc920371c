"""Mail: the message and its validation, the two builders, the log and memory mailers, and the SMTP
mailer against a real SMTP server on loopback (plain, STARTTLS, implicit TLS, login, refusals, stalls).
"""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from reviewlab.errors import InputError, ReviewlabError, SettingsError
from reviewlab.mail import (
    InvalidMail,
    LogMailer,
    Mail,
    Mailer,
    MailError,
    MailTimeout,
    MemoryMailer,
    SmtpMailer,
    invitation_mail,
    mailer_from_settings,
    password_reset_mail,
)
from reviewlab.settings import Settings
from tests._smtp import SmtpServer, TlsPair, self_signed_tls

SENDER = "ReviewLab <noreply@reviewlab.test>"
PASSWORD = "correct horse battery staple"
TOKEN = "a+b/c=d&e?f#g h"  # every character that must be escaped in a query value


@pytest.fixture(scope="module")
def tls() -> TlsPair:
    return self_signed_tls()


def hello(to: str = "alice@example.com") -> Mail:
    return Mail(to=to, subject="Hello", text="First line\n.starts with a dot\nUnicode: café ✓\n")


def plain_mailer(server: SmtpServer, **options: object) -> SmtpMailer:
    return SmtpMailer(server.host, server.port, sender=SENDER, starttls=False, timeout_s=2.0, **options)  # type: ignore[arg-type]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def link_token(text: str, path: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("http"))
    parts = urlsplit(line)
    assert parts.path == path
    return parse_qs(parts.query, strict_parsing=True)["token"][0]


# The message


@pytest.mark.parametrize(
    "address",
    [
        "",
        "alice",
        "alice@",
        "@example.com",
        "alice@@example.com",
        "alice example@example.com",
        "alice@example.com\r\nBcc: eve@example.com",
        "alice@example.com\n",
        "Alice <alice@example.com>",
        "alice@-example.com",
        "alice..bob@example.com",
        "alïce@example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_a_malformed_recipient_is_refused(address: str) -> None:
    with pytest.raises(InvalidMail, match="not a valid mail address"):
        Mail(to=address, subject="Hi", text="body")


@pytest.mark.parametrize("address", ["alice@example.com", "a.b+tag@mail.example.co.uk", "root@localhost"])
def test_plain_addresses_are_accepted(address: str) -> None:
    assert Mail(to=address, subject="Hi", text="body").to == address


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: eve@example.com", "Hi\nthere", "Hi\rthere", "nul\x00", "", "   "])
def test_a_subject_with_a_line_break_control_character_or_nothing_is_refused(subject: str) -> None:
    with pytest.raises(InvalidMail, match="subject"):
        Mail(to="alice@example.com", subject=subject, text="body")


def test_invalid_mail_is_an_input_error_and_a_mail_error_and_mail_is_frozen() -> None:
    assert issubclass(InvalidMail, InputError)
    assert issubclass(InvalidMail, MailError)
    assert issubclass(MailError, ReviewlabError)
    with pytest.raises(dataclasses.FrozenInstanceError):
        hello().to = "eve@example.com"  # type: ignore[misc]


# The builders


def test_the_invitation_links_to_the_accept_page_with_the_token_url_encoded() -> None:
    mail = invitation_mail("bob@example.com", TOKEN, "https://review.example.com/", invited_by="Alice Admin")
    assert (mail.to, mail.subject) == ("bob@example.com", "You are invited to ReviewLab")
    assert "Alice Admin invited you" in mail.text
    assert "https://review.example.com/invitations/accept?token=a%2Bb%2Fc%3Dd%26e%3Ff%23g%20h" in mail.text
    assert link_token(mail.text, "/invitations/accept") == TOKEN


def test_the_password_reset_links_to_the_reset_page_and_says_how_long_it_works() -> None:
    mail = password_reset_mail("bob@example.com", TOKEN, "http://127.0.0.1:8000", ttl=timedelta(minutes=30))
    assert mail.subject == "Reset your ReviewLab password"
    assert "for 30 minutes" in mail.text
    assert "http://127.0.0.1:8000/password-reset?token=a%2Bb%2Fc%3Dd%26e%3Ff%23g%20h" in mail.text
    assert link_token(mail.text, "/password-reset") == TOKEN
    assert "for 1 hour:" in password_reset_mail("b@example.com", "t", "http://x", ttl=timedelta(hours=1)).text
    assert "for 2 days:" in password_reset_mail("b@example.com", "t", "http://x", ttl=timedelta(days=2)).text


def test_an_inviter_name_with_line_breaks_cannot_add_lines_or_headers() -> None:
    mail = invitation_mail("bob@example.com", "t", "http://x", invited_by="Eve\r\nBcc: all@example.com")
    assert mail.subject == "You are invited to ReviewLab"
    assert mail.text.splitlines()[0] == "Eve  Bcc: all@example.com invited you to ReviewLab."


@pytest.mark.parametrize("url", ["review.example.com", "javascript:alert(1)", "https://x?next=/", ""])
def test_a_public_url_that_is_not_http_is_a_settings_error(url: str) -> None:
    with pytest.raises(SettingsError, match="REVIEWLAB_PUBLIC_URL"):
        password_reset_mail("bob@example.com", "t", url, ttl=timedelta(minutes=30))


# The log and memory mailers


def test_the_log_mailer_logs_the_whole_mail_at_info(caplog: pytest.LogCaptureFixture) -> None:
    mail = password_reset_mail("bob@example.com", TOKEN, "http://127.0.0.1:8000", ttl=timedelta(minutes=30))
    with caplog.at_level(logging.INFO, logger="reviewlab.mail"):
        LogMailer().send(mail)
    [record] = caplog.records
    assert (record.name, record.levelno) == ("reviewlab.mail", logging.INFO)
    logged = record.getMessage()
    assert "To: bob@example.com" in logged
    assert "Subject: Reset your ReviewLab password" in logged
    assert mail.text in logged  # the reset link is readable in the development console


def test_the_memory_mailer_keeps_what_was_sent() -> None:
    mailer = MemoryMailer()
    with pytest.raises(LookupError):
        _ = mailer.last
    first, second = hello("a@example.com"), hello("b@example.com")
    for mail in (first, second):
        mailer.send(mail)
    assert mailer.sent == [first, second]
    assert (mailer.last, mailer.to("a@example.com")) == (second, [first])
    mailer.clear()
    assert mailer.sent == []


def test_every_mailer_satisfies_the_protocol(tls: TlsPair) -> None:
    mailers: list[Mailer] = [LogMailer(), MemoryMailer(), SmtpMailer("localhost", sender=SENDER)]
    assert all(callable(mailer.send) for mailer in mailers)


# Choosing a mailer


def test_without_smtp_host_mails_go_to_the_log() -> None:
    assert isinstance(mailer_from_settings(Settings()), LogMailer)


def test_the_log_mailer_outside_development_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(environment="production", jwt_secret_key="j" * 32, csrf_secret_key="c" * 32)
    with caplog.at_level(logging.WARNING, logger="reviewlab.mail"):
        assert isinstance(mailer_from_settings(settings), LogMailer)
    assert "SMTP_HOST is unset with ENVIRONMENT=production" in caplog.text


def test_with_smtp_host_mails_go_through_smtp_as_configured() -> None:
    settings = Settings(
        smtp_host="smtp.example.com",
        smtp_port=587,
        smtp_username="bot",
        smtp_password=SecretStr(PASSWORD),
        smtp_from=SENDER,
    )
    mailer = mailer_from_settings(settings)
    assert isinstance(mailer, SmtpMailer)
    assert (mailer.host, mailer.port, mailer.username, mailer.envelope_sender) == (
        "smtp.example.com",
        587,
        "bot",
        "noreply@reviewlab.test",
    )
    assert (mailer.starttls, mailer.implicit_tls) == (True, False)
    assert PASSWORD not in repr(mailer)
    implicit = mailer_from_settings(Settings(smtp_host="smtp.example.com", smtp_port=465))
    assert isinstance(implicit, SmtpMailer)
    assert (implicit.starttls, implicit.implicit_tls) == (False, True)


def test_credentials_over_a_plaintext_connection_are_refused() -> None:
    with pytest.raises(SettingsError, match="not encrypted"):
        SmtpMailer("smtp.example.com", sender=SENDER, username="bot", password=SecretStr(PASSWORD), starttls=False)


@pytest.mark.parametrize("sender", ["", "nobody", "ReviewLab <not an address>", "a@example.com\r\nBcc: b@x.org"])
def test_a_malformed_sender_is_a_settings_error(sender: str) -> None:
    with pytest.raises(SettingsError, match="SMTP_FROM"):
        SmtpMailer("smtp.example.com", sender=sender)


# SMTP: delivery


def test_a_mail_is_delivered_over_plain_smtp_with_its_headers_and_body_intact() -> None:
    with SmtpServer() as server:
        plain_mailer(server).send(hello())
    [received] = server.received
    assert (received.mail_from, received.rcpt_to, received.user, received.tls) == (
        "noreply@reviewlab.test",
        ("alice@example.com",),
        None,
        False,
    )
    message = received.message()
    assert message["From"] == SENDER
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "Hello"
    assert message["Message-ID"].endswith("@reviewlab.test>")
    assert message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "First line\n.starts with a dot\nUnicode: café ✓\n"
    assert server.verbs() == ["EHLO", "MAIL", "RCPT", "DATA", "QUIT"]


def test_starttls_then_auth_plain_delivers_over_the_encrypted_connection(tls: TlsPair) -> None:
    with SmtpServer(tls=tls.server, users={"bot": PASSWORD}) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            sender=SENDER,
            username="bot",
            password=SecretStr(PASSWORD),
            ssl_context=tls.client,
            timeout_s=2.0,
        )
        mailer.send(hello())
    [received] = server.received
    assert (received.user, received.tls) == ("bot", True)
    assert server.verbs() == ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"]
    assert server.commands[3].startswith("AUTH PLAIN ")
    assert received.message()["Subject"] == "Hello"


def test_auth_login_is_used_when_it_is_the_only_mechanism(tls: TlsPair) -> None:
    with SmtpServer(tls=tls.server, users={"bot": PASSWORD}, auth_mechanisms=("LOGIN",)) as server:
        SmtpMailer(
            server.host,
            server.port,
            sender=SENDER,
            username="bot",
            password=SecretStr(PASSWORD),
            ssl_context=tls.client,
        ).send(hello())
    assert [r.user for r in server.received] == ["bot"]
    assert server.commands[3].startswith("AUTH LOGIN")


def test_implicit_tls_delivers(tls: TlsPair) -> None:
    with SmtpServer(tls=tls.server, implicit_tls=True) as server:
        SmtpMailer(server.host, server.port, sender=SENDER, implicit_tls=True, ssl_context=tls.client).send(hello())
    assert [r.tls for r in server.received] == [True]
    assert "STARTTLS" not in server.verbs()


# SMTP: failures


def test_a_wrong_password_is_a_mail_error_with_the_servers_answer_and_never_the_password(tls: TlsPair) -> None:
    with SmtpServer(tls=tls.server, users={"bot": "another password"}) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            sender=SENDER,
            username="bot",
            password=SecretStr(PASSWORD),
            ssl_context=tls.client,
        )
        with pytest.raises(
            MailError, match=r"refused the login: 535 5\.7\.8 Authentication credentials invalid"
        ) as caught:
            mailer.send(hello())
    assert caught.value.code == 535
    assert caught.value.reply == "5.7.8 Authentication credentials invalid"
    error: BaseException | None = caught.value
    while error is not None:  # nowhere in the chain
        assert PASSWORD not in str(error)
        assert PASSWORD not in repr(error)
        error = error.__cause__ or error.__context__
    assert server.received == []


@pytest.mark.parametrize(
    ("refuse", "message", "code"),
    [
        ({"CONNECT": "554 5.3.2 not accepting mail"}, "refused the connection: 554 5.3.2 not accepting mail", 554),
        ({"MAIL": "553 5.7.1 sender rejected"}, "refused the sender: 553 5.7.1 sender rejected", 553),
        ({"RCPT": "550 5.1.1 no such user here"}, "refused the recipient: 550 5.1.1 no such user here", 550),
        ({"DATA": "554 5.7.0 transaction failed"}, "refused the message: 554 5.7.0 transaction failed", 554),
        ({"RCPT": "452 4.2.2 mailbox full"}, "refused the recipient: 452 4.2.2 mailbox full", 452),
    ],
)
def test_a_refusing_server_is_a_mail_error_naming_the_stage_and_the_answer(
    refuse: dict[str, str], message: str, code: int
) -> None:
    with SmtpServer(refuse=refuse) as server, pytest.raises(MailError, match=re.escape(message)) as caught:
        plain_mailer(server).send(hello())
    assert caught.value.code == code
    assert f"SMTP server 127.0.0.1:{server.port}" in str(caught.value)
    assert server.received == []


def test_a_server_without_starttls_is_refused_before_anything_is_sent_in_plaintext() -> None:
    with SmtpServer() as server:
        mailer = SmtpMailer(server.host, server.port, sender=SENDER, starttls=True, timeout_s=2.0)
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            mailer.send(hello())
    assert server.verbs() == ["EHLO"]  # no MAIL, no DATA


def test_an_untrusted_certificate_is_a_mail_error(tls: TlsPair) -> None:
    with SmtpServer(tls=tls.server) as server:
        mailer = SmtpMailer(server.host, server.port, sender=SENDER, timeout_s=2.0)  # the system's trust store
        with pytest.raises(MailError, match="STARTTLS failed: SSLCertVerificationError"):
            mailer.send(hello())
    assert server.received == []


@pytest.mark.parametrize("stall_at", ["CONNECT", "EHLO", "DATA"])
def test_a_server_that_hangs_is_a_timeout_error_after_the_timeout(stall_at: str) -> None:
    with SmtpServer(stall_at=stall_at) as server:
        mailer = SmtpMailer(server.host, server.port, sender=SENDER, starttls=False, timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(MailTimeout, match=r"did not answer within 0.3 s"):
            mailer.send(hello())
        assert time.monotonic() - started < 2.0
    assert server.received == []


def test_nothing_listening_is_a_mail_error() -> None:
    mailer = SmtpMailer("127.0.0.1", closed_port(), sender=SENDER, starttls=False, timeout_s=2.0)
    with pytest.raises(MailError, match="connect failed: ConnectionRefusedError"):
        mailer.send(hello())
