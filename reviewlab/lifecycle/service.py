"""The three-version cycle: V1 experimental -> V2 production -> V3 quarantine, and back or to the blacklist.

``Lifecycle`` keeps the configurations and their stages in ``experiments_v1`` and ``quarantine`` (the record
the platform reads), mirrors them in MLflow (runs, registered versions, the ``production`` alias) and audits
every transition. Its operations:

- ``register``: candidates (from ``experiments/candidates``) become V1 configurations, by config hash.
- ``evaluate``: a configuration on a dataset version -> an evaluation row and an MLflow run (or a failed
  evaluation with its error).
- ``decide`` / ``promote``: the candidate against production on the same dataset version under the policy;
  passing moves production (the previous one goes back to V1) and the alias. A person may force a promotion
  with a reason; a refusal is recorded too, with its evidence.
- ``quarantine``: production (or a candidate) -> V3 with the reason; the previous production comes back.
- ``monitor``: production's analyses (errors, latency, the false-positive share of their triage) and its
  evaluation on a new dataset version; a breach quarantines it.
- ``re_evaluate``: each quarantined configuration on the latest dataset; passing -> V1, the policy's
  number of failures -> blacklist.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from reviewlab.errors import InputError
from reviewlab.events import hooks as event_hooks
from reviewlab.jobs.db import prepared, reading, table_of, writing
from reviewlab.lifecycle.candidates import Candidate
from reviewlab.lifecycle.dataset import Dataset
from reviewlab.lifecycle.evaluate import EvaluationFailed, OrchestratorFactory, evaluate
from reviewlab.lifecycle.feedback import triage_scope_matches
from reviewlab.lifecycle.gate import Check, Verdict, judge
from reviewlab.lifecycle.models import (
    BlacklistRow,
    DatasetRow,
    EvaluationRow,
    ExperimentRow,
    PromotionRow,
    QuarantineRecordRow,
    ReEvaluationRow,
    Stage,
    TransitionRow,
)
from reviewlab.lifecycle.policy import Policy
from reviewlab.lifecycle.scoring import percentile
from reviewlab.lifecycle.tracking import Tracker, TrackingError
from reviewlab.settings import Settings

log = logging.getLogger(__name__)
EXPERIMENTS = table_of(ExperimentRow)
DATASETS = table_of(DatasetRow)
EVALUATIONS = table_of(EvaluationRow)
PROMOTIONS = table_of(PromotionRow)
BLACKLIST = table_of(BlacklistRow)
TRANSITIONS = table_of(TransitionRow)
RECORDS = table_of(QuarantineRecordRow)
RE_EVALUATIONS = table_of(ReEvaluationRow)
MAX_REASON_LENGTH = 2000


class LifecycleError(InputError):
    """A transition that is not allowed (unknown configuration, wrong stage, missing reason...)."""


class UnknownModel(LifecycleError):
    """No configuration has that name or config hash."""


@dataclass(frozen=True, slots=True)
class ModelRecord:
    id: str
    name: str
    config_hash: str
    kind: str
    stage: Stage
    settings: dict[str, Any]
    mlflow_version: str | None
    created_at: datetime
    updated_at: datetime

    def candidate(self) -> Candidate:
        return Candidate.model_validate(self.settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "config_hash": self.config_hash,
            "kind": self.kind,
            "stage": self.stage.value,
            "version": self.stage.version,
            "settings": self.settings,
            "mlflow_version": self.mlflow_version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class EvaluationRecord:
    id: str
    model_id: str
    model: str
    config_hash: str
    dataset_version: str
    status: str
    trigger: str
    error: str | None
    metrics: dict[str, Any] | None
    cases: list[dict[str, Any]] | None
    mlflow_run_id: str | None
    duration_s: float | None
    started_at: datetime
    finished_at: datetime | None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self, *, cases: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "config_hash": self.config_hash,
            "dataset_version": self.dataset_version,
            "status": self.status,
            "trigger": self.trigger,
            "error": self.error,
            "metrics": self.metrics,
            "mlflow_run_id": self.mlflow_run_id,
            "duration_s": self.duration_s,
            "started_at": self.started_at.isoformat(),
            "finished_at": None if self.finished_at is None else self.finished_at.isoformat(),
        }
        if cases:
            data["cases"] = self.cases
        return data


@dataclass(frozen=True, slots=True)
class Decision:
    """A promotion gate's outcome, with the evaluations it compared."""

    candidate: ModelRecord
    production: ModelRecord | None
    dataset_version: str
    verdict: Verdict
    candidate_evaluation: EvaluationRecord | None
    production_evaluation: EvaluationRecord | None
    problem: str | None = None  # an evaluation failed: no verdict could be reached

    @property
    def passed(self) -> bool:
        return self.problem is None and self.verdict.passed

    def evidence(self) -> dict[str, Any]:
        return {
            "dataset_version": self.dataset_version,
            "passed": self.passed,
            "problem": self.problem,
            "checks": [c.to_dict() for c in self.verdict.checks],
            "candidate": _evaluation_brief(self.candidate_evaluation),
            "production": _evaluation_brief(self.production_evaluation),
            "production_model": None if self.production is None else self.production.name,
        }


def _evaluation_brief(evaluation: EvaluationRecord | None) -> dict[str, Any] | None:
    if evaluation is None:
        return None
    return {
        "evaluation_id": evaluation.id,
        "status": evaluation.status,
        "error": evaluation.error,
        "mlflow_run_id": evaluation.mlflow_run_id,
        "metrics": evaluation.metrics,
    }


