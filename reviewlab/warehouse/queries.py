"""The dashboard's questions, answered by DuckDB over the warehouse; each returns a Polars frame.

Every query takes the same optional filters: ``repository`` (a name or slug), ``since`` (inclusive) and
``until`` (exclusive), timezone-aware datetimes compared with ``scanned_at``. Values are always bound
parameters; the SQL is assembled from constant fragments only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import polars as pl

from reviewlab.engine.model import Category, Severity
from reviewlab.warehouse import sql
from reviewlab.warehouse.errors import InvalidQuery
from reviewlab.warehouse.schema import repository_slug
from reviewlab.warehouse.views import Views

SEVERITIES: Final = tuple(severity.value for severity in Severity)
CATEGORIES: Final = tuple(category.value for category in Category)
SEVERITY_WEIGHTS: Final = {"critical": 10.0, "high": 5.0, "medium": 3.0, "low": 1.0, "info": 0.0}
"""How much a finding of each severity weighs in a hotspot's score."""

Dimension = Literal["severity", "category"]
Period = Literal["day", "week"]
FixGroup = Literal["all", "severity", "rule_id"]


@dataclass(frozen=True, slots=True)
class Window:
    """The filters, as SQL fragments over ``alias`` and their bound values."""

    repository: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self, alias: str = "", *, time: bool = True) -> tuple[str, dict[str, Any]]:
        prefix = f"{alias}." if alias else ""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.repository is not None:
            clauses.append(f"{prefix}repository = $repository")
            params["repository"] = repository_slug(self.repository)
        if time and self.since is not None:
            clauses.append(f"{prefix}date >= $since_date AND {prefix}scanned_at >= $since")
            params |= {"since": _utc(self.since), "since_date": _utc(self.since).date()}
        if time and self.until is not None:
            clauses.append(f"{prefix}date <= $until_date AND {prefix}scanned_at < $until")
            params |= {"until": _utc(self.until), "until_date": _utc(self.until).date()}
        return " AND ".join(clauses) or "TRUE", params


