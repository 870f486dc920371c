"""The findings warehouse: scans, findings and file metrics as Parquet (written with Polars), queried with DuckDB.

``Warehouse(root)`` appends scans (``append_review`` / ``append_scan``) and compacts partitions;
``WarehouseQueries(root)`` answers the dashboard's questions as Polars frames. The layout on disk, the commit
protocol and idempotency are described in ``schema`` and ``writer``; ``default_root()`` is
``$REVIEWLAB_HOME/warehouse``.
"""

from __future__ import annotations

from reviewlab.warehouse.compaction import Compaction
from reviewlab.warehouse.errors import CorruptWarehouse, InvalidQuery, InvalidScan, WarehouseError, WarehouseNotFound
from reviewlab.warehouse.queries import SEVERITY_WEIGHTS, WarehouseQueries
from reviewlab.warehouse.record import FileMetricsRow, FindingRow, ScanRecord, scan_record
from reviewlab.warehouse.schema import FILE_METRICS, FINDINGS, SCANS, TABLES, repository_slug
from reviewlab.warehouse.writer import Warehouse, default_root

__all__ = [
    "FILE_METRICS",
    "FINDINGS",
    "SCANS",
    "SEVERITY_WEIGHTS",
    "TABLES",
    "Compaction",
    "CorruptWarehouse",
    "FileMetricsRow",
    "FindingRow",
    "InvalidQuery",
    "InvalidScan",
    "ScanRecord",
    "Warehouse",
    "WarehouseError",
    "WarehouseNotFound",
    "WarehouseQueries",
    "default_root",
    "repository_slug",
    "scan_record",
]
