"""The Streamlit face: the entry point routes to the snippet page, which reviews what is pasted."""

from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from tests.faces.conftest import REPO_ROOT

ENTRY_POINT = REPO_ROOT / "app" / "main.py"


@pytest.fixture
def app() -> AppTest:
    app = AppTest.from_file(str(ENTRY_POINT), default_timeout=30)
    app.run()
    assert not app.exception
    return app


def review(app: AppTest, language: str, code: str) -> AppTest:
    app.selectbox(key="language").select(language)
    app.text_area(key="code").input(code)
    app.button(key="review").click().run()
    assert not app.exception
    return app


def test_snippet_page_is_the_default_page(app: AppTest) -> None:
    assert [title.value for title in app.title] == ["Review a snippet"]
    assert app.selectbox(key="language").options == ["python", "javascript", "typescript", "java", "go"]


def test_a_finding_appears_as_a_row(app: AppTest) -> None:
    review(app, "python", "eval(input())\n")

    [table] = app.dataframe
    assert table.value.to_dict("records") == [
        {
            "line": 1,
            "severity": "high",
            "rule": "PY-S001",
            "message": "`eval` receives code from input() (line 1).",
            "CWE": "CWE-95",
        }
    ]
    metrics = {metric.label: metric.value for metric in app.metric}
    assert (metrics["Findings"], metrics["High"], metrics["Critical"]) == ("1", "1", "0")


def test_no_findings_says_so(app: AppTest) -> None:
    review(app, "python", "total = 1 + 2\n")

    assert not app.dataframe
    assert [s.value for s in app.success] == ["No findings: the static rules flag nothing in this snippet."]


def test_syntax_errors_are_shown(app: AppTest) -> None:
    review(app, "python", "def broken(:\n")

    assert any("syntax error" in warning.value for warning in app.warning)


def test_empty_snippet_asks_for_code(app: AppTest) -> None:
    review(app, "python", "   \n")

    assert not app.dataframe
    assert not app.success
    assert [i.value for i in app.info] == ["Paste some code to review first."]


def test_usage_statistics_are_off() -> None:
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))

    assert config["browser"]["gatherUsageStats"] is False