@dataclass(frozen=True, slots=True)
class Transition:
    model: str
    config_hash: str
    from_stage: str | None
    to_stage: str
    reason: str
    actor: str | None
    manual: bool
    evidence: dict[str, Any]
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "config_hash": self.config_hash,
            "from": self.from_stage,
            "to": self.to_stage,
            "reason": self.reason,
            "actor": self.actor,
            "manual": self.manual,
            "evidence": self.evidence,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    id: str
    model: str
    config_hash: str
    reason: str
    evidence: dict[str, Any]
    restored: str | None
    actor: str | None
    manual: bool
    status: str
    failures: int
    at: datetime
    closed_at: datetime | None
    re_evaluations: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "config_hash": self.config_hash,
            "reason": self.reason,
            "evidence": self.evidence,
            "restored": self.restored,
            "actor": self.actor,
            "manual": self.manual,
            "status": self.status,
            "failures": self.failures,
            "at": self.at.isoformat(),
            "closed_at": None if self.closed_at is None else self.closed_at.isoformat(),
            "re_evaluations": list(self.re_evaluations),
        }


@dataclass(frozen=True, slots=True)
class MonitorReport:
    """What monitoring saw of production and what it did."""

    model: str | None
    config_hash: str | None = None
    window_start: datetime | None = None
    analyses: int = 0
    errors: int = 0
    error_rate: float | None = None
    latency_p95_s: float | None = None
    triaged: int = 0
    false_positives: int = 0
    false_positive_share: float | None = None
    evaluation: dict[str, Any] | None = None
    breaches: tuple[str, ...] = ()
    quarantined: QuarantineRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "config_hash": self.config_hash,
            "window_start": None if self.window_start is None else self.window_start.isoformat(),
            "analyses": self.analyses,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "latency_p95_s": self.latency_p95_s,
            "triaged": self.triaged,
            "false_positives": self.false_positives,
            "false_positive_share": self.false_positive_share,
            "evaluation": self.evaluation,
            "breaches": list(self.breaches),
            "quarantined": None if self.quarantined is None else self.quarantined.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ReEvaluation:
    model: str
    passed: bool
    detail: str
    outcome: str  # "released" (back to V1), "failed" (stays V3), "blacklisted"
    evaluation: EvaluationRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "passed": self.passed,
            "detail": self.detail,
            "outcome": self.outcome,
            "evaluation": None if self.evaluation is None else self.evaluation.to_dict(),
        }


@dataclass(slots=True)
class _Audit:
    append: Callable[..., Any] | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)


