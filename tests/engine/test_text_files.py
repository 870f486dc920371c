"""Text files in a review: discovered for the secret rules under discovery's rules, counted as "text"."""

from __future__ import annotations

import os
import sqlite3
import zlib
from contextlib import closing
from pathlib import Path

import pytest

from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.discovery import discover
from reviewlab.engine.model import PLAIN_TEXT, Diagnostic, DiagnosticKind
from reviewlab.engine.pipeline import review
from reviewlab.engine.secrets.paths import is_text_file
from tests.fake_secrets import GENERIC_SECRET, TOKENS

TOKEN = TOKENS["GitHub token"]


def write(root: Path, relpath: str, text: str = "x = 1\n") -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(root: Path, *, text_files: bool = True) -> tuple[dict[str, str], list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    files = {f.relpath: f.language for f in discover(root, ReviewConfig(), diagnostics, text_files=text_files)}
    return files, diagnostics


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".env", True),
        (".env.production", True),
        ("settings.ini", True),
        ("app.cfg", True),
        ("pyproject.toml", True),
        ("compose.yml", True),
        ("values.yaml", True),
        ("config.json", True),
        ("application.properties", True),
        ("pom.xml", True),
        ("notes.txt", True),
        ("README.md", True),
        ("deploy.sh", True),
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        (".npmrc", True),
        (".pypirc", True),
        (".netrc", True),
        ("id_rsa", True),
        ("server.pem", True),
        ("server.key", True),
        ("package-lock.json", False),
        ("pnpm-lock.yaml", False),
        ("yarn.lock", False),
        ("logo.png", False),
        ("data.csv", False),
        ("id_rsa.pub", False),
        ("Makefile", False),
    ],
)
def test_text_file_names(name: str, text: bool) -> None:
    assert is_text_file(name) is text


def test_text_files_are_discovered_only_when_asked(tmp_path: Path) -> None:
    write(tmp_path, "app/main.py")
    write(tmp_path, ".env", "A=1\n")
    write(tmp_path, "config/app.yaml", "a: 1\n")
    write(tmp_path, "Dockerfile", "FROM python:3.11\n")
    write(tmp_path, "deploy/id_ed25519", "key\n")
    write(tmp_path, "bin/deploy", "#!/bin/sh\necho deploy\n")
    write(tmp_path, "bin/tool", "#!/usr/bin/env python3\nprint(1)\n")
    write(tmp_path, "bin/blob", "no shebang\n")
    write(tmp_path, "logo.png", "not really a png\n")
    write(tmp_path, "package-lock.json", "{}\n")
    write(tmp_path, "node_modules/pkg/.env", "A=1\n")
    write(tmp_path, ".gitignore", "local.env\n")
    write(tmp_path, "local.env", "A=1\n")
    files, diagnostics = found(tmp_path)
    assert files == {
        ".env": PLAIN_TEXT,
        "Dockerfile": PLAIN_TEXT,
        "app/main.py": "python",
        "bin/deploy": PLAIN_TEXT,
        "bin/tool": "python",
        "config/app.yaml": PLAIN_TEXT,
        "deploy/id_ed25519": PLAIN_TEXT,
    }
    assert diagnostics == []
    files, _ = found(tmp_path, text_files=False)
    assert files == {"app/main.py": "python", "bin/tool": "python"}


def test_text_files_follow_the_symlink_and_special_file_rules(tmp_path: Path) -> None:
    write(tmp_path, "real/.env", "A=1\n")
    (tmp_path / ".env").symlink_to(tmp_path / "real" / ".env")
    (tmp_path / "broken.yaml").symlink_to(tmp_path / "missing.yaml")
    os.mkfifo(tmp_path / "pipe.env")
    files, diagnostics = found(tmp_path)
    assert files == {"real/.env": PLAIN_TEXT}
    assert {d.path: d.kind for d in diagnostics} == {
        ".env": DiagnosticKind.SKIPPED_SYMLINK,
        "broken.yaml": DiagnosticKind.SKIPPED_SYMLINK,
        "pipe.env": DiagnosticKind.SKIPPED_SPECIAL,
    }
    _, quiet = found(tmp_path, text_files=False)
    assert quiet == []


def test_a_text_file_as_the_review_root(tmp_path: Path) -> None:
    path = write(tmp_path, ".env", f"GITHUB_TOKEN={TOKEN}\n")
    result = review(path, ReviewConfig(), jobs=1)
    assert [(f.path, f.language) for f in result.files] == [(".env", PLAIN_TEXT)]
    assert [(f.path, f.rule_id) for f in result.findings] == [(".env", "SEC-S001")]


