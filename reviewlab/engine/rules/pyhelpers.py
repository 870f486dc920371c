"""Shared analysis helpers for the Python rule pack.

Everything here works on one file's tree-sitter tree and is only called from rule checks, after
the combined query has already narrowed the candidates; nothing walks the whole file per rule.

* **Names**: :func:`qualified_name` resolves ``sp.run`` / ``run`` / ``subprocess.run`` to
  ``subprocess.run`` through the file's imports (collected once per file by one small query).
* **Values**: :func:`is_trusted` decides whether an expression is built only from constants
  (literals, ``ALL_CAPS`` names, local names only ever bound to constants, and a few sanitisers);
  :func:`is_formatted` decides whether a string is built by formatting untrusted values into it.
  Both follow a local name to its assignments in the same scope (function, else module), without
  flow analysis: a name counts as constant only if *every* binding of it is constant.
* **Secret-looking names**: :func:`name_words` and :func:`secret_noun` split ``resetToken`` /
  ``DB_PASSWORD`` into words and judge the head noun, so ``token_count`` is not a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

import tree_sitter

from reviewlab.engine.languages import ts_language
from reviewlab.engine.rules.base import FileContext

Node = tree_sitter.Node

# ---------------------------------------------------------------------------------------------
# Tree navigation
# ---------------------------------------------------------------------------------------------

SCOPE_TYPES = frozenset({"function_definition", "lambda", "class_definition", "module"})
LITERAL_TYPES = frozenset({"integer", "float", "true", "false", "none", "ellipsis"})


def unwrap(node: Node) -> Node:
    """The expression inside any number of parentheses."""
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        if inner.type == "comment":
            break
        node = inner
    return node


def arguments(call: Node) -> list[Node]:
    """The call's argument nodes (positional, keyword and splats), comments skipped."""
    args = call.child_by_field_name("arguments")
    if args is None:
        return []
    if args.type == "generator_expression":  # f(x for x in y)
        return [args]
    return [a for a in args.named_children if a.type != "comment"]


def positional_arg(call: Node, index: int) -> Node | None:
    """The ``index``-th positional argument, or None (also None once a ``*splat`` makes it unknown)."""
    position = 0
    for arg in arguments(call):
        if arg.type in ("keyword_argument", "dictionary_splat"):
            continue
        if arg.type == "list_splat":
            return None
        if position == index:
            return arg
        position += 1
    return None


def keyword_arg(call: Node, *names: str) -> Node | None:
    """The value of the first keyword argument named one of ``names``, or None."""
    for arg in arguments(call):
        if arg.type == "keyword_argument":
            name = arg.child_by_field_name("name")
            if name is not None and name.text is not None and name.text.decode() in names:
                return arg.child_by_field_name("value")
    return None


def argument(call: Node, index: int, *names: str) -> Node | None:
    """An argument given by position or by keyword."""
    positional = positional_arg(call, index)
    return positional if positional is not None else keyword_arg(call, *names)


def has_splat(call: Node) -> bool:
    """Whether a ``*args`` or ``**kwargs`` splat may pass arguments the rule cannot see."""
    return any(a.type in ("list_splat", "dictionary_splat") for a in arguments(call))


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def is_module_level(statement: Node) -> bool:
    """Whether a statement (or the expression statement around an expression) sits directly in the module."""
    node = statement
    if node.type != "expression_statement" and node.parent is not None and node.parent.type == "expression_statement":
        node = node.parent
    return node.parent is not None and node.parent.type == "module"


def enclosing_scope(node: Node) -> Node:
    """The innermost function, lambda, class or module containing ``node``."""
    current = node.parent
    while current is not None:
        if current.type in SCOPE_TYPES:
            return current
        current = current.parent
    return node


def enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            return current
        if current.type in ("lambda", "class_definition", "module"):
            return None
        current = current.parent
    return None


# ---------------------------------------------------------------------------------------------
# Imports and qualified names
# ---------------------------------------------------------------------------------------------

