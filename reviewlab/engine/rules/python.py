"""Python rule pack."""

from __future__ import annotations

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Rule, RuleDocs
from reviewlab.engine.rules.complexity import complexity_rule

EVAL = Rule(
    id="PY-S001",
    title="Use of eval or exec",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=95,
    languages=("python",),
    message="`eval`/`exec` runs arbitrary code; never pass it data you do not control.",
    docs=RuleDocs(
        what="Flags calls to the builtins `eval` and `exec`.",
        why="Evaluating a string as code lets whoever controls the string run anything in the process.",
        example="value = eval(request.args['expr'])",
        use_instead="import ast\nvalue = ast.literal_eval(request.args['expr'])",
    ),
    query='((call function: (identifier) @fn) @finding (#any-of? @fn "eval" "exec"))',
)

COMPLEXITY = complexity_rule(
    "PY-Q003",
    "python",
    "(function_definition)",
    "[(if_statement) (elif_clause) (for_statement) (while_statement) (except_clause) "
    "(conditional_expression) (boolean_operator) (case_clause) (for_in_clause) (if_clause)]",
    example="def route(x):\n    if x == 1: ...\n    elif x == 2: ...\n    # ...ten more branches",
    use_instead="HANDLERS = {1: one, 2: two}\n\ndef route(x):\n    return HANDLERS[x]()",
)

RULES: tuple[Rule, ...] = (EVAL, COMPLEXITY)
