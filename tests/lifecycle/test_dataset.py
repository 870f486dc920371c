"""Datasets: the directory format, validation, the content version, extension, and the curated ``core`` dataset."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reviewlab.errors import ConfigError
from reviewlab.lifecycle.dataset import (
    CATEGORIES,
    MAX_SAMPLE_BYTES,
    Case,
    Dataset,
    Label,
    load_dataset,
    write_dataset,
)
from tests.lifecycle.support import COMMAND, EXPERIMENTS, LOOP, small_dataset

TWO_LINES = b"x = 1\ny = 2\n"


def write_raw(root: Path, manifest: dict[str, Any] | str, samples: dict[str, dict[str, bytes]]) -> Path:
    """A dataset directory written by hand: ``manifest`` (data or YAML text) and ``samples[case][file]``."""
    root.mkdir(parents=True, exist_ok=True)
    text = manifest if isinstance(manifest, str) else yaml.safe_dump(manifest, sort_keys=False)
    (root / "dataset.yaml").write_text(text, encoding="utf-8")
    for case_id, files in samples.items():
        for name, content in files.items():
            target = root / "samples" / case_id / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return root


def one_case(**case: Any) -> dict[str, Any]:
    """A manifest with one case ``c1`` (python, a security label on a.py:1 unless ``case`` says otherwise)."""
    base: dict[str, Any] = {
        "id": "c1",
        "language": "python",
        "expected": [{"file": "a.py", "line": 1, "category": "security", "cwe": 78}],
    }
    base.update(case)
    return {"name": "t", "cases": [base]}


def rich_dataset() -> Dataset:
    """Every kind of case: complete with labels, clean, partial with expected and not_expected, nested files."""
    return Dataset(
        "rich",
        (
            Case(
                "py-command",
                "python",
                {"app.py": COMMAND, "lib/util.py": b"def f():\n    return 1\n"},
                frozenset({"security", "quality"}),
                (Label("app.py", 6, "security", 78, "PY-S002", "the sink"),),
                description="shell=True",
            ),
            Case("go-clean", "go", {"main.go": b"package main\n"}, frozenset({"security"}), clean=True),
            Case(
                "triage-0123456789abcdef",
                "python",
                {"page.py": LOOP},
                frozenset({"performance"}),
                expected=(Label("page.py", 4, "performance", None, "PY-P001"),),
                not_expected=(Label("page.py", 2, "performance"),),
                complete=False,
                origin="triage",
            ),
        ),
        description="all kinds",
        line_tolerance=2,
    )


def test_write_then_load_is_the_same_dataset_and_version(tmp_path: Path) -> None:
    for dataset in (small_dataset(), rich_dataset()):
        directory = write_dataset(dataset, tmp_path / dataset.name)
        loaded = load_dataset(directory)

        assert loaded == dataset
        assert loaded.version == dataset.version
        assert re.fullmatch(r"[0-9a-f]{12}", loaded.version)
        assert (loaded.line_tolerance, loaded.description, loaded.parent) == (
            dataset.line_tolerance,
            dataset.description,
            None,
        )


def test_a_loaded_case_keeps_its_files_labels_and_kind(tmp_path: Path) -> None:
    loaded = {c.id: c for c in load_dataset(write_dataset(rich_dataset(), tmp_path / "d")).cases}

    command = loaded["py-command"]
    assert dict(command.files) == {"app.py": COMMAND, "lib/util.py": b"def f():\n    return 1\n"}
    assert command.expected == (Label("app.py", 6, "security", 78, "PY-S002", "the sink"),)
    assert (command.complete, command.clean, command.origin, command.categories) == (
        True,
        False,
        "curated",
        frozenset({"security", "quality"}),
    )
    assert command.judged("security")
    assert not command.judged("performance")
    triaged = loaded["triage-0123456789abcdef"]
    assert (triaged.complete, triaged.origin) == (False, "triage")
    assert triaged.not_expected == (Label("page.py", 2, "performance"),)
    assert loaded["go-clean"].clean
    assert loaded["go-clean"].categories == frozenset({"security"})


def test_the_default_categories_are_all_four(tmp_path: Path) -> None:
    directory = write_raw(tmp_path / "d", one_case(), {"c1": {"a.py": TWO_LINES}})
    assert load_dataset(directory).cases[0].categories == frozenset(CATEGORIES)
    assert set(CATEGORIES) == {"security", "quality", "performance", "architecture"}


def test_the_version_follows_sample_bytes_labels_and_tolerance(tmp_path: Path) -> None:
    directory = write_dataset(small_dataset(), tmp_path / "d")
    original = load_dataset(directory).version
    sample = directory / "samples" / "py-command" / "app.py"
    manifest = directory / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")

    sample.write_bytes(COMMAND.replace(b"cmd", b"cme"))
    assert load_dataset(directory).version != original
    sample.write_bytes(COMMAND)
    assert load_dataset(directory).version == original

    (directory / "samples" / "py-command" / "README.txt").write_bytes(b"notes\n")
    assert load_dataset(directory).version != original
    (directory / "samples" / "py-command" / "README.txt").unlink()

    manifest.write_text(text.replace("line: 6", "line: 5"), encoding="utf-8")
    assert load_dataset(directory).version != original
    manifest.write_text(text.replace("cwe: 78", "cwe: 77"), encoding="utf-8")
    assert load_dataset(directory).version != original
    manifest.write_text(text.replace("line_tolerance: 1", "line_tolerance: 2"), encoding="utf-8")
    assert load_dataset(directory).version != original
    manifest.write_text(text, encoding="utf-8")
    assert load_dataset(directory).version == original


def test_the_version_does_not_depend_on_where_the_dataset_is(tmp_path: Path) -> None:
    directory = write_dataset(small_dataset(), tmp_path / "here")
    version = load_dataset(directory).version

    moved = Path(shutil.move(directory, tmp_path / "elsewhere" / "there"))

    assert load_dataset(moved).version == version == small_dataset().version


def test_the_version_of_a_dataset_changes_with_any_field() -> None:
    base = small_dataset()
    case = base.cases[0]
    variants = [
        Dataset(base.name + "2", base.cases, base.description),
        Dataset(base.name, base.cases, base.description, line_tolerance=3),
        Dataset(base.name, base.cases[1:], base.description),
        Dataset(base.name, (Case(case.id, case.language, {"app.py": COMMAND + b"\n"}), *base.cases[1:])),
        Dataset(base.name, (Case(case.id, "javascript", case.files, case.categories, case.expected), *base.cases[1:])),
    ]
    versions = {base.version, *(v.version for v in variants)}
    assert len(versions) == len(variants) + 1


def test_extended_adds_cases_replaces_same_ids_and_points_to_its_parent() -> None:
    base = small_dataset()
    replacement = Case("py-loop", "python", {"page.py": LOOP}, frozenset({"performance"}), clean=True)
    added = Case("go-new", "go", {"main.go": b"package main\n"}, clean=True)

    extended = base.extended([replacement, added])

    assert extended.parent == base.version
    assert extended.version != base.version
    assert [c.id for c in extended.cases] == ["py-command", "py-sql", "py-loop", "py-clean", "go-new"]
    assert {c.id: c for c in extended.cases}["py-loop"] is replacement
    assert (extended.name, extended.description, extended.line_tolerance) == (
        base.name,
        base.description,
        base.line_tolerance,
    )
    assert base.parent is None  # the original is unchanged
    assert len(base.cases) == 4
    assert base.extended([]).version != base.version  # same cases, but a parent: a new version


def test_an_extended_dataset_round_trips_with_its_parent(tmp_path: Path) -> None:
    extended = small_dataset().extended([Case("go-new", "go", {"main.go": b"package main\n"}, clean=True)])

    loaded = load_dataset(write_dataset(extended, tmp_path / "d"))

    assert loaded.parent == small_dataset().version
    assert loaded.version == extended.version


def test_summary_counts_cases_labels_languages_and_triage() -> None:
    assert rich_dataset().summary() == {
        "name": "rich",
        "version": rich_dataset().version,
        "parent": None,
        "cases": 3,
        "clean_cases": 1,
        "labels": 3,
        "languages": ["go", "python"],
        "from_triage": 1,
    }
    assert small_dataset().summary()["cases"] == 4
    assert small_dataset().summary()["clean_cases"] == 1
    assert small_dataset().summary()["labels"] == 3


def test_write_dataset_replaces_what_was_there(tmp_path: Path) -> None:
    directory = write_dataset(rich_dataset(), tmp_path / "d")
    write_dataset(small_dataset(), directory)

    assert not (directory / "samples" / "go-clean").exists()
    assert load_dataset(directory).version == small_dataset().version


@pytest.mark.parametrize(
    ("manifest", "samples", "problem"),
    [
        (
            one_case(expected=[{"file": "b.py", "line": 1, "category": "security"}]),
            {"c1": {"a.py": TWO_LINES}},
            "case c1 labels b.py, which is not in",
        ),
        (
            one_case(expected=[{"file": "a.py", "line": 4, "category": "security"}]),
            {"c1": {"a.py": TWO_LINES}},
            "case c1 labels a.py:4, past the file's end",
        ),
        (
            one_case(not_expected=[{"file": "a.py", "line": 9, "category": "security"}], labels="partial"),
            {"c1": {"a.py": TWO_LINES}},
            "case c1 labels a.py:9, past the file's end",
        ),
        (one_case(clean=True), {"c1": {"a.py": TWO_LINES}}, "a clean case has no expected findings"),
        (
            one_case(expected=[]),
            {"c1": {"a.py": TWO_LINES}},
            "a complete case with no expected finding must say clean: true",
        ),
        (
            one_case(not_expected=[{"file": "a.py", "line": 1, "category": "security"}]),
            {"c1": {"a.py": TWO_LINES}},
            "not_expected labels belong to partial cases",
        ),
        (
            one_case(expected=[], clean=True, labels="partial"),
            {"c1": {"a.py": TWO_LINES}},
            "a partial case cannot be clean",
        ),
        (
            one_case(categories=["quality"]),
            {"c1": {"a.py": TWO_LINES}},
            "label on a.py:1 is security, not a judged category",
        ),
        (one_case(categories=[]), {"c1": {"a.py": TWO_LINES}}, "a case judges at least one category"),
        (
            {"name": "t", "cases": [one_case()["cases"][0], one_case()["cases"][0]]},
            {"c1": {"a.py": TWO_LINES}},
            "case id c1 appears twice",
        ),
        (one_case(id="Bad_Id"), {"Bad_Id": {"a.py": TWO_LINES}}, "a case id is lowercase letters, digits and dashes"),
        (one_case(language="rust"), {"c1": {"a.py": TWO_LINES}}, "cases.0.language: Input should be"),
        (
            one_case(expected=[{"file": "../a.py", "line": 1, "category": "security"}]),
            {"c1": {"a.py": TWO_LINES}},
            "a label's file is a relative path inside its case",
        ),
        (
            one_case(expected=[{"file": "a.py", "line": 0, "category": "security"}]),
            {"c1": {"a.py": TWO_LINES}},
            "cases.0.expected.0.line",
        ),
        (
            one_case(expected=[{"file": "a.py", "line": 1, "category": "style"}]),
            {"c1": {"a.py": TWO_LINES}},
            "cases.0.expected.0.category",
        ),
        (one_case(severity="high"), {"c1": {"a.py": TWO_LINES}}, "cases.0.severity: Extra inputs are not permitted"),
        ({"name": "t", "cases": []}, {}, "a dataset has at least one case"),
        ({"name": "t", "line_tolerance": 11, **one_case()}, {"c1": {"a.py": TWO_LINES}}, "line_tolerance"),
        ("- just\n- a list\n", {}, "dataset: Input should be a valid dictionary"),
        (one_case(), {}, "case c1 has no folder"),
    ],
)
def test_an_invalid_dataset_is_one_config_error_saying_what_is_wrong(
    tmp_path: Path, manifest: dict[str, Any] | str, samples: dict[str, dict[str, bytes]], problem: str
) -> None:
    directory = write_raw(tmp_path / "d", manifest, samples)

    with pytest.raises(ConfigError) as caught:
        load_dataset(directory)

    assert problem in str(caught.value)
    assert str(directory / "dataset.yaml") in str(caught.value)


def test_a_case_folder_without_files_is_refused(tmp_path: Path) -> None:
    directory = write_raw(tmp_path / "d", one_case(), {})
    (directory / "samples" / "c1" / "empty").mkdir(parents=True)

    with pytest.raises(ConfigError, match="case c1 has no files in"):
        load_dataset(directory)


def test_a_missing_samples_folder_is_refused(tmp_path: Path) -> None:
    directory = write_dataset(small_dataset(), tmp_path / "d")
    shutil.rmtree(directory / "samples")

    with pytest.raises(ConfigError, match=r"case py-command has no folder .*samples/py-command"):
        load_dataset(directory)


def test_a_symlinked_sample_is_refused(tmp_path: Path) -> None:
    directory = write_raw(tmp_path / "d", one_case(), {"c1": {"a.py": TWO_LINES}})
    outside = tmp_path / "secret.py"
    outside.write_bytes(b"token = 1\n")
    (directory / "samples" / "c1" / "b.py").symlink_to(outside)

    with pytest.raises(ConfigError, match=r"b\.py: samples are regular files, not links"):
        load_dataset(directory)


def test_a_symlinked_case_folder_is_refused(tmp_path: Path) -> None:
    directory = write_raw(tmp_path / "d", one_case(), {})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.py").write_bytes(TWO_LINES)
    (directory / "samples").mkdir()
    (directory / "samples" / "c1").symlink_to(outside, target_is_directory=True)

    with pytest.raises(ConfigError, match="links outside the dataset"):
        load_dataset(directory)


def test_an_oversized_sample_is_refused(tmp_path: Path) -> None:
    big = b"#" * MAX_SAMPLE_BYTES + b"\n"
    directory = write_raw(tmp_path / "d", one_case(), {"c1": {"a.py": TWO_LINES, "big.py": big}})

    with pytest.raises(ConfigError, match=rf"big\.py: a sample file is at most {MAX_SAMPLE_BYTES} bytes"):
        load_dataset(directory)


def test_a_label_on_the_last_line_is_accepted(tmp_path: Path) -> None:
    manifest = one_case(expected=[{"file": "a.py", "line": 2, "category": "security"}])
    for content in (TWO_LINES, TWO_LINES.rstrip(b"\n")):
        directory = write_raw(tmp_path / "d", manifest, {"c1": {"a.py": content}})
        assert load_dataset(directory).cases[0].expected[0].line == 2


def test_a_label_just_past_the_last_line_is_refused(tmp_path: Path) -> None:
    manifest = one_case(expected=[{"file": "a.py", "line": 3, "category": "security"}])
    directory = write_raw(tmp_path / "d", manifest, {"c1": {"a.py": TWO_LINES}})

    with pytest.raises(ConfigError, match="past the file's end"):
        load_dataset(directory)


def test_malformed_or_missing_manifests_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"no dataset at {tmp_path / 'none'} (missing dataset.yaml)")):
        load_dataset(tmp_path / "none")

    directory = write_raw(tmp_path / "bad", "name: t\ncases: [unclosed\n", {})
    with pytest.raises(ConfigError, match=re.escape(f"cannot read {directory / 'dataset.yaml'}")):
        load_dataset(directory)

    (directory / "dataset.yaml").write_bytes(b"name: \xff\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_dataset(directory)


# The curated dataset, written by hand: what the lifecycle's evaluations are judged on.

CORE = EXPERIMENTS / "datasets" / "core"


def test_the_curated_core_dataset_loads_and_covers_the_languages() -> None:
    dataset = load_dataset(CORE)

    assert dataset.name == "core"
    assert len(dataset.cases) >= 30
    languages = {case.language for case in dataset.cases}
    assert {"python", "java", "go"} <= languages
    assert languages & {"javascript", "typescript"}
    assert dataset.clean_cases >= 8
    assert all(case.complete and case.origin == "curated" for case in dataset.cases)
    assert sum(len(case.expected) for case in dataset.cases) >= 20
    for case in dataset.cases:
        for label in case.expected:
            lines = case.files[label.file].decode("utf-8").splitlines()
            assert 1 <= label.line <= len(lines), f"{case.id}: {label.file}:{label.line} is past the file's end"
            assert lines[label.line - 1].strip(), f"{case.id}: {label.file}:{label.line} is a blank line"
            assert case.judged(label.category)
