"""Python code-quality smells: unused names, dead code, shadowed builtins, asserts, comparisons, leaks.

These rules judge a file's own names rather than dangerous calls, so most of them work on a whole
scope: the query selects the module or a function once, and the check walks that subtree in Python
(once per scope, not per name). All of them are flow-insensitive on purpose: a name counts as read if
it is read anywhere in its scope, so they report only what is certainly unused or unreachable. The
fixtures in ``tests/rules/fixtures/PY-Q0*.py`` pin down each exemption.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import PurePosixPath

import tree_sitter

from reviewlab.engine.languages import ts_language
from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    PY,
    any_of,
    call_name,
    calls_named,
    cwe_url,
    enclosing_function,
    enclosing_scope,
    imports_module,
    is_test_path,
    node_text,
    unwrap,
)

Node = tree_sitter.Node

_IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
_NESTED_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
_TARGET_CONTAINERS = frozenset({"pattern_list", "tuple_pattern", "list_pattern", "tuple", "list", "list_splat_pattern"})
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A string that is a type expression (``"Foo"``, ``"list[Bar] | None"``): the names in it are used.
_NOQA = re.compile(rb"#\s*noqa(?::\s*([A-Z0-9, ]+))?", re.IGNORECASE)
_TYPE_STRING = re.compile(r"[A-Za-z_][\w.]*(\[[\w.\[\], |]*\])?( ?\| ?[A-Za-z_][\w.]*(\[[\w.\[\], |]*\])?)*")


@cache
def _name_query() -> tree_sitter.Query:
    return tree_sitter.Query(ts_language("python"), "(identifier) @id (string) @string (comment) @comment")


def _collected(node: Node) -> dict[str, list[Node]]:
    """The identifiers, strings and comments under ``node``, collected by one query (in C, not a Python walk)."""
    return tree_sitter.QueryCursor(_name_query()).captures(node)


def _in_import(identifier: Node) -> bool:
    current = identifier.parent
    while current is not None and current.type in ("dotted_name", "aliased_import", "relative_import"):
        current = current.parent
    return current is not None and current.type in _IMPORTS


def _descendants(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _is_reference(identifier: Node) -> bool:
    """Whether an identifier names a variable here, not ``obj.attr`` or a keyword argument ``f(name=...)``."""
    parent = identifier.parent
    if parent is None:
        return True
    if parent.type == "attribute" and parent.child_by_field_name("attribute") == identifier:
        return False
    return not (parent.type == "keyword_argument" and parent.child_by_field_name("name") == identifier)


def _target_identifiers(node: Node) -> Iterator[Node]:
    node = unwrap(node)
    if node.type == "identifier":
        yield node
    elif node.type in _TARGET_CONTAINERS:
        for child in node.named_children:
            yield from _target_identifiers(child)


# ---------------------------------------------------------------------------------------------
# PY-Q004 unused import
# ---------------------------------------------------------------------------------------------


def _names_used(module: Node, wanted: set[str]) -> set[str]:
    """Which of the ``wanted`` names the module reads outside its imports, including names in string
    annotations, type-expression strings (``cast("Foo", x)``) and ``# type:`` comments."""
    found = _collected(module)
    targets = {name.encode() for name in wanted}
    used: set[str] = set()
    for node in found.get("id", ()):
        token = node.text or b""
        if token in targets and _is_reference(node) and not _in_import(node):
            used.add(token.decode())
            targets.discard(token)
            if not targets:
                return used
    for node in found.get("string", ()):
        content = "".join(node_text(c) for c in node.named_children if c.type == "string_content").strip()
        in_annotation = node.parent is not None and node.parent.type == "type"
        if in_annotation or _TYPE_STRING.fullmatch(content):
            used.update(w for w in _WORD.findall(content) if w in wanted)
    for node in found.get("comment", ()):
        if node_text(node).lstrip("# ").startswith("type:"):
            used.update(w for w in _WORD.findall(node_text(node)) if w in wanted)
    return used


