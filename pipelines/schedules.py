"""The jobs, and when they run on a clock: every repository nightly, the freshness check daily, compaction weekly,
the model lifecycle daily and production's monitoring hourly."""

from collections.abc import Iterator

import dagster as dg

from assets.lifecycle import production_monitoring, quarantine_sweep, re_evaluation
from assets.scans import REPOSITORIES
from assets.warehouse import warehouse_compaction, warehouse_scans
from pipelines.checks import scans_fresh

# Every schedule runs once the daemon does: an operator expects scans, freshness, compaction and the lifecycle
# without switching each one on in the UI (it can still be stopped there).
RUNNING = dg.DefaultScheduleStatus.RUNNING

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

model_lifecycle = dg.define_asset_job(
    "lifecycle",
    selection=dg.AssetSelection.groups("lifecycle"),
    description="Evaluate the candidates on the current dataset, promote the best through the gate, watch production.",
)
production_watch = dg.define_asset_job(
    "production_watch",
    selection=dg.AssetSelection.assets(production_monitoring, quarantine_sweep, re_evaluation),
    description="Monitor production, quarantine it on a breach and re-evaluate the quarantined configurations.",
)


@dg.schedule(cron_schedule="0 2 * * *", job=scan_repositories, execution_timezone="UTC", default_status=RUNNING)
def nightly_scans(context: dg.ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
    """Scan every registered repository each night."""
    night = context.scheduled_execution_time.strftime("%Y-%m-%d")
    for key in context.instance.get_dynamic_partitions(REPOSITORIES):
        yield dg.RunRequest(partition_key=key, run_key=f"nightly:{night}:{key}", tags={"reviewlab/trigger": "schedule"})


daily_freshness = dg.ScheduleDefinition(
    name="daily_freshness",
    job=check_freshness,
    cron_schedule="0 7 * * *",
    execution_timezone="UTC",
    default_status=RUNNING,
)
weekly_compaction = dg.ScheduleDefinition(
    name="weekly_compaction",
    job=compact_warehouse,
    cron_schedule="0 3 * * 0",
    execution_timezone="UTC",
    default_status=RUNNING,
)
daily_lifecycle = dg.ScheduleDefinition(
    name="daily_lifecycle",
    job=model_lifecycle,
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    default_status=RUNNING,
)
hourly_production_watch = dg.ScheduleDefinition(
    name="hourly_production_watch",
    job=production_watch,
    cron_schedule="0 * * * *",
    execution_timezone="UTC",
    default_status=RUNNING,
)
