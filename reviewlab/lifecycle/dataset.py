"""The labelled evaluation dataset: code samples with their expected findings, versioned by content hash.

A dataset is a directory::

    dataset.yaml                 # name, description, line_tolerance, cases (see experiments/datasets/core/README.md)
    samples/<case-id>/<files>    # the code of each case

Each case judges some categories (default: all four). Its ``expected`` labels (file, line, category, CWE,
optionally the rule) are every real problem of those categories when the labels are ``complete`` (the
curated cases): any other finding of a judged category is a false positive. A ``clean`` case has none. A
``partial`` case (one made from a reviewer's triage) knows only its labels: ``expected`` (an accepted
finding: it must be found) and ``not_expected`` (a finding triaged as false positive: reporting it again is a
false positive); its other findings are not judged.

The version is the first 12 hex digits of a SHA-256 over the parsed manifest and every sample file, so the
same content is the same version wherever it lives, and any edit is a new version.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from reviewlab.engine.model import Category
from reviewlab.errors import ConfigError

MANIFEST = "dataset.yaml"
SAMPLES = "samples"
CASE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LANGUAGES = ("python", "javascript", "typescript", "java", "go")
CATEGORIES = tuple(c.value for c in Category)
MAX_SAMPLE_BYTES = 256 * 1024


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str = Field(min_length=1, max_length=500)
    line: int = Field(ge=1)
    category: Literal["security", "quality", "performance", "architecture"]
    cwe: int | None = Field(default=None, ge=1)
    rule: str | None = Field(default=None, max_length=128)
    note: str = ""

    @field_validator("file")
    @classmethod
    def _relative(cls, value: str) -> str:
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or "\\" in value:
            raise ValueError("a label's file is a relative path inside its case")
        return value


class CaseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    language: Literal["python", "javascript", "typescript", "java", "go"]
    description: str = ""
    categories: tuple[Literal["security", "quality", "performance", "architecture"], ...] = CATEGORIES  # type: ignore[assignment]
    clean: bool = False
    labels: Literal["complete", "partial"] = "complete"
    origin: str = "curated"
    expected: tuple[LabelSpec, ...] = ()
    not_expected: tuple[LabelSpec, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CASE_ID.match(value):
            raise ValueError("a case id is lowercase letters, digits and dashes")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CaseSpec:
        if not self.categories:
            raise ValueError("a case judges at least one category")
        if self.clean and self.expected:
            raise ValueError("a clean case has no expected findings")
        if not self.clean and not self.expected and self.labels == "complete":
            raise ValueError("a complete case with no expected finding must say clean: true")
        if self.labels == "partial" and self.clean:
            raise ValueError("a partial case cannot be clean")
        if self.labels == "complete" and self.not_expected:
            raise ValueError("not_expected labels belong to partial cases")
        for label in (*self.expected, *self.not_expected):
            if label.category not in self.categories:
                raise ValueError(f"label on {label.file}:{label.line} is {label.category}, not a judged category")
        return self


class ManifestSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    line_tolerance: int = Field(default=1, ge=0, le=10)
    parent: str | None = None
    cases: tuple[CaseSpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> ManifestSpec:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"case id {case.id} appears twice")
            seen.add(case.id)
        if not self.cases:
            raise ValueError("a dataset has at least one case")
        return self


@dataclass(frozen=True, slots=True)
class Label:
    file: str
    line: int
    category: str
    cwe: int | None = None
    rule: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "line": self.line, "category": self.category}
        if self.cwe is not None:
            data["cwe"] = self.cwe
        if self.rule is not None:
            data["rule"] = self.rule
        if self.note:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    language: str
    files: Mapping[str, bytes]
    categories: frozenset[str] = frozenset(CATEGORIES)
    expected: tuple[Label, ...] = ()
    not_expected: tuple[Label, ...] = ()
    clean: bool = False
    complete: bool = True
    description: str = ""
    origin: str = "curated"

    def judged(self, category: str) -> bool:
        return category in self.categories

    def write(self, into: Path) -> Path:
        """Write the case's files under ``into`` (created) and return it."""
        into.mkdir(parents=True, exist_ok=True)
        for name, content in self.files.items():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return into

    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "language": self.language}
        if self.description:
            data["description"] = self.description
        if self.categories != frozenset(CATEGORIES):
            data["categories"] = [c for c in CATEGORIES if c in self.categories]
        if self.clean:
            data["clean"] = True
        if not self.complete:
            data["labels"] = "partial"
        if self.origin != "curated":
            data["origin"] = self.origin
        if self.expected:
            data["expected"] = [label.to_dict() for label in self.expected]
        if self.not_expected:
            data["not_expected"] = [label.to_dict() for label in self.not_expected]
        return data


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    cases: tuple[Case, ...]
    description: str = ""
    line_tolerance: int = 1
    parent: str | None = None
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "version", content_version(self))

    @property
    def clean_cases(self) -> int:
        return sum(1 for case in self.cases if case.clean)

    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        data["line_tolerance"] = self.line_tolerance
        if self.parent:
            data["parent"] = self.parent
        data["cases"] = [case.manifest() for case in self.cases]
        return data

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "parent": self.parent,
            "cases": len(self.cases),
            "clean_cases": self.clean_cases,
            "labels": sum(len(c.expected) + len(c.not_expected) for c in self.cases),
            "languages": sorted({c.language for c in self.cases}),
            "from_triage": sum(1 for c in self.cases if c.origin != "curated"),
        }

    def extended(self, cases: Iterable[Case]) -> Dataset:
        """The next version: these cases added (or replacing a case of the same id), with this one as parent."""
        by_id = {case.id: case for case in self.cases}
        for case in cases:
            by_id[case.id] = case
        return replace(self, cases=tuple(by_id.values()), parent=self.version)


