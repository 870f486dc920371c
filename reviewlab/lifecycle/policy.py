"""The lifecycle's policy: when a candidate may replace production, when production is quarantined, when a
quarantined configuration comes back or is blacklisted. Read from ``experiments/policy.yaml``::

    promotion:                    # V1 -> V2, on the same dataset version as production's evaluation
      min_f1_gain: 0.0            # candidate F1 - production F1 must be at least this
      max_category_drop: 0.02     # no category's F1 may fall by more than this (2 points)
      max_fpr_increase: 0.0       # false-positive rate on clean samples may not rise
      max_latency_p95_s: 30.0     # per case, review and AI review together
      max_error_rate: 0.05
      min_f1: 0.0                 # what a first production (nothing to compare with) needs
    evaluation:
      max_error_rate: 0.5         # more failing cases than this fails the evaluation (no score)
    monitoring:                   # V2 -> V3
      window_hours: 24            # analyses of the last day
      min_analyses: 5             # fewer is not evidence
      max_error_rate: 0.2         # share of analyses whose AI review was unavailable or partial
      max_latency_p95_s: 60.0     # of those analyses' AI review
      min_triaged: 10             # triaged findings needed before their false-positive share counts
      max_false_positive_share: 0.5
      max_f1_drop: 0.05           # on a new dataset version, vs the evaluation it was promoted on
    re_evaluation:                # V3 -> V1 or blacklist
      max_failures: 3
      min_interval_hours: 20      # scheduled runs re-evaluate a quarantine at most this often
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewlab.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromotionPolicy(_Strict):
    min_f1_gain: float = Field(default=0.0, ge=-1, le=1)
    max_category_drop: float = Field(default=0.02, ge=0, le=1)
    max_fpr_increase: float = Field(default=0.0, ge=0, le=1)
    max_latency_p95_s: float = Field(default=30.0, gt=0)
    max_error_rate: float = Field(default=0.05, ge=0, le=1)
    min_f1: float = Field(default=0.0, ge=0, le=1)


class EvaluationPolicy(_Strict):
    max_error_rate: float = Field(default=0.5, ge=0, le=1)


class MonitoringPolicy(_Strict):
    window_hours: float = Field(default=24.0, gt=0)
    min_analyses: int = Field(default=5, ge=1)
    max_error_rate: float = Field(default=0.2, ge=0, le=1)
    max_latency_p95_s: float = Field(default=60.0, gt=0)
    min_triaged: int = Field(default=10, ge=1)
    max_false_positive_share: float = Field(default=0.5, ge=0, le=1)
    max_f1_drop: float = Field(default=0.05, ge=0, le=1)


class ReEvaluationPolicy(_Strict):
    max_failures: int = Field(default=3, ge=1)
    min_interval_hours: float = Field(default=20.0, ge=0)


class Policy(_Strict):
    promotion: PromotionPolicy = Field(default_factory=PromotionPolicy)
    evaluation: EvaluationPolicy = Field(default_factory=EvaluationPolicy)
    monitoring: MonitoringPolicy = Field(default_factory=MonitoringPolicy)
    re_evaluation: ReEvaluationPolicy = Field(default_factory=ReEvaluationPolicy)


def load_policy(path: Path) -> Policy:
    """The policy in ``path``; the defaults when there is no such file."""
    if not path.is_file():
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read the lifecycle policy {path}: {err}") from err
    try:
        return Policy.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in err.errors(include_url=False)
        )
        raise ConfigError(f"invalid lifecycle policy {path}: {problems}") from err
