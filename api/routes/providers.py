"""``/api/providers``: the AI provider chain and its health, users' own API keys, quotas and costs.

A key goes in once and never comes out: answers show it masked (``sk-…abcd``), the database holds it
encrypted (AES-GCM, bound to the user and provider), and the audit log records that it changed, not
what it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from http import HTTPStatus
from typing import Annotated

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from api.auditing import audit
from api.deps import AdminUser, CurrentUser, PlatformDep, Services, ServicesDep
from api.problems import ProblemError
from api.routing import ApiRouter, WorkerThreadRoute, in_worker_thread
from reviewlab.accounts import Role
from reviewlab.providerstore import ANY_PROVIDER, Period, Totals

router = ApiRouter(prefix="/api/providers", tags=["providers"], route_class=WorkerThreadRoute)

ProviderName = Annotated[str, Path(pattern=r"^(ollama|huggingface|openai|anthropic)$")]
CloudProvider = Annotated[str, Path(pattern=r"^(openai|anthropic)$")]
MAX_COST_DAYS = 366


class ProviderOut(BaseModel):
    name: str
    kind: str
    enabled: bool
    priority: int
    state: str | None = Field(description="the last health check or open circuit; None if never checked")
    checked_at: datetime | None = None
    latency_ms: float | None = None
    detail: str | None = None


class ProviderChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool
    priority: int = Field(ge=0, le=100)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: SecretStr = Field(min_length=1, max_length=512)


class KeyOut(BaseModel):
    provider: str
    masked: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None


class QuotaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str | None = Field(default=None, max_length=36, description="None: every user")
    provider: str = Field(default=ANY_PROVIDER, max_length=32)
    period: Period = Period.DAY
    max_tokens: int | None = Field(default=None, ge=0, le=2**62)
    max_cost_usd: float | None = Field(default=None, ge=0, le=1e12, allow_inf_nan=False)


class QuotaOut(BaseModel):
    user_id: str | None
    provider: str
    period: Period
    max_tokens: int | None
    max_cost_usd: float | None
    updated_at: datetime


class TotalsOut(BaseModel):
    requests: int
    cached_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float

    @classmethod
    def of(cls, totals: Totals) -> TotalsOut:
        return cls(
            requests=totals.requests,
            cached_calls=totals.cached_calls,
            input_tokens=totals.input_tokens,
            output_tokens=totals.output_tokens,
            cost_usd=round(totals.cost_usd, 6),
        )


class CostsOut(BaseModel):
    user_id: str
    since: date
    until: date
    total: TotalsOut
    by_provider: dict[str, TotalsOut]
    by_model: dict[str, TotalsOut] = Field(description="keyed provider/model")
    by_day: dict[date, TotalsOut]


@router.get("")
def chain(_: CurrentUser, services: ServicesDep) -> list[ProviderOut]:
    """The provider chain in the order it is tried, with each provider's last known health."""
    return _chain(services)


def _chain(services: Services) -> list[ProviderOut]:
    health = {row.provider: row for row in services.providers.health()}
    answer = []
    for info in services.providers.providers():
        row = health.get(info.name)
        answer.append(
            ProviderOut(
                name=info.name,
                kind=info.kind.value,
                enabled=info.enabled,
                priority=info.priority,
                state=None if row is None else row.state.value,
                checked_at=None if row is None else row.checked_at,
                latency_ms=None if row is None else row.latency_ms,
                detail=None if row is None else row.detail,
            )
        )
    return answer


@router.post("/health")
async def check_health(request: Request, _: AdminUser, platform: PlatformDep) -> list[ProviderOut]:
    """Check every provider now (admin): reachability, circuits; the results are kept for ``GET /api/providers``."""
    services = await in_worker_thread(platform.services)

    def check() -> None:
        from reviewlab.ai.orchestrator import Orchestrator

        orchestrator = Orchestrator.from_settings(platform.settings)
        try:
            services.providers.record_health(orchestrator.health())
        finally:
            orchestrator.close()

    await in_worker_thread(check)
    await in_worker_thread(lambda: audit(request, services, "provider.health.checked"))
    return await in_worker_thread(_chain, services)


