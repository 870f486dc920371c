"""One iterative walk of a tree-sitter tree that gathers every metric."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import tree_sitter

from reviewlab.engine.languages import FAMILY, parser_for
from reviewlab.engine.metrics.model import FileMetrics, FunctionMetrics, Halstead
from reviewlab.engine.metrics.profiles import PROFILES, Profile
from reviewlab.errors import InputError

_CLOSERS = frozenset({")", "]", "}"})
_NOT_PARAMETERS = frozenset(
    {"comment", "line_comment", "block_comment", "positional_separator", "keyword_separator", "receiver_parameter"}
)
_NAME_HOLDERS = {
    "variable_declarator": "name",
    "pair": "key",
    "assignment_expression": "left",
    "field_definition": "property",
}


@dataclass(slots=True)
class _Function:
    node: tree_sitter.Node
    cyclomatic: int = 1
    cognitive: int = 0
    max_nesting: int = 0
    operators: Counter[str] = field(default_factory=Counter)
    operands: Counter[bytes] = field(default_factory=Counter)
    code_rows: set[int] = field(default_factory=set)


def file_metrics(source: bytes, language: str) -> FileMetrics:
    """Metrics of ``source`` in ``language`` (any name in ``languages.LANGUAGES``)."""
    if language not in FAMILY:
        raise InputError(f"no metrics for language {language!r}")
    return tree_metrics(parser_for(language).parse(source), source, language)[0]


def tree_metrics(tree: tree_sitter.Tree, source: bytes, language: str) -> tuple[FileMetrics, list[tree_sitter.Node]]:
    """Metrics of an already parsed file, and each function's node (``nodes[i]`` is ``functions[i]``'s)."""
    if language not in FAMILY:
        raise InputError(f"no metrics for language {language!r}")
    return _Walk(source, PROFILES[FAMILY[language]], FAMILY[language] == "python").run(language, tree)


class _Walk:
    def __init__(self, source: bytes, profile: Profile, python: bool) -> None:
        self.source = source
        self.p = profile
        self.python = python
        self.functions: list[_Function] = []
        self.module_decisions = 0
        self.module: _Function | None = None  # the tokens outside every function
        self.comment_rows: set[int] = set()

    def run(self, language: str, tree: tree_sitter.Tree) -> tuple[FileMetrics, list[tree_sitter.Node]]:
        self.module = _Function(tree.root_node)
        self._walk(tree.root_node)
        functions = sorted(self.functions, key=lambda f: (f.node.start_byte, -f.node.end_byte))
        # Each token was counted once, in its innermost function (or the module): the file's counts are the sums.
        operators: Counter[str] = Counter()
        operands: Counter[bytes] = Counter()
        code_rows: set[int] = set()
        for bucket in (self.module, *functions):
            operators.update(bucket.operators)
            operands.update(bucket.operands)
            code_rows |= bucket.code_rows
        metrics = FileMetrics(
            language=language,
            lines=self.source.count(b"\n") + (0 if not self.source or self.source.endswith(b"\n") else 1),
            code_lines=len(code_rows),
            comment_lines=len(self.comment_rows),
            cyclomatic=self.module_decisions + sum(f.cyclomatic for f in functions),
            halstead=Halstead(len(operators), len(operands), sum(operators.values()), sum(operands.values())),
            has_errors=tree.root_node.has_error,
            functions=[self._finish(f) for f in functions],
        )
        return metrics, [f.node for f in functions]

    # Stack frames: node, owning function index (-1: module level), nesting, inside a boolean run, is an else-if.
    def _walk(self, root: tree_sitter.Node) -> None:
        p = self.p
        # Cheap set lookups first: the methods below run only for the node kinds they can accept.
        maybe_decision = p.decisions | p.decision_tokens | {"switch_label"}
        maybe_bool = {"boolean_operator"} if self.python else {"binary_expression"}
        docstring_kind = "expression_statement" if self.python else None
        stack: list[tuple[tree_sitter.Node, int, int, bool, bool]] = [(root, -1, 0, False, False)]
        while stack:
            node, owner, nesting, in_bool, else_if = stack.pop()
            kind = node.type
            if kind in p.comments or (kind == docstring_kind and self._is_docstring(node)):
                self._comment(node)
                continue
            if kind in p.functions:
                self.functions.append(_Function(node))
                owner, nesting, in_bool = len(self.functions) - 1, 0, False
            elif kind in maybe_decision and self._is_decision(node):
                if owner < 0:
                    self.module_decisions += 1
                else:
                    self.functions[owner].cyclomatic += 1
            if node.child_count == 0 or kind in p.literals:
                self._token(node, self.functions[owner] if owner >= 0 else None)
                continue
            fn = self.functions[owner] if owner >= 0 else None
            inner, child_bool = nesting, False
            if kind in maybe_bool and self._is_bool(node):
                if not in_bool and fn is not None:
                    fn.cognitive += self._bool_runs(node)
                child_bool = True
            elif kind == "parenthesized_expression":
                child_bool = in_bool
            elif kind in p.nesting:
                inner = nesting + 1
                if fn is not None:
                    fn.cognitive += 1 if else_if else inner
                    fn.max_nesting = max(fn.max_nesting, inner)
                if kind in p.ifs:
                    self._push_if(stack, node, owner, nesting, fn)
                    continue
            elif kind in p.nesting_only:
                inner = nesting + 1
            elif fn is not None and (
                kind in p.gotos or (kind in p.labelled_jumps and node.named_child_count > 0 and _has_label(node))
            ):
                fn.cognitive += 1
            stack.extend((child, owner, inner, child_bool, False) for child in reversed(node.children))

    def _push_if(
        self,
        stack: list[tuple[tree_sitter.Node, int, int, bool, bool]],
        node: tree_sitter.Node,
        owner: int,
        base: int,
        fn: _Function | None,
    ) -> None:
        """Condition at the if's own level, body one deeper, else-if as a sibling, else +1."""
        frames: list[tuple[tree_sitter.Node, int, int, bool, bool]] = []
        for i, child in enumerate(node.children):
            name = node.field_name_for_child(i)
            if name in ("condition", "initializer"):
                frames.append((child, owner, base, False, False))
            elif name != "alternative":
                frames.append((child, owner, base + 1, False, False))
            else:
                chained = child
                if child.type == "else_clause" and not self.python:  # JavaScript wraps the else branch
                    body = [c for c in child.named_children if c.type not in self.p.comments]
                    if len(body) == 1 and body[0].type == "if_statement":
                        chained = body[0]
                        frames.extend((c, owner, base, False, False) for c in child.children if c != chained)
                if chained.type in self.p.ifs:
                    frames.append((chained, owner, base, False, True))
                else:
                    if fn is not None:
                        fn.cognitive += 1
                        fn.max_nesting = max(fn.max_nesting, base + 1)
                    frames.append((child, owner, base + 1, False, False))
        stack.extend(reversed(frames))

    def _is_decision(self, node: tree_sitter.Node) -> bool:
        if not node.is_named:
            return node.type in self.p.decision_tokens
        if node.type == "switch_label":  # Java: every label with a value; ``default`` is not a decision
            return node.named_child_count > 0
        return node.type in self.p.decisions

    def _is_bool(self, node: tree_sitter.Node) -> bool:
        if self.python:
            return node.type == "boolean_operator"
        if node.type != "binary_expression":
            return False
        operator = node.child_by_field_name("operator")
        return operator is not None and operator.type in ("&&", "||")

    def _bool_runs(self, root: tree_sitter.Node) -> int:
        """Runs of like operators in a boolean expression read left to right, through parentheses."""
        operators: list[tuple[int, str]] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if self._is_bool(node):
                operator = node.child_by_field_name("operator")
                if operator is not None:
                    operators.append((operator.start_byte, operator.type))
                stack.extend(node.named_children)
            elif node.type == "parenthesized_expression":
                stack.extend(node.named_children)
        kinds = [kind for _, kind in sorted(operators)]
        return sum(1 for i, kind in enumerate(kinds) if i == 0 or kinds[i - 1] != kind)

    def _is_docstring(self, node: tree_sitter.Node) -> bool:
        if not self.python or node.type != "expression_statement" or node.named_child_count != 1:
            return False
        if node.named_children[0].type != "string":
            return False
        parent = node.parent
        if parent is None or not (
            parent.type == "module"
            or (parent.type == "block" and parent.parent is not None and parent.parent.type != "module")
        ):
            return False
        first = next((c for c in parent.named_children if c.type != "comment"), None)
        return first == node

    def _comment(self, node: tree_sitter.Node) -> None:
        text = self.source[node.start_byte : node.end_byte]
        for offset, line in enumerate(text.split(b"\n")):
            if line.strip():
                self.comment_rows.add(node.start_point.row + offset)

    def _token(self, node: tree_sitter.Node, fn: _Function | None) -> None:
        start, end = node.start_byte, node.end_byte
        if start == end:
            return
        bucket = fn if fn is not None else self.module
        assert bucket is not None  # noqa: S101 - set by run() before the walk
        first, last = node.start_point.row, node.end_point.row
        if first == last:
            bucket.code_rows.add(first)
        else:
            bucket.code_rows.update(range(first, last + 1))
        if node.is_named or node.type in self.p.literals:
            operand = self.source[start:end]
            bucket.operands[operand] = bucket.operands.get(operand, 0) + 1
        else:
            kind = node.type
            if kind not in _CLOSERS:
                bucket.operators[kind] = bucket.operators.get(kind, 0) + 1

    def _finish(self, f: _Function) -> FunctionMetrics:
        node = f.node
        return FunctionMetrics(
            name=self._name(node),
            start_line=node.start_point.row + 1,
            end_line=node.end_point.row + 1,
            cyclomatic=f.cyclomatic,
            cognitive=f.cognitive,
            max_nesting=f.max_nesting,
            parameters=_parameter_count(node),
            code_lines=len(f.code_rows),
            halstead=Halstead(len(f.operators), len(f.operands), sum(f.operators.values()), sum(f.operands.values())),
        )

    def _name(self, node: tree_sitter.Node) -> str:
        name = node.child_by_field_name("name")
        parent = node.parent
        if name is None and parent is not None and parent.type in _NAME_HOLDERS:
            name = parent.child_by_field_name(_NAME_HOLDERS[parent.type])
        if name is None:
            return "<anonymous>"
        return self.source[name.start_byte : name.end_byte].decode("utf-8", "replace")


def _has_label(node: tree_sitter.Node) -> bool:
    return any(c.type in ("identifier", "statement_identifier", "label_name") for c in node.named_children)


def _parameter_count(node: tree_sitter.Node) -> int:
    """Declared parameters; a Go ``a, b int`` is two, receivers and Python ``/`` and ``*`` are none."""
    if node.child_by_field_name("parameter") is not None:  # JavaScript ``x => ...``
        return 1
    params = node.child_by_field_name("parameters")
    if params is None:
        return 0
    if params.type == "identifier":  # Java ``x -> ...``
        return 1
    count = 0
    for child in params.named_children:
        if child.type in _NOT_PARAMETERS:
            continue
        if child.type in ("parameter_declaration", "variadic_parameter_declaration"):
            count += max(1, len(child.children_by_field_name("name")))
        else:
            count += 1
    return count
