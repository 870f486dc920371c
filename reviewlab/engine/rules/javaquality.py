"""Java code-quality smells and performance rules: reference comparisons, leaked resources, dead code,
and work repeated once per loop iteration.

Two questions recur and are answered once here. *Where does a node run?* :func:`per_item_loops` gives
the loops (``for``, enhanced ``for``, ``while``, ``do``, and lambdas passed to ``forEach`` / ``map`` /
``filter``...) whose body runs it once per item, up to the enclosing method: an enhanced ``for``'s
iterable and a ``for``'s initialiser run once, and any other lambda or class body is another scope.
*What is a name declared as?* :func:`resolve` finds the declaration (local, parameter, loop variable,
resource or field) a name refers to, with its type and initial value, from one query per file: no
type inference beyond the declaration, so a rule that needs a type says nothing when it is unknown.

The module is longer than most packs because each rule's docs spell out what is and is not flagged
and the rules share these two models.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import (
    COMMENTS,
    JAVA,
    Node,
    ancestors,
    compiled_query,
    concatenated,
    enclosing_function,
    is_constant,
    is_upper_constant_name,
    literal_text,
    local_values,
)
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.secrets.paths import is_test_path

LANGS = ("java",)

# --- shared: where a node runs --------------------------------------------------------------------

_LOOPS = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"})
_SCOPES = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "class_body",
        "enum_body",
        "interface_body",
        "program",
    }
)
# A lambda given to one of these runs once per element of the collection or stream.
_PER_ITEM_METHODS = frozenset(
    {
        "forEach",
        "forEachOrdered",
        "map",
        "flatMap",
        "filter",
        "peek",
        "anyMatch",
        "allMatch",
        "noneMatch",
        "mapToObj",
        "mapToInt",
        "mapToLong",
        "mapToDouble",
        "removeIf",
    }
)


def _unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_child_count:
        node = node.named_children[0]
    return node


def _per_item_lambda(chain: list[Node], index: int, ctx: FileContext) -> bool:
    """Whether the lambda at ``chain[index]`` is an argument of ``forEach`` / ``map`` / ``filter``..."""
    if index + 2 >= len(chain) or chain[index + 1].type != "argument_list":
        return False
    call = chain[index + 2]
    name = call.child_by_field_name("name") if call.type == "method_invocation" else None
    return name is not None and ctx.text(name) in _PER_ITEM_METHODS


def _runs_per_iteration(loop: Node, child: Node) -> bool:
    if loop.type == "enhanced_for_statement":
        return child != loop.child_by_field_name("value")
    if loop.type == "for_statement":
        return child not in loop.children_by_field_name("init")
    return True


def per_item_loops(node: Node, ctx: FileContext) -> list[Node]:
    """The loops (and per-element lambdas) that run ``node`` once per iteration, innermost first."""
    chain = ancestors(node, ctx)
    loops: list[Node] = []
    child = node
    for index, parent in enumerate(chain):
        if parent.type in _SCOPES:
            break
        if parent.type == "lambda_expression":
            if not _per_item_lambda(chain, index, ctx):
                break
            loops.append(parent)
        elif parent.type in _LOOPS and _runs_per_iteration(parent, child):
            loops.append(parent)
        child = parent
    return loops


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


_FIXED_FACTORIES = re.compile(r"^(?:List|Set|Stream|EnumSet|Arrays)\.(?:of|asList)$")


def _fixed_count(loop: Node, ctx: FileContext) -> bool:
    """A loop whose number of iterations is fixed in the source: an enhanced ``for`` over an array or
    ``List.of(...)`` literal or an enum's ``values()``, a ``for`` bounded by a literal or a constant."""
    if loop.type == "enhanced_for_statement":
        value = loop.child_by_field_name("value")
        if value is None:
            return False
        value = _unwrap(value)
        if value.type == "identifier":
            declared = resolve(value, ctx)
            if declared is None or declared.value is None:
                return False
            value = _unwrap(declared.value)
        if value.type in ("array_creation_expression", "array_initializer"):
            return value.type == "array_initializer" or value.child_by_field_name("value") is not None
        if value.type == "method_invocation":
            obj, name = value.child_by_field_name("object"), value.child_by_field_name("name")
            if obj is None or name is None:
                return False
            callee = f"{ctx.text(obj)}.{ctx.text(name)}"
            return bool(_FIXED_FACTORIES.match(callee)) or (ctx.text(name) == "values" and ctx.text(obj)[:1].isupper())
        return False
    if loop.type == "for_statement":
        condition = loop.child_by_field_name("condition")
        if condition is None or condition.type != "binary_expression":
            return False
        bounds = [condition.child_by_field_name("left"), condition.child_by_field_name("right")]
        return any(
            b is not None
            and (
                b.type == "decimal_integer_literal" or (b.type == "identifier" and is_upper_constant_name(ctx.text(b)))
            )
            for b in bounds
        )
    return False


_ITERATION_CALLS = frozenset({"next", "hasNext", "hasMoreElements", "hasMoreTokens", "readLine"})


def _iterates_data(loop: Node, ctx: FileContext) -> bool:
    """Whether a loop runs once per item of data: not a fixed count, and a ``while`` only when it walks a
    result set, iterator or reader (``while (rs.next())``); other ``while`` loops poll, page or retry."""
    if loop.type == "lambda_expression":
        return True
    if loop.type in ("while_statement", "do_statement"):
        condition = loop.child_by_field_name("condition")
        if condition is None:
            return False
        return any(
            f".{call}(" in ctx.text(condition) or ctx.text(condition).startswith(f"{call}(")
            for call in _ITERATION_CALLS
        )
    return not _fixed_count(loop, ctx)


# --- shared: what a name is declared as -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Declaration:
    """A declared name: its declared type (``""`` when not written), initial value, and where it is visible."""

    name: Node
    type: str
    value: Node | None
    scope: Node
    field: bool
    modifiers: str


_DECLARATIONS = """
(local_variable_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @local
(field_declaration type: (_) @type declarator: (variable_declarator name: (identifier) @name)) @field
(formal_parameter type: (_) @type name: (identifier) @name) @param
(spread_parameter (_) @type (variable_declarator name: (identifier) @name)) @param
(enhanced_for_statement type: (_) @type name: (identifier) @name) @foreach
(resource type: (_) @type name: (identifier) @name) @resource
(catch_formal_parameter name: (identifier) @name) @catch
(lambda_expression parameters: (identifier) @name) @lambda
(inferred_parameters (identifier) @name) @lambda
"""


def _scope_of(kind: str, declaration: Node) -> Node | None:
    parent = declaration.parent
    if kind == "param":
        while parent is not None and parent.type not in JAVA.functions:
            parent = parent.parent
        return parent
    if kind == "resource":
        while parent is not None and parent.type != "try_with_resources_statement":
            parent = parent.parent
        return parent
    if kind == "catch":
        return parent  # the catch clause
    if kind == "lambda":
        while parent is not None and parent.type != "lambda_expression":
            parent = parent.parent
        return parent
    if kind == "foreach":
        return declaration
    return parent  # local: the block (or the `for`); field: the class body


def _declarations(ctx: FileContext) -> dict[str, list[Declaration]]:
    table: dict[str, list[Declaration]] | None = ctx.state.get("javaquality.declarations")
    if table is not None:
        return table
    table = {}
    query = compiled_query("java", _DECLARATIONS)
    for _, captures in tree_sitter.QueryCursor(query).matches(ctx.tree.root_node):
        name = first(captures, "name")
        kind = next(k for k in ("local", "field", "param", "foreach", "resource", "catch", "lambda") if k in captures)
        declaration = first(captures, kind)
        if name is None or declaration is None:
            continue
        scope = declaration if kind == "lambda" and declaration.type == "lambda_expression" else None
        scope = scope or _scope_of(kind, declaration)
        if scope is None:
            continue
        type_node = first(captures, "type")
        value = name.parent.child_by_field_name("value") if name.parent is not None else None
        if kind == "resource":
            value = declaration.child_by_field_name("value")
        modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
        table.setdefault(ctx.text(name), []).append(
            Declaration(
                name=name,
                type=ctx.text(type_node) if type_node is not None else "",
                value=value if kind in ("local", "field", "resource") else None,
                scope=scope,
                field=kind == "field",
                modifiers=ctx.text(modifiers) if modifiers is not None else "",
            )
        )
    ctx.state["javaquality.declarations"] = table
    return table


