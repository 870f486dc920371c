"""JavaScript / TypeScript work repeated once per loop iteration: ``new RegExp`` of a constant pattern
(JS-P003), membership scans of arrays (JS-P004), and ``shift`` / ``unshift`` (JS-P005).

The loops come from :func:`jsmodel.per_item_loops`. The array rules trust a name to be an array only when
every binding of it in scope is one, made outside the loop.

Left out on purpose, because they would be noise in JavaScript: string ``+=`` in loops (engines build rope
strings, so it is linear, not quadratic), and ``JSON.parse(JSON.stringify(x))`` in loops (each iteration
usually needs its own copy, and ``structuredClone`` is not faster).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVASCRIPT, Node, is_constant, local_values, string_parts
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.jsmodel import (
    COMPARISONS,
    EARLY_EXIT,
    LANGS,
    Loop,
    arguments,
    fixed_count,
    growing_loops,
    inside,
    method_of,
    per_item_loops,
    unwrap,
)

# --- JS-P003 new RegExp of a constant pattern in a loop ------------------------------------------

# With the `g` or `y` flag a RegExp keeps `lastIndex` between `test` / `exec` calls, so hoisting it changes
# behaviour; these methods reset or ignore `lastIndex`, so hoisting is safe for them.
_STATELESS_USES = frozenset({"replace", "replaceAll", "match", "matchAll", "split", "search"})


def _check_regex_in_loop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    args = arguments(call)
    if not args or len(args) > 2 or any(a.type == "spread_element" for a in args) or not growing_loops(call, ctx):
        return
    if not all(is_constant(JAVASCRIPT, a, ctx) for a in args):
        return
    flags = string_parts(JAVASCRIPT, args[1], ctx) if len(args) == 2 else [""]
    if any(p is None or "g" in p or "y" in p for p in flags):
        holder = call.parent
        consumer = holder.parent if holder is not None and holder.type == "arguments" else None
        if consumer is None or consumer.type != "call_expression" or method_of(consumer, ctx)[1] not in _STATELESS_USES:
            return
    yield Hit(call)


REGEX_IN_LOOP = Rule(
    id="JS-P003",
    title="new RegExp of a constant pattern inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="`new RegExp` of a constant pattern inside a loop builds the same regex on every iteration; "
    "create it once, outside the loop.",
    docs=RuleDocs(
        what="Flags `new RegExp(pattern, flags)` and `RegExp(pattern, flags)` in a loop body (also a "
        "`while` condition and array-iteration callbacks) when the pattern and flags are constants: "
        "literals, `ALL_CAPS` names, or local names bound only to constants. Not flagged: patterns built "
        "from the loop's data (each iteration needs its own regex), regex literals (`/ab+c/`, compiled "
        "once with the script), loops over an array literal or with a literal bound, and regexes with the "
        "`g` or `y` flag unless passed straight to `replace`, `replaceAll`, `match`, `matchAll`, `split` or "
        "`search`: a global regex used with `test` / `exec` carries `lastIndex` from one call to the next, "
        "so a hoisted one would behave differently.",
        why="Each call parses the pattern, looks up or compiles the matcher and allocates a new object, "
        "only to throw it away at the end of the iteration. Measured on Node 20, building the regex in "
        "the loop made a simple `test` loop about four times slower than reusing one.",
        example='for (const line of lines) {\n  if (new RegExp("^ERROR (\\\\d+)").test(line)) {\n'
        "    errors.push(line);\n  }\n}",
        use_instead="const ERROR_LINE = /^ERROR (\\d+)/;\n\nfor (const line of lines) {\n"
        "  if (ERROR_LINE.test(line)) {\n    errors.push(line);\n  }\n}",
    ),
    query="""
