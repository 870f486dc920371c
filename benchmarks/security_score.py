"""Score security scanners on the labelled corpus the OWASP Benchmark way.

The corpus is ``benchmarks/security/cases/<category>/<case>.py``, one test case per file (helper
modules beside them are not cases), labelled in ``benchmarks/security/expected.csv`` with the
columns ``case,category,vulnerable,cwe``. Each tool reviews the whole corpus once; a case counts as
flagged when the tool reports, in the case's own file, a finding whose CWE is the case's CWE or one
of its aliases (CWE-94 for 95, 327 for 328, 338 for 330; ``--alias`` adds more). Per category:
TPR = TP / (TP + FN), FPR = FP / (FP + TN), score = TPR - FPR; the tool's score is the mean of the
category scores. (A rate whose denominator is 0 counts as 0.)

Tools: reviewlab (``review --format json --no-store --no-cache``), bandit (``-r -f json``, its
``issue_cwe.id``) and, when the ``semgrep`` executable is installed and ``--semgrep-config`` names
local rules, semgrep (``--metrics=off``; the CWE from each rule's ``metadata.cwe``).

Usage: python benchmarks/security_score.py [--tool reviewlab|bandit|semgrep ...] [--json OUT]
       [--markdown] [--alias CWE=ALIAS ...] [--corpus DIR] [--expected CSV] [--show-misses]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE / "security" / "cases"
DEFAULT_EXPECTED = HERE / "security" / "expected.csv"
BIN = Path(sys.executable).parent
EXPECTED_COLUMNS = ("case", "category", "vulnerable", "cwe")
TOOLS = ("reviewlab", "bandit", "semgrep")

# CWEs that also count for a case labelled with the key (the scoring rules of the held-out benchmark).
DEFAULT_ALIASES: dict[int, frozenset[int]] = {95: frozenset({94}), 328: frozenset({327}), 330: frozenset({338})}

_BOOLEANS = {"true": True, "false": False}
_CWE_TEXT = re.compile(r"CWE-(\d+)", re.IGNORECASE)


class ExpectedResultsError(ValueError):
    """expected.csv is malformed, or names a case whose file is missing."""


class ToolError(RuntimeError):
    """A tool failed to run or wrote output the scorer cannot read."""


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    category: str
    vulnerable: bool
    cwe: int

    @property
    def relpath(self) -> str:
        """The case's file, relative to the corpus root."""
        return f"{self.category}/{self.name}.py"


@dataclass(frozen=True, slots=True)
class ToolFinding:
    """A finding reduced to what scoring needs: the file (relative to the corpus root) and the CWE."""

    path: str
    cwe: int | None
    rule: str


@dataclass(frozen=True, slots=True)
class CategoryScore:
    tp: int
    fn: int
    tn: int
    fp: int

    @property
    def tpr(self) -> float:
        return _rate(self.tp, self.tp + self.fn)

    @property
    def fpr(self) -> float:
        return _rate(self.fp, self.fp + self.tn)

    @property
    def score(self) -> float:
        return self.tpr - self.fpr

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fn": self.fn,
            "tn": self.tn,
            "fp": self.fp,
            "tpr": round(self.tpr, 4),
            "fpr": round(self.fpr, 4),
            "score": round(self.score, 4),
        }


