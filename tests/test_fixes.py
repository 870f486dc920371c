"""Safe fixes: applied without overlaps, rejected when the result would not parse, shown as a diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.fixes import fix_diff, fix_file, plan
from reviewlab.engine.model import Fix, Replacement, Span
from reviewlab.engine.pipeline import review

CODE = (
    "import yaml\n\n\n"
    "def load(path, user):\n"
    "    if user == None:\n"
    "        return None\n"
    "    with open(path) as handle:\n"
    "        return yaml.load(handle)\n"
)


def replace(line: int, start: int, end: int, text: str) -> Fix:
    return Fix(f"write {text!r}", (Replacement(Span(line, start, line, end), text),))


def test_the_findings_fixes_are_applied_together(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(CODE)
    result = review(tmp_path, ReviewConfig(select=("PY-Q009", "PY-S005")), jobs=1)
    assert sorted(f.rule_id for f in result.findings if f.fix is not None) == ["PY-Q009", "PY-S005"]
    [planned] = plan(tmp_path, result.findings)
    assert len(planned.applied) == 2
    assert "if user is None:" in planned.fixed
    assert "yaml.safe_load(handle)" in planned.fixed
    assert planned.diff().startswith("--- a/app.py\n+++ b/app.py\n")


def test_overlapping_and_stale_fixes_are_left_out() -> None:
    text = "x = a == None\n"
    first = replace(1, 5, 14, "a is None")
    overlapping = replace(1, 7, 14, "is None")
    stale = replace(9, 1, 2, "y")
    result = fix_file("a.py", text, [first, overlapping, stale])
    assert result.fixed == "x = a is None\n"
    assert [reason for _, reason in result.skipped] == [
        "it overlaps another fix",
        "its location is no longer in the file",
    ]


def test_a_fix_that_breaks_the_syntax_is_rejected() -> None:
    text = "def f(a):\n    return a\n"
    result = fix_file("a.py", text, [replace(2, 12, 13, "(")])
    assert result.fixed == text
    assert not result.applied
    assert [reason for _, reason in result.skipped] == ["the fixed file would not parse"]


def test_fix_diff_writes_nothing_and_fix_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "app.py"
    path.write_text(CODE)
    args = ["review", str(tmp_path), "--no-store", "--no-cache", "--format", "json", "--output", str(tmp_path / "r")]
    assert main([*args, "--fix-diff"]) == 0
    assert "+    if user is None:" in capsys.readouterr().out
    assert path.read_text() == CODE
    assert main([*args, "--fix"]) == 0
    assert "fix(es) applied in 1 file(s)" in capsys.readouterr().err
    assert "if user is None:" in path.read_text()
    again = review(tmp_path, ReviewConfig(select=("PY-Q009", "PY-S005")), jobs=1)
    assert again.findings == []


def test_each_fix_carries_its_unified_diff_and_a_fix_that_breaks_the_file_is_not_offered() -> None:
    from reviewlab.engine.analyzer import RulePack, analyze_source
    from reviewlab.engine.rules import get_rule

    rule = get_rule("PY-S005")
    assert rule is not None
    source = b"import yaml\n\n\ndef load(text):\n    return yaml.load(text)\n"
    [finding] = analyze_source("conf.py", "python", source, RulePack([rule])).findings
    assert finding.fix is not None
    assert finding.fix.diff == (
        "--- a/conf.py\n+++ b/conf.py\n@@ -3,3 +3,3 @@\n \n def load(text):\n"
        "-    return yaml.load(text)\n+    return yaml.safe_load(text)\n"
    )

    broken = Fix("break it", (Replacement(Span(5, 5, 5, 11), "return (("),))
    assert fix_diff("conf.py", source, broken) is None
    stale = Fix("elsewhere", (Replacement(Span(50, 1, 50, 2), "x"),))
    assert fix_diff("conf.py", source, stale) is None


def _fixed(rule_id: str, source: str) -> str:
    from reviewlab.engine.analyzer import RulePack, analyze_source
    from reviewlab.engine.rules import get_rule

    rule = get_rule(rule_id)
    assert rule is not None
    findings = analyze_source("m.py", "python", source.encode(), RulePack([rule])).findings
    assert findings, f"{rule_id} reports nothing"
    return fix_file("m.py", source, [f.fix for f in findings if f.fix is not None]).fixed


def test_mutable_default_becomes_a_none_guard_after_the_docstring() -> None:
    source = 'def add(tag, tags=[]):\n    """Add a tag."""\n    tags.append(tag)\n    return tags\n'
    assert _fixed("PY-Q002", source) == (
        'def add(tag, tags=None):\n    """Add a tag."""\n    if tags is None:\n        tags = []\n'
        "    tags.append(tag)\n    return tags\n"
    )


def test_mutable_default_fix_keeps_tabs_and_types_only_under_future_annotations() -> None:
    tabs = "def add(tag, tags={}):\n\treturn tags\n"
    assert _fixed("PY-Q002", tabs) == "def add(tag, tags=None):\n\tif tags is None:\n\t\ttags = {}\n\treturn tags\n"
    typed = "def add(tag, tags: list[str] = []):\n    return tags\n"
    assert _fixed("PY-Q002", typed) == typed  # annotations are evaluated: `list[str] | None` may not run here
    future = "from __future__ import annotations\n\n\n" + typed
    assert _fixed("PY-Q002", future).endswith(
        "def add(tag, tags: list[str] | None = None):\n    if tags is None:\n        tags = []\n    return tags\n"
    )
    one_line = "def add(tag, tags=[]): return tags\n"
    assert _fixed("PY-Q002", one_line) == one_line


def test_shell_for_a_constant_command_becomes_an_argument_list() -> None:
    source = 'import subprocess\n\nsubprocess.run("git status --short", shell=True, check=True)\n'
    assert _fixed("PY-S025", source) == (
        "import subprocess\n\nsubprocess.run(['git', 'status', '--short'], check=True)\n"
    )
    chosen = 'import subprocess\n\nsubprocess.run("tool run", shell=True, executable="/bin/bash")\n'
    assert _fixed("PY-S025", chosen) == chosen
