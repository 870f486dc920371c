"""Secret rules: keys and tokens in any file, source or text, reported with the secret redacted.

They scan text instead of running a query, so they see ``.env``, YAML, JSON, ``.properties``,
Dockerfiles, key files and Markdown as well as source code. Tests, lock files and minified bundles
are skipped. The detection lives in ``reviewlab.engine.secrets``; the analyzer redacts every
secret found there from every finding, so no report, cache entry or stored review holds one.
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewlab.engine.model import PLAIN_TEXT, Category, Confidence, Severity
from reviewlab.engine.rules.base import Rule, RuleDocs, TextContext, TextHit
from reviewlab.engine.secrets import GENERIC_RULE, KNOWN_FORMAT_RULE, FileSecrets
from reviewlab.engine.secrets.paths import is_config_file, is_lock_file, is_minified, is_test_path

# Text files first: the rules' examples are config files, and docs fence them by the first language.
EVERY_FILE = (PLAIN_TEXT, "python", "javascript", "java", "go")
_CWE_798 = "https://cwe.mitre.org/data/definitions/798.html"
_OWASP_SECRETS = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
_ROTATE = "revoke or rotate it, then load it from the environment or a secret store"


def _skipped(rule: Rule, ctx: TextContext) -> bool:
    if ctx.option(rule, "ignore_tests") and is_test_path(ctx.path):
        return True
    return is_lock_file(ctx.path) or is_minified(ctx.path, ctx.source)


def _scan_known(rule: Rule, ctx: TextContext) -> Iterator[TextHit]:
    if _skipped(rule, ctx):
        return
    config = is_config_file(ctx.path)
    for secret in FileSecrets.of(ctx).known():
        if not (secret.random or config):
            continue  # a URL password that reads as a word, outside config files: documentation
        message = f"Committed {secret.kind} `{secret.redacted(ctx.source)}`: {_ROTATE}."
        yield TextHit(secret.start, secret.end, message, secret=True, shown=secret.shown)


def _scan_generic(rule: Rule, ctx: TextContext) -> Iterator[TextHit]:
    if _skipped(rule, ctx) or not is_config_file(ctx.path):
        return
    for secret in FileSecrets.of(ctx).assigned():
        if secret.random:
            message = f"`{secret.key}` is set to a random-looking secret `{secret.redacted(ctx.source)}`: {_ROTATE}."
            yield TextHit(secret.start, secret.end, message, secret=True, shown=secret.shown)


KNOWN_FORMAT_SECRET = Rule(
    id=KNOWN_FORMAT_RULE,
    title="Secret of a known format committed",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=798,
    languages=EVERY_FILE,
    message=f"A secret of a known format is committed in this file: {_ROTATE}.",
    docs=RuleDocs(
        what="Flags keys and tokens whose format identifies them, in any file reviewlab reads — source code, "
        "`.env`, YAML, JSON, TOML, INI, `.properties`, XML, shell scripts, Dockerfiles, `.npmrc`, `.pypirc`, "
        "`.netrc`, key files, Markdown and text: AWS access key ids (`AKIA`/`ASIA`) and the secret access key "
        "next to one, GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), GitLab (`glpat-`), Slack "
        "tokens (`xoxb-`...) and webhook URLs, Stripe live keys (`sk_live_`, `rk_live_`), Google API keys "
        "(`AIza`), OpenAI (`sk-`, `sk-proj-`), Anthropic (`sk-ant-`), npm (`npm_`), PyPI (`pypi-AgE`), "
        "Twilio (`SK`) and SendGrid (`SG.`) keys, private key blocks (`-----BEGIN ... PRIVATE KEY-----` "
        "with a body), signed JWTs, and passwords in URLs (`scheme://user:password@host`). Not flagged: "
        "stand-ins (`ghp_xxxx...`, values containing `EXAMPLE`, `changeme`, `your-`, `fake`, `test`), "
        "key headers without a body, JWTs that do not decode, URL passwords that are templates "
        "(`${DB_PASSWORD}`) or defaults (`postgres`, `guest`) or point at loopback and example hosts, tests "
        "(option `ignore_tests`), lock files and minified bundles. The secret is redacted in every report "
        "(`ghp_…(40 chars)`); a line already flagged by a language's hard-coded credential rule "
        "(PY-S009, JS-S008, JAVA-S008, GO-S006) is not reported twice.",
        why="A committed key works for anyone who can read the repository, its forks, clones, CI logs and "
        "container images, for as long as it is valid; history keeps it after the line is deleted. Known "
        "formats are what attackers scan public code for, within minutes of a push.",
        example="# .env (AWS's documentation key pair; real keys have the same shape)\n"
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        "DATABASE_URL=postgres://shop:<the real password>@db.internal:5432/shop\n",
        use_instead="# .env.example, committed; the real .env is in .gitignore\n"
        "AWS_ACCESS_KEY_ID=\n"
        "AWS_SECRET_ACCESS_KEY=\n"
        "DATABASE_URL=postgres://shop:${DB_PASSWORD}@db.internal:5432/shop\n",
    ),
    scan=_scan_known,
    references=(
        _CWE_798,
        _OWASP_SECRETS,
        "https://docs.github.com/en/code-security/secret-scanning/introduction/supported-secret-scanning-patterns",
    ),
    options={"ignore_tests": True},
)

GENERIC_SECRET = Rule(
    id=GENERIC_RULE,
    title="Random-looking secret in a config file",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    languages=EVERY_FILE,
    message=f"A random-looking secret is committed in a config file: {_ROTATE}.",
    docs=RuleDocs(
        what="Flags a value assigned to a secret-like key — `password`, `passwd`, `pwd`, `secret`, `token`, "
        "`api_key`, `secret_key`, `private_key`, `access_key`, `client_secret`, `_authToken`... as the last "
        "word of the key — in a config file (`.env*`, YAML, JSON, TOML, INI, `.properties`, XML, shell, "
        "Terraform, Dockerfile `ENV`/`ARG`, `.npmrc`, `.pypirc`, `.netrc`) when the value looks generated: "
        "at least 12 characters (16 for hex) mixing letter cases, digits or symbols, without long words, "
        "with a Shannon entropy near the maximum for its length. Not flagged: keys where the secret word is "
        "not last (`password_file`, `token_url`, `password_hash`), placeholders (`changeme`, `xxx`, `<token>`, "
        "`${API_TOKEN}`, `{{ secret }}`, values containing `example`, `dummy`, `test`, `your-`), paths, URLs, "
        "labels, booleans, short or sequential values, one repeated character, encrypted references "
        "(`ENC(...)`, `vault:`), tests (option `ignore_tests`), lock files, and values of a known format "
        "(SEC-S001 reports those). The value is redacted in every report.",
        why="A password or API key in a config file is shared with everyone who can read the repository and "
        "every environment built from it; it cannot be rotated without a commit, and stays in history.",
        example="# config/production.yaml\ndatabase:\n  password: q7Vx2LrT9mKp4sWzN3\n",
        use_instead="# config/production.yaml\ndatabase:\n  password: ${DB_PASSWORD}  # set by the deployment\n",
    ),
    scan=_scan_generic,
    references=(_CWE_798, _OWASP_SECRETS),
    options={"ignore_tests": True},
)

RULES = (KNOWN_FORMAT_SECRET, GENERIC_SECRET)