@router.put("/chain/{name}")
def change_provider(
    name: ProviderName, body: ProviderChange, request: Request, _: AdminUser, services: ServicesDep
) -> ProviderOut:
    """Turn a provider on or off, or move it in the chain (admin)."""
    info = services.providers.set_provider(name, enabled=body.enabled, priority=body.priority)
    audit(request, services, "provider.changed", target_type="provider", target_id=name, details=body.model_dump())
    return ProviderOut(name=info.name, kind=info.kind.value, enabled=info.enabled, priority=info.priority, state=None)


@router.get("/keys")
def my_keys(user: CurrentUser, services: ServicesDep) -> list[KeyOut]:
    """The caller's own API keys, masked."""
    return [
        KeyOut(
            provider=k.provider,
            masked=k.masked,
            created_at=k.created_at,
            updated_at=k.updated_at,
            last_used_at=k.last_used_at,
        )
        for k in services.providers.keys(user.id)
    ]


@router.put("/keys/{provider}")
def set_key(provider: CloudProvider, body: KeyIn, request: Request, user: CurrentUser, services: ServicesDep) -> KeyOut:
    """Store (or replace) the caller's key for a cloud provider; the answer shows it masked, never again in full."""
    info = services.providers.set_key(user.id, provider, body.key.get_secret_value())
    audit(request, services, "provider.key.set", target_type="provider", target_id=provider)
    return KeyOut(
        provider=info.provider,
        masked=info.masked,
        created_at=info.created_at,
        updated_at=info.updated_at,
        last_used_at=info.last_used_at,
    )


@router.delete("/keys/{provider}", status_code=HTTPStatus.NO_CONTENT)
def delete_key(provider: CloudProvider, request: Request, user: CurrentUser, services: ServicesDep) -> Response:
    """Forget the caller's key for a provider."""
    if not services.providers.delete_key(user.id, provider):
        raise ProblemError(HTTPStatus.NOT_FOUND, f"you have no {provider} key")
    audit(request, services, "provider.key.deleted", target_type="provider", target_id=provider)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@router.get("/quotas")
def my_quotas(user: CurrentUser, services: ServicesDep) -> list[QuotaOut]:
    """The quotas that apply to the caller: everyone's, then the caller's own."""
    return [QuotaOut.model_validate(q, from_attributes=True) for q in services.providers.quotas(user.id)]


@router.put("/quotas")
def set_quota(body: QuotaIn, request: Request, _: AdminUser, services: ServicesDep) -> QuotaOut:
    """Set a quota for one user or everyone, on one provider or all (admin)."""
    if body.user_id is not None and services.accounts.get_user(body.user_id) is None:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no user {body.user_id}")
    quota = services.providers.set_quota(
        body.user_id, body.provider, body.period, max_tokens=body.max_tokens, max_cost_usd=body.max_cost_usd
    )
    audit(request, services, "provider.quota.set", target_type="quota", details=body.model_dump(mode="json"))
    return QuotaOut.model_validate(quota, from_attributes=True)


@router.get("/costs")
def costs(
    user: CurrentUser,
    services: ServicesDep,
    since: date | None = None,
    until: date | None = None,
    user_id: Annotated[str | None, Query(max_length=36, description="another user's costs (admin)")] = None,
) -> CostsOut:
    """AI usage and cost per provider, model and day (UTC); the last 30 days by default."""
    subject = user.id
    if user_id is not None and user_id != user.id:
        if user.role is not Role.ADMIN:
            raise ProblemError(HTTPStatus.FORBIDDEN, "only admins see other users' costs")
        subject = user_id
    until = until or datetime.now(UTC).date()
    if since is None:
        since = until - timedelta(days=29) if until > date.min + timedelta(days=29) else date.min
    if since > until or (until - since).days >= MAX_COST_DAYS:
        raise ProblemError(HTTPStatus.UNPROCESSABLE_ENTITY, f"since..until must be 1 to {MAX_COST_DAYS} days")
    summary = services.providers.cost_summary(subject, since, until)
    return CostsOut(
        user_id=subject,
        since=since,
        until=until,
        total=TotalsOut.of(summary.total),
        by_provider={name: TotalsOut.of(t) for name, t in summary.by_provider.items()},
        by_model={f"{p}/{m}": TotalsOut.of(t) for (p, m), t in summary.by_model.items()},
        by_day={day: TotalsOut.of(t) for day, t in summary.by_day.items()},
    )
