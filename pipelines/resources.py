"""Dagster resources: typed configuration that opens the library's external systems for a run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import dagster as dg
from pydantic import Field

from assets.environment import ScanEnvironment
from reviewlab.lifecycle.lab import open_lifecycle
from reviewlab.lifecycle.service import Lifecycle
from reviewlab.settings import Settings, get_settings
from reviewlab.store import Store, migrate, open_store
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.failures import store_errors

T = TypeVar("T")


class _Settings(dg.ConfigurableResource[T]):
    """The library's settings from the environment, with the resource's values on top."""

    home: str | None = Field(
        default=None, description="REVIEWLAB_HOME, where the SQLite store lives; unset: from the environment."
    )
    database_url: str | None = Field(
        default=None,
        description="DATABASE_URL of the store; unset: from the environment. Give a dg.EnvVar, never a literal.",
    )

    def settings(self) -> Settings:
        """The library's settings: the environment, with this resource's values on top."""
        updates: dict[str, Path | str] = {}
        if self.home is not None:
            updates["reviewlab_home"] = Path(self.home)
        if self.database_url is not None:
            updates["database_url"] = self.database_url
        return get_settings().model_copy(update=updates)


class ReviewlabStore(_Settings[Store]):
    """reviewlab's operational store: SQLite under REVIEWLAB_HOME, or PostgreSQL when DATABASE_URL is set.

    Assets receive the library's ``Store`` itself (``store: dg.ResourceParam[Store]``), opened for
    the run and closed after it, so they depend on the library and not on this module.
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Store]:
        store = open_store(self.settings())
        try:
            yield store
        finally:
            store.close()


class ReviewlabScans(_Settings[ScanEnvironment]):
    """The settings and a migrated store engine for repository scans, sensors and schedules.

    Assets receive ``ScanEnvironment`` (``scans: dg.ResourceParam[ScanEnvironment]``); the engine is disposed
    of after the run or the sensor's evaluation.
    """

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[ScanEnvironment]:
        settings = self.settings()
        engine = create_engine(settings.sqlalchemy_url)
        try:
            with store_errors(engine.url, "migrating the schema"):
                migrate.upgrade(translated(engine))
            yield ScanEnvironment(settings, engine)
        finally:
            engine.dispose()


class ReviewlabLifecycle(_Settings[Lifecycle]):
    """The model lifecycle on the store, with MLflow and the experiments directory from the settings.

    Assets receive the library's ``Lifecycle`` (``lifecycle: dg.ResourceParam[Lifecycle]``; its ``settings`` are
    the run's), opened on the migrated store for the run and disposed of after it.
    """

    experiments_dir: str | None = Field(
        default=None,
        description="REVIEWLAB_EXPERIMENTS_DIR (candidates, datasets/core, policy.yaml); unset: from the environment.",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="MLFLOW_TRACKING_URI; unset: from the environment, else SQLite under REVIEWLAB_HOME/mlflow.",
    )

    def settings(self) -> Settings:
        """The library's settings with the store's, the experiments directory's and MLflow's values on top."""
        updates: dict[str, Path | str] = {}
        if self.experiments_dir is not None:
            updates["reviewlab_experiments_dir"] = Path(self.experiments_dir)
        if self.mlflow_tracking_uri is not None:
            updates["mlflow_tracking_uri"] = self.mlflow_tracking_uri
        return super().settings().model_copy(update=updates)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Lifecycle]:
        with open_lifecycle(self.settings()) as lifecycle:
            yield lifecycle