_IMPORT_QUERY = "(import_statement) @import (import_from_statement) @import"


@cache
def _import_query() -> tree_sitter.Query:
    return tree_sitter.Query(ts_language("python"), _IMPORT_QUERY)


def _dotted(node: Node | None) -> str:
    return "".join(node_text(node).split())


def _record_import(statement: Node, aliases: dict[str, str]) -> None:
    if statement.type == "import_statement":
        for name in statement.children_by_field_name("name"):
            if name.type == "aliased_import":
                aliases[node_text(name.child_by_field_name("alias"))] = _dotted(name.child_by_field_name("name"))
            else:
                head = _dotted(name).split(".", 1)[0]
                aliases[head] = head
        return
    module = statement.child_by_field_name("module_name")
    if module is None or module.type not in ("dotted_name", "relative_import"):
        return
    prefix = _dotted(module)  # ``.helpers`` or ``.`` for a relative import: a project module
    for name in statement.children_by_field_name("name"):
        if name.type == "aliased_import":
            local = node_text(name.child_by_field_name("alias"))
            imported = _dotted(name.child_by_field_name("name"))
        else:
            local = imported = _dotted(name)
        aliases[local] = f"{prefix}{imported}" if prefix.endswith(".") else f"{prefix}.{imported}"


def imports(ctx: FileContext) -> dict[str, str]:
    """The file's imports, local name -> dotted origin, collected once per file on first use."""
    cached: dict[str, str] | None = ctx.state.get("pyhelpers.imports")
    if cached is None:
        cached = {}
        for statement in tree_sitter.QueryCursor(_import_query()).captures(ctx.tree.root_node).get("import", ()):
            _record_import(statement, cached)
        ctx.state["pyhelpers.imports"] = cached
    return cached


def imports_module(ctx: FileContext, modules: Iterable[str]) -> bool:
    """Whether the file imports anything from one of the top-level packages ``modules`` (``flask``...)."""
    wanted = set(modules)
    return any(origin.split(".", 1)[0] in wanted for origin in imports(ctx).values())


def _is_variable(identifier: Node, ctx: FileContext, imported: bool) -> bool:
    """Whether a name is a variable where it is used: bound in its function, or (when the file does
    not import it) at module level. ``self`` and ``cls`` always are."""
    name = node_text(identifier)
    if name in ("self", "cls"):
        return True
    scope = enclosing_scope(identifier)
    if scope.type in ("function_definition", "lambda") and name in scope_table(scope, ctx).variables:
        return True  # ``yaml = YAML()`` or a parameter named ``yaml`` shadows the module here
    if imported:
        return False
    return name in scope_table(_module(scope), ctx).variables


def qualified_name(node: Node, ctx: FileContext) -> str | None:
    """The dotted name an identifier or attribute chain refers to, resolved through the file's imports.

    ``sp.run`` is ``subprocess.run`` after ``import subprocess as sp``; ``load`` is ``pickle.load``
    after ``from pickle import load``. A chain whose root is a variable (``yaml = YAML()``, a
    parameter, ``self``) resolves to None: it is an object, not the module. A root the file neither
    imports nor binds is taken at its word (a module imported elsewhere, or a snippet).
    """
    node = unwrap(node)
    if node.type == "identifier":
        name = node_text(node)
        aliases = imports(ctx)
        if name in aliases and not _is_variable(node, ctx, imported=True):
            return aliases[name]
        return name
    if node.type != "attribute":
        return None
    obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
    if obj is None or attr is None:
        return None
    obj = unwrap(obj)
    if obj.type == "identifier":
        root = node_text(obj)
        aliases = imports(ctx)
        if _is_variable(obj, ctx, imported=root in aliases):
            return None
        base: str | None = aliases.get(root, root)
    else:
        base = qualified_name(obj, ctx)
    return None if base is None else f"{base}.{node_text(attr)}"


def call_name(call: Node, ctx: FileContext) -> str | None:
    """The qualified name of the function a call invokes, or None."""
    function = call.child_by_field_name("function")
    return None if function is None else qualified_name(function, ctx)


