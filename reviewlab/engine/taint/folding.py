"""Constant folding for the Python dataflow: literals, operators, comparisons and a few safe builtins.

The walker (``python``) folds an expression to a Python value when every name in it is bound to a
constant; these helpers do the arithmetic and refuse anything that could be huge or slow
(``"x" * 10**9``, ``2 ** 10**6``, ``"%999999999d" % 1``): a value that is not folded is simply unknown.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any, TypeGuard

import tree_sitter

from reviewlab.engine.rules.pyhelpers import node_text

Node = tree_sitter.Node


class _Unknown:
    """A value not known statically."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: object = _Unknown()
NOT_STRUCTURED: object = _Unknown()
LITERAL_TYPES = frozenset({"integer", "float", "true", "false", "none"})
MAX_FOLDED = 64  # longer tuples are not folded
MAX_FOLDED_TEXT = 10_000  # nor strings longer than this
_MAX_BITS = 256  # nor integers larger than this
TABLE_READS = frozenset({"get", "pop", "getint", "getfloat", "getboolean"})
FOLDABLE_BUILTINS: dict[str, Callable[..., object]] = {
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "abs": abs,
    "min": min,
    "max": max,
    "ord": ord,
    "chr": chr,
}
FOLDABLE_STR_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold", "swapcase", "startswith"}
    | {"endswith", "replace", "find", "rfind", "count", "isdigit", "isalpha", "isalnum", "isnumeric", "isspace"}
    | {"removeprefix", "removesuffix", "split", "rsplit", "partition", "rpartition"}
)
_ARITHMETIC: dict[str, Callable[[Any, Any], object]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<<": operator.lshift,
    ">>": operator.rshift,
}
_COMPARISONS: dict[str, Callable[[Any, Any], object]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": lambda a, b: a is b if a is None or b is None or isinstance(a, bool) else UNKNOWN,
    "is not": lambda a, b: a is not b if a is None or b is None or isinstance(a, bool) else UNKNOWN,
}
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(?:\d{4,}|\*)")


def literal(node: Node) -> object:
    kind = node.type
    if kind == "true":
        return True
    if kind == "false":
        return False
    if kind == "none":
        return None
    text = node_text(node).replace("_", "").lower()
    if text.endswith(("j", "l")):
        return UNKNOWN
    try:
        return int(text, 0) if kind == "integer" else float(text)
    except ValueError:
        return UNKNOWN


def _small(value: object) -> object:
    """The value, or ``UNKNOWN`` when it is too large to keep."""
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        return UNKNOWN
    if isinstance(value, str | bytes | tuple) and len(value) > MAX_FOLDED_TEXT:
        return UNKNOWN
    return value


def unary(operator_text: str, value: object) -> object:
    if not isinstance(value, int | float) or (isinstance(value, bool) and operator_text == "~"):
        return UNKNOWN
    if operator_text == "-":
        return -value
    if operator_text == "+":
        return +value
    if operator_text == "~" and isinstance(value, int):
        return ~value
    return UNKNOWN


def binary(operator_text: str, a: object, b: object) -> object:
    """``a <op> b`` for constants, refusing what could be huge (``"x" * 10**9``, ``2 ** 10**6``)."""
    function = _ARITHMETIC.get(operator_text)
    if function is None or a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if operator_text == "*" and (isinstance(a, str | bytes | tuple) or isinstance(b, str | bytes | tuple)):
        size = len(a) if isinstance(a, str | bytes | tuple) else len(b)  # type: ignore[arg-type]
        count = b if isinstance(a, str | bytes | tuple) else a
        if not isinstance(count, int) or size * max(count, 0) > MAX_FOLDED_TEXT:
            return UNKNOWN
    if operator_text in ("**", "<<") and (not isinstance(b, int | float) or abs(b) > 64):
        return UNKNOWN
    if operator_text == "%" and isinstance(a, str) and _WIDE_FORMAT.search(a):
        return UNKNOWN
    try:
        return _small(function(a, b))
    except (ArithmeticError, TypeError, ValueError, KeyError, IndexError):
        return UNKNOWN


def compare(operator_text: str, a: object, b: object) -> object:
    function = _COMPARISONS.get(operator_text)
    if function is None or a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    try:
        return function(a, b)
    except (TypeError, ValueError):
        return UNKNOWN


def apply(function: Callable[..., object], values: list[object]) -> object:
    try:
        return _small(function(*values))
    except (ArithmeticError, TypeError, ValueError, IndexError):
        return UNKNOWN


def index_in(value: object, length: int) -> TypeGuard[int]:
    """Whether ``value`` is an int index valid for a sequence of ``length``."""
    return isinstance(value, int) and not isinstance(value, bool) and -length <= value < length


def hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
