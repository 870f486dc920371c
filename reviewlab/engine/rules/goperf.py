"""Go performance rules for work repeated once per loop iteration: a constant regexp compiled in a loop
or per request, a string grown by concatenation, and a slice prepended to.

Where a node runs comes from :mod:`gohelpers`; a regexp or a concatenation in a loop whose count is fixed
in the source is not reported. The I/O rules (round trips per item, unbounded request reads) live in
:mod:`goio`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import GO, Node, compiled_query, enclosing_function, is_constant
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.gohelpers import LANGS, fixed_loop, per_item_loops
from reviewlab.engine.secrets.paths import is_test_path

# --- GO-P001 regexp compiled in a loop or per request ---------------------------------------------

_HANDLER_PARAMS = re.compile(r"\*http\.Request\b|http\.ResponseWriter|\*gin\.Context|echo\.Context|\*fiber\.Ctx")


def _check_regex(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, fn, pattern = first(captures, "call"), first(captures, "fn"), first(captures, "pattern")
    if call is None or fn is None or pattern is None or is_test_path(ctx.path) or not is_constant(GO, pattern, ctx):
        return
    label = f"regexp.{ctx.text(fn)}"
    if any(not fixed_loop(loop, ctx) for loop in per_item_loops(call, ctx)):
        yield Hit(
            call,
            message=f"`{label}` compiles the same pattern on every iteration; compile it once into a "
            "package-level variable.",
        )
        return
    function = enclosing_function(GO, call, ctx)
    params = function.child_by_field_name("parameters") if function is not None else None
    if params is not None and _HANDLER_PARAMS.search(ctx.text(params)):
        yield Hit(
            call,
            message=f"`{label}` compiles the same pattern on every request; compile it once into a "
            "package-level variable.",
        )


REGEX_IN_LOOP = Rule(
    id="GO-P001",
    title="Constant regular expression compiled in a loop or per request",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="A constant regular expression is compiled on every iteration or request; compile it once.",
    docs=RuleDocs(
        what="Flags `regexp.MustCompile`, `regexp.Compile`, their POSIX variants and `regexp.MatchString` / "
        "`regexp.Match` with a constant pattern (literals, constants, locals bound to them) inside a loop, or "
        "in an HTTP handler (a function taking an `*http.Request`, an `http.ResponseWriter` or a gin, echo or "
        "fiber context). Not flagged: patterns built from data, loops with a count fixed in the source, and "
        "compilation in other functions (`init`, constructors, package-level `var`s), and test files.",
        why="Go's regexp package has no cache: every call parses and compiles the pattern again, which costs "
        "far more than matching a short string. In a loop or a handler that work is repeated per item or "
        "per request for a result that never changes.",
        example="func valid(w http.ResponseWriter, r *http.Request) {\n"
        '\tsku := regexp.MustCompile(`^[A-Z]{3}-\\d{4}$`)\n\tif !sku.MatchString(r.FormValue("sku")) {\n'
        '\t\thttp.Error(w, "bad sku", http.StatusBadRequest)\n\t}\n}',
        use_instead="var sku = regexp.MustCompile(`^[A-Z]{3}-\\d{4}$`)\n\n"
        'func valid(w http.ResponseWriter, r *http.Request) {\n\tif !sku.MatchString(r.FormValue("sku")) {\n'
        '\t\thttp.Error(w, "bad sku", http.StatusBadRequest)\n\t}\n}',
    ),
    query="""
