"""New review: paste code, upload files or an archive, or name a project's repository at a ref; start the analysis
through the API and watch it live (stages, progress, findings as they are found) until it ends."""

from __future__ import annotations

import json
import time
from typing import Any

import streamlit as st

from app.client import ApiClient, ApiError, SessionExpired
from app.session import call, can_write, client, expired, require_sign_in
from app.views import LANGUAGES, RECENT_KEY, finding_rows, language_of, ordered, severity_metrics

PAGE = "pages/review.py"
RESULTS_PAGE = "pages/results.py"
# The id of the analysis this page is watching (kept until its stream ends, so a rerun resumes watching), and how
# the last watched analysis ended (shown again on later reruns).
RUNNING_KEY = "review_running"
OUTCOME_KEY = "review_outcome"
SOURCES = ("Paste code", "Upload files", "Project repository")
NO_PROJECT = ""
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
STAGES = {
    "fetch": "Fetching the code",
    "discover": "Discovering files",
    "analyze": "Analyzing",
    "project": "Project-wide analyses",
    "ai": "AI review",
}
TABLE_REFRESH_SECONDS = 0.25
RECONNECTS = 3


def projects() -> dict[str, dict[str, Any]]:
    page = call(lambda api: api.get("/api/projects", limit=200), page=PAGE) or {}
    return {p["id"]: p for p in page.get("items", [])}


def options() -> dict[str, Any]:
    return {"ai": bool(st.session_state.get("review_ai"))}


def request_for(source: str, project_id: str | None) -> tuple[str, Any] | None:
    """What to send for the chosen source (``("json", body)`` or ``("archive", (name, bytes))``), or None after
    telling the user what is missing."""
    if source == "Paste code":
        code = st.session_state.get("review_code") or ""
        if not code.strip():
            st.info("Paste some code to review first.")
            return None
        body = {"kind": "snippet", "code": code, "language": st.session_state.get("review_language", "python")}
        return "json", {**body, "project_id": project_id, "options": options()}
    if source == "Upload files":
        uploads = st.session_state.get("review_upload") or []
        if not uploads:
            st.info("Upload source files or an archive to review first.")
            return None
        archives = [u for u in uploads if u.name.lower().endswith(ARCHIVE_SUFFIXES)]
        if archives:
            if len(uploads) > 1:
                st.error("Upload one archive, or source files without an archive.")
                return None
            return "archive", (archives[0].name, archives[0].getvalue(), archives[0].type)
        files = []
        for upload in uploads:
            try:
                files.append({"path": upload.name, "content": upload.getvalue().decode("utf-8")})
            except UnicodeDecodeError:
                st.error(f"{upload.name} is not UTF-8 text: upload source files, or an archive.")
                return None
        return "json", {"kind": "files", "files": files, "project_id": project_id, "options": options()}
    if project_id is None:
        st.info("Pick the project whose repository to review.")
        return None
    ref = (st.session_state.get("review_ref") or "").strip() or None
    return "json", {"kind": "repository", "project_id": project_id, "ref": ref, "options": options()}


def start(kind: str, payload: Any, project_id: str | None) -> str | None:
    """Start the analysis; its id (None after showing the API's error)."""

    def send(api: ApiClient) -> Any:
        if kind == "archive":
            name, content, media_type = payload
            data = {"options": json.dumps(options())}
            if project_id:
                data["project_id"] = project_id
            files = {"archive": (name, content, media_type or "application/octet-stream")}
            return api.post("/api/analyze/archive", None, files=files, data=data)
        return api.post("/api/analyze", payload)

    accepted = call(send, page=PAGE)
    return None if accepted is None else str(accepted["id"])


def remember(analysis_id: str, label: str) -> None:
    recent = [r for r in st.session_state.get(RECENT_KEY, []) if r["id"] != analysis_id]
    st.session_state[RECENT_KEY] = [{"id": analysis_id, "label": label}, *recent][:20]


def describe(source: str, project_id: str | None, known: dict[str, dict[str, Any]]) -> str:
    when = time.strftime("%H:%M:%S")
    if source == "Paste code":
        what = f"{st.session_state.get('review_language', 'python')} snippet"
    elif source == "Upload files":
        what = ", ".join(u.name for u in st.session_state.get("review_upload") or [])[:60]
    else:
        what = "repository"
    if project_id and project_id in known:
        what = f"{known[project_id]['name']}: {what}"
    return f"{when} · {what}"