(new_expression constructor: (identifier) @constructor (#eq? @constructor "RegExp")) @call
(call_expression function: (identifier) @constructor (#eq? @constructor "RegExp")) @call
""",
    check=_check_regex_in_loop,
    references=(
        cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/RegExp/lastIndex",
    ),
)


# --- arrays (JS-P004, JS-P005) -------------------------------------------------------------------

# Methods that return a new array whose length depends on the data.
_ARRAY_BUILDERS = frozenset({"map", "filter", "flatMap", "flat", "split", "toSorted", "toReversed"})
_OBJECT_LISTS = frozenset({"keys", "values", "entries", "getOwnPropertyNames"})
# Only arrays have these, so a receiver they are called on is an array whatever built it.
_ARRAY_ONLY = frozenset({"slice", "concat", "sort", "reverse", "splice"}) | _ARRAY_BUILDERS


def _array_value(value: Node | None, ctx: FileContext, sized: bool) -> bool:
    """Whether the value is certainly an array. With ``sized``, one whose length comes from the data:
    ``[]`` (which the code grows), ``[...xs]``, ``Array.from``, ``Object.keys``, ``xs.map(...)``; not a
    literal list of items, which is short and fixed."""
    if value is None:
        return False
    value = unwrap(value)
    if value.type == "array":
        return not sized or not value.named_children or any(c.type == "spread_element" for c in value.named_children)
    if value.type == "new_expression":
        constructor = value.child_by_field_name("constructor")
        return constructor is not None and ctx.text(constructor) == "Array"
    if value.type != "call_expression":
        return False
    receiver, method = method_of(value, ctx)
    if receiver is None:
        return False
    owner = ctx.text(receiver)
    if owner == "Array":
        return method == "from" or (method == "of" and not sized)
    if owner == "Object":
        return method in _OBJECT_LISTS
    return method in (_ARRAY_BUILDERS if sized else _ARRAY_ONLY)


def _bound_array(identifier: Node, ctx: FileContext, sized: bool) -> list[Node] | None:
    """The values bound to ``identifier`` in its scope when every one is an array, else None."""
    values = local_values(JAVASCRIPT, identifier, ctx)
    if not values or any(v is None or not _array_value(v, ctx, sized) for v in values):
        return None
    return [v for v in values if v is not None]


def _rebuilt_per_item(values: list[Node], loops: list[Loop]) -> bool:
    """Whether the array is built inside the innermost loop, i.e. afresh for every item."""
    return bool(loops) and any(inside(v, loops[0].node) for v in values)


# --- JS-P004 membership test on an array inside a loop -------------------------------------------


def _membership(call: Node, method: str, ctx: FileContext) -> Node | None:
    """The membership test a call is part of: ``xs.includes(x)``, ``xs.indexOf(x) !== -1``, ``~xs.indexOf(x)``."""
    if method == "includes":
        return call
    parent = call.parent
    if parent is None:
        return None
    if parent.type == "unary_expression" and ctx.text(parent).startswith("~"):
        return parent
    if parent.type != "binary_expression":
        return None
    operator, left, right = (parent.child_by_field_name(f) for f in ("operator", "left", "right"))
    other = right if left == call else left
    if operator is None or other is None or ctx.text(other).replace(" ", "") not in ("-1", "0"):
        return None
    return parent if operator.type in COMPARISONS else None


def _check_array_membership(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call, array, method_node = first(captures, "call"), first(captures, "array"), first(captures, "method")
    if call is None or array is None or method_node is None or len(arguments(call)) != 1:
        return
    test = _membership(call, ctx.text(method_node), ctx)
    loops, _ = per_item_loops(call, ctx) if test is not None else ([], None)
    if test is None or all(fixed_count(loop, ctx) for loop in loops):
        return
    values = _bound_array(array, ctx, sized=True)
    if values is not None and not _rebuilt_per_item(values, loops):
        name = ctx.text(array)
        yield Hit(
            test, message=f"`{ctx.text(test)}` scans `{name}` on every iteration; keep a `Set` and test `.has()`."
        )


ARRAY_MEMBERSHIP = Rule(
    id="JS-P004",
    title="Membership test on an array inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1176,
    languages=LANGS,
    message="`includes` / `indexOf` on an array scans it on every iteration; test a `Set` instead.",
    docs=RuleDocs(
        what="Flags `xs.includes(x)`, and `xs.indexOf(x)` compared with `-1` or `0` (or under `~`), in a "
        "loop body or an array-iteration callback (`a.filter(x => !b.includes(x))`) when every binding of "
        "`xs` in scope is an array whose length depends on the data: `[]` that the code grows, `[...xs]`, "
        "`Array.from(...)`, `Object.keys/values/entries(...)`, or the result of `map` / `filter` / `flatMap` "
        '/ `flat` / `split`. Not flagged: literal lists of items (`["a", "b"].includes(x)`: short and '
        "fixed), parameters, properties and other names of unknown type (`includes` is also a string "
        "method), arrays rebuilt inside the same loop (a Set would cost as much to build), `indexOf` used "
        "for a position, and tests outside loops.",
        why="`includes` compares element by element, so n tests against an m-item array cost O(n·m): "
        "de-duplicating 10,000 items with `seen.includes` does 50 million comparisons. A `Set` answers "
        "each test in constant time.",
        example="const seen = [];\nfor (const item of items) {\n  if (!seen.includes(item.key)) {\n"
        "    seen.push(item.key);\n  }\n}\n\nconst removed = before.filter((id) => !after.includes(id));",
        use_instead="const seen = new Set();\nfor (const item of items) {\n  if (!seen.has(item.key)) {\n"
        "    seen.add(item.key);\n  }\n}\n\nconst kept = new Set(after);\n"
        "const removed = before.filter((id) => !kept.has(id));",
    ),
    query="""
(call_expression
  function: (member_expression object: (identifier) @array property: (property_identifier) @method)
  (#any-of? @method "includes" "indexOf")) @call
""",
    check=_check_array_membership,
    references=(
        cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Set#performance",
    ),
)


# --- JS-P005 shift / unshift inside a loop -------------------------------------------------------


_COLLECTION_LOOPS = frozenset({"for", "for-of", "for-in", "for-await", "callback"})


def _over_collection(loop: Loop, ctx: FileContext) -> bool:
    """A loop over the items of a collection: ``for...of``, a callback, or a counting ``for (...; i < n; ...)``."""
    if loop.kind != "for":
        return loop.kind in _COLLECTION_LOOPS
    condition = loop.node.child_by_field_name("condition")
    operator = condition.child_by_field_name("operator") if condition is not None else None
    return operator is not None and operator.type in ("<", "<=", ">", ">=")


def _grown_in(loop: Node, name: str, ctx: FileContext) -> bool:
    """Whether the loop adds to the array: a work queue (``queue.push(...node.children)``)."""
    return bool(re.search(rf"(?<![\w$.]){re.escape(name)}\s*\.\s*(push|unshift)\s*\(", ctx.text(loop)))


def _check_shift(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call, array, method_node = first(captures, "call"), first(captures, "array"), first(captures, "method")
    if call is None or array is None or method_node is None:
        return
    loops, _ = per_item_loops(call, ctx)
    values = _bound_array(array, ctx, sized=False) if loops else None
    if values is None or _rebuilt_per_item(values, loops) or all("argv" in ctx.text(v) for v in values):
        return  # not an array we know, made afresh per item, or a copy of the command-line arguments
    name, method = ctx.text(array), ctx.text(method_node)
    if method == "shift":
        # a queue fed inside the loop is as long as the data; draining a split path or a copy of
        # the arguments touches a handful of items
        if fixed_count(loops[0], ctx) or not _grown_in(loops[0].node, name, ctx):
            return
        message = (
            f"`{name}.shift()` on a queue that the loop keeps feeding moves every remaining element on each "
            "call (O(n) on large arrays); read with a moving index instead."
        )
    else:
        # one `unshift` per item of a collection; `while` loops and pointer-chasing `for` loops here
        # walk up parents or digits
        if not any(_over_collection(loop, ctx) and not fixed_count(loop, ctx) for loop in loops):
            return
        body = loops[0].node.child_by_field_name("body") if loops[0].kind != "callback" else loops[0].node
        if body is not None and EARLY_EXIT.search(ctx.text(body)):
            return  # the loop stops after inserting: a search, not one insertion per item
        message = f"`{name}.unshift(...)` for every item moves all earlier items each time; `push` and reverse once."
    yield Hit(call, message=message)


ARRAY_SHIFT = Rule(
    id="JS-P005",
    title="Array shift() or unshift() inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1176,
    languages=LANGS,
    message="`shift()` / `unshift()` inside a loop moves every element on each call: quadratic on large arrays.",
    docs=RuleDocs(
        what="Flags `queue.shift()` in a loop (body, `while` condition or array-iteration callback) that "
        "also feeds the same array with `push` / `unshift` -- a work queue, as long as the data it walks -- "
        "and `xs.unshift(...)` once per item of a collection (`for...of`, a callback, a counting `for`), when "
        "every binding of the name in scope is an array (a literal, `Array.from`, `Object.keys(...)`, "
        "`[...xs]`, or the result of `map`, `filter`, `slice`, `concat`, `split`...) made outside that loop. "
        "Not flagged: draining an array nobody adds to (a split path, a copy of the arguments: a handful of "
        "items), `unshift` in `while` loops and pointer-chasing `for` loops (walking up parents, emitting "
        "digits) or in loops that stop after inserting, names of unknown type (parameters, properties, "
        "queue classes whose `shift` is O(1)), arrays made afresh inside the loop, copies of `process.argv`, "
        "loops over an array literal or with a literal bound, and calls outside loops.",
        why="Arrays are stored contiguously: removing or inserting at the front moves every other element. "
        "Engines hide this for small arrays, but measured on Node 20, draining a 100,000-item queue with "
        "`shift` took 350 ms and 200,000 items 1.4 s (quadratic), against a few milliseconds with an index.",
        example="const queue = [root];\nwhile (queue.length > 0) {\n  const node = queue.shift();\n"
        "  queue.push(...node.children);\n}",
        use_instead="const queue = [root];\nfor (let head = 0; head < queue.length; head++) {\n"
        "  const node = queue[head];\n  queue.push(...node.children);\n}",
    ),
    query="""
(call_expression
  function: (member_expression object: (identifier) @array property: (property_identifier) @method)
  (#any-of? @method "shift" "unshift")) @call
""",
    check=_check_shift,
    references=(
        cwe(1176),
        "https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Array/shift",
    ),
)


RULES: tuple[Rule, ...] = (
    REGEX_IN_LOOP,
    ARRAY_MEMBERSHIP,
    ARRAY_SHIFT,
)
