"""Format-valid fake secrets, built at test time so the repository never holds a real-looking one.

Each value is a provider's prefix joined to characters from a seeded generator: valid for the
detector's patterns, never issued by any provider, and never written to a file of the repository.
"""

from __future__ import annotations

import base64
import json
import random
import string
import textwrap

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"
BASE64 = ALNUM + "+/"
BASE32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"


def chars(seed: str, count: int, alphabet: str = ALNUM) -> str:
    """``count`` characters of ``alphabet``, the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not key material
    return "".join(rng.choice(alphabet) for _ in range(count))


def _b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(seed: str = "jwt") -> str:
    header = _b64url({"alg": "HS256", "typ": "JWT"})
    payload = _b64url({"sub": "reviewlab-test", "iat": 1700000000})
    return f"{header}.{payload}.{chars(seed, 43, URLSAFE)}"


def private_key(label: str = "RSA PRIVATE KEY", seed: str = "pem") -> str:
    body = "\n".join(textwrap.wrap(chars(seed, 64 * 12, BASE64), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


# kind reported by SEC-S001 -> a fake token of that format
TOKENS: dict[str, str] = {
    "GitHub token": "ghp" + "_" + chars("ghp", 36),
    "GitHub fine-grained token": "github" + "_pat_" + chars("pat1", 22) + "_" + chars("pat2", 59),
    "GitLab token": "glpat" + "-" + chars("glpat", 20, URLSAFE),
    "Slack token": "xoxb" + "-" + "2718281828-3141592653-" + chars("xoxb", 24),
    "Slack webhook URL": "https://hooks.slack.com/services/"
    + "T"
    + chars("team", 8, BASE32)
    + "/B"
    + chars("bot", 8, BASE32)
    + "/"
    + chars("hook", 24),
    "Stripe live key": "sk" + "_live_" + chars("stripe", 24),
    "Google API key": "AI" + "za" + chars("google", 35, URLSAFE),
    "OpenAI API key": "sk" + "-proj-" + chars("openai", 48, URLSAFE),
    "Anthropic API key": "sk" + "-ant-api03-" + chars("anthropic", 93, URLSAFE),
    "npm token": "npm" + "_" + chars("npm", 36),
    "PyPI token": "pypi" + "-AgEIcHlwaS5vcmc" + chars("pypi", 60, URLSAFE),
    "Twilio API key": "S" + "K" + chars("twilio", 32, HEX),
    "SendGrid API key": "S" + "G." + chars("sg1", 22, URLSAFE) + "." + chars("sg2", 43, URLSAFE),
    "AWS access key id": "AK" + "IA" + chars("aws-id", 16, BASE32),
    "JSON Web Token": jwt(),
}
AWS_SECRET = chars("aws-secret", 40, BASE64)
URL_PASSWORD = chars("url-password", 20)
GENERIC_SECRET = chars("generic", 24, ALNUM + "!%*+-.?@^_~")
