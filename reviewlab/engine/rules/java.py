"""Java rule pack."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    CREDENTIAL_HINT,
    JAVA,
    Node,
    assigned_name,
    enclosing_function,
    function_name,
    has_comment,
    is_constant,
    is_credential_name,
    is_security_name,
    literal_text,
    local_values,
    looks_like_secret,
    statements,
    unsafe_command_element,
)
from reviewlab.engine.rules.complexity import complexity_rule
from reviewlab.engine.rules.flowhelpers import sql_check, with_flow
from reviewlab.engine.taint import generic as taint

LANGS = ("java",)


def _declared_as(ctx: FileContext, name: str, types: str, factory: str, within: Node | None = None) -> bool:
    """Whether the file (or the ``within`` node) declares ``name`` with one of ``types`` or assigns it
    from ``factory``.

    A textual check, enough to tell a ``Random`` from a ``SecureRandom`` (``\\bRandom`` does not
    match inside ``SecureRandom``) without type resolution.
    """
    var = re.escape(name)
    pattern = rf"(?<![\w.])(?:java\.\w+\.)?(?:{types})(?:<[^>]*>)?\s+{var}\b|\b{var}\s*=\s*(?:{factory})"
    source = ctx.source if within is None else ctx.source[within.start_byte : within.end_byte]
    return re.search(pattern.encode(), source) is not None


def _top_level_type(node: Node, ctx: FileContext) -> Node | None:
    """The top-level class, interface, enum or record declaration around ``node``."""
    for declaration in ctx.tree.root_node.named_children:
        if declaration.start_byte <= node.start_byte < declaration.end_byte:
            return declaration if declaration.type.endswith("_declaration") else None
    return None


def _receiver_name(receiver: Node | None, ctx: FileContext) -> str | None:
    """The variable or field a method is called on: ``engine`` in ``engine.eval`` / ``this.engine.eval``."""
    if receiver is not None and receiver.type == "field_access":
        receiver = receiver.child_by_field_name("field")
    if receiver is None or receiver.type != "identifier":
        return None
    return ctx.text(receiver)


# --- JAVA-S001 command injection -----------------------------------------------------------------


def _argv(node: Node | None, ctx: FileContext, depth: int = 0) -> list[Node] | None:
    """The elements of an argv given as an array / list literal (also through a local variable)."""
    if node is None or depth > 3:
        return None
    if node.type == "array_creation_expression":
        init = node.child_by_field_name("value")
        return init.named_children if init is not None else None
    if node.type == "array_initializer":
        return node.named_children
    if node.type == "method_invocation" and re.fullmatch(r"(?:Arrays\.asList|List\.of)", _callee(node, ctx)):
        args = node.child_by_field_name("arguments")
        return args.named_children if args is not None else None
    if node.type == "identifier":
        values = local_values(JAVA, node, ctx)
        if values and len(values) == 1:
            return _argv(values[0], ctx, depth + 1)
    return None


def _callee(node: Node, ctx: FileContext) -> str:
    obj, name = node.child_by_field_name("object"), node.child_by_field_name("name")
    method = ctx.text(name) if name is not None else ""
    return f"{ctx.text(obj)}.{method}" if obj is not None else method


def _check_command(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    args = first(captures, "args")
    if args is None or not args.named_children:
        return
    method = first(captures, "method")
    runtime = method is not None and ctx.text(method) == "exec"
    receiver = first(captures, "receiver")
    if receiver is not None:
        name = ctx.text(receiver)
        if runtime and not _declared_as(ctx, name, "Runtime", r"Runtime\.getRuntime\(\)"):
            return
        if not runtime and not _declared_as(ctx, name, "ProcessBuilder", r"new\s+ProcessBuilder\b"):
            return
    arguments = args.named_children
    label = "exec" if runtime else "ProcessBuilder"
    if runtime or len(arguments) == 1:
        elements = _argv(arguments[0], ctx)
        if elements is None:
            if not is_constant(JAVA, arguments[0], ctx):
                yield with_flow(Hit(arguments[0]), arguments[0], ctx, taint.COMMAND, label, "a command built", _ARGV)
            return
    else:
        elements = arguments
    unsafe = unsafe_command_element(JAVA, elements, ctx, dynamic_program=True)
    if unsafe is not None:
        # report at the call; an argv built in a local variable is reported where it is run
        hit = Hit(unsafe if args.start_byte <= unsafe.start_byte < args.end_byte else arguments[0])
        yield with_flow(hit, unsafe, ctx, taint.COMMAND, label, "a command built", _ARGV)


_ARGV = "run a fixed program with the data as separate arguments, never through a shell."


COMMAND = Rule(
    id="JAVA-S001",
    title="OS command built from non-constant input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=78,
    languages=LANGS,
    message="OS command built from a non-constant value; this allows command injection.",
    docs=RuleDocs(
        what="Flags `Runtime.getRuntime().exec(...)`, `new ProcessBuilder(...)` and `ProcessBuilder.command(...)` "
        "whose command is not constant: a non-constant command string or program, or a shell "
        "(`sh -c`, `bash -c`, `cmd /c`) given a non-constant script. When the command comes from the request "
        "(`getParameter`, `@RequestParam`...) or `main`'s arguments, the finding names the source and shows "
        "the flow to the call.",
        why="Whoever controls the command decides what runs on the server; through a shell, quotes, `;` or "
        "`$(...)` in the data run extra commands.",
        example='Runtime.getRuntime().exec("convert " + upload.getName() + " out.png");\n'
        'new ProcessBuilder("sh", "-c", "tar czf backup.tgz " + dir).start();',
        use_instead='new ProcessBuilder("convert", upload.getName(), "out.png").start();\n'
        'new ProcessBuilder("tar", "czf", "backup.tgz", "--", dir).start();',
    ),
    query="""
