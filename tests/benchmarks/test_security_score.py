"""The security benchmark scorer: expected.csv parsing, CWE matching, and the OWASP-style arithmetic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import security_score as ss

GOOD_CSV = """case,category,vulnerable,cwe
sqli_01,sqli,true,89
sqli_02,sqli,false,89
codeinj_01,codeinj,TRUE,CWE-95
codeinj_02,codeinj,false,95

hash_01, hash , true , 328
weakrand_01,weakrand,true,330
"""


def cases() -> list[ss.Case]:
    return ss.parse_expected(GOOD_CSV)


def finding(path: str, cwe: int | None, rule: str = "R1") -> ss.ToolFinding:
    return ss.ToolFinding(path, cwe, rule)


def test_parse_expected_reads_each_row() -> None:
    parsed = cases()
    assert [c.name for c in parsed] == ["sqli_01", "sqli_02", "codeinj_01", "codeinj_02", "hash_01", "weakrand_01"]
    assert parsed[2] == ss.Case("codeinj_01", "codeinj", True, 95)
    assert parsed[4] == ss.Case("hash_01", "hash", True, 328)
    assert parsed[0].relpath == "sqli/sqli_01.py"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("name,category,vulnerable,cwe\nx,sqli,true,89\n", "1: header is"),
        ("case,category,vulnerable,cwe\n", "no cases"),
        ("case,category,vulnerable,cwe\nx,sqli,true\n", "2: 3 columns; expected 4"),
        ("case,category,vulnerable,cwe\nx,sqli,yes,89\n", "2: vulnerable is 'yes'"),
        ("case,category,vulnerable,cwe\nx,sqli,true,SQL\n", "2: cwe is 'SQL'"),
        ("case,category,vulnerable,cwe\nx,sqli,true,89\nx,sqli,false,89\n", "3: case 'x' already listed on line 2"),
        ("case,category,vulnerable,cwe\nsqli/x.py,sqli,true,89\n", "must be a bare name"),
        ("case,category,vulnerable,cwe\n,sqli,true,89\n", "must not be empty"),
    ],
)
def test_malformed_expected_csv_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ss.ExpectedResultsError, match=r"^expected\.csv") as excinfo:
        ss.parse_expected(text, "expected.csv")
    assert message in str(excinfo.value)


def test_load_expected_names_cases_without_a_file(tmp_path: Path) -> None:
    csv_path = tmp_path / "expected.csv"
    csv_path.write_text("case,category,vulnerable,cwe\nsqli_01,sqli,true,89\nsqli_02,sqli,false,89\n")
    (tmp_path / "cases" / "sqli").mkdir(parents=True)
    (tmp_path / "cases" / "sqli" / "sqli_01.py").write_text("x = 1\n")
    with pytest.raises(ss.ExpectedResultsError, match=r"1 case\(s\): sqli/sqli_02.py"):
        ss.load_expected(csv_path, tmp_path / "cases")
    with pytest.raises(ss.ExpectedResultsError, match="cannot read"):
        ss.load_expected(tmp_path / "missing.csv")


def test_a_finding_counts_only_with_the_case_cwe_or_an_alias() -> None:
    findings = [
        finding("codeinj/codeinj_01.py", 94),  # alias of 95
        finding("hash/hash_01.py", 327),  # alias of 328
        finding("weakrand/weakrand_01.py", 338),  # alias of 330
        finding("sqli/sqli_01.py", 78),  # another category's CWE in this file
        finding("sqli/sqli_02.py", None),  # no CWE at all
    ]
    flagged = ss.flagged_cases(cases(), findings, ss.DEFAULT_ALIASES)
    assert flagged == {"codeinj_01", "hash_01", "weakrand_01"}


def test_an_alias_does_not_count_the_other_way_round() -> None:
    # 94 is an alias of 95, not the reverse: a CWE-95 finding does not flag a CWE-94 case.
    parsed = ss.parse_expected("case,category,vulnerable,cwe\nssti_01,ssti,true,94\n")
    assert ss.flagged_cases(parsed, [finding("ssti/ssti_01.py", 95)], ss.DEFAULT_ALIASES) == set()


def test_extra_aliases_add_to_the_defaults() -> None:
    aliases = ss.parse_aliases(["798=259", "95=78"])
    assert aliases[798] == frozenset({259})
    assert aliases[95] == frozenset({94, 78})
    assert aliases[328] == frozenset({327})
    with pytest.raises(ValueError, match="CWE=ALIAS"):
        ss.parse_aliases(["798:259"])


def test_a_finding_in_a_helper_file_is_not_counted_for_any_case() -> None:
    findings = [finding("sqli/helpers_sqli_01.py", 89), finding("sqli/sqli_01.py.bak", 89)]
    assert ss.flagged_cases(cases(), findings, ss.DEFAULT_ALIASES) == set()


def test_a_finding_in_one_case_does_not_flag_another_case_of_the_category() -> None:
    flagged = ss.flagged_cases(cases(), [finding("sqli/sqli_01.py", 89)], ss.DEFAULT_ALIASES)
    assert flagged == {"sqli_01"}


def test_cases_without_findings_are_false_negatives_and_true_negatives() -> None:
    scores = ss.score(cases(), flagged=set())
    assert scores["sqli"] == ss.CategoryScore(tp=0, fn=1, tn=1, fp=0)
    assert scores["sqli"].score == 0.0
    assert ss.misses(cases(), set()) == (["sqli_01", "codeinj_01", "hash_01", "weakrand_01"], [])


def test_tpr_fpr_and_score_arithmetic() -> None:
    s = ss.CategoryScore(tp=3, fn=1, tn=4, fp=2)
    assert s.tpr == pytest.approx(0.75)
    assert s.fpr == pytest.approx(2 / 6)
    assert s.score == pytest.approx(0.75 - 2 / 6)
    assert s.to_dict() == {"tp": 3, "fn": 1, "tn": 4, "fp": 2, "tpr": 0.75, "fpr": 0.3333, "score": 0.4167}


def test_flagging_everything_scores_zero_and_a_perfect_tool_scores_one() -> None:
    parsed = [c for c in cases() if c.category in {"sqli", "codeinj"}]
    everything = ss.score(parsed, {c.name for c in parsed})
    perfect = ss.score(parsed, {c.name for c in parsed if c.vulnerable})
    assert ss.average_score(everything) == pytest.approx(0.0)
    assert ss.average_score(perfect) == pytest.approx(1.0)
    assert list(perfect) == ["sqli", "codeinj"]


def test_a_category_without_negatives_has_a_zero_false_positive_rate() -> None:
    s = ss.score(cases(), {"hash_01"})["hash"]
    assert (s.tpr, s.fpr, s.score) == (1.0, 0.0, 1.0)
    assert ss.average_score({}) == 0.0


def test_average_is_the_mean_of_category_scores() -> None:
    scores = {"a": ss.CategoryScore(1, 0, 1, 0), "b": ss.CategoryScore(0, 1, 0, 1), "c": ss.CategoryScore(1, 1, 1, 1)}
    assert ss.average_score(scores) == pytest.approx((1.0 + -1.0 + 0.0) / 3)


def test_parse_bandit_relativises_paths_and_reads_the_cwe(tmp_path: Path) -> None:
    report = {
        "results": [
            {"filename": str(tmp_path / "sqli" / "sqli_01.py"), "test_id": "B608", "issue_cwe": {"id": 89}},
            {"filename": "sqli/sqli_02.py", "test_id": "B101", "issue_cwe": {"id": 0}},
            {"filename": str(tmp_path / "hash" / "hash_01.py"), "test_id": "B324"},
        ]
    }
    assert ss.parse_bandit(report, tmp_path) == [
        finding("sqli/sqli_01.py", 89, "B608"),
        finding("sqli/sqli_02.py", None, "B101"),
        finding("hash/hash_01.py", None, "B324"),
    ]
    with pytest.raises(ss.ToolError, match="bandit"):
        ss.parse_bandit({"errors": []}, tmp_path)


def test_parse_reviewlab_keeps_relative_paths(tmp_path: Path) -> None:
    report = {"findings": [{"rule_id": "PY-S001", "cwe": 89, "path": "sqli/sqli_01.py"}]}
    assert ss.parse_reviewlab(report, tmp_path) == [finding("sqli/sqli_01.py", 89, "PY-S001")]
    with pytest.raises(ss.ToolError, match="reviewlab"):
        ss.parse_reviewlab({"findings": [{"path": "x.py"}]}, tmp_path)


def test_parse_semgrep_reads_every_cwe_of_a_rule(tmp_path: Path) -> None:
    report = {
        "results": [
            {
                "check_id": "local.sqli",
                "path": "sqli/sqli_01.py",
                "extra": {"metadata": {"cwe": ["CWE-89: Improper Neutralization", "CWE-564: Hibernate"]}},
            },
            {"check_id": "local.other", "path": "hash/hash_01.py", "extra": {"metadata": {"cwe": "CWE-327"}}},
            {"check_id": "local.nocwe", "path": "hash/hash_01.py", "extra": {}},
        ]
    }
    assert ss.parse_semgrep(report, tmp_path) == [
        finding("sqli/sqli_01.py", 89, "local.sqli"),
        finding("sqli/sqli_01.py", 564, "local.sqli"),
        finding("hash/hash_01.py", 327, "local.other"),
        finding("hash/hash_01.py", None, "local.nocwe"),
    ]


def test_summary_and_table_cover_every_category() -> None:
    parsed = cases()
    run = ss.ToolRun("fake", "fake 1.0", 0.5, [finding("sqli/sqli_01.py", 89), finding("sqli/helpers.py", 89)])
    summary = ss.summarise(run, parsed, ss.DEFAULT_ALIASES)
    assert summary["findings_outside_case_files"] == 1
    assert summary["categories"]["sqli"] == {"tp": 1, "fn": 0, "tn": 1, "fp": 0, "tpr": 1.0, "fpr": 0.0, "score": 1.0}
    assert summary["false_negatives"] == ["codeinj_01", "hash_01", "weakrand_01"]
    categories = ["sqli", "codeinj", "hash", "weakrand"]
    text = ss.render_table({"fake": summary}, categories)
    assert all(category in text for category in categories)
    assert "+0.250" in text
    markdown = ss.render_table({"fake": summary, "other": summary}, categories, markdown=True)
    assert len(markdown.splitlines()) == 2 + len(categories) + 1


def test_main_reports_a_malformed_csv_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = tmp_path / "expected.csv"
    csv_path.write_text("case;category;vulnerable;cwe\n")
    with pytest.raises(SystemExit) as excinfo:
        ss.main(["--expected", str(csv_path), "--corpus", str(tmp_path), "--tool", "bandit"])
    assert excinfo.value.code == 2
    assert "header is" in capsys.readouterr().err


def _tiny_corpus(root: Path) -> Path:
    (root / "cases" / "cmdi").mkdir(parents=True)
    (root / "cases" / "cmdi" / "cmdi_01.py").write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    (root / "cases" / "cmdi" / "cmdi_02.py").write_text("def run():\n    return 1\n")
    (root / "expected.csv").write_text("case,category,vulnerable,cwe\ncmdi_01,cmdi,true,78\ncmdi_02,cmdi,false,78\n")
    return root


@pytest.mark.skipif(shutil.which("bandit") is None and not (ss.BIN / "bandit").is_file(), reason="bandit missing")
def test_main_scores_one_tool_and_writes_json(tmp_path: Path) -> None:
    root = _tiny_corpus(tmp_path)
    out = tmp_path / "score.json"
    argv = ["--corpus", str(root / "cases"), "--expected", str(root / "expected.csv"), "--tool", "bandit"]
    assert ss.main([*argv, "--json", str(out)]) == 0
    document = json.loads(out.read_text())
    assert list(document["tools"]) == ["bandit"]
    assert document["tools"]["bandit"]["categories"]["cmdi"] == {
        "tp": 1, "fn": 0, "tn": 1, "fp": 0, "tpr": 1.0, "fpr": 0.0, "score": 1.0,
    }  # fmt: skip
    assert document["tools"]["bandit"]["seconds"] >= 0
    assert document["cases"] == 2


def test_main_runs_reviewlab_without_asserting_its_score(tmp_path: Path) -> None:
    root = _tiny_corpus(tmp_path)
    out = tmp_path / "score.json"
    argv = ["--corpus", str(root / "cases"), "--expected", str(root / "expected.csv"), "--tool", "reviewlab"]
    assert ss.main([*argv, "--json", str(out)]) == 0
    summary = json.loads(out.read_text())["tools"]["reviewlab"]
    assert set(summary["categories"]) == {"cmdi"}
    assert summary["version"].startswith("reviewlab ")
