"""Python rule pack.

Each rule's query narrows candidates by node shape and by name (``#any-of?`` on the called
function's last name component), so the combined query stays cheap; the checks then resolve the
full name through the file's imports and judge values with the shared helpers in ``pyhelpers``.
The fixtures in ``tests/rules/fixtures/PY-*.py`` pin down, line by line, what each rule flags and
which look-alikes it leaves alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Fix, Replacement, Severity, Span
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.complexity import complexity_rule
from reviewlab.engine.rules.pyhelpers import (
    OWASP_AUTH,
    OWASP_CRYPTO,
    OWASP_INTEGRITY,
    OWASP_MISCONFIG,
    PY,
    any_of,
    argument,
    call_name,
    calls_named,
    cwe_url,
    function_tail,
    has_splat,
    imports,
    is_module_level,
    is_test_path,
    name_words,
    node_text,
    qualified_name,
    secret_noun,
    string_value,
    unwrap,
)


def _replace_bool(ctx: FileContext, value: tree_sitter.Node, description: str) -> Hit:
    """A hit on the keyword/assignment around ``value`` with a fix flipping the literal boolean."""
    flipped = "False" if value.type == "true" else "True"
    owner = value.parent or value
    return Hit(owner, fix=ctx.replace(value, flipped, description))


# ---------------------------------------------------------------------------------------------
# PY-S005 yaml.load without a safe loader
# ---------------------------------------------------------------------------------------------

_SAFE_LOADERS = {"Loader": "SafeLoader", "UnsafeLoader": "SafeLoader", "FullLoader": "SafeLoader"} | {
    "CLoader": "CSafeLoader",
    "CUnsafeLoader": "CSafeLoader",
    "CFullLoader": "CSafeLoader",
}


def _check_yaml_load(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    name = call_name(call, ctx) or ""
    module, _, func = name.rpartition(".")
    if module != "yaml":
        return
    safe_func = "safe_" + func.removeprefix("unsafe_")
    method = function.child_by_field_name("attribute") if function.type == "attribute" else None
    if func in ("unsafe_load", "unsafe_load_all"):
        fix = None if method is None else ctx.replace(method, safe_func, f"Use yaml.{safe_func}")
        yield Hit(call, message=f"`yaml.{func}` constructs arbitrary Python objects; use `yaml.{safe_func}`.", fix=fix)
        return
    loader = argument(call, 1, "Loader")
    if loader is None:
        if has_splat(call):
            return  # yaml.load(f, **options) may well pass a Loader
        fix = None if method is None else ctx.replace(method, safe_func, f"Use yaml.{safe_func}")
        yield Hit(call, message=f"`yaml.{func}` without a safe Loader; use `yaml.{safe_func}`.", fix=fix)
        return
    loader = unwrap(loader)
    loader_name = node_text(loader.child_by_field_name("attribute") if loader.type == "attribute" else loader)
    if loader_name not in _SAFE_LOADERS:
        return  # SafeLoader, CSafeLoader, BaseLoader, or a project loader (usually a SafeLoader subclass)
    fix = None
    if loader.type == "attribute":
        attribute = loader.child_by_field_name("attribute")
        if attribute is not None:
            fix = ctx.replace(attribute, _SAFE_LOADERS[loader_name], f"Use {_SAFE_LOADERS[loader_name]}")
    yield Hit(call, message=f"`yaml.{func}` with `{loader_name}` constructs arbitrary Python objects.", fix=fix)


YAML_LOAD = Rule(
    id="PY-S005",
    title="yaml.load without a safe Loader",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=502,
    languages=PY,
    message="`yaml.load` with an unsafe Loader constructs arbitrary Python objects; use `yaml.safe_load`.",
    docs=RuleDocs(
        what="Flags PyYAML `yaml.load`/`yaml.load_all` without a `Loader`, or with `Loader`, `UnsafeLoader`, "
        "`FullLoader` or their C variants, and `yaml.unsafe_load`/`unsafe_load_all`. `SafeLoader`, "
        "`CSafeLoader`, `BaseLoader` and project-defined loaders are not flagged. The fix switches to "
        "`yaml.safe_load` or to `SafeLoader`.",
        why="The unsafe loaders honour tags such as `!!python/object/apply:os.system`, so a YAML document "
        "can run code while it is being parsed.",
        example="import yaml\n\nconfig = yaml.load(upload.read())\nconfig = yaml.load(f, Loader=yaml.Loader)",
        use_instead="import yaml\n\nconfig = yaml.safe_load(upload.read())\n"
        "config = yaml.load(f, Loader=yaml.SafeLoader)",
    ),
    query=calls_named("load", "load_all", "unsafe_load", "unsafe_load_all"),
    check=_check_yaml_load,
    references=(
        cwe_url(502),
        OWASP_INTEGRITY,
        "https://github.com/yaml/pyyaml/wiki/PyYAML-yaml.load(input)-Deprecation",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S008 TLS verification disabled
# ---------------------------------------------------------------------------------------------

_HTTP_CALLS = (
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "request",
    "send",
    "stream",
    "urlopen",
    "Client",
    "AsyncClient",
    "client",
    "resource",
    "ws_connect",
    "TCPConnector",
    "Session",
    "ClientSession",
    "PoolManager",
)
_CERT_NONE_VALUE = "[(attribute attribute: (identifier) @c) (identifier) @c (string (string_content) @c)] @value"
_CERT_OPTION = ("cert_reqs", "ssl_cert_reqs", "verify_mode")
_TLS_QUERY = "\n".join(
    (
        # requests / httpx / aiohttp / boto3: verify=False, verify_ssl=False, ssl=False
        calls_named(
            *_HTTP_CALLS,
            arguments="(argument_list (keyword_argument name: (identifier) @kw value: (false) @flip))",
            predicates='(#any-of? @kw "verify" "verify_ssl" "ssl")',
        ),
        # session.verify = False
        "((assignment left: (attribute object: (_) @obj attribute: (identifier) @kw) right: (false) @flip) "
        '(#eq? @kw "verify") (#match? @obj "(?i)(session|client|http|requests)"))',
        # ssl._create_unverified_context
        "((attribute attribute: (identifier) @fn) @unverified "
        '(#any-of? @fn "_create_unverified_context" "_create_stdlib_context"))',
        # ctx.verify_mode = ssl.CERT_NONE, cert_reqs=ssl.CERT_NONE, {"cert_reqs": "CERT_NONE"}
        f"((assignment left: (attribute attribute: (identifier) @opt) right: {_CERT_NONE_VALUE}) "
        f'(#eq? @opt "verify_mode") (#any-of? @c "CERT_NONE" "NONE"))',
        f"((keyword_argument name: (identifier) @opt value: {_CERT_NONE_VALUE}) "
        f'(#any-of? @opt {any_of(*_CERT_OPTION)}) (#any-of? @c "CERT_NONE" "NONE"))',
        f"((pair key: (string (string_content) @opt) value: {_CERT_NONE_VALUE}) "
        f'(#any-of? @opt {any_of(*_CERT_OPTION)}) (#any-of? @c "CERT_NONE" "NONE"))',
        # ctx.check_hostname = False, assert_hostname=False
        "((assignment left: (attribute attribute: (identifier) @opt) right: (false)) @finding "
        '(#eq? @opt "check_hostname"))',
        "((keyword_argument name: (identifier) @opt value: (false)) @finding "
        '(#any-of? @opt "check_hostname" "assert_hostname"))',
    )
)


def _check_tls(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    flip = first(captures, "flip")
    if flip is not None:
        yield _replace_bool(ctx, flip, "Verify TLS certificates")
        return
    unverified = first(captures, "unverified")
    if unverified is not None:
        yield from _unverified_context(unverified, ctx)
        return
    value, constant = first(captures, "value"), first(captures, "c")
    if value is not None and constant is not None:
        fixable = value.type == "string" or qualified_name(value, ctx) == "ssl.CERT_NONE"
        fix = ctx.replace(constant, "CERT_REQUIRED", "Require a valid certificate") if fixable else None
        yield Hit(value, fix=fix)
        return
    finding = first(captures, "finding")
    if finding is not None:
        yield Hit(finding, message="Host name checking is disabled; any valid certificate for any host is accepted.")


def _unverified_context(node: tree_sitter.Node, ctx: FileContext) -> Iterator[Hit]:
    name = qualified_name(node, ctx)
    if name not in ("ssl._create_unverified_context", "ssl._create_stdlib_context"):
        return
    attribute = node.child_by_field_name("attribute")
    parent = node.parent
    fix = None
    if attribute is not None and parent is not None:
        called_bare = parent.type == "call" and not any(
            a.type != "comment" for a in (parent.child_by_field_name("arguments") or parent).named_children
        )
        assigned = parent.type == "assignment" and parent.child_by_field_name("right") == node
        if called_bare or assigned:
            fix = ctx.replace(attribute, "create_default_context", "Use a verifying default context")
    yield Hit(node, message=f"`{name}` builds an SSL context that verifies nothing.", fix=fix)


TLS_VERIFICATION = Rule(
    id="PY-S008",
    title="TLS certificate verification disabled",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=295,
    languages=PY,
    message="TLS certificate verification is disabled; anyone on the network path can read and alter the traffic.",
    docs=RuleDocs(
        what="Flags `verify=False` (and aiohttp `ssl=False` / `verify_ssl=False`) on requests, httpx, aiohttp "
        "and boto3 calls and clients, `session.verify = False`, `ssl._create_unverified_context`, "
        "`ssl.CERT_NONE` assigned to `verify_mode` or passed as `cert_reqs`, and `check_hostname = "
        "False` / `assert_hostname=False`. Comparisons such as `mode == ssl.CERT_NONE` are not flagged. "
        "Fixes flip `verify=False` to `True` and `CERT_NONE` to `CERT_REQUIRED`.",
        why="Without certificate and host name checks, a man in the middle presents any certificate and "
        "reads or rewrites everything, including credentials sent over the connection.",
        example="import requests, ssl\n\nrequests.get(url, verify=False)\n"
        "context = ssl.create_default_context()\ncontext.check_hostname = False\n"
        "context.verify_mode = ssl.CERT_NONE",
        use_instead="import requests, ssl\n\nrequests.get(url, verify='/etc/ssl/internal-ca.pem')  # or True\n"
        "context = ssl.create_default_context(cafile='/etc/ssl/internal-ca.pem')",
    ),
    query=_TLS_QUERY,
    check=_check_tls,
    references=(cwe_url(295), OWASP_CRYPTO, "https://docs.python.org/3/library/ssl.html#security-considerations"),
)

# ---------------------------------------------------------------------------------------------
# PY-S009 hard-coded credentials
# ---------------------------------------------------------------------------------------------

_CREDENTIAL_NAME_RE = '"(?i)(pass|pw|secret|token|key|cred)"'
_STRING_VALUE = "[(string) (concatenated_string)] @value"
_CREDENTIAL_TARGETS = (
    # NAME = "...", obj.name = "...", d["name"] = "..."
    "assignment left: [(identifier) @name (attribute attribute: (identifier) @name) "
    "(subscript subscript: (string (string_content) @name))] right:",
    "keyword_argument name: (identifier) @name value:",  # f(name="...")
    "pair key: (string (string_content) @name) value:",  # {"name": "..."}
    "default_parameter name: (identifier) @name value:",  # def f(name="...")
    "typed_default_parameter name: (identifier) @name value:",  # def f(name: str = "...")
)
# Calls that take a credential by position: qualified name (or method name) -> (argument index, keyword, noun).
_SECRET_ARGUMENTS: dict[str, tuple[int, str, str]] = {
    "jwt.encode": (1, "key", "secret"),
    "jwt.decode": (1, "key", "secret"),
    "hmac.new": (0, "key", "secret"),
    "cryptography.fernet.Fernet": (0, "key", "key"),
    "requests.auth.HTTPBasicAuth": (1, "password", "password"),
    "requests.auth.HTTPDigestAuth": (1, "password", "password"),
    **{
        f"itsdangerous.{name}": (0, "secret_key", "secret")
        for name in ("URLSafeSerializer", "URLSafeTimedSerializer", "Serializer", "TimestampSigner", "Signer")
    },
}
# Methods taking (user, password): smtplib/ftplib/imaplib ``login``, python-ldap binds.
_LOGIN_METHODS = {"login": 1, "simple_bind_s": 1, "simple_bind": 1, "bind_s": 1}
_SECRET_CALL_TAILS = frozenset(name.rsplit(".", 1)[1] for name in _SECRET_ARGUMENTS) | frozenset(_LOGIN_METHODS)
_CREDENTIAL_QUERY = "\n".join(
    (
        *(
            f"(({target} {_STRING_VALUE}) @finding (#match? @name {_CREDENTIAL_NAME_RE}))"
            for target in _CREDENTIAL_TARGETS
        ),
        # ``password == "Maint@nce#1"``: a built-in backdoor
        "((comparison_operator [(identifier) @name (attribute attribute: (identifier) @name) "
        "(call function: (attribute attribute: (identifier) @get) "
        "  arguments: (argument_list . (string (string_content) @name)))] "
        f"{_STRING_VALUE}) @finding (#match? @name {_CREDENTIAL_NAME_RE}))",
        f"((call function: [(identifier) @fn (attribute attribute: (identifier) @fn)]) @secret_call "
        f"(#any-of? @fn {any_of(*sorted(_SECRET_CALL_TAILS))}))",
    )
)
_PLACEHOLDER = re.compile(
    r"(?i)(change[-_. ]?me|changeit|x+|\*+|\.+|-+|_+|\?+|#+|0+|1234(5678?)?|dummy.*|fake.*|mock.*|example.*|"
    r"sample.*|placeholder.*|your[-_ ].*|none|null|nil|undefined|todo|tbd|fixme|redacted|hidden|masked|"
    r"not[-_ ]?set|unset|empty|default|test|testing|string|str|text|required|optional|secret|password)"
)
_NOT_A_SECRET_START = ("/", "./", "../", "~/", "$", "%(", "{{", "<", "[", "(", "http:", "https:")
_HASHED = re.compile(r"(?i)^(pbkdf2|argon2|bcrypt|scrypt|sha\d+|md5)[_$]")
# A value made only of these words is a label, field name, header or env var name, not a secret.
_LABEL_WORDS = frozenset(
    {"password", "passwd", "pwd", "pass", "passphrase", "secret", "token", "key", "api", "apikey", "auth"}
    | {"authorization", "bearer", "basic", "x", "header", "field", "name", "input", "user", "username", "id"}
    | {"db", "env", "the", "your", "enter", "new", "confirm", "confirmation", "old", "current", "access"}
    | {"refresh", "client", "private", "public", "session", "csrf", "xsrf", "hash", "value", "form", "type"}
    | {"secret", "credentials", "credential", "repeat", "again", "reset", "login", "account", "admin", "app"}
)


_PASSWORD_NOUNS = frozenset({"password", "passwd", "pwd", "pw", "passphrase", "pass"})
# Letters and separators only (snake_case, kebab-case, camelCase, "ns:name"): a name, not random data.
_NAME_LIKE = re.compile(r"_*[A-Za-z][A-Za-z_.:-]*")
_KEY_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def looks_like_secret(value: str, noun: str) -> bool:
    """Whether a literal assigned to a target named after ``noun`` plausibly is the secret itself.

    Passwords may be dictionary words (``"letmein"``); tokens, keys and secrets are random, so a
    value that reads as a name (``"next_token"``, ``"relationship"``) is a name."""
    if len(value) < 3 or any(c.isspace() for c in value) or not any(c.isalnum() for c in value):
        return False  # empty, tiny, masked ("****"), or prose ("Enter your password")
    if "example" in value.lower():
        return False  # documentation keys such as AWS's "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    if _PLACEHOLDER.fullmatch(value) or _HASHED.match(value) or value.startswith(_NOT_A_SECRET_START):
        return False
    if "://" in value or "{" in value or "%s" in value:
        return False  # URLs, templates
    words = name_words(value)
    if words and all(w in _LABEL_WORDS for w in words):
        return False  # a label, header or variable name: "Password", "X-API-Key", "DB_PASSWORD"
    if _NAME_LIKE.fullmatch(value):
        # one dictionary word may be a (weak) password; several words are an identifier
        return noun.split("_")[-1] in _PASSWORD_NOUNS and len(words) == 1
    return True


def _literal_credential(value: str) -> bool:
    """A literal in a position that only takes a key or password is one, unless it is a placeholder."""
    return (
        len(value) >= 4
        and not any(c.isspace() for c in value)
        and not _PLACEHOLDER.fullmatch(value)
        and not value.startswith(_NOT_A_SECRET_START)
        and "example" not in value.lower()
    )


def _secret_argument(call: tree_sitter.Node, ctx: FileContext) -> Hit | None:
    """A literal credential passed by position or keyword to a call that takes one (``jwt.encode(c, "key")``)."""
    name = call_name(call, ctx) or ""
    spec = _SECRET_ARGUMENTS.get(name)
    callee = call.child_by_field_name("function")
    receiver = callee.child_by_field_name("object") if callee is not None and callee.type == "attribute" else None
    if spec is None and function_tail(call) in _LOGIN_METHODS and receiver is not None:
        if node_text(receiver).split(".", 1)[0] in imports(ctx):
            return None  # ``auth.login(...)`` of an imported module: not a (user, password) login
        spec = (_LOGIN_METHODS[function_tail(call)], "password", "password")
    if spec is None:
        return None
    index, keyword, noun = spec
    value = argument(call, index, keyword)
    literal = string_value(value) if value is not None else None
    if value is None or literal is None or not _literal_credential(literal):
        return None
    label = name or function_tail(call)
    return Hit(value, message=f"Hard-coded {noun} passed to `{label}`; load it from the environment or a secret store.")


def _check_credentials(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    if ctx.option(rule, "ignore_tests") and is_test_path(ctx.path):
        return
    call = first(captures, "secret_call")
    if call is not None:
        hit = _secret_argument(call, ctx)
        if hit is not None:
            yield hit
        return
    finding, name, value = first(captures, "finding"), first(captures, "name"), first(captures, "value")
    if finding is None or name is None or value is None:
        return
    target = node_text(name)
    if name.type == "string_content" and not _KEY_LIKE.fullmatch(target):
        return  # dict keys and subscripts such as "AWS::IAM::AccessKey" are not variable names
    secret = secret_noun(target)
    literal = string_value(value)
    if secret is None or literal is None or not looks_like_secret(literal, secret):
        return
    what = secret.replace("_", " ")
    yield Hit(
        finding, message=f"Hard-coded {what} in `{node_text(name)}`; load it from the environment or a secret store."
    )


HARDCODED_CREDENTIALS = Rule(
    id="PY-S009",
    title="Hard-coded credential",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    languages=PY,
    message="A credential is hard-coded in the source; load it from the environment or a secret store.",
    docs=RuleDocs(
        what="Flags a string literal assigned to a name, attribute, subscript, keyword argument, dict key or "
        "parameter default whose head noun is a credential: `password`, `passwd`, `pwd`, `secret`, "
        "`token`, `api_key`/`apikey`, `secret_key`, `private_key`, `access_key`, `db_pass`... Not "
        "flagged: names where the credential word is not the head (`password_field`, `token_url`, "
        "`token_count`), NLP and pagination tokens (`pad_token`, `next_page_token`), empty strings, "
        "placeholders (`changeme`, `xxx`, `<token>`, `${TOKEN}`), values that are labels or "
        "variable names (`'Password'`, `'DB_PASSWORD'`, `'X-API-Key'`), prose, URLs, paths, password "
        "hashes, and test files (`tests/`, `test_*.py`; option `ignore_tests`). Also flagged: a credential "
        'compared with a literal (`if password == "Maint@nce#1":`, a built-in backdoor) and literal keys and '
        'passwords passed by position to calls that take one: `jwt.encode(claims, "...")`/`jwt.decode`, '
        "`hmac.new`, `Fernet`, itsdangerous serializers and signers, `HTTPBasicAuth`/`HTTPDigestAuth`, and "
        "`login`/`simple_bind_s(user, password)` (smtplib, ftplib, imaplib, python-ldap).",
        why="Secrets in source end up in every clone, fork, backup, CI log and container image, cannot be "
        "rotated without a release, and are shared by every environment.",
        example='DB_PASSWORD = "hunter2"\nclient = Client(api_key="sk-live-4f9a8c")\n'
        'headers = {"token": "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}',
        use_instead='import os\n\nDB_PASSWORD = os.environ["DB_PASSWORD"]\n'
        'client = Client(api_key=os.environ["API_KEY"])',
    ),
    query=_CREDENTIAL_QUERY,
    check=_check_credentials,
    references=(
        cwe_url(798),
        OWASP_AUTH,
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ),
    options={"ignore_tests": True},
)

# ---------------------------------------------------------------------------------------------
# PY-S010 debug mode
# ---------------------------------------------------------------------------------------------

_DJANGO_MARKERS = frozenset({"INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF", "WSGI_APPLICATION", "ASGI_APPLICATION"})
_DEV_PATH = re.compile(r"(?i)(^|[/_.-])(dev|devel|develop|development|local|test|tests|testing|debug|ci)([/_.-]|$)")
_DEBUG_QUERY = "\n".join(
    (
        # app.run(debug=True)
        "((call function: (attribute object: (_) @obj attribute: (identifier) @fn) "
        "arguments: (argument_list (keyword_argument name: (identifier) @kw value: (true) @flip))) "
        '(#eq? @fn "run") (#eq? @kw "debug"))',
        # werkzeug run_simple(..., use_debugger=True)
        calls_named(
            "run_simple",
            arguments="(argument_list (keyword_argument name: (identifier) @kw value: (true) @flip))",
            predicates='(#any-of? @kw "use_debugger" "use_evalex")',
        ),
        # app.config["DEBUG"] = True, app.config.update(DEBUG=True)
        "((assignment left: (subscript value: (attribute attribute: (identifier) @cfg) "
        'subscript: (string (string_content) @key)) right: (true) @flip) (#eq? @cfg "config") (#eq? @key "DEBUG"))',
        "((call function: (attribute object: (attribute attribute: (identifier) @cfg) attribute: (identifier) @fn) "
        "arguments: (argument_list (keyword_argument name: (identifier) @key value: (true) @flip))) "
        '(#eq? @cfg "config") (#any-of? @fn "update" "from_mapping") (#eq? @key "DEBUG"))',
        # Django settings: DEBUG = True
        '((assignment left: (identifier) @django right: (true)) @finding (#eq? @django "DEBUG"))',
    )
)


def _is_django_settings(ctx: FileContext) -> bool:
    path = ctx.path.replace("\\", "/")
    if _DEV_PATH.search(path):
        return False
    if "settings" in path.rsplit("/", 2)[-1].lower() or "/settings/" in f"/{path.lower()}":
        return True
    for statement in ctx.tree.root_node.named_children:
        if statement.type == "expression_statement" and statement.named_child_count:
            assignment = statement.named_children[0]
            left = assignment.child_by_field_name("left") if assignment.type == "assignment" else None
            if left is not None and node_text(left) in _DJANGO_MARKERS:
                return True
    return False


def _check_debug(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    flip = first(captures, "flip")
    if flip is not None:
        receiver = first(captures, "obj")
        if receiver is not None and node_text(receiver) in imports(ctx):
            return  # asyncio.run(main(), debug=True) and other module-level runners are not web apps
        yield _replace_bool(ctx, flip, "Turn the debugger off")
        return
    finding = first(captures, "finding")
    if finding is not None and is_module_level(finding) and _is_django_settings(ctx):
        yield Hit(finding, message="Django `DEBUG = True` in a settings module exposes settings and stack traces.")


DEBUG_MODE = Rule(
    id="PY-S010",
    title="Debug mode enabled",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=489,
    languages=PY,
    message="Debug mode is enabled; the debugger runs arbitrary code and error pages leak internals.",
    docs=RuleDocs(
        what="Flags Flask `app.run(debug=True)` (any `.run(debug=True)` on an object, not on a module such as "
        "`asyncio`), `app.config['DEBUG'] = True` / `app.config.update(DEBUG=True)`, werkzeug "
        "`run_simple(use_debugger=True)`, and a module-level `DEBUG = True` in a Django settings module: "
        "a file named `*settings*.py` or in a `settings/` package, or one that defines "
        "`INSTALLED_APPS`/`MIDDLEWARE`/`ROOT_URLCONF`. Settings whose path says they are for "
        "development, local use, tests or CI (`settings/dev.py`, `local_settings.py`) are not flagged, "
        "nor is `DEBUG = True` under an `if`.",
        why="The Werkzeug debugger gives anyone who can reach an error page a Python console; Django's "
        "debug pages print settings, SQL and source. Debug configuration leaks into production.",
        example='app.run(host="0.0.0.0", debug=True)\n\n# settings.py\nDEBUG = True',
        use_instead='app.run(host="0.0.0.0", debug=os.environ.get("FLASK_DEBUG") == "1")\n\n'
        '# settings.py\nDEBUG = os.environ.get("DJANGO_DEBUG") == "1"',
    ),
    query=_DEBUG_QUERY,
    check=_check_debug,
    references=(
        cwe_url(489),
        OWASP_MISCONFIG,
        "https://flask.palletsprojects.com/en/latest/debugging/",
        "https://docs.djangoproject.com/en/stable/ref/settings/#debug",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S011 tempfile.mktemp
# ---------------------------------------------------------------------------------------------


def _check_mktemp(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is not None and call_name(call, ctx) == "tempfile.mktemp":
        yield Hit(call)


INSECURE_TEMPFILE = Rule(
    id="PY-S011",
    title="Insecure temporary file name (tempfile.mktemp)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=377,
    languages=PY,
    message="`tempfile.mktemp` returns a name another process can create first; use `mkstemp` or `NamedTemporaryFile`.",
    docs=RuleDocs(
        what="Flags calls to `tempfile.mktemp`, resolved through imports.",
        why="Between `mktemp` choosing a name and the program creating the file, another user can create "
        "that path (or a symlink at it) and have the program write into a file they control.",
        example="import tempfile\n\npath = tempfile.mktemp(suffix='.csv')\nwith open(path, 'w') as out:\n    ...",
        use_instead="import tempfile\n\nwith tempfile.NamedTemporaryFile('w', suffix='.csv', delete=False) as out:\n"
        "    path = out.name\n    ...",
    ),
    query=calls_named("mktemp"),
    check=_check_mktemp,
    references=(cwe_url(377), "https://docs.python.org/3/library/tempfile.html#tempfile.mktemp"),
)

# ---------------------------------------------------------------------------------------------
# PY-Q001 bare except
# ---------------------------------------------------------------------------------------------

_SWALLOW_TYPES = frozenset({"pass_statement", "continue_statement", "break_statement"})


def _except_body(clause: tree_sitter.Node) -> list[tree_sitter.Node]:
    blocks = [c for c in clause.named_children if c.type == "block"]
    if not blocks:
        return []
    return [s for s in blocks[-1].named_children if s.type != "comment"]


def _reraises(statements: Iterable[tree_sitter.Node]) -> bool:
    return any(s.type == "raise_statement" and s.named_child_count == 0 for s in statements)


def _swallows(statements: list[tree_sitter.Node]) -> bool:
    def empty(statement: tree_sitter.Node) -> bool:
        if statement.type in _SWALLOW_TYPES:
            return True
        return statement.type == "expression_statement" and all(
            c.type in ("ellipsis", "string") for c in statement.named_children
        )

    return bool(statements) and all(empty(s) for s in statements)


def _check_bare_except(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    clause = first(captures, "clause")
    if clause is None or clause.child_count == 0:
        return
    keyword = clause.children[0]
    body = _except_body(clause)
    if first(captures, "base") is not None:
        if _swallows(body):
            yield Hit(keyword, message="`except BaseException` that does nothing also swallows Ctrl-C and SystemExit.")
        return
    if not _reraises(body):
        yield Hit(keyword)


BARE_EXCEPT = Rule(
    id="PY-Q001",
    title="Bare except",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=396,
    languages=PY,
    message="Bare `except:` catches everything, including KeyboardInterrupt and SystemExit; name the exceptions.",
    docs=RuleDocs(
        what="Flags `except:` without an exception type (unless the handler re-raises with a bare `raise`), "
        "and `except BaseException:` whose body only passes, continues or breaks.",
        why="A bare handler also catches `KeyboardInterrupt`, `SystemExit` and `GeneratorExit`, so Ctrl-C "
        "and `sys.exit()` stop working, and it hides programming errors such as `NameError`.",
        example="try:\n    value = int(text)\nexcept:\n    value = 0",
        use_instead="try:\n    value = int(text)\nexcept ValueError:\n    value = 0",
    ),
    query="\n".join(
        (
            "(except_clause !value) @clause",
            "((except_clause value: [(identifier) @base (as_pattern (identifier) @base)]) @clause "
            '(#eq? @base "BaseException"))',
        )
    ),
    check=_check_bare_except,
    references=(cwe_url(396), "https://docs.python.org/3/tutorial/errors.html#handling-exceptions"),
)

# ---------------------------------------------------------------------------------------------
# PY-Q002 mutable default argument
# ---------------------------------------------------------------------------------------------

_MUTABLE_LITERALS = "[(list) (dictionary) (set) (list_comprehension) (dictionary_comprehension) (set_comprehension)]"
_MUTABLE_CALLS = any_of("list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter")
_MUTABLE_DEFAULT_QUERY = "\n".join(
    f"({parameter} value: {value} @finding{predicate})"
    for parameter in ("default_parameter", "typed_default_parameter")
    for value, predicate in (
        (_MUTABLE_LITERALS, ""),
        ("(call function: (identifier) @fn)", f" (#any-of? @fn {_MUTABLE_CALLS})"),
        (
            "(call function: (attribute object: (identifier) @mod attribute: (identifier) @fn))",
            f' (#eq? @mod "collections") (#any-of? @fn {_MUTABLE_CALLS})',
        ),
    )
)


def _check_mutable_default(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    value = first(captures, "finding")
    if value is not None:
        yield Hit(value, fix=_none_guard(value, ctx))


def _none_guard(value: tree_sitter.Node, ctx: FileContext) -> Fix | None:
    """Default to None and build the value at the top of the body: ``if tags is None: tags = []``.

    Offered for one-line defaults of a ``def`` whose body starts on a line of its own; a typed parameter
    becomes ``T | None`` only where annotations are not evaluated (``from __future__ import annotations``),
    so the fix never breaks a module on an older Python.
    """
    parameter = value.parent
    function = parameter.parent.parent if parameter is not None and parameter.parent is not None else None
    if parameter is None or function is None or function.type != "function_definition":
        return None
    name = parameter.child_by_field_name("name")
    body = function.child_by_field_name("body")
    annotation = parameter.child_by_field_name("type")
    default = ctx.text(value)
    if name is None or body is None or "\n" in default or not body.named_children:
        return None
    if annotation is not None and b"from __future__ import annotations" not in ctx.source:
        return None
    statements = [c for c in body.named_children if c.type != "comment"]
    first_statement = statements[0] if statements else body.named_children[0]
    if _is_docstring_statement(first_statement) and len(statements) > 1:
        first_statement = statements[1]
    row, column = first_statement.start_point.row, first_statement.start_point.column
    raw = ctx.line_bytes(row)
    if raw[:column].strip():
        return None  # ``def f(x=[]): return x``: the body shares the signature's line
    line = raw.decode("utf-8", "replace")
    indent = line[: len(line) - len(line.lstrip())]
    step = "\t" if indent.startswith("\t") else "    "
    variable = ctx.text(name)
    guard = f"{indent}if {variable} is None:\n{indent}{step}{variable} = {default}\n"
    edits = [Replacement(ctx.span(value), "None"), Replacement(Span(row + 1, 1, row + 1, 1), guard)]
    if annotation is not None and not ctx.text(annotation).replace(" ", "").endswith("|None"):
        edits.insert(0, Replacement(ctx.span(annotation), f"{ctx.text(annotation)} | None"))
    return Fix(f"Default `{variable}` to None and create the value in the function", tuple(edits))


def _is_docstring_statement(node: tree_sitter.Node) -> bool:
    children = node.named_children
    return node.type == "expression_statement" and len(children) == 1 and children[0].type == "string"


MUTABLE_DEFAULT = Rule(
    id="PY-Q002",
    title="Mutable default argument",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=PY,
    message="Mutable default argument: it is created once and shared by every call; default to None.",
    docs=RuleDocs(
        what="Flags list, dict and set literals and comprehensions, and calls to `list()`, `dict()`, `set()`, "
        "`bytearray()` and the `collections` containers, used as parameter defaults of functions, methods "
        "and lambdas. The fix defaults the parameter to None and creates the value at the top of the body "
        "(`if tags is None: tags = []`); it is offered for `def`s whose body starts on its own line, and for "
        "annotated parameters (which become `T | None`) only under `from __future__ import annotations`.",
        why="A default is evaluated once, when the function is defined. Every call that mutates it changes "
        "the default seen by all later calls, which leaks state between callers.",
        example="def add_tag(tag, tags=[]):\n    tags.append(tag)\n    return tags",
        use_instead="def add_tag(tag, tags=None):\n    if tags is None:\n        tags = []\n"
        "    tags.append(tag)\n    return tags",
    ),
    query=_MUTABLE_DEFAULT_QUERY,
    check=_check_mutable_default,
    references=("https://docs.python.org/3/tutorial/controlflow.html#default-argument-values",),
)

# ---------------------------------------------------------------------------------------------
# PY-Q003 complexity
# ---------------------------------------------------------------------------------------------

COMPLEXITY = complexity_rule(
    "PY-Q003",
    "python",
    "(function_definition)",
    "[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause) "
    "(conditional_expression) (boolean_operator) (case_clause) (for_in_clause) (if_clause)]",
    example="def route(x):\n    if x == 1: ...\n    elif x == 2: ...\n    # ...ten more branches",
    use_instead="HANDLERS = {1: one, 2: two}\n\ndef route(x):\n    return HANDLERS[x]()",
)


RULES: tuple[Rule, ...] = (
    YAML_LOAD,
    TLS_VERIFICATION,
    HARDCODED_CREDENTIALS,
    DEBUG_MODE,
    INSECURE_TEMPFILE,
    BARE_EXCEPT,
    MUTABLE_DEFAULT,
    COMPLEXITY,
)