def function_tail(call: Node) -> str:
    """The last component of the called name: ``run`` for ``subprocess.run(...)``."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "attribute":
        function = function.child_by_field_name("attribute")
    return node_text(function)


# ---------------------------------------------------------------------------------------------
# Bindings of local names
# ---------------------------------------------------------------------------------------------


def _walk_scope(scope: Node) -> Iterator[Node]:
    """Every node of a scope, not descending into nested functions, lambdas or classes."""
    body = scope.child_by_field_name("body") if scope.type != "module" else scope
    if body is None:
        return
    stack = [body]
    while stack:
        node = stack.pop()
        yield node
        for child in reversed(node.named_children):
            if child.type in ("function_definition", "lambda", "class_definition"):
                yield child  # the definition binds its name here; its body is another scope
                continue
            stack.append(child)


_TARGET_CONTAINERS = frozenset(
    {"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "as_pattern_target"}
    | {"list_splat_pattern", "list_splat"}
)


def _targets(node: Node) -> Iterator[Node]:
    """Identifiers bound by an assignment target (tuples and lists unpacked)."""
    node = unwrap(node)
    if node.type == "identifier":
        yield node
    elif node.type in _TARGET_CONTAINERS:
        for child in node.named_children:
            yield from _targets(child)


def _parameter_names(scope: Node) -> Iterator[str]:
    params = scope.child_by_field_name("parameters")
    if params is None:
        return
    for param in params.named_children:
        if param.type == "identifier":
            yield node_text(param)
        elif param.type in ("default_parameter", "typed_default_parameter"):
            yield node_text(param.child_by_field_name("name"))
        else:
            for child in param.named_children:
                if child.type == "identifier":
                    yield node_text(child)


def _assigned_value(assignment: Node) -> Node | None:
    value = assignment.child_by_field_name("right")
    while value is not None and value.type == "assignment":  # a = b = "x"
        value = value.child_by_field_name("right")
    return value


@dataclass(slots=True)
class ScopeTable:
    """What a scope binds: per name, the bound values (an expression, an ``augmented_assignment``
    node for ``+=`` and friends, or None when the value is unknown: parameter, loop variable,
    unpacking, ``with ... as``, import, ``global``...), and which names are bound other than by import."""

    values: dict[str, list[Node | None]] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)

    def bind(self, name: str, value: Node | None, variable: bool = True) -> None:
        self.values.setdefault(name, []).append(value)
        if variable:
            self.variables.add(name)


def _fill_table(scope: Node, table: ScopeTable) -> None:
    for name in _parameter_names(scope):
        table.bind(name, None)
    for node in _walk_scope(scope):
        kind = node.type
        if kind == "assignment":
            left = node.child_by_field_name("left")
            if left is None or node.child_by_field_name("right") is None:
                continue  # a bare annotation binds nothing
            left = unwrap(left)
            if left.type == "identifier":
                table.bind(node_text(left), _assigned_value(node))
            else:
                for target in _targets(left):
                    table.bind(node_text(target), None)
        elif kind == "augmented_assignment":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                table.bind(node_text(left), node)
        elif kind == "named_expression":
            table.bind(node_text(node.child_by_field_name("name")), node.child_by_field_name("value"))
        elif kind == "as_pattern_target" and _with_value(node) is not None:
            table.bind(node_text(node.named_children[0]), _with_value(node))  # ``with Client() as client``
        elif kind in ("for_statement", "for_in_clause", "as_pattern_target"):
            left = node if kind == "as_pattern_target" else node.child_by_field_name("left")
            for target in _targets(left) if left is not None else ():
                table.bind(node_text(target), None)
        elif kind in ("function_definition", "class_definition"):
            table.bind(node_text(node.child_by_field_name("name")), None)
        elif kind in ("import_statement", "import_from_statement"):
            local: dict[str, str] = {}
            _record_import(node, local)
            for name in local:
                table.bind(name, None, variable=False)
        elif kind in ("global_statement", "nonlocal_statement"):
            for child in node.named_children:
                table.bind(node_text(child), None)


def _with_value(target: Node) -> Node | None:
    """The context manager a ``with ... as name`` binds a plain name from (its ``__enter__`` is taken as itself)."""
    pattern = target.parent
    if (
        pattern is None
        or pattern.type != "as_pattern"
        or pattern.parent is None
        or pattern.parent.type != "with_item"
        or len(target.named_children) != 1
        or target.named_children[0].type != "identifier"
    ):
        return None
    value = pattern.named_children[0] if pattern.named_children else None
    return value if value is not None and value.type == "call" else None


def scope_table(scope: Node, ctx: FileContext) -> ScopeTable:
    """The bindings of a function, lambda, class or module, collected once per scope and file."""
    cache: dict[tuple[int, int], ScopeTable] = ctx.state.setdefault("pyhelpers.scopes", {})
    key = (scope.start_byte, scope.end_byte)
    table = cache.get(key)
    if table is None:
        table = cache[key] = ScopeTable()
        _fill_table(scope, table)
    return table


def _module(node: Node) -> Node:
    while node.parent is not None:
        node = node.parent
    return node


def bindings(identifier: Node, ctx: FileContext) -> list[Node | None]:
    """What a name may hold where it is used: its bindings in the enclosing scope, else in the module.

    An empty list means the name is bound nowhere in the file (a builtin, or a star import)."""
    name = node_text(identifier)
    scope = enclosing_scope(identifier)
    found = scope_table(scope, ctx).values.get(name, [])
    if found or scope.type == "module":
        return found
    return scope_table(_module(scope), ctx).values.get(name, [])


# ---------------------------------------------------------------------------------------------
# Constant and formatted values
# ---------------------------------------------------------------------------------------------

_CONSTANT_NAME = re.compile(r"_*[A-Z][A-Z0-9_]*")
_SAFE_CALLS = frozenset(
    {"int", "float", "len", "bool", "abs", "round", "ord", "hex", "oct", "bin", "uuid.uuid4", "os.getpid"}
)
_STR_METHODS = frozenset({"join", "format", "upper", "lower", "strip", "replace"})
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([a-zA-Z%])")
_MAX_DEPTH = 3


def is_constant_name(name: str) -> bool:
    """``ALL_CAPS`` names are constants by convention."""
    return bool(_CONSTANT_NAME.fullmatch(name)) and any(c.isalpha() for c in name)


def interpolations(string: Node) -> Iterator[Node]:
    """The expressions interpolated into an f-string."""
    for child in string.named_children:
        if child.type == "interpolation":
            expression = child.child_by_field_name("expression")
            if expression is not None:
                yield expression


def string_value(node: Node) -> str | None:
    """The text of a constant string literal (implicit concatenation joined), or None."""
    node = unwrap(node)
    if node.type == "concatenated_string":
        parts = [string_value(part) for part in node.named_children if part.type != "comment"]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if node.type != "string":
        return None
    pieces: list[str] = []
    for child in node.named_children:
        if child.type == "interpolation":
            return None
        if child.type in ("string_content", "escape_sequence"):
            pieces.append(node_text(child))
    return "".join(pieces)


def literal_text(node: Node | None) -> str:
    """The literal (non-interpolated) text of the string literals in an expression."""
    if node is None:
        return ""
    node = unwrap(node)
    if node.type == "string":
        return "".join(node_text(c) for c in node.named_children if c.type == "string_content")
    if node.type in ("concatenated_string", "binary_operator"):
        return " ".join(literal_text(c) for c in node.named_children)
    if node.type == "call":  # "...".format(...)
        function = node.child_by_field_name("function")
        if function is not None and function.type == "attribute":
            return literal_text(function.child_by_field_name("object"))
    return ""


def numeric_format(template: Node) -> bool:
    """Whether a ``%`` template is a literal whose every conversion is numeric (``%d``, ``%.2f``...),
    so whatever is formatted in can only come out as a number."""
    text = string_value(template)
    if text is None:
        return False
    return all(c in "diouxXeEfFgG%" for c in _CONVERSION.findall(text))


def _sanitized(call: Node, sanitizer: re.Pattern[str] | None) -> bool:
    return sanitizer is not None and bool(sanitizer.search(function_tail(call)))


def is_trusted(node: Node | None, ctx: FileContext, sanitizer: re.Pattern[str] | None = None, depth: int = 0) -> bool:
    """Whether an expression is built only from constants (and calls whose name matches ``sanitizer``).

    Literals, ``ALL_CAPS`` names and attributes, f-strings and operators over trusted parts,
    ``"%d" % anything``, containers of trusted parts, numeric conversions, ``sep.join(...)`` /
    ``"...".format(...)`` over trusted parts, and local names whose every binding is trusted.
    """
    if node is None or depth > _MAX_DEPTH:
        return False
    node = unwrap(node)
    kind = node.type
    if kind in LITERAL_TYPES:
        return True
    if kind == "string":
        return all(is_trusted(e, ctx, sanitizer, depth) for e in interpolations(node))
    if kind in ("concatenated_string", "tuple", "list", "set", "expression_list"):
        return all(is_trusted(c, ctx, sanitizer, depth) for c in node.named_children if c.type != "comment")
    if kind == "binary_operator":
        left, right, operator = (node.child_by_field_name(f) for f in ("left", "right", "operator"))
        if operator is not None and operator.type == "%" and left is not None and numeric_format(left):
            return True
        if (
            operator is not None
            and operator.type == "*"
            and any(side is not None and string_value(side) is not None for side in (left, right))
        ):
            return True  # "?" * n repeats a constant
        return is_trusted(left, ctx, sanitizer, depth) and is_trusted(right, ctx, sanitizer, depth)
    if kind == "unary_operator":
        return is_trusted(node.child_by_field_name("argument"), ctx, sanitizer, depth)
    if kind == "conditional_expression":
        branches = [c for c in node.named_children if c.type != "comment"]
        return len(branches) == 3 and all(is_trusted(b, ctx, sanitizer, depth) for b in (branches[0], branches[2]))
    if kind in ("generator_expression", "list_comprehension", "set_comprehension"):
        return is_trusted(node.child_by_field_name("body"), ctx, sanitizer, depth)
    if kind == "identifier":
        if is_constant_name(node_text(node)):
            return True
        values = bindings(node, ctx)
        return bool(values) and all(_binding_trusted(v, ctx, sanitizer, depth + 1) for v in values)
    if kind == "attribute":
        return is_constant_name(node_text(node.child_by_field_name("attribute")))
    if kind == "call":
        return _call_trusted(node, ctx, sanitizer, depth)
    return False


def _binding_trusted(value: Node | None, ctx: FileContext, sanitizer: re.Pattern[str] | None, depth: int) -> bool:
    if value is not None and value.type == "augmented_assignment":
        value = value.child_by_field_name("right")
    return is_trusted(value, ctx, sanitizer, depth)


def _call_trusted(call: Node, ctx: FileContext, sanitizer: re.Pattern[str] | None, depth: int) -> bool:
    if _sanitized(call, sanitizer) or call_name(call, ctx) in _SAFE_CALLS:
        return True
    args = [a.child_by_field_name("value") if a.type == "keyword_argument" else a for a in arguments(call)]
    function = call.child_by_field_name("function")
    if function is None:
        return False
    if function.type == "identifier" and node_text(function) == "str":
        return all(is_trusted(a, ctx, sanitizer, depth) for a in args)
    if function.type != "attribute" or node_text(function.child_by_field_name("attribute")) not in _STR_METHODS:
        return False
    receiver = function.child_by_field_name("object")
    return is_trusted(receiver, ctx, sanitizer, depth) and all(is_trusted(a, ctx, sanitizer, depth) for a in args)


def _plus_operands(node: Node) -> Iterator[Node]:
    node = unwrap(node)
    operator = node.child_by_field_name("operator") if node.type == "binary_operator" else None
    if operator is not None and operator.type == "+":
        for side in ("left", "right"):
            child = node.child_by_field_name(side)
            if child is not None:
                yield from _plus_operands(child)
    else:
        yield node


def _reads_as(text: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether known literal text fits ``pattern`` (unknown text, and no pattern, always fit)."""
    return pattern is None or not text.strip() or bool(pattern.search(text))


