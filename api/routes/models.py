"""``/api/models``: the model lifecycle — review configurations, their evaluations, promotion and quarantine.

Every configuration is a candidate file of the experiments directory (``REVIEWLAB_EXPERIMENTS_DIR``), kept by
config hash at a stage: V1 experimental, V2 production (what every analysis reviews with, read when it starts),
V3 quarantined, or blacklisted. Experimenters and admins use these routes; everyone else gets 403.

Evaluating and promoting are synchronous (a static evaluation of a small dataset takes seconds, an LLM one
longer): the handlers are plain functions, which FastAPI runs on its worker threads, never on the event loop.
The lifecycle audits its own transitions (``lifecycle.promotion.*``, ``lifecycle.quarantine``...) with the
signed-in user as the actor.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import ExperimenterUser, LifecycleDep, ServicesDep, SettingsDep
from api.problems import ProblemError
from api.routing import ApiRouter, WorkerThreadRoute
from reviewlab.lifecycle.lab import current_dataset, sync_candidates
from reviewlab.lifecycle.models import Stage
from reviewlab.lifecycle.service import (
    MAX_REASON_LENGTH,
    Decision,
    EvaluationRecord,
    Lifecycle,
    LifecycleError,
    ModelRecord,
    QuarantineRecord,
    Transition,
)
from reviewlab.settings import Settings

router = ApiRouter(prefix="/api/models", tags=["models"], route_class=WorkerThreadRoute)

# A candidate's name (lowercase, 1-63 characters) or a 16-hex config hash.
ModelRef = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$", description="a name or config hash")]
EvaluationId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
DatasetVersion = Annotated[
    str | None, Query(pattern=r"^[0-9a-f]{12}$", description="a recorded dataset version; default: the current one")
]
ModelFilter = Annotated[str | None, Query(max_length=63, description="one configuration (name or config hash)")]
MAX_COMPARED = 20


# -- answers --------------------------------------------------------------------------------------------------


class CategoryMetricsOut(BaseModel):
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None


class MetricsOut(BaseModel):
    """An evaluation's metrics (a ratio with nothing to divide by is null)."""

    model_config = ConfigDict(extra="allow")

    cases: int
    errors: int
    error_rate: float
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None
    false_positive_rate: float | None = Field(description="the share of clean cases with a finding")
    clean_cases: int
    latency_p50_s: float | None
    latency_p95_s: float | None
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float
    per_category: dict[str, CategoryMetricsOut] = Field(description="security, quality, performance, architecture")


class EvaluationOut(BaseModel):
    id: str
    model: str
    config_hash: str
    dataset_version: str
    status: Literal["running", "succeeded", "failed"]
    trigger: str = Field(description="manual, promotion, monitoring or re-evaluation")
    error: str | None = Field(description="why a failed evaluation failed (it has no metrics)")
    metrics: MetricsOut | None
    mlflow_run_id: str | None
    duration_s: float | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, evaluation: EvaluationRecord) -> EvaluationOut:
        return cls.model_validate(evaluation.to_dict())


class EvaluationDetailOut(EvaluationOut):
    cases: list[dict[str, Any]] | None = Field(
        description="one row per case: tp, fp, fn, latency, tokens, error, matched/missed labels, false positives"
    )

    @classmethod
    def of(cls, evaluation: EvaluationRecord) -> EvaluationDetailOut:
        return cls.model_validate(evaluation.to_dict(cases=True))


class ModelOut(BaseModel):
    id: str
    name: str
    config_hash: str
    kind: Literal["static", "llm"]
    stage: Literal["experimental", "production", "quarantined", "blacklisted"]
    version: str = Field(description="V1 (experimental), V2 (production), V3 (quarantined) or V3-blacklisted")
    settings: dict[str, Any] = Field(description="the candidate: rule pack and, for an LLM, the model")
    mlflow_version: str | None = Field(description="its version of the registered model reviewlab-review")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, model: ModelRecord) -> ModelOut:
        return cls.model_validate(model.to_dict())


class ModelSummaryOut(ModelOut):
    latest_evaluation: EvaluationOut | None = Field(description="the newest succeeded one on the current dataset")


class ModelsOut(BaseModel):
    dataset_version: str = Field(description="the current dataset version")
    production: str | None = Field(description="the V2 configuration's name")
    models: list[ModelSummaryOut]


class TransitionOut(BaseModel):
    model: str
    config_hash: str
    from_stage: str | None
    to_stage: str
    reason: str
    actor: str | None = Field(description="the user's id; null for the platform itself")
    manual: bool
    evidence: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, transition: Transition) -> TransitionOut:
        return cls(
            model=transition.model,
            config_hash=transition.config_hash,
            from_stage=transition.from_stage,
            to_stage=transition.to_stage,
            reason=transition.reason,
            actor=transition.actor,
            manual=transition.manual,
            evidence=transition.evidence,
            at=transition.at,
        )


class ReEvaluationOut(BaseModel):
    evaluation_id: str
    passed: bool
    detail: str
    at: datetime


