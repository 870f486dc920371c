"""Repository scans: review source trees with the static engine and keep each review as a session."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from reviewlab.engine.model import ReviewResult
from reviewlab.engine.pipeline import review
from reviewlab.store import Store

DEFAULT_PROJECT = Path(__file__).resolve().parents[1] / "examples" / "webshop"


class LocalReviewConfig(dg.Config):
    """What ``local_review`` reviews."""

    path: str = Field(default=str(DEFAULT_PROJECT), description="Directory (or file) to review.")
    jobs: int | None = Field(default=None, ge=1, description="Worker processes; unset: one per CPU.")


@dg.asset(group_name="scans")
def local_review(config: LocalReviewConfig, store: dg.ResourceParam[Store]) -> dg.MaterializeResult[None]:
    """Review a local source tree with the static engine and store it as a session."""
    result = review(Path(config.path), jobs=config.jobs)
    session_id = store.save_review(result)
    return dg.MaterializeResult(metadata=review_metadata(result, session_id))


def review_metadata(result: ReviewResult, session_id: str) -> dict[str, dg.MetadataValue]:
    """What a review records on its materialization; counts are flat numbers so Dagster plots them over time."""
    M = dg.MetadataValue
    return {
        "root": M.path(result.root),
        "session_id": M.text(session_id),
        "files": M.int(len(result.files)),
        "lines": M.int(result.lines),
        "findings": M.int(len(result.findings)),
        **{f"findings_{severity}": M.int(n) for severity, n in result.counts_by_severity().items()},
        "diagnostics": M.int(len(result.diagnostics)),
        "duration_seconds": M.float(result.duration_seconds),
        "rule_pack_version": M.text(result.rule_pack_version),
    }
