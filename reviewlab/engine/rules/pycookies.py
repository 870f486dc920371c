"""Python cookie rules: cookies set without the Secure or HttpOnly attribute.

Flask/Werkzeug, Django and Starlette/FastAPI responses all set cookies through
``set_cookie(key, value, ..., secure=..., httponly=...)`` (Django also ``set_signed_cookie``). A cookie
is flagged when the attribute is missing or literally false; a value the rule cannot see (a
variable, ``**kwargs``) is given the benefit of the doubt. ``CookieJar.set_cookie(cookie)`` — one
argument, a client-side jar — is not a response cookie and is never flagged.
"""

from __future__ import annotations

from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, Check, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import arguments, has_splat, keyword_arg, node_text

_QUERY = """
(call
  function: (attribute attribute: (identifier) @method)
  (#any-of? @method "set_cookie" "set_signed_cookie")) @call
"""
_FALSE = frozenset({"False", "0", "None"})


def _missing(attribute: str) -> Check:
    """A check that flags response cookies set without ``attribute=True``."""

    def check(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
        call = first(captures, "call")
        if call is None or has_splat(call):
            return
        given = arguments(call)
        if len(given) < 2 and keyword_arg(call, "key") is None:
            return  # CookieJar.set_cookie(cookie): a client-side jar, not a response cookie
        value = keyword_arg(call, attribute)
        if value is None:
            yield Hit(call, message=f"Cookie set without `{attribute}=True`. {rule.message}")
        elif node_text(value) in _FALSE:
            yield Hit(value, message=f"Cookie set with `{attribute}={node_text(value)}`. {rule.message}")

    return check


INSECURE_COOKIE = Rule(
    id="PY-S019",
    title="Cookie without the Secure attribute",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=614,
    languages=("python",),
    message="Without Secure the browser also sends it over plain HTTP, where anyone on the path can read it.",
    docs=RuleDocs(
        what="Flags `set_cookie`/`set_signed_cookie` calls on a response that do not pass `secure=True`.",
        why="A cookie without the Secure attribute is sent over unencrypted connections too, so a session "
        "or token cookie can be read by anyone on the network path (a café Wi-Fi, a proxy) and replayed.",
        example='response.set_cookie("session", token, httponly=True)',
        use_instead='response.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")',
    ),
    query=_QUERY,
    check=_missing("secure"),
    references=(
        "https://cwe.mitre.org/data/definitions/614.html",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies#restrict_access_to_cookies",
    ),
)

SCRIPT_READABLE_COOKIE = Rule(
    id="PY-S020",
    title="Cookie without the HttpOnly attribute",
    category=Category.SECURITY,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1004,
    languages=("python",),
    message="Without HttpOnly any script on the page, including injected script, can read it.",
    docs=RuleDocs(
        what="Flags `set_cookie`/`set_signed_cookie` calls on a response that do not pass `httponly=True`.",
        why="A cookie readable from JavaScript turns any cross-site scripting bug into session theft: the "
        "injected script reads `document.cookie` and sends it away. Cookies the page's own script must "
        "read (a CSRF token) are the exception; mark them with `# reviewlab: ignore[PY-S020]`.",
        example='response.set_cookie("session", token, secure=True)',
        use_instead='response.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")',
    ),
    query=_QUERY,
    check=_missing("httponly"),
    references=(
        "https://cwe.mitre.org/data/definitions/1004.html",
        "https://owasp.org/www-community/HttpOnly",
    ),
)

RULES: tuple[Rule, ...] = (INSECURE_COOKIE, SCRIPT_READABLE_COOKIE)