def _dunder_all(module: Node) -> set[str]:
    """The names listed in module-level ``__all__ = [...]`` / ``__all__ += [...]``."""
    names: set[str] = set()
    for statement in module.named_children:
        expression = statement.named_children[0] if statement.type == "expression_statement" else None
        if expression is None or expression.type not in ("assignment", "augmented_assignment"):
            continue
        if node_text(expression.child_by_field_name("left")) != "__all__":
            continue
        right = expression.child_by_field_name("right")
        for node in _descendants(right) if right is not None else ():
            if node.type == "string_content":
                names.add(node_text(node))
    return names


def _imported_names(statement: Node) -> Iterator[tuple[str, Node]]:
    """The local names a module-level import binds, each with the node to flag; explicit
    re-exports (``import x as x``, ``from m import y as y``) and star imports bind none here."""
    for name in statement.children_by_field_name("name"):
        if name.type == "aliased_import":
            original = node_text(name.child_by_field_name("name")).rsplit(".", 1)[-1]
            alias = node_text(name.child_by_field_name("alias"))
            if alias != original:
                yield alias, name
        elif statement.type == "import_statement":
            yield node_text(name).split(".", 1)[0], name
        else:
            yield node_text(name), name


def _noqa(ctx: FileContext, node: Node, code: bytes) -> bool:
    """``# noqa`` or ``# noqa: <code>`` (the flake8/ruff code of the same check) on the node's line."""
    match = _NOQA.search(ctx.line_bytes(node.start_point.row))
    if match is None:
        return False
    codes = match.group(1)
    return codes is None or code in codes.upper()