(call_expression
  function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
  arguments: (argument_list . (_) @pattern)
  (#eq? @pkg "regexp")
  (#any-of? @fn "MustCompile" "Compile" "MustCompilePOSIX" "CompilePOSIX" "MatchString" "Match")) @call
""",
    check=_check_regex,
    references=(cwe(1176), "https://pkg.go.dev/regexp#MustCompile"),
)


# --- GO-P002 string concatenation in a loop -------------------------------------------------------

_STRINGS = frozenset({"interpreted_string_literal", "raw_string_literal"})
_STRING_FUNCTIONS = re.compile(
    r"^(?:fmt\.Sprint[fln]?|string|strconv\.(?:Itoa|FormatInt|FormatUint|FormatFloat|FormatBool|Quote)|"
    r"strings\.(?:Repeat|Join|ToUpper|ToLower|TrimSpace|Trim|TrimPrefix|TrimSuffix|Replace|ReplaceAll|Title))$"
)
_DECLARATIONS = """
(short_var_declaration left: (expression_list (identifier) @name)) @short
(var_spec name: (identifier) @name) @var
(parameter_declaration name: (identifier) @name) @param
(range_clause left: (expression_list (identifier) @name)) @range
"""


def _string_expression(node: Node | None, ctx: FileContext) -> bool:
    """A string literal, a `+` with one, or a call known to return a string."""
    if node is None:
        return False
    if node.type in _STRINGS:
        return True
    if node.type == "binary_expression":
        return any(_string_expression(node.child_by_field_name(side), ctx) for side in ("left", "right"))
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        return function is not None and bool(_STRING_FUNCTIONS.match(ctx.text(function)))
    return False


def _declaration(name: Node, ctx: FileContext) -> tuple[Node, bool] | None:
    """Where the local ``name`` refers to is declared (the name node), and whether it is declared a string."""
    function = enclosing_function(GO, name, ctx)
    if function is None:
        return None
    query = compiled_query("go", _DECLARATIONS)
    best: tuple[Node, bool] | None = None
    for _, captures in tree_sitter.QueryCursor(query).matches(function):
        declared = first(captures, "name")
        if declared is None or ctx.text(declared) != ctx.text(name) or declared.start_byte > name.start_byte:
            continue
        holder = next(first(captures, k) for k in ("short", "var", "param", "range") if k in captures)
        if holder is None or not _visible(holder, name):
            continue
        kind = holder.child_by_field_name("type") if holder.type in ("var_spec", "parameter_declaration") else None
        string = kind is not None and ctx.text(kind) == "string"
        if holder.type == "short_var_declaration":
            left, right = holder.child_by_field_name("left"), holder.child_by_field_name("right")
            if left is not None and right is not None and len(left.named_children) == len(right.named_children):
                string = _string_expression(right.named_children[left.named_children.index(declared)], ctx)
        elif holder.type == "var_spec" and kind is None:
            value = holder.child_by_field_name("value")
            string = (
                value is not None
                and len(value.named_children) == 1
                and _string_expression(value.named_children[0], ctx)
            )
        if best is None or declared.start_byte > best[0].start_byte:
            best = (declared, string)
    return best


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


_SCOPE_WRAPPERS = frozenset(
    {"statement_list", "var_declaration", "var_spec_list", "expression_list", "for_clause", "range_clause"}
    | {"parameter_list"}
)


def _visible(holder: Node, use: Node) -> bool:
    """Whether a declaration in ``holder`` is in scope at ``use``: the block, statement or function around it."""
    scope = holder.parent
    while scope is not None and scope.type in _SCOPE_WRAPPERS:
        scope = scope.parent
    return scope is not None and _contains(scope, use)


def _check_string_concat(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, name, value = first(captures, "statement"), first(captures, "name"), first(captures, "value")
    if statement is None or name is None or value is None or is_test_path(ctx.path):
        return
    operator = statement.child_by_field_name("operator")
    if operator is None:
        return
    if ctx.text(operator) == "=":
        if value.type != "binary_expression":
            return
        left = value.child_by_field_name("left")
        if left is None or left.type != "identifier" or ctx.text(left) != ctx.text(name):
            return
        addend = value.child_by_field_name("right")
    elif ctx.text(operator) == "+=":
        addend = value
    else:
        return
    loops = [loop for loop in per_item_loops(statement, ctx) if not fixed_loop(loop, ctx)]
    if not loops:
        return
    declared = _declaration(name, ctx)
    string = _string_expression(addend, ctx) or (declared is not None and declared[1])
    if not string:
        return
    outside = [loop for loop in loops if declared is None or not _contains(loop, declared[0])]
    if outside:
        yield Hit(
            statement,
            message=f"`{ctx.text(name)}` grows by concatenation in a loop, copying it every time; "
            "use a `strings.Builder`.",
        )


STRING_CONCAT = Rule(
    id="GO-P002",
    title="String built by concatenation in a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1046,
    languages=LANGS,
    message="String built with `+=` in a loop copies it on every iteration; use a `strings.Builder`.",
    docs=RuleDocs(
        what="Flags `s += x` and `s = s + x` in the body of a `for` loop when `s` is a string — declared "
        "`string`, initialised with a string, or added a string literal, `fmt.Sprintf(...)`, `string(...)`, "
        "`strconv.Itoa(...)` or a `strings` function — and declared outside that loop. Not flagged: numbers "
        "(`total += n`), strings declared inside the loop (rebuilt each iteration), struct fields, loops with a "
        "count fixed in the source, concatenation outside loops, and test files.",
        why="Go strings are immutable: each `+=` allocates a new string and copies everything accumulated so "
        "far, so n appends cost O(n²) time and garbage. A `strings.Builder` grows its buffer geometrically.",
        example='out := ""\nfor _, row := range rows {\n\tout += fmt.Sprintf("%s,%d\\n", row.Name, row.Count)\n}',
        use_instead="var out strings.Builder\nfor _, row := range rows {\n"
        '\tfmt.Fprintf(&out, "%s,%d\\n", row.Name, row.Count)\n}',
    ),
    query="""
(assignment_statement
  left: (expression_list . (identifier) @name .)
  right: (expression_list . (_) @value .)) @statement
""",
    check=_check_string_concat,
    references=(cwe(1046), "https://pkg.go.dev/strings#Builder"),
)


# --- GO-P004 prepend in a loop --------------------------------------------------------------------


def _check_prepend(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    statement, target, call, spread = (
        first(captures, "statement"),
        first(captures, "target"),
        first(captures, "call"),
        first(captures, "spread"),
    )
    if statement is None or target is None or call is None or spread is None:
        return
    if ctx.text(target) != ctx.text(spread) or is_test_path(ctx.path) or not per_item_loops(statement, ctx):
        return
    yield Hit(
        call,
        message=f"Prepending copies all of `{ctx.text(target)}` on every iteration (O(n²)); append and "
        "reverse once at the end, or fill the slice from the back.",
    )


PREPEND_IN_LOOP = Rule(
    id="GO-P004",
    title="Slice prepended to inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=407,
    languages=LANGS,
    message="Prepending to a slice in a loop copies it every time (O(n²)).",
    docs=RuleDocs(
        what="Flags `s = append([]T{x}, s...)` and `s = slices.Insert(s, 0, x)` inside a `for` loop, where the "
        "slice prepended to is the one assigned. Not flagged: appending at the end, inserting into another "
        "slice, prepends outside loops, and test files.",
        why="Each prepend allocates a new backing array and copies every element already there, so building "
        "an n-element slice this way costs O(n²) time and garbage; appending is amortised O(1).",
        example="var path []string\nfor n := node; n != nil; n = n.parent {\n"
        "\tpath = append([]string{n.name}, path...)\n}",
        use_instead="var path []string\nfor n := node; n != nil; n = n.parent {\n\tpath = append(path, n.name)\n}\n"
        "slices.Reverse(path)",
    ),
    query="""
(assignment_statement
  left: (expression_list . (identifier) @target .)
  right: (expression_list
    . (call_expression
        function: (identifier) @fn
        arguments: (argument_list . (composite_literal type: (slice_type)) . (variadic_argument (identifier) @spread) .)
      ) @call .)
  (#eq? @fn "append")) @statement
(assignment_statement
  left: (expression_list . (identifier) @target .)
  right: (expression_list
    . (call_expression
        function: (selector_expression operand: (identifier) @pkg field: (field_identifier) @fn)
        arguments: (argument_list . (identifier) @spread . (int_literal) @index)
      ) @call .)
  (#eq? @pkg "slices")
  (#eq? @fn "Insert")
  (#eq? @index "0")) @statement
""",
    check=_check_prepend,
    references=(cwe(407), "https://go.dev/wiki/SliceTricks"),
)


RULES: tuple[Rule, ...] = (
    REGEX_IN_LOOP,
    STRING_CONCAT,
    PREPEND_IN_LOOP,
)
