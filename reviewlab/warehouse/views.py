"""The DuckDB side: one in-memory connection with a view per table over the warehouse's Parquet files.

``<table>_files`` reads ``<root>/<table>/**/*.parquet`` with hive partitioning (``repository`` and ``date`` come
from the path), or is an empty relation of the same columns while the table has no file. The glob is bound
through a DuckDB variable, never spliced into SQL.

Opening and reading hundreds of small partition files costs more than the dashboard's 200 ms per question, so
the queries run over an in-memory snapshot: ``scans``, ``findings`` and ``file_metrics`` (the committed rows of
the views, see ``writer``), plus ``scan_seq`` (scans numbered per repository) and ``runs`` (each stretch of
consecutive scans holding a fingerprint). The snapshot is rebuilt before the next query after any write through
``Warehouse`` (which replaces the ``_changes`` marker), or on ``refresh()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import duckdb
import polars as pl

from reviewlab.warehouse.errors import CorruptWarehouse, WarehouseNotFound
from reviewlab.warehouse.schema import TABLES

_DUCKDB_TYPES: Final[dict[type[pl.DataType], str]] = {
    pl.String: "VARCHAR",
    pl.Int64: "BIGINT",
    pl.Int32: "INTEGER",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
    pl.Datetime: "TIMESTAMPTZ",
}
_HIVE_TYPES: Final = "{'repository': 'VARCHAR', 'date': 'DATE'}"

# The committed rows: a part file whose scan has no ``scans`` row yet (or any more) is not part of the warehouse.
_SNAPSHOT: Final = (
    "CREATE OR REPLACE TABLE scans AS SELECT * FROM scans_files ORDER BY repository, scanned_at",
    "CREATE OR REPLACE TABLE findings AS SELECT f.* FROM findings_files AS f "
    "SEMI JOIN scans_files AS s ON f.repository = s.repository AND f.scan_id = s.scan_id "
    "AND f.scanned_at = s.scanned_at ORDER BY f.repository, f.scanned_at",
    "CREATE OR REPLACE TABLE file_metrics AS SELECT m.* FROM file_metrics_files AS m "
    "SEMI JOIN scans_files AS s ON m.repository = s.repository AND m.scan_id = s.scan_id "
    "AND m.scanned_at = s.scanned_at ORDER BY m.repository, m.scanned_at",
    """CREATE OR REPLACE TABLE scan_seq AS
    SELECT repository, scan_id, scanned_at, date, findings,
        row_number() OVER w AS seq, lag(scan_id) OVER w AS previous_scan_id
    FROM scans WINDOW w AS (PARTITION BY repository ORDER BY scanned_at, scan_id)""",
    # A run (island) of consecutive scans holding a fingerprint: it is new at start_seq and fixed at end_seq + 1.
    """CREATE OR REPLACE TABLE runs AS
    WITH present AS (
        SELECT f.repository, f.fingerprint, s.seq, min(s.scanned_at) AS scanned_at, min(f.severity) AS severity,
            min(f.rule_id) AS rule_id, min(f.triage_status) AS triage_status
        FROM findings AS f JOIN scan_seq AS s ON f.repository = s.repository AND f.scan_id = s.scan_id
        GROUP BY f.repository, f.fingerprint, s.seq
    ),
    islands AS (
        SELECT *, seq - row_number() OVER (PARTITION BY repository, fingerprint ORDER BY seq) AS island
        FROM present
    )
    SELECT repository, fingerprint, min(seq) AS start_seq, max(seq) AS end_seq,
        min(scanned_at) AS first_seen, CAST(min(scanned_at) AS DATE) AS date, max(scanned_at) AS last_seen,
        first(severity ORDER BY seq) AS severity, first(rule_id ORDER BY seq) AS rule_id,
        last(rule_id ORDER BY seq) AS last_rule_id, last(triage_status ORDER BY seq) AS last_triage_status,
        row_number() OVER (PARTITION BY repository, fingerprint ORDER BY min(seq)) AS episode
    FROM islands GROUP BY repository, fingerprint, island""",
)
MARKER: Final = "_changes"
"""Replaced by every write; a reader rebuilds its snapshot when the marker is not the one it loaded."""


class Views:
    """The connection, its views and the snapshot; ``query`` rebuilds the snapshot when the marker changed."""

    def __init__(self, root: Path) -> None:
        if not root.is_dir():
            raise WarehouseNotFound(f"no warehouse at {root}: not a directory")
        self.root = root
        self.connection = duckdb.connect(":memory:")
        self.connection.execute("SET TimeZone = 'UTC'")
        self._has_files: dict[str, bool] = {}
        self._loaded: tuple[int, int] | None = None
        for table in TABLES:
            self.connection.execute(f"SET VARIABLE {table}_glob = ?", [str(root / table / "**" / "*.parquet")])
        self.refresh()

    def close(self) -> None:
        self.connection.close()

    def query(self, sql: str, params: dict[str, Any]) -> pl.DataFrame:
        """Run ``sql`` with ``params`` bound, as a Polars frame with UTC timestamps."""
        if not self.root.is_dir():
            raise WarehouseNotFound(f"the warehouse at {self.root} is gone")
        if self._marker() != self._loaded:
            self.refresh()
        frame: pl.DataFrame = self.connection.sql(sql, params=params or None).pl()
        return frame.with_columns(
            pl.col(name).dt.convert_time_zone("UTC")
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
        )

    def refresh(self) -> None:
        """Rebuild the snapshot from the files now on disk."""
        marker = self._marker()
        try:
            self._point_views()
            for statement in _SNAPSHOT:
                self.connection.execute(statement)
        except (duckdb.IOException, duckdb.InvalidInputException) as err:
            raise CorruptWarehouse(f"cannot read the warehouse at {self.root}: {err}") from err
        self._loaded = marker

    def _marker(self) -> tuple[int, int] | None:
        try:
            status = (self.root / MARKER).stat()
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_mtime_ns

    def _point_views(self) -> None:
        for table, schema in TABLES.items():
            has_files = next((self.root / table).glob("**/*.parquet"), None) is not None
            if self._has_files.get(table) == has_files:
                continue
            source = (
                # The table names are the constants of TABLES; the glob itself is bound as a variable.
                f"SELECT * FROM read_parquet(getvariable('{table}_glob'), hive_partitioning = true, "  # noqa: S608
                f"hive_types = {_HIVE_TYPES})"
                if has_files
                else _empty_select(schema)
            )
            self.connection.execute(f"CREATE OR REPLACE VIEW {table}_files AS {source}")
            self._has_files[table] = has_files


def _empty_select(schema: pl.Schema) -> str:
    columns = [f'CAST(NULL AS {_DUCKDB_TYPES[type(dtype)]}) AS "{name}"' for name, dtype in schema.items()]
    columns += ['CAST(NULL AS VARCHAR) AS "repository"', 'CAST(NULL AS DATE) AS "date"']
    return f"SELECT {', '.join(columns)} WHERE false"
