"""Which files the secret rules read, and how.

Discovery lists the text files no language pack parses (``is_text_file``) for them; of every file,
tests, lock files and minified bundles are skipped; config files also get the generic rule.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

_TEST_PATH = re.compile(
    r"(^|/)(tests?|testing|testdata|test[-_]data|__tests__|__mocks__|spec|specs|fixtures?|__fixtures__)/"
    r"|(^|/)(test_[^/]*|[^/]*_tests?\.[a-z]+|conftest\.py|[^/]*\.(test|spec)\.[a-z]+|[^/]*Tests?\.java|[^/]*IT\.java)$"
)
_LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "pnpm-lock.yaml",
        "yarn.lock",
        "composer.lock",
        "go.sum",
        "packages.lock.json",
        "conda-lock.yml",
    }
)
_LOCK_SUFFIXES = (".lock", ".lockfile", ".lock.json")
_MINIFIED_NAME = re.compile(r"\.(min|bundle|chunk)\.[a-z]+$|\.map$")
_MINIFIED_MIN_BYTES = 4096
_MINIFIED_MEAN_LINE = 500

# Files whose values are configuration: the generic secret rule reads these.
CONFIG_SUFFIXES = frozenset(
    {
        ".env",
        ".ini",
        ".cfg",
        ".conf",
        ".cnf",
        ".toml",
        ".yaml",
        ".yml",
        ".json",
        ".properties",
        ".xml",
        ".sh",
        ".bash",
        ".zsh",
        ".tf",
        ".tfvars",
    }
)
CONFIG_NAMES = frozenset(
    {".env", ".envrc", ".npmrc", ".pypirc", ".netrc", "_netrc", ".git-credentials", ".s3cfg", "credentials"}
)
NETRC_NAMES = frozenset({".netrc", "_netrc"})
# Text files that are not config but may hold keys and tokens: docs, notes, key files.
_OTHER_TEXT_SUFFIXES = frozenset({".txt", ".md", ".rst", ".pem", ".key"})
_KEY_FILE_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})


def file_name(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).name


def is_test_path(path: str) -> bool:
    """Test code and data: ``tests/``, ``fixtures/``, ``test_x.py``, ``x_test.go``, ``x.spec.ts``, ``XTest.java``."""
    return _TEST_PATH.search(path.replace("\\", "/")) is not None


def is_lock_file(path: str) -> bool:
    """Dependency lock files: pinned versions and integrity hashes, never credentials."""
    name = file_name(path)
    return name in _LOCK_FILES or name.endswith(_LOCK_SUFFIXES)


def is_minified(path: str, source: bytes) -> bool:
    """A minified or bundled file: named so, or a few very long lines."""
    if _MINIFIED_NAME.search(file_name(path)):
        return True
    return len(source) >= _MINIFIED_MIN_BYTES and len(source) / (source.count(b"\n") + 1) >= _MINIFIED_MEAN_LINE


def is_config_file(path: str) -> bool:
    """Files of keys and values: ``.env``, ``.env.local``, ``*.yaml``, ``*.properties``, ``Dockerfile``..."""
    name = file_name(path)
    lower = name.lower()
    if name in CONFIG_NAMES or lower.startswith(".env.") or is_dockerfile(path):
        return True
    suffix = PurePosixPath(lower).suffix
    return suffix in CONFIG_SUFFIXES


def is_text_file(path: str) -> bool:
    """A text file the secret rules read though no language pack parses it: config, docs, key files.

    ``.env``, ``*.yaml``, ``*.properties``, ``Dockerfile``, ``.npmrc``, ``id_rsa``, ``*.pem``, ``*.md``...
    but not lock files (generated pins: often large, never credentials).
    """
    if is_lock_file(path):
        return False
    name = file_name(path)
    return is_config_file(path) or name in _KEY_FILE_NAMES or PurePosixPath(name.lower()).suffix in _OTHER_TEXT_SUFFIXES


def is_dockerfile(path: str) -> bool:
    lower = file_name(path).lower()
    return lower in ("dockerfile", "containerfile") or lower.startswith("dockerfile.") or lower.endswith(".dockerfile")
