"""The architecture rules' metadata (project rules: reported by ``build_graph``, not by a per-file query)
and how their findings are made: located, with a fingerprint that survives edits elsewhere."""

from __future__ import annotations

import hashlib

from reviewlab.engine.architecture.report import ImportSite, ModuleNode
from reviewlab.engine.model import Category, Confidence, Finding, Related, Severity, Span
from reviewlab.engine.rules.base import Rule, RuleDocs

_LANGUAGES = ("python", "javascript", "java", "go")

CYCLE = Rule(
    id="GEN-A001",
    title="Import cycle between modules",
    category=Category.ARCHITECTURE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=1047,  # Modules with Circular Dependencies
    languages=_LANGUAGES,
    message="These modules import each other in a cycle.",
    docs=RuleDocs(
        what="Builds the graph of imports between the project's own modules (files; packages in Go) and reports "
        "each group of modules that import each other in a cycle, with one shortest cycle through it. Imports "
        "for type checking only (`if TYPE_CHECKING:`, TypeScript `import type`) do not count.",
        why="Modules in a cycle cannot be understood, tested, reused or released apart: a change to any of them "
        "may affect all of them. In Python a cycle also fails at import time depending on which module is "
        "imported first; in Go it does not compile.",
        example="# app/orders.py\nfrom app.customers import Customer\n\n"
        "# app/customers.py\nfrom app.orders import Order   # app/orders.py -> app/customers.py -> app/orders.py",
        use_instead="# app/model.py holds what both need\nfrom app.model import Customer, Order\n"
        "# or depend on an interface (Protocol) the lower module defines, and inject the implementation",
    ),
    project=True,
)

LAYERING = Rule(
    id="GEN-A002",
    title="Import across a forbidden layer boundary",
    category=Category.ARCHITECTURE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    # CWE-1054 (Invocation of a Control Element at an Unnecessarily Deep Horizontal Layer) is the CWE "Quality"
    # weakness about code reaching past the layer it should use; a configured `must_not_import` is exactly such
    # a boundary, so it is the closest fit.
    cwe=1054,
    languages=_LANGUAGES,
    message="This import crosses a layer boundary the project forbids.",
    docs=RuleDocs(
        what="Checks every import between the project's modules against the layers of "
        "`[[reviewlab.architecture.layers]]`: a module of a layer must not import a module of a layer its "
        "`must_not_import` names.",
        why="Layering keeps dependencies pointing one way: the domain does not know the web framework or the "
        "database, so it can be tested and changed alone. One shortcut import is enough to tie the layers "
        "together again.",
        example='# .reviewlab.toml: [[reviewlab.architecture.layers]] name = "domain", paths = ["app/domain/"], '
        'must_not_import = ["api"]\n# app/domain/orders.py\nfrom app.api.schemas import OrderIn',
        use_instead="# app/domain/orders.py takes plain values; app/api converts its schemas to them\n"
        "from app.domain.values import OrderLines",
    ),
    project=True,
)

GOD_MODULE = Rule(
    id="GEN-A003",
    title="God module: too many dependencies or too many lines",
    category=Category.ARCHITECTURE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    # CWE-1048 (Invokable Control Element with Large Number of Outward Calls) is excessive fan-out, the
    # main criterion here; CWE-1080 (Source Code File with Excessive Number of Lines of Code) covers the size one.
    cwe=1048,
    languages=_LANGUAGES,
    message="This module depends on too many modules or is too long.",
    docs=RuleDocs(
        what="Flags a module (a Go package) that imports more project modules than `max_fan_out` (default 20), "
        "is imported by more than `max_fan_in` (off by default: widely used, stable modules are normal) or has "
        "more than `max_lines` lines (default 1000), from `[reviewlab.architecture]`.",
        why="A module that knows most of the project does too many things: every change elsewhere may break "
        "it, and it is hard to understand and test on its own.",
        example="# app/services.py: imports 25 of the project's modules and is 2400 lines long",
        use_instead="# one module per responsibility: app/billing.py, app/shipping.py, app/notifications.py",
    ),
    project=True,
)

RULES = (CYCLE, LAYERING, GOD_MODULE)


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _finding(
    rule: Rule, path: str, span: Span, snippet: str, message: str, fingerprint: str, related: tuple[Related, ...] = ()
) -> Finding:
    return Finding(
        rule_id=rule.id,
        category=rule.category,
        severity=rule.severity,
        confidence=rule.confidence,
        cwe=rule.cwe,
        path=path,
        span=span,
        snippet=snippet,
        message=message,
        fingerprint=fingerprint,
        related=related,
    )


def cycle_finding(path: list[str], sites: list[ImportSite], members: list[str]) -> Finding:
    """GEN-A001 for the cycle ``path`` (first module repeated last) whose edge ``i`` is imported at
    ``sites[i]``, in a strongly connected component of ``members``."""
    first = sites[0]
    message = f"Import cycle: {' -> '.join(path)}."
    if len(members) > len(path) - 1:
        message += (
            f" It is one of the cycles among {len(members)} modules that all depend on each other; break them together."
        )
    related = tuple(
        Related(site.path, site.span, f"{path[i]} imports {path[i + 1]}: `{site.text}`")
        for i, site in enumerate(sites)
        if i > 0
    )
    fingerprint = _fingerprint(CYCLE.id, first.path, _normalised(first.text), "\x1e".join(members))
    return _finding(CYCLE, first.path, first.span, first.text, message, fingerprint, related)


def layering_finding(layer: str, forbidden: list[str], site: ImportSite, occurrence: int) -> Finding:
    """GEN-A002 at an import statement of a ``layer`` module that imports modules of the ``forbidden`` layers;
    ``occurrence`` counts earlier findings on the same text in the same file."""
    message = f"{layer} must not import {', '.join(forbidden)}: `{site.text}`"
    fingerprint = _fingerprint(LAYERING.id, site.path, _normalised(site.text), str(occurrence))
    return _finding(LAYERING, site.path, site.span, site.text, message, fingerprint)


def god_module_finding(module: ModuleNode, excesses: list[str]) -> Finding:
    """GEN-A003 at line 1 of the module, naming each limit it exceeds."""
    kind = "package" if module.id != module.path else "module"
    message = f"`{module.id}` is a god {kind}: {'; '.join(excesses)}."
    fingerprint = _fingerprint(GOD_MODULE.id, module.path, module.id)
    return _finding(GOD_MODULE, module.path, Span(1, 1, 1, 1), "", message, fingerprint)
