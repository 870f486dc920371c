"""Other tools' SARIF 2.1.0 logs as findings, merged with reviewlab's own (``reviewlab review PATH --import FILE``).

Each result of each run becomes a ``Finding``:

* ``rule_id`` is ``<tool>:<ruleId>``: the driver's name lower-cased, edition words dropped ("Semgrep OSS" ->
  ``semgrep``), so ``ruff:F401``, ``bandit:B602``, ``semgrep:python.lang.security...``, ``eslint:no-eval``.
* ``cwe`` comes from, first found: the result's CWE taxa, the result's ``properties`` (``cwe``, ``tags``), the
  rule's CWE relationships, the rule's ``properties`` (``cwe``, ``tags``: ``CWE-89: ...``,
  ``external/cwe/cwe-78``), else the rule's description when it names exactly one CWE (ruff's flake8-bandit
  rules cite theirs only there).
* ``category`` is security when the rule has a CWE, a ``security`` tag, a ``security-severity``, an id with a
  ``security`` segment (``security/detect-eval-with-expression``) or a bandit origin; performance when a tag or
  the rule's ``kind``/``category`` property says so; quality otherwise.
* ``severity`` comes from ``security-severity`` when present (CVSS: >= 9 critical, >= 7 high, >= 4 medium,
  > 0 low, 0 info), else from the level (error high, warning medium, note low, none info; the rule's default
  level, then SARIF's default, warning). ``confidence`` is medium: another tool's precision is not ours.
* The location is the first physical location: ``artifactLocation.uri`` (``file://``, absolute, relative,
  percent-encoded, or an index into ``run.artifacts``) resolved through ``originalUriBaseIds``; a relative URI
  with no resolvable base is tried against the review root, the log's directory and the working directory.
  Results outside the review root are dropped with a warning; results without a location, suppressed ones
  and those whose ``kind`` is pass or notApplicable are skipped and counted.
* Columns are 1-based with an exclusive end, like ``Span``; a missing start column is 1 and a missing end
  column the end of the line. UTF-16 columns are converted when the run declares ``columnKind``.
* The snippet is the file's line (read from the review root, secrets redacted), else the region's snippet;
  the fingerprint hashes the prefixed rule id, path, normalised line and occurrence, like reviewlab's own.
* ``relatedLocations`` inside the root become ``related``; a code flow that stays in the file becomes ``flow``.

``merge_findings`` drops imported findings that repeat one already kept (see ``is_duplicate``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reviewlab.engine.analyzer import MAX_SNIPPET, fingerprint
from reviewlab.engine.languages import language_for_path
from reviewlab.engine.model import PLAIN_TEXT, Category, Confidence, Finding, FlowStep, Related, Severity, Span
from reviewlab.engine.redaction import Redactor
from reviewlab.engine.rules.base import TextContext
from reviewlab.errors import InputError

SARIF_VERSION = "2.1.0"
MAX_RULE_ID = 128  # the store's column width
LEVEL_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}
_EDITION_WORDS = {"oss", "pro", "ce", "community", "enterprise", "edition", "cli"}
_CWE = re.compile(r"\bcwe[-_/ ]?(\d{1,5})\b", re.IGNORECASE)
_ARGUMENT = re.compile(r"\{(\d+)\}")

JSONObject = dict[str, Any]


@dataclass(slots=True)
class ImportedReport:
    """What one SARIF log contributed: its findings, the tools that produced them, what was left out and why."""

    source: Path
    findings: list[Finding] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> results
    warnings: list[str] = field(default_factory=list)


def load_sarif(path: Path, root: Path, *, cwd: Path | None = None) -> ImportedReport:
    """The findings of a SARIF 2.1.0 log about the tree at ``root``; a malformed log is an ``InputError``."""
    log = _read(path)
    root = root.expanduser().resolve()
    report = ImportedReport(path)
    outside: Counter[str] = Counter()
    for run_index, run in enumerate(log["runs"]):
        where = f"SARIF log {path}: runs[{run_index}]"
        if not isinstance(run, dict):
            raise InputError(f"{where} is not an object")
        _import_run(run, where, _Locator(root, run, [path.resolve().parent, cwd or Path.cwd()]), report, outside)
    for place, count in sorted(outside.items()):
        report.warnings.append(f"{path}: {count} result(s) in {place}, outside the review root {root}: dropped")
    report.findings = _with_fingerprints(report.findings)
    return report


def _read(path: Path) -> JSONObject:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError as err:
        raise InputError(f"SARIF log not found: {path}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read SARIF log {path}: {err}") from err
    try:
        log = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"SARIF log {path} is not valid JSON: {err.msg} at line {err.lineno}") from err
    if not isinstance(log, dict) or log.get("version") != SARIF_VERSION:
        version = log.get("version") if isinstance(log, dict) else None
        raise InputError(f"{path} is not a SARIF {SARIF_VERSION} log (version: {version!r})")
    if not isinstance(log.get("runs"), list):
        raise InputError(f"SARIF log {path} has no runs list")
    return log


def _import_run(run: JSONObject, where: str, locator: _Locator, report: ImportedReport, outside: Counter[str]) -> None:
    driver = _obj(_obj(run.get("tool")).get("driver"))
    name = driver.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where} has no tool.driver.name")
    tool = tool_prefix(name)
    if tool not in report.tools:
        report.tools.append(tool)
    results = run.get("results")
    results = [] if results is None else results  # absent or null: the tool produced no results
    if not isinstance(results, list):
        raise InputError(f"{where}.results is not a list")
    for result_index, result in enumerate(results):
        if not isinstance(result, dict):
            raise InputError(f"{where}.results[{result_index}] is not an object")
        reason = _left_out(result)
        if reason is not None:
            report.skipped[reason] += 1
            continue
        rule = _descriptor(run, result)
        rule_id = _rule_id(result, rule)
        if rule_id is None:
            report.skipped["no rule id"] += 1
            continue
        physical = _physical(result.get("locations"))
        if physical is None:
            report.skipped["no location"] += 1
            continue
        target = locator.resolve(physical)
        if target is None:
            outside[_describe(physical)] += 1
            continue
        report.findings.append(_finding(run, result, rule, f"{tool}:{rule_id}", target, physical, locator))


def tool_prefix(name: str) -> str:
    """A driver name as a rule id prefix: ``"Semgrep OSS"`` -> ``"semgrep"``, ``"ESLint"`` -> ``"eslint"``."""
    words = re.findall(r"[a-z0-9][a-z0-9._+]*", name.lower())
    while len(words) > 1 and words[-1] in _EDITION_WORDS:
        words.pop()
    return "-".join(words) or "sarif"


def _left_out(result: JSONObject) -> str | None:
    if result.get("kind", "fail") in ("pass", "notApplicable"):
        return "not a failure (kind pass or notApplicable)"
    suppressions = result.get("suppressions")
    if isinstance(suppressions, list) and any(_obj(s).get("status") != "rejected" for s in suppressions):
        return "suppressed"
    if result.get("baselineState") == "absent":
        return "absent (baselineState)"
    return None


def _descriptor(run: JSONObject, result: JSONObject) -> JSONObject:
    """The reportingDescriptor of a result's rule, from the driver or the extension its reference names."""
    reference = _obj(result.get("rule"))
    tool = _obj(run.get("tool"))
    component = _obj(tool.get("driver"))
    extension = _obj(reference.get("toolComponent")).get("index")
    extensions = _list(tool.get("extensions"))
    if isinstance(extension, int) and 0 <= extension < len(extensions):
        component = _obj(extensions[extension])
    rules = [_obj(r) for r in _list(component.get("rules"))]
    index = result.get("ruleIndex", reference.get("index"))
    if isinstance(index, int) and 0 <= index < len(rules):
        return rules[index]
    wanted = result.get("ruleId", reference.get("id"))
    return next((r for r in rules if r.get("id") == wanted), {})


