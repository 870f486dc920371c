"""The language-neutral part of taint analysis: what a tainted value is and how two combine.

Every language's dataflow (``python`` for Python, others beside it) answers a rule's question
"what reaches this sink?" with a :class:`Taint`; ``steps`` and the reports only read its source
label and the nodes it went through.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import tree_sitter

Node = tree_sitter.Node


@dataclass(frozen=True, slots=True)
class Taint:
    """Untrusted data: where it came from and the nodes it flowed through (source first).

    ``sanitised`` lists the sink classes (``spec.PATH``...) it has been made safe for; ``params``
    names the parameters it came from when a function is analysed for its summary.
    """

    source: str
    path: tuple[Node, ...]
    sanitised: frozenset[str] = frozenset()
    params: frozenset[str] = frozenset()

    @property
    def line(self) -> int:
        """The 1-based line of the source."""
        return self.path[0].start_point.row + 1 if self.path else 0

    def reaches(self, sink_class: str) -> bool:
        """Whether the data is still dangerous for a sink of ``sink_class``."""
        return bool(self.source) and sink_class not in self.sanitised

    def through(self, node: Node) -> Taint:
        return replace(self, path=(*self.path, node))


def union(a: Taint | None, b: Taint | None) -> Taint | None:
    """The taint of a value built from both: the less sanitised, with real sources winning."""
    if a is None:
        return b
    if b is None:
        return a
    if a.source and not b.source:
        chosen = a
    elif b.source and not a.source:
        chosen = b
    else:
        chosen = a if a.sanitised <= b.sanitised else b
    sanitised = a.sanitised & b.sanitised if a.source and b.source else chosen.sanitised
    return Taint(chosen.source, chosen.path, sanitised, a.params | b.params)
