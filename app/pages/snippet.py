"""Review a snippet: paste code, pick its language, see what the static engine finds."""

from typing import Any

import streamlit as st

from reviewlab.engine.model import ReviewResult, Severity
from reviewlab.engine.pipeline import review_snippet
from reviewlab.errors import InputError

LANGUAGES = ("python", "javascript", "typescript", "java", "go")


def finding_rows(result: ReviewResult) -> list[dict[str, Any]]:
    """The findings as table rows, most severe first, then by line."""
    ordered = sorted(result.findings, key=lambda f: (-f.severity.rank, f.span.start_line, f.rule_id))
    return [
        {
            "line": f.span.start_line,
            "severity": f.severity.value,
            "rule": f.rule_id,
            "message": f.message,
            "CWE": f"CWE-{f.cwe}" if f.cwe is not None else "",
        }
        for f in ordered
    ]


def show_result(result: ReviewResult) -> None:
    counts = result.counts_by_severity()
    columns = st.columns(2 + len(Severity))
    columns[0].metric("Findings", len(result.findings))
    columns[1].metric("Lines", result.lines)
    for column, severity in zip(columns[2:], Severity, strict=True):
        column.metric(severity.value.capitalize(), counts[severity.value])
    for diagnostic in result.diagnostics:
        st.warning(diagnostic.message)
    if result.findings:
        st.dataframe(finding_rows(result), hide_index=True, width="stretch")
    else:
        st.success("No findings: the static rules flag nothing in this snippet.")
    st.caption(f"Rule pack {result.rule_pack_version} · {result.duration_seconds:.3f} s")


st.title("Review a snippet")
language = st.selectbox("Language", LANGUAGES, key="language")
code = st.text_area("Code", height=280, placeholder="Paste the code to review", key="code")
if st.button("Review", type="primary", key="review"):
    if not code.strip():
        st.info("Paste some code to review first.")
    else:
        try:
            show_result(review_snippet(code, language))
        except InputError as err:
            st.error(str(err))
