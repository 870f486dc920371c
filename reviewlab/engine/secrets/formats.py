"""Known token formats: provider prefixes, private key blocks, JWTs, AWS key pairs and URL passwords.

Each format is precise enough to report on its own. Stand-ins are skipped: a token whose random
part is a placeholder (``ghp_xxxx...``, AWS's ``...EXAMPLE`` keys), a private key block without a
body, a JWT whose parts do not decode, a URL whose password is a template or a well-known default
or which points at a loopback or documentation host. A URL password is ``random`` only when it
looks generated: ``scott:tiger`` in a docstring is an example, in a config file a credential.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from reviewlab.engine.secrets.assigned import looks_random
from reviewlab.engine.secrets.base import Secret, is_placeholder, is_sequential, shannon_entropy


@dataclass(frozen=True, slots=True)
class TokenFormat:
    """A provider's token: a pattern matching the token, and how many of its leading bytes are public.

    ``marker``, when set, is a literal every token holds: a file without it is not searched (for a
    pattern that does not start with a literal, which the regex engine finds fast on its own).
    """

    kind: str
    pattern: re.Pattern[bytes]
    shown: int
    marker: bytes = b""


def _format(kind: str, pattern: bytes, shown: int, marker: bytes = b"") -> TokenFormat:
    return TokenFormat(kind, re.compile(pattern), shown, marker)


# Each pattern starts with a literal, the word boundary before it is checked in code, and the
# negative lookahead keeps a longer run of token characters from matching.
TOKEN_FORMATS = (
    _format("GitHub token", rb"gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", 4),
    _format("GitHub fine-grained token", rb"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9_])", 11),
    _format("GitLab token", rb"glpat-[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])", 6),
    _format("Slack token", rb"xox[baprs]-[0-9]+-[A-Za-z0-9-]{16,}(?![A-Za-z0-9-])", 5),
    _format(
        "Slack webhook URL",
        rb"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Za-z0-9/_-]{20,}",
        24,
    ),
    _format("Stripe live key", rb"[sr]k_live_[A-Za-z0-9]{20,247}(?![A-Za-z0-9_])", 8, b"k_live_"),
    _format("Google API key", rb"AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])", 4),
    _format("Anthropic API key", rb"sk-ant-[a-z]{3,8}[0-9]{2}-[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])", 7),
    _format(
        "OpenAI API key",
        rb"sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{32,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}|[A-Za-z0-9]{48})"
        rb"(?![A-Za-z0-9_-])",
        3,
    ),
    _format("npm token", rb"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])", 4),
    _format("PyPI token", rb"pypi-AgE[A-Za-z0-9_-]{50,}(?![A-Za-z0-9_-])", 5),
    _format("Twilio API key", rb"SK[0-9a-fA-F]{32}(?![A-Za-z0-9_])", 2),
    _format("SendGrid API key", rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])", 3),
    _format("AWS access key id", rb"A(?:KIA|SIA)[A-Z2-7]{16}(?![A-Za-z0-9_])", 4),
)
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")

_PRIVATE_KEY = re.compile(rb"-----BEGIN (?P<label>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----")
_MAX_KEY_BYTES = 64 * 1024
_BASE64_CHARS = re.compile(rb"[A-Za-z0-9+/=]")
_KEY_NOISE = re.compile(rb"\\[nr]|\s|[\"',+]|^[A-Za-z-]+: .*$", re.MULTILINE)

_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_.-])")

# From "://" (the scheme before it is checked in code): user, password, host.
_URL_PASSWORD = re.compile(
    rb"://(?P<user>[^\s:/@\"'`<>{}\[\]()]{1,128}):(?P<s>[^\s/@\"'`<>]{1,256})"
    rb"@(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)"
)
_DEFAULT_PASSWORDS = frozenset(
    {"admin", "guest", "mysql", "pass", "passwd", "password", "postgres", "redis", "root", "secret", "tiger", "user"}
)
_LOCAL_HOST = re.compile(
    r"(?i)^(localhost|127(\.\d+){3}|0\.0\.0\.0|\[::1?\]|host|hostname|server|"
    r"([a-z0-9-]+\.)*(example|test|invalid|localhost|local)|([a-z0-9-]+\.)*example\.(com|org|net))$"
)

_AWS_SECRET = re.compile(rb"(?<![A-Za-z0-9/+])(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
_AWS_SECRET_KEY_NAME = re.compile(rb"(?i)(aws.?secret|secret.?access.?key)")
_AWS_SECRET_MARKERS = (b"ecret_access", b"ecretAccess", b"ECRET_ACCESS", b"ws_secret", b"WS_SECRET", b"ecret-access")
_AWS_PAIR_LINES = 5


def known_secrets(source: bytes) -> list[Secret]:
    """Every token of a known format in ``source``, in order of position."""
    found: list[Secret] = []
    for token in TOKEN_FORMATS:
        if token.marker and token.marker not in source:
            continue
        for match in token.pattern.finditer(source):
            value = match.group().decode("ascii")
            if _starts_word(source, match.start()) and _plausible_token(value[token.shown :]):
                found.append(Secret(token.kind, match.start(), match.end(), token.shown))
    if b"PRIVATE KEY" in source:
        found.extend(_private_keys(source))
    if b"eyJ" in source:
        found.extend(_jwts(source))
    if b"@" in source and b"://" in source:
        found.extend(_url_passwords(source))
    key_ids = [s for s in found if s.kind == "AWS access key id"]
    if key_ids or any(marker in source for marker in _AWS_SECRET_MARKERS):
        found.extend(_aws_secret_keys(source, key_ids))
    return _without_overlaps(found)


def _starts_word(source: bytes, start: int) -> bool:
    return start == 0 or source[start - 1] not in _WORD_BYTES


def _plausible_token(random_part: str) -> bool:
    return not is_placeholder(random_part) and not is_sequential(random_part) and shannon_entropy(random_part) >= 2.5


def _private_keys(source: bytes) -> Iterator[Secret]:
    for match in _PRIVATE_KEY.finditer(source):
        end_marker = b"-----END " + match.group("label") + b"-----"
        end = source.find(end_marker, match.end(), match.end() + _MAX_KEY_BYTES)
        if end == -1:
            continue
        body = _KEY_NOISE.sub(b"", source[match.end() : end])
        if len(body) < 64 or len(_BASE64_CHARS.findall(body)) < len(body) or shannon_entropy(body.decode()) < 4.0:
            continue  # no body, or a stand-in such as "MIIE...snip..." or "AAAA..."
        yield Secret("private key", match.start(), end + len(end_marker), match.end() - match.start())


def _jwts(source: bytes) -> Iterator[Secret]:
    for match in _JWT.finditer(source):
        header, payload, _ = match.group().split(b".")
        decoded_header = _json_object(header)
        if not _starts_word(source, match.start()) or decoded_header is None or "alg" not in decoded_header:
            continue
        if _json_object(payload) is not None:
            yield Secret("JSON Web Token", match.start(), match.end(), 3)


def _json_object(part: bytes) -> dict[str, object] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _url_passwords(source: bytes) -> Iterator[Secret]:
    for match in _URL_PASSWORD.finditer(source):
        if match.start() == 0 or not source[match.start() - 1 : match.start()].isalnum():
            continue  # no scheme
        user = match.group("user").decode("utf-8", "replace")
        password = match.group("s").decode("utf-8", "replace")
        host = match.group("host").decode("utf-8", "replace").rstrip(".")
        if _LOCAL_HOST.match(host) or not _plausible_url_password(user, password):
            continue
        yield Secret("password in a URL", match.start("s"), match.end("s"), 0, random=looks_random(password))


def _plausible_url_password(user: str, password: str) -> bool:
    if len(password) < 4 or password.lower() in _DEFAULT_PASSWORDS or password == user:
        return False
    if password.isdigit() and len(password) <= 5:
        return False  # host:port, not user:password
    if password[0] in "$%{<*:" or "${" in password or "{{" in password:
        return False  # templates: ${DB_PASSWORD}, {{ password }}, %(password)s, <password>
    return not is_placeholder(password)


def _aws_secret_keys(source: bytes, key_ids: list[Secret]) -> Iterator[Secret]:
    for match in _AWS_SECRET.finditer(source):
        value = match.group("s").decode("ascii")
        if not (
            any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)
        ):
            continue  # hex digests and words, not 40 random base64 characters
        if shannon_entropy(value) < 4.0 or is_placeholder(value):
            continue
        line_start = source.rfind(b"\n", 0, match.start()) + 1
        named = _AWS_SECRET_KEY_NAME.search(source, line_start, match.start()) is not None
        if named or any(_lines_between(source, k.start, match.start()) <= _AWS_PAIR_LINES for k in key_ids):
            yield Secret("AWS secret access key", match.start("s"), match.end("s"), 0)


def _lines_between(source: bytes, a: int, b: int) -> int:
    low, high = min(a, b), max(a, b)
    return source.count(b"\n", low, high)


def _without_overlaps(found: list[Secret]) -> list[Secret]:
    """The secrets by position; of overlapping ones the one that starts first (then the longest) wins."""
    kept: list[Secret] = []
    for secret in sorted(found, key=lambda s: (s.start, -s.end)):
        if kept and kept[-1].overlaps(secret.start, secret.end):
            continue
        kept.append(secret)
    return kept
