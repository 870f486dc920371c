"""What a SARIF result says, in reviewlab's terms: rule id, CWE, severity, category, message, flow, related.

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
  level, then SARIF's default, warning).
* ``relatedLocations`` inside the root become ``related``; a code flow that stays in the file becomes ``flow``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reviewlab.engine.model import Category, FlowStep, Related, Severity
from reviewlab.engine.sarif_import.locate import Locator
from reviewlab.engine.sarif_import.values import JSONObject, array, obj, text

LEVEL_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}
_EDITION_WORDS = {"oss", "pro", "ce", "community", "enterprise", "edition", "cli"}
_CWE = re.compile(r"\bcwe[-_/ ]?(\d{1,5})\b", re.IGNORECASE)
_ARGUMENT = re.compile(r"\{(\d+)\}")


def tool_prefix(name: str) -> str:
    """A driver name as a rule id prefix: ``"Semgrep OSS"`` -> ``"semgrep"``, ``"ESLint"`` -> ``"eslint"``."""
    words = re.findall(r"[a-z0-9][a-z0-9._+]*", name.lower())
    while len(words) > 1 and words[-1] in _EDITION_WORDS:
        words.pop()
    return "-".join(words) or "sarif"


def descriptor(run: JSONObject, result: JSONObject) -> JSONObject:
    """The reportingDescriptor of a result's rule, from the driver or the extension its reference names."""
    reference = obj(result.get("rule"))
    tool = obj(run.get("tool"))
    component = obj(tool.get("driver"))
    extension = obj(reference.get("toolComponent")).get("index")
    extensions = array(tool.get("extensions"))
    if isinstance(extension, int) and 0 <= extension < len(extensions):
        component = obj(extensions[extension])
    rules = [obj(r) for r in array(component.get("rules"))]
    index = result.get("ruleIndex", reference.get("index"))
    if isinstance(index, int) and 0 <= index < len(rules):
        return rules[index]
    wanted = result.get("ruleId", reference.get("id"))
    return next((r for r in rules if r.get("id") == wanted), {})


def rule_id(result: JSONObject, rule: JSONObject) -> str | None:
    """The tool's own id of a result's rule, whitespace runs as dashes; None when the result names none."""
    for candidate in (result.get("ruleId"), obj(result.get("rule")).get("id"), rule.get("id")):
        if isinstance(candidate, str) and candidate.strip():
            return "-".join(candidate.split())
    return None


def cwe(run: JSONObject, result: JSONObject, rule: JSONObject) -> int | None:
    """The CWE a result or its rule names, first found (see the module docstring for the order)."""

    def from_properties(owner: JSONObject) -> list[Any]:
        properties = obj(owner.get("properties"))
        value = properties.get("cwe")
        return [*(value if isinstance(value, list) else [value]), *array(properties.get("tags"))]

    candidates: list[Any] = [_taxon(run, t) for t in array(result.get("taxa"))]
    candidates += from_properties(result)
    candidates += [_taxon(run, obj(r).get("target")) for r in array(rule.get("relationships"))]
    candidates += from_properties(rule)
    for candidate in candidates:
        number = _cwe_number(candidate)
        if number is not None:
            return number
    described = {int(m) for key in ("fullDescription", "help") for m in _CWE.findall(text(obj(rule.get(key))))}
    return described.pop() if len(described) == 1 else None


def _taxon(run: JSONObject, reference: Any) -> str | None:
    """The id of a taxon reference into the CWE taxonomy, else None."""
    reference = obj(reference)
    component = obj(reference.get("toolComponent"))
    taxonomies = array(run.get("taxonomies"))
    index = component.get("index")
    taxonomy = obj(taxonomies[index]) if isinstance(index, int) and 0 <= index < len(taxonomies) else {}
    name = component.get("name", taxonomy.get("name"))
    if not isinstance(name, str) or name.upper() != "CWE":
        return None
    taxon_id = reference.get("id")
    taxa = array(taxonomy.get("taxa"))
    taxon_index = reference.get("index")
    if taxon_id is None and isinstance(taxon_index, int) and 0 <= taxon_index < len(taxa):
        taxon_id = obj(taxa[taxon_index]).get("id")
    return f"CWE-{taxon_id}" if isinstance(taxon_id, str | int) else None


