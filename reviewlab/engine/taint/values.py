"""What the dataflow knows about a local name besides its taint: a constant, or a container's parts.

A name's fact is one of:

* :class:`~reviewlab.engine.taint.core.Taint` — untrusted data (or, in a summary, a parameter);
* :class:`Const` — a value known when the code is read (``num = 86``, ``bar = "safe"``), so a
  branch on it can be folded and a sink fed with it is not reported;
* :class:`Seq` — a list whose elements are known one by one (``values = []; values.append(x)``),
  so ``values[1]`` after ``values.pop(0)`` is the element that is really there;
* :class:`Table` — a dict (or a ``configparser`` parser) filled at constant keys, so
  ``conf.get("s", "keyA")`` is the value stored under that key and not every value stored.

Absence from the environment means "clean, value unknown". :func:`merge` joins the facts of two
branches: taint wins, constants survive only when both branches agree.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from reviewlab.engine.taint.core import Taint, union


@dataclass(frozen=True, slots=True)
class Const:
    """A value known statically: ``str``, ``bytes``, ``int``, ``float``, ``bool``, ``None`` or a tuple of them."""

    value: object


@dataclass(frozen=True, slots=True)
class Seq:
    """A list whose elements are tracked one by one; ``None`` is a clean element of unknown value."""

    items: tuple[Fact | None, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A dict or config parser filled at constant keys; ``other`` is what was stored at unknown keys."""

    entries: tuple[tuple[Hashable, Fact | None], ...] = ()
    other: Taint | None = None
    sections: bool = False  # a ``configparser`` parser: keys are ``(section, option)``

    def get(self, key: Hashable) -> Fact | None:
        for stored, fact in self.entries:
            if stored == key:
                return fact
        return None

    def has(self, key: Hashable) -> bool:
        return any(stored == key for stored, _ in self.entries)

    def put(self, key: Hashable, fact: Fact | None) -> Table:
        entries = tuple((k, f) for k, f in self.entries if k != key)
        return Table((*entries, (key, fact)), self.other, self.sections)

    def drop(self, key: Hashable) -> Table:
        return Table(tuple((k, f) for k, f in self.entries if k != key), self.other, self.sections)

    def with_other(self, taint: Taint | None) -> Table:
        """The table after a store of ``taint`` at a key not known statically."""
        return Table(self.entries, union(self.other, taint), self.sections)

    def lookup(self, key: Hashable) -> Fact | None:
        """What reading ``key`` gives: its entry, or anything stored at an unknown key."""
        if not self.has(key):
            return self.other
        entry = self.get(key)
        return entry if self.other is None else union(taint_of(entry), self.other)


Fact = Taint | Const | Seq | Table

MAX_ITEMS = 64  # a container growing past this (a loop appending) is kept as its taint only


def taint_of(fact: Fact | None) -> Taint | None:
    """The taint a fact carries as a whole: a container is as tainted as its worst element."""
    if fact is None or isinstance(fact, Taint):
        return fact
    if isinstance(fact, Const):
        return None
    if isinstance(fact, Seq):
        result: Taint | None = None
        for item in fact.items:
            result = union(result, taint_of(item))
        return result
    result = fact.other
    for _, entry in fact.entries:
        result = union(result, taint_of(entry))
    return result


def merge(a: Fact | None, b: Fact | None) -> Fact | None:
    """The fact of a name after two paths that gave it ``a`` and ``b``."""
    if a is None or b is None:
        return taint_of(a if b is None else b)
    if a == b:
        return a
    if isinstance(a, Seq) and isinstance(b, Seq) and len(a.items) == len(b.items):
        return Seq(tuple(merge(x, y) for x, y in zip(a.items, b.items, strict=True)))
    if isinstance(a, Table) and isinstance(b, Table):
        keys = [k for k, _ in a.entries] + [k for k, _ in b.entries if not a.has(k)]
        entries = tuple((k, merge(a.get(k), b.get(k))) for k in keys)
        return Table(entries, union(a.other, b.other), a.sections)
    return union(taint_of(a), taint_of(b))


def summary_key(fact: Fact) -> Hashable:
    """What a loop's fixpoint compares of a fact."""
    if isinstance(fact, Taint):
        return (bool(fact.source), fact.sanitised, fact.params)
    if isinstance(fact, Const):
        return ("const", type(fact.value).__name__, repr(fact.value))
    if isinstance(fact, Seq):
        return ("seq", tuple(None if item is None else summary_key(item) for item in fact.items))
    return (
        "table",
        tuple((repr(k), None if f is None else summary_key(f)) for k, f in fact.entries),
        None if fact.other is None else summary_key(fact.other),
    )


def bounded(fact: Fact | None) -> Fact | None:
    """The fact, or its taint when a container has grown too large to track element by element."""
    if isinstance(fact, Seq) and len(fact.items) > MAX_ITEMS:
        return taint_of(fact)
    if isinstance(fact, Table) and len(fact.entries) > MAX_ITEMS:
        return taint_of(fact)
    return fact
