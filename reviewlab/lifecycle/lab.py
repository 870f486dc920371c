"""The lab as the faces open it: the experiments directory, the store, MLflow and the policy.

``experiments/`` (``REVIEWLAB_EXPERIMENTS_DIR``) holds ``candidates/*.yaml``, ``datasets/core`` (the curated
dataset) and ``policy.yaml``. The current dataset is the curated one extended with the cases reviewer triage
gives (``feedback``); each version is written once under ``<REVIEWLAB_HOME>/datasets/<version>`` and recorded
in the store, so an evaluation can always be traced to the exact cases it ran on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from reviewlab.lifecycle.candidates import load_candidates
from reviewlab.lifecycle.dataset import Dataset, load_dataset, write_dataset
from reviewlab.lifecycle.evaluate import OrchestratorFactory
from reviewlab.lifecycle.feedback import Feedback, cases_from_triage
from reviewlab.lifecycle.policy import Policy, load_policy
from reviewlab.lifecycle.service import Lifecycle, ModelRecord
from reviewlab.lifecycle.tracking import Tracker
from reviewlab.settings import Settings

CORE_DATASET = "core"


@dataclass(frozen=True, slots=True)
class LabPaths:
    root: Path

    @property
    def candidates(self) -> Path:
        return self.root / "candidates"

    @property
    def dataset(self) -> Path:
        return self.root / "datasets" / CORE_DATASET

    @property
    def policy(self) -> Path:
        return self.root / "policy.yaml"

    @classmethod
    def from_settings(cls, settings: Settings) -> LabPaths:
        return cls(settings.reviewlab_experiments_dir.expanduser())


def lifecycle_for(
    engine: Engine,
    settings: Settings,
    *,
    tracker: Tracker | None = None,
    policy: Policy | None = None,
    orchestrators: OrchestratorFactory | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Lifecycle:
    """A lifecycle on ``engine`` with the settings' MLflow (unless given) and the experiments' policy."""
    paths = LabPaths.from_settings(settings)
    return Lifecycle(
        engine,
        settings,
        tracker=tracker if tracker is not None else Tracker.from_settings(settings),
        policy=policy if policy is not None else load_policy(paths.policy),
        orchestrators=orchestrators,
        clock=clock,
    )


@contextmanager
def open_lifecycle(settings: Settings) -> Iterator[Lifecycle]:
    """The lifecycle on the settings' (migrated) store; the engine is disposed afterwards."""
    from reviewlab.store import migrate
    from reviewlab.store.connect import create_engine, translated
    from reviewlab.store.failures import store_errors

    engine = create_engine(settings.sqlalchemy_url)
    try:
        with store_errors(engine.url, "migrating the schema"):
            migrate.upgrade(translated(engine))
        yield lifecycle_for(engine, settings)
    finally:
        engine.dispose()


def sync_candidates(lifecycle: Lifecycle, settings: Settings, *, actor: str | None = None) -> list[ModelRecord]:
    """Register every candidate file of the experiments directory (new settings become V1)."""
    return lifecycle.register(load_candidates(LabPaths.from_settings(settings).candidates), actor=actor)


def current_dataset(lifecycle: Lifecycle, settings: Settings) -> tuple[Dataset, Feedback]:
    """The curated dataset extended with the triage feedback, snapshotted and recorded (see the module docstring)."""
    base = load_dataset(LabPaths.from_settings(settings).dataset)
    feedback = cases_from_triage(lifecycle.engine, settings)
    dataset = base.extended(feedback.cases) if feedback.cases else base
    snapshot = settings.reviewlab_home.expanduser() / "datasets" / dataset.version
    if not (snapshot / "dataset.yaml").is_file():
        write_dataset(dataset, snapshot)
    lifecycle.record_dataset(dataset, str(snapshot))
    return dataset, feedback


def dataset_version(lifecycle: Lifecycle, version: str) -> Dataset:
    """A recorded dataset version, read back from its snapshot (checked against its hash)."""
    from reviewlab.errors import ConfigError

    for entry in lifecycle.datasets():
        if entry["version"] == version:
            dataset = load_dataset(Path(entry["location"]))
            if dataset.version != version:
                raise ConfigError(f"the snapshot of dataset {version} at {entry['location']} has been changed")
            return dataset
    raise ConfigError(f"no dataset version {version} has been recorded")
