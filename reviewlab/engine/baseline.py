"""Baselines: accept today's findings so that a review reports only what is new, and what got fixed.

``reviewlab baseline create PATH`` writes the fingerprints of the current findings (``Finding.fingerprint``
survives edits elsewhere in a file) to a JSON file; ``reviewlab review PATH --baseline FILE`` then drops
the findings whose fingerprint is in it and lists the baseline entries no longer found as fixed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reviewlab.engine.model import ReviewResult
from reviewlab.errors import InputError

BASELINE_VERSION = 1
DEFAULT_BASELINE = ".reviewlab-baseline.json"


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """A finding accepted into the baseline: enough to recognise it and to say what was fixed."""

    fingerprint: str
    rule_id: str
    path: str
    line: int
    message: str


@dataclass(slots=True)
class BaselineOutcome:
    """What applying a baseline did: findings it hid as known, and its entries no longer found (fixed)."""

    known: int = 0
    fixed: list[BaselineEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"known": self.known, "fixed": [asdict(entry) for entry in self.fixed]}


def from_result(result: ReviewResult) -> dict[str, BaselineEntry]:
    """The baseline of a review: every finding, by fingerprint."""
    return {
        f.fingerprint: BaselineEntry(f.fingerprint, f.rule_id, f.path, f.span.start_line, f.message)
        for f in result.findings
    }


def save(entries: dict[str, BaselineEntry], result: ReviewResult, path: Path) -> None:
    """Write a baseline file (sorted, so that it diffs well under version control)."""
    payload = {
        "version": BASELINE_VERSION,
        "rule_pack_version": result.rule_pack_version,
        "created_at": result.finished_at,
        "findings": [asdict(entries[key]) for key in sorted(entries, key=lambda k: (entries[k].path, entries[k].line))],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        raise InputError(f"cannot write baseline {path}: {err.strerror}") from err


def load(path: Path) -> dict[str, BaselineEntry]:
    """Read a baseline file; a missing or malformed one is an ``InputError`` naming the file and the problem."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"baseline not found: {path}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read baseline {path}: {err}") from err
    except json.JSONDecodeError as err:
        raise InputError(f"baseline {path} is not valid JSON: {err.msg} at line {err.lineno}") from err
    if not isinstance(payload, dict) or payload.get("version") != BASELINE_VERSION:
        raise InputError(f"baseline {path} is not a reviewlab baseline (version {BASELINE_VERSION})")
    findings = payload.get("findings")
    if not isinstance(findings, list):
        raise InputError(f"baseline {path} has no findings list")
    entries: dict[str, BaselineEntry] = {}
    for index, item in enumerate(findings):
        try:
            entry = BaselineEntry(
                str(item["fingerprint"]),
                str(item["rule_id"]),
                str(item["path"]),
                int(item["line"]),
                str(item["message"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"baseline {path}: finding {index} is malformed ({err})") from err
        entries[entry.fingerprint] = entry
    return entries


def apply(result: ReviewResult, entries: dict[str, BaselineEntry]) -> BaselineOutcome:
    """Drop the findings the baseline knows; the outcome counts them and lists the baseline's fixed findings."""
    current = {f.fingerprint for f in result.findings}
    kept = [f for f in result.findings if f.fingerprint not in entries]
    outcome = BaselineOutcome(
        known=len(result.findings) - len(kept),
        fixed=sorted((e for k, e in entries.items() if k not in current), key=lambda e: (e.path, e.line, e.rule_id)),
    )
    result.findings = kept
    result.baseline = outcome.to_dict()
    return outcome