def _rule_id(result: JSONObject, rule: JSONObject) -> str | None:
    for candidate in (result.get("ruleId"), _obj(result.get("rule")).get("id"), rule.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            return "-".join(candidate.split())
    return None


def _physical(locations: Any) -> JSONObject | None:
    for location in locations if isinstance(locations, list) else []:
        physical = _obj(_obj(location).get("physicalLocation"))
        if physical.get("artifactLocation"):
            return physical
    return None


def _describe(physical: JSONObject) -> str:
    uri = _obj(physical.get("artifactLocation")).get("uri")
    return uri if isinstance(uri, str) else "an unnamed artifact"


class _Locator:
    """Resolves a run's artifact locations to paths relative to the review root, and reads their lines."""

    def __init__(self, root: Path, run: JSONObject, fallbacks: list[Path]) -> None:
        self.base = root if root.is_dir() else root.parent
        self.only = None if root.is_dir() else root
        self.fallbacks = [self.base, *fallbacks]
        self.bases = _obj(run.get("originalUriBaseIds"))
        artifacts = run.get("artifacts")
        self.artifacts = artifacts if isinstance(artifacts, list) else []
        self.utf16 = run.get("columnKind") == "utf16CodeUnits"
        self._files: dict[str, _File | None] = {}

    def resolve(self, physical: JSONObject) -> str | None:
        """The path of a physical location relative to the root, or None when it is elsewhere."""
        artifact = _obj(physical.get("artifactLocation"))
        index = artifact.get("index")
        if "uri" not in artifact and isinstance(index, int) and 0 <= index < len(self.artifacts):
            artifact = _obj(_obj(self.artifacts[index]).get("location"))
        uri = artifact.get("uri")
        if not isinstance(uri, str) or not uri:
            return None
        path = _uri_path(uri)
        if path is None:
            return None
        if not path.is_absolute():
            base = self._base(artifact.get("uriBaseId"), set())
            if base is not None:
                path = base / path
            else:
                path = next((d / path for d in self.fallbacks if _exists(d / path)), self.base / path)
        return self._relative(Path(os.path.normpath(path)))

    def _base(self, base_id: Any, seen: set[str]) -> Path | None:
        if not isinstance(base_id, str) or base_id in seen:
            return None
        entry = _obj(self.bases.get(base_id))
        uri = entry.get("uri")
        path = _uri_path(uri) if isinstance(uri, str) else None
        if path is None or path.is_absolute():
            return path
        parent = self._base(entry.get("uriBaseId"), seen | {base_id})
        return None if parent is None else parent / path

    def _relative(self, path: Path) -> str | None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the name
            real = path
        for candidate in (path, real):
            if self.only is not None:
                if candidate == self.only:
                    return self.only.name
                continue
            try:
                relative = candidate.relative_to(self.base)
            except ValueError:
                continue
            if relative.parts:
                return relative.as_posix()
        return None

    def file(self, path: str) -> _File | None:
        """The file at ``path`` under the root, read once; None when it cannot be read."""
        if path not in self._files:
            try:
                source = (self.base / path).read_bytes()
            except (OSError, ValueError):
                self._files[path] = None
            else:
                self._files[path] = _File(TextContext(path, language_for_path(path) or PLAIN_TEXT, source, {}))
        return self._files[path]


class _File:
    """A file's lines and its secret redactor."""

    def __init__(self, ctx: TextContext) -> None:
        self.ctx = ctx
        self.redactor = Redactor(ctx, ())

    def line(self, number: int) -> str | None:
        if number < 1 or number > len(self.ctx.line_starts()):
            return None
        return self.ctx.line_bytes(number - 1).decode("utf-8", "replace")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a name too long, a NUL in it
        return False


def _uri_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path)) if parts.netloc in ("", "localhost") else None
    if len(parts.scheme) > 1:  # http: and the like name no file here (one letter is a Windows drive)
        return None
    return Path(unquote(uri))