class WarehouseQueries:
    """Read-only questions over the warehouse at ``root`` (one DuckDB in-memory connection)."""

    def __init__(self, root: Path) -> None:
        self._views = Views(root)

    def __enter__(self) -> WarehouseQueries:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._views.close()

    def refresh(self) -> None:
        """Reload the files now on disk (each query already does after a write through ``Warehouse``)."""
        self._views.refresh()

    def findings_by_scan(
        self,
        by: Dimension = "severity",
        *,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.DataFrame:
        """Findings per scan and severity (or category), every level present (0 when none).

        Columns: repository, scan_id, scanned_at, severity|category, findings; by repository, time, level.
        """
        where, params = Window(repository, since, until).where()
        text = sql.FINDINGS_BY_SCAN.format(where=where, by=_dimension(by))
        return self._views.query(text, params | {"levels": _levels(by)})

    def findings_by_period(
        self,
        by: Dimension = "severity",
        period: Period = "week",
        *,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.DataFrame:
        """The findings of each repository at the end of each day or ISO week (its last scan in the period).

        Columns: repository, period_start (date), scan_id, scanned_at, severity|category, findings.
        """
        if period not in ("day", "week"):
            raise InvalidQuery(f"unknown period {period!r}; use 'day' or 'week'")
        where, params = Window(repository, since, until).where()
        text = sql.FINDINGS_BY_PERIOD.format(where=where, by=_dimension(by))
        return self._views.query(text, params | {"levels": _levels(by), "period": period})

    def new_and_fixed(
        self, *, repository: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> pl.DataFrame:
        """Per scan, fingerprints new since the repository's previous scan and fixed (there before, gone now).

        The first scan of a repository has every finding new. Columns: repository, scan_id, scanned_at,
        previous_scan_id, findings, new, fixed; by repository and time.
        """
        window = Window(repository, since, until)
        history, params = window.where(time=False)
        shown, shown_params = window.where("s")
        text = sql.NEW_AND_FIXED.format(history=history, shown=shown)
        return self._views.query(text, params | shown_params)

    def time_to_fix(
        self,
        by: FixGroup = "all",
        *,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.DataFrame:
        """Mean time to fix: hours from a fingerprint's first scan to the first later scan without it.

        Counts the fingerprints first seen in the window; those present in every later scan are ``still_open``,
        not fixed. Columns: [severity|rule_id], fixed, still_open, mean_hours, median_hours (null when nothing
        was fixed); by="all" gives one row.
        """
        first_seen, params = Window(repository, since, until).where("e")
        if by == "all":
            key, group, order = "", "", ""
        elif by in ("severity", "rule_id"):
            key, group, order = f"e.{by}, ", f"GROUP BY e.{by}", f"ORDER BY e.{by}"
        else:
            raise InvalidQuery(f"unknown grouping {by!r}; use 'all', 'severity' or 'rule_id'")
        text = sql.TIME_TO_FIX.format(first_seen=first_seen, key=key, group=group, order=order)
        return self._views.query(text, params)

    def hotspots(
        self,
        *,
        scope: Literal["latest", "window"] = "latest",
        limit: int = 20,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.DataFrame:
        """Files with the most findings, weighted by severity (``SEVERITY_WEIGHTS``), in each repository's latest
        scan (scope="latest") or across every scan of the window (each fingerprint once).

        Columns: repository, path, findings, score, critical, high, medium, low, info; by score, findings, path.
        """
        if scope not in ("latest", "window"):
            raise InvalidQuery(f"unknown scope {scope!r}; use 'latest' or 'window'")
        where, params = Window(repository, since, until).where()
        where_f, _ = Window(repository, since, until).where("f")
        latest = "QUALIFY row_number() OVER (PARTITION BY repository ORDER BY scanned_at DESC, scan_id DESC) = 1"
        text = sql.HOTSPOTS.format(where=where, where_f=where_f, latest=latest if scope == "latest" else "")
        weights = {"weights": list(SEVERITY_WEIGHTS.values()), "severities": list(SEVERITY_WEIGHTS)}
        return self._views.query(text, params | weights | {"limit": limit})

    def complexity_trends(
        self, *, repository: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> pl.DataFrame:
        """Per scan: files, functions, max and mean (over functions) cyclomatic and cognitive complexity, mean and
        min maintainability index (over files with one).

        Columns: repository, scan_id, scanned_at, files, functions, max_cyclomatic, mean_cyclomatic,
        max_cognitive, mean_cognitive, mean_maintainability, min_maintainability; by repository and time.
        """
        where, params = Window(repository, since, until).where()
        metrics_where, _ = Window(repository, since, until).where("m")
        return self._views.query(sql.COMPLEXITY_TRENDS.format(where=where, metrics_where=metrics_where), params)

    def false_positive_rules(
        self,
        *,
        limit: int = 20,
        repository: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> pl.DataFrame:
        """Rules with findings triaged false positive, each fingerprint in its latest state (its last scan).

        Columns: rule_id, findings (distinct fingerprints), false_positives, share (of findings); by
        false_positives, share, rule_id; rules without a false positive are left out.
        """
        where, params = Window(repository, since, until).where()
        states = sql.LATEST_STATES if since is None and until is None else sql.LATEST_STATES_IN_WINDOW
        text = sql.FALSE_POSITIVE_RULES.format(latest=states.format(where=where))
        return self._views.query(text, params | {"limit": limit})

    def scans(
        self, *, repository: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> pl.DataFrame:
        """The ``scans`` table's rows (with repository and date), by repository and time."""
        where, params = Window(repository, since, until).where()
        return self._views.query(sql.SCANS.format(where=where), params)


def _dimension(by: str) -> str:
    if by not in ("severity", "category"):
        raise InvalidQuery(f"unknown dimension {by!r}; use 'severity' or 'category'")
    return by


def _levels(by: Dimension) -> list[str]:
    return list(SEVERITIES if by == "severity" else CATEGORIES)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidQuery(f"{moment.isoformat()} must be timezone-aware")
    return moment.astimezone(UTC)