def is_formatted(
    node: Node | None,
    ctx: FileContext,
    sanitizer: re.Pattern[str] | None = None,
    literal_pattern: re.Pattern[str] | None = None,
    depth: int = 0,
) -> bool:
    """Whether a string is built by formatting a non-constant value into it.

    f-strings with an untrusted interpolation, ``template % untrusted`` (unless every conversion is
    numeric), ``template.format(untrusted)``, and ``"literal" + untrusted``. When the literal text is
    known it must match ``literal_pattern`` (for ``+`` a literal operand is required, since ``a + b``
    alone need not be string building). A local name counts when one of its bindings in scope is so
    built, or when it is extended with ``+=`` by an untrusted value.
    """
    if node is None or depth > _MAX_DEPTH:
        return False
    node = unwrap(node)
    kind = node.type
    if kind == "string":
        return _reads_as(literal_text(node), literal_pattern) and any(
            not is_trusted(e, ctx, sanitizer) for e in interpolations(node)
        )
    if kind == "concatenated_string":
        return _reads_as(literal_text(node), literal_pattern) and any(
            not is_trusted(e, ctx, sanitizer) for part in node.named_children for e in interpolations(part)
        )
    if kind == "binary_operator":
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is None or left is None or right is None:
            return False
        if operator.type == "%":
            template = unwrap(left)
            return (
                template.type in ("string", "concatenated_string", "identifier", "attribute")
                and _reads_as(literal_text(template), literal_pattern)
                and not numeric_format(template)
                and not is_trusted(right, ctx, sanitizer)
            )
        if operator.type == "+":
            operands = list(_plus_operands(node))
            if any(is_formatted(o, ctx, sanitizer, literal_pattern, depth) for o in operands):
                return True
            literals = [o for o in operands if unwrap(o).type in ("string", "concatenated_string")]
            text = " ".join(literal_text(o) for o in literals)
            if not literals or not _reads_as(text, literal_pattern):
                return False
            return any(not is_trusted(o, ctx, sanitizer) for o in operands)
        return False
    if kind == "call":
        function = node.child_by_field_name("function")
        if function is None or function.type != "attribute":
            return False
        if node_text(function.child_by_field_name("attribute")) != "format":
            return False
        receiver = unwrap(function.child_by_field_name("object") or function)
        if receiver.type not in ("string", "concatenated_string", "identifier", "attribute"):
            return False
        if not _reads_as(literal_text(receiver), literal_pattern):
            return False
        values = [a.child_by_field_name("value") if a.type == "keyword_argument" else a for a in arguments(node)]
        return any(not is_trusted(v, ctx, sanitizer) for v in values)
    if kind == "identifier" and not is_constant_name(node_text(node)):
        for value in bindings(node, ctx):
            if value is None:
                continue
            if value.type == "augmented_assignment":
                right = value.child_by_field_name("right")
                if is_formatted(right, ctx, sanitizer, literal_pattern, depth + 1):
                    return True
                if not is_trusted(right, ctx, sanitizer) and _reads_as(literal_text(right), literal_pattern):
                    return True
            elif is_formatted(value, ctx, sanitizer, literal_pattern, depth + 1):
                return True
    return False