def watch(analysis_id: str) -> dict[str, Any]:
    """Follow the analysis's events until it ends, drawing its stages, progress and findings as they come."""
    outcome: dict[str, Any] = {
        "id": analysis_id,
        "status": None,
        "stages": [],
        "findings": [],
        "notes": [],
        "error": None,
        "summary": None,
    }
    status = st.status("Queued: waiting for a worker…", expanded=True, state="running")
    progress = st.empty()
    notes = st.container()
    table = st.empty()
    last_id: str | None = None
    drawn = 0.0
    for attempt in range(RECONNECTS + 1):
        try:
            for event in client().stream(f"/api/analyze/{analysis_id}/stream", last_event_id=last_id):
                last_id = event.id or last_id
                data = event.data if isinstance(event.data, dict) else {}
                if _apply(event.event, data, outcome, status, progress, notes):
                    break
                if event.event == "finding" and time.monotonic() - drawn >= TABLE_REFRESH_SECONDS:
                    table.dataframe(finding_rows(ordered(outcome["findings"])), hide_index=True, width="stretch")
                    drawn = time.monotonic()
        except SessionExpired:
            expired(PAGE)
        except ApiError as err:
            if err.status != 0 or attempt == RECONNECTS:
                outcome["status"] = outcome["status"] or "unknown"
                outcome["error"] = outcome["error"] or err.message
                status.update(label="Lost track of the review", state="error")
                break
            continue
        if outcome["status"] is None:  # the stream ended without a last event: ask for the status
            state = call(lambda api: api.get(f"/api/analyze/{analysis_id}", limit=1), page=PAGE)
            analysis = (state or {}).get("analysis", {})
            if analysis.get("status") in ("queued", "running") and attempt < RECONNECTS:
                continue
            outcome["status"] = analysis.get("status", "unknown")
            outcome["error"] = analysis.get("error")
        break
    if outcome["findings"]:
        table.dataframe(finding_rows(ordered(outcome["findings"])), hide_index=True, width="stretch")
    return outcome


def _apply(kind: str, data: dict[str, Any], outcome: dict[str, Any], status: Any, progress: Any, notes: Any) -> bool:
    """Draw one event; True for the last one."""
    if kind == "queued":
        status.update(label="Queued: waiting for a worker…")
    elif kind == "started":
        status.update(label="Started…")
        outcome["stages"].append("Started")
        status.write("Started")
    elif kind == "stage":
        label = STAGES.get(str(data.get("stage")), str(data.get("stage")))
        outcome["stages"].append(label)
        status.update(label=f"{label}…")
        status.write(label)
    elif kind == "input":
        files, skipped = data.get("files") or 0, data.get("skipped") or []
        text = f"Input: {files} files" + (f", {len(skipped)} skipped" if skipped else "")
        if data.get("commit"):
            text += f" at commit {str(data['commit'])[:12]}"
        outcome["stages"].append(text)
        status.write(text)
    elif kind == "progress":
        done, total = int(data.get("done") or 0), int(data.get("total") or 0)
        stage = STAGES.get(str(data.get("stage")), str(data.get("stage")))
        where = f" · {data['path']}" if data.get("path") else ""
        progress.progress(min(1.0, done / total) if total else 1.0, text=f"{stage}: {done}/{total}{where}")
    elif kind == "finding":
        outcome["findings"].append(data)
    elif kind == "ai":
        text = f"AI review: {data.get('status')}, {data.get('findings_count', 0)} findings"
        outcome["stages"].append(text)
        status.write(text)
    elif kind == "ai_skipped":
        text = f"AI review skipped: {data.get('reason') or 'no AI provider answered'}"
        outcome["notes"].append(text)
        notes.info(text)
    elif kind == "done":
        outcome.update(status="completed", summary=data)
        status.update(label="Review complete", state="complete", expanded=False)
        progress.empty()
        return True
    elif kind == "failed":
        outcome.update(status="failed", error=data.get("error") or "the analysis failed")
        status.update(label="Review failed", state="error")
        return True
    elif kind == "cancelled":
        outcome.update(status="cancelled", error=data.get("reason") or "cancelled")
        status.update(label="Review cancelled", state="error")
        return True
    return False


