"""`reviewlab review --ai` and `reviewlab providers` end to end, against a loopback Ollama server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.settings import get_settings
from tests.ai.servers import Answer, FakeOllama, refused_url

CODE = (
    "import os\n\n\ndef run(name):\n    os.system('ls ' + name)\n    return eval(name)\n\n\n"
    "def slow(items):\n    return [x for x in items]\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "tool.py").write_text(CODE)
    return root


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeOllama]:
    with FakeOllama(models=("codellama:34b", "codellama:7b")) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        monkeypatch.setenv("REVIEWLAB_HOME", str(tmp_path / "home"))
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "REVIEWLAB_HF_MODEL", "REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


def test_review_ai_merges_model_findings_with_their_origin_and_cost(
    project: Path, ollama: FakeOllama, capsys: pytest.CaptureFixture[str]
) -> None:
    finding = {"line": 10, "severity": "low", "category": "performance", "message": "Copies the list for nothing."}
    ollama.script(
        Answer.json({"findings": [finding]}, input_tokens=300, output_tokens=40),
        Answer.json({"scores": [{"index": 0, "score": 8, "reason": "specific"}]}, input_tokens=120, output_tokens=9),
    )
    code = main(["review", str(project), "--ai", "--format", "json", "--no-store", "--no-cache"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert code == 0
    [ai_finding] = [f for f in data["findings"] if f["rule_id"] == "AI-REVIEW"]
    assert (ai_finding["start_line"], ai_finding["category"]) == (10, "performance")
    assert ai_finding["ai"]["provider"] == "ollama"
    assert ai_finding["ai"]["model"] == "codellama:34b"
    assert ai_finding["ai"]["score"] == 8.0
    assert any(f["rule_id"] == "PY-S001" for f in data["findings"])  # the static findings are all there
    assert data["ai"]["status"] == "complete"
    assert data["ai"]["totals"] == {
        "calls": 2,
        "input_tokens": 420,
        "output_tokens": 49,
        "latency_s": data["ai"]["totals"]["latency_s"],
        "cost_usd": 0.0,  # local models cost nothing
    }
    assert "AI review complete: 1 finding(s)" in captured.err
    # the review goes to the code-review model, the self-reflection to the quick-check model (seed table 7.3)
    assert [r.body["model"] for r in ollama.chat_requests()] == ["codellama:34b", "codellama:7b"]


def test_without_a_reachable_provider_the_static_review_completes_and_says_why(
    project: Path, ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", refused_url())
    get_settings.cache_clear()
    code = main(["review", str(project), "--ai", "--format", "markdown", "--no-store", "--no-cache"])
    captured = capsys.readouterr()
    assert code == 0
    assert "AI review unavailable: no AI provider could answer: ollama (codellama:34b): ProviderUnavailable" in (
        captured.err
    )
    assert "huggingface: ProviderUnavailable: no local model configured" in captured.err
    assert "## AI review" in captured.out
    assert "AI review was unavailable" in captured.out
    assert "`PY-S001`" in captured.out  # static findings reported as usual


def test_providers_shows_health_circuit_and_usage(ollama: FakeOllama, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["providers", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows] == ["ollama", "huggingface"]
    ollama_row = rows[0]
    assert (ollama_row["ok"], ollama_row["circuit"], ollama_row["kind"]) == (True, "closed", "local")
    assert set(ollama_row["models"]) == {"codellama:34b", "codellama:7b"}
    assert ollama_row["usage"]["calls"] == 0
    assert rows[1]["ok"] is False


def test_review_of_a_git_change_sends_only_its_hunks(
    tmp_path: Path, ollama: FakeOllama, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_gitdiff import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    untouched = "".join(f"def keep_{i}(value):\n    return value + {i}\n\n\n" for i in range(40))
    (repo / "lib.py").write_text(untouched)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    (repo / "lib.py").write_text(untouched + "def added(expr):\n    return eval(expr)\n")
    git(repo, "commit", "-q", "-am", "second")
    ollama.default = Answer.json({"findings": []})

    code = main(["review", str(repo), "--diff", "HEAD~1..HEAD", "--ai", "--format", "json", "--no-store"])
    data = json.loads(capsys.readouterr().out)

    assert code == 0
    [sent] = [r.body["messages"][-1]["content"] for r in ollama.chat_requests()]
    assert "def added(expr):" in sent
    assert "def keep_0(value):" not in sent  # far from the change: not sent
    assert data["ai"]["status"] == "complete"
    assert [f["rule_id"] for f in data["findings"]] == ["PY-S001"]
