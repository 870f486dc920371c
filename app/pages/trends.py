"""Trends: charts of the findings warehouse for the projects the user may see.

The warehouse (``reviewlab.warehouse``, Parquet written by the scheduled Dagster scans) is read-only analytics
and is read directly; it is partitioned by repository, and a scan's repository is its project's id. Which
projects the user may see comes from the API (``GET /api/projects``), and every query is asked per one of
those projects only, so nothing of another project is ever read into the page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import streamlit as st

from app.client import ApiClient
from app.session import call, require_sign_in
from reviewlab.errors import ReviewlabError
from reviewlab.settings import Settings
from reviewlab.warehouse import WarehouseError, WarehouseQueries, default_root, repository_slug
from reviewlab.warehouse.queries import Period

PAGE = "pages/trends.py"
PERIODS = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 365 days"}
SEVERITIES = ["critical", "high", "medium", "low", "info"]
SEVERITY_COLORS = ["#7f0000", "#d7301f", "#fc8d59", "#fdcc8a", "#bdbdbd"]
TOP = 15
HOW_DATA_ARRIVES = """
**No scans to chart yet.** Trends are drawn from the findings warehouse, which the scheduled repository
scans fill: Dagster scans every project that has a repository (a new commit on its branch is picked up within
5 minutes, and every repository is scanned nightly at 02:00 UTC) and appends each scan's findings and file
metrics to the warehouse.

