"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs`` from here."""

from __future__ import annotations

import dagster as dg

from assets import scans, warehouse
from pipelines.checks import scan_gate, scans_fresh
from pipelines.resources import ReviewlabScans, ReviewlabStore
from pipelines.schedules import (
    check_freshness,
    compact_warehouse,
    daily_freshness,
    nightly_scans,
    scan_local,
    scan_repositories,
    weekly_compaction,
)
from pipelines.sensors import repository_heads, repository_partitions

defs = dg.Definitions(
    assets=[*dg.load_assets_from_modules([scans]), *dg.load_assets_from_modules([warehouse])],
    asset_checks=[scan_gate, scans_fresh],
    jobs=[scan_local, scan_repositories, check_freshness, compact_warehouse],
    schedules=[nightly_scans, daily_freshness, weekly_compaction],
    sensors=[repository_partitions, repository_heads],
    # Unset fields read REVIEWLAB_HOME and DATABASE_URL at run time, so no URL or secret is in the UI.
    resources={"store": ReviewlabStore(), "scans": ReviewlabScans()},
)