def _cwe_number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _CWE.search(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def security_severity(result: JSONObject, rule: JSONObject) -> float | None:
    """The CVSS-like ``security-severity`` property of the result, else of its rule."""
    for properties in (obj(result.get("properties")), obj(rule.get("properties"))):
        try:
            return float(properties["security-severity"])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def severity(result: JSONObject, rule: JSONObject, score: float | None) -> Severity:
    """The severity of a result: from its ``security-severity`` score when it has one, else from its level."""
    if score is not None:
        for floor, level_severity in ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM)):
            if score >= floor:
                return level_severity
        return Severity.LOW if score > 0 else Severity.INFO
    level = result.get("level", obj(rule.get("defaultConfiguration")).get("level", "warning"))
    return LEVEL_SEVERITY.get(level, Severity.MEDIUM) if isinstance(level, str) else Severity.MEDIUM


def category(
    prefixed_id: str, rule: JSONObject, result: JSONObject, cwe_number: int | None, score: float | None
) -> Category:
    """Security, performance or quality, from the CWE, the tags, the rule's properties and its id."""
    tags = [t.lower() for t in _tags(result, rule)]
    properties = obj(rule.get("properties"))
    kinds = " ".join(str(properties.get(key, "")) for key in ("kind", "category")).lower()
    segments = set(re.split(r"[/.:]", prefixed_id.lower()))
    if (
        cwe_number is not None
        or score is not None
        or "security" in tags
        or "security" in segments
        or "bandit" in kinds
        or prefixed_id.startswith("bandit:")
    ):
        return Category.SECURITY
    if any("performance" in t for t in tags) or "perf" in kinds:
        return Category.PERFORMANCE
    return Category.QUALITY


def _tags(result: JSONObject, rule: JSONObject) -> list[str]:
    tags: list[str] = []
    for properties in (obj(result.get("properties")), obj(rule.get("properties"))):
        tags.extend(t for t in array(properties.get("tags")) if isinstance(t, str))
    return tags


def message(result: JSONObject, rule: JSONObject, prefixed_id: str) -> str:
    """The result's message (its text, else the rule's message string, arguments filled in), else the rule's."""
    result_message = obj(result.get("message"))
    said = text(result_message)
    if not said and isinstance(result_message.get("id"), str):
        said = text(obj(obj(rule.get("messageStrings")).get(result_message["id"])))
    arguments = array(result_message.get("arguments"))
    if arguments:
        said = _ARGUMENT.sub(lambda m: str(arguments[int(m[1])]) if int(m[1]) < len(arguments) else m[0], said)
    return said.strip() or text(obj(rule.get("shortDescription"))).strip() or prefixed_id


def flow(result: JSONObject, path: str, locator: Locator, redact: Callable[[str], str]) -> tuple[FlowStep, ...]:
    """The first thread flow of the first code flow, when every step is in the finding's file."""
    flows = array(obj((array(result.get("codeFlows")) or [{}])[0]).get("threadFlows"))
    steps: list[FlowStep] = []
    for item in array(obj(flows[0]).get("locations")) if flows else []:
        location = obj(obj(item).get("location"))
        physical = obj(location.get("physicalLocation"))
        if not physical.get("artifactLocation") or locator.resolve(physical) != path:
            return ()
        span = locator.span(obj(physical.get("region")), path)
        steps.append(FlowStep(span, redact(text(obj(location.get("message"))))))
    return tuple(steps)


def related(result: JSONObject, locator: Locator, redact: Callable[[str], str]) -> tuple[Related, ...]:
    """The result's related locations that are under the review root."""
    places: list[Related] = []
    for location in array(result.get("relatedLocations")):
        physical = obj(obj(location).get("physicalLocation"))
        target = locator.resolve(physical) if physical.get("artifactLocation") else None
        if target is not None:
            span = locator.span(obj(physical.get("region")), target)
            places.append(Related(target, span, redact(text(obj(obj(location).get("message"))))))
    return tuple(places)
