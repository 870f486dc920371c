"""What the platform reviews with: the configuration that is V2 right now.

``production_configuration`` reads it from the store on every call (one indexed query), so an analysis that
starts after a promotion or a quarantine uses the new production configuration without a restart.
``layered`` puts it under a project's own configuration: the project's rule options, severities, select and
extra ignores win; the model (provider, model, prompt version, generation parameters, self-reflection
threshold) is production's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from reviewlab.engine.config import ReviewConfig
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.lifecycle.candidates import Candidate
from reviewlab.lifecycle.models import ExperimentRow, Stage

EXPERIMENTS = table_of(ExperimentRow)


@dataclass(frozen=True, slots=True)
class ProductionConfiguration:
    candidate: Candidate
    config_hash: str


def production_configuration(engine: Engine) -> ProductionConfiguration | None:
    """The current V2 configuration, or None when nothing has been promoted."""
    with reading(prepared(engine), "reading the production configuration") as connection:
        row = connection.execute(
            select(EXPERIMENTS.c.settings, EXPERIMENTS.c.config_hash).where(
                EXPERIMENTS.c.stage == Stage.PRODUCTION.value
            )
        ).first()
    if row is None:
        return None
    return ProductionConfiguration(Candidate.model_validate(row.settings), row.config_hash)


def layered(project: ReviewConfig, production: Candidate) -> ReviewConfig:
    """``project`` on top of ``production`` (see the module docstring)."""
    base = production.review_config()
    rules = {**base.rules, **project.rules}
    severity = {**base.severity, **project.severity}
    ai: dict[str, Any] = dict(project.ai)
    if base.ai:
        review = {**dict(project.ai.get("review") or {}), **base.ai["review"]}
        ai.update({key: value for key, value in base.ai.items() if key != "review"})
        ai["review"] = review
    return project.model_copy(
        update={
            "rules": rules,
            "severity": severity,
            "select": project.select or base.select,
            "ignore": tuple(dict.fromkeys((*base.ignore, *project.ignore))),
            "ai": ai,
        }
    )
