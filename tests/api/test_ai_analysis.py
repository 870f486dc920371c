"""An analysis with the AI review, as the platform runs it: the chain the admins set, the user's own API key,
and the cost kept per user (the provider is a loopback server speaking OpenAI's protocol)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api.deps import Platform
from api.main import create_app
from reviewlab.accounts import Role
from reviewlab.settings import Settings
from tests.ai.completers import findings_json, item
from tests.ai.servers import Answer, FakeOpenAI, refused_url
from tests.api import Client, sign_ins
from tests.api.test_analyze import read_stream, start_snippet

USER_KEY = "sk-user-0123456789abcdefghijklmnop"


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.default = Answer(findings_json(item(1, message="eval of user input")), input_tokens=120)
        yield server


@pytest.fixture
def ai_app(tmp_path: Path, openai: FakeOpenAI, make_platform: Callable[..., Platform]) -> FastAPI:
    # Ollama is down (nothing listens), no local model, no server-wide OpenAI key: only a user's key can answer.
    settings = Settings(reviewlab_home=tmp_path / "home", ollama_host=refused_url(), openai_base_url=openai.base_url)
    return create_app(settings, platform=make_platform(settings))


@pytest.fixture
def ai_client(ai_app: FastAPI) -> Iterator[Callable[..., Client]]:
    with sign_ins(ai_app) as sign_in:
        yield sign_in


def ai_snippet(client: Client) -> list[dict[str, Any]]:
    session_id = start_snippet(client, code="eval(input())\n", options={"ai": True})
    return read_stream(client, session_id)


def test_the_users_own_key_answers_and_the_cost_is_theirs(ai_client: Callable[..., Client], openai: FakeOpenAI) -> None:
    user = ai_client()
    assert user.put("/api/providers/keys/openai", json={"key": USER_KEY}).status_code == 200

    events = ai_snippet(user)

    kinds = [e["event"] for e in events]
    assert kinds[-1] == "done"
    assert "ai" in kinds, kinds
    assert openai.chat_requests()
    assert {FakeOpenAI.sent_key(r) for r in openai.chat_requests()} == {USER_KEY}
    costs = user.get("/api/providers/costs").json()
    assert costs["by_provider"]["openai"]["requests"] == len(openai.chat_requests())
    assert costs["total"]["input_tokens"] >= 120
    assert user.get("/api/providers/keys").json()[0]["last_used_at"] is not None


def test_without_a_key_the_ai_review_is_skipped_with_its_reason(
    ai_client: Callable[..., Client], openai: FakeOpenAI
) -> None:
    user = ai_client()

    events = ai_snippet(user)

    skipped = [e for e in events if e["event"] == "ai_skipped"]
    assert skipped
    assert skipped[0]["data"]["reason"]
    assert events[-1]["event"] == "done"  # the static review still completes
    assert not openai.chat_requests()


def test_a_provider_the_admins_turned_off_is_not_called(ai_client: Callable[..., Client], openai: FakeOpenAI) -> None:
    admin, user = ai_client(Role.ADMIN), ai_client()
    user.put("/api/providers/keys/openai", json={"key": USER_KEY})
    assert admin.put("/api/providers/chain/openai", json={"enabled": False, "priority": 2}).status_code == 200

    events = ai_snippet(user)

    assert "ai_skipped" in [e["event"] for e in events]
    assert not openai.chat_requests()