def resolve(reference: Node, ctx: FileContext) -> Declaration | None:
    """The declaration ``reference`` (a name, or ``this.name``) refers to, by Java's scoping: the innermost
    local, parameter or loop variable declared before it, else a field of an enclosing class."""
    want_field = False
    if reference.type == "field_access":
        obj, field = reference.child_by_field_name("object"), reference.child_by_field_name("field")
        if obj is None or field is None or obj.type != "this":
            return None
        reference, want_field = field, True
    if reference.type != "identifier":
        return None
    best: Declaration | None = None
    for declaration in _declarations(ctx).get(ctx.text(reference), ()):
        scope = declaration.scope
        if not scope.start_byte <= reference.start_byte < scope.end_byte or (want_field and not declaration.field):
            continue
        if not declaration.field and declaration.name.start_byte > reference.start_byte:
            continue
        size = scope.end_byte - scope.start_byte
        if best is None or size < best.scope.end_byte - best.scope.start_byte:
            best = declaration
    return best


def base_type(declaration: Declaration | None, ctx: FileContext) -> str:
    """``List`` for ``java.util.List<String>``; for ``var`` the type of a ``new`` or string initialiser."""
    if declaration is None:
        return ""
    text = declaration.type
    if text == "var" and declaration.value is not None:
        value = _unwrap(declaration.value)
        kind = value.child_by_field_name("type") if value.type == "object_creation_expression" else None
        if kind is not None:
            text = ctx.text(kind)
        elif value.type == "string_literal" or (
            value.type == "binary_expression" and any(o.type == "string_literal" for o in concatenated(value))
        ):
            text = "String"
    return re.sub(r"<.*>", "", text).strip().rsplit(".", 1)[-1]


def _created_type(node: Node | None, ctx: FileContext) -> str:
    """``ArrayList`` for ``new ArrayList<>(...)``, else ``""``."""
    if node is None:
        return ""
    node = _unwrap(node)
    kind = node.child_by_field_name("type") if node.type == "object_creation_expression" else None
    return re.sub(r"<.*>", "", ctx.text(kind)).rsplit(".", 1)[-1] if kind is not None else ""


def _args(call: Node) -> list[Node]:
    arguments = call.child_by_field_name("arguments")
    return [a for a in arguments.named_children if a.type not in COMMENTS] if arguments is not None else []


def _method_name(call: Node, ctx: FileContext) -> str:
    name = call.child_by_field_name("name")
    return ctx.text(name) if name is not None else ""


def _receiver_name(receiver: Node | None, ctx: FileContext) -> str:
    """``repo`` for ``repo`` / ``this.repo``, ``newCall`` for ``client.newCall(...)``, else ``""``."""
    if receiver is None:
        return ""
    receiver = _unwrap(receiver)
    if receiver.type == "identifier":
        return ctx.text(receiver)
    if receiver.type == "field_access":
        field = receiver.child_by_field_name("field")
        return ctx.text(field) if field is not None else ""
    if receiver.type == "method_invocation":
        return _method_name(receiver, ctx)
    return ""


def _declared_type_of(receiver: Node | None, ctx: FileContext) -> str:
    if receiver is None:
        return ""
    receiver = _unwrap(receiver)
    if receiver.type not in ("identifier", "field_access"):
        return ""
    return base_type(resolve(receiver, ctx), ctx)


# --- JAVA-Q004 String or boxed values compared with == -------------------------------------------

_BOXED = frozenset({"Integer", "Long", "Short", "Byte", "Character", "Double", "Float"})
# Methods that return a string built at run time: a new object, never the interned constant it may equal.
_FRESH_STRINGS = frozenset(
    {
        "readLine",
        "nextLine",
        "getParameter",
        "getHeader",
        "getText",
        "substring",
        "trim",
        "strip",
        "toLowerCase",
        "toUpperCase",
        "concat",
        "replace",
        "replaceAll",
        "format",
        "formatted",
        "join",
        "repeat",
    }
)


def _boxed(operand: Node, ctx: FileContext) -> str | None:
    """The boxed type a name is declared as (not a sentinel made with ``new Integer(...)``)."""
    declaration = resolve(_unwrap(operand), ctx)
    kind = base_type(declaration, ctx)
    if declaration is None or kind not in _BOXED:
        return None
    if declaration.value is not None and _unwrap(declaration.value).type == "object_creation_expression":
        return None
    return kind


def _fresh_value(value: Node, other: str, ctx: FileContext) -> bool:
    """A string built at run time that does not derive from ``other`` (``clipped == title`` after
    ``clipped = clip(title)`` asks on purpose whether clipping changed anything)."""
    value = _unwrap(value)
    if re.search(rf"(?<![\w$]){re.escape(other)}(?![\w$])", ctx.text(value)):
        return False
    parent = value.parent
    if parent is not None and parent.type == "assignment_expression" and parent.children[1].type == "+=":
        return True
    if value.type == "object_creation_expression":
        return _created_type(value, ctx) == "String"
    if value.type == "method_invocation":
        name = _method_name(value, ctx)
        return name in _FRESH_STRINGS or (name == "toString" and "StringBuilder" in ctx.text(value))
    if value.type == "binary_expression":
        operands = concatenated(value)
        return len(operands) > 1 and not is_constant(JAVA, value, ctx)
    if value.type == "array_access":
        array = value.child_by_field_name("array")
        return array is not None and array.type == "method_invocation" and _method_name(array, ctx) == "split"
    return False


def _fresh_string(operand: Node, other: Node, ctx: FileContext) -> bool:
    """A ``String`` local whose every value is built at run time."""
    operand = _unwrap(operand)
    declaration = resolve(operand, ctx)
    if declaration is None or declaration.field or base_type(declaration, ctx) != "String":
        return False
    values = local_values(JAVA, operand, ctx)
    other_name = ctx.text(_unwrap(other))
    return bool(values) and all(v is not None and _fresh_value(v, other_name, ctx) for v in values or ())


def _string_typed(operand: Node, ctx: FileContext) -> bool:
    return base_type(resolve(_unwrap(operand), ctx), ctx) == "String"


