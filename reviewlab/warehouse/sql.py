"""The queries' SQL. Placeholders in braces take constant fragments only (``Window.where`` clauses, column
names checked against a fixed set); every value is a ``$name`` parameter bound by DuckDB."""

from __future__ import annotations

from typing import Final

SCANS: Final = "SELECT * FROM scans WHERE {where} ORDER BY repository, scanned_at, scan_id"

FINDINGS_BY_SCAN: Final = """
WITH s AS (SELECT repository, scan_id, scanned_at FROM scans WHERE {where}),
levels AS (SELECT unnest($levels::VARCHAR[]) AS level),
c AS (
    SELECT repository, scan_id, {by} AS level, count(*) AS findings
    FROM findings WHERE {where} GROUP BY ALL
)
SELECT s.repository, s.scan_id, s.scanned_at, levels.level AS {by}, coalesce(c.findings, 0) AS findings
FROM s CROSS JOIN levels
LEFT JOIN c ON c.repository = s.repository AND c.scan_id = s.scan_id AND c.level = levels.level
ORDER BY s.repository, s.scanned_at, s.scan_id, list_position($levels::VARCHAR[], levels.level)
"""

FINDINGS_BY_PERIOD: Final = """
WITH s AS (
    SELECT repository, scan_id, scanned_at, CAST(date_trunc($period, scanned_at) AS DATE) AS period_start
    FROM scans WHERE {where}
    QUALIFY row_number() OVER (
        PARTITION BY repository, CAST(date_trunc($period, scanned_at) AS DATE) ORDER BY scanned_at DESC, scan_id DESC
    ) = 1
),
levels AS (SELECT unnest($levels::VARCHAR[]) AS level),
c AS (
    SELECT repository, scan_id, {by} AS level, count(*) AS findings
    FROM findings WHERE {where} AND scan_id IN (SELECT scan_id FROM s) GROUP BY ALL
)
SELECT s.repository, s.period_start, s.scan_id, s.scanned_at, levels.level AS {by},
    coalesce(c.findings, 0) AS findings
FROM s CROSS JOIN levels
LEFT JOIN c ON c.repository = s.repository AND c.scan_id = s.scan_id AND c.level = levels.level
ORDER BY s.repository, s.period_start, list_position($levels::VARCHAR[], levels.level)
"""

# ``scan_seq`` numbers each repository's scans; ``runs`` holds each stretch of consecutive scans with a fingerprint
# (see ``views``): new in the scan that starts a run, fixed in the scan after the one that ends it.
NEW_AND_FIXED: Final = """
WITH appeared AS (SELECT repository, start_seq AS seq, count(*) AS n FROM runs WHERE {history} GROUP BY ALL),
gone AS (SELECT repository, end_seq + 1 AS seq, count(*) AS n FROM runs WHERE {history} GROUP BY ALL)
SELECT s.repository, s.scan_id, s.scanned_at, s.previous_scan_id, s.findings,
    coalesce(appeared.n, 0) AS "new", coalesce(gone.n, 0) AS fixed
FROM scan_seq AS s
LEFT JOIN appeared ON appeared.repository = s.repository AND appeared.seq = s.seq
LEFT JOIN gone ON gone.repository = s.repository AND gone.seq = s.seq
WHERE {shown}
ORDER BY s.repository, s.scanned_at, s.scan_id
"""

# A fingerprint's first run only: from its first scan to the first later scan without it.
TIME_TO_FIX: Final = """
WITH e AS (
    SELECT r.repository, r.severity, r.rule_id, r.first_seen AS scanned_at, r.date, fix.scanned_at AS fixed_at
    FROM runs AS r LEFT JOIN scan_seq AS fix ON fix.repository = r.repository AND fix.seq = r.end_seq + 1
    WHERE r.episode = 1
)
SELECT {key}count(e.fixed_at) AS fixed, count(*) - count(e.fixed_at) AS still_open,
    avg(epoch(e.fixed_at) - epoch(e.scanned_at)) / 3600.0 AS mean_hours,
    median(epoch(e.fixed_at) - epoch(e.scanned_at)) / 3600.0 AS median_hours
FROM e WHERE {first_seen} {group}
{order}
"""

