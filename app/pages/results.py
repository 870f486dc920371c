"""Review results: pick an analysis, read its summary (severity counts, quality gate, AI review), filter its
findings, and open one: its code with the line marked, its dataflow path, its fix as a diff, and its triage."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from app.client import ApiError, SessionExpired
from app.session import call, client, expired, require_sign_in
from app.views import (
    CATEGORIES,
    RECENT_KEY,
    SEVERITIES,
    TRIAGE_LABELS,
    TRIAGE_STATUSES,
    cwe_text,
    finding_code,
    finding_label,
    finding_rows,
    fix_diff,
    flow_path,
    gate_verdict,
    ordered,
    related_places,
    severity_metrics,
    triage_of,
)

PAGE = "pages/results.py"
PAGE_SIZE = 500  # the API's largest page
ANALYSIS_ID = re.compile(r"^[0-9a-f-]{1,36}$")
# The ``done`` event of completed analyses (gate verdict, AI status), by id: read once from the stream.
ENDINGS_KEY = "results_endings"
FLASH_KEY = "results_flash"
ACTIONS = (("accepted", "Accept"), ("false_positive", "False positive"), ("fixed", "Fixed"), ("open", "Reopen"))


def use(analysis_id: str | None) -> None:
    """Callback: show ``analysis_id``."""
    if analysis_id:
        st.session_state["results_id"] = analysis_id


def use_recent() -> None:
    use(st.session_state.get("results_recent"))


def use_version() -> None:
    use(st.session_state.get("results_version"))


def pick_analysis() -> str:
    """The analysis to show: the one New review stored, one started in this session, a project's version, or an
    id typed in."""
    stored = st.session_state.get("analysis_id")
    if stored and st.session_state.get("results_seen") != stored:
        st.session_state["results_seen"] = stored
        st.session_state["results_id"] = stored
    with st.expander("Find an analysis", expanded=not st.session_state.get("results_id")):
        recent = st.session_state.get(RECENT_KEY) or []
        if recent:
            labels = {r["id"]: r["label"] for r in recent}
            st.selectbox(
                "Started in this session",
                list(labels),
                index=None,
                format_func=lambda i: labels.get(i, i),
                placeholder="Choose a review you started",
                on_change=use_recent,
                key="results_recent",
            )
        page = call(lambda api: api.get("/api/projects", limit=200), page=PAGE) or {}
        known = {p["id"]: p["name"] for p in page.get("items", [])}
        project = st.selectbox(
            "Project",
            list(known),
            index=None,
            format_func=lambda i: known.get(i, i),
            placeholder="Choose a project" if known else "No projects",
            key="results_project",
        )
        if project:
            versions = call(lambda api: api.get(f"/api/projects/{project}/versions", limit=200), page=PAGE) or {}
            items = {v["session_id"]: v for v in versions.get("items", [])}
            if not items:
                st.caption("This project has no reviewed versions yet.")
            else:
                st.selectbox(
                    "Version",
                    list(items),
                    index=None,
                    format_func=lambda i: version_label(items[i]),
                    placeholder="Choose a reviewed version",
                    on_change=use_version,
                    key="results_version",
                )
    return (st.text_input("Analysis id", key="results_id", placeholder="the id New review gives") or "").strip()


def version_label(version: dict[str, Any]) -> str:
    gate = {True: "gate passed", False: "gate failed", None: "no gate"}[version.get("gate_passed")]
    where = version.get("ref") or "?"
    if version.get("commit"):
        where += f" @ {str(version['commit'])[:10]}"
    when = str(version.get("created_at", ""))[:16].replace("T", " ")
    return f"{when} · {where} · {version.get('findings_count', 0)} findings · {gate}"


def ending(analysis_id: str) -> dict[str, Any]:
    """The completed analysis's ``done`` event (its gate verdict and AI status), replayed from its stream once."""
    endings: dict[str, dict[str, Any]] = st.session_state.setdefault(ENDINGS_KEY, {})
    if analysis_id not in endings:
        found: dict[str, Any] = {}
        try:
            for event in client().stream(f"/api/analyze/{analysis_id}/stream"):
                if event.event == "done" and isinstance(event.data, dict):
                    found = event.data
        except SessionExpired:
            expired(PAGE)
        except ApiError as err:
            st.warning(f"The gate verdict and AI status are unavailable: {err.message}")
            return {}
        endings[analysis_id] = found
    return endings[analysis_id]