class QuarantineOut(BaseModel):
    id: str
    model: str
    config_hash: str
    reason: str
    evidence: dict[str, Any]
    restored: str | None = Field(description="the configuration that became production again, if any")
    actor: str | None
    manual: bool
    status: Literal["open", "released", "blacklisted"]
    failures: int = Field(description="failed re-evaluations so far")
    at: datetime
    closed_at: datetime | None
    re_evaluations: list[ReEvaluationOut]

    @classmethod
    def of(cls, record: QuarantineRecord) -> QuarantineOut:
        return cls.model_validate(record.to_dict())


class ModelDetailOut(ModelOut):
    evaluations: list[EvaluationOut] = Field(description="newest first, on every dataset version")
    quarantine: list[QuarantineOut] = Field(description="its quarantine records, newest first")
    transitions: list[TransitionOut] = Field(description="its stage changes, newest first")


class ComparedOut(BaseModel):
    model: str
    config_hash: str
    stage: str
    version: str
    evaluation: EvaluationOut | None = Field(description="its newest succeeded evaluation on the dataset, if any")


class ComparisonOut(BaseModel):
    dataset_version: str
    models: list[ComparedOut]


class CheckOut(BaseModel):
    name: str
    passed: bool
    detail: str
    candidate: float | None
    production: float | None
    limit: float | None


class EvaluationBriefOut(BaseModel):
    evaluation_id: str
    status: str
    error: str | None
    mlflow_run_id: str | None
    metrics: MetricsOut | None


class DecisionOut(BaseModel):
    """A promotion's outcome and the evidence recorded with it."""

    model: str
    config_hash: str
    outcome: Literal["promoted", "forced", "refused"]
    passed: bool = Field(description="whether the gate passed (a forced promotion may not have)")
    stage: str = Field(description="the configuration's stage now")
    version: str
    dataset_version: str
    reason: str | None
    problem: str | None = Field(description="an evaluation failed, so the gate could not compare")
    production_model: str | None = Field(description="the production configuration it was compared with")
    checks: list[CheckOut]
    candidate: EvaluationBriefOut | None
    production: EvaluationBriefOut | None


class DatasetOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    version: str
    name: str
    parent: str | None
    cases: int
    clean_cases: int
    labels: int
    languages: list[str]
    from_triage: int = Field(description="cases made from reviewer triage")
    created_at: datetime
    current: bool


# -- requests -------------------------------------------------------------------------------------------------


class PromoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str | None = Field(default=None, max_length=MAX_REASON_LENGTH)
    force: bool = Field(default=False, description="promote even if the gate refuses (needs a reason)")

    @model_validator(mode="after")
    def _forced_with_reason(self) -> PromoteIn:
        if self.force and not self.reason:
            raise ValueError("a forced promotion needs a reason")
        return self


class QuarantineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)


# -- routes (the fixed paths before /{ref}) ---------------------------------------------------------------------


@router.get("")
def list_models(user: ExperimenterUser, lifecycle: LifecycleDep, settings: SettingsDep) -> ModelsOut:
    """Every configuration (the candidate files are registered first), with its latest evaluation on the
    current dataset."""
    sync_candidates(lifecycle, settings, actor=user.id)
    version = _current_version(lifecycle, settings)
    models = lifecycle.models()
    summaries = []
    for model in models:
        latest = lifecycle.latest_evaluation(model, version)
        summaries.append(
            ModelSummaryOut(
                **ModelOut.of(model).model_dump(),
                latest_evaluation=None if latest is None else EvaluationOut.of(latest),
            )
        )
    production = next((m.name for m in models if m.stage is Stage.PRODUCTION), None)
    return ModelsOut(dataset_version=version, production=production, models=summaries)


@router.get("/evaluations")
def compare(
    _: ExperimenterUser,
    lifecycle: LifecycleDep,
    settings: SettingsDep,
    models: Annotated[list[str], Query(min_length=1, max_length=MAX_COMPARED, description="names or config hashes")],
    dataset: DatasetVersion = None,
) -> ComparisonOut:
    """Side by side: each named configuration's newest succeeded evaluation on one dataset version (404 for an
    unknown configuration or dataset version)."""
    version = _dataset_version(lifecycle, settings, dataset)
    compared = []
    for ref in models:
        model = lifecycle.model(ref)
        latest = lifecycle.latest_evaluation(model, version)
        compared.append(
            ComparedOut(
                model=model.name,
                config_hash=model.config_hash,
                stage=model.stage.value,
                version=model.stage.version,
                evaluation=None if latest is None else EvaluationOut.of(latest),
            )
        )
    return ComparisonOut(dataset_version=version, models=compared)


@router.get("/evaluations/{evaluation_id}")
def evaluation(evaluation_id: EvaluationId, _: ExperimenterUser, lifecycle: LifecycleDep) -> EvaluationDetailOut:
    """One evaluation with its per-case results."""
    try:
        record = lifecycle.evaluation(evaluation_id)
    except LifecycleError as err:
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no evaluation {evaluation_id}") from err
    return EvaluationDetailOut.of(record)


