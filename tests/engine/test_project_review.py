"""The project-wide analyses inside a review: module graph findings, cached facts, configuration, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewlab.cli import main
from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.config import ReviewConfig, load_config
from reviewlab.engine.model import Finding
from reviewlab.engine.pipeline import review
from reviewlab.reports import markdown
from reviewlab.store import Store


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    for package in ("domain", "api"):
        (root / "app" / package).mkdir(parents=True)
        (root / "app" / package / "__init__.py").write_text("")
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "domain" / "orders.py").write_text(
        "from app.domain import prices\nfrom app.api.views import render\n\n\ndef total(o):\n    return render(o)\n"
    )
    (root / "app" / "domain" / "prices.py").write_text("from app.domain import orders\n\nVAT = 0.2\n")
    (root / "app" / "api" / "views.py").write_text("def render(o):\n    return str(o)\n")
    (root / ".reviewlab.toml").write_text(
        '[[reviewlab.architecture.layers]]\nname = "domain"\npaths = ["app/domain/"]\nmust_not_import = ["api"]\n'
        '[[reviewlab.architecture.layers]]\nname = "api"\npaths = ["app/api/"]\n'
    )
    return root


def _architecture(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(f.rule_id, f.path, f.span.start_line) for f in findings if f.rule_id.startswith("GEN-A")]


def test_a_review_reports_the_cycle_and_the_layering_violation(project: Path) -> None:
    result = review(project, load_config(project / ".reviewlab.toml"), jobs=1)
    assert _architecture(result.findings) == [
        ("GEN-A001", "app/domain/orders.py", 1),
        ("GEN-A002", "app/domain/orders.py", 2),
    ]
    cycle = next(f for f in result.findings if f.rule_id == "GEN-A001")
    assert cycle.message == "Import cycle: app/domain/orders.py -> app/domain/prices.py -> app/domain/orders.py."
    assert [r.path for r in cycle.related] == ["app/domain/prices.py"]
    assert result.architecture is not None
    assert result.architecture["summary"]["cycles"] == 1
    assert {m["id"] for m in result.architecture["modules"]} >= {"app/domain/orders.py", "app/api/views.py"}


def test_the_graph_is_rebuilt_from_cached_facts(project: Path, tmp_path: Path) -> None:
    config = load_config(project / ".reviewlab.toml")
    cache = SqliteResultCache(tmp_path / "cache.db")
    try:
        cold = review(project, config, jobs=1, cache=cache)
        (project / "app" / "domain" / "prices.py").write_text("VAT = 0.2\n")  # breaks the cycle
        warm = review(project, config, jobs=1, cache=cache)
    finally:
        cache.close()
    assert warm.cache_hits == len(warm.files) - 2  # prices.py changed, and orders.py imports it
    assert _architecture(cold.findings)[0][0] == "GEN-A001"
    assert _architecture(warm.findings) == [("GEN-A002", "app/domain/orders.py", 2)]


def test_suppression_and_ignore_apply_to_project_rules(project: Path) -> None:
    orders = project / "app" / "domain" / "orders.py"
    suppressed = "views import render  # reviewlab: ignore[GEN-A002] legacy\n"
    orders.write_text(orders.read_text().replace("views import render\n", suppressed))
    config = load_config(project / ".reviewlab.toml")
    result = review(project, config, jobs=1)
    assert _architecture(result.findings) == [("GEN-A001", "app/domain/orders.py", 1)]
    assert not [f for f in result.findings if f.rule_id == "GEN-Q001"]  # the suppression is used, not stale

    off = review(project, config.model_copy(update={"ignore": ("GEN-A",)}), jobs=1)
    assert _architecture(off.findings) == []
    assert off.architecture is None


def test_markdown_shows_the_graph_and_the_store_keeps_it(project: Path, tmp_path: Path) -> None:
    result = review(project, load_config(project / ".reviewlab.toml"), jobs=1)
    text = markdown.render(result)
    assert "## Architecture" in text
    assert "```mermaid\nflowchart LR" in text
    assert "- `app/domain/orders.py` → `app/domain/prices.py` → `app/domain/orders.py`" in text
    with Store.from_url(f"sqlite:///{tmp_path / 'store.db'}") as store:
        store.migrate()
        session = store.save_review(result)
        assert store.review_reports(session)[0] == result.architecture


def test_cli_json_has_the_architecture(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["review", str(project), "--format", "json", "--no-cache", "--no-store"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["architecture"]["summary"]["modules"] == 6
    assert data["summary"]["by_category"]["architecture"] == 2


def test_without_architecture_rules_no_import_facts_are_gathered(project: Path) -> None:
    result = review(project, ReviewConfig(select=("PY-",)), jobs=1)
    assert result.architecture is None


DUPLICATED = """\
def summarize(orders, threshold):
    totals = {}
    for order in orders:
        if order.total > threshold and order.paid:
            key = order.customer.lower()
            totals[key] = totals.get(key, 0) + order.total
        elif order.refunded:
            totals.pop(order.customer, None)
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    return [name for name, amount in ranked if amount > threshold * 2]
"""


def test_duplicated_code_across_files_is_reported_with_both_locations(tmp_path: Path) -> None:
    root = tmp_path / "dup"
    root.mkdir()
    (root / "a.py").write_text("import os\n\n\n" + DUPLICATED)
    renamed = DUPLICATED.replace("summarize", "rank_customers").replace("totals", "sums").replace("2]", "3]")
    (root / "b.py").write_text(renamed)
    cache = SqliteResultCache(tmp_path / "cache.db")
    try:
        cold = review(root, ReviewConfig(select=("GEN-Q002",)), jobs=1, cache=cache)
        warm = review(root, ReviewConfig(select=("GEN-Q002",)), jobs=1, cache=cache)
    finally:
        cache.close()
    [finding] = cold.findings
    assert (finding.rule_id, finding.path, finding.span.start_line, finding.span.end_line) == (
        "GEN-Q002",
        "b.py",
        1,
        10,
    )
    assert finding.message.startswith("Lines 1-10 duplicate a.py:4-13 (type-2 clone")
    assert [(r.path, r.span.start_line, r.span.end_line) for r in finding.related] == [("a.py", 4, 13)]
    assert warm.cache_hits == 2
    assert warm.findings == cold.findings

    strict = ReviewConfig(select=("GEN-Q002",), rules={"GEN-Q002": {"min_tokens": 500}})
    assert review(root, strict, jobs=1).findings == []
