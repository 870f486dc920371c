"""The AI orchestrator's configuration: the ``[reviewlab.ai]`` table of a project's ``.reviewlab.toml``.

Every value has a default (the seed's numbers); unknown keys are errors so a typo does not pass
silently. Durations are seconds, prices USD per million tokens. Example::

    [reviewlab.ai]
    chain = ["ollama", "huggingface", "openai", "anthropic"]   # fallback order
    models_refresh_s = 300           # how often a provider's model list (Health.models) is re-read

    [reviewlab.ai.providers.openai]
    enabled = true
    timeout_s = 30                   # caps every request's timeout for this provider
    [reviewlab.ai.providers.huggingface]
    default_model = "/models/starcoder2-3b"   # tried after the routed models

    [reviewlab.ai.retry]
    max_attempts = 3                 # per provider, first try included
    base_delay_s = 0.5
    max_delay_s = 8
    max_retry_after_s = 30           # a longer Retry-After gives the provider up at once
    budget_s = 60                    # no retry starts that would end later than this after the request

    [reviewlab.ai.breaker]           # seed 4.4
    failure_threshold = 5
    recovery_timeout_s = 60
    success_threshold = 3

    [reviewlab.ai.routing.ollama]    # seed 7.3; a cell replaces the default cell
    security = ["llama3:70b", "codellama:34b"]
    [reviewlab.ai.routing.openai]
    architecture = "gpt-4o"

    [reviewlab.ai.costs]
    backend = "auto"                 # "redis" when REDIS_URL is set, else "memory"
    default_cloud_price = { input = 30.0, output = 75.0 }   # for a cloud model missing from the table
    [reviewlab.ai.costs.prices]      # merged over the built-in table (reviewlab.ai.costs.DEFAULT_PRICES)
    "gpt-4o" = { input = 2.5, output = 10.0 }

    [reviewlab.ai.quotas]
    per_user = { max_usd_per_day = 2.0 }                 # every user's default
    users = { alice = { max_tokens_per_day = 2000000 } }
    providers = { openai = { max_usd_per_day = 20.0 } }

    [reviewlab.ai.cache]             # seed 8.2, L3
    backend = "auto"                 # "auto" | "memory" | "redis" | "off"
    ttl_s = 86400
    max_entries = 4096               # in-process cache only
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reviewlab.ai.base import ProviderKind, TaskKind
from reviewlab.ai.retry import RetryPolicy
from reviewlab.errors import ConfigError


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """Where a provider's class lives and what it needs; ``key_setting`` names the Settings field it requires."""

    name: str
    module: str
    class_name: str
    kind: ProviderKind
    key_setting: str | None = None


# The providers the configuration can name, in the seed's default fallback order (one line per provider).
PROVIDERS: Mapping[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec("ollama", "reviewlab.ai.providers.ollama", "OllamaProvider", ProviderKind.LOCAL),
        ProviderSpec("huggingface", "reviewlab.ai.providers.huggingface", "HuggingFaceProvider", ProviderKind.LOCAL),
        ProviderSpec("openai", "reviewlab.ai.providers.openai", "OpenAIProvider", ProviderKind.CLOUD, "openai_api_key"),
        ProviderSpec(
            "anthropic",
            "reviewlab.ai.providers.anthropic",
            "AnthropicProvider",
            ProviderKind.CLOUD,
            "anthropic_api_key",
        ),
    )
}


def _known_provider(name: str) -> str:
    if name not in PROVIDERS:
        raise ValueError(f"unknown provider {name!r}; use one of {', '.join(PROVIDERS)}")
    return name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    enabled: bool = True
    timeout_s: float | None = Field(default=None, gt=0)  # caps each request's timeout_s for this provider
    default_model: str | None = Field(default=None, min_length=1)  # tried after the routed models


class RetryConfig(_Strict):
    max_attempts: int = Field(default=3, ge=1, le=10)
    base_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=8.0, ge=0)
    max_retry_after_s: float = Field(default=30.0, ge=0)
    budget_s: float = Field(default=60.0, ge=0)

    def policy(self) -> RetryPolicy:
        return RetryPolicy(
            self.max_attempts, self.base_delay_s, self.max_delay_s, self.max_retry_after_s, self.budget_s
        )


class BreakerConfig(_Strict):
    failure_threshold: int = Field(default=5, ge=1)
    recovery_timeout_s: float = Field(default=60.0, ge=0)
    success_threshold: int = Field(default=3, ge=1)