def bound_text(node: Node | None, ctx: FileContext) -> str:
    """The literal text of an expression, or for a local name, of its first string binding."""
    if node is None:
        return ""
    node = unwrap(node)
    if node.type == "identifier":
        for value in bindings(node, ctx):
            if value is not None and value.type != "augmented_assignment":
                text = literal_text(value)
                if text.strip():
                    return text
        return ""
    return literal_text(node)


# ---------------------------------------------------------------------------------------------
# Secret-looking names and values
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

# Head nouns that name a secret on their own.
SECRET_NOUNS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pw",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "secretkey",
        "privatekey",
        "accesskey",
        "authtoken",
        "accesstoken",
    }
)
# ``key``, ``pass``, ``code`` and ``id`` name a secret only after one of these qualifiers.
QUALIFIED_NOUNS: dict[str, frozenset[str]] = {
    "key": frozenset(
        {"api", "secret", "private", "access", "signing", "encryption", "auth", "master", "session", "client"}
        | {"crypto", "hmac", "aes", "jwt", "license", "app", "account", "service", "consumer", "webhook"}
    ),
    "pass": frozenset(
        {"db", "user", "admin", "root", "smtp", "mail", "email", "ftp", "ssh", "login", "proxy", "redis"}
        | {"mysql", "postgres", "pg", "ldap", "sudo", "account", "auth", "my", "default"}
    ),
    "code": frozenset(
        {"verification", "verify", "otp", "reset", "auth", "confirmation", "confirm", "activation", "invite"}
        | {"invitation", "sms", "login", "security", "recovery", "mfa", "totp", "one", "access", "pairing"}
    ),
    "id": frozenset({"session", "sid"}),
}
# After these, a credential word describes something else: ``INVALID_PASSWORD`` is an error code.
NON_SECRET_QUALIFIERS = frozenset(
    {"invalid", "wrong", "bad", "incorrect", "missing", "empty", "expired", "forgot", "forgotten", "change"}
    | {"min", "max", "no", "null", "none", "require", "required", "weak", "short", "long", "mismatch"}
)
# ``token`` after these is vocabulary (NLP special tokens, pagination cursors), not a credential.
NON_SECRET_TOKEN_QUALIFIERS = frozenset(
    {"pad", "eos", "bos", "unk", "sep", "cls", "mask", "start", "end", "stop", "special", "sos", "eot", "bot"}
    | {"next", "page", "pagination", "continuation", "cancel", "cancellation", "sync", "resume", "split"}
    | {"first", "last", "prev", "previous", "image", "audio", "video", "text", "word", "sub", "default"}
    | {"unknown", "padding", "separator", "eom", "im", "type", "lexer", "parser", "grammar"}
)
# Extra head nouns that are secret when *generated* (weak-random rule), not when hard-coded.
GENERATED_SECRET_NOUNS = frozenset({"nonce", "salt", "otp", "pin", "iv", "csrf", "xsrf", "totp"})


