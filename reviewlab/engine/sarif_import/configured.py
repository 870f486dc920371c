"""The project's configuration applied to imported findings, as it is to reviewlab's own.

* ``ignore`` drops the findings whose rule id starts with an entry: ``ignore = ["ruff:E501", "bandit:"]``.
* ``select`` filters imported findings only when some entry contains ":" (names an imported tool's rule or
  prefix), and then only by those entries: ``select = ["PY-"]`` picks reviewlab's own rules and leaves every
  imported finding in; ``select = ["PY-", "ruff:"]`` keeps ruff's findings and drops the other tools'.
* ``exclude`` and ``include`` match the findings' paths (relative to the review root) with the gitignore
  matcher discovery uses, directory by directory as discovery walks them, so that a finding is dropped in
  exactly the files reviewlab would not review. Like discovery, they do not apply when the review root is a
  single file.
* ``[reviewlab.severity]`` overrides apply by the same longest-prefix rule as for reviewlab's findings.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pathspec

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import Finding
from reviewlab.engine.outcomes import with_severity_overrides
from reviewlab.engine.sarif_import.load import ImportedReport

IGNORED = "ignored by the configuration (ignore)"
NOT_SELECTED = "not selected by the configuration (select)"
EXCLUDED = "in a path the configuration excludes (exclude)"
NOT_INCLUDED = "in a path the configuration does not include (include)"


def apply_config(report: ImportedReport, config: ReviewConfig) -> ImportedReport:
    """The report with the findings the configuration leaves out counted as skipped, and severities overridden."""
    select = tuple(entry for entry in config.select if ":" in entry)
    paths = report.root is None or report.root.is_dir()
    exclude = pathspec.GitIgnoreSpec.from_lines(config.exclude) if paths and config.exclude else None
    include = pathspec.GitIgnoreSpec.from_lines(config.include) if paths and config.include else None
    skipped = Counter(report.skipped)
    kept: list[Finding] = []
    for finding in report.findings:
        if any(finding.rule_id.startswith(entry) for entry in config.ignore):
            skipped[IGNORED] += 1
        elif select and not any(finding.rule_id.startswith(entry) for entry in select):
            skipped[NOT_SELECTED] += 1
        elif exclude is not None and _excluded(exclude, finding.path):
            skipped[EXCLUDED] += 1
        elif include is not None and not include.match_file(finding.path):
            skipped[NOT_INCLUDED] += 1
        else:
            kept.append(finding)
    return replace(report, findings=with_severity_overrides(kept, config), skipped=skipped)


def _excluded(spec: pathspec.GitIgnoreSpec, path: str) -> bool:
    """Whether discovery's walk passes over ``path``: one of its directories is excluded, or the file is."""
    parts = path.split("/")
    directories = ("/".join(parts[:depth]) + "/" for depth in range(1, len(parts)))
    return any(spec.match_file(directory) for directory in directories) or spec.match_file(path)
