"""Saving a review and reading it back, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from reviewlab.engine.metrics import file_metrics
from reviewlab.engine.model import AIOrigin, Related, Severity, Span
from reviewlab.errors import StoreError
from reviewlab.store import SessionStatus, SourceKind, Store
from reviewlab.store.connect import create_engine, translated
from reviewlab.store.models import AnalysisSession, CodeReviewResult, FileMetricsRow
from tests.store.conftest import make_review


def test_save_then_get_returns_the_summary(store: Store) -> None:
    review = make_review(findings=3)
    before = datetime.now(UTC)

    session_id = store.save_review(review, source_kind="git")

    summary = store.get_session(session_id)
    assert summary is not None
    assert summary.id == session_id
    assert before - timedelta(seconds=1) <= summary.created_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert summary.created_at.tzinfo is not None
    assert summary.root == "/src/project"
    assert summary.status == SessionStatus.COMPLETED
    assert summary.source_kind == SourceKind.GIT
    assert summary.rule_pack_version == "2025.1"
    assert (summary.files, summary.lines, summary.findings_count) == (2, 150, 3)
    assert summary.counts_by_severity == review.counts_by_severity()
    assert summary.worst_severity is Severity.CRITICAL
    assert summary.duration_seconds == pytest.approx(2.5)


def test_findings_round_trip_exactly_and_in_order(store: Store) -> None:
    review = make_review(findings=4)

    session_id = store.save_review(review)

    assert store.findings(session_id) == review.findings
    assert store.diagnostics(session_id) == review.diagnostics


def test_a_review_without_findings_has_no_worst_severity(store: Store) -> None:
    session_id = store.save_review(make_review(findings=0))

    summary = store.get_session(session_id)
    assert summary is not None
    assert summary.worst_severity is None
    assert summary.findings_count == 0
    assert store.findings(session_id) == []


def test_list_sessions_is_newest_first_and_limited(store: Store) -> None:
    ids = [store.save_review(make_review(root=f"/src/p{i}")) for i in range(3)]

    assert [s.id for s in store.list_sessions()] == ids[::-1]
    assert [s.id for s in store.list_sessions(limit=2)] == ids[:0:-1]
    assert store.list_sessions(limit=0) == []


def test_unknown_session_reads_as_absent(store: Store) -> None:
    assert store.get_session("00000000-0000-0000-0000-000000000000") is None
    assert store.findings("00000000-0000-0000-0000-000000000000") == []
    assert store.diagnostics("00000000-0000-0000-0000-000000000000") == []


def test_sessions_are_independent(store: Store) -> None:
    first = store.save_review(make_review(findings=1))
    second = store.save_review(make_review(findings=2))

    assert len(store.findings(first)) == 1
    assert len(store.findings(second)) == 2


def test_a_naive_start_time_is_taken_as_utc(store: Store) -> None:
    review = make_review()
    review.started_at = "2025-03-01T12:00:00"
    review.finished_at = ""

    session_id = store.save_review(review)

    assert store.get_session(session_id) is not None


def test_an_invalid_start_time_is_a_store_error(store: Store) -> None:
    review = make_review()
    review.started_at = "yesterday"

    with pytest.raises(StoreError, match="started_at is not an ISO 8601 timestamp"):
        store.save_review(review)
    assert store.list_sessions() == []


def test_an_unknown_source_kind_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="SourceKind"):
        store.save_review(make_review(), source_kind="ftp")


def test_save_review_is_one_transaction(store: Store) -> None:
    review = make_review(findings=2)
    review.findings.append(replace(review.findings[0], snippet=None))  # NOT NULL violated by the last row

    with pytest.raises(StoreError, match="while saving a review"):
        store.save_review(review)
    assert store.list_sessions() == []


def test_deleting_a_session_deletes_its_findings(store: Store) -> None:
    kept = store.save_review(make_review(findings=1))
    deleted = store.save_review(make_review(findings=2))
    engine = translated(create_engine(store.url))  # the store's engine setup: foreign keys on in SQLite
    try:
        with engine.begin() as connection:
            connection.execute(delete(AnalysisSession).where(AnalysisSession.id == deleted))
            remaining = connection.execute(select(CodeReviewResult.session_id)).scalars().all()
    finally:
        engine.dispose()

    assert remaining == [kept]
    assert store.get_session(deleted) is None


def test_flows_round_trip_and_no_flow_is_stored_as_null(store: Store) -> None:
    review = make_review(findings=2)
    assert review.findings[0].flow
    assert not review.findings[1].flow

    session_id = store.save_review(review)

    assert [f.flow for f in store.findings(session_id)] == [f.flow for f in review.findings]
    engine = translated(create_engine(store.url))
    try:
        with engine.connect() as connection:
            query = select(CodeReviewResult.flow).where(CodeReviewResult.session_id == session_id)
            stored = connection.execute(query.order_by(CodeReviewResult.id)).scalars().all()
    finally:
        engine.dispose()
    assert stored[0] == [step.to_dict() for step in review.findings[0].flow]
    assert stored[1] is None


def test_related_locations_metrics_architecture_and_gate_round_trip(store: Store) -> None:
    review = make_review(findings=2)
    other = Related("app/copy.py", Span(3, 1, 20, 1), "first copy")
    review.findings[1] = replace(review.findings[1], related=(other,))
    metrics = file_metrics(b"def f(a, b):\n    if a and b:\n        return 1\n    return 2\n", "python").to_dict()
    review.files[0] = replace(review.files[0], metrics=metrics)
    review.architecture = {"modules": [{"id": "app.main"}], "cycles": []}
    review.gate = {"passed": False, "conditions": [{"name": "fail_on", "passed": False}]}

    session_id = store.save_review(review)

    assert [f.related for f in store.findings(session_id)] == [(), (other,)]
    assert store.file_metrics(session_id) == {"app/main.py": metrics}
    assert store.review_reports(session_id) == (review.architecture, review.gate)
    assert store.review_reports("unknown") == (None, None)
    engine = translated(create_engine(store.url))
    try:
        with engine.connect() as connection:
            row = connection.execute(select(FileMetricsRow).where(FileMetricsRow.session_id == session_id)).one()
    finally:
        engine.dispose()
    assert (row.max_cyclomatic, row.max_cognitive, row.functions, row.code_lines) == (3, 2, 1, 4)


def test_an_ai_finding_keeps_its_origin_and_static_ones_store_null(store: Store) -> None:
    review = make_review(findings=2)
    origin = AIOrigin("ollama", "codellama:34b", "review_file@v1", 8.0, "specific and actionable")
    review.findings[1] = replace(review.findings[1], rule_id="AI-REVIEW", ai=origin)

    session_id = store.save_review(review)

    assert [f.ai for f in store.findings(session_id)] == [None, origin]
    assert "ai" not in review.findings[0].to_dict()
    assert review.findings[1].to_dict()["ai"]["score"] == 8.0


def test_replace_findings_keeps_the_sessions_totals(store: Store) -> None:
    result = make_review()
    session_id = store.save_review(result)
    before = store.get_session(session_id)
    assert before is not None
    fewer = replace(result, findings=result.findings[:1], files=[])

    store.replace_findings(session_id, fewer)

    after = store.get_session(session_id)
    assert after is not None
    assert store.findings(session_id) == fewer.findings
    assert after.findings_count == 1
    assert (after.files, after.lines) == (before.files, before.lines)
    with pytest.raises(StoreError, match="not a completed analysis"):
        store.replace_findings("no-such-session", fewer)