class Lifecycle:
    """See the module docstring. ``tracker`` None runs without MLflow (the store alone)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        tracker: Tracker | None = None,
        policy: Policy | None = None,
        audit: bool = True,
        orchestrators: OrchestratorFactory | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine = prepared(engine)
        self.settings = settings
        self.tracker = tracker
        self.policy = policy or Policy()
        self._audit_on = audit
        self._orchestrators = orchestrators
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- configurations ---------------------------------------------------------------------------------------

    def register(self, candidates: Iterable[Candidate], *, actor: str | None = None) -> list[ModelRecord]:
        """Add each candidate not seen before (by config hash) as V1; a known one keeps its stage (its name
        follows the file)."""
        records: list[ModelRecord] = []
        for candidate in candidates:
            now = self._clock()
            with writing(self.engine, "registering a candidate") as connection:
                row = connection.execute(
                    select(EXPERIMENTS).where(EXPERIMENTS.c.config_hash == candidate.config_hash)
                ).first()
                if row is None:
                    model_id = str(uuid.uuid4())
                    connection.execute(
                        insert(EXPERIMENTS).values(
                            id=model_id,
                            name=candidate.name,
                            config_hash=candidate.config_hash,
                            kind=candidate.kind,
                            settings=candidate.settings(),
                            stage=Stage.EXPERIMENTAL.value,
                            mlflow_version=None,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                    self._transition(connection, model_id, None, Stage.EXPERIMENTAL, "registered", actor, False, {})
                elif row.name != candidate.name or row.settings != candidate.settings():
                    connection.execute(
                        update(EXPERIMENTS)
                        .where(EXPERIMENTS.c.id == row.id)
                        .values(name=candidate.name, settings=candidate.settings(), updated_at=now)
                    )
            record = self.model(candidate.config_hash)
            if row is None:
                self._audit("lifecycle.register", actor, record, {"kind": record.kind})
            records.append(record)
        return records

    def models(self, *, stage: Stage | None = None) -> list[ModelRecord]:
        query = select(EXPERIMENTS).order_by(EXPERIMENTS.c.name, EXPERIMENTS.c.created_at)
        if stage is not None:
            query = query.where(EXPERIMENTS.c.stage == stage.value)
        with reading(self.engine, "listing configurations") as connection:
            return [_model(row) for row in connection.execute(query)]

    def model(self, ref: str) -> ModelRecord:
        """The configuration with config hash ``ref``, else the newest named ``ref``."""
        with reading(self.engine, "reading a configuration") as connection:
            row = connection.execute(select(EXPERIMENTS).where(EXPERIMENTS.c.config_hash == ref)).first()
            if row is None:
                row = connection.execute(
                    select(EXPERIMENTS).where(EXPERIMENTS.c.name == ref).order_by(EXPERIMENTS.c.created_at.desc())
                ).first()
        if row is None:
            raise UnknownModel(f"no configuration named {ref!r} (register the candidates first)")
        return _model(row)

    def production(self) -> ModelRecord | None:
        with reading(self.engine, "reading production") as connection:
            row = connection.execute(select(EXPERIMENTS).where(EXPERIMENTS.c.stage == Stage.PRODUCTION.value)).first()
        return None if row is None else _model(row)

    # -- datasets and evaluations ---------------------------------------------------------------------------

    def record_dataset(self, dataset: Dataset, location: str) -> None:
        """Remember a dataset version (idempotent)."""
        with writing(self.engine, "recording a dataset version") as connection:
            found = connection.execute(select(DATASETS.c.version).where(DATASETS.c.version == dataset.version)).first()
            if found is None:
                connection.execute(
                    insert(DATASETS).values(
                        version=dataset.version,
                        name=dataset.name,
                        parent=dataset.parent,
                        location=location,
                        summary=dataset.summary(),
                        created_at=self._clock(),
                    )
                )

    def datasets(self) -> list[dict[str, Any]]:
        with reading(self.engine, "listing dataset versions") as connection:
            rows = connection.execute(select(DATASETS).order_by(DATASETS.c.created_at.desc()))
            return [{**row.summary, "location": row.location, "created_at": row.created_at.isoformat()} for row in rows]

    def evaluate(
        self, ref: str, dataset: Dataset, *, trigger: str = "manual", actor: str | None = None
    ) -> EvaluationRecord:
        """Evaluate a configuration on ``dataset``: a succeeded evaluation with metrics, or a failed one with its
        error (never a score of zero). Blacklisted configurations are not evaluated."""
        model = self.model(ref)
        if model.stage is Stage.BLACKLISTED:
            raise LifecycleError(f"{model.name} is blacklisted; it is not evaluated any more")
        evaluation_id = str(uuid.uuid4())
        started = self._clock()
        with writing(self.engine, "starting an evaluation") as connection:
            connection.execute(
                insert(EVALUATIONS).values(
                    id=evaluation_id,
                    experiment_id=model.id,
                    dataset_version=dataset.version,
                    status="running",
                    trigger=trigger,
                    error=None,
                    metrics=None,
                    cases=None,
                    mlflow_run_id=None,
                    duration_s=None,
                    started_at=started,
                    finished_at=None,
                )
            )
        candidate = model.candidate()
        run_id: str | None = None
        values: dict[str, Any]
        try:
            if self.tracker is not None:
                run_id = self.tracker.start_run(
                    f"{model.name}@{dataset.version}",
                    candidate.params(),
                    {
                        "candidate": model.name,
                        "config_hash": model.config_hash,
                        "dataset_version": dataset.version,
                        "dataset_name": dataset.name,
                        "trigger": trigger,
                        "stage": model.stage.value,
                    },
                )
            result = evaluate(
                candidate,
                dataset,
                self.settings,
                max_error_rate=self.policy.evaluation.max_error_rate,
                orchestrators=self._orchestrators,
            )
            if self.tracker is not None and run_id is not None:
                self.tracker.finish_run(
                    run_id,
                    flat_metrics(result.metrics),
                    {
                        "cases.json": result.cases,
                        "candidate.json": candidate.settings(),
                        "metrics.json": result.metrics,
                    },
                )
                version = self.tracker.register(model.name, model.config_hash, run_id, model.stage.value)
                self._set_mlflow_version(model.id, version)
            values = {
                "status": "succeeded",
                "metrics": result.metrics,
                "cases": result.cases,
                "duration_s": result.duration_s,
            }
        except (EvaluationFailed, TrackingError) as err:
            if self.tracker is not None and run_id is not None:
                with contextlib.suppress(TrackingError):  # the store keeps the error either way
                    self.tracker.fail_run(run_id, str(err))
            values = {"status": "failed", "error": str(err)}
        finished = self._clock()
        with writing(self.engine, "ending an evaluation") as connection:
            connection.execute(
                update(EVALUATIONS)
                .where(EVALUATIONS.c.id == evaluation_id)
                .values(mlflow_run_id=run_id, finished_at=finished, **values)
            )
        record = self.evaluation(evaluation_id)
        self._audit(
            "lifecycle.evaluate",
            actor,
            model,
            {"evaluation": evaluation_id, "dataset": dataset.version, "status": record.status, "trigger": trigger},
        )
        return record

    def evaluation(self, evaluation_id: str) -> EvaluationRecord:
        with reading(self.engine, "reading an evaluation") as connection:
            row = connection.execute(_evaluations_query().where(EVALUATIONS.c.id == evaluation_id)).first()
        if row is None:
            raise LifecycleError(f"no evaluation {evaluation_id}")
        return _evaluation(row)

    def evaluations(
        self, *, model: str | None = None, dataset_version: str | None = None, limit: int = 200
    ) -> list[EvaluationRecord]:
        """Evaluations newest first, of one configuration and/or one dataset version."""
        query = _evaluations_query().order_by(EVALUATIONS.c.started_at.desc()).limit(limit)
        if model is not None:
            query = query.where(EVALUATIONS.c.experiment_id == self.model(model).id)
        if dataset_version is not None:
            query = query.where(EVALUATIONS.c.dataset_version == dataset_version)
        with reading(self.engine, "listing evaluations") as connection:
            return [_evaluation(row) for row in connection.execute(query)]

    def latest_evaluation(self, model: ModelRecord, dataset_version: str) -> EvaluationRecord | None:
        """The newest succeeded evaluation of ``model`` on ``dataset_version``."""
        query = (
            _evaluations_query()
            .where(
                EVALUATIONS.c.experiment_id == model.id,
                EVALUATIONS.c.dataset_version == dataset_version,
                EVALUATIONS.c.status == "succeeded",
            )
            .order_by(EVALUATIONS.c.started_at.desc())
        )
        with reading(self.engine, "reading an evaluation") as connection:
            row = connection.execute(query).first()
        return None if row is None else _evaluation(row)

    def _evaluated(self, model: ModelRecord, dataset: Dataset, trigger: str, actor: str | None) -> EvaluationRecord:
        found = self.latest_evaluation(model, dataset.version)
        return found if found is not None else self.evaluate(model.config_hash, dataset, trigger=trigger, actor=actor)

    # -- promotion ------------------------------------------------------------------------------------------

    def decide(self, ref: str, dataset: Dataset, *, actor: str | None = None) -> Decision:
        """The promotion gate for ``ref`` on ``dataset`` (evaluating it, and production, where not done yet)."""
        candidate = self.model(ref)
        production = self.production()
        if production is not None and production.id == candidate.id:
            raise LifecycleError(f"{candidate.name} is already production")
        mine = self._evaluated(candidate, dataset, "promotion", actor)
        theirs = None if production is None else self._evaluated(production, dataset, "promotion", actor)
        problem = None
        if not mine.succeeded:
            problem = f"the candidate's evaluation failed: {mine.error}"
        elif theirs is not None and not theirs.succeeded:
            problem = f"production's evaluation failed: {theirs.error}"
        if problem is not None:
            verdict = Verdict(False, (Check("evaluation", False, problem),))
        else:
            assert mine.metrics is not None  # noqa: S101 - a succeeded evaluation has metrics
            verdict = judge(mine.metrics, None if theirs is None else theirs.metrics, self.policy.promotion)
        return Decision(candidate, production, dataset.version, verdict, mine, theirs, problem)

    def promote(
        self,
        ref: str,
        dataset: Dataset | None,
        *,
        actor: str | None = None,
        reason: str | None = None,
        force: bool = False,
    ) -> Decision | None:
        """Promote ``ref`` to production when the gate passes (or when ``force``d by a person with a reason).

        Returns the decision (None for a forced promotion without a dataset). A refusal is recorded with its
        evidence and changes nothing else.
        """
        model = self.model(ref)
        if model.stage is Stage.BLACKLISTED:
            raise LifecycleError(f"{model.name} is blacklisted and cannot be promoted")
        if model.stage is Stage.QUARANTINED:
            raise LifecycleError(f"{model.name} is quarantined; it returns to V1 only by passing re-evaluation")
        if model.stage is Stage.PRODUCTION:
            raise LifecycleError(f"{model.name} is already production")
        if force:
            reason = _reason(reason, "a forced promotion")
            if actor is None:
                raise LifecycleError("a forced promotion names the person who forces it")
        decision = None if dataset is None else self.decide(ref, dataset, actor=actor)
        if decision is None and not force:
            raise LifecycleError("a promotion is decided on a dataset version")
        passed = decision is not None and decision.passed
        evidence = {} if decision is None else decision.evidence()
        production = self.production()
        outcome = "promoted" if passed else "forced" if force else "refused"
        now = self._clock()
        with writing(self.engine, "recording a promotion") as connection:
            connection.execute(
                insert(PROMOTIONS).values(
                    id=str(uuid.uuid4()),
                    experiment_id=model.id,
                    previous_id=None if production is None else production.id,
                    dataset_version=None if dataset is None else dataset.version,
                    decision=outcome,
                    evidence=evidence,
                    reason=reason,
                    actor=actor,
                    at=now,
                )
            )
            if outcome != "refused":
                self._move_production(
                    connection, model, production, reason or "passed the promotion gate", actor, force, evidence
                )
        if outcome != "refused":  # the domain event (never raises): the store has moved, whatever MLflow does next
            dataset_version = None if dataset is None else dataset.version
            event_hooks.model_promoted(
                model, actor=actor, outcome=outcome, previous=production, dataset=dataset_version, reason=reason
            )
        if outcome != "refused":
            self._mirror_production(model, production)
        self._audit(
            f"lifecycle.promotion.{outcome}",
            actor,
            model,
            {
                "dataset": None if dataset is None else dataset.version,
                "reason": reason,
                "failures": [] if decision is None else decision.verdict.failures,
            },
        )
        return decision

    def _move_production(
        self,
        connection: Connection,
        model: ModelRecord,
        previous: ModelRecord | None,
        reason: str,
        actor: str | None,
        manual: bool,
        evidence: dict[str, Any],
    ) -> None:
        if previous is not None:
            self._set_stage(connection, previous, Stage.EXPERIMENTAL, f"replaced by {model.name}", actor, manual, {})
        self._set_stage(connection, model, Stage.PRODUCTION, reason, actor, manual, evidence)

    def _mirror_production(self, model: ModelRecord, previous: ModelRecord | None) -> None:
        """Point MLflow's production alias at ``model`` (re-reading it, so its version is registered).

        The store has already changed; when MLflow fails, the error says so and ``sync_registry`` (run by every
        monitoring pass) puts the alias right later.
        """
        if self.tracker is None:
            return
        try:
            version = self.tracker.register(model.name, model.config_hash, None, Stage.PRODUCTION.value)
            self._set_mlflow_version(model.id, version)
            self.tracker.set_production(version)
            if previous is not None and previous.mlflow_version is not None:
                self.tracker.tag_stage(previous.mlflow_version, Stage.EXPERIMENTAL.value)
        except TrackingError as err:
            raise TrackingError(
                f"{model.name} is production in the store, but MLflow's alias could not follow ({err}); "
                "the next monitoring run (or `reviewlab models monitor`) moves it"
            ) from err

    def sync_registry(self) -> str | None:
        """Make MLflow's ``production`` alias point at the store's production configuration (or at nothing);
        returns the registered version it points at."""
        if self.tracker is None:
            return None
        production = self.production()
        if production is None:
            self.tracker.clear_production()
            return None
        version = self.tracker.register(production.name, production.config_hash, None, Stage.PRODUCTION.value)
        if production.mlflow_version != version:
            self._set_mlflow_version(production.id, version)
        if self.tracker.production_version() != version:
            self.tracker.set_production(version)
        return version

    # -- quarantine -----------------------------------------------------------------------------------------

    def quarantine(
        self,
        ref: str,
        *,
        reason: str | None,
        actor: str | None = None,
        manual: bool = True,
        evidence: dict[str, Any] | None = None,
    ) -> QuarantineRecord:
        """Move ``ref`` to V3 with ``reason``; when it was production, restore the previous production."""
        reason = _reason(reason, "a quarantine")
        model = self.model(ref)
        if model.stage in (Stage.QUARANTINED, Stage.BLACKLISTED):
            raise LifecycleError(f"{model.name} is already {model.stage.value}")
        restored = self._previous_production(model) if model.stage is Stage.PRODUCTION else None
        record_id = str(uuid.uuid4())
        now = self._clock()
        with writing(self.engine, "quarantining a configuration") as connection:
            connection.execute(
                insert(RECORDS).values(
                    id=record_id,
                    experiment_id=model.id,
                    reason=reason,
                    evidence=evidence or {},
                    restored_id=None if restored is None else restored.id,
                    actor=actor,
                    manual=manual,
                    status="open",
                    failures=0,
                    at=now,
                    closed_at=None,
                )
            )
            self._set_stage(connection, model, Stage.QUARANTINED, reason, actor, manual, evidence or {})
            if restored is not None:
                self._set_stage(
                    connection, restored, Stage.PRODUCTION, f"restored: {model.name} was quarantined", actor, manual, {}
                )
        event_hooks.model_quarantined(model, actor=actor, reason=reason, manual=manual, restored=restored)
        if self.tracker is not None:
            if model.mlflow_version is not None:
                self.tracker.tag_stage(model.mlflow_version, Stage.QUARANTINED.value)
            if restored is not None:
                self._mirror_production(self.model(restored.config_hash), None)
            elif model.stage is Stage.PRODUCTION:
                self.tracker.clear_production()
        self._audit(
            "lifecycle.quarantine",
            actor,
            model,
            {"reason": reason, "manual": manual, "restored": None if restored is None else restored.name},
        )
        return self.quarantine_record(record_id)

    def _previous_production(self, model: ModelRecord) -> ModelRecord | None:
        """The configuration production was before ``model`` (walking back past quarantined or blacklisted ones)."""
        query = (
            select(PROMOTIONS.c.experiment_id, PROMOTIONS.c.previous_id)
            .where(PROMOTIONS.c.decision != "refused")
            .order_by(PROMOTIONS.c.at.desc())
        )
        with reading(self.engine, "reading promotions") as connection:
            rows = list(connection.execute(query))
            stages = {row.id: row for row in connection.execute(select(EXPERIMENTS))}
        seen: set[str] = {model.id}
        current = model.id
        for row in rows:
            if row.experiment_id != current or row.previous_id is None or row.previous_id in seen:
                continue
            previous = stages.get(row.previous_id)
            if previous is None:
                return None
            if previous.stage == Stage.EXPERIMENTAL.value:
                return _model(previous)
            seen.add(previous.id)
            current = previous.id
        return None

    def quarantine_record(self, record_id: str) -> QuarantineRecord:
        records = self.quarantine_records(record_id=record_id)
        if not records:
            raise LifecycleError(f"no quarantine record {record_id}")
        return records[0]

    def quarantine_records(self, *, model: str | None = None, record_id: str | None = None) -> list[QuarantineRecord]:
        """Quarantine records newest first, with their re-evaluations."""
        restored = EXPERIMENTS.alias("restored")
        query = (
            select(RECORDS, EXPERIMENTS.c.name, EXPERIMENTS.c.config_hash, restored.c.name.label("restored_name"))
            .join(EXPERIMENTS, EXPERIMENTS.c.id == RECORDS.c.experiment_id)
            .outerjoin(restored, restored.c.id == RECORDS.c.restored_id)
            .order_by(RECORDS.c.at.desc())
        )
        if model is not None:
            query = query.where(RECORDS.c.experiment_id == self.model(model).id)
        if record_id is not None:
            query = query.where(RECORDS.c.id == record_id)
        with reading(self.engine, "reading quarantine records") as connection:
            rows = list(connection.execute(query))
            ids = [row.id for row in rows]
            checks: dict[str, list[dict[str, Any]]] = {}
            if ids:
                for check in connection.execute(
                    select(RE_EVALUATIONS).where(RE_EVALUATIONS.c.record_id.in_(ids)).order_by(RE_EVALUATIONS.c.id)
                ):
                    checks.setdefault(check.record_id, []).append(
                        {
                            "evaluation_id": check.evaluation_id,
                            "passed": check.passed,
                            "detail": check.detail,
                            "at": check.at.isoformat(),
                        }
                    )
        return [
            QuarantineRecord(
                id=row.id,
                model=row.name,
                config_hash=row.config_hash,
                reason=row.reason,
                evidence=row.evidence,
                restored=row.restored_name,
                actor=row.actor,
                manual=row.manual,
                status=row.status,
                failures=row.failures,
                at=row.at,
                closed_at=row.closed_at,
                re_evaluations=tuple(checks.get(row.id, [])),
            )
            for row in rows
        ]

    # -- monitoring -----------------------------------------------------------------------------------------

    def monitor(self, dataset: Dataset | None = None, *, actor: str | None = None, act: bool = True) -> MonitorReport:
        """Watch production; quarantine it (restoring the previous one) when the policy is breached and ``act``
        (otherwise the report only names the breaches: ``sweep`` acts on it later)."""
        try:
            self.sync_registry()
        except TrackingError as err:
            log.warning("MLflow's production alias could not be checked: %s", err)
        model = self.production()
        if model is None:
            return MonitorReport(None)
        policy = self.policy.monitoring
        since = self._clock() - timedelta(hours=policy.window_hours)
        sessions = _SESSIONS
        with reading(self.engine, "reading production's analyses") as connection:
            rows = list(
                connection.execute(
                    select(sessions.c.status, sessions.c.ai_status, sessions.c.duration_seconds).where(
                        sessions.c.configuration == model.config_hash,
                        sessions.c.created_at >= since,
                        sessions.c.status.in_(("completed", "failed")),
                    )
                )
            )
            triage = list(
                connection.execute(
                    select(_TRIAGE.c.fingerprint, _TRIAGE.c.status)
                    .where(
                        _TRIAGE.c.status.in_(("accepted", "false_positive")),
                        _TRIAGE.c.fingerprint.in_(
                            select(_RESULTS.c.fingerprint)
                            .join(sessions, sessions.c.id == _RESULTS.c.session_id)
                            .where(
                                sessions.c.configuration == model.config_hash,
                                sessions.c.created_at >= since,
                                triage_scope_matches(_TRIAGE, sessions),
                            )
                        ),
                    )
                    .distinct()
                )
            )
        errors = sum(1 for row in rows if row.status == "failed" or row.ai_status in ("unavailable", "partial"))
        latencies = [float(row.duration_seconds) for row in rows if row.status == "completed"]
        fingerprints: dict[str, str] = {}
        for row in triage:
            fingerprints[row.fingerprint] = (
                "false_positive" if row.status == "false_positive" else fingerprints.get(row.fingerprint, "accepted")
            )
        false_positives = sum(1 for status in fingerprints.values() if status == "false_positive")
        report: dict[str, Any] = {
            "model": model.name,
            "config_hash": model.config_hash,
            "window_start": since,
            "analyses": len(rows),
            "errors": errors,
            "error_rate": errors / len(rows) if rows else None,
            "latency_p95_s": percentile(latencies, 95),
            "triaged": len(fingerprints),
            "false_positives": false_positives,
            "false_positive_share": false_positives / len(fingerprints) if fingerprints else None,
        }
        breaches: list[str] = []
        if len(rows) >= policy.min_analyses:
            if report["error_rate"] is not None and report["error_rate"] > policy.max_error_rate:
                breaches.append(
                    f"error rate {report['error_rate']:.1%} over {len(rows)} analyses "
                    f"(at most {policy.max_error_rate:.1%})"
                )
            if report["latency_p95_s"] is not None and report["latency_p95_s"] > policy.max_latency_p95_s:
                breaches.append(f"p95 latency {report['latency_p95_s']:.2f}s (budget {policy.max_latency_p95_s:.2f}s)")
        if len(fingerprints) >= policy.min_triaged and report["false_positive_share"] > policy.max_false_positive_share:
            breaches.append(
                f"{false_positives} of {len(fingerprints)} triaged findings are false positives "
                f"({report['false_positive_share']:.0%}; at most {policy.max_false_positive_share:.0%})"
            )
        if dataset is not None:
            evaluation, breach = self._check_on_dataset(model, dataset, actor)
            report["evaluation"] = evaluation
            if breach:
                breaches.append(breach)
        watched = MonitorReport(**report, breaches=tuple(breaches))
        return self.sweep(watched, actor=actor) if act else watched

    def sweep(self, report: MonitorReport, *, actor: str | None = None) -> MonitorReport:
        """Quarantine the production configuration ``report`` found in breach (if it is still production)."""
        production = self.production()
        if not report.breaches or production is None or production.config_hash != report.config_hash:
            return report
        evidence = report.to_dict()
        del evidence["quarantined"]
        record = self.quarantine(
            production.config_hash,
            reason="production monitoring: " + "; ".join(report.breaches),
            actor=actor,
            manual=False,
            evidence=evidence,
        )
        return replace(report, quarantined=record)

    def _check_on_dataset(
        self, model: ModelRecord, dataset: Dataset, actor: str | None
    ) -> tuple[dict[str, Any], str | None]:
        """Production's evaluation on ``dataset`` against the F1 it was promoted with."""
        evaluation = self._evaluated(model, dataset, "monitoring", actor)
        brief = _evaluation_brief(evaluation) or {}
        if not evaluation.succeeded:
            return brief, f"evaluation on dataset {dataset.version} failed: {evaluation.error}"
        promoted_f1 = self._promoted_f1(model)
        brief["promoted_f1"] = promoted_f1
        f1 = (evaluation.metrics or {}).get("f1")
        if promoted_f1 is None or f1 is None:
            return brief, None
        drop = promoted_f1 - float(f1)
        if drop > self.policy.monitoring.max_f1_drop + 1e-12:
            return brief, (
                f"F1 {float(f1):.3f} on dataset {dataset.version} is {drop * 100:.1f} points below "
                f"the {promoted_f1:.3f} it was promoted with (at most {self.policy.monitoring.max_f1_drop * 100:.1f})"
            )
        return brief, None

    def _promoted_f1(self, model: ModelRecord) -> float | None:
        with reading(self.engine, "reading promotions") as connection:
            row = connection.execute(
                select(PROMOTIONS.c.evidence)
                .where(PROMOTIONS.c.experiment_id == model.id, PROMOTIONS.c.decision != "refused")
                .order_by(PROMOTIONS.c.at.desc())
            ).first()
        if row is None:
            return None
        metrics = ((row.evidence or {}).get("candidate") or {}).get("metrics") or {}
        value = metrics.get("f1")
        return None if value is None else float(value)

    # -- re-evaluation --------------------------------------------------------------------------------------

    def re_evaluate(self, dataset: Dataset, *, actor: str | None = None, due_only: bool = False) -> list[ReEvaluation]:
        """Re-evaluate the open quarantines on ``dataset``: passing the gate against production -> V1; the policy's
        number of failures -> blacklist. ``due_only`` (the schedules) skips a record re-evaluated less than the
        policy's ``min_interval_hours`` ago, so an hourly run does not spend three failures in three hours."""
        now = self._clock()
        interval = timedelta(hours=self.policy.re_evaluation.min_interval_hours)
        outcomes: list[ReEvaluation] = []
        for record in [r for r in self.quarantine_records() if r.status == "open"]:
            if due_only and not due_for_re_evaluation(record, now, interval):
                continue
            outcomes.append(self._re_evaluate(record, dataset, actor))
        return outcomes

    def _re_evaluate(self, record: QuarantineRecord, dataset: Dataset, actor: str | None) -> ReEvaluation:
        model = self.model(record.config_hash)
        evaluation = self.evaluate(model.config_hash, dataset, trigger="re-evaluation", actor=actor)
        production = self.production()
        theirs = None if production is None else self._evaluated(production, dataset, "re-evaluation", actor)
        if not evaluation.succeeded:
            passed, detail = False, f"evaluation failed: {evaluation.error}"
        elif theirs is not None and not theirs.succeeded:
            passed, detail = False, f"production's evaluation failed: {theirs.error}"
        else:
            assert evaluation.metrics is not None  # noqa: S101 - a succeeded evaluation has metrics
            verdict = judge(evaluation.metrics, None if theirs is None else theirs.metrics, self.policy.promotion)
            passed = verdict.passed
            detail = "passed the promotion gate" if passed else "; ".join(verdict.failures)
        failures = record.failures + (0 if passed else 1)
        blacklist = not passed and failures >= self.policy.re_evaluation.max_failures
        outcome = "released" if passed else "blacklisted" if blacklist else "failed"
        now = self._clock()
        with writing(self.engine, "recording a re-evaluation") as connection:
            connection.execute(
                insert(RE_EVALUATIONS).values(
                    record_id=record.id, evaluation_id=evaluation.id, passed=passed, detail=detail, at=now
                )
            )
            values: dict[str, Any] = {"failures": failures}
            if passed or blacklist:
                values.update(status="released" if passed else "blacklisted", closed_at=now)
            connection.execute(update(RECORDS).where(RECORDS.c.id == record.id).values(**values))
            evidence = {"evaluation_id": evaluation.id, "dataset": dataset.version, "failures": failures}
            if passed:
                self._set_stage(
                    connection, model, Stage.EXPERIMENTAL, f"re-evaluation passed: {detail}", actor, False, evidence
                )
            elif blacklist:
                reason = f"failed re-evaluation {failures} times; last: {detail}"
                connection.execute(insert(BLACKLIST).values(experiment_id=model.id, reason=reason, actor=actor, at=now))
                self._set_stage(connection, model, Stage.BLACKLISTED, reason, actor, False, evidence)
        if self.tracker is not None and model.mlflow_version is not None and outcome != "failed":
            stage = Stage.EXPERIMENTAL if passed else Stage.BLACKLISTED
            self.tracker.tag_stage(model.mlflow_version, stage.value)
        self._audit(f"lifecycle.re_evaluation.{outcome}", actor, model, {"detail": detail, "failures": failures})
        return ReEvaluation(model.name, passed, detail, outcome, evaluation)

    def blacklist(self) -> list[dict[str, Any]]:
        query = select(BLACKLIST, EXPERIMENTS.c.name, EXPERIMENTS.c.config_hash).join(
            EXPERIMENTS, EXPERIMENTS.c.id == BLACKLIST.c.experiment_id
        )
        with reading(self.engine, "reading the blacklist") as connection:
            return [
                {
                    "model": row.name,
                    "config_hash": row.config_hash,
                    "reason": row.reason,
                    "actor": row.actor,
                    "at": row.at.isoformat(),
                }
                for row in connection.execute(query.order_by(BLACKLIST.c.at.desc()))
            ]

    # -- history --------------------------------------------------------------------------------------------

    def history(self, ref: str | None = None, *, limit: int = 200) -> list[Transition]:
        """Stage changes newest first (of one configuration, or of all)."""
        query = (
            select(TRANSITIONS, EXPERIMENTS.c.name, EXPERIMENTS.c.config_hash)
            .join(EXPERIMENTS, EXPERIMENTS.c.id == TRANSITIONS.c.experiment_id)
            .order_by(TRANSITIONS.c.id.desc())
            .limit(limit)
        )
        if ref is not None:
            query = query.where(TRANSITIONS.c.experiment_id == self.model(ref).id)
        with reading(self.engine, "reading the lifecycle history") as connection:
            return [
                Transition(
                    row.name,
                    row.config_hash,
                    row.from_stage,
                    row.to_stage,
                    row.reason,
                    row.actor,
                    row.manual,
                    row.evidence,
                    row.at,
                )
                for row in connection.execute(query)
            ]

    def promotions(self, *, limit: int = 100) -> list[dict[str, Any]]:
        previous = EXPERIMENTS.alias("previous")
        query = (
            select(PROMOTIONS, EXPERIMENTS.c.name, previous.c.name.label("previous_name"))
            .join(EXPERIMENTS, EXPERIMENTS.c.id == PROMOTIONS.c.experiment_id)
            .outerjoin(previous, previous.c.id == PROMOTIONS.c.previous_id)
            .order_by(PROMOTIONS.c.at.desc())
            .limit(limit)
        )
        with reading(self.engine, "reading promotions") as connection:
            return [
                {
                    "id": row.id,
                    "model": row.name,
                    "previous": row.previous_name,
                    "dataset_version": row.dataset_version,
                    "decision": row.decision,
                    "evidence": row.evidence,
                    "reason": row.reason,
                    "actor": row.actor,
                    "at": row.at.isoformat(),
                }
                for row in connection.execute(query)
            ]

    # -- plumbing -------------------------------------------------------------------------------------------

    def _set_stage(
        self,
        connection: Connection,
        model: ModelRecord,
        stage: Stage,
        reason: str,
        actor: str | None,
        manual: bool,
        evidence: dict[str, Any],
    ) -> None:
        current = connection.execute(select(EXPERIMENTS.c.stage).where(EXPERIMENTS.c.id == model.id)).scalar_one()
        connection.execute(
            update(EXPERIMENTS).where(EXPERIMENTS.c.id == model.id).values(stage=stage.value, updated_at=self._clock())
        )
        self._transition(connection, model.id, current, stage, reason, actor, manual, evidence)

    def _transition(
        self,
        connection: Connection,
        model_id: str,
        from_stage: str | None,
        to_stage: Stage,
        reason: str,
        actor: str | None,
        manual: bool,
        evidence: dict[str, Any],
    ) -> None:
        connection.execute(
            insert(TRANSITIONS).values(
                experiment_id=model_id,
                from_stage=from_stage,
                to_stage=to_stage.value,
                reason=reason[:MAX_REASON_LENGTH],
                actor=actor,
                manual=manual,
                evidence=evidence,
                at=self._clock(),
            )
        )

    def _set_mlflow_version(self, model_id: str, version: str) -> None:
        with writing(self.engine, "recording the MLflow version") as connection:
            connection.execute(update(EXPERIMENTS).where(EXPERIMENTS.c.id == model_id).values(mlflow_version=version))

    def _audit(self, action: str, actor: str | None, model: ModelRecord, details: dict[str, Any]) -> None:
        if not self._audit_on:
            return
        from reviewlab.audit import AuditLog

        AuditLog(self.engine).append(
            action,
            actor=actor,
            target_type="model",
            target_id=model.config_hash,
            details={"model": model.name, **details},
        )


