"""Per-function and per-file code metrics computed from a tree-sitter tree.

``file_metrics(source, language)`` walks the tree once, iteratively (deep trees cannot overflow
the Python stack), and never raises on malformed source: tree-sitter always yields a tree, and the
metrics describe whatever parsed (``has_errors`` says whether it contained ERROR/MISSING nodes).
Only an unsupported language name raises, as ``InputError``.

Functions are the node kinds the cyclomatic rules (PY-Q003, JS-Q003, JAVA-Q003, GO-Q003) treat as
functions: Python ``def``; JavaScript/TypeScript function declarations and expressions, methods,
generators and arrow functions; Java methods, constructors, compact constructors and lambdas; Go
functions, methods and function literals. A Python ``lambda`` is not a function: its contents
count toward the enclosing ``def`` (with a cognitive nesting increment). Each nested function is
reported on its own and contributes nothing to the function around it.

Cyclomatic complexity is 1 + the decision points complexity.py counts for the family, attributed
to the innermost function. Cognitive complexity follows G. Ann Campbell's "Cognitive Complexity"
(SonarSource, 2017): +1 plus the nesting level for if, ternary, switch/match/select, loops and
catch/except; +1 (no nesting) for else-if/elif and else; +1 for labelled break/continue and goto;
+1 per run of like boolean operators (``&&``/``||``, ``and``/``or``; ``??`` is not counted),
looking through parentheses. Recursion is not counted, nor are Python comprehension ``if``s or
``else`` clauses of loops and ``try``. Maximum nesting is the deepest nesting level of those
structures' bodies (a flat function has 0, one ``if`` has 1).

Halstead tokens: every leaf of the tree is a token, except comments, docstrings, zero-width
(MISSING/automatic-semicolon) tokens and closing brackets (a bracket pair is one operator). String,
template, regex and rune literals are one operand each. Named leaves (identifiers, numbers,
``true``/``None``/``nil``/``this``) are operands; anonymous leaves (keywords, operators,
punctuation) are operators. Volume = N * log2(n).
"""

from reviewlab.engine.metrics.model import FileMetrics, FunctionMetrics, Halstead
from reviewlab.engine.metrics.profiles import PROFILES
from reviewlab.engine.metrics.walk import file_metrics, tree_metrics

__all__ = ["PROFILES", "FileMetrics", "FunctionMetrics", "Halstead", "file_metrics", "tree_metrics"]