def content_version(dataset: Dataset) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(dataset.manifest(), sort_keys=True, separators=(",", ":")).encode())
    for case in dataset.cases:
        for name in sorted(case.files):
            digest.update(f"\0{case.id}/{name}\0".encode())
            digest.update(hashlib.sha256(case.files[name]).digest())
    return digest.hexdigest()[:12]


def load_dataset(directory: Path) -> Dataset:
    """Read and validate a dataset directory; any problem is one ``ConfigError`` naming the file."""
    manifest_path = directory / MANIFEST
    try:
        raw = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"no dataset at {directory} (missing {MANIFEST})") from err
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot read {manifest_path}: {err}") from err
    try:
        spec = ManifestSpec.model_validate(raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'dataset'}: {str(e['msg']).removeprefix('Value error, ')}"
            for e in err.errors(include_url=False)
        )
        raise ConfigError(f"invalid dataset {manifest_path}: {problems}") from err
    cases = tuple(_case(spec_case, directory / SAMPLES / spec_case.id, manifest_path) for spec_case in spec.cases)
    return Dataset(spec.name, cases, spec.description, spec.line_tolerance, spec.parent)


def _case(spec: CaseSpec, folder: Path, manifest: Path) -> Case:
    if not folder.is_dir():
        raise ConfigError(f"{manifest}: case {spec.id} has no folder {folder}")
    if not folder.resolve().is_relative_to(manifest.parent.resolve()):
        raise ConfigError(f"{manifest}: the folder of case {spec.id} links outside the dataset")
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink():
            raise ConfigError(f"{path}: samples are regular files, not links")
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_SAMPLE_BYTES:
            raise ConfigError(f"{path}: a sample file is at most {MAX_SAMPLE_BYTES} bytes")
        files[path.relative_to(folder).as_posix()] = path.read_bytes()
    if not files:
        raise ConfigError(f"{manifest}: case {spec.id} has no files in {folder}")
    labels = (*spec.expected, *spec.not_expected)
    for label in labels:
        content = files.get(label.file)
        if content is None:
            raise ConfigError(f"{manifest}: case {spec.id} labels {label.file}, which is not in {folder}")
        if label.line > _line_count(content):
            raise ConfigError(f"{manifest}: case {spec.id} labels {label.file}:{label.line}, past the file's end")
    return Case(
        id=spec.id,
        language=spec.language,
        files=files,
        categories=frozenset(spec.categories),
        expected=tuple(_label(label) for label in spec.expected),
        not_expected=tuple(_label(label) for label in spec.not_expected),
        clean=spec.clean,
        complete=spec.labels == "complete",
        description=spec.description,
        origin=spec.origin,
    )


def _line_count(content: bytes) -> int:
    """Lines as an editor numbers them: a final newline does not start another line."""
    return content.count(b"\n") + (0 if not content or content.endswith(b"\n") else 1)


def _label(spec: LabelSpec) -> Label:
    return Label(spec.file, spec.line, spec.category, spec.cwe, spec.rule, spec.note)


def write_dataset(dataset: Dataset, directory: Path) -> Path:
    """Write ``dataset`` as a dataset directory (replacing one there); reading it back gives the same version."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for case in dataset.cases:
        case.write(directory / SAMPLES / case.id)
    text = yaml.safe_dump(dataset.manifest(), sort_keys=False, allow_unicode=True)
    (directory / MANIFEST).write_text(text, encoding="utf-8")
    return directory