def due_for_re_evaluation(record: QuarantineRecord, now: datetime, interval: timedelta) -> bool:
    """An open quarantine never re-evaluated, or last re-evaluated at least ``interval`` before ``now``."""
    if record.status != "open":
        return False
    if not record.re_evaluations:
        return True
    last = max(datetime.fromisoformat(entry["at"]) for entry in record.re_evaluations)
    last = last if last.tzinfo is not None else last.replace(tzinfo=UTC)
    return now - last >= interval


def _reason(reason: str | None, what: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise LifecycleError(f"{what} needs a reason")
    if len(text) > MAX_REASON_LENGTH:
        raise LifecycleError(f"a reason is at most {MAX_REASON_LENGTH} characters")
    return text


def flat_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The numeric metrics, per category as ``<category>.<metric>`` (None values left out)."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        if key == "per_category":
            for category, values in value.items():
                for name, number in values.items():
                    if number is not None:
                        flat[f"{category}.{name}"] = float(number)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[key] = float(value)
    return flat


def _model(row: Any) -> ModelRecord:
    return ModelRecord(
        id=row.id,
        name=row.name,
        config_hash=row.config_hash,
        kind=row.kind,
        stage=Stage(row.stage),
        settings=row.settings,
        mlflow_version=row.mlflow_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _evaluations_query() -> Any:
    return select(EVALUATIONS, EXPERIMENTS.c.name, EXPERIMENTS.c.config_hash).join(
        EXPERIMENTS, EXPERIMENTS.c.id == EVALUATIONS.c.experiment_id
    )


def _evaluation(row: Any) -> EvaluationRecord:
    return EvaluationRecord(
        id=row.id,
        model_id=row.experiment_id,
        model=row.name,
        config_hash=row.config_hash,
        dataset_version=row.dataset_version,
        status=row.status,
        trigger=row.trigger,
        error=row.error,
        metrics=row.metrics,
        cases=row.cases,
        mlflow_run_id=row.mlflow_run_id,
        duration_s=row.duration_s,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _tables() -> tuple[Any, Any, Any]:
    from reviewlab.projects.models import TriageRow
    from reviewlab.store.models import AnalysisSession, CodeReviewResult

    return table_of(AnalysisSession), table_of(CodeReviewResult), table_of(TriageRow)


_SESSIONS, _RESULTS, _TRIAGE = _tables()
__all__: Sequence[str] = (
    "Decision",
    "EvaluationRecord",
    "Lifecycle",
    "LifecycleError",
    "ModelRecord",
    "MonitorReport",
    "QuarantineRecord",
    "ReEvaluation",
    "Transition",
    "UnknownModel",
)
