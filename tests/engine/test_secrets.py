"""The secret rules: every known format, the generic rule's judgement, and what must never be reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.engine import packversion
from reviewlab.engine.analyzer import RulePack, analyze_source
from reviewlab.engine.model import PLAIN_TEXT, Finding
from reviewlab.engine.rules import all_rules, get_rule
from reviewlab.engine.secrets import RULE_IDS, looks_random
from reviewlab.reports.rule_docs import rules_markdown
from tests.fake_secrets import AWS_SECRET, BASE64, GENERIC_SECRET, HEX, TOKENS, URL_PASSWORD, chars, private_key


def secret_pack(options: dict[str, dict[str, object]] | None = None) -> RulePack:
    return RulePack([rule for rule in all_rules() if rule.id in RULE_IDS], options)


def scan(path: str, text: str, language: str = PLAIN_TEXT, pack: RulePack | None = None) -> list[Finding]:
    return analyze_source(path, language, text.encode(), pack or secret_pack()).findings


def lines(findings: list[Finding]) -> list[tuple[int, str]]:
    return [(f.span.start_line, f.rule_id) for f in findings]


def assert_hidden(secret: str, findings: list[Finding]) -> None:
    for finding in findings:
        assert secret not in json.dumps(finding.to_dict()), finding


@pytest.mark.parametrize(("kind", "token"), TOKENS.items(), ids=list(TOKENS))
def test_every_known_format_is_reported_redacted(kind: str, token: str) -> None:
    findings = scan("deploy/.env", f"# deploy settings\nVALUE={token}\n")
    assert lines(findings) == [(2, "SEC-S001")]
    [finding] = findings
    assert kind in finding.message
    assert (finding.span.start_column, finding.span.end_column) == (7, 7 + len(token))
    assert f"({len(token)} chars)" in finding.snippet
    assert_hidden(token, findings)


def test_known_formats_in_source_code_and_docs() -> None:
    token = TOKENS["GitHub token"]
    assert lines(scan("app/client.py", f'client = Github("{token}")\n', "python")) == [(1, "SEC-S001")]
    assert lines(scan("web/api.ts", f'const hook = "{TOKENS["Slack webhook URL"]}";\n', "typescript")) == [
        (1, "SEC-S001")
    ]
    assert lines(scan("docs/setup.md", f"Run `gh auth login --with-token {token}`.\n")) == [(1, "SEC-S001")]


def test_the_redacted_form_keeps_only_the_public_prefix() -> None:
    token = TOKENS["GitHub token"]
    [finding] = scan(".env", f"GITHUB_TOKEN={token}\n")
    assert finding.snippet == "GITHUB_TOKEN=ghp_…(40 chars)"
    assert "`ghp_…(40 chars)`" in finding.message


def test_an_aws_secret_key_is_reported_next_to_its_key_id_or_under_its_name() -> None:
    key_id = TOKENS["AWS access key id"]
    pair = f"[default]\naws_access_key_id = {key_id}\nregion = eu-west-1\nvalue = {AWS_SECRET}\n"
    assert lines(scan("aws/credentials", pair)) == [(2, "SEC-S001"), (4, "SEC-S001")]
    named = f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    assert lines(scan("deploy.env", named)) == [(1, "SEC-S001")]
    alone = "\n" * 10 + f"value = {AWS_SECRET}\n"
    assert scan("data.ini", f"key = {key_id}\n" + alone) == [scan("data.ini", f"key = {key_id}\n")[0]]
    assert scan("data.ini", alone) == []


def test_a_private_key_block_is_one_finding_spanning_the_block() -> None:
    pem = private_key()
    [finding] = scan("deploy/id_rsa", "# deploy key\n" + pem)
    assert finding.rule_id == "SEC-S001"
    assert (finding.span.start_line, finding.span.end_line) == (2, 2 + pem.count("\n") - 1)
    assert finding.snippet == f"-----BEGIN RSA PRIVATE KEY-----…({len(pem) - 1} chars)"
    for body_line in pem.splitlines()[1:-1]:
        assert_hidden(body_line, [finding])


def test_a_private_key_inside_json_is_reported() -> None:
    account = json.dumps({"type": "service_account", "private_key": private_key("PRIVATE KEY")}, indent=2)
    findings = scan("gcp/service-account.json", account + "\n")
    assert lines(findings) == [(3, "SEC-S001")]
    assert_hidden(private_key("PRIVATE KEY").splitlines()[1], findings)


@pytest.mark.parametrize(
    "text",
    [
        "KEY = '-----BEGIN RSA PRIVATE KEY-----'\n",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC...\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\n" + "A" * 64 + "\n-----END PRIVATE KEY-----\n",
        "-----BEGIN CERTIFICATE-----\n" + chars("cert", 64 * 8) + "\n-----END CERTIFICATE-----\n",
    ],
    ids=["header-only", "elided-body", "placeholder-body", "certificate"],
)
def test_key_look_alikes_are_not_reported(text: str) -> None:
    assert scan("notes.md", text) == []


def test_url_passwords_outside_config_files_must_look_random() -> None:
    weak = 'engine = create_engine("postgresql://scott:hunter22@db.internal/shop")\n'
    strong = f'engine = create_engine("postgresql://shop:{URL_PASSWORD}@db.internal/shop")\n'
    assert scan("app/db.py", weak, "python") == []
    assert lines(scan("app/db.py", strong, "python")) == [(1, "SEC-S001")]
    assert lines(scan("app/.env", "DATABASE_URL=postgresql://shop:hunter22@db.internal/shop\n")) == [(1, "SEC-S001")]


def test_generic_secrets_only_in_config_files() -> None:
    for path in ("app/.env", "config/prod.yaml", "settings.ini", "app.properties", "deploy.sh", "main.tf"):
        assert lines(scan(path, f"db_password = '{GENERIC_SECRET}'\n")) == [(1, "SEC-S002")], path
    assert scan("README.md", f"db_password = '{GENERIC_SECRET}'\n") == []
    assert scan("app/settings.py", f"DB_PASSWORD = '{GENERIC_SECRET}'\n", "python") == []


def test_generic_secret_forms() -> None:
    assert lines(scan("Dockerfile", f"FROM python:3.11\nENV API_TOKEN {GENERIC_SECRET}\n")) == [(2, "SEC-S002")]
    netrc = f"machine api.internal\n  login deploy\n  password {GENERIC_SECRET}\n"
    assert lines(scan(".netrc", netrc)) == [(3, "SEC-S002")]
    npmrc = f"//registry.internal/:_authToken={GENERIC_SECRET}\n"
    assert lines(scan(".npmrc", npmrc)) == [(1, "SEC-S002")]
    compact = json.dumps({"auth": {"client_secret": GENERIC_SECRET, "client_id": GENERIC_SECRET}})
    assert lines(scan("config.json", compact)) == [(1, "SEC-S002")]


@pytest.mark.parametrize(
    "value",
    [GENERIC_SECRET, chars("hex", 32, HEX), chars("urlsafe", 32, "abcdefghijkmnpqrstuvwxyz23456789_-")],
)
def test_random_values_look_random(value: str) -> None:
    assert looks_random(value)


@pytest.mark.parametrize(
    "value",
    [
        "postgres_production_2024",
        "AdminUser",
        "correcthorsebatterystaple",
        "1.2.3-SNAPSHOT",
        "abcdef0123456789",
        "2024-01-01T00:00:00Z",
        "Xk9pQ2",
        "0123456789",
        "zzzzzzzzzzzzzzzzzzzzz",
    ],
)
def test_chosen_values_do_not_look_random(value: str) -> None:
    assert not looks_random(value)


def test_lock_files_minified_bundles_and_hashes_are_not_reported() -> None:
    token = TOKENS["GitHub token"]
    google = TOKENS["Google API key"]
    integrity = "sha512-" + chars("integrity", 86, BASE64) + "=="
    package_lock = json.dumps(
        {
            "name": "shop",
            "lockfileVersion": 3,
            "packages": {
                "node_modules/left-pad": {
                    "version": "1.3.0",
                    "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
                    "integrity": integrity,
                    "token": token,
                }
            },
        },
        indent=2,
    )
    assert scan("package-lock.json", package_lock) == []
    assert scan("web/yarn.lock", f'left-pad@^1.3.0:\n  integrity {integrity}\n  token "{token}"\n') == []
    assert scan("go.sum", f"golang.org/x/net v0.1.0 h1:{chars('h1', 43, 'ABCDEFabcdef0123456789+/')}=\n") == []
    assert scan("poetry.lock", f'[[package]]\nname = "x"\nsecret = "{GENERIC_SECRET}"\n') == []
    bundle = "!function(){" + ";".join(f"var a{i}={i}" for i in range(2000)) + f';var k="{google}"' + "}();"
    assert scan("static/app.js", bundle, "javascript") == []
    assert scan("static/vendor.min.js", f'var k="{google}";\n', "javascript") == []
    hashes = f"checksum: {chars('sha', 64, HEX)}\npassword_hash: {chars('md5', 32, HEX)}\n"
    assert scan("release.yaml", hashes) == []


@pytest.mark.parametrize(
    "path", ["tests/deploy.env", "app/tests/settings.yaml", "pkg/client_test.go", "web/api.spec.ts", "test_app.py"]
)
def test_tests_are_not_reported_unless_asked(path: str) -> None:
    text = f"token = '{TOKENS['GitHub token']}'\napi_key = '{GENERIC_SECRET}'\n"
    assert scan(path, text) == []
    options = {rule_id: {"ignore_tests": False} for rule_id in RULE_IDS}
    assert scan(path, text, pack=secret_pack(options))


def test_suppression_comment() -> None:
    token = TOKENS["npm token"]
    text = f"A={token}  # reviewlab: ignore[SEC-S001]\nB={token}  # reviewlab: ignore[SEC-S002]\nC={token}\n"
    assert lines(scan(".env", text)) == [(2, "SEC-S001"), (3, "SEC-S001")]


def test_secret_rules_scan_text_and_have_no_query() -> None:
    scanners = {rule.id for rule in all_rules() if rule.scan is not None}
    assert scanners - {"GEN-Q001"} == set(RULE_IDS)  # GEN-Q001 is reported by the analyzer itself
    for rule_id in RULE_IDS:
        rule = get_rule(rule_id)
        assert rule is not None
        assert rule.query == ""
        assert rule.cwe == 798
        assert PLAIN_TEXT in rule.languages


def test_a_text_file_is_analysed_only_by_the_text_rules() -> None:
    pack = RulePack(all_rules())
    analysis = analyze_source("notes.txt", PLAIN_TEXT, b"eval(input())\npassword = 'x'\n", pack)
    assert (analysis.findings, analysis.diagnostics, analysis.lines) == ([], [], 2)


def test_unknown_languages_are_still_ignored() -> None:
    assert analyze_source("a.cob", "cobol", TOKENS["GitHub token"].encode(), RulePack(all_rules())).findings == []


def test_the_rule_pack_version_covers_the_detector_and_the_redaction() -> None:
    engine = Path(packversion.__file__).parent
    names = {path.relative_to(engine).as_posix() for path in packversion.hashed_sources()}
    detector = {"secrets/formats.py", "secrets/assigned.py", "secrets/paths.py", "rules/secrets.py", "redaction.py"}
    assert detector <= names


def test_the_rules_reference_documents_the_secret_rules() -> None:
    reference = rules_markdown()
    for rule_id in RULE_IDS:
        section = reference[reference.index(f"## {rule_id}:") :]
        assert "| Languages | text, python, javascript, typescript, tsx, java, go |" in section
        assert "| CWE | [CWE-798]" in section
