"""Every rule has docs and a line-precise fixture: `ruleid:` lines must be flagged, `ok:` lines must not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewlab.engine.analyzer import RulePack, analyze_source
from reviewlab.engine.languages import LANGUAGES, language_for_path
from reviewlab.engine.model import PLAIN_TEXT
from reviewlab.engine.rules import all_rules
from reviewlab.engine.rules.base import Rule
from reviewlab.engine.secrets.paths import is_text_file

FIXTURES = Path(__file__).parent / "fixtures"
COMMENT_STARTS = ("#", "//", "/*", "<!--", ";")
OPTIONS = re.compile(r"reviewlab-options:\s*(\{.*\})")  # a fixture's first line may set the rule's options
ANNOTATION = re.compile(r"(?:#|//|/\*|<!--|;)\s*(ruleid|ok):\s*([A-Z0-9-]+)")
RULES = all_rules()
FILE_RULES = [rule for rule in RULES if not rule.project]  # project rules are tested with their analyses


def fixture_language(rule: Rule, path: Path) -> str | None:
    """The fixture's language pack, or "text" for a text file (.env, .yaml...) of a rule that scans text."""
    language = language_for_path(path.name)
    if language is None and rule.scan is not None and is_text_file(path.name):
        return PLAIN_TEXT
    return language


def fixture_files(rule: Rule) -> list[Path]:
    return sorted(p for p in FIXTURES.glob(f"{rule.id}.*") if fixture_language(rule, p))


def expected_lines(path: Path, rule_id: str) -> tuple[set[int], set[int]]:
    """Lines annotated `ruleid` and `ok` for this rule; an annotation applies to the next code line."""
    must, must_not = set(), set()
    pending: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = ANNOTATION.search(line)
        if match and line.strip().startswith(COMMENT_STARTS):
            if match.group(2) == rule_id:
                pending.append(match.group(1))
            continue
        for kind in pending:
            (must if kind == "ruleid" else must_not).add(number)
        pending = []
    return must, must_not


def test_rule_ids_are_unique_and_well_formed() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule_id in ids:
        assert re.fullmatch(r"(PY|JS|JAVA|GO|SEC|GEN)-[SQPA]\d{3}", rule_id), rule_id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_metadata(rule: Rule) -> None:
    assert rule.title
    assert rule.message
    assert rule.docs.what
    assert rule.docs.why
    assert rule.docs.example
    assert rule.docs.use_instead
    assert rule.languages
    assert rule.id[rule.id.index("-") + 1] == rule.category.value[0].upper()
    if rule.category.value == "security":
        assert rule.cwe is not None, "security rules carry a CWE"


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda r: r.id)
def test_rule_fixture_is_line_precise(rule: Rule) -> None:
    files = fixture_files(rule)
    assert files, f"no fixture for {rule.id} in {FIXTURES}"
    for path in files:
        options = OPTIONS.search(path.read_text(encoding="utf-8").split("\n", 1)[0])
        pack = RulePack([rule], {rule.id: json.loads(options.group(1))} if options else None)
        language = fixture_language(rule, path)
        assert language in LANGUAGES or language == PLAIN_TEXT
        must, must_not = expected_lines(path, rule.id)
        assert must, f"{path.name} has no `ruleid: {rule.id}` line"
        assert must_not, f"{path.name} has no `ok: {rule.id}` look-alike"
        analysis = analyze_source(path.name, language, path.read_bytes(), pack)
        found = {f.span.start_line for f in analysis.findings if f.rule_id == rule.id}
        assert found == must, f"{path.name}: flagged {sorted(found)}, expected {sorted(must)}"
        assert not analysis.diagnostics, f"{path.name} should parse cleanly: {analysis.diagnostics}"