def name_words(name: str) -> list[str]:
    """``resetToken`` -> ``["reset", "token"]``; ``DB_PASSWORD`` -> ``["db", "password"]``."""
    return [w.lower() for w in _WORD.findall(name)]


def secret_noun(name: str, extra: frozenset[str] = frozenset()) -> str | None:
    """The secret the name's head noun stands for, or None (``token_count`` is a count)."""
    words = name_words(name)
    if not words:
        return None
    head, qualifiers = words[-1], words[:-1]
    if qualifiers and qualifiers[-1] in NON_SECRET_QUALIFIERS:
        return None
    if head == "token" and qualifiers and qualifiers[-1] in NON_SECRET_TOKEN_QUALIFIERS:
        return None
    if head in SECRET_NOUNS or head in extra:
        return head
    allowed = QUALIFIED_NOUNS.get(head)
    if allowed is not None and qualifiers and qualifiers[-1] in allowed:
        return f"{qualifiers[-1]}_{head}"
    return None


def target_name(node: Node) -> str | None:
    """The name a value is stored under: ``x``, ``obj.x``, ``d["x"]``, keyword ``x=``, dict key ``"x"``."""
    node = unwrap(node)
    if node.type == "identifier":
        return node_text(node)
    if node.type == "attribute":
        return node_text(node.child_by_field_name("attribute"))
    if node.type == "subscript":
        subscript = node.child_by_field_name("subscript")
        return None if subscript is None else string_value(subscript)
    if node.type == "string":
        return string_value(node)
    return None


