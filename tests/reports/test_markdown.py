"""The Markdown report: summary tables, findings by file with links and code, escaping."""

from __future__ import annotations

import pytest

from reviewlab.engine.model import ReviewResult
from reviewlab.reports import markdown
from reviewlab.reports.mdsyntax import code_block, code_span, escape_text, link_target


@pytest.fixture
def text(review: ReviewResult) -> str:
    return markdown.render(review)


def test_summary_tables(text: str) -> None:
    assert "| Severity | Findings |" in text
    assert "| critical | 1 |\n| high | 2 |\n| medium | 1 |\n| low | 1 |\n| info | 0 |\n| **total** | 5 |" in text
    assert "| security | 3 |\n| quality | 1 |\n| performance | 1 |\n| architecture | 0 |" in text
    assert "**5 findings** in 3 files (31 lines)" in text


def test_findings_grouped_by_file_in_order(text: str) -> None:
    files = [line for line in text.splitlines() if line.startswith("### ")]
    assert files == ["### `app/main.py`", "### `src dir/naïve file.py`", "### `web/app.js`"]
    assert text.index("PY-S001") < text.index("PY-Q003")


def test_finding_heading_links_line_and_cwe(text: str) -> None:
    assert (
        "#### [Line 2, column 7](src%20dir/na%C3%AFve%20file.py#L2) · **HIGH** · `PY-S001` · "
        "[CWE-95](https://cwe.mitre.org/data/definitions/95.html)"
    ) in text
    assert "#### [Line 1, column 1](src%20dir/na%C3%AFve%20file.py#L1) · **LOW** · `XX-P900`\n" in text


def test_message_is_escaped(text: str) -> None:
    assert "évaluer \\`données\\` \\| pipe and \\`\\`double\\`\\` ticks — ünïcödé ✓" in text


def test_snippet_in_a_language_fence(text: str) -> None:
    assert "```python\nok = «eval»(données)  # ✓\n```" in text
    assert "```javascript\nel.innerHTML = x;\n```" in text


def test_fix_is_shown_as_a_suggestion(text: str) -> None:
    suggestion = (
        "**Suggested fix:** Use ast.literal\\_eval\n\n"
        "Replace line 3, columns 5–9 with:\n\n```python\nast.literal_eval\n```"
    )
    assert suggestion in text
    assert "**Suggested fix:** Remove it\n\nDelete line 1, columns 1–18." in text


def test_diagnostics_table(text: str) -> None:
    assert "| Path | Line | Kind | Message |" in text
    assert "|  |  | no-files | no files to review |" in text
    assert (
        "| `app/broken.py` | 4 | syntax-error | syntax error near line 4; the parts that parse were analysed |" in text
    )


def test_empty_review() -> None:
    text = markdown.render(ReviewResult(root="/r", rule_pack_version="v", started_at=""))
    assert "No findings." in text
    assert "## Diagnostics\n\nNone." in text


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a | b", "a \\| b"),
        ("`x`", "\\`x\\`"),
        ("<script>", "\\<script\\>"),
        ("*bold* _it_ [link](u)", "\\*bold\\* \\_it\\_ \\[link\\](u)"),
        ("1. not a list", "1\\. not a list"),
        ("- not a bullet", "\\- not a bullet"),
        ("two\nlines", "two lines"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_escape_text(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`edge`", "`` `edge` ``"),
        ("a``b", "```a``b```"),
    ],
)
def test_code_span(raw: str, span: str) -> None:
    assert code_span(raw) == span


def test_code_span_in_table_escapes_pipes() -> None:
    assert code_span("a|b", in_table=True) == "`a\\|b`"


def test_code_block_outgrows_backtick_fences() -> None:
    assert code_block("x = '```'", "python") == "````python\nx = '```'\n````"


def test_link_target_encodes_spaces_and_parentheses() -> None:
    assert link_target("a b/(c).py", "L3") == "a%20b/%28c%29.py#L3"
