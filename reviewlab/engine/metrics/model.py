"""The metrics' result types: frozen dataclasses with ``to_dict()``."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Halstead:
    """Halstead counts: distinct (n1, n2) and total (N1, N2) operators and operands."""

    distinct_operators: int = 0
    distinct_operands: int = 0
    total_operators: int = 0
    total_operands: int = 0

    @property
    def vocabulary(self) -> int:
        return self.distinct_operators + self.distinct_operands

    @property
    def length(self) -> int:
        return self.total_operators + self.total_operands

    @property
    def volume(self) -> float:
        return self.length * math.log2(self.vocabulary) if self.vocabulary > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "vocabulary": self.vocabulary, "length": self.length, "volume": self.volume}


def maintainability_index(volume: float, cyclomatic: int, code_lines: int) -> float:
    """Visual Studio's 0-100 MI: (171 - 5.2 ln HV - 0.23 CC - 16.2 ln LOC) * 100 / 171, 100 if empty."""
    if volume <= 0 or code_lines <= 0:
        return 100.0
    raw = 171 - 5.2 * math.log(volume) - 0.23 * cyclomatic - 16.2 * math.log(code_lines)
    return min(100.0, max(0.0, raw * 100 / 171))


@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    """Metrics of one function, method or function literal (lines are 1-based).

    ``code_lines`` and ``halstead`` count the function's own tokens: a nested function's are its own.
    """

    name: str
    start_line: int
    end_line: int
    cyclomatic: int
    cognitive: int
    max_nesting: int
    parameters: int
    code_lines: int = 0
    halstead: Halstead = field(default_factory=Halstead)

    @property
    def length(self) -> int:
        return self.end_line - self.start_line + 1

    @property
    def maintainability_index(self) -> float:
        return maintainability_index(self.halstead.volume, self.cyclomatic, self.code_lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "length": self.length,
            "cyclomatic": self.cyclomatic,
            "cognitive": self.cognitive,
            "max_nesting": self.max_nesting,
            "parameters": self.parameters,
            "code_lines": self.code_lines,
            "halstead_volume": round(self.halstead.volume, 2),
            "maintainability_index": round(self.maintainability_index, 2),
        }


@dataclass(frozen=True, slots=True)
class FileMetrics:
    """Metrics of one file; ``cyclomatic`` is every function's plus the decisions outside functions."""

    language: str
    lines: int
    code_lines: int
    comment_lines: int
    cyclomatic: int
    halstead: Halstead
    has_errors: bool
    functions: list[FunctionMetrics] = field(default_factory=list)

    @property
    def comment_density(self) -> float:
        """Comment lines / (code lines + comment lines); a line with code and a comment is both."""
        total = self.code_lines + self.comment_lines
        return self.comment_lines / total if total else 0.0

    @property
    def maintainability_index(self) -> float:
        """Visual Studio's MI of the whole file (see ``maintainability_index``)."""
        return maintainability_index(self.halstead.volume, self.cyclomatic, self.code_lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "lines": self.lines,
            "code_lines": self.code_lines,
            "comment_lines": self.comment_lines,
            "comment_density": self.comment_density,
            "cyclomatic": self.cyclomatic,
            "maintainability_index": self.maintainability_index,
            "halstead": self.halstead.to_dict(),
            "has_errors": self.has_errors,
            "functions": [f.to_dict() for f in self.functions],
        }
