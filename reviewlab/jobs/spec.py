"""What may be asked for: an analysis request of a snippet, files, an archive or a repository, validated.

``parse_request`` turns untrusted data (a JSON body) into one of the four request models, or raises
``InvalidRequest`` saying every problem. The models are strict and refuse unknown fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from reviewlab.engine.languages import LANGUAGES
from reviewlab.jobs.errors import InvalidRequest

MAX_SNIPPET_BYTES = 1024 * 1024
MAX_FILES = 1000
MAX_PATH_CHARS = 1024
MAX_RULE_PATTERNS = 200
RULE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
# scheme://..., or scp-like user@host:path; a local path is absolute.
REMOTE_URL = re.compile(r"(?:(?:https?|ssh|git)://[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AnalysisOptions(_Strict):
    """Options of any analysis: rule ids (or id prefixes) to run and not to run, and whether to add the AI review."""

    select: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_PATTERNS)
    ignore: tuple[str, ...] = Field(default=(), max_length=MAX_RULE_PATTERNS)
    ai: bool = False

    @field_validator("select", "ignore", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("select", "ignore")
    @classmethod
    def _rule_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if not RULE_PATTERN.fullmatch(v)]
        if bad:
            raise ValueError(f"not rule ids or id prefixes: {', '.join(repr(b[:40]) for b in bad[:5])}")
        return value


class SnippetRequest(_Strict):
    """A piece of code in one language."""

    kind: Literal["snippet"]
    code: str
    language: str
    options: AnalysisOptions = AnalysisOptions()

    @field_validator("code")
    @classmethod
    def _size(cls, value: str) -> str:
        if len(value.encode("utf-8", "surrogatepass")) > MAX_SNIPPET_BYTES:
            raise ValueError(f"the snippet is over {MAX_SNIPPET_BYTES} bytes")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"unsupported language {value[:40]!r}; choose one of {', '.join(sorted(LANGUAGES))}")
        return value


class FileInput(_Strict):
    """One file of a ``files`` request: a safe relative path and its text."""

    path: str
    content: str

    @field_validator("path")
    @classmethod
    def _safe(cls, value: str) -> str:
        return safe_relative_path(value)


class FilesRequest(_Strict):
    """Files given as text, reviewed as one tree."""

    kind: Literal["files"]
    files: tuple[FileInput, ...] = Field(min_length=1, max_length=MAX_FILES)
    options: AnalysisOptions = AnalysisOptions()

    @field_validator("files", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @field_validator("files")
    @classmethod
    def _unique(cls, value: tuple[FileInput, ...]) -> tuple[FileInput, ...]:
        seen: set[str] = set()
        for item in value:
            key = item.path.casefold()
            if key in seen:
                raise ValueError(f"the path {item.path!r} is given twice")
            seen.add(key)
        return value


class ArchiveRequest(_Strict):
    """An uploaded archive (zip or tar); ``submit`` stores the upload as an artifact and fills in its id."""

    kind: Literal["archive"]
    filename: str = Field(min_length=1, max_length=255)
    artifact_id: str | None = Field(default=None, max_length=36)
    options: AnalysisOptions = AnalysisOptions()

    @field_validator("filename")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if _CONTROL.sub("", value.replace(" ", "")) != value.replace(" ", "") or "/" in value or "\\" in value:
            raise ValueError("the archive's filename must be a plain file name")
        return value


class RepositoryRequest(_Strict):
    """A git repository (a URL, or a local path the server registered) at a branch, tag or commit."""

    kind: Literal["repository"]
    repo: str = Field(min_length=1, max_length=2048)
    ref: str | None = Field(default=None, min_length=1, max_length=255)
    options: AnalysisOptions = AnalysisOptions()

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str) -> str:
        if value.startswith("-") or _CONTROL.search(value):
            raise ValueError("the repository must be a git URL or an absolute local path")
        if not (REMOTE_URL.fullmatch(value) or value.startswith("/")):
            raise ValueError("the repository must be a git URL (https, ssh, git) or an absolute local path")
        return value

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str | None) -> str | None:
        if value is not None:
            validate_ref(value)
        return value

    @property
    def is_local(self) -> bool:
        return self.repo.startswith("/")


AnalysisRequest = Annotated[
    SnippetRequest | FilesRequest | ArchiveRequest | RepositoryRequest, Field(discriminator="kind")
]
"""Any analysis request; ``kind`` says which."""

_ADAPTER: TypeAdapter[SnippetRequest | FilesRequest | ArchiveRequest | RepositoryRequest] = TypeAdapter(AnalysisRequest)
KINDS = ("snippet", "files", "archive", "repository")


def parse_request(
    data: Mapping[str, Any] | BaseModel,
) -> SnippetRequest | FilesRequest | ArchiveRequest | RepositoryRequest:
    """Validate ``data`` (a JSON object or a request model) as an analysis request, or raise ``InvalidRequest``."""
    if isinstance(data, SnippetRequest | FilesRequest | ArchiveRequest | RepositoryRequest):
        return data
    if isinstance(data, BaseModel):
        data = data.model_dump()
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as err:
        raise InvalidRequest(f"invalid analysis request: {describe_errors(err)}") from err


def describe_errors(err: ValidationError) -> str:
    """Every problem of a validation error on one line: ``where: what``."""
    parts = []
    for problem in err.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "request"
        parts.append(f"{where}: {str(problem['msg']).removeprefix('Value error, ')}")
    return "; ".join(parts)


def safe_relative_path(value: str) -> str:
    """``value`` when it is a safe relative POSIX path (no absolute, ``..``, backslash, drive or control character)."""
    if not value or len(value) > MAX_PATH_CHARS:
        raise ValueError(f"a path must have 1 to {MAX_PATH_CHARS} characters")
    if _CONTROL.sub("", value.replace(" ", "")) != value.replace(" ", ""):
        raise ValueError(f"the path {value[:80]!r} has a control character")
    if value.startswith("/") or "\\" in value or re.match(r"[A-Za-z]:", value):
        raise ValueError(f"the path {value[:80]!r} must be relative, with forward slashes")
    parts = value.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"the path {value[:80]!r} has an empty, '.' or '..' segment")
    if parts[0] == ".git" or ".git" in parts:
        raise ValueError(f"the path {value[:80]!r} is inside .git")
    return value


def validate_ref(ref: str) -> str:
    """``ref`` when it is a safe git branch, tag or commit name (no leading '-', no '..', no space or control)."""
    if ref.startswith("-"):
        raise ValueError("a ref must not start with '-'")
    if ".." in ref or "@{" in ref:
        raise ValueError("a ref must not contain '..' or '@{'")
    if _REF_FORBIDDEN.search(ref):
        raise ValueError("a ref must not contain whitespace, control characters or any of ~^:?*[\\")
    if ref.startswith("/") or ref.endswith(("/", ".", ".lock")) or "//" in ref:
        raise ValueError(f"{ref[:80]!r} is not a valid ref name")
    return ref
