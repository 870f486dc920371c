"""No output holds a secret: every report format, the store, the cache and the command's own output.

The tree under review holds a fake secret of every kind the detectors know, in text files and in
source code (where a language's credential rule reports the line instead of SEC-S001). Each
secret is searched for without its public prefix, so ``ghp_…(40 chars)`` does not count.
"""

from __future__ import annotations

import json
import os
import sqlite3
import zlib
from contextlib import closing
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reviewlab.cli import main
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import ReviewResult
from reviewlab.engine.pipeline import review
from reviewlab.reports import FORMATS, render
from reviewlab.store import Store
from tests.fake_secrets import AWS_SECRET, GENERIC_SECRET, TOKENS, URL_PASSWORD, private_key

# Every secret of the tree, and how many characters of it are a public prefix reports may show.
PREFIXES = {"ghp": 4, "github_pat": 11, "glpat": 6, "xoxb": 5, "https://hooks": 24, "sk_live": 8, "AIza": 4}
PREFIXES |= {"sk-proj": 3, "sk-ant": 7, "npm_": 4, "pypi": 5, "SK": 2, "SG.": 3, "AKIA": 4, "eyJ": 3}
KEY = private_key()
SECRETS = [*TOKENS.values(), AWS_SECRET, URL_PASSWORD, GENERIC_SECRET, *KEY.splitlines()[1:-1]]


def hidden_part(secret: str) -> str:
    shown = next((n for prefix, n in PREFIXES.items() if secret.startswith(prefix)), 0)
    return secret[shown:]


def make_tree(root: Path) -> None:
    env = "\n".join(f"SECRET_{n}={token}" for n, token in enumerate(TOKENS.values()))
    (root / "deploy").mkdir(parents=True)
    (root / "deploy" / ".env").write_text(
        f"{env}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\nDATABASE_URL=postgres://shop:{URL_PASSWORD}@db.internal/shop\n"
    )
    (root / "deploy" / "id_rsa").write_text(KEY)
    (root / "config.yaml").write_text(f"database:\n  password: '{GENERIC_SECRET}'\n")
    service_account = {"type": "service_account", "private_key": private_key("PRIVATE KEY", seed="gcp")}
    (root / "service-account.json").write_text(json.dumps(service_account, indent=2) + "\n")
    (root / "app.py").write_text(
        f'API_TOKEN = "{TOKENS["GitHub token"]}"\n'
        f'DB_PASSWORD = "{GENERIC_SECRET}"\n'
        f'engine_url = "postgresql://shop:{URL_PASSWORD}@db.internal/shop"\n'
    )
    (root / "cart.js").write_text(f'const API_TOKEN = "{TOKENS["Stripe live key"]}";\n')


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert hidden_part(secret) not in text, f"{where} holds a secret"


@pytest.fixture
def reviewed(tmp_path: Path) -> ReviewResult:
    root = tmp_path / "project"
    make_tree(root)
    return review(root, ReviewConfig(), jobs=1)


def test_the_tree_is_flagged_everywhere(reviewed: ReviewResult) -> None:
    flagged = {(f.path, f.rule_id) for f in reviewed.findings if f.cwe == 798}
    assert flagged == {
        ("app.py", "PY-S009"),
        ("app.py", "SEC-S001"),
        ("cart.js", "JS-S008"),
        ("config.yaml", "SEC-S002"),
        ("deploy/.env", "SEC-S001"),
        ("deploy/id_rsa", "SEC-S001"),
        ("service-account.json", "SEC-S001"),
    }
    in_env = [f for f in reviewed.findings if f.path == "deploy/.env"]
    assert len(in_env) == len(TOKENS) + 2  # every token, the AWS secret key and the URL password


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_report_format_shows_a_secret(reviewed: ReviewResult, fmt: str) -> None:
    assert_no_secret(render(reviewed, fmt), fmt)


def test_the_sarif_report_stays_valid(reviewed: ReviewResult, sarif_schema: dict[str, Any]) -> None:
    log = json.loads(render(reviewed, "sarif"))
    jsonschema.validators.validator_for(sarif_schema)(sarif_schema).validate(log)
    snippets = [r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] for r in log["runs"][0]["results"]]
    assert "GITHUB_TOKEN" not in snippets
    assert "SECRET_0=ghp_…(40 chars)" in snippets


def test_the_store_holds_no_secret(reviewed: ReviewResult, sqlite_store: Store, tmp_path: Path) -> None:
    session = sqlite_store.save_review(reviewed)
    assert_no_secret(json.dumps([f.to_dict() for f in sqlite_store.findings(session)]), "stored findings")
    database = tmp_path / "store" / "reviewlab.db"
    assert_no_secret(database.read_bytes().decode("utf-8", "replace"), "the store's database file")


def test_the_command_writes_no_secret_anywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "project"
    make_tree(root)
    reports = tmp_path / "reports"
    assert main(["review", str(root), "--reports-dir", str(reports), "--fail-on", "none"]) == 0
    assert main(["review", str(root), "--format", "markdown", "--fail-on", "none"]) == 0  # answered by the cache
    out, err = capsys.readouterr()
    assert_no_secret(out + err, "the command's output")
    written = [p for p in (*reports.iterdir(), *Path(os.environ["REVIEWLAB_HOME"]).rglob("*")) if p.is_file()]
    assert {p.name for p in written} >= {"reviewlab.json", "reviewlab.sarif", "reviewlab.db", "results.sqlite3"}
    for path in written:
        assert_no_secret(path.read_bytes().decode("utf-8", "replace"), str(path))
    with closing(sqlite3.connect(Path(os.environ["REVIEWLAB_HOME"]) / "cache" / "results.sqlite3")) as db:
        for (blob,) in db.execute("SELECT value FROM results"):
            assert_no_secret(zlib.decompress(blob).decode(), "a cached result")
