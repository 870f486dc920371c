"""New review: start an analysis through the API and watch it live (stages, findings), for writers only."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from app.client import ApiClient
from app.navigation import visible_pages
from app.session import CLIENT_KEY

PAGE = "pages/review.py"
VULNERABLE = "import os\nos.system(input())\n"


def review(app: AppTest) -> AppTest:
    app.button(key="review_start").click().run()
    assert not app.exception
    return app


def paste(app: AppTest, code: str, language: str = "python") -> AppTest:
    app.selectbox(key="review_language").select(language)
    app.text_area(key="review_code").input(code)
    return review(app)


def api_of(app: AppTest) -> ApiClient:
    return app.session_state[CLIENT_KEY]


def texts(elements: Any) -> list[str]:
    return [element.value for element in elements]


def test_a_snippet_is_reviewed_live_and_opens_in_the_results(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    assert [t.value for t in app.title] == ["New review"]
    assert app.selectbox(key="review_language").options == ["python", "javascript", "typescript", "java", "go"]

    paste(app, VULNERABLE)

    [status] = app.status
    assert (status.label, status.state) == ("Review complete", "complete")
    assert [child.value for child in status.children.values()] == ["Started", "Analyzing"]
    [table] = app.dataframe
    [row] = table.value.to_dict("records")
    assert (row["severity"], row["file"], row["line"], row["CWE"]) == ("high", "snippet.py", 2, "CWE-78")
    assert "os.system" in row["message"]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert (metrics["Findings"], metrics["High"], metrics["Critical"]) == ("1", "1", "0")
    analysis_id = app.session_state["analysis_id"]
    assert api_of(app).get(f"/api/analyze/{analysis_id}")["analysis"]["status"] == "completed"
    assert "review_cancel" not in {button.key for button in app.button}  # gone once the review ended

    app.button(key="review_open_results").click().run()

    assert [t.value for t in app.title] == ["Review results"]
    assert app.text_input(key="results_id").value == analysis_id
    [started] = app.selectbox(key="results_recent").options  # offered again among this session's reviews
    assert started.endswith(" · python snippet")


def test_a_clean_snippet_with_the_ai_unavailable_says_so_and_stays_on_reruns(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("experimenter", PAGE)
    app.toggle(key="review_ai").set_value(True)

    paste(app, "total = 1 + 2\n")
    assert [s.value for s in app.success] == ["No findings: the review flags nothing."]
    [skipped] = texts(app.info)  # no model server answers in the tests
    assert skipped.startswith("AI review skipped: ")

    app.run()  # a rerun draws the ended review again, without starting or watching anything
    assert [s.value for s in app.success] == ["No findings: the review flags nothing."]
    [status] = app.status
    assert status.label == "Review complete"
    assert texts(app.info) == [skipped]


def test_empty_code_asks_for_code(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)

    paste(app, "  \n")

    assert [i.value for i in app.info] == ["Paste some code to review first."]
    assert not app.status
    assert "analysis_id" not in app.session_state


def test_the_apis_refusal_is_shown(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    project = api_of(app).post("/api/projects", {"name": "no repository"})
    app.run()
    app.radio(key="review_source").set_value("Project repository").run()
    app.selectbox(key="review_project").select(project["id"]).run()

    review(app)

    assert [e.value for e in app.error] == ["this project has no repository to review"]
    assert not app.status


def test_uploaded_files_and_archives_are_reviewed(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    app.radio(key="review_source").set_value("Upload files").run()
    files = [("app.py", VULNERABLE.encode(), "text/x-python"), ("util.py", b"x = 1\n", "text/x-python")]
    app.file_uploader(key="review_upload").set_value(files).run()
    assert [e.label for e in app.expander] == ["app.py", "util.py"]

    review(app)

    [status] = app.status
    assert status.state == "complete"
    assert [child.value for child in status.children.values()][:3] == ["Started", "Fetching the code", "Input: 2 files"]
    assert [(r["file"], r["line"]) for r in app.dataframe[0].value.to_dict("records")] == [("app.py", 2)]

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("src/run.py", VULNERABLE)
    app.file_uploader(key="review_upload").set_value(("code.zip", archive.getvalue(), "application/zip")).run()
    review(app)

    assert app.status[0].state == "complete"
    assert [(r["file"], r["line"]) for r in app.dataframe[0].value.to_dict("records")] == [("src/run.py", 2)]


def test_a_failed_review_shows_its_reason(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("reviewer", PAGE)
    project = api_of(app).post("/api/projects", {"name": "gone", "repo_url": "https://127.0.0.1:9/missing.git"})
    app.run()
    app.radio(key="review_source").set_value("Project repository").run()
    app.selectbox(key="review_project").select(project["id"]).run()
    app.text_input(key="review_ref").input("main")

    review(app)

    [status] = app.status
    assert (status.label, status.state) == ("Review failed", "error")
    [error] = app.error
    assert error.value.startswith("The review failed: ")
    assert "analysis_id" not in app.session_state


def test_viewers_do_not_get_the_page(dashboard: Callable[..., AppTest]) -> None:
    app = dashboard("viewer")

    assert "pages/results.py" in visible_pages("viewer")  # the viewer's menu
    assert PAGE not in visible_pages("viewer")

    app = dashboard("viewer", PAGE)  # opened directly
    assert not app.exception
    assert texts(app.title) == ["New review"]
    assert texts(app.error) == [
        "Starting a review needs the reviewer, experimenter or admin role; your account can read results only."
    ]
    assert not app.text_area
    assert not app.button