def _check_unused_import(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    module = first(captures, "module")
    if module is None or PurePosixPath(ctx.path.replace("\\", "/")).name == "__init__.py":
        return
    candidates = [
        (local, node)
        for statement in module.named_children
        if statement.type in ("import_statement", "import_from_statement")
        for local, node in _imported_names(statement)
    ]
    if not candidates:
        return
    used = _names_used(module, {local for local, _ in candidates}) | _dunder_all(module)
    for local, node in candidates:
        if local not in used and not _noqa(ctx, node, b"F401"):
            yield Hit(node, message=f"`{node_text(node)}` is imported but never used.")


UNUSED_IMPORT = Rule(
    id="PY-Q004",
    title="Unused import",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1164,
    languages=PY,
    message="Imported name is never used.",
    docs=RuleDocs(
        what="Flags each name bound by a top-level `import x` / `from m import y` statement that the file "
        "never references. A name counts as used when it appears anywhere outside the imports (code, "
        'decorators, annotations), inside a string annotation or type-expression string (`x: "Foo"`, '
        '`cast("Foo", v)`), in a `# type:` comment, or in `__all__`. Not flagged: `__init__.py` files, '
        "`from __future__` imports, star imports, names whose line carries `# noqa` or `# noqa: F401` "
        "(the convention for side-effect imports), explicit re-exports (`import x as x`, `from m import y "
        "as y`), and imports nested in `try`, `if` or function bodies (optional and conditional imports). "
        "`obj.json` and keyword arguments `f(json=...)` do not count as uses of `json`.",
        why="An unused import is dead code: it slows start-up, may import a module only for side effects "
        "nobody intended, and misleads readers about what the module depends on.",
        example="import json\nimport os\n\n\ndef home():\n    return os.environ['HOME']",
        use_instead="import os\n\n\ndef home():\n    return os.environ['HOME']",
    ),
    query="(module) @module",
    check=_check_unused_import,
    references=(cwe_url(1164), "https://docs.astral.sh/ruff/rules/unused-import/"),
)

# ---------------------------------------------------------------------------------------------
# PY-Q005 unused local variable
# ---------------------------------------------------------------------------------------------


def _local_assignments(function: Node) -> Iterator[Node]:
    """Identifiers assigned a value by a plain ``name = value`` (or ``a = b = value``) in the
    function's own scope; unpacking, loop, ``with`` and walrus targets are not candidates."""
    body = function.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "assignment" and node.child_by_field_name("right") is not None:
            left = node.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                yield left
        for child in node.named_children:
            if child.type not in _NESTED_SCOPES:
                stack.append(child)


def _is_store(identifier: Node) -> bool:
    """Whether an identifier is written, not read: an assignment, loop, ``with ... as`` or walrus target."""
    child, parent = identifier, identifier.parent
    while parent is not None and parent.type in _TARGET_CONTAINERS | {"parenthesized_expression"}:
        child, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "assignment":
        return parent.child_by_field_name("left") == child and parent.child_by_field_name("right") is not None
    if parent.type in ("for_statement", "for_in_clause"):
        return parent.child_by_field_name("left") == child
    if parent.type == "named_expression":
        return parent.child_by_field_name("name") == child
    return parent.type == "as_pattern_target"


def _check_unused_local(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    function = first(captures, "function")
    body = function.child_by_field_name("body") if function is not None else None
    if function is None or body is None:
        return
    candidates = [t for t in _local_assignments(function) if not node_text(t).startswith("_")]
    if not candidates:
        return
    text = body.text or b""
    if b"locals(" in text or b"vars(" in text:
        return  # ``locals()`` / ``vars()`` read every local by name
    names = {node_text(t).encode() for t in candidates}
    read: set[str] = set()
    for node in _collected(body).get("id", ()):
        token = node.text or b""
        if token in names and not _is_store(node) and _is_reference(node):
            read.add(token.decode())
            names.discard(token)
            if not names:
                return
    declared: set[str] = set()
    if b"global" in text or b"nonlocal" in text:
        for node in _descendants(body):
            if node.type in ("global_statement", "nonlocal_statement") and enclosing_function(node) == function:
                declared.update(node_text(c) for c in node.named_children)
    for target in candidates:
        name = node_text(target)
        if name in read or name in declared or _noqa(ctx, target, b"F841"):
            continue
        yield Hit(target, message=f"Local variable `{name}` is assigned but never read.")


UNUSED_LOCAL = Rule(
    id="PY-Q005",
    title="Unused local variable",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=563,
    languages=PY,
    message="Local variable is assigned but never read.",
    docs=RuleDocs(
        what="Flags each plain assignment `name = value` (also annotated and chained) in a function whose "
        "name the function never reads, anywhere: reads in nested functions, lambdas, comprehensions and "
        "f-strings count, and so does `x += 1`. Not flagged: names starting with `_`, names declared "
        "`global` or `nonlocal`, functions that call `locals()` or `vars()`, tuple-unpacking targets "
        "(`head, tail = pair`), loop variables, `with ... as` and walrus targets, lines marked `# noqa` or "
        "`# noqa: F841` (a deliberately kept reference), and module or class level names. "
        "The check is flow-insensitive: a value overwritten before it is read is not flagged.",
        why="A variable that is never read is either dead code or a bug: usually the value was meant to be "
        "returned or passed on and a different name was used by mistake.",
        example="def total(items):\n    count = len(items)\n    return sum(i.price for i in items)",
        use_instead="def total(items):\n    return sum(i.price for i in items)",
    ),
    query="(function_definition) @function",
    check=_check_unused_local,
    references=(cwe_url(563), "https://docs.astral.sh/ruff/rules/unused-variable/"),
)

# ---------------------------------------------------------------------------------------------
# PY-Q006 unreachable code
# ---------------------------------------------------------------------------------------------

_TERMINATORS = {
    "return_statement": "return",
    "raise_statement": "raise",
    "continue_statement": "continue",
    "break_statement": "break",
}


def _is_yield(statement: Node) -> bool:
    """``return`` followed by ``yield``: the idiom for an empty generator."""
    return statement.type == "expression_statement" and any(c.type == "yield" for c in statement.named_children)


def _check_unreachable(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    block = first(captures, "block")
    if block is None:
        return
    terminator: str | None = None
    for statement in block.named_children:
        if statement.type == "comment":
            continue
        if terminator is not None:
            if not _is_yield(statement):
                yield Hit(statement, message=f"Unreachable code: this statement follows `{terminator}`.")
            return
        terminator = _TERMINATORS.get(statement.type)


UNREACHABLE_CODE = Rule(
    id="PY-Q006",
    title="Unreachable code",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=561,
    languages=PY,
    message="Unreachable code after return, raise, continue or break.",
    docs=RuleDocs(
        what="Flags the first statement that follows `return`, `raise`, `continue` or `break` in the same "
        "block (one finding per block). Not flagged: a `yield` right after `return` (the empty-generator "
        "idiom), statements after an `if` whose branches all return, and code after calls that never "
        "return such as `sys.exit()` (the rule does not follow control flow across blocks).",
        why="Code that can never run is dead weight at best; more often it is a mis-indented statement or "
        "a leftover early return from debugging, and the logic it was meant to perform silently never "
        "happens.",
        example="def price(item):\n    return item.price\n    log.info('priced %s', item)",
        use_instead="def price(item):\n    log.info('priced %s', item)\n    return item.price",
    ),
    query="(block) @block",
    check=_check_unreachable,
    references=(cwe_url(561),),
)

# ---------------------------------------------------------------------------------------------
# PY-Q007 shadowed builtin
# ---------------------------------------------------------------------------------------------

_BUILTINS = (
    "list",
    "dict",
    "set",
    "tuple",
    "str",
    "bytes",
    "int",
    "float",
    "bool",
    "object",
    "id",
    "type",
    "input",
    "filter",
    "map",
    "zip",
    "len",
    "max",
    "min",
    "sum",
    "all",
    "any",
    "sorted",
    "open",
    "format",
    "hash",
    "range",
    "vars",
    "iter",
    "next",
    "print",
    "compile",
    "eval",
    "exec",
)
_PARAMETER_PARENTS = frozenset(
    {"parameters", "lambda_parameters", "typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"}
)


def _is_method(function: Node) -> bool:
    return enclosing_scope(function).type == "class_definition"


def _exempt_signature(function: Node) -> bool:
    """A dunder method or an ``@override``: the parameter names are dictated by the protocol or base class."""
    name = node_text(function.child_by_field_name("name"))
    if name.startswith("__") and name.endswith("__"):
        return True
    decorated = function.parent
    if decorated is None or decorated.type != "decorated_definition":
        return False
    return any(node_text(d).lstrip("@").rsplit(".", 1)[-1] == "override" for d in decorated.named_children[:-1])


def _shadow_kind(identifier: Node) -> str | None:
    """What binds the builtin's name here (``parameter``, ``variable``, ``function``, ``class``), or None."""
    parent = identifier.parent
    if parent is None:
        return None
    if parent.type in ("function_definition", "class_definition") and parent.child_by_field_name("name") == identifier:
        if parent.type == "function_definition" and _is_method(parent):
            return None  # ``def format(self)`` is reached through the instance, never as a bare name
        return "function" if parent.type == "function_definition" else "class"
    if parent.type in _PARAMETER_PARENTS or (
        parent.type in ("default_parameter", "typed_default_parameter")
        and parent.child_by_field_name("name") == identifier
    ):
        function = parent
        while function.type not in ("function_definition", "lambda") and function.parent is not None:
            function = function.parent
        if function.type == "function_definition" and _exempt_signature(function):
            return None
        return "parameter"
    return _variable_binding(identifier)


def _variable_binding(identifier: Node) -> str | None:
    """``variable`` when the identifier is an assignment, ``for`` or ``with ... as`` target in a function or module."""
    node = identifier
    while node.parent is not None and node.parent.type in _TARGET_CONTAINERS | {"parenthesized_expression"}:
        node = node.parent
    owner = node.parent
    if owner is None:
        return None
    bound = (
        (owner.type == "assignment" and owner.child_by_field_name("left") == node)
        or (owner.type == "for_statement" and owner.child_by_field_name("left") == node)
        or (owner.type == "named_expression" and owner.child_by_field_name("name") == node)
        or owner.type == "as_pattern_target"
    )
    if not bound or enclosing_scope(identifier).type == "class_definition":
        return None  # class attributes (``id = Column(...)``) live in the class namespace
    return "variable"


def _check_shadowed_builtin(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    name = first(captures, "name")
    if name is None:
        return
    kind = _shadow_kind(name)
    if kind is not None:
        yield Hit(name, message=f"The {kind} `{node_text(name)}` shadows the builtin `{node_text(name)}`.")


SHADOWED_BUILTIN = Rule(
    id="PY-Q007",
    title="Builtin shadowed by a local name",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=PY,
    message="Name shadows a Python builtin.",
    docs=RuleDocs(
        what=f"Flags variables (assignment, `for`, `with ... as` and walrus targets), parameters, functions "
        f"and classes named after a commonly used builtin ({', '.join(f'`{b}`' for b in _BUILTINS)}) in "
        "functions and at module level. Not flagged: methods (`def format(self)`), class attributes "
        "(`id = Column(...)` in a class body), attributes (`self.id`), keyword arguments (`f(type=...)`), "
        "comprehension variables, imports (`from gzip import open`), and parameters of dunder methods "
        "(`__exit__(self, type, value, tb)`) and `@override` methods, whose names are dictated elsewhere.",
        why="Inside the scope the builtin is gone: a later `list(items)` or `id(obj)` calls the local value "
        "instead and fails far from the cause, and readers misread the name.",
        example="def find(id, list):\n    for type in list:\n        ...",
        use_instead="def find(item_id, items):\n    for kind in items:\n        ...",
    ),
    query=f"((identifier) @name (#any-of? @name {any_of(*_BUILTINS)}))",
    check=_check_shadowed_builtin,
    references=(
        "https://docs.python.org/3/library/functions.html",
        "https://docs.astral.sh/ruff/rules/#flake8-builtins-a",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-Q008 assert used to validate input
# ---------------------------------------------------------------------------------------------

_REQUEST_NAMES = frozenset({"request", "req"})


def _parameters(function: Node) -> set[str]:
    """The function's parameter names, without ``self`` and ``cls``."""
    params = function.child_by_field_name("parameters")
    names: set[str] = set()
    for param in params.named_children if params is not None else ():
        if param.type == "identifier":
            names.add(node_text(param))
        elif param.type in ("default_parameter", "typed_default_parameter"):
            names.add(node_text(param.child_by_field_name("name")))
        else:  # typed_parameter, *args, **kwargs, typed *args
            for child in _descendants(param):
                if child.type == "identifier" and (child.parent is None or child.parent.type != "type"):
                    names.add(node_text(child))
                    break
    return names - {"self", "cls"}


def _check_assert(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    statement = first(captures, "assert")
    if statement is None or not statement.named_children or is_test_path(ctx.path):
        return
    function = enclosing_function(statement)
    if function is None:
        return
    name = node_text(function.child_by_field_name("name"))
    if name.startswith("_") and not name.endswith("__"):
        return  # a private helper's assert checks its callers in this code, not outside input
    inputs = _parameters(function) | _REQUEST_NAMES
    condition = statement.named_children[0]
    for node in _descendants(condition):
        if node.type == "identifier" and _is_reference(node) and node_text(node) in inputs:
            yield Hit(statement, message=f"`assert` validates `{node_text(node)}` but is removed under `python -O`.")
            return


ASSERT_VALIDATION = Rule(
    id="PY-Q008",
    title="assert used to validate input",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=703,
    languages=PY,
    message="`assert` used to validate input is removed when Python runs with -O.",
    docs=RuleDocs(
        what="Flags an `assert` inside a function whose condition reads one of the function's parameters "
        "(other than `self`/`cls`) or a name `request`/`req`. Not flagged: asserts in test files "
        "(`tests/`, `test_*.py`, `*_test.py`, `conftest.py`), at module or class level, on values the "
        "function computed itself or on `self` attributes, in private helpers (`_name`, but dunder methods "
        "such as `__init__` are checked), and reads of the names only in the assert's message. Type-narrowing "
        "asserts on parameters (`assert isinstance(x, T)`) are flagged too: they vanish under `-O` as well.",
        why="Python strips `assert` statements under `-O` / `PYTHONOPTIMIZE`, so the check disappears in "
        "exactly the deployments that enable it, and bad input flows on unchecked. Even when it runs, it "
        "raises a bare `AssertionError` instead of an error the caller can handle.",
        example="def withdraw(account, amount):\n    assert amount > 0, 'amount must be positive'\n"
        "    account.balance -= amount",
        use_instead="def withdraw(account, amount):\n    if amount <= 0:\n"
        "        raise ValueError('amount must be positive')\n    account.balance -= amount",
    ),
    query="(assert_statement) @assert",
    check=_check_assert,
    references=(
        cwe_url(703),
        "https://docs.python.org/3/reference/simple_stmts.html#the-assert-statement",
        "https://bandit.readthedocs.io/en/latest/plugins/b101_assert_used.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-Q009 comparison to None / True / False with == or !=
# ---------------------------------------------------------------------------------------------

_SINGLETONS = frozenset({"none", "true", "false"})
# Libraries whose ``==`` is overloaded: element-wise in numpy/pandas, SQL ``IS NULL`` in SQLAlchemy.
_OVERLOADING = ("numpy", "pandas", "sqlalchemy", "sqlmodel", "flask_sqlalchemy", "polars", "torch")


def _check_singleton_comparison(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    comparison = first(captures, "comparison")
    if comparison is None or comparison.child_count != 3:
        return  # chained comparisons (``a == b == None``) are left alone
    left, operator, right = comparison.children
    if operator.type not in ("==", "!=") or (left.type in _SINGLETONS) == (right.type in _SINGLETONS):
        return
    if imports_module(ctx, _OVERLOADING):
        return
    if comparison.parent is not None and comparison.parent.type in ("argument_list", "keyword_argument"):
        return  # ``query.filter(User.deleted_at == None)``: most likely an expression builder
    literal = left if left.type in _SINGLETONS else right
    negated = operator.type == "!="
    if literal.type == "none":
        replacement = "is not" if negated else "is"
        yield Hit(
            comparison,
            message=f"Compare to None with `{replacement}`, not `{operator.type}`.",
            fix=ctx.replace(operator, replacement, f"Use `{replacement} None`"),
        )
        return
    value = node_text(literal)
    yield Hit(
        comparison,
        message=f"Comparison `{operator.type} {value}`: test truthiness (`if x:` / `if not x:`), or use "
        f"`is {value}` when only the bool object itself may pass.",
    )


SINGLETON_COMPARISON = Rule(
    id="PY-Q009",
    title="Comparison to None, True or False with == or !=",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=PY,
    message="Compare to None with `is` / `is not`, and to booleans by truthiness.",
    docs=RuleDocs(
        what="Flags `x == None`, `x != None`, `x == True`, `x != False` and the mirrored forms. The fix "
        "rewrites the None comparisons to `is None` / `is not None`; for True and False there is no fix, "
        "because `x == True` and `x is True` differ for `1`, so the message suggests truthiness or `is`. "
        "Not flagged: chained comparisons, `is`/`is not`, comparisons passed directly as call arguments "
        "(`query.filter(Model.deleted_at == None)` builds SQL even where the file does not import SQLAlchemy), "
        "and files importing numpy, pandas, polars, "
        "torch, SQLAlchemy, SQLModel or Flask-SQLAlchemy, where `==` is overloaded (element-wise "
        "comparison, or SQL `IS NULL` in `Model.column == None`).",
        why="`==` calls `__eq__`, which a class may override to return anything, so `x == None` can be true "
        "for objects that are not None; `is None` is exact, faster and the PEP 8 spelling. Comparing with "
        "`== True` is redundant and also accepts `1`.",
        example="if user == None:\n    ...\nif user.active == True:\n    ...",
        use_instead="if user is None:\n    ...\nif user.active:\n    ...",
    ),
    query="(comparison_operator [(none) (true) (false)]) @comparison",
    check=_check_singleton_comparison,
    references=("https://peps.python.org/pep-0008/#programming-recommendations",),
)

# ---------------------------------------------------------------------------------------------
# PY-Q010 resource opened without a context manager
# ---------------------------------------------------------------------------------------------

_RESOURCES = frozenset(
    {"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"}
    | {"socket.socket", "socket.create_connection", "sqlite3.connect"}
    | {"tempfile.NamedTemporaryFile", "tempfile.TemporaryFile", "tempfile.SpooledTemporaryFile"}
)
_STATEMENTS_STOP = frozenset({"block", "module"})
# A name directly under these is handed on: returned, yielded, or put in a container.
_HANDOFF = frozenset(
    {
        "return_statement",
        "yield",
        "expression_list",
        "tuple",
        "list",
        "set",
        "pair",
        "argument_list",
        "keyword_argument",
    }
)
# Methods that take ownership of their argument: a container or registry that closes it later.
_KEEPERS = frozenset({"append", "appendleft", "add", "extend", "insert", "put", "register", "setdefault"})
_MANAGERS = frozenset({"enter_context", "enter_async_context", "callback", "push"})


def _ancestors(node: Node) -> Iterator[Node]:
    """The node's ancestors up to (not including) the block holding its statement."""
    current = node.parent
    while current is not None and current.type not in _STATEMENTS_STOP:
        yield current
        current = current.parent


def _managed(node: Node) -> bool:
    """Inside a ``with`` item, or an argument of ``stack.enter_context(...)`` / ``stack.callback(...)``."""
    for ancestor in _ancestors(node):
        if ancestor.type == "with_item":
            return True
        function = ancestor.child_by_field_name("function") if ancestor.type == "call" else None
        method = function.child_by_field_name("attribute") if function is not None else None
        if method is not None and node_text(method) in _MANAGERS:
            return True
    return False


def _in_finally(node: Node) -> bool:
    current = node.parent
    while current is not None and current.type not in _NESTED_SCOPES:
        if current.type == "finally_clause":
            return True
        current = current.parent
    return False


def _hands_on(container: Node) -> bool:
    """A container holding the name is returned or yielded, or the name is passed to a constructor-like
    call (``Wrapper(f)``, ``_Reader(f)``, ``Upload(file=f)``) or to a keeper (``self.open_files.append(f)``)."""
    if container.type == "keyword_argument":
        container = container.parent or container
    if container.type == "argument_list":
        call = container.parent
        function = call.child_by_field_name("function") if call is not None else None
        tail = node_text(function).rsplit(".", 1)[-1]
        return tail.lstrip("_")[:1].isupper() or (
            function is not None and function.type == "attribute" and tail in _KEEPERS
        )
    return True


def _released(name: str, function: Node) -> bool:
    """Whether the function manages, closes in ``finally``, registers ``close``, or hands on ``name``."""
    body = function.child_by_field_name("body")
    for node in _descendants(body) if body is not None else ():
        if node.type != "identifier" or node_text(node) != name or not _is_reference(node):
            continue
        parent = node.parent
        if parent is None:
            continue
        if _managed(node) or (parent.type in _HANDOFF and _hands_on(parent)):
            return True
        if parent.type == "assignment" and parent.child_by_field_name("right") == node:
            return True  # stored elsewhere (``self.f = f``): its owner closes it
        closer = parent.type == "attribute" and parent.child_by_field_name("object") == node
        if closer and node_text(parent.child_by_field_name("attribute")) in ("close", "__exit__"):
            called = parent.parent is not None and parent.parent.type == "call"
            if not called or _in_finally(node) or enclosing_function(node) != function:
                return True  # ``f.close()`` in ``finally`` or in a nested cleanup function, or ``f.close`` registered
    return False


def _check_resource(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or call_name(call, ctx) not in _RESOURCES:
        return
    outer = call
    while outer.parent is not None and outer.parent.type == "parenthesized_expression":
        outer = outer.parent
    parent = outer.parent
    if parent is None or _managed(call):
        return
    label = call_name(call, ctx)
    if parent.type == "attribute" and parent.child_by_field_name("object") == outer:
        if node_text(parent.child_by_field_name("attribute")) != "close":
            yield Hit(call, message=f"`{label}(...)` is used inline and never closed; it stays open until collected.")
        return
    if parent.type in ("for_statement", "for_in_clause") and parent.child_by_field_name("right") == outer:
        yield Hit(call, message=f"`{label}(...)` is iterated inline and never closed; it stays open until collected.")
        return
    if parent.type != "assignment" or parent.child_by_field_name("right") != outer:
        return  # returned, yielded, passed on, stored in an attribute: someone else owns it
    target = parent.child_by_field_name("left")
    function = enclosing_function(call)
    if target is None or target.type != "identifier" or function is None:
        return
    if not _released(node_text(target), function):
        yield Hit(call, message=f"`{label}(...)` is bound to `{node_text(target)}` but not closed on every path.")


UNCLOSED_RESOURCE = Rule(
    id="PY-Q010",
    title="Resource opened without a context manager",
    category=Category.QUALITY,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=772,
    languages=PY,
    message="Resource is opened without `with` and may never be closed.",
    docs=RuleDocs(
        what="Flags `open`, `io.open`, `codecs.open`, `gzip.open`, `bz2.open`, `lzma.open`, "
        "`socket.socket`, `socket.create_connection`, `sqlite3.connect` and the `tempfile` file objects "
        "when (a) the result is used inline, as in `open(p).read()` (except `open(p).close()`) or "
        "`for line in open(p):`, or (b) it "
        "is assigned to a local name in a function that never uses that name in a `with`, never closes it "
        "in a `finally` block or in a nested cleanup function, never registers `name.close` as a callback, "
        "and never hands it on "
        "(`return f`, `yield f`, `self.f = f`, `[f]`, `Wrapper(f)` or `Upload(file=f)` with a capitalised callee, "
        "`self.files.append(f)` and similar keepers, "
        "`stack.enter_context(f)`). Not flagged: calls inside a `with` "
        "item (also `with closing(...)`), `return open(...)`, results passed straight to another call or "
        "stored in an attribute (the receiver owns them), and module-level assignments (process-lifetime "
        "resources). A `close()` outside `finally` does not count: an exception before it leaks the "
        "resource. Note that `with sqlite3.connect(...)` only commits; use `closing(...)` to close.",
        why="A file, socket or connection that is not closed keeps its descriptor (and locks, buffers, "
        "database transactions) until the garbage collector happens to finalize it; under load that "
        "exhausts descriptors, and unflushed writes can be lost.",
        example="def load(path):\n    f = open(path)\n    data = f.read()\n    f.close()\n    return data\n\n\n"
        "text = open('notes.txt').read()",
        use_instead="def load(path):\n    with open(path) as f:\n        return f.read()\n\n\n"
        "text = pathlib.Path('notes.txt').read_text()",
    ),
    query=calls_named(
        "open", "socket", "create_connection", "connect", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"
    ),
    check=_check_resource,
    references=(cwe_url(772), "https://docs.python.org/3/reference/compound_stmts.html#the-with-statement"),
)

RULES = (
    UNUSED_IMPORT,
    UNUSED_LOCAL,
    UNREACHABLE_CODE,
    SHADOWED_BUILTIN,
    ASSERT_VALIDATION,
    SINGLETON_COMPARISON,
    UNCLOSED_RESOURCE,
)