def test_a_review_counts_text_files_as_text(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "import os  # noqa: F401\n")
    write(tmp_path, "config/settings.yaml", f"database:\n  password: '{GENERIC_SECRET}'\n")
    write(tmp_path, ".env", f"GITHUB_TOKEN={TOKEN}\n")
    write(tmp_path, "README.md", "# shop\n")
    result = review(tmp_path, ReviewConfig(), jobs=1)
    assert {f.path: (f.language, f.lines) for f in result.files} == {
        ".env": (PLAIN_TEXT, 1),
        "README.md": (PLAIN_TEXT, 1),
        "app.py": ("python", 1),
        "config/settings.yaml": (PLAIN_TEXT, 2),
    }
    assert [(f.path, f.span.start_line, f.rule_id) for f in result.findings] == [
        (".env", 1, "SEC-S001"),
        ("config/settings.yaml", 2, "SEC-S002"),
    ]
    assert result.diagnostics == []


def test_text_files_are_not_reviewed_when_no_secret_rule_runs(tmp_path: Path) -> None:
    write(tmp_path, "app.py", "import os\n\nprint(os.sep)\n")
    write(tmp_path, ".env", f"GITHUB_TOKEN={TOKEN}\n")
    result = review(tmp_path, ReviewConfig(select=("PY-",)), jobs=1)
    assert [f.path for f in result.files] == ["app.py"]
    only_generic = review(tmp_path, ReviewConfig(ignore=("SEC-S001",)), jobs=1)
    assert [f.path for f in only_generic.files] == [".env", "app.py"]
    assert only_generic.findings == []


def test_text_files_honour_the_size_limit_and_binary_detection(tmp_path: Path) -> None:
    write(tmp_path, "big.json", '{"a": "' + "x" * 200 + '"}\n')
    (tmp_path / "cert.pem").write_bytes(b"\x30\x82\x01\x0a\x00\x01")
    result = review(tmp_path, ReviewConfig(max_file_size=100), jobs=1)
    assert result.files == []
    assert sorted((d.path, d.kind) for d in result.diagnostics) == [
        ("big.json", DiagnosticKind.SKIPPED_TOO_LARGE),
        ("cert.pem", DiagnosticKind.SKIPPED_BINARY),
    ]


def test_a_known_format_on_a_credential_rule_line_is_reported_once(tmp_path: Path) -> None:
    stripe = TOKENS["Stripe live key"]
    write(tmp_path, "billing.py", f'PAYMENT_API_KEY = "{stripe}"\nclient = Stripe("{stripe}")\n')
    result = review(tmp_path, ReviewConfig(), jobs=1)
    assert [(f.span.start_line, f.rule_id) for f in result.findings] == [(1, "PY-S009"), (2, "SEC-S001")]
    credential = result.findings[0]
    assert credential.snippet == 'PAYMENT_API_KEY = "sk_live_…(32 chars)"'
    without = review(tmp_path, ReviewConfig(ignore=("PY-S009",)), jobs=1)
    assert [(f.span.start_line, f.rule_id) for f in without.findings] == [(1, "SEC-S001"), (2, "SEC-S001")]


def test_other_rules_findings_are_redacted_too(tmp_path: Path) -> None:
    password = "hunter2-" + "Q7x"
    write(tmp_path, "db.py", f'DB_PASSWORD = "{password}"\n')
    [finding] = review(tmp_path, ReviewConfig(), jobs=1).findings
    assert finding.rule_id == "PY-S009"
    assert finding.snippet == 'DB_PASSWORD = "…(11 chars)"'
    [unchanged] = review(tmp_path, ReviewConfig(ignore=("SEC-",)), jobs=1).findings
    assert unchanged.snippet == finding.snippet


def test_cached_results_are_redacted(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src, ".env", f"GITHUB_TOKEN={TOKEN}\n")
    cache_path = tmp_path / "cache" / "results.sqlite3"
    cache = SqliteResultCache(cache_path)
    cold = review(src, ReviewConfig(), jobs=1, cache=cache)
    warm = review(src, ReviewConfig(), jobs=1, cache=cache)
    cache.close()
    assert warm.cache_hits == 1
    assert [f.to_dict() for f in warm.findings] == [f.to_dict() for f in cold.findings]
    with closing(sqlite3.connect(cache_path)) as db:
        stored = [zlib.decompress(value) for (value,) in db.execute("SELECT value FROM results")]
    assert len(stored) == 1
    assert b"SEC-S001" in stored[0]
    assert TOKEN[4:].encode() not in stored[0]