HOTSPOTS: Final = """
WITH chosen AS (SELECT repository, scan_id FROM scans WHERE {where} {latest}),
weights AS (SELECT unnest($severities::VARCHAR[]) AS severity, unnest($weights::DOUBLE[]) AS weight),
distinct_findings AS (
    SELECT DISTINCT f.repository, f.path, f.fingerprint, f.severity
    FROM findings AS f SEMI JOIN chosen AS c ON f.repository = c.repository AND f.scan_id = c.scan_id
    WHERE {where_f}
)
SELECT f.repository, f.path, count(*) AS findings, coalesce(sum(w.weight), 0.0) AS score,
    count(*) FILTER (WHERE f.severity = 'critical') AS critical,
    count(*) FILTER (WHERE f.severity = 'high') AS high,
    count(*) FILTER (WHERE f.severity = 'medium') AS medium,
    count(*) FILTER (WHERE f.severity = 'low') AS low,
    count(*) FILTER (WHERE f.severity = 'info') AS info
FROM distinct_findings AS f LEFT JOIN weights AS w ON w.severity = f.severity
GROUP BY f.repository, f.path
ORDER BY score DESC, findings DESC, f.repository, f.path
LIMIT $limit
"""

COMPLEXITY_TRENDS: Final = """
WITH per_scan AS (
    SELECT m.repository, m.scan_id, count(*) AS files, CAST(sum(m.functions) AS BIGINT) AS functions,
        max(m.max_cyclomatic) AS max_cyclomatic,
        sum(m.mean_cyclomatic * m.functions) / nullif(sum(m.functions), 0) AS mean_cyclomatic,
        max(m.max_cognitive) AS max_cognitive,
        sum(m.mean_cognitive * m.functions) / nullif(sum(m.functions), 0) AS mean_cognitive,
        avg(m.maintainability_index) AS mean_maintainability,
        min(m.maintainability_index) AS min_maintainability
    FROM file_metrics AS m WHERE {metrics_where} GROUP BY m.repository, m.scan_id
)
SELECT s.repository, s.scan_id, s.scanned_at, coalesce(p.files, 0) AS files, coalesce(p.functions, 0) AS functions,
    p.max_cyclomatic, p.mean_cyclomatic, p.max_cognitive, p.mean_cognitive,
    p.mean_maintainability, p.min_maintainability
FROM (SELECT * FROM scans WHERE {where}) AS s
LEFT JOIN per_scan AS p ON p.repository = s.repository AND p.scan_id = s.scan_id
ORDER BY s.repository, s.scanned_at, s.scan_id
"""

# Without a time window, each fingerprint's last run ends in its latest state; with one, the window's rows decide.
LATEST_STATES: Final = """
SELECT last_rule_id AS rule_id, last_triage_status AS triage_status FROM runs WHERE {where}
QUALIFY row_number() OVER (PARTITION BY repository, fingerprint ORDER BY end_seq DESC) = 1
"""

LATEST_STATES_IN_WINDOW: Final = """
SELECT rule_id, triage_status FROM findings WHERE {where}
QUALIFY row_number() OVER (PARTITION BY repository, fingerprint ORDER BY scanned_at DESC, scan_id DESC) = 1
"""

FALSE_POSITIVE_RULES: Final = """
WITH latest AS ({latest})
SELECT rule_id, count(*) AS findings,
    count(*) FILTER (WHERE triage_status = 'false_positive') AS false_positives,
    count(*) FILTER (WHERE triage_status = 'false_positive') / count(*) AS share
FROM latest
GROUP BY rule_id
HAVING count(*) FILTER (WHERE triage_status = 'false_positive') > 0
ORDER BY false_positives DESC, share DESC, rule_id
LIMIT $limit
"""