_TEST_PATH = re.compile(r"(^|/)(tests?|testing|fixtures?)/|(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")


def is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


def literal_prefix(node: Node) -> str | None:
    """The literal text a string expression starts with, or None when it starts with a value."""
    node = unwrap(node)
    if node.type == "binary_operator":
        left = node.child_by_field_name("left")
        return literal_prefix(left) if left is not None else None
    if node.type == "call" and function_tail(node) == "format":
        function = node.child_by_field_name("function")
        receiver = function.child_by_field_name("object") if function is not None else None
        return literal_prefix(receiver) if receiver is not None else None
    if node.type == "concatenated_string":
        parts = [c for c in node.named_children if c.type != "comment"]
        return literal_prefix(parts[0]) if parts else None
    if node.type != "string":
        return None
    prefix: list[str] = []
    for child in node.named_children:
        if child.type == "interpolation":
            break
        if child.type in ("string_content", "escape_sequence"):
            prefix.append(node_text(child))
    return "".join(prefix)


def built_by(receiver: Node, ctx: FileContext, constructors: frozenset[str]) -> bool:
    """Whether ``receiver`` is a call to one of ``constructors``, or a name bound to one in scope."""
    receiver = unwrap(receiver)
    if receiver.type == "call":
        return call_name(receiver, ctx) in constructors
    if receiver.type == "identifier":
        return any(
            value is not None and value.type == "call" and call_name(value, ctx) in constructors
            for value in bindings(receiver, ctx)
        )
    return False