def _finding(
    run: JSONObject,
    result: JSONObject,
    rule: JSONObject,
    rule_id: str,
    path: str,
    physical: JSONObject,
    locator: _Locator,
) -> Finding:
    file = locator.file(path)
    region = _obj(physical.get("region"))
    span = _span(region, _line_reader(locator, path), locator.utf16)
    if file is not None and file.line(span.start_line) is not None:
        snippet = file.redactor.line(span.start_line - 1).strip()
        redact = file.redactor.text
    else:
        snippet = (_text(_obj(region.get("snippet"))).splitlines() or [""])[0].strip()
        redact = Redactor(TextContext(path, PLAIN_TEXT, snippet.encode(), {}), ()).text
        snippet = redact(snippet)
    cwe = _cwe(run, result, rule)
    security_severity = _security_severity(result, rule)
    return Finding(
        rule_id=_capped(rule_id),
        category=_category(rule_id, rule, result, cwe, security_severity),
        severity=_severity(result, rule, security_severity),
        confidence=Confidence.MEDIUM,
        cwe=cwe,
        path=path,
        span=span,
        snippet=snippet[:MAX_SNIPPET],
        message=redact(_message(result, rule, rule_id)),
        flow=_flow(result, path, locator, redact),
        related=_related(result, locator, redact),
    )