def summary(analysis_id: str, result: dict[str, Any]) -> None:
    totals = result.get("summary") or {}
    severity_metrics(totals.get("by_severity") or {}, totals.get("findings"))
    analysis = result["analysis"]
    facts = [f"{totals.get('files', 0)} files", f"{totals.get('lines', 0)} lines"]
    if totals.get("duration_seconds") is not None:
        facts.append(f"{float(totals['duration_seconds']):.2f} s")
    if analysis.get("commit"):
        facts.append(f"commit {str(analysis['commit'])[:12]}")
    if totals.get("rule_pack_version"):
        facts.append(f"rule pack {totals['rule_pack_version']}")
    st.caption(" · ".join(facts))
    end = ending(analysis_id)
    gate_verdict(end.get("gate"))
    ai = end.get("ai")
    if ai is None:
        st.markdown("**AI review:** not requested")
    else:
        st.markdown(f"**AI review:** {ai.get('status') or 'unknown'}")


def filters(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """The filter widgets; the API's query parameters they set."""
    first = st.columns(3)
    severity = first[0].multiselect("Severity", SEVERITIES, key="results_severity")
    category = first[1].multiselect("Category", CATEGORIES, key="results_category")
    status = first[2].multiselect(
        "Triage", TRIAGE_STATUSES, format_func=lambda s: TRIAGE_LABELS[s], key="results_status"
    )
    second = st.columns(3)
    cwes = sorted({int(f["cwe"]) for f in findings if f.get("cwe") is not None})
    cwe = second[0].selectbox("CWE", cwes, index=None, format_func=cwe_text, placeholder="Any", key="results_cwe")
    rule = second[1].text_input("Rule (id or prefix)", key="results_rule")
    path = second[2].text_input("File or directory", key="results_path")
    return {
        "severity": severity,
        "category": category,
        "status": status,
        "cwe": cwe,
        "rule": rule.strip(),
        "path": path.strip(),
    }


def select_row() -> None:
    """Callback of the table's row selection: select that finding (of the table as it was drawn)."""
    fingerprints = st.session_state.get("results_rows") or []
    table = st.session_state.get("results_table")
    rows = table["selection"]["rows"] if table is not None else []
    if rows and rows[0] < len(fingerprints):
        st.session_state["results_finding"] = fingerprints[rows[0]]


def triage_history(analysis_id: str, fingerprint: str) -> dict[str, Any] | None:
    """The finding's triage and its history (None when it was never triaged)."""
    try:
        answer: dict[str, Any] = client().get(f"/api/analyze/{analysis_id}/findings/{fingerprint}/triage")
    except SessionExpired:
        expired(PAGE)
        return None
    except ApiError as err:
        if err.status != 404:
            st.error(err.message)
        return None
    return answer


def detail(analysis_id: str, finding: dict[str, Any]) -> None:
    """One finding: what and where, its code, dataflow, fix, and triage."""
    st.subheader(f"{finding.get('rule_id')}: {finding.get('message')}")
    facts = [
        f"**{str(finding.get('severity', '')).capitalize()}**",
        str(finding.get("category", "")),
        f"confidence {finding.get('confidence')}",
    ]
    if finding.get("cwe") is not None:
        facts.append(f"[CWE-{finding['cwe']}](https://cwe.mitre.org/data/definitions/{finding['cwe']}.html)")
    facts.append(f"`{finding.get('path')}:{finding.get('start_line')}`")
    st.markdown(" · ".join(facts))
    finding_code(finding)
    flow_path(finding.get("flow") or [])
    fix_diff(finding.get("fix"))
    related_places(finding.get("related") or [])
    ai = finding.get("ai")
    if ai:
        score = "" if ai.get("score") is None else f", score {ai['score']}"
        st.caption(f"From the AI review: {ai.get('provider')} {ai.get('model')}{score}. {ai.get('reason') or ''}")
    triage(analysis_id, finding)


def triage(analysis_id: str, finding: dict[str, Any]) -> None:
    fingerprint = str(finding["fingerprint"])
    st.markdown("#### Triage")
    current = finding.get("triage") or {}
    line = f"Current triage: **{TRIAGE_LABELS.get(triage_of(finding), triage_of(finding))}**"
    if current.get("comment"):
        line += f" — {current['comment']}"
    st.markdown(line)
    with st.form("results_triage", clear_on_submit=True, border=False):
        comment = st.text_area("Comment", placeholder="Why (optional)", key="results_comment", max_chars=2000)
        columns = st.columns(len(ACTIONS))
        chosen = None
        for column, (status, label) in zip(columns, ACTIONS, strict=True):
            if column.form_submit_button(label, key=f"results_{status}", width="stretch"):
                chosen = status
    if chosen is not None:
        body = {"status": chosen, "comment": comment.strip() or None}
        path = f"/api/analyze/{analysis_id}/findings/{fingerprint}/triage"
        if call(lambda api: api.put(path, body), page=PAGE) is not None:
            st.session_state[FLASH_KEY] = f"Marked {TRIAGE_LABELS[chosen]}."
            st.rerun()
    history = triage_history(analysis_id, fingerprint)
    if history and history.get("history"):
        st.markdown("**History**")
        st.dataframe(
            [
                {
                    "when": str(h.get("at", ""))[:19].replace("T", " "),
                    "status": TRIAGE_LABELS.get(h.get("status"), h.get("status")),
                    "comment": h.get("comment") or "",
                    "by": h.get("actor_id") or "",
                }
                for h in reversed(history["history"])
            ],
            hide_index=True,
            width="stretch",
        )


require_sign_in(PAGE)
st.title("Review results")
analysis_id = pick_analysis()
if not analysis_id:
    st.info("Start a review on New review, or find an analysis above.")
    st.stop()
if not ANALYSIS_ID.fullmatch(analysis_id):
    st.error("An analysis id looks like 0b5c2d8e-…: lowercase hexadecimal digits and dashes.")
    st.stop()

overview = call(lambda api: api.get(f"/api/analyze/{analysis_id}", limit=PAGE_SIZE), page=PAGE)
if overview is None:
    st.stop()
state = overview["analysis"]
if state["status"] in ("queued", "running"):
    st.info(f"This review is still {state['status']} (stage: {state.get('stage') or 'waiting'}).")
    st.button("Refresh", key="results_refresh", icon=":material/refresh:")
    st.stop()
if state["status"] == "failed":
    st.error(f"This review failed: {state.get('error')}")
    st.stop()
if state["status"] == "cancelled":
    st.warning(f"This review was cancelled: {state.get('error') or 'by a user'}")
    st.stop()

flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    st.success(flash)
summary(analysis_id, overview)
st.divider()
st.markdown("### Findings")
chosen_filters = filters(overview["findings"])
pages = max(1, -(-int(overview["total"]) // PAGE_SIZE))
offset = 0
if any(chosen_filters.values()) or pages > 1:
    if pages > 1:
        offset = (int(st.number_input("Page", 1, pages, key="results_page")) - 1) * PAGE_SIZE
    query = {key: value for key, value in chosen_filters.items() if value not in (None, "", [])}
    query.update(limit=PAGE_SIZE, offset=offset)
    result = call(lambda api: api.get(f"/api/analyze/{analysis_id}", **query), page=PAGE)
    if result is None:
        st.stop()
else:
    result = overview
findings = [dict(f) for f in ordered(result["findings"])]
if not findings:
    st.success("No findings." if not any(chosen_filters.values()) else "No findings match these filters.")
    st.stop()
st.caption(
    f"{result['total']} findings match" + (f" (showing {len(findings)})" if result["total"] > len(findings) else "")
)
fingerprints = [str(f["fingerprint"]) for f in findings]
st.session_state["results_rows"] = fingerprints
st.dataframe(
    finding_rows(findings, triage=True),
    hide_index=True,
    width="stretch",
    on_select=select_row,
    selection_mode="single-row",
    key="results_table",
)
if st.session_state.get("results_finding") not in fingerprints:
    st.session_state.pop("results_finding", None)
by_fingerprint = {str(f["fingerprint"]): f for f in findings}
selected = st.selectbox(
    "Finding", fingerprints, format_func=lambda fp: finding_label(by_fingerprint[fp]), key="results_finding"
)
if selected is not None:
    detail(analysis_id, by_fingerprint[selected])
