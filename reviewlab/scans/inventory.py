"""What a snapshot holds, by language: the files the engine would review, their lines and bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewlab.engine.config import ReviewConfig, discover_config
from reviewlab.engine.discovery import discover
from reviewlab.engine.model import Diagnostic, DiagnosticKind


@dataclass(frozen=True, slots=True)
class LanguageCount:
    """The files of one language: how many, their lines and bytes."""

    files: int = 0
    lines: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class Inventory:
    """The reviewable files of a tree by language, and what discovery passed over (``skipped``)."""

    languages: dict[str, LanguageCount] = field(default_factory=dict)
    skipped: tuple[Diagnostic, ...] = ()

    @property
    def files(self) -> int:
        return sum(count.files for count in self.languages.values())

    @property
    def lines(self) -> int:
        return sum(count.lines for count in self.languages.values())

    @property
    def total_bytes(self) -> int:
        return sum(count.bytes for count in self.languages.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "lines": self.lines,
            "total_bytes": self.total_bytes,
            "languages": {
                name: {"files": c.files, "lines": c.lines, "bytes": c.bytes} for name, c in self.languages.items()
            },
            "skipped": [d.to_dict() for d in self.skipped],
        }


def inventory(snapshot_path: Path, config: ReviewConfig | None = None) -> Inventory:
    """Count the files the engine's discovery finds under ``snapshot_path`` (with its ``.reviewlab.toml``
    unless ``config`` is given); files over the size limit are skipped as the review skips them."""
    config = config if config is not None else discover_config(snapshot_path)
    diagnostics: list[Diagnostic] = []
    totals: dict[str, list[int]] = {}
    for source in discover(snapshot_path, config, diagnostics):
        if source.size > config.max_file_size:
            diagnostics.append(
                Diagnostic(DiagnosticKind.SKIPPED_TOO_LARGE, source.relpath, f"{source.size} bytes is over the limit")
            )
            continue
        try:
            lines = _lines(source.path)
        except OSError as err:
            diagnostics.append(Diagnostic(DiagnosticKind.UNREADABLE, source.relpath, f"cannot read: {err.strerror}"))
            continue
        count = totals.setdefault(source.language, [0, 0, 0])
        count[0] += 1
        count[1] += lines
        count[2] += source.size
    languages = {name: LanguageCount(*totals[name]) for name in sorted(totals)}
    return Inventory(languages, tuple(diagnostics))


def _lines(path: Path) -> int:
    data = path.read_bytes()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
