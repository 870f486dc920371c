"""The jobs, and when they run on a clock: every repository nightly, the freshness check daily, compaction weekly."""

from collections.abc import Iterator

import dagster as dg

from assets.scans import REPOSITORIES
from assets.warehouse import warehouse_compaction, warehouse_scans
from pipelines.checks import scans_fresh

scan_local = dg.define_asset_job(
    "scan_local",
    selection=dg.AssetSelection.groups("local"),
    description="Review the configured local tree and store the session.",
)
scan_repositories = dg.define_asset_job(
    "scan_repositories",
    selection=(dg.AssetSelection.groups("scans") | dg.AssetSelection.assets(warehouse_scans))
    - dg.AssetSelection.checks(scans_fresh),
    description="Scan one repository (a partition) at its branch head and append the scan to the warehouse.",
)
check_freshness = dg.define_asset_job(
    "check_freshness",
    selection=dg.AssetSelection.checks(scans_fresh),
    description="Check that every registered repository was scanned in the last two days.",
)
compact_warehouse = dg.define_asset_job(
    "compact_warehouse",
    selection=dg.AssetSelection.assets(warehouse_compaction),
    description="Merge the warehouse partitions' part files.",
)


@dg.schedule(cron_schedule="0 2 * * *", job=scan_repositories, execution_timezone="UTC")
def nightly_scans(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
    """Scan every registered repository each night."""
    night = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for key in context.instance.get_dynamic_partitions(REPOSITORIES):
        yield dg.RunRequest(partition_key=key, run_key=f"nightly:{night}:{key}", tags={"reviewlab/trigger": "schedule"})


daily_freshness = dg.ScheduleDefinition(
    name="daily_freshness", job=check_freshness, cron_schedule="0 7 * * *", execution_timezone="UTC"
)
weekly_compaction = dg.ScheduleDefinition(
    name="weekly_compaction", job=compact_warehouse, cron_schedule="0 3 * * 0", execution_timezone="UTC"
)