# ---------------------------------------------------------------------------------------------
# Query building and references
# ---------------------------------------------------------------------------------------------


# The language tuple of Python rules, and the OWASP Top 10 pages their references cite.
PY = ("python",)
OWASP_INJECTION = "https://owasp.org/Top10/A03_2021-Injection/"
OWASP_CRYPTO = "https://owasp.org/Top10/A02_2021-Cryptographic_Failures/"
OWASP_MISCONFIG = "https://owasp.org/Top10/A05_2021-Security_Misconfiguration/"
OWASP_INTEGRITY = "https://owasp.org/Top10/A08_2021-Software_and_Data_Integrity_Failures/"
OWASP_AUTH = "https://owasp.org/Top10/A07_2021-Identification_and_Authentication_Failures/"


def cwe_url(number: int) -> str:
    """The MITRE page of a CWE."""
    return f"https://cwe.mitre.org/data/definitions/{number}.html"


def any_of(*names: str) -> str:
    """The quoted names for an ``#any-of?`` predicate."""
    return " ".join(f'"{name}"' for name in names)


def calls_named(*names: str, arguments: str = "", predicates: str = "") -> str:
    """A pattern for calls whose function's last name component is one of ``names``, captured as @call."""
    args = f" arguments: {arguments}" if arguments else ""
    extra = f" {predicates}" if predicates else ""
    return (
        f"((call function: [(identifier) @fn (attribute attribute: (identifier) @fn)]{args}) @call "
        f"(#any-of? @fn {any_of(*names)}){extra})"
    )


def read_identifiers(node: Node, *, nested_functions: bool = True) -> Iterator[Node]:
    """The identifiers an expression reads, without attribute and keyword names; with ``nested_functions``
    false, nothing inside a lambda or nested ``def``."""
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current.type
        if kind == "identifier":
            yield current
            continue
        if not nested_functions and kind in ("lambda", "function_definition"):
            continue
        if kind == "attribute":
            obj = current.child_by_field_name("object")
            if obj is not None:
                stack.append(obj)
            continue
        if kind == "keyword_argument":
            value = current.child_by_field_name("value")
            if value is not None:
                stack.append(value)
            continue
        stack.extend(current.named_children)
