"""Which model each provider runs for each kind of task (the seed's table 7.3), configurable per cell.

Every (provider, task) cell holds candidate models in order of preference: the recommended model,
then its alternatives, then the provider's own default (``OLLAMA_MODEL``, a configured
``default_model``). The first candidate the provider has (its :class:`Health` ``models``, e.g. the
models pulled into Ollama) is chosen. While a provider's models are unknown (no health check yet, or
a provider that does not list them) the first candidate is used and the provider reports a missing
model itself. A provider without candidates (HuggingFace serving its local model directory) runs the
first model it reports, or, while that is unknown, ``""``: every provider reads an empty model name as
"your own default model" (``OLLAMA_MODEL``, ``REVIEWLAB_HF_MODEL``).

A cell of the configuration (``[reviewlab.ai.routing.ollama] security = ["llama3:70b"]``) replaces the
default cell; the other cells keep their defaults.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence

from reviewlab.ai.base import Health, ProviderUnavailable, TaskKind

Routes = Mapping[str, Mapping[TaskKind, Sequence[str]]]

DEFAULT_MODEL = ""  # the model argument that asks a provider for its own default model

_CODE, _SECURITY, _ARCHITECTURE, _QUICK = TaskKind.CODE_REVIEW, TaskKind.SECURITY, TaskKind.ARCHITECTURE, TaskKind.QUICK

DEFAULT_ROUTES: Routes = {
    "ollama": {
        _CODE: ("codellama:34b", "deepseek-coder:33b"),
        _SECURITY: ("codellama:34b", "llama3:70b"),
        _ARCHITECTURE: ("llama3:70b", "mixtral:8x7b"),
        _QUICK: ("codellama:7b", "mistral:7b"),
    },
    # No cells: the HuggingFace provider serves the local model directory it was configured with and
    # reports it in Health.models.
    "huggingface": {},
    # Cloud models cost the user money: the small, capable ones by default; configure larger ones per task.
    "openai": dict.fromkeys(TaskKind, ("gpt-4o-mini",)),
    "anthropic": dict.fromkeys(TaskKind, ("claude-3-5-haiku-latest",)),
}


def _same_model(name: str) -> str:
    """Ollama's ``llama3`` is ``llama3:latest``; other names compare as they are."""
    return name if ":" in name else f"{name}:latest"


class Router:
    """Chooses the model for a (provider, task) from the routes and the models each provider has."""

    def __init__(
        self,
        overrides: Routes | None = None,
        *,
        defaults: Routes = DEFAULT_ROUTES,
        provider_defaults: Mapping[str, str] | None = None,
    ) -> None:
        table: dict[str, dict[TaskKind, tuple[tuple[str, str], ...]]] = {}
        extra = provider_defaults or {}
        for provider in {*defaults, *(overrides or {}), *extra}:
            cells: dict[TaskKind, tuple[tuple[str, str], ...]] = {}
            for task in TaskKind:
                models = (overrides or {}).get(provider, {}).get(task)
                if models is None:
                    models = defaults.get(provider, {}).get(task, ())
                if provider in extra:
                    models = (*models, extra[provider])
                cells[task] = tuple((m, _same_model(m)) for m in dict.fromkeys(models))
            table[provider] = cells
        self._table = table
        self._available: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def candidates(self, provider: str, task: TaskKind) -> tuple[str, ...]:
        """The cell's models in order of preference (empty: the provider's first reported model)."""
        return tuple(m for m, _ in self._table.get(provider, {}).get(task, ()))

    def observe(self, health: Health) -> None:
        """Remember which models ``health.provider`` has; an unreachable provider or an empty list changes nothing."""
        if health.ok and health.models:
            with self._lock:
                self._available[health.provider] = (health.models, frozenset(map(_same_model, health.models)))

    def forget(self, provider: str) -> None:
        with self._lock:
            self._available.pop(provider, None)

    def available(self, provider: str) -> tuple[str, ...] | None:
        """The models ``provider`` last reported, or None when unknown."""
        known = self._available.get(provider)
        return None if known is None else known[0]

    def choose(self, provider: str, task: TaskKind) -> str:
        """The model to run; :class:`ProviderUnavailable` when the provider has none of the candidates."""
        cell = self._table.get(provider, {}).get(task, ())
        known = self._available.get(provider)
        if known is None:
            return cell[0][0] if cell else DEFAULT_MODEL
        models, same = known
        for model, key in cell:
            if key in same:
                return model
        if not cell:
            return models[0]
        raise ProviderUnavailable(
            provider,
            f"none of the models routed for {task.value} is available ({', '.join(m for m, _ in cell)}); "
            f"it has {_some(models)}",
        )


def _some(models: Iterable[str], limit: int = 5) -> str:
    names = list(models)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
