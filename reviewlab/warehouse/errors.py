"""The warehouse's errors, under the library's tree.

ReviewlabError
└── WarehouseError            the findings warehouse failed
    ├── WarehouseNotFound     the root does not exist or is not a directory
    ├── CorruptWarehouse      a Parquet file cannot be read or has the wrong columns
    ├── InvalidScan           (also an InputError) a scan record cannot be written as given
    └── InvalidQuery          (also an InputError) a query's arguments are invalid
"""

from __future__ import annotations

from reviewlab.errors import InputError, ReviewlabError


class WarehouseError(ReviewlabError):
    """The findings warehouse could not complete an operation."""


class WarehouseNotFound(WarehouseError):
    """The warehouse root does not exist or is not a directory."""


class CorruptWarehouse(WarehouseError):
    """A file of the warehouse cannot be read, or does not hold the table's columns."""


class InvalidScan(WarehouseError, InputError):
    """A scan record cannot be written: a naive timestamp, an empty repository or scan id, an unknown triage status."""


class InvalidQuery(WarehouseError, InputError):
    """A query's arguments are invalid: a naive datetime, an unknown grouping, dimension or period."""