def _span(region: JSONObject, line_of: Callable[[int], str | None], utf16: bool) -> Span:
    start_line = max(_int(region.get("startLine")) or 1, 1)
    end_line = max(_int(region.get("endLine")) or start_line, start_line)
    start_column = max(_int(region.get("startColumn")) or 1, 1)
    end_column = _int(region.get("endColumn"))
    end_text = line_of(end_line)
    if utf16:
        start_column = _from_utf16(line_of(start_line), start_column)
        end_column = None if end_column is None else _from_utf16(end_text, end_column)
    if end_column is None:  # SARIF: the region runs to the end of its last line
        end_column = len(end_text) + 1 if end_text is not None else start_column
    if end_line == start_line:
        end_column = max(end_column, start_column)
    return Span(start_line, start_column, end_line, max(end_column, 1))


def _from_utf16(line: str | None, column: int) -> int:
    """A 1-based UTF-16 column of ``line`` as a 1-based code point column."""
    if line is None:
        return column
    units = 0
    for index, char in enumerate(line):
        if units >= column - 1:
            return index + 1
        units += 2 if ord(char) > 0xFFFF else 1
    return len(line) + 1 + max(column - 1 - units, 0)


def _tags(result: JSONObject, rule: JSONObject) -> list[str]:
    tags: list[str] = []
    for properties in (_obj(result.get("properties")), _obj(rule.get("properties"))):
        value = properties.get("tags")
        tags.extend(t for t in (value if isinstance(value, list) else []) if isinstance(t, str))
    return tags


def _cwe(run: JSONObject, result: JSONObject, rule: JSONObject) -> int | None:
    def from_properties(owner: JSONObject) -> list[Any]:
        properties = _obj(owner.get("properties"))
        value = properties.get("cwe")
        tags = properties.get("tags")
        return [*(value if isinstance(value, list) else [value]), *(tags if isinstance(tags, list) else [])]

    candidates: list[Any] = [_taxon(run, t) for t in _list(result.get("taxa"))]
    candidates += from_properties(result)
    candidates += [_taxon(run, _obj(r).get("target")) for r in _list(rule.get("relationships"))]
    candidates += from_properties(rule)
    for candidate in candidates:
        number = _cwe_number(candidate)
        if number is not None:
            return number
    described = {int(m) for key in ("fullDescription", "help") for m in _CWE.findall(_text(_obj(rule.get(key))))}
    return described.pop() if len(described) == 1 else None