def _check_reference_comparison(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    op = first(captures, "op")
    comparison = op.parent if op is not None else None
    if op is None or comparison is None or comparison.type != "binary_expression":
        return
    left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
    if left is None or right is None or {_unwrap(left).type, _unwrap(right).type} - {"identifier", "field_access"}:
        return
    boxed = _boxed(left, ctx)
    if boxed is not None and boxed == _boxed(right, ctx):
        kind = boxed
    elif (
        _string_typed(left, ctx)
        and _string_typed(right, ctx)
        and (_fresh_string(left, right, ctx) or _fresh_string(right, left, ctx))
    ):
        kind = "String"
    else:
        return
    negate = "!" if ctx.text(op) == "!=" else ""
    message = (
        f"`{ctx.text(comparison)}` compares two `{kind}` references, not their values; "
        f"use `{negate}{ctx.text(_unwrap(left))}.equals({ctx.text(_unwrap(right))})`"
        + (" (or compare the primitive values)." if kind in _BOXED else ".")
    )
    yield Hit(comparison, message=message)


REFERENCE_COMPARISON = Rule(
    id="JAVA-Q004",
    title="String or boxed numbers compared with == or !=",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=595,
    languages=LANGS,
    message="`==` compares object references, not values; use `equals`.",
    docs=RuleDocs(
        what="Flags `a == b` and `a != b` between two names declared (as locals, parameters, loop variables or "
        "fields of the enclosing class) as the same boxed number type (`Integer`, `Long`, `Short`, `Byte`, "
        "`Character`, `Double`, `Float`), and between two `String` names when one of them is a local whose "
        "every value is built at run time: read (`readLine()`, `nextLine()`, `getParameter(...)`), derived "
        "(`trim()`, `substring(...)`, `toLowerCase()`, `replace(...)`, `split(...)[i]`, `String.format`, "
        "`new String(...)`, a `StringBuilder`'s `toString()`) or concatenated from a non-constant value. Such "
        "a string is never the same object as another, so the comparison is almost always false. Comparisons "
        "with a string literal are JAVA-Q002's. Not flagged: `Boolean` (autoboxing always yields "
        "`TRUE`/`FALSE`), a boxed value compared with a primitive (Java unboxes it), strings of unknown "
        "origin (parameters, fields, constants: libraries compare interned strings by identity on purpose), "
        "a value derived from the other operand (`clipped == title` after `clipped = clip(title)` asks "
        "whether anything changed), and boxed sentinels created with `new`.",
        why="`==` is true only for the same object. Strings read or built at run time are different objects "
        "with equal contents; `Integer` and `Long` are cached only from -128 to 127, so `a == b` holds in "
        "tests with small numbers and fails in production with large ones.",
        example="Integer expected = order.getQuantity();\nInteger actual = stock.get(sku);\n"
        "if (expected == actual) {\n    ship(order);\n}\n\n"
        "String command = reader.readLine().trim();\nif (command == QUIT) {\n    return;\n}",
        use_instead="if (expected.equals(actual)) {  // or Objects.equals(expected, actual)\n    ship(order);\n}\n\n"
        "String command = reader.readLine().trim();\nif (QUIT.equals(command)) {\n    return;\n}",
    ),
    query='["==" "!="] @op',
    check=_check_reference_comparison,
    references=(cwe(595), "https://rules.sonarsource.com/java/RSPEC-4973/"),
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
    node = _unwrap(node)
    if node.type == "object_creation_expression":
        return _created_type(node, ctx) == "File"
    if node.type == "method_invocation":
        callee = f"{ctx.text(node.child_by_field_name('object') or node)}.{_method_name(node, ctx)}"
        return callee in ("Paths.get", "Path.of") or _method_name(node, ctx) in ("toPath", "toFile")
    if node.type == "string_literal":
        return name_is_path
    if node.type in ("identifier", "field_access"):
        kind = _declared_type_of(node, ctx)
        return kind in ("File", "Path") or (name_is_path and kind == "String")
    return False


def _resource_label(node: Node, ctx: FileContext, depth: int = 0) -> str | None:
    """What ``node`` opens (``new FileReader(...)``, ``Files.lines(...)``), when it opens something that must be
    closed, directly or through wrappers (``new BufferedReader(new FileReader(...))``)."""
    node = _unwrap(node)
    if depth > 4:
        return None
    if node.type == "object_creation_expression":
        kind = _created_type(node, ctx)
        args = _args(node)
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
    method, receiver = _method_name(node, ctx), node.child_by_field_name("object")
    receiver_text = ctx.text(receiver) if receiver is not None else ""
    if receiver_text == "Files" and method in _FILES_OPENERS:
        return f"Files.{method}(...)"
    if method == "getConnection" and (
        receiver_text == "DriverManager"
        or _DATA_SOURCE.search(_receiver_name(receiver, ctx))
        or _declared_type_of(receiver, ctx) == "DataSource"
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
            and _created_type(creation, ctx) in _WRAPPERS
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


_IDENTIFIERS = "(identifier) @id"
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
    query = compiled_query("java", _IDENTIFIERS)
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
            method = _method_name(parent, ctx)
            if method == "close":
                if _in_finally(node, chain) or _in_nested_scope(chain, function):
                    return "managed"
                released = "closed"
            elif method in _VIEWS and len(chain) > 1 and chain[1].type in _OWNERS:
                return "managed"  # `channel = raf.getChannel()`: the channel owns the file now
            continue
        callee = ""
        if parent.type == "argument_list" and len(chain) > 1 and chain[1].type == "method_invocation":
            callee = _method_name(chain[1], ctx)
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
            and _method_name(parent, ctx) in _VIEWS
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
        if _method_name(parent, ctx) != "close":
            yield Hit(call, message=f"`{label}` is used inline and never closed; open it in try-with-resources.")
        return
    if parent.type == "argument_list" and index + 1 < len(chain):
        consumer = chain[index + 1]
        if consumer.type == "method_invocation" and _method_name(consumer, ctx) in _NON_CLOSING:
            yield Hit(
                call,
                message=f"`{label}` is passed to `{_method_name(consumer, ctx)}`, which leaves it open; "
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


# --- JAVA-Q006 unused import ----------------------------------------------------------------------

_TOKEN = re.compile(rb"[A-Za-z_$][\w$]*")


def _check_unused_import(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    program = first(captures, "program")
    if program is None or ctx.path.replace("\\", "/").rsplit("/", 1)[-1] in ("package-info.java", "module-info.java"):
        return
    imports = [c for c in program.named_children if c.type == "import_declaration"]
    if not imports:
        return
    candidates: list[tuple[str, Node]] = []
    for declaration in imports:
        if any(c.type == "asterisk" for c in declaration.children):
            continue  # `import java.util.*;`: which names it provides is not known here
        path = next((c for c in declaration.named_children if c.type in ("scoped_identifier", "identifier")), None)
        if path is not None:
            candidates.append((ctx.text(path).rsplit(".", 1)[-1], declaration))
    if not candidates:
        return
    # Every word after the imports counts as a use: code, annotations, and Javadoc (`{@link Foo}`, `@throws`).
    rest = ctx.source[imports[-1].end_byte :]
    used = set(_TOKEN.findall(rest))
    seen: set[str] = set()
    for name, declaration in candidates:
        if name.encode() in used or name in seen:
            continue
        seen.add(name)
        yield Hit(declaration, message=f"`{name}` is imported but never used.")


UNUSED_IMPORT = Rule(
    id="JAVA-Q006",
    title="Unused import",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1164,
    languages=LANGS,
    message="Imported name is never used.",
    docs=RuleDocs(
        what="Flags single-type imports (`import java.util.List;`) and single static imports (`import static "
        "java.lang.Math.max;`) whose simple name appears nowhere after the import section: not in code, "
        "annotations, strings or comments (Javadoc `{@link Foo}` and `@throws Foo` keep an import in use). "
        "Not flagged: wildcard imports (`java.util.*`, `static ...Assertions.*`), `package-info.java` and "
        "`module-info.java`, and a name imported twice (only the first is checked; the compiler rejects "
        "conflicting duplicates).",
        why="An unused import is dead code: it misleads readers about what the class depends on, creates "
        "false dependencies between modules, and hides the imports that matter in review diffs.",
        example="import java.util.List;\nimport java.util.Map;\n\nclass Names {\n"
        "    List<String> all() { return List.of(); }\n}",
        use_instead="import java.util.List;\n\nclass Names {\n    List<String> all() { return List.of(); }\n}",
    ),
    query="(program) @program",
    check=_check_unused_import,
    references=(cwe(1164), "https://checkstyle.org/checks/imports/unusedimports.html"),
)


# --- JAVA-Q007 unused private member --------------------------------------------------------------

_SERIALIZATION_MEMBERS = frozenset(
    {
        "serialVersionUID",
        "serialPersistentFields",
        "writeObject",
        "readObject",
        "readObjectNoData",
        "writeReplace",
        "readResolve",
    }
)


def _annotated(declaration: Node) -> bool:
    modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
    return modifiers is not None and any(c.type in ("annotation", "marker_annotation") for c in modifiers.children)


def _is_private(declaration: Node) -> bool:
    modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
    return modifiers is not None and any(c.type == "private" for c in modifiers.children)


_NAME_PREFIX = re.compile(rb'"([A-Za-z_$][\w$]{2,})"\s*\+')


def _token_counts(ctx: FileContext) -> dict[bytes, int]:
    counts: dict[bytes, int] | None = ctx.state.get("javaquality.tokens")
    if counts is None:
        counts = Counter(_TOKEN.findall(ctx.source))
        ctx.state["javaquality.tokens"] = counts
    return counts


def _check_unused_private(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    body = first(captures, "body")
    if body is None:
        return
    owner = body.parent
    if body.type == "enum_body":
        body = next((c for c in body.named_children if c.type == "enum_body_declarations"), body)
    members = [c for c in body.named_children if c.type in ("field_declaration", "method_declaration")]
    candidates = [m for m in members if _is_private(m) and not _annotated(m)]
    if not candidates or owner is None:
        return
    # Reflection-driven classes (JPA entities, Lombok, Jackson, JAXB) read their fields without naming them;
    # native code reads the fields of a class that declares native methods.
    skip_fields = _annotated(owner) or b"lombok" in ctx.source or b" native " in ctx.source
    counts = _token_counts(ctx)
    declared: dict[bytes, int] = {}
    named: list[tuple[Node, Node]] = []
    for member in candidates:
        if member.type == "field_declaration":
            if skip_fields:
                continue
            names_ = [d.child_by_field_name("name") for d in member.children_by_field_name("declarator")]
        else:
            names_ = [member.child_by_field_name("name")]
        for name in names_:
            if name is not None and ctx.text(name) not in _SERIALIZATION_MEMBERS:
                named.append((member, name))
    for member in members:  # overloads and same-named members all count as declarations, not uses
        if member.type == "method_declaration":
            name = member.child_by_field_name("name")
            if name is not None and name.text is not None:
                declared[name.text] = declared.get(name.text, 0) + 1
    prefixes = tuple(_NAME_PREFIX.findall(ctx.source))
    for member, name in named:
        token = name.text or b""
        if counts.get(token, 0) > max(declared.get(token, 0), 1) or (prefixes and token.startswith(prefixes)):
            continue  # used, or looked up by a name built at run time (`"identity_" + kind`)
        if member.type == "field_declaration":
            yield Hit(name, message=f"Private field `{ctx.text(name)}` is never used.")
        else:
            yield Hit(name, message=f"Private method `{ctx.text(name)}` is never called.")


UNUSED_PRIVATE = Rule(
    id="JAVA-Q007",
    title="Unused private field or method",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=561,
    languages=LANGS,
    message="Private member is never used.",
    docs=RuleDocs(
        what="Flags private fields and private methods whose name appears nowhere else in the file: not in "
        "code, method references (`this::helper`), strings (reflection, `Unsafe.objectFieldOffset(..., "
        '"name")`) or comments, and does not start with a string literal the file concatenates '
        '(`"identity_" + kind`: a name built for a reflective look-up). Overloads of an unused method are '
        "flagged together. Not flagged: annotated "
        'members (`@Autowired`, `@Inject`, `@JsonProperty`, `@SuppressWarnings("unused")`, `@Test`...), '
        "fields of annotated classes (JPA entities, Lombok, Jackson or JAXB classes read them by reflection), "
        "fields in files that use Lombok or declare `native` methods, serialization members "
        "(`serialVersionUID`, `writeObject`, `readObject`, `readResolve`, `writeReplace`...) and private "
        "constructors (the no-instance idiom).",
        why="A private member nobody uses is dead code: it costs reading and maintenance, and often is the "
        "remnant of a refactoring in which the caller was meant to use it and does something else instead.",
        example="class Invoices {\n    private final Clock clock = Clock.systemUTC();\n\n"
        "    private BigDecimal roundOld(BigDecimal amount) {\n        return amount.setScale(2);\n    }\n}",
        use_instead="class Invoices {\n    // both removed: nothing read the clock or called roundOld\n}",
    ),
    query="[(class_body) (enum_body) (interface_body)] @body",
    check=_check_unused_private,
    references=(cwe(561), "https://rules.sonarsource.com/java/RSPEC-1144/"),
)


# --- JAVA-Q008 printStackTrace --------------------------------------------------------------------


def _check_print_stack_trace(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or _args(call) or is_test_path(ctx.path):
        return
    yield Hit(call)


PRINT_STACK_TRACE = Rule(
    id="JAVA-Q008",
    title="Exception reported with printStackTrace()",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="`printStackTrace()` writes to standard error, outside the logs; log the exception instead.",
    docs=RuleDocs(
        what="Flags `e.printStackTrace()` without arguments outside test files. As the only statement of a "
        "`catch` block it also swallows the exception: the program continues as if nothing happened. Not "
        "flagged: `printStackTrace(writer)` into a `PrintWriter` (capturing the trace as text), and code under "
        "test directories or in `*Test.java` files.",
        why="Standard error is not where operators look: the trace has no timestamp, level, request or thread "
        "context, is not shipped with the logs, and interleaves with other output. When it replaces handling, "
        "the failure is effectively hidden.",
        example="try {\n    order = repository.load(id);\n} catch (IOException e) {\n    e.printStackTrace();\n}",
        use_instead="try {\n    order = repository.load(id);\n} catch (IOException e) {\n"
        '    throw new UncheckedIOException("cannot load order " + id, e);\n}',
    ),
    query="""
(method_invocation
  name: (identifier) @method
  (#eq? @method "printStackTrace")) @call
""",
    check=_check_print_stack_trace,
    references=("https://rules.sonarsource.com/java/RSPEC-1148/",),
)


# --- JAVA-Q009 assert validates a public method's parameter ---------------------------------------


def _parameter_names(function: Node, ctx: FileContext) -> set[str]:
    params = function.child_by_field_name("parameters")
    found: set[str] = set()
    for param in params.named_children if params is not None else ():
        name = param.child_by_field_name("name")
        if name is None and param.type == "spread_parameter":
            declarator = next((c for c in param.named_children if c.type == "variable_declarator"), None)
            name = declarator.child_by_field_name("name") if declarator is not None else None
        if name is not None:
            found.add(ctx.text(name))
    return found


_INTERNAL_PACKAGE = re.compile(rb"(?m)^\s*package\s+[\w.]*\binternal\b")


def _public(declaration: Node) -> bool:
    modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
    return declaration.type == "interface_declaration" or (
        modifiers is not None and any(c.type == "public" for c in modifiers.children)
    )


def _enclosing_types(node: Node, ctx: FileContext) -> list[Node]:
    return [
        a
        for a in ancestors(node, ctx)
        if a.type in ("class_declaration", "interface_declaration", "enum_declaration", "record_declaration")
    ]


def _check_assert(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement = first(captures, "assert")
    if statement is None or not statement.named_children or is_test_path(ctx.path):
        return
    function = enclosing_function(JAVA, statement, ctx)
    if function is None or function.type not in ("method_declaration", "constructor_declaration"):
        return
    if not _public(function) or not all(_public(t) for t in _enclosing_types(function, ctx)):
        return  # a public method of a package-private class is internal: its asserts check invariants
    body = function.child_by_field_name("body")
    if body is None or statement.parent != body:
        return
    leading = [c for c in body.named_children if c.type not in COMMENTS]
    if any(c.type != "assert_statement" for c in leading[: leading.index(statement)]):
        return  # after the method's work has begun an assert checks an invariant, not the caller's input
    if _INTERNAL_PACKAGE.search(ctx.source[:4096]):
        return
    parameters = _parameter_names(function, ctx)
    query = compiled_query("java", _IDENTIFIERS)
    condition = statement.named_children[0]
    for node in tree_sitter.QueryCursor(query).captures(condition).get("id", ()):
        parent = node.parent
        if parent is not None and parent.type == "field_access" and parent.child_by_field_name("field") == node:
            continue  # `this.count`, not the parameter `count`
        if ctx.text(node) in parameters:
            yield Hit(
                statement,
                message=f"`assert` checks the argument `{ctx.text(node)}`, but asserts are off "
                "unless the JVM runs with `-ea`; throw an `IllegalArgumentException` instead.",
            )
            return


ASSERT_ARGUMENT = Rule(
    id="JAVA-Q009",
    title="assert used to validate a public method's argument",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=703,
    languages=LANGS,
    message="`assert` does not run unless the JVM is started with `-ea`; validate arguments with an exception.",
    docs=RuleDocs(
        what="Flags an `assert` at the start of a public method or constructor of a public class (only other "
        "asserts before it) whose condition reads one of its parameters. Not flagged: asserts after the "
        "method's first other statement (invariants and postconditions), asserts in private, protected and "
        "package-private methods or classes (internal invariants, the use the Java guide recommends), packages "
        "named `internal`, asserts on fields or computed values, reads of a parameter only in the message "
        "after `:`, and test files.",
        why="Assertions are disabled by default, so in production the check does not exist and invalid "
        "arguments flow on. The Java documentation says not to use assertions for argument checking in "
        "public methods: the method must enforce its contract whatever the JVM flags.",
        example="public void withdraw(BigDecimal amount) {\n"
        '    assert amount.signum() > 0 : "amount must be positive";\n'
        "    balance = balance.subtract(amount);\n}",
        use_instead="public void withdraw(BigDecimal amount) {\n    if (amount.signum() <= 0) {\n"
        '        throw new IllegalArgumentException("amount must be positive");\n    }\n'
        "    balance = balance.subtract(amount);\n}",
    ),
    query="(assert_statement) @assert",
    check=_check_assert,
    references=(
        cwe(703),
        "https://docs.oracle.com/javase/8/docs/technotes/guides/language/assert.html#usage-conditions",
        "https://rules.sonarsource.com/java/RSPEC-4274/",
    ),
)


# --- JAVA-Q010 equals without hashCode ------------------------------------------------------------


def _overrides_equals(method: Node, ctx: FileContext) -> bool:
    params = method.child_by_field_name("parameters")
    declared = [p for p in params.named_children if p.type == "formal_parameter"] if params is not None else []
    if _method_name(method, ctx) != "equals" or len(declared) != 1 or method.child_by_field_name("body") is None:
        return False
    kind = declared[0].child_by_field_name("type")
    return kind is not None and ctx.text(kind) in ("Object", "java.lang.Object")


def _delegates_to_super(method: Node, ctx: FileContext) -> bool:
    body = method.child_by_field_name("body")
    return (
        body is not None
        and re.fullmatch(r"\{\s*return\s+super\s*\.\s*equals\s*\([^()]*\)\s*;\s*\}", ctx.text(body)) is not None
    )


def _check_equals_hash(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    body = first(captures, "body")
    declaration = body.parent if body is not None else None
    if body is None or declaration is None or declaration.child_by_field_name("superclass") is not None:
        return  # a subclass may inherit a `hashCode` consistent with its `equals`
    methods = [c for c in body.named_children if c.type == "method_declaration"]
    equals = next((m for m in methods if _overrides_equals(m, ctx)), None)
    if equals is None or _delegates_to_super(equals, ctx):
        return
    for method in methods:
        params = method.child_by_field_name("parameters")
        if _method_name(method, ctx) == "hashCode" and params is not None and not params.named_children:
            return
    name = equals.child_by_field_name("name")
    yield Hit(name or equals)


EQUALS_WITHOUT_HASHCODE = Rule(
    id="JAVA-Q010",
    title="equals overridden without hashCode",
    category=Category.QUALITY,
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    cwe=581,
    languages=LANGS,
    message="`equals` is overridden but `hashCode` is not: equal objects get different hash codes.",
    docs=RuleDocs(
        what="Flags a class without a superclass, or a record, that declares `equals(Object)` with a body but "
        "no `hashCode()`. Not flagged: subclasses (they may inherit a consistent `hashCode`), `equals` "
        "overloads with another parameter type (not an override), abstract `equals` "
        "declarations, an `equals` that only returns `super.equals(o)`, interfaces, and classes that "
        "declare `hashCode()`.",
        why="`Object.hashCode` is per instance, so two objects your `equals` calls equal hash differently: "
        "`HashMap`, `HashSet` and caches do not find an equal key, sets keep duplicates, and `contains` "
        "answers false for an element that is there.",
        example="final class Sku {\n    private final String code;\n\n    @Override\n"
        "    public boolean equals(Object o) {\n        return o instanceof Sku other && code.equals(other.code);\n"
        "    }\n}",
        use_instead="final class Sku {\n    private final String code;\n\n    @Override\n"
        "    public boolean equals(Object o) {\n        return o instanceof Sku other && code.equals(other.code);\n"
        "    }\n\n    @Override\n    public int hashCode() {\n        return code.hashCode();\n    }\n}",
    ),
    query="""
(class_declaration body: (class_body) @body)
(record_declaration body: (class_body) @body)
""",
    check=_check_equals_hash,
    references=(
        cwe(581),
        "https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/Object.html#hashCode()",
    ),
)


# --- JAVA-P001 String concatenation in a loop -----------------------------------------------------


def _check_string_concat(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, name = first(captures, "statement"), first(captures, "name")
    if statement is None or name is None or is_test_path(ctx.path):
        return
    operator = statement.children[1] if statement.child_count > 2 else None
    if operator is None:
        return
    if operator.type == "=":
        total = statement.child_by_field_name("right")
        if total is None or total.type != "binary_expression":
            return
        operands = concatenated(total)
        if len(operands) < 2 or not any(o.type == "identifier" and ctx.text(o) == ctx.text(name) for o in operands):
            return
    elif operator.type != "+=":
        return
    declaration = resolve(name, ctx)
    if declaration is None or declaration.field or base_type(declaration, ctx) != "String":
        return
    loops = [
        loop for loop in per_item_loops(statement, ctx) if loop.type in _LOOPS and not _contains(loop, declaration.name)
    ]
    if loops:
        yield Hit(
            statement,
            message=f"`{ctx.text(name)}` grows by concatenation in a loop, copying it every time; "
            "append to a `StringBuilder` instead.",
        )


STRING_CONCAT = Rule(
    id="JAVA-P001",
    title="String built by concatenation in a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1046,
    languages=LANGS,
    message="String built with `+=` in a loop copies it on every iteration; use a `StringBuilder`.",
    docs=RuleDocs(
        what="Flags `s += x` and `s = s + x` in the body of a `for`, enhanced `for`, `while` or `do` loop when "
        "`s` is a local variable or parameter declared `String` (or `var` with a string initialiser) outside "
        "that loop. Not flagged: a string declared inside the loop (rebuilt each iteration), fields, "
        "`StringBuilder`, numeric `+=`, concatenation outside loops, and test files.",
        why="Strings are immutable: each `+=` allocates a new string and copies everything accumulated so "
        "far, so n appends cost O(n²) time and garbage. The compiler's concatenation optimisation works "
        "within one expression, not across iterations.",
        example='String csv = "";\nfor (Order order : orders) {\n'
        '    csv += order.id() + "," + order.total() + "\\n";\n}',
        use_instead="StringBuilder csv = new StringBuilder();\nfor (Order order : orders) {\n"
        "    csv.append(order.id()).append(',').append(order.total()).append('\\n');\n}",
    ),
    query="""
(assignment_expression left: (identifier) @name right: (_)) @statement
""",
    check=_check_string_concat,
    references=(cwe(1046), "https://rules.sonarsource.com/java/RSPEC-1643/"),
)


# --- JAVA-P002 regex compiled in a loop -----------------------------------------------------------

_REGEX_ARITY = {"matches": (1, 1), "replaceAll": (2, 2), "replaceFirst": (2, 2), "split": (1, 2)}
_SPLIT_META = ".$|()[{^?*+\\"


def _java_unescape(text: str) -> str:
    return re.sub(
        r"\\(u+[0-9a-fA-F]{4}|.)",
        lambda m: (
            chr(int(m.group(1).lstrip("u"), 16))
            if m.group(1).startswith("u")
            else {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(m.group(1), m.group(1))
        ),
        text,
    )


def _literal_value(node: Node, ctx: FileContext) -> str | None:
    """The value of a string literal, or of a name declared with one (``static final String SEP = ","``)."""
    node = _unwrap(node)
    if node.type in ("identifier", "field_access"):
        declaration = resolve(node, ctx)
        if declaration is None or declaration.value is None:
            return None
        if declaration.field and "final" not in declaration.modifiers:
            return None  # a mutable field may hold anything by now
        node = _unwrap(declaration.value)
    text = literal_text(JAVA, node, ctx)
    return _java_unescape(text) if text is not None else None


def _split_fast_path(regex: str) -> bool:
    """``String.split`` skips the regex engine for one plain character or an escaped non-alphanumeric one."""
    if len(regex) == 1:
        return regex not in _SPLIT_META
    return len(regex) == 2 and regex[0] == "\\" and not (regex[1].isascii() and regex[1].isalnum())


def _check_regex(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method, pattern = first(captures, "call"), first(captures, "method"), first(captures, "pattern")
    if call is None or method is None or pattern is None or is_test_path(ctx.path):
        return
    name = ctx.text(method)
    receiver = call.child_by_field_name("object")
    count = len(_args(call))
    if receiver is not None and ctx.text(receiver) == "Pattern":
        label = f"Pattern.{name}"
        if (name == "compile" and count not in (1, 2)) or (name == "matches" and count != 2):
            return
    else:
        low, high = _REGEX_ARITY[name]
        if receiver is None or not low <= count <= high:
            return
        label = f"String.{name}"
    if not per_item_loops(call, ctx):
        return
    if name == "split" and label.startswith("String"):
        regex = _literal_value(pattern, ctx)
        if regex is None or _split_fast_path(regex):
            return
    elif not is_constant(JAVA, pattern, ctx):
        return  # a pattern built from the loop's data needs compiling each time
    yield Hit(
        call,
        message=f"`{label}` compiles the same regular expression on every iteration; compile it once into a "
        "`private static final Pattern` and reuse it.",
    )


REGEX_IN_LOOP = Rule(
    id="JAVA-P002",
    title="Constant regular expression compiled inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="A constant regular expression is compiled on every iteration; compile it once.",
    docs=RuleDocs(
        what="Flags, inside a loop or a per-element lambda (`forEach`, `map`, `filter`...), "
        "`Pattern.compile(regex)`, `Pattern.matches(regex, s)`, and `s.matches(regex)`, "
        "`s.replaceAll(regex, r)`, `s.replaceFirst(regex, r)`, `s.split(regex)` when the regex is constant "
        "(literals, constants, locals bound to them). Not flagged: regexes built from the loop's data, calls "
        'outside loops, `split` on a single plain character or an escaped one such as `"\\\\|"` (String\'s '
        "fast path skips the regex engine), `Matcher.replaceAll`, `matches()` without arguments, and calls "
        "whose argument count does not fit `String`, and test files.",
        why="Java does not cache compiled patterns: every `String.matches`, `replaceAll` and multi-character "
        "`split` compiles its regex into a new `Pattern` first, which costs far more than the match itself on "
        "short inputs.",
        example='for (String line : lines) {\n    String[] fields = line.split("\\\\s*,\\\\s*");\n'
        '    if (fields[0].matches("[A-Z]{3}")) {\n        ...\n    }\n}',
        use_instead='private static final Pattern COMMA = Pattern.compile("\\\\s*,\\\\s*");\n'
        'private static final Pattern CODE = Pattern.compile("[A-Z]{3}");\n\n'
        "for (String line : lines) {\n    String[] fields = COMMA.split(line);\n"
        "    if (CODE.matcher(fields[0]).matches()) {\n        ...\n    }\n}",
    ),
    query="""
(method_invocation
  object: (_)
  name: (identifier) @method
  arguments: (argument_list . (_) @pattern)
  (#any-of? @method "compile" "matches" "replaceAll" "replaceFirst" "split")) @call
""",
    check=_check_regex,
    references=(cwe(1176), "https://rules.sonarsource.com/java/RSPEC-4248/"),
)


# --- JAVA-P003 N+1: query or HTTP request per loop iteration --------------------------------------

_JDBC_ALWAYS = frozenset({"executeQuery", "executeUpdate", "executeLargeUpdate", "getResultList", "getSingleResult"})
_STATEMENT_TYPES = frozenset({"Statement", "PreparedStatement", "CallableStatement"})
_STATEMENT_NAME = re.compile(r"(?i)^(?:stmt|statement|ps|pst|pstmt|preparedStatement|st|cs|call)$")
_JDBC_TEMPLATE_METHODS = frozenset(
    {"query", "queryForObject", "queryForList", "queryForMap", "queryForRowSet", "queryForStream", "update"}
)
_JDBC_TEMPLATE = re.compile(r"(?i)jdbc|template")
_REPOSITORY = re.compile(r"(?i)(?:repository|repo|dao)$")
_REPOSITORY_METHOD = re.compile(
    r"^(?:(?:find|read|get|query|search|stream|count|exists)(?:First|Top|Distinct|All)?\w*By\w+|"
    r"findById|existsById|findAll|findAllById|findOne|getById|getOne)$"
)
_REST_METHODS = frozenset(
    {"getForObject", "getForEntity", "postForObject", "postForEntity", "exchange", "patchForObject", "headForHeaders"}
)
_REST = re.compile(r"(?i)rest|template")
_HTTP_CLIENT_TYPES = frozenset({"HttpClient", "CloseableHttpClient"})
_HTTP_CLIENT_NAME = re.compile(r"(?i)client$")
_ENTITY_MANAGER = re.compile(r"(?i)^(?:em|entityManager)$|EntityManager$")


_W = "[A-Za-z0-9_]"
_ROUND_TRIP_NAMES = (
    f"^(?:execute|executeQuery|executeUpdate|executeLargeUpdate|getResultList|getSingleResult|find|query{_W}*|update"
    "|send|openConnection|openStream|getForObject|getForEntity|postForObject|postForEntity|exchange|patchForObject"
    f"|headForHeaders|findById|existsById|findAll{_W}*|findOne|getById|getOne"
    f"|(?:find|read|get|query|search|stream|count|exists){_W}*By{_W}+)$"
)
"""A pre-filter for the query: the method names :func:`_round_trip` may accept."""


def _round_trip(call: Node, ctx: FileContext) -> str | None:
    """``"query"`` / ``"request"`` when the call is a database query or an HTTP request, else None."""
    method = _method_name(call, ctx)
    receiver = call.child_by_field_name("object")
    name, kind = _receiver_name(receiver, ctx), _declared_type_of(receiver, ctx)
    if method in _JDBC_ALWAYS:
        return "query" if receiver is not None else None
    if method == "execute" and receiver is not None:
        if kind in _STATEMENT_TYPES or _STATEMENT_NAME.match(name):
            return "query"
        if name == "newCall" or kind in _HTTP_CLIENT_TYPES:
            return "request"  # OkHttp `client.newCall(request).execute()`, Apache `httpClient.execute(request)`
        return None
    if method in _JDBC_TEMPLATE_METHODS and (_JDBC_TEMPLATE.search(name) or kind.endswith("JdbcTemplate")):
        return "query"
    if method == "find" and (_ENTITY_MANAGER.search(name) or kind == "EntityManager"):
        return "query"
    if _REPOSITORY_METHOD.match(method) and (_REPOSITORY.search(name) or _REPOSITORY.search(kind)):
        return "query"
    if method in _REST_METHODS and (_REST.search(name) or kind == "RestTemplate"):
        return "request"
    if method == "send" and (
        kind == "HttpClient" or (not kind and _HTTP_CLIENT_NAME.search(name) and "BodyHandler" in ctx.text(call))
    ):
        return "request"
    if method in ("openConnection", "openStream") and not _args(call) and _built_url(receiver, ctx):
        return "request"
    return None


def _built_url(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """A URL made from a string here (``new URL(s)``, ``URI.create(s).toURL()``), not a class-path resource."""
    if node is None or depth > 2:
        return False
    node = _unwrap(node)
    if node.type == "object_creation_expression":
        return _created_type(node, ctx) == "URL"
    if node.type == "method_invocation":
        return _method_name(node, ctx) == "toURL" and "getResource" not in ctx.text(node)
    if node.type == "identifier":
        declaration = resolve(node, ctx)
        return declaration is not None and _built_url(declaration.value, ctx, depth + 1)
    return False


def _check_n_plus_one(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or is_test_path(ctx.path):
        return
    loops = per_item_loops(call, ctx)
    if not loops or not any(_iterates_data(loop, ctx) for loop in loops):
        return
    kind = _round_trip(call, ctx)
    if kind == "query":
        yield Hit(
            call,
            message="Database query inside a loop: one round trip per item (N+1); fetch the rows in one "
            "query (`IN (...)`, a join, `findAllById`) or batch the updates.",
        )
    elif kind == "request":
        yield Hit(
            call,
            message="HTTP request inside a loop: one round trip per item; use a batch endpoint or send "
            "the requests concurrently.",
        )


N_PLUS_ONE = Rule(
    id="JAVA-P003",
    title="Database query or HTTP request inside a loop (N+1)",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="Query or request inside a loop: one round trip per item (N+1).",
    docs=RuleDocs(
        what="Flags, in the body of a loop over data or a per-element lambda (`forEach`, `map`...): JDBC "
        "`executeQuery` / `executeUpdate` and `execute` on a statement, JPA `getResultList` / `getSingleResult` "
        "and `entityManager.find`, `JdbcTemplate` queries and updates, Spring Data repository reads "
        "(`findById`, `findByX`, `existsByX`, `countByX`... on a receiver named or declared `...Repository` / "
        "`...Dao`), `RestTemplate` calls, `HttpClient.send`, OkHttp `newCall(...).execute()`, Apache "
        "`httpClient.execute(...)` and `URL.openConnection()` / `openStream()`. A `while` loop counts only when "
        "it walks a result set or iterator (`while (rs.next())`). Not flagged: other `while` loops (paging, "
        "polling, retries), loops with a count fixed in the source (`for (int i = 0; i < 3; i++)`, an array "
        "or `List.of(...)` literal, an enum's `values()`), `addBatch` / `executeBatch`, `sendAsync`, and calls "
        "in a loop's iterable or in lambdas run later (`executor.submit(() -> ...)`), and test files (parameterised "
        "tests call once per case by design).",
        why="Each iteration pays a full network round trip, so the cost grows with the data: a page listing "
        "500 orders makes 501 queries. The database or API could answer all of them in one request.",
        example="for (Order order : orders) {\n"
        "    Customer customer = customerRepository.findById(order.getCustomerId()).orElseThrow();\n"
        "    order.setCustomerName(customer.getName());\n}",
        use_instead="Map<Long, Customer> customers = customerRepository\n"
        "    .findAllById(orders.stream().map(Order::getCustomerId).toList())\n"
        "    .stream().collect(Collectors.toMap(Customer::getId, c -> c));\nfor (Order order : orders) {\n"
        "    order.setCustomerName(customers.get(order.getCustomerId()).getName());\n}",
    ),
    query=f"""
(method_invocation
  name: (identifier) @method
  (#match? @method "{_ROUND_TRIP_NAMES}")) @call
""",
    check=_check_n_plus_one,
    references=(cwe(1050), "https://vladmihalcea.com/n-plus-1-query-problem/"),
)


# --- JAVA-P004 ArrayList.remove(0) / add(0, x) in a loop ------------------------------------------

_ARRAY_LISTS = frozenset({"ArrayList", "Vector"})


def _array_list(receiver: Node, ctx: FileContext) -> bool:
    declaration = resolve(_unwrap(receiver), ctx)
    if declaration is None:
        return False
    kind = base_type(declaration, ctx)
    return kind in _ARRAY_LISTS or (
        kind in ("List", "Collection") and _created_type(declaration.value, ctx) in _ARRAY_LISTS
    )


def _check_list_front(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, receiver, method = first(captures, "call"), first(captures, "receiver"), first(captures, "method")
    if call is None or receiver is None or method is None or is_test_path(ctx.path):
        return
    args = _args(call)
    name = ctx.text(method)
    expected = 1 if name == "remove" else 2
    if len(args) != expected or ctx.text(args[0]) != "0" or not per_item_loops(call, ctx):
        return
    if _array_list(receiver, ctx):
        instead = "pollFirst()" if name == "remove" else "addFirst(x)"
        yield Hit(
            call,
            message=f"`{ctx.text(call)}` shifts every element of the ArrayList; use an `ArrayDeque` and `{instead}`.",
        )


LIST_FRONT = Rule(
    id="JAVA-P004",
    title="ArrayList.remove(0) or add(0, x) inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=407,
    languages=LANGS,
    message="`remove(0)` / `add(0, x)` on an ArrayList shifts every element; use an `ArrayDeque`.",
    docs=RuleDocs(
        what="Flags `list.remove(0)` and `list.add(0, x)` in a loop or per-element lambda when `list` is "
        "declared `ArrayList` / `Vector`, or `List` initialised with `new ArrayList<>(...)`. Not flagged: "
        "`LinkedList`, `ArrayDeque`, other indexes (`remove(list.size() - 1)` is cheap), lists of unknown "
        "type (parameters declared `List`), calls outside loops, and test files.",
        why="An ArrayList stores its elements contiguously; removing or inserting at the front moves all the "
        "others, so draining or filling an n-element list this way costs O(n²). An `ArrayDeque` does both "
        "ends in O(1).",
        example="List<Node> queue = new ArrayList<>(List.of(root));\nwhile (!queue.isEmpty()) {\n"
        "    Node node = queue.remove(0);\n    queue.addAll(node.children());\n}",
        use_instead="Deque<Node> queue = new ArrayDeque<>(List.of(root));\nwhile (!queue.isEmpty()) {\n"
        "    Node node = queue.pollFirst();\n    queue.addAll(node.children());\n}",
    ),
    query="""
(method_invocation
  object: [(identifier) (field_access)] @receiver
  name: (identifier) @method
  (#any-of? @method "remove" "add")) @call
""",
    check=_check_list_front,
    references=(cwe(407), "https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/ArrayDeque.html"),
)


# --- JAVA-P005 List.contains in a loop ------------------------------------------------------------

_GROWN_LISTS = frozenset({"ArrayList", "LinkedList", "Vector", "CopyOnWriteArrayList"})
_LIST_TYPES = frozenset({"List", "ArrayList", "LinkedList", "Vector", "Collection"})


def _data_sized_list(declaration: Declaration, ctx: FileContext) -> bool:
    """A list whose length comes from data: ``new ArrayList<>(...)`` (which the code grows), or a stream
    collected to a list. ``List.of(...)`` / ``Arrays.asList(...)`` literals are short and fixed."""
    if base_type(declaration, ctx) not in _LIST_TYPES or declaration.value is None:
        return False
    value = _unwrap(declaration.value)
    if _created_type(value, ctx) in _GROWN_LISTS:
        return True
    if value.type != "method_invocation":
        return False
    method = _method_name(value, ctx)
    return method == "toList" or (method == "collect" and "toList" in ctx.text(value))


def _check_list_contains(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, receiver = first(captures, "call"), first(captures, "receiver")
    if call is None or receiver is None or len(_args(call)) != 1 or is_test_path(ctx.path):
        return
    loops = per_item_loops(call, ctx)
    if not loops:
        return
    declaration = resolve(_unwrap(receiver), ctx)
    if declaration is None or not _data_sized_list(declaration, ctx) or _contains(loops[0], declaration.name):
        return  # unknown, fixed, or rebuilt inside the loop (a set would cost as much to build)
    yield Hit(
        call,
        message=f"`{ctx.text(call)}` scans the whole list on every iteration; keep a `HashSet` for membership tests.",
    )


LIST_CONTAINS = Rule(
    id="JAVA-P005",
    title="List.contains inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=407,
    languages=LANGS,
    message="`contains` on a list scans it on every iteration; use a `HashSet`.",
    docs=RuleDocs(
        what="Flags `list.contains(x)` in a loop or per-element lambda when `list` is a local or field "
        "declared as a `List` / `ArrayList` / `LinkedList` / `Collection` and initialised, outside that loop, "
        "with `new ArrayList<>(...)` (or another growable list) or a stream collected to a list. Not flagged: "
        "sets and maps, `List.of(...)` / `Arrays.asList(...)` literals (short and fixed), lists of unknown "
        "origin (parameters, getters), lists created inside the same loop, calls outside loops, and test files.",
        why="`List.contains` compares element by element, so n tests against an m-element list cost O(n·m); "
        "against a `HashSet` each test is a hash lookup. The usual case is a dedup list that grows with the "
        "input, which makes the loop quadratic.",
        example="List<String> seen = new ArrayList<>();\nfor (Event event : events) {\n"
        "    if (!seen.contains(event.id())) {\n        seen.add(event.id());\n        publish(event);\n    }\n}",
        use_instead="Set<String> seen = new HashSet<>();\nfor (Event event : events) {\n"
        "    if (seen.add(event.id())) {\n        publish(event);\n    }\n}",
    ),
    query="""
(method_invocation
  object: [(identifier) (field_access)] @receiver
  name: (identifier) @method
  (#eq? @method "contains")) @call
""",
    check=_check_list_contains,
    references=(cwe(407), "https://rules.sonarsource.com/java/RSPEC-5413/"),
)


# --- JAVA-P006 unbounded read of a request or socket stream ---------------------------------------

_REQUEST_TYPES = frozenset({"HttpServletRequest", "ServletRequest", "HttpExchange", "Socket", "SSLSocket"})
_REQUEST_NAME = re.compile(r"(?i)^(?:req|request|httpRequest|servletRequest|exchange|socket|sock|clientSocket)$")
_STREAM_WRAPPERS = frozenset({"BufferedInputStream", "DataInputStream", "PushbackInputStream"})
_BOUNDS = re.compile(r"getContentLength|readNBytes|BoundedInputStream|LimitInputStream|ByteStreams\.limit|MaxBytes")


def _request_stream(node: Node | None, ctx: FileContext, depth: int = 0) -> bool:
    """``request.getInputStream()``, ``exchange.getRequestBody()``, ``socket.getInputStream()``, wrapped in a
    buffering stream or held in a local variable."""
    if node is None or depth > 3:
        return False
    node = _unwrap(node)
    if node.type == "method_invocation":
        method = _method_name(node, ctx)
        receiver = node.child_by_field_name("object")
        if method == "getRequestBody":
            return receiver is not None
        return method == "getInputStream" and (
            _declared_type_of(receiver, ctx) in _REQUEST_TYPES
            or bool(_REQUEST_NAME.match(_receiver_name(receiver, ctx)))
        )
    if node.type == "object_creation_expression" and _created_type(node, ctx) in _STREAM_WRAPPERS:
        args = _args(node)
        return bool(args) and _request_stream(args[0], ctx, depth + 1)
    if node.type == "identifier":
        declaration = resolve(node, ctx)
        return declaration is not None and not declaration.field and _request_stream(declaration.value, ctx, depth + 1)
    return False


def _check_unbounded_read(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, stream = first(captures, "call"), first(captures, "stream")
    if call is None or stream is None or is_test_path(ctx.path):
        return
    method = _method_name(call, ctx)
    if method == "readAllBytes" and _args(call):
        return  # Files.readAllBytes(path)
    if not _request_stream(stream, ctx):
        return
    function = enclosing_function(JAVA, call, ctx)
    if function is not None and _BOUNDS.search(ctx.text(function)):
        return
    yield Hit(
        call,
        message=f"`{method}` reads the whole request body into memory with no size limit; check the "
        "content length or read with `readNBytes(MAX + 1)`.",
    )


UNBOUNDED_READ = Rule(
    id="JAVA-P006",
    title="Request or socket stream read without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=400,
    languages=LANGS,
    message="The whole request body is read into memory with no size limit.",
    docs=RuleDocs(
        what="Flags `readAllBytes()` and `IOUtils.toByteArray/toString`, `StreamUtils.copyToByteArray/"
        "copyToString`, `ByteStreams.toByteArray` and `CharStreams.toString` on a servlet request's "
        "`getInputStream()`, an `HttpExchange`'s `getRequestBody()` or a socket's `getInputStream()` (directly, "
        "wrapped in a `BufferedInputStream` / `DataInputStream`, or through a local variable). Not flagged: "
        "methods that check `getContentLength()` or read with `readNBytes`, a `BoundedInputStream` or "
        "`ByteStreams.limit`, streams of files or outgoing connections, and test files.",
        why="Whoever sends the request chooses how much the server buffers: one multi-gigabyte body, or many "
        "large ones at once, exhausts the heap and takes the service down (uncontrolled resource "
        "consumption). Servlet containers do not cap request bodies read this way.",
        example="protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {\n"
        "    byte[] body = request.getInputStream().readAllBytes();\n    ...\n}",
        use_instead="private static final int MAX_BODY = 1 << 20;\n\n"
        "protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {\n"
        "    if (request.getContentLengthLong() > MAX_BODY) {\n"
        "        response.sendError(HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);\n        return;\n    }\n"
        "    byte[] body = request.getInputStream().readNBytes(MAX_BODY + 1);\n    ...\n}",
    ),
    query="""
(method_invocation
  object: (_) @stream
  name: (identifier) @method
  (#eq? @method "readAllBytes")) @call
(method_invocation
  object: (identifier) @util
  name: (identifier) @method
  arguments: (argument_list . (_) @stream)
  (#any-of? @util "IOUtils" "StreamUtils" "ByteStreams" "CharStreams")
  (#any-of? @method "toByteArray" "toString" "copyToByteArray" "copyToString")) @call
""",
    check=_check_unbounded_read,
    references=(cwe(400), "https://cheatsheetseries.owasp.org/cheatsheets/Denial_of_Service_Cheat_Sheet.html"),
)


# --- JAVA-P007 expensive invariant object created in a loop ---------------------------------------

_EXPENSIVE_TYPES = frozenset(
    {"ObjectMapper", "Gson", "GsonBuilder", "XmlMapper", "YAMLMapper", "CsvMapper", "JsonMapper"}
)
_EXPENSIVE_FACTORIES = frozenset(
    {
        "JAXBContext",
        "DocumentBuilderFactory",
        "SAXParserFactory",
        "TransformerFactory",
        "XPathFactory",
        "XMLInputFactory",
        "XMLOutputFactory",
    }
)


def _check_invariant_construction(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or is_test_path(ctx.path):
        return
    loops = [loop for loop in per_item_loops(call, ctx) if not _fixed_count(loop, ctx)]
    if not loops:
        return
    query = compiled_query("java", _IDENTIFIERS)
    arguments = call.child_by_field_name("arguments")
    for node in tree_sitter.QueryCursor(query).captures(arguments).get("id", ()) if arguments is not None else ():
        declaration = resolve(node, ctx)
        if declaration is not None and _contains(loops[0], declaration.name):
            return  # configured from the loop's data: a different object each time
    if call.type == "object_creation_expression":
        label = f"new {_created_type(call, ctx)}()"
    else:
        label = f"{ctx.text(call.child_by_field_name('object') or call)}.newInstance(...)"
    yield Hit(
        call,
        message=f"`{label}` is built on every iteration; it is expensive to create and thread-safe to "
        "share, so create it once (a `static final` field) and reuse it.",
    )


INVARIANT_CONSTRUCTION = Rule(
    id="JAVA-P007",
    title="Expensive mapper or factory created inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1050,
    languages=LANGS,
    message="An expensive, reusable object is created on every iteration; create it once.",
    docs=RuleDocs(
        what="Flags `new ObjectMapper()` (also `XmlMapper`, `YAMLMapper`, `CsvMapper`, `JsonMapper`), "
        "`new Gson()` / `new GsonBuilder()`, `JAXBContext.newInstance(...)` and the JAXP factories "
        "(`DocumentBuilderFactory`, `SAXParserFactory`, `TransformerFactory`, `XPathFactory`, "
        "`XMLInputFactory`, `XMLOutputFactory`) `newInstance()` inside a loop or per-element lambda. Not "
        "flagged: construction configured from a variable declared in the loop, loops with a count fixed in "
        "the source, construction outside loops, and test files.",
        why="These objects are costly to build: a Jackson `ObjectMapper` and Gson build and cache serializers "
        "per type, `JAXBContext` introspects every bound class, and the JAXP factories search the class path "
        "for an implementation. Built per item, that work is thrown away each time and the caches never warm; "
        "all of them are meant to be created once and shared (the mappers and `JAXBContext` are thread-safe).",
        example="for (String json : messages) {\n    Event event = new ObjectMapper().readValue(json, Event.class);\n"
        "    handle(event);\n}",
        use_instead="private static final ObjectMapper MAPPER = new ObjectMapper();\n\n"
        "for (String json : messages) {\n    Event event = MAPPER.readValue(json, Event.class);\n    handle(event);\n}",
    ),
    query=f"""
(object_creation_expression
  type: (type_identifier) @type
  (#any-of? @type {names(*sorted(_EXPENSIVE_TYPES))})) @call
(method_invocation
  object: (identifier) @factory
  name: (identifier) @method
  (#any-of? @factory {names(*sorted(_EXPENSIVE_FACTORIES))})
  (#eq? @method "newInstance")) @call
""",
    check=_check_invariant_construction,
    references=(cwe(1050), "https://github.com/FasterXML/jackson-docs/wiki/Presentation:-Jackson-Performance"),
)


RULES: tuple[Rule, ...] = (
    REFERENCE_COMPARISON,
    UNCLOSED_RESOURCE,
    UNUSED_IMPORT,
    UNUSED_PRIVATE,
    PRINT_STACK_TRACE,
    ASSERT_ARGUMENT,
    EQUALS_WITHOUT_HASHCODE,
    STRING_CONCAT,
    REGEX_IN_LOOP,
    N_PLUS_ONE,
    LIST_FRONT,
    LIST_CONTAINS,
    UNBOUNDED_READ,
    INVARIANT_CONSTRUCTION,
)
