"""Java resources that are never closed: files, sockets, JDBC connections and statements opened outside
try-with-resources.

The rule is one module because deciding that a resource leaks takes several steps, all specific to it:
what opens a resource (directly or through wrappers such as ``new BufferedReader(new FileReader(...))``),
how the value leaves the expression (used inline, passed on, assigned), and how a local holding it is
released in the method (try-with-resources, ``close()`` in ``finally``, handed to an owner, returned).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import COMMENTS, JAVA, Node, ancestors, compiled_query, enclosing_function
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.rules.javamodel import (
    IDENTIFIERS,
    LANGS,
    call_args,
    created_type,
    declared_type_of,
    method_name,
    receiver_name,
    resolve,
    unwrap,
)

# --- JAVA-Q005 resource not closed ----------------------------------------------------------------

# Constructors that open a file, socket or archive whatever their arguments.
_OPENERS = frozenset(
    {
        "FileInputStream",
        "FileOutputStream",
        "FileReader",
        "FileWriter",
        "RandomAccessFile",
        "ZipFile",
        "JarFile",
        "Socket",
        "ServerSocket",
        "DatagramSocket",
    }
)
# Open a file when given a file name, a File or a Path (given a stream or writer they wrap it).
_PATH_OPENERS = frozenset({"PrintWriter", "PrintStream", "Formatter"})
# `new Scanner(File | Path)` opens the file; `new Scanner(String)` reads the string itself.
_FILE_OPENERS = frozenset({"Scanner"})
_WRAPPERS = frozenset(
    {
        "BufferedReader",
        "BufferedWriter",
        "InputStreamReader",
        "OutputStreamWriter",
        "PrintWriter",
        "PrintStream",
        "BufferedInputStream",
        "BufferedOutputStream",
        "DataInputStream",
        "DataOutputStream",
        "ObjectInputStream",
        "ObjectOutputStream",
        "GZIPInputStream",
        "GZIPOutputStream",
        "ZipInputStream",
        "ZipOutputStream",
        "JarInputStream",
        "JarOutputStream",
        "LineNumberReader",
        "Scanner",
    }
)
_FILES_OPENERS = frozenset(
    {
        "newInputStream",
        "newOutputStream",
        "newBufferedReader",
        "newBufferedWriter",
        "newByteChannel",
        "newDirectoryStream",
        "lines",
        "list",
        "walk",
        "find",
    }
)
_STATEMENT_OPENERS = frozenset({"createStatement", "prepareStatement", "prepareCall"})
_DATA_SOURCE = re.compile(r"(?i)data_?source|^ds$|pool")
# Methods that read or write a stream they are given and leave it open.
_NON_CLOSING = frozenset(
    {"load", "loadFromXML", "store", "storeToXML", "toByteArray", "toString", "readLines", "copy", "readFully"}
    | {"copyToByteArray", "copyToString"}
)
# Methods whose result owns the resource it is called on: closing the channel or the stream closes the file.
_VIEWS = frozenset(
    {"getChannel", "map", "filter", "flatMap", "mapToObj", "mapToInt", "mapToLong", "sorted", "distinct", "peek"}
    | {"limit", "skip", "onClose", "parallel", "sequential", "unordered", "takeWhile", "dropWhile", "boxed"}
)
# Methods that keep what they are given (a container or registry closes it later).
_KEEPERS = re.compile(r"^(?:add\w*|put\w*|offer|push|register\w*|set[A-Z]\w*|with[A-Z]\w*|submit|execute|of)$")


def _is_path(node: Node, ctx: FileContext, *, name_is_path: bool) -> bool:
    """A ``File`` or ``Path`` expression, or (with ``name_is_path``) a file name as a string."""
    node = unwrap(node)
    if node.type == "object_creation_expression":
        return created_type(node, ctx) == "File"
    if node.type == "method_invocation":
        callee = f"{ctx.text(node.child_by_field_name('object') or node)}.{method_name(node, ctx)}"
        return callee in ("Paths.get", "Path.of") or method_name(node, ctx) in ("toPath", "toFile")
    if node.type == "string_literal":
        return name_is_path
    if node.type in ("identifier", "field_access"):
        kind = declared_type_of(node, ctx)
        return kind in ("File", "Path") or (name_is_path and kind == "String")
    return False


def _resource_label(node: Node, ctx: FileContext, depth: int = 0) -> str | None:
    """What ``node`` opens (``new FileReader(...)``, ``Files.lines(...)``), when it opens something that must be
    closed, directly or through wrappers (``new BufferedReader(new FileReader(...))``)."""
    node = unwrap(node)
    if depth > 4:
        return None
    if node.type == "object_creation_expression":
        kind = created_type(node, ctx)
        args = call_args(node)
        label = f"new {kind}(...)"
        if kind in _OPENERS:
            return label
        if (
            kind in _PATH_OPENERS | _FILE_OPENERS
            and args
            and _is_path(args[0], ctx, name_is_path=kind in _PATH_OPENERS)
        ):
            return label
        if kind in _WRAPPERS and args and _resource_label(args[0], ctx, depth + 1) is not None:
            return label
        return None
    if node.type != "method_invocation":
        return None
    method, receiver = method_name(node, ctx), node.child_by_field_name("object")
    receiver_text = ctx.text(receiver) if receiver is not None else ""
    if receiver_text == "Files" and method in _FILES_OPENERS:
        return f"Files.{method}(...)"
    if method == "getConnection" and (
        receiver_text == "DriverManager"
        or _DATA_SOURCE.search(receiver_name(receiver, ctx))
        or declared_type_of(receiver, ctx) == "DataSource"
    ):
        return f"{receiver_text}.getConnection(...)" if receiver_text == "DriverManager" else "getConnection()"
    if method in _STATEMENT_OPENERS and receiver is not None:
        return f"{method}(...)"
    return None


def _is_wrapped(node: Node, chain: list[Node], ctx: FileContext) -> bool:
    """Whether ``node`` is the first argument of a wrapper (``new BufferedReader(node)``): the wrapper is the
    resource to close, and is checked itself."""
    child = node
    for index, parent in enumerate(chain):
        if parent.type == "parenthesized_expression":
            child = parent
            continue
        if parent.type != "argument_list" or index + 1 >= len(chain):
            return False
        creation = chain[index + 1]
        arguments = [a for a in parent.named_children if a.type not in COMMENTS]
        return (
            creation.type == "object_creation_expression"
            and created_type(creation, ctx) in _WRAPPERS
            and bool(arguments)
            and arguments[0] == child
        )
    return False


def _in_finally(node: Node, chain: list[Node]) -> bool:
    for parent in chain:
        if parent.type == "finally_clause":
            return True
        if parent.type in JAVA.functions or parent.type == "class_body":
            return False
    return False


def _in_nested_scope(chain: list[Node], function: Node) -> bool:
    """Whether the node sits in a lambda or anonymous class inside ``function``."""
    for parent in chain:
        if parent == function:
            return False
        if parent.type in ("lambda_expression", "class_body"):
            return True
    return False


_OWNERS = frozenset({"variable_declarator", "assignment_expression", "return_statement", "argument_list"})


def _returned(chain: list[Node]) -> bool:
    """Whether the expression is (part of) a returned value: ``return in``, ``return new Wrapper(in)``."""
    for parent in chain:
        if parent.type in ("return_statement", "yield_statement"):
            return True
        if parent.type.endswith("statement") or parent.type in (
            "block",
            "local_variable_declaration",
            "lambda_expression",
        ):
            return False
    return False


def _release(name: str, declared: Node, function: Node, ctx: FileContext) -> str | None:
    """How the local ``name`` is released in ``function``: ``"managed"`` (try-with-resources, closed in
    ``finally`` or a cleanup lambda, handed on, returned, stored), ``"closed"`` (closed, but not in ``finally``),
    or None."""
    query = compiled_query("java", IDENTIFIERS)
    released: str | None = None
    wanted = name.encode()
    for node in tree_sitter.QueryCursor(query).captures(function).get("id", ()):
        if node.text != wanted or node == declared:
            continue
        chain = ancestors(node, ctx)
        parent = chain[0] if chain else None
        if parent is None:
            continue
        if any(p.type == "resource_specification" for p in chain[:3]):
            return "managed"  # `try (in)` or `try (Reader r = in)`
        if parent.type == "method_invocation" and parent.child_by_field_name("object") == node:
            method = method_name(parent, ctx)
            if method == "close":
                if _in_finally(node, chain) or _in_nested_scope(chain, function):
                    return "managed"
                released = "closed"
            elif method in _VIEWS and len(chain) > 1 and chain[1].type in _OWNERS:
                return "managed"  # `channel = raf.getChannel()`: the channel owns the file now
            continue
        callee = ""
        if parent.type == "argument_list" and len(chain) > 1 and chain[1].type == "method_invocation":
            callee = method_name(chain[1], ctx)
        if "close" in callee.lower():
            if _in_finally(node, chain):
                return "managed"
            released = "closed"
            continue
        if _returned(chain):
            return "managed"
        if parent.type == "argument_list" and len(chain) > 1:
            if chain[1].type == "object_creation_expression" or _KEEPERS.match(callee):
                return "managed"  # handed to a wrapper or holder that owns it now
            continue
        if parent.type in ("assignment_expression", "variable_declarator") and (
            parent.child_by_field_name("right") == node or parent.child_by_field_name("value") == node
        ):
            return "managed"  # stored elsewhere: its new owner closes it
        if parent.type in ("array_initializer", "ternary_expression"):
            return "managed"
    return released


def _check_resource(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    label = _resource_label(call, ctx)
    if label is None:
        return
    chain = ancestors(call, ctx)
    if _is_wrapped(call, chain, ctx):
        return
    outer, index = call, 0
    while index < len(chain):
        parent = chain[index]
        view = (
            parent.type == "method_invocation"
            and parent.child_by_field_name("object") == outer
            and method_name(parent, ctx) in _VIEWS
        )
        if not view and parent.type not in ("parenthesized_expression", "cast_expression"):
            break
        outer, index = parent, index + 1
    if index >= len(chain) or any(p.type == "resource" for p in chain[index : index + 2]):
        return
    parent = chain[index]
    function = enclosing_function(JAVA, call, ctx)
    if function is None or (function.type == "lambda_expression" and parent == function):
        return  # a field initialiser, or a lambda that returns what it opens
    if parent.type == "method_invocation" and parent.child_by_field_name("object") == outer:
        if method_name(parent, ctx) != "close":
            yield Hit(call, message=f"`{label}` is used inline and never closed; open it in try-with-resources.")
        return
    if parent.type == "argument_list" and index + 1 < len(chain):
        consumer = chain[index + 1]
        if consumer.type == "method_invocation" and method_name(consumer, ctx) in _NON_CLOSING:
            yield Hit(
                call,
                message=f"`{label}` is passed to `{method_name(consumer, ctx)}`, which leaves it open; "
                "open it in try-with-resources.",
            )
        return
    target: Node | None = None
    if parent.type == "variable_declarator" and index + 1 < len(chain):
        if chain[index + 1].type == "local_variable_declaration":
            target = parent.child_by_field_name("name")
    elif parent.type == "assignment_expression" and parent.child_by_field_name("right") == outer:
        left = parent.child_by_field_name("left")
        declared = resolve(left, ctx) if left is not None and left.type == "identifier" else None
        if declared is not None and not declared.field:
            target = left
    if target is None:
        return  # returned, stored in a field, passed to a constructor: its owner closes it
    name = ctx.text(target)
    release = _release(name, target, function, ctx)
    if release == "managed":
        return
    if release == "closed":
        message = f"`{label}` in `{name}` is closed outside `finally`: an exception before `close()` leaks it."
    else:
        message = f"`{label}` is assigned to `{name}` but never closed."
    yield Hit(call, message=message + " Use try-with-resources.")


UNCLOSED_RESOURCE = Rule(
    id="JAVA-Q005",
    title="Resource not closed with try-with-resources",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=772,
    languages=LANGS,
    message="Resource is opened without try-with-resources and may never be closed.",
    docs=RuleDocs(
        what="Flags files, sockets and JDBC statements and connections that are opened outside a "
        "try-with-resources header and not closed in a `finally` block: `new FileInputStream/FileOutputStream/"
        "FileReader/FileWriter/RandomAccessFile/ZipFile/JarFile/Socket/ServerSocket(...)`, `new Scanner(File)`, "
        "`new PrintWriter(fileName)`, wrappers around them (`new BufferedReader(new FileReader(...))`), "
        "`Files.newInputStream/newBufferedReader/lines/list/walk/...`, `DriverManager.getConnection`, "
        "`dataSource.getConnection()` and `createStatement/prepareStatement/prepareCall`. It reports a resource "
        "used inline (`new FileInputStream(f).read()`, `conn.createStatement().executeQuery(...)`), passed to a "
        "method that leaves it open (`props.load(new FileInputStream(f))`), or assigned to a local that is "
        "closed only outside `finally` or not at all. Not flagged: try-with-resources (also `try (in)`), "
        "`close()` or `closeQuietly(...)` in `finally` or in a cleanup lambda, resources returned, stored in "
        "a field or another variable, passed to a constructor or a keeper (`add`, `put`, `register`, `set...`), "
        "field initialisers, `ResultSet`s (closing their statement closes them), `new Scanner(System.in)` and "
        "wrappers around an existing stream.",
        why="A stream, socket or connection that is not closed keeps its file descriptor or pooled connection "
        "until the garbage collector finalises it, if ever; under load the process runs out of descriptors or "
        "the pool runs dry. A `close()` at the end of the `try` block is skipped by any exception before it.",
        example="Properties load(Path path) throws IOException {\n"
        "    Properties props = new Properties();\n    InputStream in = Files.newInputStream(path);\n"
        "    props.load(in);\n    in.close();\n    return props;\n}",
        use_instead="Properties load(Path path) throws IOException {\n"
        "    Properties props = new Properties();\n    try (InputStream in = Files.newInputStream(path)) {\n"
        "        props.load(in);\n    }\n    return props;\n}",
    ),
    query=f"""
(object_creation_expression
  type: [(type_identifier) @type (generic_type (type_identifier) @type)]
  (#any-of? @type {names(*sorted(_OPENERS | _PATH_OPENERS | _FILE_OPENERS | _WRAPPERS))})) @call
(method_invocation
  name: (identifier) @method
  (#any-of? @method {names(*sorted(_FILES_OPENERS | _STATEMENT_OPENERS), "getConnection")})) @call
""",
    check=_check_resource,
    references=(
        cwe(772),
        "https://docs.oracle.com/javase/tutorial/essential/exceptions/tryResourceClose.html",
        "https://rules.sonarsource.com/java/RSPEC-2095/",
    ),
)


RULES: tuple[Rule, ...] = (UNCLOSED_RESOURCE,)
