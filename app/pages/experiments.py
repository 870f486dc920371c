"""The model lab (experimenters and admins): candidates V1/V2/V3, evaluations side by side, promotion through the
gate (or past it, with a reason), quarantine, and the lifecycle's history.

Everything comes from ``/api/models`` as the signed-in user; anyone else gets the API's refusal on the page.
A failed evaluation is shown as failed with its error, never as a score of zero.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st

from app.session import LAB_ROLES, call, require_sign_in, role

PAGE = "pages/experiments.py"
CATEGORIES = ("security", "quality", "performance", "architecture")
VERSION_OF_STAGE = {"experimental": "V1", "production": "V2", "quarantined": "V3", "blacklisted": "V3-blacklisted"}
DECISION_KEY = "experiments_decision"
QUARANTINED_KEY = "experiments_quarantined"
PENDING_PROMOTION = "experiments_pending_promotion"
PENDING_QUARANTINE = "experiments_pending_quarantine"


def mlflow_ui() -> str:
    """Where MLflow's UI is served (``MLFLOW_UI_URL``; ``make run`` serves it on port 5000)."""
    return os.environ.get("MLFLOW_UI_URL", "http://127.0.0.1:5000").rstrip("/")


def run_link(run_id: str | None) -> str | None:
    """MLflow 3's UI opens a run by id alone (``#/runs/<id>`` redirects to the run in its experiment)."""
    return f"{mlflow_ui()}/#/runs/{run_id}" if run_id else None


