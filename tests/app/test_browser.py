"""The dashboard in a real browser: ``streamlit run app/main.py`` against the live API, driven by Playwright in
headless Chromium (see ``tests/app/browser.py``).

- The issue's end-to-end: a reviewer signs in, pastes vulnerable code, watches the review complete, opens the
  results and marks the finding a false positive; the API agrees.
- Every page, as the admin sees it, renders its title without a Streamlit exception; with
  ``REVIEWLAB_SCREENSHOTS=1`` the full-page screenshots are written to ``docs/screenshots/`` (the README's),
  otherwise under the test's temporary directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from app.client import ApiClient
from app.views import finding_label, ordered
from tests.app.browser import chromium, streamlit_server
from tests.app.conftest import ADMIN_EMAIL, PASSWORD, LiveApi

pytestmark = pytest.mark.slow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
WAIT = 30_000  # ms: a rerun against the live API, or a review of a snippet
# Running ``os.system`` on a caller's string: command injection.
VULNERABLE = "import os\n\n\ndef run(cmd):\n    os.system(cmd)\n\n\nrun(input())\n"
ANALYSIS_CAPTION = re.compile(r"^Analysis ([0-9a-f-]{36})$")


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def settle(page: Any) -> None:
    """Wait for Streamlit's rerun to end (its "Running…" status widget gone) and check no exception was drawn."""
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=WAIT)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def title(page: Any, text: str) -> None:
    """Wait for the page's title (``st.title``: an h1) and for its run to end."""
    heading = page.locator("h1").filter(has_text=re.compile(f"^{re.escape(text)}$"))
    exception = page.get_by_test_id("stException")
    expect(heading.or_(exception).first).to_be_visible(timeout=WAIT)
    assert exception.count() == 0, f"waiting for {text!r}: {exception.first.inner_text()}"
    expect(heading).to_be_visible()
    settle(page)