@dataclass
class ToolRun:
    tool: str
    version: str
    seconds: float
    findings: list[ToolFinding]
    command: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rate(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


# --- expected results ---------------------------------------------------------------------------


def parse_expected(text: str, source: str = "expected.csv") -> list[Case]:
    """The cases of an expected-results CSV; any malformed line is an ``ExpectedResultsError`` naming it."""
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise ExpectedResultsError(f"{source}: empty file; expected the header {','.join(EXPECTED_COLUMNS)}")
    if tuple(h.strip().lower() for h in header) != EXPECTED_COLUMNS:
        raise ExpectedResultsError(
            f"{source}:1: header is {','.join(header)!r}; expected {','.join(EXPECTED_COLUMNS)!r}"
        )
    cases: list[Case] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(EXPECTED_COLUMNS):
            raise ExpectedResultsError(f"{source}:{line}: {len(row)} columns; expected {len(EXPECTED_COLUMNS)}")
        name, category, vulnerable, cwe = (cell.strip() for cell in row)
        if not name or not category:
            raise ExpectedResultsError(f"{source}:{line}: case and category must not be empty")
        if "/" in name or "\\" in name or name.endswith(".py"):
            raise ExpectedResultsError(f"{source}:{line}: case {name!r} must be a bare name (the file is <case>.py)")
        if vulnerable.lower() not in _BOOLEANS:
            raise ExpectedResultsError(f"{source}:{line}: vulnerable is {vulnerable!r}; expected true or false")
        cwe_id = cwe.upper().removeprefix("CWE-")
        if not cwe_id.isdigit():
            raise ExpectedResultsError(f"{source}:{line}: cwe is {cwe!r}; expected a number such as 89")
        if name in seen:
            raise ExpectedResultsError(f"{source}:{line}: case {name!r} already listed on line {seen[name]}")
        seen[name] = line
        cases.append(Case(name, category, _BOOLEANS[vulnerable.lower()], int(cwe_id)))
    if not cases:
        raise ExpectedResultsError(f"{source}: no cases")
    return cases


def load_expected(path: Path, corpus: Path | None = None) -> list[Case]:
    """Read expected.csv; with ``corpus``, also check that every case's file exists."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ExpectedResultsError(f"cannot read {path}: {err.strerror}") from err
    cases = parse_expected(text, str(path))
    if corpus is not None:
        missing = [c.relpath for c in cases if not (corpus / c.relpath).is_file()]
        if missing:
            raise ExpectedResultsError(f"{path}: no file in {corpus} for {len(missing)} case(s): {', '.join(missing)}")
    return cases


def parse_aliases(specs: Iterable[str]) -> dict[int, frozenset[int]]:
    """``DEFAULT_ALIASES`` plus ``CWE=ALIAS`` pairs (``798=259`` lets CWE-259 count for a CWE-798 case)."""
    aliases = {cwe: set(extra) for cwe, extra in DEFAULT_ALIASES.items()}
    for spec in specs:
        cwe, sep, alias = spec.partition("=")
        if not sep or not cwe.strip().isdigit() or not alias.strip().isdigit():
            raise ValueError(f"--alias {spec!r}: expected CWE=ALIAS, e.g. 798=259")
        aliases.setdefault(int(cwe), set()).add(int(alias))
    return {cwe: frozenset(extra) for cwe, extra in aliases.items()}


# --- scoring -----------------------------------------------------------------------------------


def accepted_cwes(cwe: int, aliases: Mapping[int, frozenset[int]]) -> frozenset[int]:
    return frozenset({cwe}) | aliases.get(cwe, frozenset())


def flagged_cases(
    cases: Iterable[Case], findings: Iterable[ToolFinding], aliases: Mapping[int, frozenset[int]]
) -> set[str]:
    """Names of the cases with a finding of an accepted CWE in the case's own file."""
    cwes_by_file: dict[str, set[int]] = {}
    for finding in findings:
        if finding.cwe is not None:
            cwes_by_file.setdefault(finding.path, set()).add(finding.cwe)
    return {c.name for c in cases if cwes_by_file.get(c.relpath, set()) & accepted_cwes(c.cwe, aliases)}


def score(cases: Iterable[Case], flagged: set[str]) -> dict[str, CategoryScore]:
    """TP/FN/TN/FP per category, categories in the order they first appear."""
    counts: dict[str, list[int]] = {}
    for case in cases:
        tally = counts.setdefault(case.category, [0, 0, 0, 0])
        hit = case.name in flagged
        if case.vulnerable:
            tally[0 if hit else 1] += 1
        else:
            tally[3 if hit else 2] += 1
    return {category: CategoryScore(*tally) for category, tally in counts.items()}


def average_score(scores: Mapping[str, CategoryScore]) -> float:
    return sum(s.score for s in scores.values()) / len(scores) if scores else 0.0


def misses(cases: Iterable[Case], flagged: set[str]) -> tuple[list[str], list[str]]:
    """(false negatives, false positives) as case names."""
    cases = list(cases)
    return (
        [c.name for c in cases if c.vulnerable and c.name not in flagged],
        [c.name for c in cases if not c.vulnerable and c.name in flagged],
    )


# --- tool output -------------------------------------------------------------------------------


def _relative(path: str, corpus: Path) -> str:
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.resolve().relative_to(corpus.resolve())
        except ValueError:
            return candidate.as_posix()
    return candidate.as_posix().removeprefix("./")


def parse_reviewlab(report: Mapping[str, Any], corpus: Path) -> list[ToolFinding]:
    """Findings of a reviewlab JSON report (paths there are relative to the reviewed root)."""
    try:
        return [ToolFinding(_relative(f["path"], corpus), f.get("cwe"), f["rule_id"]) for f in report["findings"]]
    except (KeyError, TypeError) as err:
        raise ToolError(f"not a reviewlab JSON report: missing {err}") from err


def parse_bandit(report: Mapping[str, Any], corpus: Path) -> list[ToolFinding]:
    """Findings of a bandit JSON report, with the CWE from ``issue_cwe.id`` (0 or absent: none)."""
    try:
        results = report["results"]
        findings = []
        for result in results:
            cwe = (result.get("issue_cwe") or {}).get("id") or None
            findings.append(ToolFinding(_relative(result["filename"], corpus), cwe, result["test_id"]))
    except (KeyError, TypeError, AttributeError) as err:
        raise ToolError(f"not a bandit JSON report: missing {err}") from err
    return findings


def parse_semgrep(report: Mapping[str, Any], corpus: Path) -> list[ToolFinding]:
    """Findings of a semgrep JSON report; one per CWE named in the rule's ``metadata.cwe``."""
    findings = []
    try:
        for result in report["results"]:
            cwe_field = result.get("extra", {}).get("metadata", {}).get("cwe", [])
            texts = [cwe_field] if isinstance(cwe_field, str) else list(cwe_field)
            cwes = [int(m) for text in texts for m in _CWE_TEXT.findall(str(text))] or [None]
            path = _relative(result["path"], corpus)
            findings.extend(ToolFinding(path, cwe, result["check_id"]) for cwe in cwes)
    except (KeyError, TypeError, AttributeError) as err:
        raise ToolError(f"not a semgrep JSON report: missing {err}") from err
    return findings


# --- running the tools -------------------------------------------------------------------------


def _executable(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.is_file() else shutil.which(name)


def _version(command: list[str]) -> str:
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _timed(command: list[str], env: Mapping[str, str] | None = None, ok: Iterable[int] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in set(ok):
        raise ToolError(f"{' '.join(command)} exited with {proc.returncode}:\n{proc.stderr[-2000:]}")
    return seconds


def run_reviewlab(corpus: Path, workdir: Path) -> ToolRun:
    exe = _executable("reviewlab")
    if exe is None:
        raise ToolError("reviewlab is not installed in this environment")
    out = workdir / "reviewlab.json"
    command = [exe, "review", str(corpus), "--format", "json", "--no-store", "--no-cache", "--output", str(out)]
    # A home of its own, so nothing from (or into) the user's reviewlab state.
    env = {**os.environ, "REVIEWLAB_HOME": str(workdir / "reviewlab-home")}
    seconds = _timed(command, env)
    report = json.loads(out.read_text(encoding="utf-8"))
    version = f"reviewlab {report.get('tool', {}).get('version', '?')} (rule pack {report.get('rule_pack_version')})"
    notes = [f"{len(report.get('diagnostics', []))} diagnostic(s)"] if report.get("diagnostics") else []
    return ToolRun("reviewlab", version, seconds, parse_reviewlab(report, corpus), command, notes)


def run_bandit(corpus: Path, workdir: Path) -> ToolRun:
    exe = _executable("bandit")
    if exe is None:
        raise ToolError("bandit is not installed in this environment")
    out = workdir / "bandit.json"
    command = [exe, "-r", str(corpus), "-f", "json", "-o", str(out), "-q"]
    seconds = _timed(command, ok=(0, 1))  # 1: issues found
    report = json.loads(out.read_text(encoding="utf-8"))
    notes = [f"{len(report['errors'])} file(s) bandit could not scan"] if report.get("errors") else []
    return ToolRun("bandit", _version([exe, "--version"]), seconds, parse_bandit(report, corpus), command, notes)


def run_semgrep(corpus: Path, workdir: Path, config: Path | None) -> ToolRun:
    exe = _executable("semgrep")
    if exe is None:
        raise ToolError("semgrep is not installed in this environment")
    if config is None:
        raise ToolError("semgrep needs --semgrep-config with local rules (the registry is not reachable)")
    out = workdir / "semgrep.json"
    command = [exe, "scan", "--config", str(config), "--json", "--output", str(out), "--metrics=off", str(corpus)]
    seconds = _timed(command, ok=(0, 1))
    report = json.loads(out.read_text(encoding="utf-8"))
    version = f"semgrep {_version([exe, '--version'])}"
    return ToolRun("semgrep", version, seconds, parse_semgrep(report, corpus), command)


# --- report ------------------------------------------------------------------------------------


def summarise(run: ToolRun, cases: list[Case], aliases: Mapping[int, frozenset[int]]) -> dict[str, Any]:
    flagged = flagged_cases(cases, run.findings, aliases)
    scores = score(cases, flagged)
    case_files = {c.relpath for c in cases}
    false_negatives, false_positives = misses(cases, flagged)
    return {
        "version": run.version,
        "command": run.command,
        "seconds": round(run.seconds, 3),
        "findings": len(run.findings),
        "findings_outside_case_files": sum(1 for f in run.findings if f.path not in case_files),
        "average_score": round(average_score(scores), 4),
        "categories": {category: s.to_dict() for category, s in scores.items()},
        "false_negatives": false_negatives,
        "false_positives": false_positives,
        "notes": run.notes,
    }


def _cell(summary: Mapping[str, Any] | None, category: str) -> list[str]:
    if summary is None:
        return ["-"] * 7
    s = summary["categories"][category]
    counts = [str(s[key]) for key in ("tp", "fn", "tn", "fp")]
    return [*counts, f"{s['tpr']:.2f}", f"{s['fpr']:.2f}", f"{s['score']:+.2f}"]


def render_table(tools: Mapping[str, Mapping[str, Any]], categories: list[str], markdown: bool = False) -> str:
    """Per-category TP, FN, TN, FP, TPR, FPR and score of each tool, side by side, then the averages."""
    names = list(tools)
    stats = ["TP", "FN", "TN", "FP", "TPR", "FPR", "score"]
    rows = [[category, *[c for n in names for c in _cell(tools[n], category)]] for category in categories]
    if markdown:  # counts in one cell, so two tools fit a page
        head = ["category", *[f"{n} {s}" for n in names for s in ("TP/FN/TN/FP", "TPR", "FPR", "score")]]
        lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
        for row in rows:
            cells = [row[0]]
            for i in range(len(names)):
                block = row[1 + 7 * i : 8 + 7 * i]
                cells += ["/".join(block[:4]), *block[4:]]
            lines.append("| " + " | ".join(cells) + " |")
        averages = [c for n in names for c in ("", "", "", f"**{tools[n]['average_score']:+.3f}**")]
        lines.append("| **average** | " + " | ".join(averages) + " |")
        return "\n".join(lines)
    widths = [16, *([4, 4, 4, 4, 6, 6, 7] * len(names))]
    group = "".join(f"{n:^{sum(widths[1:8]) + 1}}|" for n in names)
    lines = [" " * widths[0] + "|" + group]
    average = ["average", *[c for n in names for c in ["", "", "", "", "", "", f"{tools[n]['average_score']:+.3f}"]]]
    for row in [["category", *stats * len(names)], *rows, average]:
        cells = [f"{row[0]:<{widths[0]}}"]
        for i, (cell, width) in enumerate(zip(row[1:], widths[1:], strict=True)):
            cells.append(f"{cell:>{width}}" + (" |" if i % 7 == 6 else ""))
        lines.append(cells[0] + "|" + "".join(cells[1:]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="directory of <category>/<case>.py")
    parser.add_argument("--expected", type=Path, default=DEFAULT_EXPECTED, help="expected-results CSV")
    parser.add_argument("--tool", action="append", choices=TOOLS, help="score only this tool (repeatable)")
    parser.add_argument("--alias", action="append", default=[], metavar="CWE=ALIAS", help="another CWE that counts")
    parser.add_argument("--semgrep-config", type=Path, default=None, help="local semgrep rules (file or directory)")
    parser.add_argument("--json", type=Path, default=None, metavar="OUT", help="write a JSON summary here")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--show-misses", action="store_true", help="list each tool's false negatives and positives")
    args = parser.parse_args(argv)

    corpus = args.corpus.resolve()
    try:
        cases = load_expected(args.expected, corpus)
        aliases = parse_aliases(args.alias)
    except ValueError as err:
        parser.exit(2, f"error: {err}\n")
    categories = list(dict.fromkeys(c.category for c in cases))
    wanted = args.tool or ["reviewlab", "bandit", "semgrep"]
    summaries: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="reviewlab-security-score-") as tmp:
        workdir = Path(tmp)
        for tool in wanted:
            try:
                if tool == "reviewlab":
                    run = run_reviewlab(corpus, workdir)
                elif tool == "bandit":
                    run = run_bandit(corpus, workdir)
                else:
                    run = run_semgrep(corpus, workdir, args.semgrep_config)
            except ToolError as err:
                if args.tool:  # asked for by name: failing to run it is an error
                    parser.exit(1, f"error: {err}\n")
                skipped[tool] = str(err)
                continue
            summaries[tool] = summarise(run, cases, aliases)

    positives = sum(c.vulnerable for c in cases)
    print(f"corpus: {corpus} ({len(cases)} cases: {positives} vulnerable, {len(cases) - positives} not)")
    print(f"aliases: {', '.join(f'{k}<-{sorted(v)}' for k, v in sorted(aliases.items()))}")
    for tool, summary in summaries.items():
        notes = f"; {'; '.join(summary['notes'])}" if summary["notes"] else ""
        print(f"{tool}: {summary['version']}, {summary['seconds']:.2f} s, {summary['findings']} findings{notes}")
    for tool, reason in skipped.items():
        print(f"{tool}: not run ({reason})")
    if summaries:
        print()
        print(render_table(summaries, categories, markdown=args.markdown))
    if args.show_misses:
        for tool, summary in summaries.items():
            print(f"\n{tool} false negatives: {' '.join(summary['false_negatives']) or '-'}")
            print(f"{tool} false positives: {' '.join(summary['false_positives']) or '-'}")
    if args.json is not None:
        document = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "corpus": str(corpus),
            "expected": str(args.expected.resolve()),
            "cases": len(cases),
            "vulnerable": positives,
            "categories": categories,
            "aliases": {str(k): sorted(v) for k, v in sorted(aliases.items())},
            "tools": summaries,
            "skipped": skipped,
            "expected_cases": [asdict(c) for c in cases],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
