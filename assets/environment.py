"""What the repository-scan assets receive from their resource: the library's settings and an engine on the store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from reviewlab.settings import Settings
from reviewlab.warehouse import default_root


@dataclass(frozen=True, slots=True)
class ScanEnvironment:
    """The settings of a run and an engine on its migrated store (opened and disposed of by the resource)."""

    settings: Settings
    engine: Engine

    @property
    def workspaces(self) -> Path:
        """Where snapshots are checked out: ``REVIEWLAB_HOME/workspaces/<project>/<commit>``."""
        return self.settings.reviewlab_home / "workspaces"

    def reports(self, project_id: str, commit: str) -> Path:
        """Where a scan's reports are written: ``REVIEWLAB_HOME/reports/<project>/<commit>``."""
        return self.settings.reviewlab_home / "reports" / project_id / commit

    @property
    def warehouse(self) -> Path:
        """The findings warehouse's root."""
        return default_root(self.settings)