def sign_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    title(page, "Sign in to reviewlab")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def open_page(page: Any, name: str) -> None:
    """Follow the sidebar's link to ``name`` (a reload would start a new, signed-out session)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=name).click()


def select(page: Any, label: str, option: str) -> None:
    """Choose ``option`` in the selectbox labelled ``label`` (a combobox: open its list, click the option)."""
    combobox = page.get_by_role("combobox", name=label, exact=True)
    choice = page.get_by_role("option").filter(has_text=option).first
    for _ in range(5):  # a click while Streamlit redraws the box can be lost: click again
        combobox.click()
        try:
            expect(choice).to_be_visible(timeout=3000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    choice.click()
    expect(combobox).to_have_value(option, timeout=WAIT)


def review_snippet(page: Any, code: str) -> str:
    """On New review: paste ``code``, start the review, wait for it to complete; the analysis id."""
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Code", exact=True).press("Control+Enter")  # commit the text area's value before clicking
    expect(page.get_by_text("Preview", exact=True)).to_be_visible(timeout=WAIT)
    settle(page)
    page.get_by_role("button", name="Review", exact=True).click()
    expect(page.get_by_text("Review complete")).to_be_visible(timeout=WAIT)
    caption = page.get_by_text(ANALYSIS_CAPTION)
    expect(caption).to_be_visible(timeout=WAIT)
    settle(page)
    found = ANALYSIS_CAPTION.match(caption.inner_text().strip())
    assert found is not None
    return found.group(1)


def findings_of(api: ApiClient, analysis_id: str) -> list[dict[str, Any]]:
    return [dict(f) for f in ordered(api.get(f"/api/analyze/{analysis_id}", limit=500)["findings"])]


def screenshot(page: Any, path: Path) -> None:
    """A full-page screenshot: Streamlit scrolls inside its main area, so grow the viewport to its height first."""
    height = page.evaluate(
        "() => Math.max(...['[data-testid=\"stMain\"]', '[data-testid=\"stMainBlockContainer\"]']"
        ".map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(int(height), 4000))})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    assert path.stat().st_size > 0


def test_a_reviewer_reviews_a_snippet_and_marks_its_finding_a_false_positive(live_api: LiveApi, tmp_path: Path) -> None:
    email = live_api.user("reviewer")
    with streamlit_server(live_api.url, tmp_path / "streamlit.log") as url, chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        sign_in(page, url, email)
        title(page, "New review")  # a reviewer lands on New review

        analysis_id = review_snippet(page, VULNERABLE)
        expect(page.get_by_test_id("stMetric").filter(has_text="Findings")).to_be_visible()

        page.get_by_role("button", name="Open the results").click()
        title(page, "Review results")
        expect(page.get_by_label("Analysis id", exact=True)).to_have_value(analysis_id)

        api = ApiClient(live_api.url)
        try:
            api.sign_in(email, PASSWORD)
            findings = findings_of(api, analysis_id)
            assert findings, "the snippet runs os.system on its input: the review must flag it"
            finding = findings[0]
            label = finding_label(finding)
            select(page, "Finding", label)
            settle(page)
            heading = page.locator("h3").filter(has_text=f"{finding['rule_id']}: ")
            expect(heading).to_be_visible()
            expect(page.get_by_text("Current triage: Open")).to_be_visible()

            comment = "run() is only called by the deploy script with a constant command"
            page.get_by_label("Comment", exact=True).fill(comment)
            page.get_by_role("button", name="False positive").click()
            expect(page.get_by_text("Marked False positive.")).to_be_visible(timeout=WAIT)
            settle(page)
            expect(page.get_by_text(f"Current triage: False positive — {comment}")).to_be_visible()

            triage = api.get(f"/api/analyze/{analysis_id}/findings/{finding['fingerprint']}/triage")
            assert triage["status"] == "false_positive"
            assert triage["comment"] == comment
            marked = {f["fingerprint"]: (f.get("triage") or {}).get("status") for f in findings_of(api, analysis_id)}
            assert marked[finding["fingerprint"]] == "false_positive"
            assert [fp for fp, status in marked.items() if status == "false_positive"] == [finding["fingerprint"]]
        finally:
            api.close()
        context.close()


def test_every_page_renders_for_the_admin_and_screenshots(
    live_api: LiveApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMLIT_CLIENT_TOOLBAR_MODE", "viewer")  # no developer menu or Deploy in the pictures
    if os.environ.get("REVIEWLAB_SCREENSHOTS") == "1":
        shots = SCREENSHOTS
        shots.mkdir(parents=True, exist_ok=True)
    else:
        shots = tmp_path / "screenshots"
        shots.mkdir()
    with streamlit_server(live_api.url, tmp_path / "streamlit.log") as url, chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(url)
        title(page, "Sign in to reviewlab")
        screenshot(page, shots / "sign-in.png")

        sign_in(page, url, ADMIN_EMAIL)
        title(page, "New review")
        review_snippet(page, VULNERABLE)
        screenshot(page, shots / "new-review.png")

        page.get_by_role("button", name="Open the results").click()
        title(page, "Review results")
        expect(page.get_by_text("Current triage:")).to_be_visible(timeout=WAIT)
        settle(page)
        # The finding's code, its line marked, and its dataflow (source to sink).
        expect(page.locator("mark").filter(has_text="os.system(cmd)")).to_be_visible()
        expect(page.get_by_text("[object Object]")).to_have_count(0)
        expect(page.get_by_text("Dataflow", exact=True)).to_be_visible()
        screenshot(page, shots / "results.png")

        for name, heading, file in (
            ("Projects", "Projects", "projects"),
            ("Trends", "Trends", "trends"),
            ("Experiments", "Experiments", "experiments"),
            ("Admin", "Administration", "admin"),
        ):
            open_page(page, name)
            title(page, heading)
            screenshot(page, shots / f"{file}.png")
        context.close()
    pages = {"sign-in", "new-review", "results", "projects", "trends", "experiments", "admin"}
    assert {f"{name}.png" for name in pages} <= {p.name for p in shots.glob("*.png")}