class ModelPrice(_Strict):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class CostsConfig(_Strict):
    backend: Literal["auto", "memory", "redis"] = "auto"
    key_prefix: str = "reviewlab:ai:"
    prices: dict[str, ModelPrice] = Field(default_factory=dict)  # model name or prefix -> price, over the defaults
    # What a cloud model missing from the price table is charged: the dearest input and output prices of the
    # built-in table, so costs are not under-reported and a quota errs on the side of stopping early.
    default_cloud_price: ModelPrice = ModelPrice(input=30.0, output=75.0)
    retention_days: int = Field(default=8, ge=1)  # how long daily usage is kept


class QuotaLimit(_Strict):
    max_tokens_per_day: int | None = Field(default=None, ge=0)  # input + output tokens
    max_usd_per_day: float | None = Field(default=None, ge=0)

    @property
    def limited(self) -> bool:
        return self.max_tokens_per_day is not None or self.max_usd_per_day is not None


class QuotasConfig(_Strict):
    """Daily (UTC) limits, checked before each call; a call that would pass one goes to the next provider."""

    per_user: QuotaLimit = QuotaLimit()  # every user's limit unless ``users`` names them
    users: dict[str, QuotaLimit] = Field(default_factory=dict)
    providers: dict[str, QuotaLimit] = Field(default_factory=dict)

    @field_validator("providers")
    @classmethod
    def _providers(cls, value: dict[str, QuotaLimit]) -> dict[str, QuotaLimit]:
        for name in value:
            _known_provider(name)
        return value

    def for_user(self, user: str) -> QuotaLimit:
        return self.users.get(user, self.per_user)

    @property
    def any_user_limit(self) -> bool:
        return self.per_user.limited or any(limit.limited for limit in self.users.values())


class CacheConfig(_Strict):
    backend: Literal["auto", "memory", "redis", "off"] = "auto"  # auto: Redis when REDIS_URL is set
    ttl_s: float = Field(default=24 * 3600.0, gt=0)  # the seed's L3 TTL
    max_entries: int = Field(default=4096, ge=1)  # in-process cache: least recently used entries go first
    key_prefix: str = "model:"  # the seed's model:{hash}


DEFAULT_CHAIN: tuple[str, ...] = tuple(PROVIDERS)


class AIConfig(_Strict):
    """The whole ``[reviewlab.ai]`` table."""

    chain: tuple[str, ...] = DEFAULT_CHAIN
    providers: dict[str, ProviderConfig] = Field(default_factory=dict)
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    routing: dict[str, dict[TaskKind, tuple[str, ...]]] = Field(default_factory=dict)
    models_refresh_s: float = Field(default=300.0, ge=0)  # 0: never ask providers which models they have
    costs: CostsConfig = CostsConfig()
    quotas: QuotasConfig = QuotasConfig()
    cache: CacheConfig = CacheConfig()
    redis_timeout_s: float = Field(default=0.5, gt=0)  # per Redis command of the cache and the ledger

    @field_validator("chain")
    @classmethod
    def _chain(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            _known_provider(name)
        if len(set(value)) != len(value):
            raise ValueError("a provider is named twice")
        return value

    @field_validator("providers")
    @classmethod
    def _provider_names(cls, value: dict[str, ProviderConfig]) -> dict[str, ProviderConfig]:
        for name in value:
            _known_provider(name)
        return value

    @field_validator("routing", mode="before")
    @classmethod
    def _routing(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        cleaned: dict[Any, Any] = {}
        for provider, cells in value.items():
            _known_provider(provider)
            if isinstance(cells, Mapping):
                cells = {task: (models,) if isinstance(models, str) else models for task, models in cells.items()}
                for task, models in cells.items():
                    if not models or any(not isinstance(m, str) or not m.strip() for m in models):
                        raise ValueError(f"{provider}.{task}: give one or more model names")
            cleaned[provider] = cells
        return cleaned

    def provider(self, name: str) -> ProviderConfig:
        """The configuration of provider ``name`` (the defaults when the table does not mention it)."""
        return self.providers.get(name) or _DEFAULT_PROVIDER

    def enabled_chain(self) -> tuple[str, ...]:
        """The chain without the providers turned off."""
        return tuple(name for name in self.chain if self.provider(name).enabled)

    @classmethod
    def from_table(cls, table: Mapping[str, Any] | None, *, source: str = "[reviewlab.ai]") -> AIConfig:
        """Validate a parsed ``[reviewlab.ai]`` table (None: all defaults); problems are one ``ConfigError``."""
        try:
            return cls.model_validate(dict(table or {}))
        except ValidationError as err:
            problems = "; ".join(_problem(e["loc"], e["msg"]) for e in err.errors())
            raise ConfigError(f"invalid AI configuration in {source}: {problems}") from err


_DEFAULT_PROVIDER = ProviderConfig()


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    where = ".".join(["reviewlab.ai", *(str(part) for part in loc if part != "[key]")])
    return f"{where}: {message.removeprefix('Value error, ')}"
