"""Python cookie rules: cookies set without the Secure or HttpOnly attribute.

Flask/Werkzeug, Django and Starlette/FastAPI responses all set cookies through
``set_cookie(key, value, max_age, expires, path, domain, secure, httponly, ...)`` (Django also
``set_signed_cookie``, Tornado ``set_secure_cookie``, which signs but does not set Secure). A cookie
is flagged when the attribute is literally false (``False``, ``0``, ``None``, or a name bound only to
one of them), or missing, unless the cookie is plainly not sensitive: a preference cookie
(``theme``, ``lang``, ``ab_variant``...) or a constant value under a name that is not a session or
token name (as when deleting a cookie with an empty value). An attribute the rule cannot see (a
variable, an unresolved ``**options``) is given the benefit of the doubt; ``**options`` bound to a
dict literal is read. ``CookieJar.set_cookie(cookie)`` (one argument, a client-side jar) is never
flagged. The frameworks' session and CSRF cookie settings (Django ``SESSION_COOKIE_SECURE = False``,
Flask ``app.config["SESSION_COOKIE_HTTPONLY"] = False`` or ``app.config.update(...)``) and
Starlette's ``SessionMiddleware`` without ``https_only=True`` are judged too, except in development
and test settings. So is a raw ``Set-Cookie`` header whose literal text lacks the attribute.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, Check, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    LITERAL_TYPES,
    argument,
    arguments,
    bindings,
    bound_text,
    function_tail,
    is_test_path,
    keyword_arg,
    name_words,
    node_text,
    secret_noun,
    string_value,
    unwrap,
)

Node = tree_sitter.Node

_COOKIE_METHODS = ("set_cookie", "set_signed_cookie", "set_secure_cookie")
# Positions of ``secure`` and ``httponly`` in Werkzeug's, Django's and Starlette's set_cookie.
_POSITION = {"secure": 6, "httponly": 7}
_SETTING_VALUE = "[(true) (false) (none) (integer) (identifier)] @value"
_SETTING_QUERY = """
([
  (assignment left: (identifier) @setting right: {value})
  (assignment left: (attribute attribute: (identifier) @setting) right: {value})
  (assignment left: (subscript subscript: (string (string_content) @setting)) right: {value})
  (keyword_argument name: (identifier) @setting value: {value})
  (pair key: (string (string_content) @setting) value: {value})
] @assignment
 (#any-of? @setting {names}))
"""
_CALL_QUERY = f"""
((call function: (attribute attribute: (identifier) @method)) @call
 (#any-of? @method {" ".join(f'"{m}"' for m in _COOKIE_METHODS)}))
"""
_MIDDLEWARE_QUERY = """
((call arguments: (argument_list . [(identifier) (attribute)] @class)) @middleware
 (#match? @class "(^|[.])SessionMiddleware$"))
"""
_HEADER_QUERY = """
((assignment left: (subscript subscript: (string (string_content) @header)) right: (_) @raw) @set_cookie
 (#match? @header "^[Ss]et-[Cc]ookie$"))
((call function: (attribute attribute: (identifier) @method)
       arguments: (argument_list . (string (string_content) @header) . (_) @raw)) @set_cookie
 (#any-of? @method "add" "set" "add_header" "set_header" "append" "setdefault")
 (#match? @header "^[Ss]et-[Cc]ookie$"))
((tuple . (string (string_content) @header) . (_) @raw .) @set_cookie
 (#match? @header "^[Ss]et-[Cc]ookie$"))
"""
_DEV_SETTINGS = re.compile(r"(?i)(^|[/_.-])(dev|devel|development|local|test|tests|testing|debug)([/_.-]|$)")
_DEBUG_CONDITION = re.compile(r"(?i)debug|develop|testing|local")

# Cookies that hold a preference or an experiment bucket, not a credential.
_PREFERENCE_WORDS = frozenset(
    {"theme", "lang", "language", "locale", "tz", "timezone", "currency", "consent", "banner", "dismissed"}
    | {"visited", "seen", "tour", "onboarding", "layout", "font", "color", "colour", "mode", "region"}
    | {"country", "tab", "sidebar", "variant", "experiment", "bucket", "ab", "cohort", "view", "sort"}
)
_SENSITIVE_WORDS = frozenset(
    {"session", "sess", "sid", "token", "auth", "jwt", "remember", "csrf", "xsrf", "login", "user", "uid"}
    | {"secret", "key", "password", "identity", "access", "refresh", "id"}
)


def is_preference_cookie(name: str) -> bool:
    """Whether a cookie (or session key) name says it holds a preference, not a credential."""
    words = set(name_words(name))
    return bool(words & _PREFERENCE_WORDS) and not words & _SENSITIVE_WORDS and secret_noun(name) is None


def _sensitive_name(name: str) -> bool:
    return bool(set(name_words(name)) & _SENSITIVE_WORDS) or secret_noun(name) is not None


def _constant(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """A literal, or a name bound only to literals: the same value for every visitor."""
    if node is None:
        return True  # no value given: an empty cookie
    node = unwrap(node)
    if node.type in LITERAL_TYPES or string_value(node) is not None:
        return True
    if node.type == "identifier" and depth == 0:
        values = bindings(node, ctx)
        return bool(values) and all(v is not None and _constant(v, ctx, 1) for v in values)
    return False


def _falsy(node: Node, ctx: FileContext, depth: int = 0) -> bool:
    """``False``, ``0``, ``None``, or a name bound only to one of them."""
    node = unwrap(node)
    if node.type in ("false", "none") or node_text(node) == "0":
        return True
    if node.type == "identifier" and depth == 0:
        values = bindings(node, ctx)
        return bool(values) and all(v is not None and _falsy(v, ctx, 1) for v in values)
    return False


def _splat_options(call: Node, ctx: FileContext) -> dict[str, Node] | None:
    """The options a call's ``**options`` splats pass, when each is a dict literal or ``dict(...)``
    (directly or through a name bound once); None when any is unknown (or ``*args`` is used)."""
    options: dict[str, Node] = {}
    for arg in arguments(call):
        if arg.type == "list_splat":
            return None
        if arg.type != "dictionary_splat":
            continue
        value = unwrap(arg.named_children[0]) if arg.named_children else arg
        if value.type == "identifier":
            bound = bindings(value, ctx)
            if len(bound) != 1 or bound[0] is None:
                return None
            value = unwrap(bound[0])
        if value.type == "dictionary":
            for pair in value.named_children:
                key = string_value(pair.child_by_field_name("key") or pair) if pair.type == "pair" else None
                if key is None:
                    return None
                options[key] = pair.child_by_field_name("value") or pair
        elif value.type == "call" and function_tail(value) == "dict":
            for keyword in arguments(value):
                if keyword.type != "keyword_argument":
                    return None
                options[node_text(keyword.child_by_field_name("name"))] = (
                    keyword.child_by_field_name("value") or keyword
                )
        else:
            return None
    return options


def _cookie_hits(rule: Rule, call: Node, attribute: str, ctx: FileContext) -> Iterable[Hit]:
    given = arguments(call)
    if len(given) < 2 and keyword_arg(call, "key", "name") is None and not any("splat" in a.type for a in given):
        return  # CookieJar.set_cookie(cookie): a client-side jar, not a response cookie
    name = bound_text(argument(call, 0, "key", "name"), ctx)
    label = f"Cookie `{name}`" if name else "Cookie"
    position = _POSITION[attribute] if function_tail(call) == "set_cookie" else -1
    value = argument(call, position, attribute) if position >= 0 else keyword_arg(call, attribute)
    if value is not None:
        if _falsy(value, ctx):
            yield Hit(value, message=f"{label} set with `{attribute}={node_text(value)}`. {rule.message}")
        return
    options = _splat_options(call, ctx)
    if options is None:
        return  # **kwargs the rule cannot see may set it
    value = options.get(attribute)
    if value is not None:
        if _falsy(value, ctx):
            yield Hit(call, message=f"{label} set with `{attribute}: {node_text(value)}`. {rule.message}")
        return
    content = argument(call, 1, "value")
    if content is not None and string_value(content) == "":
        return  # an empty value (deleting a cookie) has nothing to steal
    if is_preference_cookie(name) or (not _sensitive_name(name) and _constant(content, ctx)):
        return  # a preference, or the same constant for every visitor
    yield Hit(call, message=f"{label} set without `{attribute}=True`. {rule.message}")


_HOLE = "\x00"


def _template(node: Node, ctx: FileContext, depth: int = 0) -> str:
    """A string expression's text with each value it formats in replaced by ``_HOLE``."""
    node = unwrap(node)
    if node.type == "string":
        return "".join(
            node_text(c) if c.type == "string_content" else _HOLE
            for c in node.named_children
            if c.type in ("string_content", "interpolation")
        )
    if node.type == "concatenated_string" or (
        node.type == "binary_operator" and node_text(node.child_by_field_name("operator")) == "+"
    ):
        return "".join(_template(c, ctx, depth) for c in node.named_children if c.type != "comment")
    if node.type == "identifier" and depth == 0:
        values = bindings(node, ctx)
        if len(values) == 1 and values[0] is not None:
            return _template(values[0], ctx, 1)
    return _HOLE


def _header_hits(rule: Rule, header: Node, raw: Node, attribute: str, ctx: FileContext) -> Iterable[Hit]:
    """A raw ``Set-Cookie`` header whose literal text (an f-string's or a bound name's) lacks the attribute."""
    text = _template(raw, ctx)
    name, _, rest = text.partition("=")
    if not text.replace(_HOLE, "").strip() or rest.lstrip().startswith(";") or not rest.strip():
        return  # nothing literal to judge, or an empty value (deleting the cookie)
    if re.search(rf"(?i);\s*{attribute}\b", text) or is_preference_cookie(name.strip()):
        return
    yield Hit(header, message=f"Set-Cookie header without `{attribute}`. {rule.message}")


def _in_debug_branch(node: Node) -> bool:
    current = node.parent
    while current is not None and current.type not in ("function_definition", "module"):
        if current.type in ("if_statement", "elif_clause"):
            condition = current.child_by_field_name("condition")
            if condition is not None and _DEBUG_CONDITION.search(node_text(condition)):
                return True
        current = current.parent
    return False


def _setting_hits(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    assignment, value, setting = first(captures, "assignment"), first(captures, "value"), first(captures, "setting")
    if assignment is None or value is None or setting is None or not _falsy(value, ctx):
        return
    if is_test_path(ctx.path) or _DEV_SETTINGS.search(ctx.path) or _in_debug_branch(assignment):
        return  # development and test settings run over plain HTTP on purpose
    yield Hit(assignment, message=f"`{node_text(setting)} = {node_text(value)}`. {rule.message}")


def _middleware_hits(rule: Rule, middleware: Node, ctx: FileContext) -> Iterable[Hit]:
    https_only = keyword_arg(middleware, "https_only")
    if https_only is None and any(a.type == "dictionary_splat" for a in arguments(middleware)):
        return
    if https_only is None:
        yield Hit(middleware, message=f"SessionMiddleware without `https_only=True`. {rule.message}")
    elif _falsy(https_only, ctx):
        yield Hit(https_only, message=f"SessionMiddleware with `https_only={node_text(https_only)}`. {rule.message}")


def _missing(attribute: str, middleware: bool) -> Check:
    """A check for cookies set without ``attribute=True`` (and for the settings of the session cookie)."""

    def check(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
        call, session = first(captures, "call"), first(captures, "middleware")
        header, raw = first(captures, "set_cookie"), first(captures, "raw")
        if call is not None:
            yield from _cookie_hits(rule, call, attribute, ctx)
        elif header is not None and raw is not None:
            yield from _header_hits(rule, header, raw, attribute, ctx)
        elif session is not None:
            if middleware:
                yield from _middleware_hits(rule, session, ctx)
        else:
            yield from _setting_hits(rule, captures, ctx)

    return check


def _query(*settings: str, middleware: bool) -> str:
    names = " ".join(f'"{s}"' for s in settings)
    query = _CALL_QUERY + _HEADER_QUERY + _SETTING_QUERY.format(value=_SETTING_VALUE, names=names)
    return query + _MIDDLEWARE_QUERY if middleware else query


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
        what="Flags `set_cookie`/`set_signed_cookie`/`set_secure_cookie` calls on a response (Flask, Django, "
        "Starlette/FastAPI, Tornado) that pass `secure=False`/`0`/`None` (or a name bound only to one), or "
        "pass no `secure` at all; `**options` bound to a dict literal is read. A missing `secure` is not "
        "flagged for a preference cookie (`theme`, `lang`, `ab_variant`...) or a constant value under a "
        "name that is not a session/token name (`set_cookie('visited', '1')`, deleting with an empty "
        "value). Also flags `SESSION_COOKIE_SECURE`, `CSRF_COOKIE_SECURE` and `REMEMBER_COOKIE_SECURE` "
        "set to false (Django settings, `app.config[...] =`, `app.config.update(...)`) outside "
        "development/test settings and `if DEBUG:` branches, Starlette's `SessionMiddleware` without "
        "`https_only=True`, and a raw `Set-Cookie` header (`headers['Set-Cookie'] = f'sid={sid}; Path=/'`, "
        "`headers.add(...)`, `('Set-Cookie', ...)`) whose literal text has no `; Secure`. Not flagged: "
        "`secure=True`, a value the rule cannot see (`secure=settings.X`, unresolved `**kwargs`, a header "
        "built entirely from variables), an empty value, `CookieJar.set_cookie(cookie)`.",
        why="A cookie without the Secure attribute is sent over unencrypted connections too, so a session "
        "or token cookie can be read by anyone on the network path (a café Wi-Fi, a proxy) and replayed.",
        example='response.set_cookie("session", token, httponly=True)\n\nSESSION_COOKIE_SECURE = False',
        use_instead='response.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")\n\n'
        "SESSION_COOKIE_SECURE = True",
    ),
    query=_query("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", middleware=True),
    check=_missing("secure", middleware=True),
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
        what="Flags `set_cookie`/`set_signed_cookie`/`set_secure_cookie` calls on a response (Flask, Django, "
        "Starlette/FastAPI, Tornado) that pass `httponly=False`/`0`/`None` (or a name bound only to one), "
        "or pass no `httponly` at all; `**options` bound to a dict literal is read. A missing `httponly` "
        "is not flagged for a preference cookie (`theme`, `lang`, `ab_variant`...) or a constant value "
        "under a name that is not a session/token name. Also flags `SESSION_COOKIE_HTTPONLY` and "
        "`REMEMBER_COOKIE_HTTPONLY` set to false (Django settings, `app.config[...] =`, "
        "`app.config.update(...)`) outside development/test settings and `if DEBUG:` branches, and a raw "
        "`Set-Cookie` header whose literal text has no `; HttpOnly`. Not flagged: `httponly=True`, a value "
        "the rule cannot see, an empty value, `CookieJar.set_cookie(cookie)`, `CSRF_COOKIE_HTTPONLY` "
        "(Django documents that HttpOnly gives its CSRF cookie no protection, and AJAX code reads it), "
        "Starlette's `SessionMiddleware` (always HttpOnly).",
        why="A cookie readable from JavaScript turns any cross-site scripting bug into session theft: the "
        "injected script reads `document.cookie` and sends it away. Cookies the page's own script must "
        "read (a CSRF token) are the exception; mark them with `# reviewlab: ignore[PY-S020]`.",
        example='response.set_cookie("session", token, secure=True)\n\nSESSION_COOKIE_HTTPONLY = False',
        use_instead='response.set_cookie("session", token, secure=True, httponly=True, samesite="Lax")\n\n'
        "SESSION_COOKIE_HTTPONLY = True",
    ),
    query=_query("SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY", middleware=False),
    check=_missing("httponly", middleware=False),
    references=(
        "https://cwe.mitre.org/data/definitions/1004.html",
        "https://owasp.org/www-community/HttpOnly",
    ),
)

RULES: tuple[Rule, ...] = (INSECURE_COOKIE, SCRIPT_READABLE_COOKIE)
