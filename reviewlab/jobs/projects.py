"""What an analysis of a project adds to the plain review: the project's baseline and quality gate, and its record.

Before the result is stored, findings the project's baseline accepts are set aside (counted as known, with
the baseline's findings no longer present listed as fixed) and the project's policy judges the rest. After
it is stored, the project records the reviewed version, and its cached results (L2) are dropped so the next
read sees the new review.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from reviewlab.engine import baseline, gate
from reviewlab.engine.model import ReviewResult
from reviewlab.settings import Settings

if TYPE_CHECKING:
    from reviewlab.cache import Caches

log = logging.getLogger(__name__)


def apply_project_rules(engine: Engine, project_id: str, result: ReviewResult) -> None:
    """Apply the project's baseline and policy to ``result`` (in place)."""
    from reviewlab.projects import Projects
    from reviewlab.store.repository import Store

    projects = Projects(engine)
    accepted = projects.baseline(project_id)
    if accepted is not None:
        known = set(accepted.fingerprints)
        entries = {
            finding.fingerprint: baseline.BaselineEntry(
                finding.fingerprint, finding.rule_id, finding.path, finding.span.start_line, finding.message
            )
            for finding in Store(engine).findings(accepted.session_id)
            if finding.fingerprint in known
        }
        baseline.apply(result, entries)
    policy = projects.policy(project_id)
    if policy is not None:
        gate.evaluate(result, policy.gate)


def record_project_review(
    engine: Engine,
    settings: Settings,
    project_id: str,
    session_id: str,
    ref: str | None,
    commit: str | None,
    result: ReviewResult,
    *,
    caches: Caches | None = None,
) -> None:
    """Record the reviewed version in the project and drop the project's cached results from ``caches`` (default:
    the settings' caches, opened for this and closed again: right for Redis, a no-op for in-process ones)."""
    from reviewlab.cache import Caches
    from reviewlab.projects import Projects, UnknownProject

    passed = None if result.gate is None else bool(result.gate.get("passed"))
    try:
        Projects(engine).record_version(
            project_id, session_id, ref, commit, len(result.findings), result.counts_by_severity(), passed
        )
    except UnknownProject:
        log.info("project %s was deleted while analysis %s ran; no version recorded", project_id, session_id)
    if caches is not None:
        caches.projects.invalidate(project_id)
        return
    opened = Caches.from_settings(settings)
    try:
        opened.projects.invalidate(project_id)
    finally:
        opened.close()