To get charts here: register a project with a repository URL and branch on the **Projects** page (or ask a
member to add you to one), and make sure the Dagster daemon is running (`make run` starts it). Reviews started
by hand on **New review** are not part of these trends.
"""


# -- data -------------------------------------------------------------------------------------------------------


def projects_page(client: ApiClient, offset: int) -> Any:
    return client.get("/api/projects", limit=200, offset=offset)


def visible_projects() -> list[dict[str, Any]] | None:
    """Every project the API lets the user see (all pages of ``GET /api/projects``); None after an error."""
    found: list[dict[str, Any]] = []
    while True:
        page = call(partial(projects_page, offset=len(found)), page=PAGE)
        if page is None:
            return None
        found += page["items"]
        if not page["items"] or len(found) >= page["total"]:
            return found


def warehouse_root() -> Path:
    """``REVIEWLAB_WAREHOUSE_DIR``, else ``$REVIEWLAB_HOME/warehouse`` (read afresh: the settings may change)."""
    return default_root(Settings())


def scanned_repositories(root: Path) -> set[str]:
    """The repository slugs with at least one committed scan (a ``scans`` file), without writing anything."""
    scans = root / "scans"
    if not scans.is_dir():
        return set()
    return {
        path.name.partition("=")[2]
        for path in scans.glob("repository=*")
        if next(path.glob("date=*/*.parquet"), None) is not None
    }


class SharedReader:
    """One ``WarehouseQueries`` for every session: its snapshot is built once, and rebuilt before the next question
    only after a write (the writer's ``_changes`` marker moved); one question at a time, as a DuckDB connection
    serves one thread (each session runs the page in a thread of its own)."""

    def __init__(self, root: Path) -> None:
        self.queries = WarehouseQueries(root)
        self.lock = threading.Lock()

    def ask(self, question: Callable[[WarehouseQueries, str], pl.DataFrame], repository: str) -> pl.DataFrame:
        """``question(queries, repository)``, alone on the connection."""
        with self.lock:
            return question(self.queries, repository)

    def close(self) -> None:
        with self.lock:
            self.queries.close()


# Opening a reader loads the whole warehouse into memory (seconds at a million findings): it is kept across reruns
# and sessions, per warehouse root (a changed REVIEWLAB_WAREHOUSE_DIR gets its own; the least recently used is
# closed).
@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda reader: reader.close())
def shared_reader(root: str) -> SharedReader:
    """The reader of the warehouse at ``root`` (``WarehouseError`` when it cannot be read: nothing is cached)."""
    return SharedReader(Path(root))


def gather(
    reader: SharedReader,
    ask: Callable[[WarehouseQueries, str], pl.DataFrame],
    repositories: dict[str, str],
    *,
    label: bool = True,
) -> pl.DataFrame | None:
    """``ask(queries, repository)`` for each visible repository, stacked, with a ``project`` column of the project
    names."""
    frames = []
    for slug, name in repositories.items():
        frame = reader.ask(ask, slug)
        if frame.height:
            frames.append(frame.with_columns(pl.lit(name).alias("project")) if label else frame)
    return pl.concat(frames, how="diagonal_relaxed") if frames else None


def nothing(what: str, days: int) -> None:
    st.caption(f"No {what} in the last {days} days.")


def chart(spec: alt.Chart | alt.LayerChart, key: str) -> None:
    st.altair_chart(spec, width="stretch", key=key)


def pandas(frame: pl.DataFrame) -> Any:
    """The frame for altair, its timestamps as naive UTC (the charts say UTC; pandas warns on aware ones)."""
    return frame.with_columns(
        pl.col(name).dt.replace_time_zone(None)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ).to_pandas()


# -- the page ---------------------------------------------------------------------------------------------------

require_sign_in(PAGE)
st.title("Trends")
st.caption("Findings, fixes, hotspots and complexity over time, from the scheduled scans of your projects.")

projects = visible_projects()
if projects is None:
    st.stop()
if not projects:
    st.info("You are not a member of any project yet: trends appear for the projects you can see.")
    st.markdown(HOW_DATA_ARRIVES)
    st.stop()

try:
    root = warehouse_root()
except ReviewlabError as err:
    st.error(f"The warehouse settings are not valid: {err}")
    st.stop()
present = scanned_repositories(root)
names = {repository_slug(project["id"]): project["name"] for project in projects}
with_scans = {slug: name for slug, name in names.items() if slug in present}
if not with_scans:
    st.info("None of your projects has been scanned yet.")
    st.markdown(HOW_DATA_ARRIVES)
    st.stop()

left, right = st.columns([1, 2])
days = left.radio("Period", list(PERIODS), format_func=PERIODS.get, horizontal=True, key="trends_period")
slugs = list(with_scans)
chosen = right.multiselect(
    "Projects",
    slugs,
    default=slugs,
    format_func=with_scans.__getitem__,
    key="trends_projects",
    placeholder="All scanned",
)
repositories = {slug: with_scans[slug] for slug in (chosen or slugs)}
since = datetime.now(UTC) - timedelta(days=int(days))
window: dict[str, Any] = {"since": since}
several = len(repositories) > 1

try:
    reader = shared_reader(str(root))
except WarehouseError as err:
    st.error(f"The findings warehouse cannot be read: {err}")
    st.stop()

try:
    scans = gather(reader, lambda q, r: q.scans(repository=r, **window), repositories)
    if scans is None:
        st.info(f"No scans of {'these projects' if several else 'this project'} in the last {days} days.")
        st.stop()

    first, second, third, fourth = st.columns(4)
    latest = scans.sort("scanned_at").group_by("repository").last()
    first.metric("Scans", scans.height)
    second.metric("Open findings (latest scans)", int(latest["findings"].sum()))
    gated = scans.filter(pl.col("gate_passed").is_not_null())
    passed = gated.select(pl.col("gate_passed").cast(pl.Float64).mean()).item()
    third.metric("Gate pass rate", f"{passed:.0%}" if gated.height else "—")
    last_scan = scans["scanned_at"].max()
    fourth.metric("Last scan", last_scan.strftime("%Y-%m-%d %H:%M") if isinstance(last_scan, datetime) else "—")

    period: Period = "day" if days <= 90 else "week"
    # 1. Findings over time by severity (each project's state at the end of each period, added up)
    st.subheader("Findings over time, by severity")
    by_severity = gather(
        reader, lambda q, r: q.findings_by_period("severity", period, repository=r, **window), repositories
    )
    if by_severity is None:
        nothing("findings", days)
    else:
        totals = by_severity.group_by("period_start", "severity").agg(pl.col("findings").sum()).sort("period_start")
        chart(
            alt.Chart(pandas(totals), title=f"Open findings by severity at the end of each {period}")
            .mark_area()
            .encode(
                x=alt.X("period_start:T", title=period.capitalize()),
                y=alt.Y("findings:Q", stack="zero", title="Findings"),
                color=alt.Color(
                    "severity:N",
                    sort=SEVERITIES,
                    scale=alt.Scale(domain=SEVERITIES, range=SEVERITY_COLORS),
                    title="Severity",
                ),
                order=alt.Order("severity_rank:Q"),
                tooltip=["period_start:T", "severity:N", "findings:Q"],
            )
            .transform_calculate(severity_rank=f"indexof({SEVERITIES!r}, datum.severity)"),
            "trends_severity",
        )

    # 2. By category
    st.subheader("Findings over time, by category")
    by_category = gather(
        reader, lambda q, r: q.findings_by_period("category", period, repository=r, **window), repositories
    )
    if by_category is None:
        nothing("findings", days)
    else:
        totals = by_category.group_by("period_start", "category").agg(pl.col("findings").sum()).sort("period_start")
        chart(
            alt.Chart(pandas(totals), title=f"Open findings by category at the end of each {period}")
            .mark_bar()
            .encode(
                x=alt.X("period_start:T", title=period.capitalize()),
                y=alt.Y("findings:Q", stack="zero", title="Findings"),
                color=alt.Color("category:N", title="Category"),
                tooltip=["period_start:T", "category:N", "findings:Q"],
            ),
            "trends_category",
        )

    # 3. New and fixed per scan
    st.subheader("New and fixed findings per scan")
    churn = gather(reader, lambda q, r: q.new_and_fixed(repository=r, **window), repositories)
    if churn is None:
        nothing("scans", days)
    else:
        churn = churn.with_columns(
            pl.format(
                "{} {}" if several else "{}",
                *([pl.col("project")] if several else []),
                pl.col("scanned_at").dt.strftime("%Y-%m-%d %H:%M"),
            ).alias("scan")
        )
        bars = churn.unpivot(index=["scan", "scanned_at", "scan_id", "project"], on=["new", "fixed"])
        bars = bars.rename({"variable": "change", "value": "count"})
        chart(
            alt.Chart(pandas(bars), title="Found new, and fixed since the previous scan")
            .mark_bar()
            .encode(
                x=alt.X("scan:N", sort=alt.SortField("scanned_at"), title="Scan (UTC)"),
                xOffset=alt.XOffset("change:N", sort=["new", "fixed"]),
                y=alt.Y("count:Q", title="Findings"),
                color=alt.Color(
                    "change:N", sort=["new", "fixed"], scale=alt.Scale(range=["#d7301f", "#1a9850"]), title=""
                ),
                tooltip=["scan:N", "change:N", "count:Q", "scan_id:N"],
            ),
            "trends_new_fixed",
        )

    # 4. Mean time to fix
    st.subheader("Time to fix")
    overall = gather(reader, lambda q, r: q.time_to_fix("all", repository=r, **window), repositories, label=False)
    per_severity = gather(reader, lambda q, r: q.time_to_fix("severity", repository=r, **window), repositories)
    if overall is None:
        nothing("findings first seen", days)
    else:
        fixed = int(overall["fixed"].sum())
        still_open = int(overall["still_open"].sum())
        weighted = overall.filter(pl.col("fixed") > 0)
        mean_hours = float((weighted["mean_hours"] * weighted["fixed"]).sum()) / fixed if fixed else None
        first, second, third = st.columns(3)
        first.metric(
            "Mean time to fix",
            "—"
            if mean_hours is None
            else (f"{mean_hours / 24:.1f} days" if mean_hours >= 48 else f"{mean_hours:.1f} h"),
            help="from the first scan with a finding to the first later scan without it",
        )
        second.metric("Fixed", fixed)
        third.metric("Still open", still_open)
        if per_severity is not None and fixed:
            mean_by = (
                per_severity.filter(pl.col("fixed") > 0)
                .group_by("severity")
                .agg(
                    ((pl.col("mean_hours") * pl.col("fixed")).sum() / pl.col("fixed").sum()).alias("mean_hours"),
                    pl.col("fixed").sum(),
                )
                .with_columns((pl.col("mean_hours") / 24).alias("mean_days"))
            )
            chart(
                alt.Chart(pandas(mean_by), title="Mean time to fix by severity (days)")
                .mark_bar()
                .encode(
                    x=alt.X("severity:N", sort=SEVERITIES, title="Severity"),
                    y=alt.Y("mean_days:Q", title="Days"),
                    color=alt.Color(
                        "severity:N", scale=alt.Scale(domain=SEVERITIES, range=SEVERITY_COLORS), legend=None
                    ),
                    tooltip=["severity:N", "mean_hours:Q", "fixed:Q"],
                ),
                "trends_time_to_fix",
            )

    # 5. Hotspot files (each project's latest scan)
    st.subheader("Hotspot files")
    hot = gather(reader, lambda q, r: q.hotspots(scope="latest", limit=TOP, repository=r, **window), repositories)
    if hot is None:
        nothing("findings in files", days)
    else:
        hot = hot.sort(["score", "findings"], descending=True).head(TOP)
        hot = hot.with_columns((pl.col("project") + ": " + pl.col("path") if several else pl.col("path")).alias("file"))
        chart(
            alt.Chart(pandas(hot), title="Files by severity-weighted findings (latest scan)")
            .mark_bar()
            .encode(
                y=alt.Y("file:N", sort="-x", title=None),
                x=alt.X("score:Q", title="Score (critical 10, high 5, medium 3, low 1)"),
                color=alt.Color("findings:Q", scale=alt.Scale(scheme="orangered"), title="Findings"),
                tooltip=["file:N", "score:Q", "findings:Q", *SEVERITIES],
            ),
            "trends_hotspots",
        )

    # 6. Complexity
    st.subheader("Complexity")
    complexity = gather(reader, lambda q, r: q.complexity_trends(repository=r, **window), repositories)
    if complexity is None:
        nothing("file metrics", days)
    else:
        measures = {
            "max_cyclomatic": "Highest cyclomatic",
            "mean_cyclomatic": "Mean cyclomatic",
            "max_cognitive": "Highest cognitive",
            "mean_cognitive": "Mean cognitive",
        }
        lines = complexity.unpivot(index=["project", "scanned_at"], on=list(measures))
        lines = lines.with_columns(pl.col("variable").replace(measures).alias("measure")).drop_nulls("value")
        encoding: dict[str, Any] = {
            "x": alt.X("scanned_at:T", title="Scan (UTC)"),
            "y": alt.Y("value:Q", title="Complexity (per function)"),
            "color": alt.Color("measure:N", sort=list(measures.values()), title="Measure"),
            "tooltip": ["project:N", "scanned_at:T", "measure:N", "value:Q"],
        }
        if several:
            encoding["strokeDash"] = alt.StrokeDash("project:N", title="Project")
        chart(
            alt.Chart(pandas(lines), title="Function complexity per scan").mark_line(point=True).encode(**encoding),
            "trends_complexity",
        )

    # 7. False positives
    st.subheader("Rules with the most false positives")
    noisy = gather(reader, lambda q, r: q.false_positive_rules(limit=TOP, repository=r, **window), repositories)
    if noisy is None:
        st.caption(f"No finding was triaged as a false positive in the last {days} days.")
    else:
        noisy = (
            noisy.group_by("rule_id")
            .agg(pl.col("findings").sum(), pl.col("false_positives").sum())
            .with_columns((pl.col("false_positives") / pl.col("findings")).alias("share"))
            .sort(["false_positives", "share", "rule_id"], descending=[True, True, False])
            .head(TOP)
        )
        chart(
            alt.Chart(pandas(noisy), title="Findings triaged as false positives, by rule")
            .mark_bar()
            .encode(
                y=alt.Y("rule_id:N", sort="-x", title="Rule"),
                x=alt.X("false_positives:Q", title="False positives"),
                tooltip=["rule_id:N", "false_positives:Q", "findings:Q", alt.Tooltip("share:Q", format=".0%")],
            ),
            "trends_false_positives",
        )
except WarehouseError as err:
    st.error(f"The findings warehouse cannot be read: {err}")
