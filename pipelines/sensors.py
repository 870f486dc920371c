"""Sensors: keep the ``repositories`` partitions in step with the registered repositories, and scan on a new head."""

import dagster as dg

from assets.environment import ScanEnvironment
from assets.scans import REPOSITORIES, repositories
from pipelines.schedules import scan_repositories
from reviewlab.scans import RepositoryUnavailable, branch_head, last_scanned_commit, scan_targets

# Running from the daemon's start: a repository registered from the CLI or the API gets its partition, and its
# first scan, within the interval, without anyone switching the sensors on in the UI.
RUNNING = dg.DefaultSensorStatus.RUNNING


@dg.sensor(minimum_interval_seconds=300, default_status=RUNNING)
def repository_partitions(
    context: dg.SensorEvaluationContext, scans: dg.ResourceParam[ScanEnvironment]
) -> dg.SensorResult:
    """Add a partition per newly registered repository and remove those of deleted ones."""
    wanted = [target.project_id for target in scan_targets(scans.engine)]
    existing = set(context.instance.get_dynamic_partitions(REPOSITORIES))
    added = [key for key in wanted if key not in existing]
    removed = sorted(existing - set(wanted))
    requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
    if added:
        requests.append(repositories.build_add_request(added))
    if removed:
        requests.append(repositories.build_delete_request(removed))
    return dg.SensorResult(dynamic_partitions_requests=requests)


@dg.sensor(job=scan_repositories, minimum_interval_seconds=300, default_status=RUNNING)
def repository_heads(context: dg.SensorEvaluationContext, scans: dg.ResourceParam[ScanEnvironment]) -> dg.SensorResult:
    """Scan a repository when its branch head is not the last commit scanned."""
    existing = set(context.instance.get_dynamic_partitions(REPOSITORIES))
    runs: list[dg.RunRequest] = []
    missing: list[str] = []
    for target in scan_targets(scans.engine):
        try:
            head = branch_head(target)
        except RepositoryUnavailable as err:
            context.log.warning(f"skipping {target.name} ({target.project_id}): {err}")
            continue
        if head == last_scanned_commit(scans.engine, target.project_id):
            continue
        if target.project_id not in existing:
            missing.append(target.project_id)
        # The run key makes the request once per head: the sensor needs no cursor.
        runs.append(
            dg.RunRequest(
                partition_key=target.project_id,
                run_key=f"{target.project_id}:{head}",
                tags={"reviewlab/trigger": "sensor", "reviewlab/commit": head},
            )
        )
    partitions = [repositories.build_add_request(missing)] if missing else []
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=partitions)
