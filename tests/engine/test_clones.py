"""Clone detection (GEN-Q002): type-1 and type-2 copies across files and within one, in every language family."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from reviewlab.engine.clones import (
    DEFAULT_MIN_LINES,
    DEFAULT_MIN_TOKENS,
    RULE,
    RULES,
    CloneGroup,
    CloneLocation,
    clone_facts,
    clone_findings,
    find_clones,
)
from reviewlab.engine.languages import parser_for
from reviewlab.engine.model import Category, Confidence, Severity, Span
from reviewlab.errors import ConfigError, InputError

SUMMARIZE = """def summarize(orders, threshold):
    totals = {}
    for order in orders:
        if order.status != "paid":
            continue
        key = (order.customer, order.region)
        totals[key] = totals.get(key, 0) + order.amount * (1 - order.discount)
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    result = []
    for (customer, region), amount in ranked:
        if amount < threshold:
            break
        result.append({"customer": customer, "region": region, "amount": round(amount, 2)})
    return result
"""

# The same function laid out differently, with comments and a docstring: a type-1 copy.
SUMMARIZE_RELAID = '''def summarize(orders,
              threshold):
    """Paid totals per customer and region, above the threshold."""
    totals = {}  # (customer, region) -> amount
    for order in orders:

        if order.status != "paid":
            continue
        # group by customer and region
        key = (order.customer,
               order.region)
        totals[key] = totals.get(key, 0) + order.amount * (1 - order.discount)
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    result = []
    for (customer, region), amount in ranked:
        if amount < threshold:
            break
        result.append(
            {"customer": customer, "region": region, "amount": round(amount, 2)}
        )
    return result
'''

# Renamed identifiers and changed literals: a type-2 copy.
SUMMARIZE_RENAMED = """def best_buyers(sales, minimum):
    sums = {}
    for sale in sales:
        if sale.state != "settled":
            continue
        bucket = (sale.buyer, sale.country)
        sums[bucket] = sums.get(bucket, 0.0) + sale.price * (2 - sale.rebate)
    ordered = sorted(sums.items(), key=lambda pair: pair[0], reverse=False)
    best = []
    for (buyer, country), price in ordered:
        if price < minimum:
            break
        best.append({"buyer": buyer, "country": country, "price": round(price, 4)})
    return best
"""

# A function unlike SUMMARIZE, to make a long clone out of two.
PARSE = """def parse_header(line, strict=False):
    name, _, value = line.partition(":")
    name = name.strip().lower()
    if not name or (strict and not value):
        raise ValueError(f"bad header line: {line!r}")
    while value.endswith("\\"):
        value = value[:-1] + next_line()
    parts = [part.strip() for part in value.split(";") if part.strip()]
    params = dict(part.split("=", 1) for part in parts[1:] if "=" in part)
    with open(LOG, "a") as log:
        log.write(f"{name}={parts[0] if parts else ''}\\n")
    return name, parts[0] if parts else "", params
"""

JAVA = """import java.util.*;

class Report%(n)s {
    static List<String> %(name)s(List<Order> orders, double threshold) {
        Map<String, Double> totals = new HashMap<>();
        for (Order order : orders) {
            if (!order.status.equals("paid")) {
                continue;
            }
            String key = order.customer + "/" + order.region;
            totals.put(key, totals.getOrDefault(key, 0.0) + order.amount * (1 - order.discount));
        }
        List<String> result = new ArrayList<>();
        for (Map.Entry<String, Double> entry : totals.entrySet()) {
            if (entry.getValue() < threshold) {
                continue;
            }
            result.add(entry.getKey() + "=" + Math.round(entry.getValue() * 100) / 100.0);
        }
        return result;
    }
}
"""

JAVASCRIPT = """function %(name)s(orders, threshold) {
  const totals = new Map();
  for (const order of orders) {
    if (order.status !== "paid") {
      continue;
    }
    const key = `${order.customer}/${order.region}`;
    totals.set(key, (totals.get(key) ?? 0) + order.amount * (1 - order.discount));
  }
  const result = [];
  for (const [key, amount] of totals) {
    if (amount < threshold) {
      continue;
    }
    result.push({ key, amount: Math.round(amount * 100) / 100 });
  }
  return result;
}
"""

GO = """package report

import "fmt"

