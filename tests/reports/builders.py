"""Hand-built findings and reviews for the report tests."""

from __future__ import annotations

from reviewlab.engine.model import (
    Category,
    Confidence,
    Diagnostic,
    DiagnosticKind,
    FileRecord,
    Finding,
    Fix,
    Replacement,
    ReviewResult,
    Severity,
    Span,
)


def make_finding(
    rule_id: str = "PY-S001",
    path: str = "app/main.py",
    line: int = 3,
    *,
    category: Category = Category.SECURITY,
    severity: Severity = Severity.HIGH,
    cwe: int | None = 95,
    column: int = 5,
    end_column: int = 9,
    message: str = "`eval`/`exec` runs arbitrary code; never pass it data you do not control.",
    snippet: str = "x = eval(data)",
    fix: Fix | None = None,
    fingerprint: str = "f" * 32,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        category=category,
        severity=severity,
        confidence=Confidence.MEDIUM,
        cwe=cwe,
        path=path,
        span=Span(line, column, line, end_column),
        snippet=snippet,
        message=message,
        fingerprint=fingerprint,
        fix=fix,
    )


LITERAL_EVAL_FIX = Fix(
    "Use ast.literal_eval",
    (Replacement(Span(3, 5, 3, 9), "ast.literal_eval"),),
)


def sample_review() -> ReviewResult:
    """A review with fixed and unfixed findings, CWE and none, unicode, spaces in paths, and diagnostics."""
    findings = [
        make_finding(
            "PY-Q003",
            "app/main.py",
            10,
            category=Category.QUALITY,
            severity=Severity.MEDIUM,
            cwe=1121,
            column=5,
            end_column=10,
            message="`route` has cyclomatic complexity 12 (limit 10).",
            snippet="def route(x):",
        ),
        make_finding("PY-S001", "app/main.py", 3, fix=LITERAL_EVAL_FIX, fingerprint="a" * 32),
        make_finding(
            "PY-S001",
            "src dir/naïve file.py",
            2,
            column=7,
            end_column=11,
            message="évaluer `données` | pipe and ``double`` ticks — ünïcödé ✓",
            snippet="ok = «eval»(données)  # ✓",
            fingerprint="b" * 32,
        ),
        make_finding(
            "XX-P900",
            "src dir/naïve file.py",
            1,
            category=Category.PERFORMANCE,
            severity=Severity.LOW,
            cwe=None,
            column=1,
            end_column=2,
            message="not in the registry",
            snippet="",
            fingerprint="",
        ),
        make_finding(
            "XX-S999",
            "web/app.js",
            1,
            category=Category.SECURITY,
            severity=Severity.CRITICAL,
            cwe=79,
            message="critical one",
            snippet="el.innerHTML = x;",
            fix=Fix("Remove it", (Replacement(Span(1, 1, 1, 18), ""),)),
            fingerprint="c" * 32,
        ),
    ]
    return ReviewResult(
        root="/work/project with space",
        rule_pack_version="0.1.0+abcdef123456",
        started_at="2024-05-01T10:00:00+00:00",
        finished_at="2024-05-01T10:00:01.500000+00:00",
        duration_seconds=1.5,
        files=[
            FileRecord("src dir/naïve file.py", "python", 4, "1" * 64),
            FileRecord("app/main.py", "python", 20, "2" * 64, cached=True),
            FileRecord("web/app.js", "javascript", 7, "3" * 64),
        ],
        findings=findings,
        diagnostics=[
            Diagnostic(
                DiagnosticKind.SYNTAX_ERROR,
                "app/broken.py",
                "syntax error near line 4; the parts that parse were analysed",
                4,
            ),
            Diagnostic(DiagnosticKind.SKIPPED_BINARY, "img/logo.png", "binary file skipped"),
            Diagnostic(DiagnosticKind.NO_FILES, "", "no files to review"),
        ],
    )