def when(moment: str | None) -> str | None:
    """An API timestamp as ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    if not moment:
        return None
    return str(moment).replace("T", " ")[:19]


def ratio(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f}"


def percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f} s"


def table(data: Any, key: str, **options: Any) -> None:
    """A read-only table in a container keyed ``key`` (tests and e2e find it by that key)."""
    with st.container(key=key):
        st.dataframe(data, hide_index=True, width="stretch", **options)


def failed_evaluation(name: str, dataset_version: str) -> dict[str, Any] | None:
    """The newest evaluation of ``name`` on the dataset when it failed (the API's listings keep succeeded ones)."""
    detail = call(lambda api: api.get(f"/api/models/{name}"), page=PAGE, quiet=True)
    if not detail:
        return None
    for evaluation in detail.get("evaluations", []):  # newest first
        if evaluation.get("dataset_version") == dataset_version and evaluation.get("status") != "running":
            return evaluation if evaluation.get("status") == "failed" else None
    return None


def evaluation_status(evaluation: dict[str, Any] | None, failed: dict[str, Any] | None) -> str:
    if evaluation is not None:
        return "succeeded"
    if failed is not None:
        return f"failed: {failed.get('error') or 'no reason recorded'}"
    return "not evaluated"


def candidates_table(listing: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The candidates with their latest scores on the current dataset; returns each one's failed evaluation."""
    version = listing["dataset_version"]
    production = listing.get("production")
    failures: dict[str, dict[str, Any] | None] = {}
    rows = []
    for model in listing["models"]:
        latest = model.get("latest_evaluation")
        failed = None if latest is not None else failed_evaluation(model["name"], version)
        failures[model["name"]] = failed
        metrics = (latest or {}).get("metrics") or {}
        rows.append(
            {
                "Production": "★" if model["name"] == production else "",
                "Model": model["name"],
                "Version": model["version"],
                "Stage": model["stage"],
                "Kind": model["kind"],
                "Config hash": model["config_hash"],
                "F1": ratio(metrics.get("f1")),
                "FPR (clean)": percent(metrics.get("false_positive_rate")),
                "p95 latency": seconds(metrics.get("latency_p95_s")),
                "Evaluation": evaluation_status(latest, failed),
                "Evaluated at": when((latest or failed or {}).get("finished_at")),
            }
        )
    if production:
        st.markdown(f"Production (V2): **{production}**")
    else:
        st.markdown("No configuration is in production: reviews use the engine's defaults.")
    st.caption(f"Latest scores on the current dataset, version `{version}`.")
    frame = pd.DataFrame(rows)
    if frame.empty:
        st.info("No candidates: add a YAML file to the experiments directory's `candidates/`.")
        return failures

    def highlight(row: pd.Series) -> list[str]:
        style = "background-color: rgba(33, 195, 84, 0.18); font-weight: 600" if row["Production"] else ""
        return [style] * len(row)

    table(frame.style.apply(highlight, axis=1), "candidates_table")
    return failures


def compare_section(listing: dict[str, Any], failures: dict[str, dict[str, Any] | None]) -> None:
    names = [model["name"] for model in listing["models"]]
    if not names:
        return
    datasets = call(lambda api: api.get("/api/models/datasets"), page=PAGE) or []
    versions = [entry["version"] for entry in datasets] or [listing["dataset_version"]]
    current = listing["dataset_version"]
    labels = {
        entry[
            "version"
        ]: f"{entry['version']} ({entry.get('cases', '?')} cases{', current' if entry['current'] else ''})"
        for entry in datasets
    }
    default = [listing["production"]] if listing.get("production") in names else names[:1]
    chosen = st.multiselect("Models to compare", names, default=default, key="compare_models")
    dataset = st.selectbox(
        "Dataset version",
        versions,
        index=versions.index(current) if current in versions else 0,
        format_func=lambda v: labels.get(v, v),
        key="compare_dataset",
    )
    if not chosen:
        st.info("Choose one or more models to compare their evaluations.")
        return
    compared = call(lambda api: api.get("/api/models/evaluations", models=chosen, dataset=dataset), page=PAGE)
    if not compared:
        return
    version = compared["dataset_version"]
    st.markdown(f"Dataset version `{version}`")
    overall, per_category, links = [], [], []
    for entry in compared["models"]:
        evaluation = entry.get("evaluation")
        failed = None
        if evaluation is None:
            failed = failures.get(entry["model"]) if version == current else None
            failed = failed or failed_evaluation(entry["model"], version)
        metrics = (evaluation or {}).get("metrics") or {}
        shown = evaluation or failed or {}
        run_url = run_link(shown.get("mlflow_run_id"))
        overall.append(
            {
                "Model": entry["model"],
                "Version": entry["version"],
                "Status": evaluation_status(evaluation, failed),
                "F1": metrics.get("f1"),
                "Precision": metrics.get("precision"),
                "Recall": metrics.get("recall"),
                "FPR (clean)": metrics.get("false_positive_rate"),
                "p50 latency (s)": metrics.get("latency_p50_s"),
                "p95 latency (s)": metrics.get("latency_p95_s"),
                "Error rate": metrics.get("error_rate"),
                "Cases": metrics.get("cases"),
                "Tokens": metrics.get("tokens"),
                "Cost (USD)": metrics.get("cost_usd"),
                "MLflow run": run_url,
            }
        )
        if failed is not None:
            st.error(f"{entry['model']}: the evaluation failed — {failed.get('error') or 'no reason recorded'}")
        elif evaluation is None:
            st.info(f"{entry['model']} has not been evaluated on dataset {version}.")
        for category in CATEGORIES:
            scores = (metrics.get("per_category") or {}).get(category)
            if scores is not None:
                per_category.append({"Model": entry["model"], "Category": category, "F1": scores.get("f1")})
        if run_url:
            links.append(f"- {entry['model']}: [MLflow run `{shown['mlflow_run_id'][:12]}`]({run_url})")
    table(
        pd.DataFrame(overall),
        "compare_overall_table",
        column_config={"MLflow run": st.column_config.LinkColumn("MLflow run", display_text="open run")},
    )
    if per_category:
        long = pd.DataFrame(per_category)
        st.markdown("**F1 per category**")
        wide = long.pivot_table(index="Model", columns="Category", values="F1", aggfunc="first", dropna=False)
        table(wide.reset_index(), "compare_categories_table")
        st.bar_chart(long.dropna(subset=["F1"]), x="Category", y="F1", color="Model", stack=False)
    if links:
        st.markdown("MLflow runs:\n" + "\n".join(links))


def show_decision(decision: dict[str, Any]) -> None:
    name, outcome = decision["model"], decision["outcome"]
    if outcome == "promoted":
        st.success(f"{name} was promoted: it is now {decision['version']} ({decision['stage']}).")
    elif outcome == "forced":
        st.warning(
            f"{name} was promoted past the gate (forced): it is now {decision['version']} ({decision['stage']}). "
            f"Reason: {decision.get('reason')}"
        )
    else:
        st.error(f"The gate refused {name}: it stays {decision['version']} ({decision['stage']}).")
    if decision.get("problem"):
        st.error(decision["problem"])
    for side in ("candidate", "production"):
        brief = decision.get(side) or {}
        if brief.get("status") == "failed":
            st.error(f"The {side}'s evaluation failed: {brief.get('error') or 'no reason recorded'}")
    against = decision.get("production_model")
    st.caption(
        f"Dataset `{decision['dataset_version']}`; "
        + (f"compared with production {against}." if against else "nothing in production to compare with.")
    )
    checks = decision.get("checks") or []
    if checks:
        lines = [
            f"- {'✅ passed' if check['passed'] else '❌ failed'} — **{check['name']}**: {check['detail']}"
            for check in checks
        ]
        st.markdown("Gate checks:\n" + "\n".join(lines))
        table(
            pd.DataFrame(
                [
                    {
                        "Check": check["name"],
                        "Result": "passed" if check["passed"] else "failed",
                        "Detail": check["detail"],
                        "Candidate": check.get("candidate"),
                        "Production": check.get("production"),
                        "Limit": check.get("limit"),
                    }
                    for check in checks
                ]
            ),
            "decision_checks_table",
        )


def promote_section(listing: dict[str, Any]) -> None:
    st.subheader("Promote to production (V1 → V2)")
    decision = st.session_state.get(DECISION_KEY)
    if decision:
        show_decision(decision)
    candidates = [model["name"] for model in listing["models"] if model["stage"] == "experimental"]
    if not candidates:
        st.info("No V1 candidate to promote.")
        return
    name = st.selectbox("Candidate", candidates, key="promote_model")
    reason = st.text_input("Reason (recorded with the decision)", key="promote_reason").strip()
    force = st.checkbox("Force past the gate (needs a reason)", key="promote_force")
    if st.button("Promote", key="promote_button"):
        if force and not reason:
            st.error("A forced promotion needs a reason: say why the gate is overridden.")
        else:
            st.session_state[PENDING_PROMOTION] = {"model": name, "reason": reason or None, "force": force}
    pending = st.session_state.get(PENDING_PROMOTION)
    if not pending:
        return
    how = "past the gate (forced)" if pending["force"] else "through the gate"
    st.warning(
        f"Promote **{pending['model']}** {how}? It is evaluated with production on the current dataset "
        "and, if it passes, every next analysis reviews with it."
    )
    confirm, cancel = st.columns(2)
    if cancel.button("Cancel", key="promote_cancel"):
        st.session_state.pop(PENDING_PROMOTION, None)
        st.rerun()
    if confirm.button("Confirm promotion", type="primary", key="promote_confirm"):
        st.session_state.pop(PENDING_PROMOTION, None)
        body = {"reason": pending["reason"], "force": pending["force"]}
        with st.spinner(f"Evaluating {pending['model']} and running the gate…"):
            answer = call(lambda api: api.post(f"/api/models/{pending['model']}/promote", body), page=PAGE)
        if answer is not None:
            st.session_state[DECISION_KEY] = answer
            st.rerun()


def quarantine_section(listing: dict[str, Any]) -> None:
    st.subheader("Quarantine (→ V3)")
    record = st.session_state.get(QUARANTINED_KEY)
    if record:
        restored = f"; {record['restored']} is production again" if record.get("restored") else ""
        st.success(f"{record['model']} was quarantined (V3){restored}. Reason: {record['reason']}")
    names = [model["name"] for model in listing["models"] if model["stage"] in ("experimental", "production")]
    if not names:
        st.info("No configuration to quarantine.")
        return
    name = st.selectbox("Configuration", names, key="quarantine_model")
    reason = st.text_area("Reason (required)", key="quarantine_reason").strip()
    if st.button("Quarantine", key="quarantine_button"):
        if not reason:
            st.error("A quarantine needs a reason: say why this configuration is taken out.")
        else:
            st.session_state[PENDING_QUARANTINE] = {"model": name, "reason": reason}
    pending = st.session_state.get(PENDING_QUARANTINE)
    if not pending:
        return
    st.warning(
        f"Quarantine **{pending['model']}**? It moves to V3; if it is production, the previous production "
        "configuration comes back."
    )
    confirm, cancel = st.columns(2)
    if cancel.button("Cancel", key="quarantine_cancel"):
        st.session_state.pop(PENDING_QUARANTINE, None)
        st.rerun()
    if confirm.button("Confirm quarantine", type="primary", key="quarantine_confirm"):
        st.session_state.pop(PENDING_QUARANTINE, None)
        body = {"reason": pending["reason"]}
        answer = call(lambda api: api.post(f"/api/models/{pending['model']}/quarantine", body), page=PAGE)
        if answer is not None:
            st.session_state[QUARANTINED_KEY] = answer
            st.rerun()


def actor_name(actor: str | None, me: dict[str, Any]) -> str:
    if actor is None:
        return "platform"
    return "you" if actor == me.get("id") else actor


def stage_label(stage: str | None) -> str:
    return "—" if stage is None else f"{VERSION_OF_STAGE.get(stage, stage)} {stage}"


def history_section(listing: dict[str, Any], me: dict[str, Any]) -> None:
    names = ["(all)", *[model["name"] for model in listing["models"]]]
    chosen = st.selectbox("Configuration", names, key="history_model")
    model = None if chosen == "(all)" else chosen
    st.subheader("Lifecycle history")
    history = call(lambda api: api.get("/api/models/history", model=model), page=PAGE)
    if history is not None:
        if history:
            table(
                pd.DataFrame(
                    [
                        {
                            "At": when(t["at"]),
                            "Model": t["model"],
                            "From": stage_label(t.get("from_stage")),
                            "To": stage_label(t["to_stage"]),
                            "Reason": t["reason"],
                            "Actor": actor_name(t.get("actor"), me),
                            "Manual": t["manual"],
                            "Config hash": t["config_hash"],
                        }
                        for t in history
                    ]
                ),
                "history_table",
            )
        else:
            st.info("No stage changes yet.")
    st.subheader("Quarantine records")
    records = call(lambda api: api.get("/api/models/quarantine", model=model), page=PAGE)
    if records is not None:
        if records:
            table(
                pd.DataFrame(
                    [
                        {
                            "At": when(r["at"]),
                            "Model": r["model"],
                            "Status": r["status"],
                            "Reason": r["reason"],
                            "Restored": r.get("restored"),
                            "Actor": actor_name(r.get("actor"), me),
                            "Manual": r["manual"],
                            "Failed re-evaluations": r["failures"],
                            "Re-evaluations": len(r.get("re_evaluations") or []),
                            "Closed at": when(r.get("closed_at")),
                        }
                        for r in records
                    ]
                ),
                "quarantine_records_table",
            )
        else:
            st.info("No quarantine records.")


me = require_sign_in(PAGE)
st.title("Experiments")
st.caption("Review configurations: V1 experimental, V2 production, V3 quarantined.")
listing = call(lambda api: api.get("/api/models"), page=PAGE)
if listing is None:
    if role() not in LAB_ROLES:
        st.info(f"The model lab is for experimenters and admins; you are signed in as a {role()}.")
    st.stop()
candidates_tab, compare_tab, actions_tab, history_tab = st.tabs(
    ["Candidates", "Compare evaluations", "Promote / quarantine", "History"]
)
with candidates_tab:
    failures = candidates_table(listing)
with compare_tab:
    compare_section(listing, failures)
with actions_tab:
    promote_section(listing)
    st.divider()
    quarantine_section(listing)
with history_tab:
    history_section(listing, me)
