"""Java correctness smells: values compared by reference, ``equals`` without ``hashCode``, exceptions
printed instead of handled, and ``assert`` used to validate a public method's arguments.

Each rule reads one construct (a comparison, a call, an ``assert``, a class body); the comparison rule
asks :mod:`javamodel` what its operands are declared as. The other quality rules live in
:mod:`javaunused` (dead code) and :mod:`javaresources` (resources never closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
    local_values,
)
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.javamodel import (
    IDENTIFIERS,
    LANGS,
    base_type,
    call_args,
    created_type,
    method_name,
    resolve,
    unwrap,
)
from reviewlab.engine.secrets.paths import is_test_path

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
    declaration = resolve(unwrap(operand), ctx)
    kind = base_type(declaration, ctx)
    if declaration is None or kind not in _BOXED:
        return None
    if declaration.value is not None and unwrap(declaration.value).type == "object_creation_expression":
        return None
    return kind


def _fresh_value(value: Node, other: str, ctx: FileContext) -> bool:
    """A string built at run time that does not derive from ``other`` (``clipped == title`` after
    ``clipped = clip(title)`` asks on purpose whether clipping changed anything)."""
    value = unwrap(value)
    if re.search(rf"(?<![\w$]){re.escape(other)}(?![\w$])", ctx.text(value)):
        return False
    parent = value.parent
    if parent is not None and parent.type == "assignment_expression" and parent.children[1].type == "+=":
        return True
    if value.type == "object_creation_expression":
        return created_type(value, ctx) == "String"
    if value.type == "method_invocation":
        name = method_name(value, ctx)
        return name in _FRESH_STRINGS or (name == "toString" and "StringBuilder" in ctx.text(value))
    if value.type == "binary_expression":
        operands = concatenated(value)
        return len(operands) > 1 and not is_constant(JAVA, value, ctx)
    if value.type == "array_access":
        array = value.child_by_field_name("array")
        return array is not None and array.type == "method_invocation" and method_name(array, ctx) == "split"
    return False


def _fresh_string(operand: Node, other: Node, ctx: FileContext) -> bool:
    """A ``String`` local whose every value is built at run time."""
    operand = unwrap(operand)
    declaration = resolve(operand, ctx)
    if declaration is None or declaration.field or base_type(declaration, ctx) != "String":
        return False
    values = local_values(JAVA, operand, ctx)
    other_name = ctx.text(unwrap(other))
    return bool(values) and all(v is not None and _fresh_value(v, other_name, ctx) for v in values or ())


def _string_typed(operand: Node, ctx: FileContext) -> bool:
    return base_type(resolve(unwrap(operand), ctx), ctx) == "String"


def _check_reference_comparison(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    op = first(captures, "op")
    comparison = op.parent if op is not None else None
    if op is None or comparison is None or comparison.type != "binary_expression":
        return
    left, right = comparison.child_by_field_name("left"), comparison.child_by_field_name("right")
    if left is None or right is None or {unwrap(left).type, unwrap(right).type} - {"identifier", "field_access"}:
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
        f"use `{negate}{ctx.text(unwrap(left))}.equals({ctx.text(unwrap(right))})`"
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


# --- JAVA-Q008 printStackTrace --------------------------------------------------------------------


def _check_print_stack_trace(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or call_args(call) or is_test_path(ctx.path):
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
    query = compiled_query("java", IDENTIFIERS)
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
    if method_name(method, ctx) != "equals" or len(declared) != 1 or method.child_by_field_name("body") is None:
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
        if method_name(method, ctx) == "hashCode" and params is not None and not params.named_children:
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


RULES: tuple[Rule, ...] = (
    REFERENCE_COMPARISON,
    PRINT_STACK_TRACE,
    ASSERT_ARGUMENT,
    EQUALS_WITHOUT_HASHCODE,
)
