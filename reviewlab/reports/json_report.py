"""The JSON report: a stable, versioned document of one review.

Shape (``schema_version`` 1; new keys may be added, existing keys keep their meaning)::

    {
      "schema_version": 1,
      "tool": {"name": "reviewlab", "version": "0.1.0"},
      "root": str, "rule_pack_version": str,
      "started_at": str, "finished_at": str, "duration_seconds": float,
      "summary": {
        "files": int, "lines": int, "findings": int,
        "by_severity": {"critical": int, "high": int, "medium": int, "low": int, "info": int},
        "by_category": {"security": int, "quality": int, "performance": int, "architecture": int},
        "cache_hits": int
      },
      "findings": [Finding.to_dict(), ...],        sorted by path, line, column, rule
        each {"rule_id", "category", "severity", "confidence", "cwe", "path", "start_line",
              "start_column", "end_line", "end_column", "snippet", "message", "fingerprint",
              "fix": null | {"description", "replacements": [{start/end line/column, "text"}]},
              "flow": [{"start_line", "start_column", "end_line", "end_column", "message"}, ...],
              "related": [{"path", "start_line", "start_column", "end_line", "end_column", "message"}, ...]}
        ``flow`` is the dataflow path of a taint finding, source first and sink last ("source:
        flask request.args", "assigned to `path`", ..., "sink: `open`"); empty for other findings.
        ``related`` are the other places a finding involves (the other copy of duplicated code, the
        import statements of the other modules of a cycle); empty for most findings.
      "diagnostics": [Diagnostic.to_dict(), ...],  sorted by path, line, kind
      "files": [{"path", "language", "lines", "sha256", "cached", "metrics"?}, ...]  sorted by path
        ``language`` is "text" for a file only the text-scanning (secret) rules read: config, .env, keys...
        ``metrics`` (parsed files, unless the project sets ``metrics = false``): lines, code_lines,
        comment_lines, comment_density, cyclomatic, maintainability_index, halstead, has_errors and
        "functions": [{"name", "start_line", "end_line", "length", "cyclomatic", "cognitive",
        "max_nesting", "parameters", "code_lines", "halstead_volume", "maintainability_index"}, ...]
      "baseline"?: {"known": int, "fixed": [...]},   when a baseline was applied
      "gate"?: {"passed": bool, "conditions": [...]}, when the project configures a quality gate
      "architecture"?: {...},                         the module graph (see ``ArchitectureReport.to_dict``)
      "ai"?: {"status", "unavailable_reason", "attempts", "chunks_sent", "findings_count", "diagnostics",
              "not_sent", "usage": [{"provider", "model", "calls", "cached_calls", "input_tokens",
              "output_tokens", "latency_s", "cost_usd"}], "totals", "description"}   with ``--ai``
    }
    An AI finding (rule ``AI-REVIEW``) also has "ai": {"provider", "model", "prompt_version", "score", "reason"}.

A secret found in a file never appears in the report: findings carry it redacted (``ghp_…(40 chars)``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from reviewlab import __version__
from reviewlab.engine.model import Diagnostic, FileRecord, Finding, ReviewResult
from reviewlab.errors import InputError
from reviewlab.reports.ordering import sorted_diagnostics, sorted_files, sorted_findings

SCHEMA_VERSION = 1


class _Listed:
    """A top-level list produced one element at a time (the findings of a large review are not all held)."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)


def _entries(result: ReviewResult) -> Iterator[tuple[str, Any]]:
    yield "schema_version", SCHEMA_VERSION
    yield "tool", {"name": "reviewlab", "version": __version__}
    yield "root", result.root
    yield "rule_pack_version", result.rule_pack_version
    yield "started_at", result.started_at
    yield "finished_at", result.finished_at
    yield "duration_seconds", result.duration_seconds
    yield (
        "summary",
        {
            "files": len(result.files),
            "lines": result.lines,
            "findings": len(result.findings),
            "by_severity": result.counts_by_severity(),
            "by_category": result.counts_by_category(),
            "cache_hits": result.cache_hits,
        },
    )
    yield "findings", _Listed(f.to_dict() for f in sorted_findings(result))
    yield "diagnostics", _Listed(d.to_dict() for d in sorted_diagnostics(result))
    yield "files", _Listed(_file_dict(f) for f in sorted_files(result))
    for key in ("baseline", "gate", "architecture", "ai"):
        value = getattr(result, key)
        if value is not None:
            yield key, value


def _file_dict(record: FileRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": record.path,
        "language": record.language,
        "lines": record.lines,
        "sha256": record.sha256,
        "cached": record.cached,
    }
    if record.metrics is not None:
        data["metrics"] = record.metrics
    return data


def render(result: ReviewResult) -> str:
    """The report as UTF-8 JSON ending in a newline: one top-level key, and one finding, per line."""
    return "".join(chunks(result))


def chunks(result: ReviewResult) -> Iterator[str]:
    """:func:`render`'s text in pieces, each element of the long lists encoded only when its turn comes: written
    to a file piece by piece, a report of 100,000 files never exists whole in memory."""
    return _by_line(_entries(result))


def _by_line(entries: Iterable[tuple[str, Any]]) -> Iterator[str]:
    """JSON with each top-level key and each element of a top-level list on its own line.

    Diff-friendly like an indented dump, but each line is encoded by json's C encoder (an ``indent``
    forces the pure-Python one, which dominated the time of a warm review of a large tree).
    """
    opening = "{\n"
    for key, value in entries:
        name = json.dumps(key)
        if isinstance(value, _Listed):
            elements = iter(value)
            first = next(elements, _NOTHING)
            if first is _NOTHING:
                yield f"{opening}  {name}: []"
            else:
                yield f"{opening}  {name}: [\n    {json.dumps(first, ensure_ascii=False)}"
                for item in elements:
                    yield f",\n    {json.dumps(item, ensure_ascii=False)}"
                yield "\n  ]"
        elif hasattr(value, "json_chunks"):  # a spooled review's architecture report, one module at a time
            yield f"{opening}  {name}: "
            yield from value.json_chunks()
        else:
            yield f"{opening}  {name}: {json.dumps(value, ensure_ascii=False)}"
        opening = ",\n"
    yield "\n}\n" if opening == ",\n" else "{\n\n}\n"


_NOTHING = object()


def load(text: str) -> ReviewResult:
    """A review result read back from a JSON report."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"not a reviewlab JSON report of schema_version {SCHEMA_VERSION}")
    return ReviewResult(
        root=data["root"],
        rule_pack_version=data["rule_pack_version"],
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        duration_seconds=data["duration_seconds"],
        files=[
            FileRecord(f["path"], f["language"], f["lines"], f["sha256"], f["cached"], f.get("metrics"))
            for f in data["files"]
        ],
        findings=[Finding.from_dict(f) for f in data["findings"]],
        diagnostics=[Diagnostic.from_dict(d) for d in data["diagnostics"]],
        baseline=data.get("baseline"),
        gate=data.get("gate"),
        architecture=data.get("architecture"),
        ai=data.get("ai"),
    )
