"""A small SMTP server on loopback for tests: real sockets, real protocol, scripted refusals and stalls.

It speaks enough of RFC 5321 for ``smtplib``: EHLO/HELO, STARTTLS, AUTH PLAIN and LOGIN, MAIL FROM,
RCPT TO, DATA (with dot-unstuffing), RSET, NOOP and QUIT, and keeps every accepted message::

    with SmtpServer(users={"bot": "s3cret"}, tls=server_context) as server:
        ...  # send to server.host, server.port
        assert server.received[0].message()["Subject"] == "Hi"

``refuse={"RCPT": "550 5.1.1 no such user"}`` answers that verb with that reply (``"CONNECT"`` is the
greeting); ``stall_at="DATA"`` stops answering at that verb (``"CONNECT"``: never greets) and waits
for the client to give up.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import socket
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from types import TracebackType

SERVER_TIMEOUT_S = 10.0  # a conversation the client abandons without closing ends after this


@dataclass(frozen=True)
class Received:
    """One accepted message: envelope, raw data, who logged in, and whether the connection was encrypted."""

    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes
    user: str | None
    tls: bool

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data.replace(b"\r\n", b"\n"), policy=default)  # wire CRLF to lines
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpServer:
    """A threaded SMTP server on 127.0.0.1 and a free port; a context manager that starts and stops it."""

    def __init__(
        self,
        *,
        users: Mapping[str, str] | None = None,
        auth_mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"),
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        refuse: Mapping[str, str] | None = None,
        stall_at: str | None = None,
    ) -> None:
        self.users = dict(users or {})
        self.auth_mechanisms = auth_mechanisms
        self.tls = tls
        self.implicit_tls = implicit_tls
        self.refuse = {verb.upper(): reply for verb, reply in (refuse or {}).items()}
        self.stall_at = stall_at.upper() if stall_at else None
        self.received: list[Received] = []
        self.commands: list[str] = []  # every command line, as received (AUTH lines included)
        self._lock = threading.Lock()
        self._server = _TcpServer(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self.host, self.port = self._server.server_address[:2]

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()  # joins the conversation threads

    def verbs(self) -> list[str]:
        with self._lock:
            return [line.split(" ", 1)[0].upper() for line in self.commands]

    def record(self, command: str | None = None, received: Received | None = None) -> None:
        with self._lock:
            if command is not None:
                self.commands.append(command)
            if received is not None:
                self.received.append(received)


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    owner: SmtpServer


class _Handler(socketserver.BaseRequestHandler):
    server: _TcpServer

    def handle(self) -> None:
        session = _Session(self.server.owner, self.request)
        try:
            session.run()
        except OSError:
            pass  # the client went away (or timed out and closed): the conversation is over
        finally:
            session.close()


class _Session:
    def __init__(self, owner: SmtpServer, sock: socket.socket) -> None:
        self.owner = owner
        sock.settimeout(SERVER_TIMEOUT_S)
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.tls = False
        self.user: str | None = None
        self.mail_from: str | None = None
        self.rcpt_to: list[str] = []

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def reply(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self) -> str | None:
        raw = self.reader.readline(8192)
        return raw.decode("utf-8", "replace").rstrip("\r\n") if raw else None

    def stall(self) -> None:
        while self.sock.recv(4096):
            pass

    def upgrade(self) -> None:
        assert self.owner.tls is not None
        self.reader.close()
        self.sock = self.owner.tls.wrap_socket(self.sock, server_side=True)
        self.reader = self.sock.makefile("rb")
        self.tls = True
        self.user, self.mail_from, self.rcpt_to = None, None, []

    def run(self) -> None:
        if self.owner.implicit_tls:
            self.upgrade()
        if self.owner.stall_at == "CONNECT":
            return self.stall()
        if "CONNECT" in self.owner.refuse:
            return self.reply(self.owner.refuse["CONNECT"])
        self.reply("220 localhost ESMTP test server")
        while (line := self.readline()) is not None:
            self.owner.record(command=line)
            verb, _, argument = line.partition(" ")
            verb = verb.upper()
            if verb == self.owner.stall_at:
                return self.stall()
            if verb in self.owner.refuse:
                self.reply(self.owner.refuse[verb])
                continue
            if verb == "QUIT":
                return self.reply("221 2.0.0 bye")
            answer = getattr(self, f"on_{verb.lower()}", None)
            if answer is None:
                self.reply("502 5.5.2 command not recognised")
            else:
                answer(argument)
        return None

    def on_ehlo(self, argument: str) -> None:
        extensions = ["8BITMIME", "SIZE 10485760"]
        if self.owner.tls is not None and not self.tls:
            extensions.append("STARTTLS")
        if self.owner.users and (self.tls or self.owner.tls is None):  # AUTH only once encrypted, as real servers do
            extensions.append("AUTH " + " ".join(self.owner.auth_mechanisms))
        lines = ["localhost greets " + argument, *extensions]
        for line in lines[:-1]:
            self.reply("250-" + line)
        self.reply("250 " + lines[-1])

    def on_helo(self, argument: str) -> None:
        self.reply("250 localhost")

    def on_noop(self, argument: str) -> None:
        self.reply("250 2.0.0 ok")

    def on_rset(self, argument: str) -> None:
        self.mail_from, self.rcpt_to = None, []
        self.reply("250 2.0.0 ok")

    def on_starttls(self, argument: str) -> None:
        if self.owner.tls is None or self.tls:
            return self.reply("502 5.5.1 STARTTLS not available")
        self.reply("220 2.0.0 ready to start TLS")
        return self.upgrade()

    def on_auth(self, argument: str) -> None:
        mechanism, _, initial = argument.partition(" ")
        mechanism = mechanism.upper()
        if not self.owner.users or mechanism not in self.owner.auth_mechanisms:
            return self.reply("504 5.5.4 mechanism not supported")
        try:
            if mechanism == "PLAIN":
                _, user, password = self.decode(initial or self.challenge("")).split("\0")
            else:
                user = self.decode(initial or self.challenge("VXNlcm5hbWU6"))
                password = self.decode(self.challenge("UGFzc3dvcmQ6"))
        except (ValueError, binascii.Error):
            return self.reply("501 5.5.2 cannot decode the response")
        if self.owner.users.get(user) != password:
            return self.reply("535 5.7.8 Authentication credentials invalid")
        self.user = user
        return self.reply("235 2.7.0 Authentication successful")

    def challenge(self, prompt: str) -> str:
        self.reply(f"334 {prompt}")
        return self.readline() or ""

    @staticmethod
    def decode(value: str) -> str:
        return base64.b64decode(value, validate=True).decode()

    def on_mail(self, argument: str) -> None:
        if self.owner.users and self.user is None:
            return self.reply("530 5.7.0 Authentication required")
        if not argument.upper().startswith("FROM:"):
            return self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
        self.mail_from = _address(argument[5:])
        self.rcpt_to = []
        return self.reply("250 2.1.0 sender ok")

    def on_rcpt(self, argument: str) -> None:
        if self.mail_from is None:
            return self.reply("503 5.5.1 need MAIL first")
        if not argument.upper().startswith("TO:"):
            return self.reply("501 5.5.4 syntax: RCPT TO:<address>")
        self.rcpt_to.append(_address(argument[3:]))
        return self.reply("250 2.1.5 recipient ok")

    def on_data(self, argument: str) -> None:
        if self.mail_from is None or not self.rcpt_to:
            return self.reply("503 5.5.1 need RCPT first")
        self.reply("354 end data with <CR><LF>.<CR><LF>")
        lines = []
        while (raw := self.reader.readline(65536)) not in (b".\r\n", b""):
            lines.append(raw[1:] if raw.startswith(b".") else raw)
        received = Received(self.mail_from, tuple(self.rcpt_to), b"".join(lines), self.user, self.tls)
        self.owner.record(received=received)
        self.mail_from, self.rcpt_to = None, []
        return self.reply("250 2.0.0 queued")


def _address(argument: str) -> str:
    return argument.strip().split(" ", 1)[0].strip("<>")


@dataclass(frozen=True)
class TlsPair:
    """A self-signed certificate for 127.0.0.1 and localhost: the server's context and a client's that trusts it."""

    server: ssl.SSLContext
    client: ssl.SSLContext


def self_signed_tls() -> TlsPair:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_file.write_bytes(cert_pem)
        key_file.write_bytes(key_pem)
        server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=cert_pem.decode())
    return TlsPair(server, client)
