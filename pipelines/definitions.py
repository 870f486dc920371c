"""The Dagster code location: ``dagster dev -w workspace.yaml`` loads ``defs`` from here."""

from __future__ import annotations

import dagster as dg

from assets import scans
from pipelines.resources import ReviewlabStore

scan_local = dg.define_asset_job(
    "scan_local",
    selection=dg.AssetSelection.groups("scans"),
    description="Review the configured local tree and store the session.",
)

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([scans]),
    jobs=[scan_local],
    # Unset fields read REVIEWLAB_HOME and DATABASE_URL at run time, so no URL or secret is in the UI.
    resources={"store": ReviewlabStore()},
)
