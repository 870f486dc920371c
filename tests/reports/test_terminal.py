"""Terminal output: plain lines for pipes, and a deterministic rich summary."""

from __future__ import annotations

import io
from dataclasses import replace

from rich.console import Console

from reviewlab.engine.model import ReviewResult
from reviewlab.reports import terminal


def test_plain_lines(review: ReviewResult) -> None:
    assert terminal.render(review).splitlines() == [
        "app/main.py:3:5: HIGH PY-S001 `eval`/`exec` runs arbitrary code; never pass it data you do not control.",
        "app/main.py:10:5: MEDIUM PY-Q003 `route` has cyclomatic complexity 12 (limit 10).",
        "src dir/naïve file.py:1:1: LOW XX-P900 not in the registry",
        "src dir/naïve file.py:2:7: HIGH PY-S001 évaluer `données` | pipe and ``double`` ticks — ünïcödé ✓",
        "web/app.js:1:5: CRITICAL XX-S999 critical one",
        "reviewlab: DIAGNOSTIC no-files no files to review",
        "app/broken.py:4: DIAGNOSTIC syntax-error syntax error near line 4; the parts that parse were analysed",
        "img/logo.png: DIAGNOSTIC skipped-binary binary file skipped",
        "5 findings (1 critical, 2 high, 1 medium, 1 low) in 3 files (31 lines); 3 diagnostics.",
    ]


def test_clean_review_summary_line() -> None:
    review = ReviewResult(root="/r", rule_pack_version="v", started_at="")
    assert terminal.render(review) == "No findings in 0 files (0 lines).\n"


def render_summary(review: ReviewResult) -> str:
    out = io.StringIO()
    terminal.print_summary(review, Console(file=out, width=140))
    return out.getvalue()


def test_rich_summary_is_plain_and_deterministic(review: ReviewResult) -> None:
    text = render_summary(review)
    assert text == render_summary(review)
    assert "\x1b[" not in text
    for expected in ("Files", "Lines", "31", "Cache hits", "Diagnostics", "1.50 s", "By severity", "By category"):
        assert expected in text
    assert "Top findings (5 of 5)" in text
    top = [line for line in text.splitlines() if "PY-" in line or "XX-" in line]
    assert [line.split()[1] for line in top] == ["critical", "high", "high", "medium", "low"]


def test_rich_summary_shows_markup_literally(review: ReviewResult) -> None:
    review.findings[0] = replace(review.findings[0], message="[bold]x[/bold]")
    assert "[bold]x[/bold]" in render_summary(review)


def test_rich_summary_without_findings_has_no_top_table() -> None:
    text = render_summary(ReviewResult(root="/r", rule_pack_version="v", started_at=""))
    assert "Top findings" not in text


def test_rich_summary_shows_the_module_graph_size_and_cycles(review: ReviewResult) -> None:
    assert "Import cycles" not in render_summary(review)
    review.architecture = {"summary": {"modules": 12, "edges": 30, "cycles": 2}}
    text = render_summary(review)
    assert any("Modules (import edges)" in line and "12 (30)" in line for line in text.splitlines())
    assert any("Import cycles" in line and line.rstrip(" │").endswith("2") for line in text.splitlines())
