"""Dagster resources: typed configuration that opens the library's external systems for a run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import Field

from reviewlab.settings import Settings, get_settings
from reviewlab.store import Store, open_store


class ReviewlabStore(dg.ConfigurableResource[Store]):
    """reviewlab's operational store: SQLite under REVIEWLAB_HOME, or PostgreSQL when DATABASE_URL is set.

    Assets receive the library's ``Store`` itself (``store: dg.ResourceParam[Store]``), opened for
    the run and closed after it, so they depend on the library and not on this module.
    """

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

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Store]:
        store = open_store(self.settings())
        try:
            yield store
        finally:
            store.close()
