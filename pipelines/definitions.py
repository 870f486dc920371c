"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs`` from here."""

from __future__ import annotations

import dagster as dg

from assets import lifecycle, scans, warehouse
from pipelines.checks import promotion_gate, scan_gate, scans_fresh
from pipelines.resources import ReviewlabLifecycle, ReviewlabScans, ReviewlabStore
from pipelines.schedules import (
    check_freshness,
    compact_warehouse,
    daily_freshness,
    daily_lifecycle,
    hourly_production_watch,
    model_lifecycle,
    nightly_scans,
    production_watch,
    scan_local,
    scan_repositories,
    weekly_compaction,
)
from pipelines.sensors import repository_heads, repository_partitions

defs = dg.Definitions(
    assets=[
        *dg.load_assets_from_modules([scans]),
        *dg.load_assets_from_modules([warehouse]),
        *dg.load_assets_from_modules([lifecycle]),
    ],
    asset_checks=[scan_gate, scans_fresh, promotion_gate],
    jobs=[scan_local, scan_repositories, check_freshness, compact_warehouse, model_lifecycle, production_watch],
    schedules=[nightly_scans, daily_freshness, weekly_compaction, daily_lifecycle, hourly_production_watch],
    sensors=[repository_partitions, repository_heads],
    # Unset fields read REVIEWLAB_HOME and DATABASE_URL at run time, so no URL or secret is in the UI.
    # The lifecycle's experiments directory and MLflow come from REVIEWLAB_EXPERIMENTS_DIR and MLFLOW_TRACKING_URI.
    resources={"store": ReviewlabStore(), "scans": ReviewlabScans(), "lifecycle": ReviewlabLifecycle()},
)