def show_end(outcome: dict[str, Any], *, replay: bool) -> None:
    """How the watched analysis ended (``replay``: drawn again on a later rerun, not live)."""
    state = outcome["status"]
    if replay:
        label = {"completed": "Review complete", "failed": "Review failed", "cancelled": "Review cancelled"}
        with st.status(label.get(state, "Review ended"), state="complete" if state == "completed" else "error"):
            for line in outcome["stages"]:
                st.write(line)
        for note in outcome["notes"]:
            st.info(note)
    if state == "completed":
        summary = outcome.get("summary") or {}
        severity_metrics(summary.get("counts_by_severity") or {}, summary.get("findings_count"))
        if not outcome["findings"]:
            st.success("No findings: the review flags nothing.")
        elif replay:
            st.dataframe(finding_rows(ordered(outcome["findings"])), hide_index=True, width="stretch")
        st.caption(f"Analysis {outcome['id']}")
        if st.button("Open the results", type="primary", key="review_open_results", icon=":material/fact_check:"):
            st.session_state["analysis_id"] = outcome["id"]
            st.switch_page(RESULTS_PAGE)
    elif state == "failed":
        st.error(f"The review failed: {outcome.get('error')}")
    elif state == "cancelled":
        st.warning(f"The review was cancelled: {outcome.get('error')}")
    else:
        st.error(f"The review's outcome is unknown: {outcome.get('error')}")


require_sign_in(PAGE)
st.title("New review")
if not can_write():
    st.error("Starting a review needs the reviewer, experimenter or admin role; your account can read results only.")
    st.stop()

known = projects()
source = st.radio("What to review", SOURCES, horizontal=True, key="review_source")
project_ids = [NO_PROJECT, *known]
project_choice = st.selectbox(
    "Project",
    project_ids,
    help="Reviewing for a project applies its baseline, quality gate and triage; a repository review needs one.",
    format_func=lambda pid: "No project" if pid == NO_PROJECT else known[pid]["name"],
    key="review_project",
)
project_id = project_choice or None

if source == "Paste code":
    language = st.selectbox("Language", LANGUAGES, key="review_language")
    st.text_area("Code", height=260, placeholder="Paste the code to review", key="review_code")
    code = st.session_state.get("review_code") or ""
    if code.strip():
        st.caption("Preview")
        st.code(code, language=language, line_numbers=True)
elif source == "Upload files":
    uploads = st.file_uploader(
        "Source files, or one archive (.zip, .tar, .tar.gz, .tar.bz2, .tar.xz)",
        accept_multiple_files=True,
        key="review_upload",
    )
    for upload in uploads or []:
        if not upload.name.lower().endswith(ARCHIVE_SUFFIXES) and upload.size <= 200_000:
            with st.expander(upload.name):
                st.code(upload.getvalue().decode("utf-8", "replace"), language=language_of(upload.name, "text"))
else:
    if project_id is not None:
        repo = known[project_id].get("repo_url")
        st.caption(f"Repository: {repo}" if repo else "This project has no repository registered.")
        placeholder = f"default: {known[project_id].get('default_branch')}"
    else:
        placeholder = "default: the project's branch"
    st.text_input("Ref (branch, tag or commit)", placeholder=placeholder, key="review_ref")

st.toggle("AI review", key="review_ai", help="Add the AI review to the static rules (when a model provider answers).")

if st.button("Review", type="primary", key="review_start", icon=":material/play_arrow:"):
    wanted = request_for(source, project_id)
    if wanted is not None:
        started = start(*wanted, project_id)
        if started is not None:
            st.session_state[RUNNING_KEY] = started
            st.session_state.pop(OUTCOME_KEY, None)
            remember(started, describe(source, project_id, known))

running = st.session_state.get(RUNNING_KEY)
if running:
    cancel_slot = st.empty()
    cancel = cancel_slot.button("Cancel", key="review_cancel", icon=":material/cancel:")
    if cancel and call(lambda api: api.post(f"/api/analyze/{running}/cancel"), page=PAGE) is not None:
        st.info("Cancelling the review…")
    ended = watch(running)
    cancel_slot.empty()
    st.session_state[OUTCOME_KEY] = ended
    st.session_state.pop(RUNNING_KEY, None)
    if ended["status"] == "completed":
        st.session_state["analysis_id"] = running
    show_end(ended, replay=False)
elif OUTCOME_KEY in st.session_state:
    show_end(st.session_state[OUTCOME_KEY], replay=True)