func %(name)s(orders []Order, threshold float64) []string {
	totals := map[string]float64{}
	for _, order := range orders {
		if order.Status != "paid" {
			continue
		}
		key := order.Customer + "/" + order.Region
		totals[key] += order.Amount * (1 - order.Discount)
	}
	result := []string{}
	for key, amount := range totals {
		if amount < threshold {
			continue
		}
		result = append(result, fmt.Sprintf("%%s=%%.2f", key, amount))
	}
	return result
}
"""


def facts_of(source: str | bytes, language: str = "python") -> dict[str, Any]:
    data = source.encode() if isinstance(source, str) else source
    return clone_facts(parser_for(language).parse(data), data, language)


def lines_of(source: str, first: str, last: str) -> tuple[int, int]:
    """1-based lines of the first line starting with ``first`` and the first line after it starting with ``last``."""
    rows = source.splitlines()
    start = next(i for i, row in enumerate(rows) if row.startswith(first))
    end = next(i for i in range(start, len(rows)) if rows[i].startswith(last))
    return start + 1, end + 1


def test_type1_clone_across_two_files_has_exact_line_ranges_and_ignores_layout_and_comments() -> None:
    a = f"import os\n\n\n{SUMMARIZE}\n\nclass Tail:\n    pass\n"
    b = f"VALUES = [1]\n# a comment\n\n\n{SUMMARIZE_RELAID}\nassert VALUES\n"
    groups = find_clones({"pkg/b.py": facts_of(b), "pkg/a.py": facts_of(a)})
    assert len(groups) == 1
    group = groups[0]
    assert group.kind == "type-1"
    assert group.tokens >= DEFAULT_MIN_TOKENS
    assert group.locations == (
        CloneLocation("pkg/a.py", *lines_of(a, "def summarize", "    return result")),
        CloneLocation("pkg/b.py", *lines_of(b, "def summarize", "    return result")),
    )


def test_type2_clone_with_renamed_identifiers_and_changed_literals() -> None:
    a = f"import os\n\n{SUMMARIZE}\nclass Tail:\n    pass\n"
    b = f"VALUES = [1]\n\n{SUMMARIZE_RENAMED}\nassert VALUES\n"
    [group] = find_clones({"a.py": facts_of(a), "b.py": facts_of(b)})
    assert group.kind == "type-2"
    assert group.locations == (
        CloneLocation("a.py", *lines_of(a, "def summarize", "    return result")),
        CloneLocation("b.py", *lines_of(b, "def best_buyers", "    return best")),
    )


def test_clone_within_one_file() -> None:
    source = f"import os\n\n{SUMMARIZE}\n\nLIMIT = 3\n\n\n{SUMMARIZE_RENAMED}\nassert LIMIT\n"
    [group] = find_clones({"one.py": facts_of(source)})
    assert group.kind == "type-2"
    assert group.locations == (
        CloneLocation("one.py", *lines_of(source, "def summarize", "    return result")),
        CloneLocation("one.py", *lines_of(source, "def best_buyers", "    return best")),
    )


def test_three_copies_make_one_group_with_three_locations_and_two_findings() -> None:
    files = {
        "a.py": facts_of(f"import os\n{SUMMARIZE}\nclass A:\n    pass\n"),
        "b.py": facts_of(f"X = [1]\n{SUMMARIZE_RELAID}\nassert X\n"),
        "c.py": facts_of(f"Y = {{}}\n{SUMMARIZE_RENAMED}\nraise SystemExit\n"),
    }
    [group] = find_clones(files)
    assert [location.path for location in group.locations] == ["a.py", "b.py", "c.py"]
    assert group.kind == "type-2"  # one copy renames: the group is not type-1
    findings = clone_findings([group])
    assert [finding.path for finding in findings] == ["b.py", "c.py"]


@pytest.mark.parametrize(
    ("language", "template", "other_language", "suffix"),
    [
        ("java", JAVA, "java", ".java"),
        ("javascript", JAVASCRIPT, "typescript", ".ts"),  # one family: JavaScript meets TypeScript
        ("go", GO, "go", ".go"),
    ],
)
def test_clones_in_java_javascript_and_go(language: str, template: str, other_language: str, suffix: str) -> None:
    first = template % {"n": "1", "name": "summarize"}
    second = template % {"n": "2", "name": "bestBuyers"}
    facts = {f"a{suffix}": facts_of(first, language), f"b{suffix}": facts_of(second, other_language)}
    [group] = find_clones(facts)
    assert group.kind == "type-2"
    lines = len(first.splitlines())  # the whole file: its imports and class are look-alikes too
    assert group.locations == (CloneLocation(f"a{suffix}", 1, lines), CloneLocation(f"b{suffix}", 1, lines))
    same = {f"a{suffix}": facts_of(first, language), f"b{suffix}": facts_of(first, other_language)}
    assert [group.kind for group in find_clones(same)] == ["type-1"]


def test_nothing_below_the_thresholds() -> None:
    short = "def f(a, b):\n    if a > b:\n        return a - b\n    return [a, b, a * b]\n"
    assert find_clones({"a.py": facts_of(short), "b.py": facts_of(short)}) == []
    # Over 100 tokens, but on two lines: below min_lines.
    packed = "def dense(orders, threshold):\n    " + "; ".join(
        f"x{i} = orders[{i}] + threshold * {i}" for i in range(20)
    )
    assert find_clones({"a.py": facts_of(packed), "b.py": facts_of(packed)}) == []
    assert len(find_clones({"a.py": facts_of(packed), "b.py": facts_of(packed)}, min_lines=1)) == 1
    a = f"import os\n{SUMMARIZE}\n"
    b = f"X = [1]\n{SUMMARIZE_RENAMED}\n"
    assert find_clones({"a.py": facts_of(a), "b.py": facts_of(b)}, min_tokens=200) == []
    assert len(find_clones({"a.py": facts_of(a), "b.py": facts_of(b)}, min_lines=20)) == 0


def test_families_never_meet() -> None:
    python = facts_of(f"import os\n{SUMMARIZE}\n")
    as_java = {**python, "language": "java"}  # the very same tokens, said to be Java
    assert find_clones({"a.py": python, "A.java": as_java}) == []
    assert len(find_clones({"a.py": python, "b.py": {**python}})) == 1


def test_a_repetitive_data_table_is_not_a_storm() -> None:
    regular = "ROWS = [\n" + "".join(f'    ({i}, "name{i}", {i * 0.5}),\n' for i in range(400)) + "]\n"
    ragged = (
        "RECORDS = [\n"
        + "".join(
            f'    {{"id": {i}, "tags": [{", ".join(repr(t) for t in range((i * 7 + i // 3) % 4))}]}},\n'
            for i in range(400)
        )
        + "]\n"
    )
    calls = "".join(f'table.add_column("c{i}", Integer(), nullable={i % 2 == 0})\n' for i in range(300))
    # Rows of code, not data: only the periodic run keeps them from matching themselves shifted by a row.
    code = (
        "HANDLERS = [\n"
        + "".join(
            f'    ("h{i}", lambda x: x + {i} if x else None, [{i}, -{i}], {{"on": not {i}}}),\n' for i in range(300)
        )
        + "]\n"
    )
    for source in (regular, ragged, calls, code):
        findings = clone_findings(find_clones({"data.py": facts_of(source), "copy.py": facts_of(source)}))
        assert len(findings) <= 1
        assert len(clone_findings(find_clones({"data.py": facts_of(source)}))) <= 1


def test_look_alike_functions_back_to_back_are_one_group() -> None:
    functions = "".join(
        f"def check_{n}(client):\n"
        f"    response = client.get('/items/{n}', params={{'page': {n}, 'size': 10}})\n"
        f"    assert response.status_code == {200 + n}\n"
        f"    body = response.json()\n"
        f"    assert body['items'][{n}]['name'] == 'item-{n}'\n"
        f"    assert len(body['items']) == {n} and not body.get('error')\n"
        f"    return body\n\n\n"
        for n in range(4)
    )
    source = f"import os\n\n\n{functions}class After:\n    pass\n"
    [group] = find_clones({"test_items.py": facts_of(source)}, min_tokens=50)
    assert len(group.locations) == 4
    ends = [location.end_line for location in group.locations]
    starts = [location.start_line for location in group.locations]
    # Back to back: a copy ends where the next begins, or on the line before.
    assert all(end <= start for end, start in zip(ends, starts[1:], strict=False))


def test_a_long_clone_is_reported_once_without_sub_clones() -> None:
    body = SUMMARIZE + "\n\n" + PARSE + "\n\n"
    a = f"import os\n{body}class A:\n    pass\n"
    b = f"X = [1]\n{body}assert X\n"
    groups = find_clones({"a.py": facts_of(a), "b.py": facts_of(b)})
    assert len(groups) == 1
    assert groups[0].tokens > 2 * DEFAULT_MIN_TOKENS


def test_facts_are_json_and_much_smaller_than_the_source() -> None:
    path = Path(sqlalchemy.__file__).parent / "sql" / "compiler.py"
    source = path.read_bytes()
    facts = facts_of(source)
    encoded = json.dumps(facts)
    assert json.loads(encoded) == facts
    assert len(encoded) < len(source) / 4
    empty = facts_of(b"")
    assert len(json.dumps(empty)) < 400
    assert find_clones({"empty.py": empty, "big.py": json.loads(encoded)}) == find_clones({"big.py": facts})


@pytest.mark.parametrize(
    ("source", "language"),
    [
        (b"", "python"),
        (b"def (:\n  ]]] class", "python"),
        (b"\xff\xfe x = '\xe9\xff'\n" * 50, "python"),
        (b"function ( { ) } ` unterminated", "javascript"),
        (b"class { void f( { int x = ; }", "java"),
        (b"package\nfunc ( {", "go"),
        (b"not code at all", "text"),
        (("x = 1\n" * 30_000).encode(), "python"),
    ],
)
def test_odd_input_gives_valid_facts(source: bytes, language: str) -> None:
    tree = parser_for(language if language != "text" else "python").parse(source)
    facts = json.loads(json.dumps(clone_facts(tree, source, language)))
    assert facts["language"] == language
    assert len(json.dumps(facts)) < max(400, len(source) // 10)
    assert find_clones({"a": facts}) == []  # nothing here is code worth reporting against itself
    assert all(group.kind in ("type-1", "type-2") for group in find_clones({"a": facts, "b": facts}))


def test_a_copy_ending_in_a_multiline_string_ends_on_its_last_line() -> None:
    a = "import os\n" + SUMMARIZE.replace("return result\n", 'return result, """\n    first\n"""\n') + "class A: ...\n"
    b = "X = [1]\n" + SUMMARIZE.replace("return result\n", 'return result, """\n    second\n"""\n') + "assert X\n"
    [group] = find_clones({"a.py": facts_of(a), "b.py": facts_of(b)})
    assert group.kind == "type-2"
    assert [location.end_line for location in group.locations] == [len(a.splitlines()) - 1] * 2


def test_malformed_facts_and_options_are_rejected() -> None:
    facts = facts_of(SUMMARIZE)
    with pytest.raises(InputError):
        find_clones({"a.py": {**facts, "version": 0}})
    with pytest.raises(InputError):
        find_clones({"a.py": {**facts, "tokens": "Hnot-base64"}})
    with pytest.raises(ConfigError):
        find_clones({"a.py": facts}, min_tokens=1)
    with pytest.raises(ConfigError):
        find_clones({"a.py": facts}, min_lines=0)


def test_output_does_not_depend_on_the_order_of_the_facts() -> None:
    sources = {
        "x/a.py": f"import os\n{SUMMARIZE}\n",
        "x/b.py": f"X = [1]\n{SUMMARIZE_RENAMED}\n",
        "y/c.py": f"Y = 2\n{SUMMARIZE_RELAID}\nclass C:\n    pass\n{SUMMARIZE_RENAMED}\n",
        "z/d.js": JAVASCRIPT % {"name": "a"} + "\n" + JAVASCRIPT % {"name": "b"},
    }
    facts = {
        path: facts_of(source, "javascript" if path.endswith(".js") else "python") for path, source in sources.items()
    }
    expected = find_clones(facts)
    assert len(expected) >= 2
    paths = sorted(facts)
    for order in (paths[::-1], paths[1:] + paths[:1], paths[2:] + paths[:2], [paths[2], paths[0], paths[3], paths[1]]):
        assert find_clones({path: facts[path] for path in order}) == expected


def test_findings_locate_each_later_copy_relate_the_others_and_keep_their_fingerprint() -> None:
    a = f"import os\n{SUMMARIZE}\nclass A:\n    pass\n"
    b = f"X = [1]\n{SUMMARIZE_RENAMED}\nassert X\n"
    [group] = find_clones({"a.py": facts_of(a), "b.py": facts_of(b)})
    [finding] = clone_findings([group])
    first, copy = group.locations
    assert finding.rule_id == "GEN-Q002"
    assert (finding.category, finding.severity, finding.confidence, finding.cwe) == (
        Category.QUALITY,
        Severity.LOW,
        Confidence.HIGH,
        1041,
    )
    assert finding.path == "b.py"
    assert finding.span == Span(copy.start_line, 1, copy.end_line, 1)
    assert [(r.path, r.span, r.message) for r in finding.related] == [
        ("a.py", Span(first.start_line, 1, first.end_line, 1), "first copy")
    ]
    assert f"a.py:{first.start_line}-{first.end_line}" in finding.message
    assert "type-2" in finding.message
    assert str(group.tokens) in finding.message
    assert finding.snippet
    assert finding.to_dict()["related"][0]["path"] == "a.py"

    # Unrelated lines added above both copies move the spans, not the fingerprint.
    moved = find_clones({"a.py": facts_of("# header\n\n" + a), "b.py": facts_of("import sys\nimport re\n" + b)})
    [moved_finding] = clone_findings(moved)
    assert moved_finding.span != finding.span
    assert moved_finding.fingerprint == finding.fingerprint


def test_copies_in_one_file_get_distinct_fingerprints() -> None:
    source = f"import os\n{SUMMARIZE}\nA = 1\n{SUMMARIZE_RENAMED}\nB = 2\n{SUMMARIZE_RELAID}\nassert A\n"
    findings = clone_findings(find_clones({"one.py": facts_of(source)}))
    assert len(findings) == 2
    assert len({finding.fingerprint for finding in findings}) == 2


def test_rule_metadata() -> None:
    assert RULES == (RULE,)
    assert RULE.id == "GEN-Q002"
    assert RULE.project
    assert not RULE.query
    assert RULE.scan is None
    assert RULE.languages == ("python", "javascript", "java", "go")
    assert RULE.options == {"min_tokens": DEFAULT_MIN_TOKENS, "min_lines": DEFAULT_MIN_LINES}
    assert RULE.cwe == 1041
    assert all((RULE.docs.what, RULE.docs.why, RULE.docs.example, RULE.docs.use_instead))
    assert CloneGroup("type-1", 100, (), "d") == CloneGroup("type-1", 100, (), "d")


@pytest.mark.slow
def test_sqlalchemy_scaling() -> None:
    """Figures printed (run with ``-s``), not asserted; subsets are prefixes of the sorted file list."""
    root = Path(sqlalchemy.__file__).parent
    sources = {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.py"))}
    parser = parser_for("python")
    started = time.perf_counter()
    trees = {relpath: parser.parse(source) for relpath, source in sources.items()}
    parse_seconds = time.perf_counter() - started
    facts: dict[str, dict[str, Any]] = {}
    facts_seconds: dict[str, float] = {}
    for relpath, source in sources.items():
        started = time.perf_counter()
        facts[relpath] = clone_facts(trees[relpath], source, "python")
        facts_seconds[relpath] = time.perf_counter() - started
    size = sum(len(source) for source in sources.values())
    encoded = sum(len(json.dumps(f)) for f in facts.values())
    print(
        f"\nsqlalchemy: {len(sources)} files, {size} bytes; parse {parse_seconds:.3f}s; "
        f"clone_facts {sum(facts_seconds.values()):.3f}s; facts {encoded} bytes of JSON ({encoded / size:.1%})"
    )
    paths = list(facts)
    for share in (8, 4, 2, 1):
        subset = {relpath: facts[relpath] for relpath in paths[: len(paths) // share]}
        seconds = []
        for _ in range(3):
            started = time.perf_counter()
            groups = find_clones(subset)
            seconds.append(time.perf_counter() - started)
        subset_size = sum(len(sources[p]) for p in subset)
        print(
            f"1/{share}: {len(subset)} files, {subset_size} bytes; clone_facts "
            f"{sum(facts_seconds[p] for p in subset):.3f}s; find_clones {min(seconds):.3f}s "
            f"({min(seconds) / subset_size * 1e9:.0f} ns/byte) -> {len(groups)} groups, "
            f"{len(clone_findings(groups))} findings"
        )
