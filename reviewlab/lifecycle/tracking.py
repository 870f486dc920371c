"""Experiment tracking in MLflow: evaluation runs, the registered review model and its ``production`` alias.

Each evaluation is a run of the ``reviewlab-evaluations`` experiment: the candidate's settings as
parameters, the metrics (overall, per category as ``<category>.f1``...), tags for the candidate, its
config hash, the dataset version and the trigger, and the per-case results table (``cases.json``) and the
candidate (``candidate.json``) as artifacts. A failed evaluation is a ``FAILED`` run with its ``error`` tag and
no metrics. Every configuration that has been evaluated is a version of the registered model
``reviewlab-review`` (tagged with its name, config hash and stage); the ``production`` alias points at the
version that is V2. The store (``experiments_v1``) is the record the platform reads; the registry mirrors it
and is re-pointed on every transition.

Tracking defaults to a SQLite file under the platform's home (``<REVIEWLAB_HOME>/mlflow/mlflow.db``, artifacts
beside it); ``MLFLOW_TRACKING_URI`` points it at a tracking server or another database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewlab.errors import ReviewlabError
from reviewlab.settings import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

EXPERIMENT = "reviewlab-evaluations"
REGISTERED_MODEL = "reviewlab-review"
PRODUCTION_ALIAS = "production"
MAX_PARAM_LENGTH = 500


class TrackingError(ReviewlabError):
    """MLflow could not record something; the message says what and why."""


def default_tracking_uri(settings: Settings) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a SQLite file under the platform's home."""
    if settings.mlflow_tracking_uri:
        return settings.mlflow_tracking_uri
    return f"sqlite:///{(settings.reviewlab_home / 'mlflow' / 'mlflow.db').expanduser().resolve()}"


class Tracker:
    """The lifecycle's MLflow client (tracking and registry on one URI)."""

    def __init__(self, tracking_uri: str, *, artifact_root: Path | None = None) -> None:
        os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
        from mlflow import MlflowClient

        self.tracking_uri = tracking_uri
        self._artifact_root = artifact_root
        if tracking_uri.startswith("sqlite:///"):
            database = Path(tracking_uri.removeprefix("sqlite:///"))
            database.parent.mkdir(parents=True, exist_ok=True)
            self._artifact_root = artifact_root or database.parent / "artifacts"
        self.client: MlflowClient = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        self._experiment_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Tracker:
        return cls(default_tracking_uri(settings))

    # -- runs -----------------------------------------------------------------------------------------------

    def experiment_id(self) -> str:
        if self._experiment_id is None:
            found = self._call("reading the experiment", self.client.get_experiment_by_name, EXPERIMENT)
            if found is not None:
                self._experiment_id = str(found.experiment_id)
            else:
                location = None if self._artifact_root is None else self._artifact_root.resolve().as_uri()
                self._experiment_id = str(
                    self._call("creating the experiment", self.client.create_experiment, EXPERIMENT, location)
                )
        return self._experiment_id

    def start_run(self, run_name: str, params: Mapping[str, str], tags: Mapping[str, str]) -> str:
        """A ``RUNNING`` run with ``params`` and ``tags``; returns its id."""
        run = self._call(
            "starting a run", self.client.create_run, self.experiment_id(), tags=dict(tags), run_name=run_name
        )
        run_id = str(run.info.run_id)
        from mlflow.entities import Param

        batch = [Param(key, value[:MAX_PARAM_LENGTH]) for key, value in params.items()]
        self._call("logging parameters", self.client.log_batch, run_id, params=batch)
        return run_id

    def finish_run(
        self,
        run_id: str,
        metrics: Mapping[str, float],
        artifacts: Mapping[str, Any],
    ) -> None:
        """Log ``metrics`` and each artifact (as JSON) and end the run ``FINISHED``."""
        from mlflow.entities import Metric

        batch = [Metric(key, float(value), 0, 0) for key, value in metrics.items()]
        self._call("logging metrics", self.client.log_batch, run_id, metrics=batch)
        for name, value in artifacts.items():
            self._call(
                f"saving {name}", self.client.log_text, run_id, json.dumps(value, indent=1, sort_keys=True), name
            )
        self._call("ending the run", self.client.set_terminated, run_id, "FINISHED")

    def fail_run(self, run_id: str, error: str) -> None:
        """End the run ``FAILED`` with its ``error`` tag."""
        self._call("tagging the error", self.client.set_tag, run_id, "error", error[:5000])
        self._call("ending the run", self.client.set_terminated, run_id, "FAILED")

    def run(self, run_id: str) -> Any:
        return self._call("reading a run", self.client.get_run, run_id)

    # -- registry -------------------------------------------------------------------------------------------

    def register(self, name: str, config_hash: str, run_id: str | None, stage: str) -> str:
        """The registered model's version for ``config_hash`` (created on first sight); returns its number."""
        self._ensure_model()
        for version in self._versions():
            if version.tags.get("config_hash") == config_hash:
                self.tag_stage(str(version.version), stage)
                return str(version.version)
        source = f"runs:/{run_id}/candidate.json" if run_id else f"reviewlab:candidate/{config_hash}"
        created = self._call(
            "registering the configuration",
            self.client.create_model_version,
            REGISTERED_MODEL,
            source,
            run_id=run_id,
            tags={"candidate": name, "config_hash": config_hash, "stage": stage},
            description=f"review configuration {name} ({config_hash})",
        )
        return str(created.version)

    def tag_stage(self, version: str, stage: str) -> None:
        self._call("tagging the stage", self.client.set_model_version_tag, REGISTERED_MODEL, version, "stage", stage)

    def set_production(self, version: str) -> None:
        """Point the ``production`` alias at ``version``."""
        self._ensure_model()
        self._call(
            "moving the production alias",
            self.client.set_registered_model_alias,
            REGISTERED_MODEL,
            PRODUCTION_ALIAS,
            version,
        )

    def clear_production(self) -> None:
        self._ensure_model()
        if self.production_version() is not None:
            self._call(
                "removing the production alias",
                self.client.delete_registered_model_alias,
                REGISTERED_MODEL,
                PRODUCTION_ALIAS,
            )

    def production_version(self) -> str | None:
        """The version the ``production`` alias points at, if any."""
        from mlflow.exceptions import MlflowException

        try:
            version = self.client.get_model_version_by_alias(REGISTERED_MODEL, PRODUCTION_ALIAS)
        except MlflowException:
            return None
        return str(version.version)

    def version_tags(self, version: str) -> dict[str, str]:
        found = self._call("reading a version", self.client.get_model_version, REGISTERED_MODEL, version)
        return dict(found.tags)

    def _versions(self) -> list[Any]:
        return list(self._call("listing versions", self.client.search_model_versions, f"name = '{REGISTERED_MODEL}'"))

    def _ensure_model(self) -> None:
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(REGISTERED_MODEL)
        except MlflowException:
            self._call(
                "creating the registered model",
                self.client.create_registered_model,
                REGISTERED_MODEL,
                description="reviewlab review configurations; the production alias is the V2 configuration",
            )

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return function(*args, **kwargs)
        except (MlflowException, OSError) as err:
            raise TrackingError(f"MLflow at {self.tracking_uri} failed {what}: {err}") from err
