"""The ``providers`` schema: the provider chain, users' encrypted API keys, health, quotas and AI usage."""

from __future__ import annotations

from reviewlab.providerstore.errors import (
    InvalidKey,
    InvalidQuota,
    KeyUnreadable,
    ProviderStoreError,
    UnknownProvider,
    UnknownUser,
)
from reviewlab.providerstore.ledger import SqlLedger, quotas_config, reported_only
from reviewlab.providerstore.models import ANY_PROVIDER, HealthState, Period
from reviewlab.providerstore.repository import (
    CostSummary,
    HealthRow,
    KeyInfo,
    ProviderInfo,
    ProviderStore,
    Quota,
    Totals,
    UsageRow,
)

__all__ = [
    "ANY_PROVIDER",
    "CostSummary",
    "HealthRow",
    "HealthState",
    "InvalidKey",
    "InvalidQuota",
    "KeyInfo",
    "KeyUnreadable",
    "Period",
    "ProviderInfo",
    "ProviderStore",
    "ProviderStoreError",
    "Quota",
    "SqlLedger",
    "Totals",
    "UnknownProvider",
    "UnknownUser",
    "UsageRow",
    "quotas_config",
    "reported_only",
]
