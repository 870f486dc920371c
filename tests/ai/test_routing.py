"""Model routing by task (the seed's table 7.3): recommended model, alternative when it is missing, overrides."""

from __future__ import annotations

import pytest

from reviewlab.ai.base import Health, ProviderUnavailable, TaskKind
from reviewlab.ai.config import AIConfig
from reviewlab.ai.routing import DEFAULT_ROUTES, Router

SEED_TABLE = {
    TaskKind.CODE_REVIEW: ("codellama:34b", "deepseek-coder:33b"),
    TaskKind.SECURITY: ("codellama:34b", "llama3:70b"),
    TaskKind.ARCHITECTURE: ("llama3:70b", "mixtral:8x7b"),
    TaskKind.QUICK: ("codellama:7b", "mistral:7b"),
}


def pulled(router: Router, *models: str, provider: str = "ollama") -> None:
    router.observe(Health(provider, ok=True, latency_s=0.01, models=models))


def test_the_ollama_defaults_are_the_seeds_table() -> None:
    router = Router()
    for task, models in SEED_TABLE.items():
        assert router.candidates("ollama", task) == models


def test_every_default_route_names_every_task() -> None:
    for provider in ("ollama", "openai", "anthropic"):
        assert set(DEFAULT_ROUTES[provider]) == set(TaskKind), provider


@pytest.mark.parametrize(("task", "models"), SEED_TABLE.items(), ids=lambda v: str(v))
def test_the_recommended_model_when_it_is_pulled(task: TaskKind, models: tuple[str, str]) -> None:
    router = Router()
    pulled(router, *models)
    assert router.choose("ollama", task) == models[0]


@pytest.mark.parametrize(("task", "models"), SEED_TABLE.items(), ids=lambda v: str(v))
def test_the_alternative_when_the_recommended_model_is_missing(task: TaskKind, models: tuple[str, str]) -> None:
    router = Router()
    pulled(router, models[1], "nomic-embed-text:latest")
    assert router.choose("ollama", task) == models[1]


def test_unknown_availability_routes_to_the_recommended_model() -> None:
    router = Router()
    assert router.choose("ollama", TaskKind.ARCHITECTURE) == "llama3:70b"
    router.observe(Health("ollama", ok=False, latency_s=1.0, detail="connection refused"))
    assert router.choose("ollama", TaskKind.ARCHITECTURE) == "llama3:70b"
    assert router.available("ollama") is None


def test_a_name_without_tag_is_the_latest_tag() -> None:
    router = Router({"ollama": {TaskKind.QUICK: ("phi3", "mistral:7b")}})
    pulled(router, "phi3:latest")
    assert router.choose("ollama", TaskKind.QUICK) == "phi3"


def test_none_of_the_routed_models_available_is_a_declared_failure() -> None:
    router = Router()
    pulled(router, "qwen2.5-coder:7b")
    with pytest.raises(ProviderUnavailable) as caught:
        router.choose("ollama", TaskKind.CODE_REVIEW)
    assert caught.value.message == (
        "none of the models routed for code_review is available (codellama:34b, deepseek-coder:33b); "
        "it has qwen2.5-coder:7b"
    )


def test_the_providers_own_default_comes_after_the_table() -> None:
    router = Router(provider_defaults={"ollama": "qwen2.5-coder:7b"})
    assert router.candidates("ollama", TaskKind.CODE_REVIEW) == (
        "codellama:34b",
        "deepseek-coder:33b",
        "qwen2.5-coder:7b",
    )
    pulled(router, "qwen2.5-coder:7b")
    assert router.choose("ollama", TaskKind.CODE_REVIEW) == "qwen2.5-coder:7b"


def test_a_provider_without_routes_runs_the_first_model_it_reports() -> None:
    router = Router()
    assert router.choose("huggingface", TaskKind.QUICK) == ""  # the provider's own default model
    pulled(router, "/models/tiny-coder", "/models/other", provider="huggingface")
    assert router.choose("huggingface", TaskKind.QUICK) == "/models/tiny-coder"


def test_cloud_defaults() -> None:
    router = Router()
    assert router.choose("openai", TaskKind.SECURITY) == "gpt-4o-mini"
    assert router.choose("anthropic", TaskKind.ARCHITECTURE) == "claude-3-5-haiku-latest"


def test_a_config_override_replaces_one_cell_only() -> None:
    config = AIConfig.from_table(
        {"routing": {"ollama": {"security": "llama3:70b"}, "openai": {"architecture": ["gpt-4o"]}}}
    )
    router = Router(config.routing)
    assert router.candidates("ollama", TaskKind.SECURITY) == ("llama3:70b",)
    assert router.candidates("ollama", TaskKind.CODE_REVIEW) == SEED_TABLE[TaskKind.CODE_REVIEW]
    assert router.choose("openai", TaskKind.ARCHITECTURE) == "gpt-4o"
    assert router.choose("openai", TaskKind.QUICK) == "gpt-4o-mini"


def test_overrides_can_route_a_provider_without_defaults() -> None:
    router = Router({"huggingface": {TaskKind.CODE_REVIEW: ("/models/coder",)}})
    assert router.choose("huggingface", TaskKind.CODE_REVIEW) == "/models/coder"


def test_a_newer_health_check_replaces_what_was_known() -> None:
    router = Router()
    pulled(router, "codellama:34b")
    pulled(router, "deepseek-coder:33b")
    assert router.choose("ollama", TaskKind.CODE_REVIEW) == "deepseek-coder:33b"
    router.forget("ollama")
    assert router.choose("ollama", TaskKind.CODE_REVIEW) == "codellama:34b"
