"""The dashboard's API client against the real API: sign-in with CSRF, readable problems, a transparent refresh,
an ended session, and the analysis stream parsed event by event."""

from __future__ import annotations

import pytest

from app.client import ApiClient, ApiError, SessionExpired, _events
from tests.app.conftest import PASSWORD, LiveApi


def test_sign_in_sets_the_session_and_state_changes_carry_the_csrf_header(live_api: LiveApi) -> None:
    api = ApiClient(live_api.url)
    email = live_api.user("reviewer")
    try:
        user = api.sign_in(email, PASSWORD)
        assert user["email"] == email
        assert api.role == "reviewer"
        assert api.me()["email"] == email
        created = api.post("/api/projects", {"name": "client-csrf"})  # refused with 403 without the header
        assert created["name"] == "client-csrf"
    finally:
        api.close()


def test_a_wrong_password_is_a_readable_error(live_api: LiveApi) -> None:
    api = ApiClient(live_api.url)
    try:
        with pytest.raises(ApiError) as caught:
            api.sign_in(live_api.user(), "not the password at all")
        assert caught.value.status == 401
        assert caught.value.message == "wrong email or password"
        assert not api.signed_in
    finally:
        api.close()


def test_validation_problems_name_the_field(live_api: LiveApi) -> None:
    api = live_api.client("reviewer")
    try:
        with pytest.raises(ApiError) as caught:
            api.post("/api/projects", {"name": ""})
        assert caught.value.status == 422
        assert "name" in caught.value.message
    finally:
        api.close()


def test_an_expired_access_token_is_refreshed_and_an_ended_session_says_so(live_api: LiveApi) -> None:
    api = live_api.client("reviewer")
    try:
        api._http.cookies.delete("access_token")  # as when the 15-minute access token has expired
        assert api.get("/api/auth/me")["role"] == "reviewer"  # refreshed once, transparently
        api._http.cookies.delete("access_token")
        api._http.cookies.delete("refresh_token")  # the whole session is gone
        with pytest.raises(SessionExpired):
            api.get("/api/auth/me")
        assert not api.signed_in
    finally:
        api.close()


def test_an_unreachable_api_is_a_readable_error() -> None:
    api = ApiClient("http://127.0.0.1:9")
    try:
        with pytest.raises(ApiError, match="The reviewlab API cannot be reached"):
            api.get("/api/projects")
    finally:
        api.close()


def test_the_analysis_stream_arrives_event_by_event(live_api: LiveApi) -> None:
    api = live_api.client("reviewer")
    try:
        started = api.post(
            "/api/analyze", {"kind": "snippet", "code": "import os\nos.system(input())\n", "language": "python"}
        )
        events = list(api.stream(f"/api/analyze/{started['id']}/stream"))
        names = [event.event for event in events]
        assert names[-1] == "done"
        findings = [event.data for event in events if event.event == "finding"]
        assert any(f["rule_id"] == "PY-S002" for f in findings)
        last = events[-1].id
        assert last is not None
        assert list(api.stream(f"/api/analyze/{started['id']}/stream", last_event_id=last)) == []  # resumed at the end
    finally:
        api.close()


def test_event_stream_parsing() -> None:
    lines = iter(
        [": keep-alive", "", "id: 1", "event: stage", 'data: {"stage": "analyze"}', "", "data: plain", "data: text", ""]
    )
    events = list(_events(lines))
    assert [(e.id, e.event, e.data) for e in events] == [
        ("1", "stage", {"stage": "analyze"}),
        ("1", "message", "plain\ntext"),
    ]
