"""Java performance rules for quadratic loops: a string or list copied or scanned once per iteration.

``s += x`` on a ``String``, ``ArrayList.remove(0)`` / ``add(0, x)`` and ``List.contains`` each cost time
proportional to what has accumulated, so repeated in a loop they make it O(n²). Where a node runs
and what a name is declared as come from :mod:`javamodel`; the other performance rules are in
:mod:`javainvariants` (objects rebuilt per iteration) and :mod:`javaio` (round trips and unbounded reads).
"""

from __future__ import annotations

from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import Node, concatenated
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.javamodel import (
    LANGS,
    LOOPS,
    Declaration,
    base_type,
    call_args,
    contains,
    created_type,
    method_name,
    per_item_loops,
    resolve,
    unwrap,
)
from reviewlab.engine.secrets.paths import is_test_path

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
        loop for loop in per_item_loops(statement, ctx) if loop.type in LOOPS and not contains(loop, declaration.name)
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


# --- JAVA-P004 ArrayList.remove(0) / add(0, x) in a loop ------------------------------------------

_ARRAY_LISTS = frozenset({"ArrayList", "Vector"})


def _array_list(receiver: Node, ctx: FileContext) -> bool:
    declaration = resolve(unwrap(receiver), ctx)
    if declaration is None:
        return False
    kind = base_type(declaration, ctx)
    return kind in _ARRAY_LISTS or (
        kind in ("List", "Collection") and created_type(declaration.value, ctx) in _ARRAY_LISTS
    )


def _check_list_front(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, receiver, method = first(captures, "call"), first(captures, "receiver"), first(captures, "method")
    if call is None or receiver is None or method is None or is_test_path(ctx.path):
        return
    args = call_args(call)
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
    value = unwrap(declaration.value)
    if created_type(value, ctx) in _GROWN_LISTS:
        return True
    if value.type != "method_invocation":
        return False
    method = method_name(value, ctx)
    return method == "toList" or (method == "collect" and "toList" in ctx.text(value))


def _check_list_contains(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, receiver = first(captures, "call"), first(captures, "receiver")
    if call is None or receiver is None or len(call_args(call)) != 1 or is_test_path(ctx.path):
        return
    loops = per_item_loops(call, ctx)
    if not loops:
        return
    declaration = resolve(unwrap(receiver), ctx)
    if declaration is None or not _data_sized_list(declaration, ctx) or contains(loops[0], declaration.name):
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


RULES: tuple[Rule, ...] = (
    STRING_CONCAT,
    LIST_FRONT,
    LIST_CONTAINS,
)