@router.get("/history")
def history(
    _: ExperimenterUser,
    lifecycle: LifecycleDep,
    model: ModelFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TransitionOut]:
    """Stage changes, newest first (of one configuration, or of all)."""
    return [TransitionOut.of(t) for t in lifecycle.history(model, limit=limit)]


@router.get("/quarantine")
def quarantine_records(_: ExperimenterUser, lifecycle: LifecycleDep, model: ModelFilter = None) -> list[QuarantineOut]:
    """Quarantine records, newest first, with their re-evaluations."""
    return [QuarantineOut.of(r) for r in lifecycle.quarantine_records(model=model)]


@router.get("/datasets")
def datasets(_: ExperimenterUser, lifecycle: LifecycleDep, settings: SettingsDep) -> list[DatasetOut]:
    """The recorded dataset versions, newest first (the current one is recorded first)."""
    current = _current_version(lifecycle, settings)
    answer = []
    for entry in lifecycle.datasets():
        fields = {key: value for key, value in entry.items() if key != "location"}  # a path on the server
        answer.append(DatasetOut.model_validate({**fields, "current": entry["version"] == current}))
    return answer


@router.get("/{ref}")
def model_detail(
    ref: ModelRef, user: ExperimenterUser, lifecycle: LifecycleDep, settings: SettingsDep
) -> ModelDetailOut:
    """One configuration with its evaluations, quarantine records and transitions."""
    sync_candidates(lifecycle, settings, actor=user.id)
    model = lifecycle.model(ref)
    return ModelDetailOut(
        **ModelOut.of(model).model_dump(),
        evaluations=[EvaluationOut.of(e) for e in lifecycle.evaluations(model=model.config_hash)],
        quarantine=[QuarantineOut.of(r) for r in lifecycle.quarantine_records(model=model.config_hash)],
        transitions=[TransitionOut.of(t) for t in lifecycle.history(model.config_hash)],
    )


@router.post("/{ref}/promote")
def promote(
    ref: ModelRef,
    user: ExperimenterUser,
    services: ServicesDep,
    settings: SettingsDep,
    body: Annotated[PromoteIn | None, Body()] = None,
) -> DecisionOut:
    """Run the promotion gate on the current dataset against production (evaluating both where not done yet):
    200 with the decision, promoted or refused (a refusal is recorded with its evidence). ``force`` promotes
    despite a refusal and needs a reason; 409 for a configuration that is production, quarantined or
    blacklisted."""
    body = body or PromoteIn()
    provider = services.lifecycles
    lifecycle = provider.get()
    with provider.changes:
        sync_candidates(lifecycle, settings, actor=user.id)
        dataset, _ = current_dataset(lifecycle, settings)
        decision = lifecycle.promote(ref, dataset, actor=user.id, reason=body.reason, force=body.force)
    if decision is None:  # not reached: a dataset was given
        raise ProblemError(HTTPStatus.INTERNAL_SERVER_ERROR, "the promotion gate reached no decision")
    return _decision(lifecycle, decision, body)


@router.post("/{ref}/quarantine")
def quarantine(ref: ModelRef, body: QuarantineIn, user: ExperimenterUser, services: ServicesDep) -> QuarantineOut:
    """Quarantine a configuration by hand (V3) with the reason; when it was production, the previous production
    configuration comes back (``restored``). 409 when it is quarantined or blacklisted already."""
    provider = services.lifecycles
    lifecycle = provider.get()
    with provider.changes:
        record = lifecycle.quarantine(ref, reason=body.reason, actor=user.id, manual=True)
    return QuarantineOut.of(record)


# -- helpers --------------------------------------------------------------------------------------------------


def _current_version(lifecycle: Lifecycle, settings: Settings) -> str:
    dataset, _ = current_dataset(lifecycle, settings)
    return dataset.version


def _dataset_version(lifecycle: Lifecycle, settings: Settings, version: str | None) -> str:
    if version is None:
        return _current_version(lifecycle, settings)
    if not any(entry["version"] == version for entry in lifecycle.datasets()):
        raise ProblemError(HTTPStatus.NOT_FOUND, f"no dataset version {version} has been recorded")
    return version


def _decision(lifecycle: Lifecycle, decision: Decision, body: PromoteIn) -> DecisionOut:
    evidence = decision.evidence()
    now = lifecycle.model(decision.candidate.config_hash)
    outcome: Literal["promoted", "forced", "refused"] = (
        "promoted" if decision.passed else "forced" if body.force else "refused"
    )
    return DecisionOut(
        model=now.name,
        config_hash=now.config_hash,
        outcome=outcome,
        passed=decision.passed,
        stage=now.stage.value,
        version=now.stage.version,
        dataset_version=decision.dataset_version,
        reason=body.reason,
        problem=decision.problem,
        production_model=evidence["production_model"],
        checks=[CheckOut.model_validate(check) for check in evidence["checks"]],
        candidate=None if evidence["candidate"] is None else EvaluationBriefOut.model_validate(evidence["candidate"]),
        production=None
        if evidence["production"] is None
        else EvaluationBriefOut.model_validate(evidence["production"]),
    )
