"""Candidate files: parsing and validation, identity (``config_hash``), and the engine configuration they give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewlab.ai.base import TaskKind
from reviewlab.engine.packversion import rule_pack_version
from reviewlab.errors import ConfigError
from reviewlab.lifecycle.candidates import (
    MAX_CANDIDATE_BYTES,
    Candidate,
    load_candidate,
    load_candidates,
    parse_candidate,
    unique,
)
from tests.lifecycle.support import EXPERIMENTS

FULL = """\
name: llm-codellama
description: codellama on Ollama after the default rules
rule_pack:
  version: null
  select: [PY-]
  ignore: [PY-Q001]
  rules: {PY-Q003: {max_complexity: 8}}
  severity: {PY-Q: low}
ai:
  provider: ollama
  model: codellama:7b
  prompt_version: 1
  temperature: 0.3
  max_answer_tokens: 512
  context_tokens: 4096
  reflection_threshold: 7.5
  tasks: [review]
  timeout_s: 42
"""


def parse(text: str) -> Candidate:
    return parse_candidate(text, source="cand.yaml")


def test_a_full_candidate_is_parsed_into_its_settings() -> None:
    candidate = parse(FULL)

    assert (candidate.name, candidate.description, candidate.kind) == (
        "llm-codellama",
        "codellama on Ollama after the default rules",
        "llm",
    )
    pack = candidate.rule_pack
    assert (pack.version, pack.select, pack.ignore) == (None, ("PY-",), ("PY-Q001",))
    assert (pack.rules, pack.severity) == ({"PY-Q003": {"max_complexity": 8}}, {"PY-Q": "low"})
    assert candidate.ai is not None
    ai = candidate.ai
    assert (ai.provider, ai.model, ai.prompt_version, ai.temperature) == ("ollama", "codellama:7b", 1, 0.3)
    assert (ai.max_answer_tokens, ai.context_tokens, ai.reflection_threshold, ai.tasks, ai.timeout_s) == (
        512,
        4096,
        7.5,
        ("review",),
        42.0,
    )


def test_a_candidate_with_only_a_name_is_static_with_the_defaults() -> None:
    candidate = parse("name: plain")

    assert candidate.kind == "static"
    assert candidate.ai is None
    assert candidate.rule_pack.model_dump() == {
        "version": None,
        "select": (),
        "ignore": (),
        "rules": {},
        "severity": {},
    }
    assert candidate.settings() == {
        "name": "plain",
        "description": "",
        "rule_pack": {"version": None, "select": [], "ignore": [], "rules": {}, "severity": {}},
        "ai": None,
    }


def test_params_are_flat_strings_without_the_description() -> None:
    params = parse(FULL).params()

    assert params["kind"] == "llm"
    assert params["config_hash"] == parse(FULL).config_hash
    assert params["name"] == "llm-codellama"
    assert "description" not in params
    assert params["rule_pack.select"] == "PY-"
    assert params["rule_pack.version"] == "null"
    assert params["rule_pack.rules.PY-Q003.max_complexity"] == "8"
    assert params["ai.provider"] == "ollama"
    assert params["ai.tasks"] == "review"
    assert all(isinstance(value, str) for value in params.values())
    static = parse("name: plain").params()
    assert (static["kind"], static["ai"], static["rule_pack.rules"]) == ("static", "null", "{}")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\ncolour: red", "colour: Extra inputs are not permitted"),
        ("name: x\nrule_pack: {selekt: [PY-]}", "rule_pack.selekt: Extra inputs are not permitted"),
        ("name: x\nai: {provider: ollama, model: m, top_k: 3}", "ai.top_k: Extra inputs are not permitted"),
        ("name: x\nrule_pack: {rules: {PY-X999: {}}}", "unknown rule 'PY-X999' in rule_pack.rules"),
        ("name: x\nrule_pack: {rules: {PY-Q003: {max_depth: 3}}}", "rule PY-Q003 has no option(s) max_depth"),
        ("name: x\nrule_pack: {severity: {PY-: urgent}}", "unknown severity urgent"),
        ("name: x\nai: {provider: llamafile, model: m}", "ai.provider: Input should be 'ollama'"),
        ("name: x\nai: {provider: ollama}", "ai.model: Field required"),
        ("name: x\nai: {provider: ollama, model: m, temperature: 2.5}", "ai.temperature: Input should be less"),
        ("name: x\nai: {provider: ollama, model: m, temperature: -0.1}", "ai.temperature: Input should be greater"),
        ("name: x\nai: {provider: ollama, model: m, prompt_version: 99}", "there is no version 99 of the review_file"),
        ("name: x\nai: {provider: ollama, model: m, prompt_version: 0}", "ai.prompt_version: Input should be greater"),
        ("name: x\nai: {provider: ollama, model: m, reflection_threshold: 11}", "ai.reflection_threshold"),
        ("name: x\nai: {provider: ollama, model: m, tasks: [reflect]}", "must include the review task"),
        (
            "name: x\nai: {provider: ollama, model: m, max_answer_tokens: 1024, context_tokens: 1024}",
            "max_answer_tokens must leave at least half of context_tokens",
        ),
        ("name: X-Upper", "name: a name is 1-63 lowercase letters"),
        ("name: x\nrule_pack: {version: '0.0.0-not-installed'}", "does not match the installed"),
        ("description: no name", "name: Field required"),
    ],
)
def test_every_invalid_candidate_is_one_config_error_naming_the_source(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(text)

    message = str(caught.value)
    assert message.startswith("cand.yaml: ")
    assert problem in message


def test_a_rule_pack_version_matching_the_installed_one_is_accepted() -> None:
    installed = rule_pack_version()
    same_release = installed.split("+")[0] + "+0000000000"

    assert parse(f"name: x\nrule_pack: {{version: '{installed}'}}").rule_pack.version == installed
    assert parse(f"name: x\nrule_pack: {{version: '{same_release}'}}").rule_pack.version == same_release


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- name: x\n", "a candidate is a YAML mapping"),
        ("just a string", "a candidate is a YAML mapping"),
        ("", "a candidate is a YAML mapping"),
        ("name: [unclosed", "invalid YAML"),
    ],
)
def test_yaml_that_is_not_a_mapping_is_refused(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"^cand\.yaml: " + re.escape(problem)):
        parse(text)


def test_an_oversized_candidate_is_refused_before_parsing() -> None:
    text = "name: x\ndescription: " + "a" * MAX_CANDIDATE_BYTES
    with pytest.raises(ConfigError, match=rf"cand\.yaml: a candidate file is at most {MAX_CANDIDATE_BYTES} bytes"):
        parse(text)
    exactly = "name: x\ndescription: "
    exactly += "a" * (MAX_CANDIDATE_BYTES - len(exactly))
    assert len(parse(exactly).description) == MAX_CANDIDATE_BYTES - len("name: x\ndescription: ")


def test_load_candidate_needs_the_name_to_be_the_file_stem(tmp_path: Path) -> None:
    good = tmp_path / "static-x.yaml"
    good.write_text("name: static-x\n", encoding="utf-8")
    assert load_candidate(good).name == "static-x"

    bad = tmp_path / "other.yaml"
    bad.write_text("name: static-x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"other\.yaml: name 'static-x' must equal the file name 'other'"):
        load_candidate(bad)


def test_load_candidate_names_the_file_in_validation_and_read_errors(tmp_path: Path) -> None:
    invalid = tmp_path / "broken.yaml"
    invalid.write_text("name: broken\nai: {provider: nope, model: m}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="^" + re.escape(f"{invalid}: ai.provider")):
        load_candidate(invalid)

    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ConfigError, match=re.escape(f"cannot read candidate {binary}")):
        load_candidate(binary)
    with pytest.raises(ConfigError, match="cannot read candidate"):
        load_candidate(tmp_path / "missing.yaml")


def test_load_candidates_reads_every_yaml_file_sorted_by_name(tmp_path: Path) -> None:
    (tmp_path / "zeta.yaml").write_text("name: zeta\nrule_pack: {select: [PY-]}\n", encoding="utf-8")
    (tmp_path / "alpha.yaml").write_text("name: alpha\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a candidate", encoding="utf-8")

    assert [c.name for c in load_candidates(tmp_path)] == ["alpha", "zeta"]


def test_load_candidates_refuses_a_missing_directory_and_twin_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no candidates directory at"):
        load_candidates(tmp_path / "nowhere")

    (tmp_path / "one.yaml").write_text("name: one\ndescription: first\n", encoding="utf-8")
    (tmp_path / "two.yaml").write_text("name: two\ndescription: same settings, other words\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="candidates 'one' and 'two' have the same settings"):
        load_candidates(tmp_path)


def test_unique_refuses_two_candidates_with_one_name() -> None:
    first = parse("name: same")
    second = parse("name: same\nrule_pack: {select: [PY-]}")
    with pytest.raises(ConfigError, match="two candidates are named 'same'"):
        unique([first, second])
    assert [c.name for c in unique([parse("name: b"), parse("name: a\nrule_pack: {select: [GO-]}")])] == ["a", "b"]


def test_the_repository_candidates_load() -> None:
    candidates = {c.name: c for c in load_candidates(EXPERIMENTS / "candidates")}

    assert {"static-default", "static-security", "static-strict", "llm-codellama-7b"} <= set(candidates)
    assert candidates["static-default"].kind == "static"
    assert candidates["llm-codellama-7b"].kind == "llm"
    assert len({c.config_hash for c in candidates.values()}) == len(candidates)


def test_config_hash_is_stable_and_ignores_name_description_and_key_order() -> None:
    reference = parse("name: a\nrule_pack: {select: [PY-], ignore: [PY-Q001]}")

    # The hash of the defaults is a stored identity: changing it re-identifies every registered configuration.
    assert parse("name: anything").config_hash == "fb13db1a1e6efb3f"
    assert len(reference.config_hash) == 16
    assert reference.config_hash == parse("name: a\nrule_pack: {select: [PY-], ignore: [PY-Q001]}").config_hash
    renamed = parse("name: b\ndescription: other words\nrule_pack: {ignore: [PY-Q001], select: [PY-]}")
    assert renamed.config_hash == reference.config_hash


VARIANTS = [
    "name: v",
    "name: v\nrule_pack: {version: 'VERSION'}",
    "name: v\nrule_pack: {select: [PY-]}",
    "name: v\nrule_pack: {select: [GO-]}",
    "name: v\nrule_pack: {select: [PY-, GO-]}",
    "name: v\nrule_pack: {ignore: [PY-]}",
    "name: v\nrule_pack: {rules: {PY-Q003: {max_complexity: 8}}}",
    "name: v\nrule_pack: {rules: {PY-Q003: {max_complexity: 9}}}",
    "name: v\nrule_pack: {severity: {PY-Q: low}}",
    "name: v\nrule_pack: {severity: {PY-Q: high}}",
    "name: v\nai: {provider: ollama, model: m}",
    "name: v\nai: {provider: openai, model: m}",
    "name: v\nai: {provider: ollama, model: n}",
    "name: v\nai: {provider: ollama, model: m, temperature: 0.5}",
    "name: v\nai: {provider: ollama, model: m, max_answer_tokens: 512}",
    "name: v\nai: {provider: ollama, model: m, context_tokens: 4096}",
    "name: v\nai: {provider: ollama, model: m, reflection_threshold: 7}",
    "name: v\nai: {provider: ollama, model: m, tasks: [review]}",
    "name: v\nai: {provider: ollama, model: m, timeout_s: 30}",
]


def test_config_hash_changes_with_every_setting() -> None:
    texts = [text.replace("VERSION", rule_pack_version()) for text in VARIANTS]
    hashes = [parse(text).config_hash for text in texts]

    assert len(set(hashes)) == len(hashes)


def test_an_llm_candidate_reviews_with_exactly_its_model() -> None:
    candidate = parse(FULL)
    config = candidate.review_config()

    assert (config.select, config.ignore) == (("PY-",), ("PY-Q001",))
    assert config.rules == {"PY-Q003": {"max_complexity": 8}}
    assert config.severity_for("PY-Q003") == "low"
    orchestrator, review = config.ai_settings()
    assert orchestrator.chain == ("ollama",)
    assert orchestrator.enabled_chain() == ("ollama",)
    assert set(orchestrator.providers) == {"ollama"}
    provider = orchestrator.provider("ollama")
    assert (provider.enabled, provider.default_model, provider.timeout_s) == (True, "codellama:7b", 42.0)
    assert set(orchestrator.routing) == {"ollama"}
    assert orchestrator.routing["ollama"] == dict.fromkeys(TaskKind, ("codellama:7b",))
    assert (review.prompt_version, review.temperature, review.reflection_threshold) == (1, 0.3, 7.5)
    assert (review.tasks, review.context_tokens, review.max_answer_tokens) == (("review",), 4096, 512)


def test_a_static_candidate_has_no_ai_table() -> None:
    config = parse("name: s\nrule_pack: {select: [PY-S]}").review_config()

    assert config.ai == {}
    assert config.select == ("PY-S",)
    assert config.rule_enabled("PY-S001")
    assert not config.rule_enabled("PY-Q003")
