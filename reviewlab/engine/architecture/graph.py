"""Graph algorithms of the architecture review: strongly connected components and a shortest cycle.
Both are iterative (a chain of thousands of modules cannot reach the recursion limit) and deterministic
(successors are visited in the order given, sorted by the callers)."""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TypeVar

Node = TypeVar("Node", str, int)  # a module id, or its number


def strongly_connected(nodes: Iterable[str], successors: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The strongly connected components of the graph (Tarjan's algorithm with an explicit stack), each
    sorted, in the order Tarjan completes them."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> tuple[str, Iterator[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(successors.get(node, ()))

    for start in nodes:
        if start in index:
            continue
        work = [visit(start)]
        while work:
            node, pending = work[-1]
            for successor in pending:
                if successor not in index:
                    work.append(visit(successor))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def shortest_cycle(start: Node, successors: Mapping[Node, Sequence[Node]], members: set[Node]) -> list[Node]:
    """A shortest cycle through ``start`` inside ``members`` (breadth-first), as ``[start, ..., start]``;
    empty when there is none."""
    parent: dict[Node, Node] = {start: start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for successor in successors.get(node, ()):
            if successor == start:
                path: list[Node] = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                path.reverse()
                path.append(start)
                return path
            if successor in members and successor not in parent:
                parent[successor] = node
                queue.append(successor)
    return []


def strongly_connected_numbered(count: int, successors: Callable[[int], Sequence[int]]) -> Iterator[list[int]]:
    """:func:`strongly_connected` for nodes numbered ``0 .. count - 1``, with its state in arrays (a few bytes per
    node, for the graph of a large review): the same components, each sorted, in the same order."""
    unvisited = -1
    index = array("i", [unvisited]) * count
    low = array("i", [0]) * count
    on_stack = bytearray(count)
    stack: list[int] = []
    visited = 0
    for start in range(count):
        if index[start] != unvisited:
            continue
        work: list[tuple[int, Iterator[int]]] = []
        node: int | None = start
        while True:
            if node is not None:
                index[node] = low[node] = visited
                visited += 1
                stack.append(node)
                on_stack[node] = 1
                work.append((node, iter(successors(node))))
                node = None
            if not work:
                break
            current, pending = work[-1]
            for successor in pending:
                if index[successor] == unvisited:
                    node = successor
                    break
                if on_stack[successor]:
                    low[current] = min(low[current], index[successor])
            if node is not None:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack[member] = 0
                    component.append(member)
                    if member == current:
                        break
                yield sorted(component)
