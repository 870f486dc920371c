"""Reviewer triage becomes labelled cases: the lab learns from its users.

Every finding a reviewer triaged as ``accepted`` or ``false_positive`` in the API, in an analysis whose input
the store still holds (a snippet, uploaded files or an uploaded archive), becomes a partial case: the file the
finding is in, and one label. An accepted finding is ``expected`` (a configuration must find it); a false
positive is ``not_expected`` (reporting it again is a false positive). Findings of repository analyses are
skipped (their code is not kept) and reported as such.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, literal, or_, select

from reviewlab.engine.languages import language_for_path
from reviewlab.errors import ReviewlabError
from reviewlab.jobs.db import prepared, reading, table_of
from reviewlab.lifecycle.dataset import LANGUAGES, MAX_SAMPLE_BYTES, Case, Label
from reviewlab.settings import Settings

MAX_CASES = 2000


@dataclass(slots=True)
class Feedback:
    cases: list[Case] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def cases_from_triage(engine: Engine, settings: Settings, *, limit: int = MAX_CASES) -> Feedback:
    """One partial case per triaged finding whose code can be recovered (see the module docstring)."""
    from reviewlab.projects.models import TriageRow
    from reviewlab.store.models import AnalysisSession, CodeReviewResult

    engine = prepared(engine)
    triage, results, sessions = table_of(TriageRow), table_of(CodeReviewResult), table_of(AnalysisSession)
    query = (
        select(
            triage.c.fingerprint,
            triage.c.status,
            triage.c.updated_at,
            results.c.path,
            results.c.start_line,
            results.c.category,
            results.c.cwe,
            results.c.rule_id,
            sessions.c.id.label("session_id"),
            sessions.c.request,
            sessions.c.created_at,
        )
        .join(results, results.c.fingerprint == triage.c.fingerprint)
        .join(sessions, sessions.c.id == results.c.session_id)
        .where(
            triage.c.status.in_(("accepted", "false_positive")),
            sessions.c.request.is_not(None),
            triage_scope_matches(triage, sessions),
        )
        .order_by(triage.c.fingerprint, sessions.c.created_at.desc())
    )
    with reading(engine, "reading triaged findings") as connection:
        rows = list(connection.execute(query))
    feedback = Feedback()
    seen: set[str] = set()
    for row in rows:
        if row.fingerprint in seen or len(feedback.cases) >= limit:
            continue
        seen.add(row.fingerprint)
        try:
            content = _file_of(engine, settings, row.request, row.path)
        except (ReviewlabError, OSError, ValueError) as err:
            feedback.skipped.append({"fingerprint": row.fingerprint, "reason": f"input unreadable: {err}"})
            continue
        if content is None:
            kind = (row.request or {}).get("kind", "unknown")
            feedback.skipped.append(
                {"fingerprint": row.fingerprint, "reason": f"the code of a {kind} analysis is not kept"}
            )
            continue
        language = language_for_path(row.path)
        if language not in LANGUAGES:
            feedback.skipped.append(
                {"fingerprint": row.fingerprint, "reason": f"{row.path} is not a reviewed language"}
            )
            continue
        label = Label(row.path, row.start_line, row.category, row.cwe, row.rule_id, f"triaged {row.status}")
        accepted = row.status == "accepted"
        feedback.cases.append(
            Case(
                id=f"triage-{row.fingerprint[:16].lower()}",
                language=language,
                files={row.path: content},
                categories=frozenset({row.category}),
                expected=(label,) if accepted else (),
                not_expected=() if accepted else (label,),
                complete=False,
                description=f"{row.rule_id} triaged {row.status.replace('_', ' ')} on {row.updated_at:%Y-%m-%d}",
                origin="triage",
            )
        )
    return feedback


def triage_scope_matches(triage: Any, sessions: Any) -> Any:
    """The triage row is in the scope of the session's findings: its project's, or its owner's outside projects."""
    return or_(
        and_(sessions.c.project_id.is_not(None), triage.c.scope == literal("project:") + sessions.c.project_id),
        and_(sessions.c.project_id.is_(None), triage.c.scope == literal("user:") + sessions.c.owner_id),
    )


def _file_of(engine: Engine, settings: Settings, request: dict[str, Any], path: str) -> bytes | None:
    """The content of ``path`` in the analysis input ``request``; None when the store does not keep it."""
    from reviewlab.jobs import inputs
    from reviewlab.jobs.spec import ArchiveRequest, FilesRequest, SnippetRequest, parse_request

    parsed = parse_request(request)
    if isinstance(parsed, SnippetRequest):
        content = parsed.code.encode("utf-8", "surrogatepass")
    elif isinstance(parsed, FilesRequest):
        found = [item.content for item in parsed.files if item.path == path]
        if not found:
            return None
        content = found[0].encode("utf-8", "surrogatepass")
    elif isinstance(parsed, ArchiveRequest):
        with tempfile.TemporaryDirectory(prefix="reviewlab-feedback-") as tmp:
            inputs.extract_archive(parsed, engine, Path(tmp), settings)
            target = Path(tmp) / path
            if not target.is_file() or Path(tmp).resolve() not in target.resolve().parents:
                return None
            content = target.read_bytes()
    else:
        return None
    return content if len(content) <= MAX_SAMPLE_BYTES else None
