"""Values assigned to secret-like keys, and whether they look random.

``password: ...``, ``API_KEY=...``, ``"client_secret": "..."``, ``<password>...</password>``,
``ENV TOKEN ...`` in a Dockerfile, ``password ...`` in a ``.netrc``: every such value that is not a
template (``${DB_PASSWORD}``, ``{{ token }}``), a path, a URL, a number or a label is a candidate,
and is redacted. ``random`` is the stricter judgement the generic secret rule reports on: not a
stand-in (``changeme``, ``xxxx``, ``your-key``), long enough, a mix of character classes, and a
Shannon entropy close to that of generated data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from reviewlab.engine.secrets.base import Secret, is_placeholder, is_sequential, shannon_entropy

# Every secret-like key ends with one of these (see ``is_secret_key``).
_HINT_WORDS = (b"pass", b"pwd", b"secret", b"token", b"key")
_KEY = rb"(?P<key>[A-Za-z_][A-Za-z0-9_.-]{0,127})"
_ASSIGNED = re.compile(
    rb"(?<![A-Za-z0-9_.-])[\"']?" + _KEY + rb"[\"']?[ \t]*(?::=|=>|[:=])[ \t]*"
    rb"(?:(?P<q>[\"'`])(?P<quoted>[^\"'`\r\n]{1,512})(?P=q)|(?P<bare>[^\s\"'`]{1,512})(?=[ \t]*(?:[#;].*)?\r?$))",
    re.MULTILINE,
)
_XML_ELEMENT = re.compile(rb"<" + _KEY + rb">(?P<bare>[^<\s]{1,512})</(?P=key)>")
_XML_KEY_VALUE = re.compile(
    rb"\b(?:key|name)[ \t]*=[ \t]*\"" + _KEY + rb"\"[ \t]+value[ \t]*=[ \t]*\"(?P<quoted>[^\"\r\n]{1,512})\""
)
_DOCKER_ENV = re.compile(rb"^[ \t]*(?:ENV|ARG)[ \t]+" + _KEY + rb"[ \t]+(?P<bare>[^\s\"'=]{1,512})[ \t]*\r?$", re.M)
_NETRC = re.compile(rb"\bpassword[ \t]+(?P<key>)(?P<bare>\S{1,512})")

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "pass", "pwd", "secret", "token", "apikey"})
_KEY_QUALIFIERS = frozenset(
    {"api", "secret", "private", "access", "client", "encryption", "signing", "master", "auth", "app", "hmac"}
)
_NOT_SECRET_TOKENS = frozenset({"page", "next", "prev", "previous", "cursor", "continuation", "sync", "cancel"})
_LABEL_WORDS = frozenset(
    {"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "key", "api", "apikey", "auth", "x"}
    | {"authorization", "bearer", "basic", "header", "field", "name", "user", "username", "id", "env", "access"}
    | {"refresh", "client", "private", "public", "session", "csrf", "value", "credentials", "credential", "app"}
    | {"none", "null", "nil", "true", "false", "yes", "no", "on", "off", "required", "optional", "string"}
)
_TEMPLATE = re.compile(
    r"^\$[A-Za-z_{(]|^%[A-Za-z_]\w*%$|^@[\w.-]+@$|^<[^>]*>$|^!|\$\{|\{\{|\{%|#\{|%\(|%s|\$\(|"
    r"^ENC\(|^vault:|^arn:|^(?:sha\d+|md5)[-:$]|^\$2[aby]\$|://"
)
_PATH = re.compile(r"^(?:\.{0,2}/|~/|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|jks|json|txt|ya?ml|env|gpg)$")
_HEX = re.compile(r"[0-9a-fA-F]+")
_SYMBOL = re.compile(r"[^A-Za-z0-9]")
_WORDISH = re.compile(r"[A-Z]?[a-z]{4,}|[A-Z]{4,}(?![a-z])")


def key_words(key: str) -> list[str]:
    """``db.userPassword`` -> ``['db', 'user', 'password']``."""
    return [w.lower() for w in _WORD.findall(key)]


def is_secret_key(key: str) -> bool:
    """A key whose value is a secret: ``password``, ``DB_PASSWORD``, ``client_secret``, ``_authToken``, ``api-key``.

    The secret word must come last: ``password_file``, ``token_url`` and ``password_hash`` name something else.
    """
    words = [w for w in key_words(key) if not w.isdigit()]
    if not words:
        return False
    last = words[-1]
    if last == "token" and len(words) > 1 and words[-2] in _NOT_SECRET_TOKENS:
        return False
    if last in _SECRET_WORDS:
        return True
    return last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS


def is_candidate(value: str, key: str) -> bool:
    """A value that may be the secret itself, not a template, path, URL, number, switch or label.

    Deliberately loose: every candidate is redacted from reports; only ``looks_random`` ones are reported.
    """
    if len(value) < 4 or any(c.isspace() for c in value) or not any(c.isalnum() for c in value):
        return False
    if _TEMPLATE.search(value) or _PATH.search(value):
        return False
    if value.isdigit() and len(value) <= 5:
        return False  # ports, counts, lengths
    words = key_words(value)
    return not (words and all(w in _LABEL_WORDS for w in words)) and value.lower() != key.lower()


def looks_random(value: str) -> bool:
    """Generated rather than chosen: long enough, mixed characters, entropy near the maximum for its length."""
    length = len(value)
    if is_placeholder(value) or is_sequential(value):
        return False
    if _HEX.fullmatch(value):
        # hex keys (secrets.token_hex) use 16 symbols: up to 4 bits per character
        return length >= 16 and not value.isdigit() and not value.isalpha() and shannon_entropy(value) >= 3.0
    if length < 12:
        return False
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            _SYMBOL.search(value) is not None,
        )
    )
    if classes < 3 and not (classes == 2 and any(c.isdigit() for c in value) and length >= 20):
        return False
    if sum(len(word) for word in _WORDISH.findall(value)) * 2 >= length:
        return False  # mostly words: "postgres_production_2024", "AdminUser2023", "1.2.3-SNAPSHOT"
    return shannon_entropy(value) >= min(3.5, math.log2(length) - 0.6)


def assigned_secrets(
    source: bytes, *, quoted_only: bool, dockerfile: bool = False, netrc: bool = False
) -> list[Secret]:
    """Values assigned to secret-like keys; ``quoted_only`` for source code, where a bare value is code."""
    patterns = [_ASSIGNED, _XML_ELEMENT, _XML_KEY_VALUE]
    if dockerfile:
        patterns.append(_DOCKER_ENV)
    found: dict[tuple[int, int], Secret] = {}
    for begin, end in _hint_lines(source):
        for pattern in patterns:
            for secret in _matches(pattern, source, begin, end, quoted_only):
                found.setdefault((secret.start, secret.end), secret)
        if netrc:
            for secret in _matches(_NETRC, source, begin, end, False, any_key="password"):
                found.setdefault((secret.start, secret.end), secret)
    return [found[key] for key in sorted(found)]


def _hint_lines(source: bytes) -> list[tuple[int, int]]:
    """The lines that hold a word a secret-like key ends with: only they can assign a secret."""
    lowered = source.lower()
    starts: set[int] = set()
    for word in _HINT_WORDS:
        at = lowered.find(word)
        while at != -1:
            start = lowered.rfind(b"\n", 0, at) + 1
            starts.add(start)
            end = lowered.find(b"\n", at)
            at = -1 if end == -1 else lowered.find(word, end)
    lines = []
    for start in sorted(starts):
        end = source.find(b"\n", start)
        lines.append((start, len(source) if end == -1 else end))
    return lines


def _matches(
    pattern: re.Pattern[bytes], source: bytes, begin: int, end: int, quoted_only: bool, any_key: str = ""
) -> Iterator[Secret]:
    groups = pattern.groupindex
    for match in pattern.finditer(source, begin, end):
        group = "quoted" if "quoted" in groups and match.group("quoted") is not None else "bare"
        if group == "bare" and (quoted_only or match.group("bare") is None):
            continue
        key = any_key or match.group("key").decode("utf-8", "replace")
        if not is_secret_key(key):
            continue
        value = match.group(group).decode("utf-8", "replace")
        if not is_candidate(value, key):
            continue
        yield Secret(
            f"value of `{key}`",
            match.start(group),
            match.end(group),
            0,
            known_format=False,
            random=looks_random(value),
            key=key,
        )