(method_invocation
  object: (method_invocation object: (identifier) @runtime name: (identifier) @get)
  name: (identifier) @method
  arguments: (argument_list) @args
  (#eq? @runtime "Runtime")
  (#eq? @get "getRuntime")
  (#eq? @method "exec"))
(method_invocation
  object: (identifier) @receiver
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method "exec" "command"))
(object_creation_expression
  type: (type_identifier) @type
  arguments: (argument_list) @args
  (#eq? @type "ProcessBuilder"))
""",
    check=_check_command,
    references=(
        "https://cwe.mitre.org/data/definitions/78.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/OS_Command_Injection_Defense_Cheat_Sheet.html",
    ),
)


# --- JAVA-S002 SQL injection ---------------------------------------------------------------------


SQL = Rule(
    id="JAVA-S002",
    title="SQL query built by string concatenation",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=89,
    languages=LANGS,
    message="SQL built by concatenating or formatting non-constant values; use a PreparedStatement with `?`.",
    docs=RuleDocs(
        what="Flags SQL (and JPQL) text built with `+`, `String.format` or `.formatted` from values not fixed "
        "in the source (also through a local variable) and passed to `Statement.execute*` / `addBatch`, "
        "`prepareStatement`, JPA `createQuery` / `createNativeQuery` or `JdbcTemplate` methods. When a value "
        "comes from the request (`getParameter`, `@RequestParam`, `@PathVariable`...), the finding names the "
        "source and shows the flow to the call.",
        why="Concatenated values become SQL syntax: a quote in the input ends the literal and the rest runs "
        "as SQL (SQL injection). `prepareStatement` does not help when the text is already concatenated.",
        example="Statement st = conn.createStatement();\n"
        'ResultSet rs = st.executeQuery("SELECT * FROM users WHERE name = \'" + name + "\'");',
        use_instead='PreparedStatement ps = conn.prepareStatement("SELECT * FROM users WHERE name = ?");\n'
        "ps.setString(1, name);\nResultSet rs = ps.executeQuery();",
    ),
    query="""
(method_invocation
  name: (identifier) @method
  arguments: (argument_list
    . [(binary_expression) (identifier) (method_invocation) (parenthesized_expression)] @sql)
  (#any-of? @method
    "execute" "executeQuery" "executeUpdate" "executeLargeUpdate" "addBatch" "prepareStatement"
    "prepareCall" "createQuery" "createNativeQuery" "createSQLQuery" "query" "queryForObject"
    "queryForList" "queryForMap" "queryForRowSet" "queryForStream" "update" "batchUpdate"))
""",
    check=sql_check(JAVA),
    references=(
        "https://cwe.mitre.org/data/definitions/89.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html",
    ),
)


# --- JAVA-S003 unsafe deserialisation ------------------------------------------------------------

_FILTER_MARKERS = (b"setObjectInputFilter", b"ObjectInputFilter", b"ValidatingObjectInputStream", b"resolveClass")
_SERIALIZATION_HOOKS = frozenset({"readObject", "readExternal", "readResolve", "readObjectNoData"})


def _check_deserialization(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, args = first(captures, "call"), first(captures, "args")
    if call is None or args is None or args.named_children:
        return
    source = ctx.source
    if b"ObjectInputStream" not in source and b"XMLDecoder" not in source:
        return
    if any(marker in source for marker in _FILTER_MARKERS):
        return  # a class allow-list is in place
    function = enclosing_function(JAVA, call, ctx)
    if function is not None and function_name(function, ctx) in _SERIALIZATION_HOOKS:
        return  # a class's own serialization hook reads its fields
    yield Hit(call)


DESERIALIZATION = Rule(
    id="JAVA-S003",
    title="Unsafe deserialization with ObjectInputStream",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=502,
    languages=LANGS,
    message="Java deserialization of a stream instantiates any class it names; untrusted data can run code.",
    docs=RuleDocs(
        what="Flags `readObject()` / `readUnshared()` on an `ObjectInputStream` (or `XMLDecoder`) in a file that "
        "sets no deserialization filter (`ObjectInputFilter`, `ValidatingObjectInputStream`, an overridden "
        "`resolveClass`). Calls inside a class's own `readObject` / `readExternal` hooks are not flagged.",
        why="Java deserialization instantiates whatever classes the bytes name and runs their hooks; with "
        "common libraries on the class path, crafted input executes arbitrary code.",
        example="ObjectInputStream in = new ObjectInputStream(request.getInputStream());\n"
        "Order order = (Order) in.readObject();",
        use_instead="Order order = objectMapper.readValue(request.getInputStream(), Order.class);\n"
        "// or, if Java serialization is unavoidable:\n"
        'in.setObjectInputFilter(ObjectInputFilter.Config.createFilter("com.example.Order;!*"));',
    ),
    query="""
(method_invocation
  name: (identifier) @method
  arguments: (argument_list) @args
  (#any-of? @method "readObject" "readUnshared")) @call
""",
    check=_check_deserialization,
    references=(
        "https://cwe.mitre.org/data/definitions/502.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Deserialization_Cheat_Sheet.html#java",
    ),
)


# --- JAVA-S004 weak hash / JAVA-S005 weak cipher -------------------------------------------------

WEAK_HASH = Rule(
    id="JAVA-S004",
    title="Weak hash algorithm (MD5 / SHA-1)",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=327,
    languages=LANGS,
    message="MD5 and SHA-1 are broken: collisions can be forged. Use SHA-256 or stronger.",
    docs=RuleDocs(
        what='Flags `MessageDigest.getInstance("MD5" | "SHA-1" | "SHA1" | "SHA" | "MD2" | "MD4")`, commons-codec '
        "`DigestUtils.md5*` / `sha1*` and Guava `Hashing.md5()` / `sha1()`.",
        why="Practical collision attacks exist against MD5 and SHA-1, so their digests cannot vouch for "
        "integrity or identity, and they are far too fast for password hashing.",
        example='MessageDigest md = MessageDigest.getInstance("MD5");\nString etag = DigestUtils.md5Hex(body);',
        use_instead='MessageDigest md = MessageDigest.getInstance("SHA-256");\n'
        "String etag = DigestUtils.sha256Hex(body);\n"
        "// passwords: a password hash such as Argon2, bcrypt or PBKDF2",
    ),
    query="""
(method_invocation
  object: (identifier) @class
  name: (identifier) @method
  arguments: (argument_list . (string_literal (string_fragment) @alg) @finding)
  (#eq? @class "MessageDigest")
  (#eq? @method "getInstance")
  (#match? @alg "^(?i:md2|md4|md5|sha|sha-?1)$"))
(method_invocation
  object: (identifier) @class
  name: (identifier) @finding
  (#eq? @class "DigestUtils")
  (#match? @finding "^(md2|md5|sha1?)(Hex)?$|^get(Md2|Md5|Sha1?)Digest$"))
(method_invocation
  object: (identifier) @class
  name: (identifier) @finding
  (#eq? @class "Hashing")
  (#any-of? @finding "md5" "sha1"))
""",
    references=(
        "https://cwe.mitre.org/data/definitions/327.html",
        "https://docs.oracle.com/en/java/javase/21/docs/specs/security/standard-names.html#messagedigest-algorithms",
    ),
)

# DES family, RC2/RC4, Blowfish; ECB with any cipher but RSA/ECIES; bare "AES" (defaults to ECB).
_WEAK_TRANSFORMATION = (
    "^(?i:(des|desede|tripledes|3des|rc2|rc4|arcfour|blowfish)(/.*)?|aes|(?!rsa|ecies)[a-z0-9_]+/ecb(/.*)?)$"
)

WEAK_CIPHER = Rule(
    id="JAVA-S005",
    title="Weak cipher or ECB mode",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=327,
    languages=LANGS,
    message="Broken cipher or ECB mode: use AES in GCM mode (`AES/GCM/NoPadding`).",
    docs=RuleDocs(
        what="Flags `Cipher.getInstance` with DES, 3DES (`DESede`), RC2, RC4 or Blowfish, with ECB mode for a "
        'block cipher, or with a bare `"AES"` (which defaults to `AES/ECB/PKCS5Padding`). `RSA/ECB/...` is '
        "not flagged: for RSA the mode name is a formality.",
        why="DES keys are brute-forced in hours and RC4's keystream is biased. ECB encrypts equal blocks to "
        "equal ciphertext, so patterns in the data show through, and it offers no integrity.",
        example='Cipher cipher = Cipher.getInstance("AES");\n'
        'Cipher legacy = Cipher.getInstance("DES/CBC/PKCS5Padding");',
        use_instead='Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");\n'
        "cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));  // fresh random 12-byte iv",
    ),
    query=f"""
(method_invocation
  object: (identifier) @class
  name: (identifier) @method
  arguments: (argument_list . (string_literal (string_fragment) @alg) @finding)
  (#eq? @class "Cipher")
  (#eq? @method "getInstance")
  (#match? @alg "{_WEAK_TRANSFORMATION}"))
""",
    references=(
        "https://cwe.mitre.org/data/definitions/327.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Cryptographic_Storage_Cheat_Sheet.html#algorithms",
    ),
)


# --- JAVA-S006 insecure randomness ---------------------------------------------------------------


def _insecure_receiver(receiver: Node | None, ctx: FileContext) -> bool:
    if receiver is None:
        return False
    if receiver.type == "object_creation_expression":
        kind = receiver.child_by_field_name("type")
        return kind is not None and ctx.text(kind) in ("Random", "java.util.Random")
    if receiver.type == "method_invocation":
        return ctx.text(receiver).replace(" ", "") == "ThreadLocalRandom.current()"
    if receiver.type == "field_access":
        receiver = receiver.child_by_field_name("field")
    if receiver is None or receiver.type != "identifier":
        return False
    return _declared_as(
        ctx, ctx.text(receiver), "Random", r"new\s+(?:java\.util\.)?Random\s*\(|ThreadLocalRandom\.current\(\)"
    )


def _check_random(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method = first(captures, "call"), first(captures, "method")
    if call is None or method is None:
        return
    cls = first(captures, "class")
    if cls is None and not _insecure_receiver(first(captures, "receiver"), ctx):
        return
    name = assigned_name(JAVA, call, ctx)
    if name is not None and is_security_name(name):
        what = _callee(call, ctx) if cls is not None else "java.util.Random"
        yield Hit(call, message=f"`{what}` is predictable but its value is used for `{name}`; use SecureRandom.")


RANDOM = Rule(
    id="JAVA-S006",
    title="Predictable random number used for a security value",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=330,
    languages=LANGS,
    message="`java.util.Random` is predictable; use `java.security.SecureRandom` for security values.",
    docs=RuleDocs(
        what="Flags numbers from `java.util.Random`, `ThreadLocalRandom`, `Math.random()` or commons-lang "
        "`RandomStringUtils.random*` stored in, or returned as, a value named like a token, secret, "
        "password, key, nonce, salt, session or id. `SecureRandom` is not flagged.",
        why="These generators are linear congruential: anyone who sees a few outputs can compute the next "
        "ones, so tokens and ids made from them can be guessed.",
        example="Random random = new Random();\nString resetToken = Long.toHexString(random.nextLong());",
        use_instead="SecureRandom random = new SecureRandom();\nbyte[] bytes = new byte[32];\n"
        "random.nextBytes(bytes);\n"
        "String resetToken = HexFormat.of().formatHex(bytes);",
    ),
    query="""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  (#match? @method "^(next(Int|Long|Double|Float|Bytes|Boolean|Gaussian)|ints|longs|doubles)$")) @call
(method_invocation
  object: (identifier) @class
  name: (identifier) @method
  (#eq? @class "Math")
  (#eq? @method "random")) @call
(method_invocation
  object: (identifier) @class
  name: (identifier) @method
  (#eq? @class "RandomStringUtils")
  (#match? @method "^(random|insecure)")) @call
""",
    check=_check_random,
    references=(
        "https://cwe.mitre.org/data/definitions/330.html",
        "https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/security/SecureRandom.html",
    ),
)


# --- JAVA-S007 trust-all TLS ---------------------------------------------------------------------


def _check_trust(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding = first(captures, "finding")
    if finding is None:
        return
    body = first(captures, "body")
    if body is None:
        yield Hit(finding)
    elif not statements(body):
        yield Hit(finding, message="`checkServerTrusted` accepts every certificate chain (empty body).")


TRUST_ALL = Rule(
    id="JAVA-S007",
    title="TLS certificate or hostname verification disabled",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=295,
    languages=LANGS,
    message="This HostnameVerifier accepts every host, so any certificate for any site is trusted.",
    docs=RuleDocs(
        what="Flags `X509TrustManager.checkServerTrusted` implementations with an empty body (trust every "
        "certificate), `HostnameVerifier.verify` implementations and lambdas that just return `true`, "
        "and Apache HttpClient's `NoopHostnameVerifier` / `ALLOW_ALL_HOSTNAME_VERIFIER`.",
        why="With verification off, TLS is encrypted to whoever answers: an attacker on the network can "
        "present any certificate, impersonate the server and read or change all traffic.",
        example="TrustManager trustAll = new X509TrustManager() {\n"
        "    public void checkServerTrusted(X509Certificate[] chain, String authType) {}\n    // ...\n};\n"
        "connection.setHostnameVerifier((host, session) -> true);",
        use_instead="// Trust a private CA explicitly instead of trusting everyone:\n"
        'KeyStore trusted = KeyStore.getInstance("PKCS12");\ntrusted.load(caStream, caPassword);\n'
        "TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());\n"
        "tmf.init(trusted);\n// and keep the default HostnameVerifier",
    ),
    query="""
(method_declaration
  name: (identifier) @finding
  body: (block) @body
  (#eq? @finding "checkServerTrusted"))
(method_declaration
  name: (identifier) @finding
  parameters: (formal_parameters (formal_parameter) (formal_parameter type: (type_identifier) @session))
  body: (block . (return_statement (true)) .)
  (#eq? @finding "verify")
  (#eq? @session "SSLSession"))
(method_invocation
  name: (identifier) @method
  arguments: (argument_list
    (lambda_expression body: [(true) (block . (return_statement (true)) .)]) @finding)
  (#any-of? @method "setHostnameVerifier" "setDefaultHostnameVerifier" "hostnameVerifier" "setSSLHostnameVerifier"))
(object_creation_expression
  type: (type_identifier) @type
  (#any-of? @type "NoopHostnameVerifier" "AllowAllHostnameVerifier")) @finding
(field_access
  object: (identifier) @class
  field: (identifier) @field
  (#eq? @class "NoopHostnameVerifier")
  (#eq? @field "INSTANCE")) @finding
(field_access
  field: (identifier) @finding
  (#eq? @finding "ALLOW_ALL_HOSTNAME_VERIFIER"))
""",
    check=_check_trust,
    references=(
        "https://cwe.mitre.org/data/definitions/295.html",
        "https://owasp.org/www-community/vulnerabilities/Improper_Certificate_Validation",
    ),
)


# --- JAVA-S008 hardcoded credentials -------------------------------------------------------------


def _check_credentials(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    value = first(captures, "value")
    if value is None:
        return
    method = first(captures, "method")
    if method is not None and ctx.text(method) != "toCharArray":
        return
    if "class" in captures:  # DriverManager.getConnection(url, user, "password")
        name = "password"
    else:
        name_node = first(captures, "name")
        if name_node is None:
            return
        name = ctx.text(name_node)
    label = name
    if "setter" in captures:
        name = name[3:]  # setPassword -> Password
    text = literal_text(JAVA, value, ctx)
    if text is not None and is_credential_name(name) and looks_like_secret(text, name):
        yield Hit(value, message=f"Hard-coded credential in `{label}`; load it from configuration or a vault.")


CREDENTIALS = Rule(
    id="JAVA-S008",
    title="Hard-coded credential",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=798,
    languages=LANGS,
    message="Hard-coded credential; load it from configuration or a secret store.",
    docs=RuleDocs(
        what='Flags string literals (also `"...".toCharArray()`) assigned to variables or fields named like a '
        'password, secret, token or API key, passed to setters such as `setPassword("...")`, or given as '
        "the password of `DriverManager.getConnection`. Names where the credential word is not last "
        "(`PASSWORD_PARAM`), empty strings, placeholders and values that repeat the name are not flagged.",
        why="Secrets in source code end up in version control, artifacts and decompiled jars, are shared "
        "with everyone who can read the code, and cannot be rotated without a release.",
        example='private static final String DB_PASSWORD = "S3cr3t!2024";\n'
        'Connection c = DriverManager.getConnection(url, "app", "S3cr3t!2024");',
        use_instead='String dbPassword = System.getenv("DB_PASSWORD");\n'
        'Connection c = DriverManager.getConnection(url, "app", dbPassword);',
    ),
    query=f"""
(variable_declarator
  name: (identifier) @name
  value: [(string_literal) @value
          (method_invocation object: (string_literal) @value name: (identifier) @method)]
  (#match? @name "{CREDENTIAL_HINT}"))
(assignment_expression
  left: [(identifier) @name (field_access field: (identifier) @name)]
  right: (string_literal) @value
  (#match? @name "{CREDENTIAL_HINT}"))
(method_invocation
  name: (identifier) @name @setter
  arguments: (argument_list . (string_literal) @value .)
  (#match? @name "^set.*(?i:pass|pwd|secret|token|key|cred)"))
(method_invocation
  object: (identifier) @class
  name: (identifier) @method_name
  arguments: (argument_list (_) (_) . (string_literal) @value .)
  (#eq? @class "DriverManager")
  (#eq? @method_name "getConnection"))
""",
    check=_check_credentials,
    references=(
        "https://cwe.mitre.org/data/definitions/798.html",
        "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html",
    ),
)


# --- JAVA-S009 script engine code injection ------------------------------------------------------

_ENGINE_TYPES = r"(?:javax\.script\.)?(?:ScriptEngine|Compilable|NashornScriptEngine|GraalJSScriptEngine)"
_ENGINE_FACTORY = r"(?:new\s+ScriptEngineManager\s*\([^)]*\)|\w+)\s*\.\s*getEngineBy(?:Name|Extension|MimeType)\s*\("
_ENGINE_GETTERS = frozenset({"getEngineByName", "getEngineByExtension", "getEngineByMimeType"})


def _is_script_engine(receiver: Node | None, ctx: FileContext) -> bool:
    """``new ScriptEngineManager().getEngineByName(...)``, a cast to ``ScriptEngine``, or a variable or
    field the enclosing top-level class declares as a ``ScriptEngine`` (or assigns from ``getEngineBy*``)."""
    if receiver is None:
        return False
    if receiver.type == "parenthesized_expression" and receiver.named_children:
        receiver = receiver.named_children[0]
    if receiver.type == "method_invocation":
        getter = receiver.child_by_field_name("name")
        return getter is not None and ctx.text(getter) in _ENGINE_GETTERS
    if receiver.type == "cast_expression":
        kind = receiver.child_by_field_name("type")
        return kind is not None and re.fullmatch(_ENGINE_TYPES, ctx.text(kind)) is not None
    name = _receiver_name(receiver, ctx)
    scope = _top_level_type(receiver, ctx)
    return name is not None and scope is not None and _declared_as(ctx, name, _ENGINE_TYPES, _ENGINE_FACTORY, scope)


def _is_reader(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """A ``Reader`` made here (``new InputStreamReader(...)``), also through a local variable."""
    if node is None or depth > 2:
        return False
    if node.type == "object_creation_expression":
        kind = node.child_by_field_name("type")
        return kind is not None and ctx.text(kind).endswith("Reader")
    if node.type == "identifier":
        values = local_values(JAVA, node, ctx)
        return bool(values) and all(_is_reader(value, ctx, depth + 1) for value in values or ())
    return False


def _check_script_eval(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    script = first(captures, "script")
    if script is None or not _is_script_engine(first(captures, "receiver"), ctx):
        return
    if not is_constant(JAVA, script, ctx) and not _is_reader(script, ctx):
        advice = "keep the script constant and pass data as bindings."
        yield with_flow(Hit(script), script, ctx, taint.CODE, "ScriptEngine.eval", "a script built", advice)


SCRIPT_EVAL = Rule(
    id="JAVA-S009",
    title="Script engine evaluates a non-constant script",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=95,
    languages=LANGS,
    message="`ScriptEngine.eval` runs a script that is not fixed in the source; whoever shapes it runs code "
    "in the JVM.",
    docs=RuleDocs(
        what="Flags `eval(...)` (and `Compilable.compile(...)`) on a `javax.script` engine whose script is not "
        "a constant string (also through a local variable). The engine is recognised when the call is made "
        "on `new ScriptEngineManager().getEngineByName(...)` (or `ByExtension` / `ByMimeType`), on a cast to "
        "`ScriptEngine`, or on a variable or field that the enclosing top-level class declares as a "
        "`ScriptEngine` or assigns from `getEngineBy*`. Constant scripts, and scripts read from a `Reader` "
        "made at the call (a bundled resource), are not flagged. When the script comes from the request, the "
        "finding names the source and shows the flow to the call.",
        why="A script engine (Nashorn, GraalJS, Groovy, JRuby, ...) runs the script with the full rights of the "
        "JVM: it can call `java.lang.Runtime`, read files and open connections. Concatenating request data "
        "into a script is code injection.",
        example='ScriptEngine engine = new ScriptEngineManager().getEngineByName("js");\n'
        'Object total = engine.eval("price * " + request.getParameter("quantity"));',
        use_instead='ScriptEngine engine = new ScriptEngineManager().getEngineByName("js");\n'
        "Bindings bindings = engine.createBindings();\n"
        'bindings.put("price", price);\n'
        'bindings.put("quantity", Integer.parseInt(request.getParameter("quantity")));\n'
        'Object total = engine.eval("price * quantity", bindings);  // data as bindings, the script constant',
    ),
    query="""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  arguments: (argument_list . (_) @script)
  (#any-of? @method "eval" "compile"))
""",
    check=_check_script_eval,
    references=(
        "https://cwe.mitre.org/data/definitions/95.html",
        "https://docs.oracle.com/en/java/javase/17/docs/api/java.scripting/javax/script/ScriptEngine.html",
        "https://owasp.org/www-community/attacks/Code_Injection",
    ),
)


# --- JAVA-S010 Spring Security debug mode --------------------------------------------------------


def _check_security_debug(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    finding, value = first(captures, "finding"), first(captures, "value")
    if finding is None or value is None:
        return
    name = _receiver_name(first(captures, "receiver"), ctx)
    if "receiver" in captures:  # web.debug(true) on a WebSecurity
        if name is None:
            return
        function = enclosing_function(JAVA, finding, ctx)
        params = function.child_by_field_name("parameters") if function is not None else None
        in_customizer = (
            b"WebSecurityCustomizer" in ctx.source
            and function is not None
            and function.type == "lambda_expression"
            and params is not None
            and re.search(rf"\b{re.escape(name)}\b", ctx.text(params)) is not None
        )
        if not in_customizer and not _declared_as(ctx, name, "WebSecurity", "(?!)"):
            return
    yield Hit(finding, fix=ctx.replace(value, "false", "Turn Spring Security debugging off"))


SECURITY_DEBUG = Rule(
    id="JAVA-S010",
    title="Spring Security debug mode enabled",
    category=Category.SECURITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=489,
    languages=LANGS,
    message="Spring Security debug mode logs every request with its headers, session and security filter chain; "
    "it is meant for development only.",
    docs=RuleDocs(
        what="Flags `@EnableWebSecurity(debug = true)` and `WebSecurity.debug(true)` (in a "
        "`WebSecurityCustomizer` lambda or on a parameter or variable declared as `WebSecurity`). "
        "`@EnableWebSecurity` without arguments and `debug = false` are not flagged.",
        why="In debug mode Spring Security's `DebugFilter` logs every request with its headers (cookies and "
        "`Authorization` included), the session and the whole filter chain, and its own startup banner says "
        "it must not be used in production: credentials and session ids end up in the logs.",
        example="@Configuration\n@EnableWebSecurity(debug = true)\npublic class SecurityConfig {\n}",
        use_instead="@Configuration\n@EnableWebSecurity\npublic class SecurityConfig {\n}\n"
        "// investigate locally with: logging.level.org.springframework.security=DEBUG",
    ),
    query="""
(annotation
  name: [(identifier) @name (scoped_identifier name: (identifier) @name)]
  arguments: (annotation_argument_list (element_value_pair key: (identifier) @key value: (true) @value))
  (#eq? @name "EnableWebSecurity")
  (#eq? @key "debug")) @finding
(method_invocation
  object: [(identifier) (field_access)] @receiver
  name: (identifier) @method
  arguments: (argument_list . (true) @value .)
  (#eq? @method "debug")) @finding
""",
    check=_check_security_debug,
    references=(
        "https://cwe.mitre.org/data/definitions/489.html",
        "https://docs.spring.io/spring-security/reference/api/java/org/springframework/security/config/annotation/web/configuration/EnableWebSecurity.html",
    ),
)


# --- JAVA-S011 SpEL injection --------------------------------------------------------------------

_SPEL_PARSERS = r"(?:ExpressionParser|SpelExpressionParser|TemplateAwareExpressionParser)"
_SIMPLE_CONTEXT = r"SimpleEvaluationContext\b"
_EVALUATIONS = frozenset({"getValue", "setValue", "getValueType", "getValueTypeDescriptor", "isWritable"})


def _is_spel_parser(receiver: Node | None, ctx: FileContext) -> bool:
    if receiver is None:
        return False
    if receiver.type == "object_creation_expression":
        kind = receiver.child_by_field_name("type")
        return kind is not None and ctx.text(kind) == "SpelExpressionParser"
    name = _receiver_name(receiver, ctx)
    scope = _top_level_type(receiver, ctx)
    return (
        name is not None
        and scope is not None
        and _declared_as(ctx, name, _SPEL_PARSERS, r"new\s+SpelExpressionParser\s*\(", scope)
    )


def _restricted_evaluation(call: Node, ctx: FileContext) -> bool:
    """Whether the parsed expression is evaluated against a ``SimpleEvaluationContext``: in the same
    method, or in the ``getValue(context, ...)`` chained to the parse with such a context variable."""
    function = enclosing_function(JAVA, call, ctx)
    if function is not None and re.search(_SIMPLE_CONTEXT, ctx.text(function)):
        return True
    evaluation = call.parent
    name = evaluation.child_by_field_name("name") if evaluation is not None else None
    args = evaluation.child_by_field_name("arguments") if evaluation is not None else None
    if evaluation is None or name is None or args is None or evaluation.child_by_field_name("object") != call:
        return False
    if ctx.text(name) not in _EVALUATIONS:
        return False
    return any(
        arg.type == "identifier" and _declared_as(ctx, ctx.text(arg), "SimpleEvaluationContext", _SIMPLE_CONTEXT)
        for arg in args.named_children
    )


def _check_spel(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, expression = first(captures, "call"), first(captures, "expression")
    if call is None or expression is None or not _is_spel_parser(first(captures, "receiver"), ctx):
        return
    if not is_constant(JAVA, expression, ctx) and not _restricted_evaluation(call, ctx):
        yield Hit(expression)


SPEL = Rule(
    id="JAVA-S011",
    title="Spring Expression (SpEL) parsed from non-constant input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=917,
    languages=LANGS,
    message="SpEL expression built from a non-constant value; evaluated with the standard context it can call "
    "any Java method (expression injection).",
    docs=RuleDocs(
        what="Flags `parseExpression(...)` / `parseRaw(...)` on a SpEL parser (`new SpelExpressionParser()`, or "
        "a variable or field the enclosing top-level class declares as an `ExpressionParser` / "
        "`SpelExpressionParser`) whose expression is not a constant string. Not flagged when the method "
        "evaluates with a `SimpleEvaluationContext`, or the parse is chained to `getValue(context, ...)` "
        "with a variable built from `SimpleEvaluationContext`.",
        why="SpEL evaluated with the default `StandardEvaluationContext` can reference types and call "
        "constructors and static methods: `T(java.lang.Runtime).getRuntime().exec('...')` in the input "
        "runs commands on the server.",
        example="ExpressionParser parser = new SpelExpressionParser();\n"
        'Object value = parser.parseExpression(request.getParameter("filter")).getValue(order);',
        use_instead="ExpressionParser parser = new SpelExpressionParser();\n"
        "EvaluationContext context = SimpleEvaluationContext.forReadOnlyDataBinding().build();\n"
        'Object value = parser.parseExpression(request.getParameter("filter")).getValue(context, order);\n'
        "// better still: map the allowed filters to constant expressions",
    ),
    query="""
(method_invocation
  object: (_) @receiver
  name: (identifier) @method
  arguments: (argument_list . (_) @expression)
  (#any-of? @method "parseExpression" "parseRaw")) @call
""",
    check=_check_spel,
    references=(
        "https://cwe.mitre.org/data/definitions/917.html",
        "https://docs.spring.io/spring-framework/reference/core/expressions/evaluation.html#expressions-evaluation-context",
        "https://owasp.org/www-community/vulnerabilities/Expression_Language_Injection",
    ),
)


# --- JAVA-Q001 swallowed exception ---------------------------------------------------------------

_BROAD = frozenset(
    {"Exception", "Throwable", "RuntimeException", "Error", "java.lang.Exception", "java.lang.Throwable"}
)
_IGNORED_NAMES = re.compile(r"^(?:_|ignored?\w*|expected\w*|unused)$", re.IGNORECASE)


def _check_catch(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    clause, body = first(captures, "finding"), first(captures, "body")
    types, name_node = first(captures, "types"), first(captures, "name")
    if clause is None or body is None or types is None or name_node is None:
        return
    name = ctx.text(name_node)
    if _IGNORED_NAMES.match(name):
        return  # named to say it is deliberately ignored
    caught = [ctx.text(t) for t in types.named_children]
    broad = next((t for t in caught if t in _BROAD), None)
    dropped = f"Catches `{broad}` and drops it: every failure, including bugs, is hidden."
    body_statements = statements(body)
    if not body_statements:
        # a comment documents ignoring one specific exception, but not ignoring everything
        if broad is not None:
            yield Hit(clause, message=dropped)
        elif not has_comment(body):
            yield Hit(clause)
        return
    if broad is None:
        return
    code = " ".join(ctx.text(statement) for statement in body_statements)
    if re.search(rf"\b{re.escape(name)}\b", code) or re.search(r"\bthrow\b", code):
        return
    yield Hit(clause, message=dropped)


SWALLOWED = Rule(
    id="JAVA-Q001",
    title="Exception swallowed by empty or ignoring catch block",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=390,
    languages=LANGS,
    message="Empty catch block: the exception is silently swallowed.",
    docs=RuleDocs(
        what="Flags `catch` blocks that are empty, and blocks catching `Exception`, `RuntimeException` or "
        "`Throwable` that neither use the exception nor rethrow. A comment in the otherwise empty block of a "
        "specific exception, or naming the variable `ignored` / `expected` / `_`, marks the swallow as "
        "deliberate and is not flagged.",
        why="A swallowed exception hides the failure and its cause: the program continues in a broken state "
        "and the bug surfaces later, far from where it happened. Catching `Exception` also hides bugs "
        "such as `NullPointerException`.",
        example="try {\n    config = load(path);\n} catch (IOException e) {\n}\n\n"
        "try {\n    return parse(text);\n} catch (Exception e) {\n    return null;\n}",
        use_instead="try {\n    config = load(path);\n} catch (IOException e) {\n"
        '    log.warn("cannot read {}, using defaults", path, e);\n    config = Config.defaults();\n}\n\n'
        "try {\n    return parse(text);\n} catch (ParseException e) {\n"
        '    throw new IllegalArgumentException("bad input: " + text, e);\n}',
    ),
    query="""
(catch_clause
  (catch_formal_parameter (catch_type) @types name: (_) @name)
  body: (block) @body) @finding
""",
    check=_check_catch,
    references=(
        "https://cwe.mitre.org/data/definitions/390.html",
        "https://rules.sonarsource.com/java/RSPEC-108/",
    ),
)


# --- JAVA-Q002 string compared with == -----------------------------------------------------------


def _check_string_identity(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    op = first(captures, "op")
    finding = op.parent if op is not None else None
    if op is None or finding is None or finding.type != "binary_expression":
        return
    left, right = finding.child_by_field_name("left"), finding.child_by_field_name("right")
    if left is None or right is None:
        return
    if right.type == "string_literal":
        literal, other = right, left
    elif left.type == "string_literal":
        literal, other = left, right
    else:
        return
    negate = "!" if ctx.text(op) == "!=" else ""
    replacement = f"{negate}{ctx.text(literal)}.equals({ctx.text(other)})"
    yield Hit(finding, fix=ctx.replace(finding, replacement, f"Compare contents: `{replacement}`"))


STRING_IDENTITY = Rule(
    id="JAVA-Q002",
    title="String compared with == or !=",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=597,
    languages=LANGS,
    message="`==` compares String references, not contents; use `equals`.",
    docs=RuleDocs(
        what="Flags `==` / `!=` between an expression and a string literal.",
        why="`==` is true only for the same object. Strings read from input, built at run time or returned by "
        "libraries are different objects with equal contents, so the comparison is false when it should "
        "be true, depending on interning details.",
        example='if (command == "quit") {\n    exit();\n}',
        use_instead='if ("quit".equals(command)) {\n    exit();\n}',
    ),
    # The operator token, not `(binary_expression left: ... operator: ...)`: a pattern that waits for
    # the operator after the left operand costs time quadratic in the nesting of `a + b + ...` chains.
    query="""
["==" "!="] @op
""",
    check=_check_string_identity,
    references=("https://cwe.mitre.org/data/definitions/597.html",),
)


# --- JAVA-Q003 complexity ------------------------------------------------------------------------

COMPLEXITY = complexity_rule(
    "JAVA-Q003",
    "java",
    "[(method_declaration) (constructor_declaration) (compact_constructor_declaration) (lambda_expression)]",
    "[(if_statement) (for_statement) (enhanced_for_statement) (while_statement) (do_statement) (catch_clause) "
    '(ternary_expression) (switch_label (_)) "&&" "||"]',
    example="double price(Order order) {\n    if (order.isVip()) { ... } else if (order.hasCoupon()) { ... }\n"
    "    // ...a dozen more branches and && / || conditions\n}",
    use_instead="private static final Map<Kind, Discount> DISCOUNTS = Map.of(Kind.VIP, new VipDiscount());\n\n"
    "double price(Order order) {\n    return base(order) - DISCOUNTS.get(order.kind()).apply(order);\n}",
)


RULES: tuple[Rule, ...] = (
    COMMAND,
    SQL,
    DESERIALIZATION,
    WEAK_HASH,
    WEAK_CIPHER,
    RANDOM,
    TRUST_ALL,
    CREDENTIALS,
    SCRIPT_EVAL,
    SECURITY_DEBUG,
    SPEL,
    SWALLOWED,
    STRING_IDENTITY,
    COMPLEXITY,
)
