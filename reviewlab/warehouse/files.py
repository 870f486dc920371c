"""Reading and writing the warehouse's Parquet files: atomic writes, schema-checked reads, clear errors."""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from reviewlab.warehouse.errors import CorruptWarehouse

TEMP_SUFFIX = ".tmp"
"""Files being written: never matched by a reader's ``*.parquet`` glob."""


def write_atomic(frame: pl.DataFrame, target: Path) -> None:
    """Write ``frame`` to ``target`` so that a reader sees the whole file or none of it (temp file + replace)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.stem}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    try:
        with temp.open("wb") as handle:
            frame.write_parquet(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def mark_changed(root: Path) -> None:
    """Replace the root's change marker (a new file each time), telling readers to rebuild their snapshots."""
    marker = root / "_changes"
    temp = root / f".changes.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    temp.write_text(uuid.uuid4().hex)
    os.replace(temp, marker)


def read_table(files: Sequence[Path], schema: pl.Schema, columns: list[str] | None = None) -> pl.DataFrame:
    """The rows of ``files``, refusing any file that is not Parquet or lacks the table's columns."""
    wanted = list(schema.names()) if columns is None else columns
    if not files:
        return pl.DataFrame(schema={name: schema[name] for name in wanted})
    try:
        frame = pl.read_parquet(list(files), columns=wanted, hive_partitioning=False)
    except (pl.exceptions.PolarsError, OSError) as err:
        raise CorruptWarehouse(f"cannot read the warehouse files {_names(files)}: {err}") from err
    expected = {name: schema[name] for name in wanted}
    if dict(frame.schema) != expected:
        raise CorruptWarehouse(f"the warehouse files {_names(files)} do not hold the expected columns {expected}")
    return frame


def parquet_files(directory: Path) -> list[Path]:
    """The finished Parquet files directly in ``directory``, by name."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if path.suffix == ".parquet" and path.is_file())


def _names(files: Sequence[Path]) -> str:
    shown = ", ".join(str(path) for path in files[:3])
    return shown + (f" and {len(files) - 3} more" if len(files) > 3 else "")
