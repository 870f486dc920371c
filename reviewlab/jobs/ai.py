"""The AI review of an analysis as the platform runs it: for the user who started it.

The orchestrator gets the chain the platform's admins set (order and providers turned off, from the
``providers`` schema), the user's own cloud API keys (decrypted here, in the worker, and nowhere else;
a user's key takes the place of a server-wide one), the quotas stored for the user and for everyone, and
the database ledger, so each call's tokens and cost are kept per user, provider, model and day (what
``GET /api/providers/costs`` reports).
"""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import Engine

from reviewlab.ai.config import AIConfig
from reviewlab.ai.orchestrator import Orchestrator
from reviewlab.settings import Settings

KEY_SETTINGS = {"openai": "openai_api_key", "anthropic": "anthropic_api_key"}


def orchestrator_for(engine: Engine, settings: Settings, config: AIConfig, owner_id: str | None) -> Orchestrator:
    """An orchestrator for ``owner_id``'s analysis (the caller closes it)."""
    from reviewlab.providerstore import ProviderStore, SqlLedger, quotas_config
    from reviewlab.security.crypto import SecretBox

    store = ProviderStore(engine, SecretBox.from_settings(settings))
    chain = tuple(info.name for info in store.providers() if info.enabled and info.name in config.chain)
    config = config.model_copy(update={"chain": chain})
    if owner_id:
        keys = {name: store.reveal(owner_id, name) for name in KEY_SETTINGS}
        settings = settings.model_copy(update={KEY_SETTINGS[name]: SecretStr(key) for name, key in keys.items() if key})
        quotas = quotas_config(store.quotas(owner_id), owner_id, base=config.quotas)
        config = config.model_copy(update={"quotas": quotas})
    return Orchestrator.from_settings(settings, config, ledger=SqlLedger(engine))