def _taxon(run: JSONObject, reference: Any) -> str | None:
    """The id of a taxon reference into the CWE taxonomy, else None."""
    reference = _obj(reference)
    component = _obj(reference.get("toolComponent"))
    taxonomies = _list(run.get("taxonomies"))
    index = component.get("index")
    taxonomy = _obj(taxonomies[index]) if isinstance(index, int) and 0 <= index < len(taxonomies) else {}
    name = component.get("name", taxonomy.get("name"))
    if not isinstance(name, str) or name.upper() != "CWE":
        return None
    taxon_id = reference.get("id")
    taxa = _list(taxonomy.get("taxa"))
    taxon_index = reference.get("index")
    if taxon_id is None and isinstance(taxon_index, int) and 0 <= taxon_index < len(taxa):
        taxon_id = _obj(taxa[taxon_index]).get("id")
    return f"CWE-{taxon_id}" if isinstance(taxon_id, str | int) else None


def _cwe_number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _CWE.search(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def _security_severity(result: JSONObject, rule: JSONObject) -> float | None:
    for properties in (_obj(result.get("properties")), _obj(rule.get("properties"))):
        try:
            return float(properties["security-severity"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _severity(result: JSONObject, rule: JSONObject, security_severity: float | None) -> Severity:
    if security_severity is not None:
        for floor, severity in ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM)):
            if security_severity >= floor:
                return severity
        return Severity.LOW if security_severity > 0 else Severity.INFO
    level = result.get("level", _obj(rule.get("defaultConfiguration")).get("level", "warning"))
    return LEVEL_SEVERITY.get(level, Severity.MEDIUM) if isinstance(level, str) else Severity.MEDIUM


def _category(
    rule_id: str, rule: JSONObject, result: JSONObject, cwe: int | None, security_severity: float | None
) -> Category:
    tags = [t.lower() for t in _tags(result, rule)]
    properties = _obj(rule.get("properties"))
    kinds = " ".join(str(properties.get(key, "")) for key in ("kind", "category")).lower()
    segments = set(re.split(r"[/.:]", rule_id.lower()))
    if (
        cwe is not None
        or security_severity is not None
        or "security" in tags
        or "security" in segments
        or "bandit" in kinds
        or rule_id.startswith("bandit:")
    ):
        return Category.SECURITY
    if any("performance" in t for t in tags) or "perf" in kinds:
        return Category.PERFORMANCE
    return Category.QUALITY


def _message(result: JSONObject, rule: JSONObject, rule_id: str) -> str:
    message = _obj(result.get("message"))
    text = _text(message)
    if not text and isinstance(message.get("id"), str):
        text = _text(_obj(_obj(rule.get("messageStrings")).get(message["id"])))
    arguments = _list(message.get("arguments"))
    if arguments:
        text = _ARGUMENT.sub(lambda m: str(arguments[int(m[1])]) if int(m[1]) < len(arguments) else m[0], text)
    return text.strip() or _text(_obj(rule.get("shortDescription"))).strip() or rule_id


def _flow(result: JSONObject, path: str, locator: _Locator, redact: Callable[[str], str]) -> tuple[FlowStep, ...]:
    """The first thread flow of the first code flow, when every step is in the finding's file."""
    flows = _list(_obj((_list(result.get("codeFlows")) or [{}])[0]).get("threadFlows"))
    steps: list[FlowStep] = []
    for item in _list(_obj(flows[0]).get("locations")) if flows else []:
        location = _obj(_obj(item).get("location"))
        physical = _obj(location.get("physicalLocation"))
        if not physical.get("artifactLocation") or locator.resolve(physical) != path:
            return ()
        span = _span(_obj(physical.get("region")), _line_reader(locator, path), locator.utf16)
        steps.append(FlowStep(span, redact(_text(_obj(location.get("message"))))))
    return tuple(steps)


def _related(result: JSONObject, locator: _Locator, redact: Callable[[str], str]) -> tuple[Related, ...]:
    places: list[Related] = []
    for location in _list(result.get("relatedLocations")):
        physical = _obj(_obj(location).get("physicalLocation"))
        target = locator.resolve(physical) if physical.get("artifactLocation") else None
        if target is not None:
            span = _span(_obj(physical.get("region")), _line_reader(locator, target), locator.utf16)
            places.append(Related(target, span, redact(_text(_obj(_obj(location).get("message"))))))
    return tuple(places)


def _line_reader(locator: _Locator, path: str) -> Callable[[int], str | None]:
    file = locator.file(path)
    return file.line if file is not None else lambda _: None


def _with_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Fingerprint each finding by its rule, path, normalised line and its occurrence among equal ones."""
    occurrences: Counter[tuple[str, str, str]] = Counter()
    done: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.path, f.span.start_line, f.span.start_column, f.rule_id)):
        normalized = " ".join(finding.snippet.split())
        key = (finding.rule_id, finding.path, normalized)
        stamp = fingerprint(finding.rule_id, finding.path, normalized, occurrences[key])
        done.append(replace(finding, fingerprint=stamp))
        occurrences[key] += 1
    return done


def _capped(rule_id: str) -> str:
    """A rule id that fits the store; a longer one keeps its start and a hash of the whole."""
    if len(rule_id) <= MAX_RULE_ID:
        return rule_id
    digest = hashlib.sha256(rule_id.encode()).hexdigest()[:8]
    return f"{rule_id[: MAX_RULE_ID - 9]}~{digest}"


def _obj(value: Any) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(message: JSONObject) -> str:
    for key in ("text", "markdown"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def is_duplicate(kept: Finding, candidate: Finding) -> bool:
    """Whether ``candidate`` reports what ``kept`` already does.

    Both must be in the same file. When both carry a CWE, the CWEs must be equal and the line ranges overlap.
    Otherwise they must be of the same category, start on the same line and overlap in columns: a CWE-less
    finding is matched narrowly, so that two different issues on one line both survive. Two findings of the
    same rule are never duplicates (a tool's results are its own business) unless their spans are equal.
    """
    if kept.path != candidate.path:
        return False
    if kept.rule_id == candidate.rule_id:
        return kept.span == candidate.span
    a, b = kept.span, candidate.span
    if kept.cwe is not None and candidate.cwe is not None:
        return kept.cwe == candidate.cwe and a.start_line <= b.end_line and b.start_line <= a.end_line
    return kept.category is candidate.category and a.start_line == b.start_line and _columns_overlap(a, b)


def _columns_overlap(a: Span, b: Span) -> bool:
    def bounds(span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        end = (span.end_line, span.end_column)
        start = (span.start_line, span.start_column)
        return start, max(end, (span.start_line, span.start_column + 1))  # an empty span covers its column

    (a_start, a_end), (b_start, b_end) = bounds(a), bounds(b)
    return a_start < b_end and b_start < a_end


def merge_findings(own: Iterable[Finding], imported: Iterable[Finding]) -> tuple[list[Finding], int]:
    """Own findings, then each imported finding that does not repeat one kept before it; and how many did."""
    merged = list(own)
    by_line: dict[tuple[str, int], list[Finding]] = {}  # every duplicate shares a line with what it repeats

    def lines(finding: Finding) -> Iterable[tuple[str, int]]:
        return ((finding.path, line) for line in range(finding.span.start_line, finding.span.end_line + 1))

    for finding in merged:
        for key in lines(finding):
            by_line.setdefault(key, []).append(finding)
    duplicates = 0
    for candidate in imported:
        if any(is_duplicate(kept, candidate) for key in lines(candidate) for kept in by_line.get(key, ())):
            duplicates += 1
            continue
        merged.append(candidate)
        for key in lines(candidate):
            by_line.setdefault(key, []).append(candidate)
    return merged, duplicates
