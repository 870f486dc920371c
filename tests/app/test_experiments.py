"""The Experiments page against the live API: candidates, evaluations side by side, promotion, quarantine, history.

The lifecycle's state (what is production) is shared by every test of the process, so these tests do not depend
on their order: promotions and quarantines of their own use candidate files with unique names (and settings),
and a test that needs a given production arranges it first.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.navigation import visible_pages
from tests.app.conftest import LiveApi

PAGE = "pages/experiments.py"
LAB_CANDIDATES = {"static-default", "static-strict", "static-security", "llm-codellama-7b"}
_unique = itertools.count(5)


def candidate_file(live_api: LiveApi, *, worse: bool = False) -> str:
    """A new candidate in the lab with a unique name and config hash (rule options for languages the small
    Python dataset does not have): as good as static-default, or ``worse`` (security rules only)."""
    name = f"ui-{'worse' if worse else 'same'}-{secrets.token_hex(3)}"
    limit = next(_unique)
    select = "select: [PY-S, SEC-], " if worse else ""
    text = (
        f"name: {name}\n"
        f"rule_pack: {{{select}rules: {{JAVA-Q003: {{max_complexity: {limit}}}, "
        f"GO-Q003: {{max_complexity: {secrets.randbelow(90) + 5}}}}}}}\n"
    )
    (Path(live_api.settings.reviewlab_experiments_dir) / "candidates" / f"{name}.yaml").write_text(text)
    return name


def arrange_production(live_api: LiveApi) -> str:
    """Make a new candidate as good as static-default production (forced: whatever production is now)."""
    name = candidate_file(live_api)
    api = live_api.client("experimenter")
    try:
        arranged = api.post(f"/api/models/{name}/promote", {"reason": "arranged by the test", "force": True})
    finally:
        api.close()
    assert arranged["stage"] == "production"
    return name


def table(app: AppTest, key: str) -> pd.DataFrame:
    """The table in the container keyed ``<key>_table``."""
    return app.get_by_key(f"{key}_table").dataframe[0].value


def versions(app: AppTest) -> dict[str, str]:
    frame = table(app, "candidates")
    return dict(zip(frame["Model"], frame["Version"], strict=True))


def texts(elements: object) -> str:
    return "\n".join(str(element.value) for element in elements)  # type: ignore[attr-defined]


def test_the_candidates_table_lists_the_lab(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("experimenter", PAGE)

    assert not app.exception
    assert app.title[0].value == "Experiments"
    frame = table(app, "candidates")
    assert set(frame["Model"]) >= LAB_CANDIDATES
    assert set(frame.columns) >= {"Model", "Version", "Kind", "Config hash", "F1", "FPR (clean)", "p95 latency"}
    kinds = dict(zip(frame["Model"], frame["Kind"], strict=True))
    assert (kinds["static-default"], kinds["llm-codellama-7b"]) == ("static", "llm")
    assert all(len(h) == 16 for h in frame["Config hash"])
    assert set(frame["Version"]) <= {"V1", "V2", "V3", "V3-blacklisted"}


@pytest.mark.slow
def test_promoting_static_default_shows_the_checks_and_makes_it_v2(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    same = arrange_production(live_api)  # not static-default, and as good, whatever ran before
    app = dashboard("experimenter", PAGE)
    assert versions(app)["static-default"] == "V1"

    app.selectbox(key="promote_model").set_value("static-default").run()
    app.button(key="promote_button").click().run()
    assert "Promote **static-default**" in texts(app.warning)
    app.button(key="promote_confirm").click().run()

    assert not app.exception
    assert "static-default was promoted: it is now V2 (production)." in texts(app.success)
    checks = table(app, "decision_checks")
    assert len(checks) > 0
    assert set(checks["Result"]) == {"passed"}
    assert "✅ passed" in texts(app.markdown)
    assert versions(app)["static-default"] == "V2"
    assert "Production (V2): **static-default**" in texts(app.markdown)
    frame = table(app, "candidates")
    assert frame.loc[frame["Model"] == "static-default", "Production"].item() == "★"

    # Side by side with the candidate it replaced, on one dataset version, with the MLflow runs.
    app.multiselect(key="compare_models").set_value(["static-default", same]).run()
    overall = table(app, "compare_overall")
    assert list(overall["Model"]) == ["static-default", same]
    assert set(overall["Status"]) == {"succeeded"}
    assert (overall["F1"] == 1.0).all()
    assert overall["MLflow run"].str.contains(r"^http://127\.0\.0\.1:5000/#/runs/[0-9a-f]{32}$").all()
    categories = table(app, "compare_categories")
    assert {"security", "performance"} <= set(categories.columns)
    assert "Dataset version `" in texts(app.markdown)
    assert "[MLflow run `" in texts(app.markdown)


@pytest.mark.slow
def test_a_failed_evaluation_shows_as_failed_with_its_error(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("experimenter", PAGE)
    app.selectbox(key="promote_model").set_value("llm-codellama-7b").run()
    app.button(key="promote_button").click().run()
    app.button(key="promote_confirm").click().run()

    assert not app.exception
    errors = texts(app.error)
    assert "The gate refused llm-codellama-7b" in errors
    assert "The candidate's evaluation failed:" in errors
    assert "ollama" in errors
    frame = table(app, "candidates")
    row = frame.loc[frame["Model"] == "llm-codellama-7b"].iloc[0]
    assert row["Evaluation"].startswith("failed: ")
    assert "ollama" in row["Evaluation"]
    assert row["F1"] is None or pd.isna(row["F1"])  # never a zero score

    app.multiselect(key="compare_models").set_value(["llm-codellama-7b"]).run()
    overall = table(app, "compare_overall")
    assert overall["Status"].iloc[0].startswith("failed: ")
    assert pd.isna(overall["F1"].iloc[0])
    assert "llm-codellama-7b: the evaluation failed — " in texts(app.error)


@pytest.mark.slow
def test_quarantine_needs_a_reason_then_moves_to_v3_and_into_history(
    dashboard: Callable[..., AppTest], live_api: LiveApi
) -> None:
    name = candidate_file(live_api, worse=True)
    app = dashboard("experimenter", PAGE)
    assert versions(app)[name] == "V1"

    app.selectbox(key="quarantine_model").set_value(name).run()
    app.button(key="quarantine_button").click().run()
    assert "A quarantine needs a reason" in texts(app.error)
    assert not [b for b in app.button if b.key == "quarantine_confirm"]
    assert versions(app)[name] == "V1"

    app.text_area(key="quarantine_reason").input("misses performance findings").run()
    app.button(key="quarantine_button").click().run()
    app.button(key="quarantine_confirm").click().run()

    assert not app.exception
    assert f"{name} was quarantined (V3)" in texts(app.success)
    assert versions(app)[name] == "V3"
    history = table(app, "history")
    mine = history[history["Model"] == name]
    assert mine.iloc[0]["To"] == "V3 quarantined"
    assert mine.iloc[0]["Reason"] == "misses performance findings"
    assert mine.iloc[0]["Actor"] == "you"
    records = table(app, "quarantine_records")
    assert records.loc[records["Model"] == name, "Status"].item() == "open"


@pytest.mark.slow
def test_a_forced_promotion_needs_a_reason(dashboard: Callable[..., AppTest], live_api: LiveApi) -> None:
    arrange_production(live_api)  # a better production: the gate refuses the worse candidate
    name = candidate_file(live_api, worse=True)
    app = dashboard("experimenter", PAGE)
    app.selectbox(key="promote_model").set_value(name).run()
    app.checkbox(key="promote_force").check().run()
    app.button(key="promote_button").click().run()
    assert "A forced promotion needs a reason" in texts(app.error)
    assert not [b for b in app.button if b.key == "promote_confirm"]

    app.text_input(key="promote_reason").input("security triage first this week").run()
    app.button(key="promote_button").click().run()
    assert "past the gate (forced)" in texts(app.warning)
    app.button(key="promote_confirm").click().run()

    assert not app.exception
    assert f"{name} was promoted past the gate (forced)" in texts(app.warning)
    assert "❌ failed" in texts(app.markdown)
    assert "failed" in set(table(app, "decision_checks")["Result"])
    assert versions(app)[name] == "V2"


@pytest.mark.slow
def test_a_reviewer_does_not_get_the_page(dashboard: Callable[..., AppTest]) -> None:
    # Not in a reviewer's navigation (an experimenter's has it)...
    assert PAGE not in visible_pages("reviewer")
    assert PAGE in visible_pages("experimenter")

    # ...and opened directly, the page shows the API's refusal, readably, and nothing else.
    app = dashboard("reviewer", PAGE)
    assert not app.exception
    [error] = app.error
    assert error.value == "this needs one of the roles: admin, experimenter"
    assert "for experimenters and admins" in texts(app.info)
    assert not app.dataframe
    assert not app.tabs
