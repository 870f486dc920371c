"""The HuggingFace provider end to end, on tiny models the tests build and save locally (never downloaded)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    InvalidAnswer,
    Message,
    Provider,
    ProviderKind,
    ProviderTimeout,
    ProviderUnavailable,
    estimate_tokens,
)
from reviewlab.ai.providers.huggingface import JSON_INSTRUCTION, NOT_CONFIGURED, NOT_INSTALLED, HuggingFaceProvider
from reviewlab.errors import SettingsError
from reviewlab.settings import get_settings
from tests._services import must_fail
from tests.ai.tinymodel import NO_SYSTEM_TEMPLATE, build_tiny_model
from tests.ai.wire import streamed

SYSTEM = "You review code."
QUESTION = "def add(a, b):\n    return a + b\n"
SCHEMA = {"type": "object", "properties": {"findings": {"type": "array"}}, "required": ["findings"]}


@dataclass(frozen=True)
class TinyModels:
    gibberish: Path
    words: Path
    endless: Path
    silent: Path
    blank: Path
    plain: Path  # no chat template: the provider writes a "role: content" transcript
    no_system: Path  # a chat template that refuses the system role
    short: Path  # endless, with a context of 48 tokens

    def tokens(self, text: str) -> int:
        """``text``'s exact token count, by the tokenizers library reading the saved tokenizer (not transformers)."""
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.gibberish / "tokenizer.json"))
        return len(tokenizer.encode(text, add_special_tokens=False).ids)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyModels]:
    """The tiny models, built once per session (about a second after torch is imported)."""
    try:
        torch = importlib.import_module("torch")
        importlib.import_module("transformers")
    except ImportError as err:
        message = f"the hf extra is not installed ({err}); `make install-test` installs it"
        if must_fail(os.environ):
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("tiny-models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        models = TinyModels(
            gibberish=build_tiny_model(root / "gibberish"),
            words=build_tiny_model(root / "words", behaviour="words"),
            endless=build_tiny_model(root / "endless", behaviour="endless", context=4096),
            silent=build_tiny_model(root / "silent", behaviour="silent"),
            blank=build_tiny_model(root / "blank", behaviour="blank"),
            plain=build_tiny_model(root / "plain", chat_template=None),
            no_system=build_tiny_model(root / "no-system", chat_template=NO_SYSTEM_TEMPLATE),
            short=build_tiny_model(root / "short", behaviour="endless", context=48),
        )
    # Intra-op threads only slow a 32-wide model down (about 7x on two busy cores); restored afterwards.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield models
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every test fails if anything tries to reach the network (the hub included)."""
    attempts: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(address: object) -> None:
        attempts.append(address)
        raise OSError("the network is off in these tests")

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            refuse(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> Any:
        refuse(host)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], "something tried to reach the network"


def ask(content: str = QUESTION, **options: Any) -> ChatRequest:
    return ChatRequest(messages=(Message("system", SYSTEM), Message("user", content)), **options)


def test_chat_returns_a_completion_with_exact_token_counts(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.endless, device="cpu")
    completion = provider.chat(ask(max_tokens=12), str(tiny.endless))

    assert isinstance(completion, Completion)
    assert completion.text.strip()  # gibberish, as random weights say
    assert (completion.provider, completion.model) == ("huggingface", str(tiny.endless))
    assert completion.input_tokens == tiny.tokens(f"<|system|>{SYSTEM}\n<|user|>{QUESTION}\n<|assistant|>")
    assert completion.output_tokens == 12
    assert completion.finish_reason == "length"
    assert 0 < completion.latency_s < 30
    assert completion.cached is False


def test_an_empty_model_argument_means_the_configured_model(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.gibberish)
    default, named = provider.chat(ask(max_tokens=8), ""), provider.chat(ask(max_tokens=8), str(tiny.gibberish))
    assert (default.model, default.text) == (named.model, named.text) == (str(tiny.gibberish), named.text)


def test_stream_returns_a_completion_with_exact_token_counts(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.endless, device="cpu")
    pieces, completion = streamed(provider, ask(max_tokens=12), "")

    assert completion.text == "".join(pieces)
    assert completion.text.strip()
    assert (completion.provider, completion.model) == ("huggingface", str(tiny.endless))
    assert completion.input_tokens == tiny.tokens(f"<|system|>{SYSTEM}\n<|user|>{QUESTION}\n<|assistant|>")
    assert completion.output_tokens == 12
    assert completion.finish_reason == "length"
    assert completion.latency_s > 0


def test_a_streamed_answer_counts_what_chat_counts_even_when_cut_at_a_stop_string(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.words)
    stop = provider.chat(ask(max_tokens=40), "").text[10:13]
    for request in (ask(max_tokens=40), ask(max_tokens=40, stop=(stop,))):
        chat = provider.chat(request, "")
        _, completion = streamed(provider, request, "")
        assert completion == replace(chat, latency_s=completion.latency_s)


@pytest.mark.parametrize("behaviour", ["gibberish", "words"])
def test_greedy_answers_repeat_and_stream_in_pieces_that_join_to_the_chat_text(
    tiny: TinyModels, behaviour: str
) -> None:
    provider = HuggingFaceProvider(getattr(tiny, behaviour))
    request = ask(max_tokens=40)
    first, second = provider.chat(request, ""), provider.chat(request, "")
    pieces = list(provider.stream(request, ""))

    assert first.text == second.text
    assert first.output_tokens <= 40
    assert "".join(pieces) == first.text
    if behaviour == "words":  # letters stream as they come
        assert len(pieces) > 5


def test_without_a_chat_template_the_prompt_is_a_role_transcript(tiny: TinyModels) -> None:
    completion = HuggingFaceProvider(tiny.plain).chat(ask(max_tokens=4), "")
    assert completion.input_tokens == tiny.tokens(f"system: {SYSTEM}\nuser: {QUESTION}\nassistant:")


def test_a_template_without_a_system_role_gets_the_system_text_in_the_first_user_message(tiny: TinyModels) -> None:
    completion = HuggingFaceProvider(tiny.no_system).chat(ask(max_tokens=4), "")
    assert completion.input_tokens == tiny.tokens(f"<|user|>{SYSTEM}\n\n{QUESTION}\n<|assistant|>")


def test_a_schema_request_appends_the_schema_and_returns_the_text_unvalidated(tiny: TinyModels) -> None:
    completion = HuggingFaceProvider(tiny.gibberish).chat(ask(max_tokens=16, json_schema=SCHEMA), "")

    instruction = JSON_INSTRUCTION + json.dumps(SCHEMA, sort_keys=True)
    expected_prompt = f"<|system|>{SYSTEM}\n<|user|>{QUESTION}\n\n{instruction}\n<|assistant|>"
    assert completion.input_tokens == tiny.tokens(expected_prompt)
    assert completion.text.strip()
    with pytest.raises(json.JSONDecodeError):  # unusable: the task layer validates, repairs or retries
        json.loads(completion.text)


@pytest.mark.parametrize("behaviour", ["silent", "blank"])
def test_an_empty_or_blank_answer_is_invalid(tiny: TinyModels, behaviour: str) -> None:
    path = getattr(tiny, behaviour)
    provider = HuggingFaceProvider(path)
    for request in (ask(max_tokens=6), ask(max_tokens=6, json_schema=SCHEMA)):
        with pytest.raises(InvalidAnswer, match="empty answer"):
            provider.chat(request, "")
        with pytest.raises(InvalidAnswer, match="empty answer"):
            list(provider.stream(request, ""))


def test_stop_strings_end_the_answer_in_chat_and_stream(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.words)
    full = provider.chat(ask(max_tokens=40), "").text
    pieces = list(provider.stream(ask(max_tokens=40), ""))
    stop = full[10:13]
    start = full.find(stop)
    ends = {len("".join(pieces[:n])) for n in range(1, len(pieces))}
    assert any(start < end < start + len(stop) for end in ends), "the stop string should span two streamed pieces"
    expected = full[:start]
    assert expected.strip()

    stopped = provider.chat(ask(max_tokens=40, stop=("never said", stop)), "")
    assert stopped.text == expected
    assert stopped.finish_reason == "stop"
    assert stopped.output_tokens < 40
    assert "".join(provider.stream(ask(max_tokens=40, stop=("never said", stop)), "")) == expected


def test_sampling_when_the_temperature_is_above_zero(tiny: TinyModels) -> None:
    import torch

    torch.manual_seed(1)
    completion = HuggingFaceProvider(tiny.endless).chat(ask(max_tokens=8, temperature=1.0), "")
    assert completion.output_tokens == 8
    assert completion.text.strip()


def test_a_timeout_cuts_generation_and_raises(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.endless)
    provider.chat(ask(max_tokens=1), "")  # loaded: the timeout below is all generation

    started = time.perf_counter()
    with pytest.raises(ProviderTimeout, match=r"still answering after \d+ tokens past the 0\.2 s timeout"):
        provider.chat(ask(max_tokens=4000, timeout_s=0.2), "")
    assert time.perf_counter() - started < 2.0

    started = time.perf_counter()
    pieces: list[str] = []
    with pytest.raises(ProviderTimeout, match=r"past the 0\.2 s timeout"):
        pieces.extend(provider.stream(ask(max_tokens=4000, timeout_s=0.2), ""))
    assert time.perf_counter() - started < 2.0
    assert provider.chat(ask(max_tokens=2), "").output_tokens == 2  # the model is free again


def test_a_timeout_already_spent_raises_before_generating(tiny: TinyModels) -> None:
    with pytest.raises(ProviderTimeout, match="was not ready past the 1e-09 s timeout"):
        HuggingFaceProvider(tiny.gibberish).chat(ask(timeout_s=1e-9), "")


def test_a_stream_left_early_stops_the_generation(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.endless)
    pieces = provider.stream(ask(max_tokens=400), "")
    assert next(pieces)
    pieces.close()

    started = time.perf_counter()
    assert provider.chat(ask(max_tokens=2, timeout_s=5), "").output_tokens == 2
    assert time.perf_counter() - started < 1.0


def test_a_prompt_longer_than_the_context_is_refused_not_truncated(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.short)
    assert provider.context_length() == 48
    with pytest.raises(InvalidAnswer, match=r"the prompt is \d+ tokens and .* has a context of 48"):
        provider.chat(ask(QUESTION * 4), "")


def test_max_tokens_is_lowered_to_the_room_left_in_the_context(tiny: TinyModels) -> None:
    completion = HuggingFaceProvider(tiny.short).chat(ask(max_tokens=1000), "")
    assert completion.input_tokens + completion.output_tokens == 48
    assert completion.finish_reason == "length"


def test_concurrent_first_calls_load_once_and_answer_alike(tiny: TinyModels, tmp_path: Path) -> None:
    fresh = shutil.copytree(tiny.gibberish, tmp_path / "fresh")  # not loaded by any other test
    provider = HuggingFaceProvider(fresh)
    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(lambda _: provider.chat(ask(max_tokens=10), "").text, range(4)))
    assert len(set(texts)) == 1


def test_count_tokens_is_exact_with_the_tokenizer_and_estimated_without_a_model(tiny: TinyModels) -> None:
    assert HuggingFaceProvider(tiny.gibberish).count_tokens(QUESTION, "") == tiny.tokens(QUESTION)
    missing = HuggingFaceProvider(tiny.gibberish.parent / "missing")
    assert missing.count_tokens(QUESTION, "") == estimate_tokens(QUESTION)


def test_health_is_ok_when_the_tokenizer_loads(tiny: TinyModels) -> None:
    health = HuggingFaceProvider(tiny.gibberish, device="cpu").health()
    assert health.ok
    assert health.provider == "huggingface"
    assert health.detail == f"{tiny.gibberish} on cpu"
    assert health.models == (str(tiny.gibberish),)
    assert 0 <= health.latency_s < 30


def test_a_missing_directory_is_unavailable_and_health_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    provider = HuggingFaceProvider(missing)
    with pytest.raises(ProviderUnavailable, match=f"model directory not found: {missing}"):
        provider.chat(ask(), "")
    with pytest.raises(ProviderUnavailable, match="model directory not found"):
        list(provider.stream(ask(), ""))
    health = provider.health()
    assert (health.ok, health.detail, health.models) == (False, f"model directory not found: {missing}", ())


def test_a_directory_that_is_not_a_model_is_unavailable(tiny: TinyModels, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a model\n", encoding="utf-8")
    with pytest.raises(ProviderUnavailable, match=f"cannot load the model in {tmp_path}: ValueError"):
        HuggingFaceProvider(tmp_path).chat(ask(), "")
    assert not HuggingFaceProvider(tmp_path).health().ok
    with pytest.raises(ProviderUnavailable, match="not a model directory"):
        HuggingFaceProvider(tmp_path / "README.md").chat(ask(), "")


def test_corrupt_weights_are_unavailable(tiny: TinyModels, tmp_path: Path) -> None:
    corrupt = shutil.copytree(tiny.gibberish, tmp_path / "corrupt")
    (corrupt / "model.safetensors").write_bytes(b"\x00not safetensors at all")
    provider = HuggingFaceProvider(corrupt)
    with pytest.raises(ProviderUnavailable, match=f"cannot load the model in {corrupt}: SafetensorError"):
        provider.chat(ask(), "")
    assert provider.health().ok  # health only loads the tokenizer: it never runs the model


def test_weights_missing_tensors_are_unavailable_not_random(tiny: TinyModels, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    partial = shutil.copytree(tiny.gibberish, tmp_path / "partial")
    tensors = load_file(partial / "model.safetensors")
    tensors.pop(next(name for name in tensors if "mlp" in name))
    save_file(tensors, partial / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ProviderUnavailable, match="incomplete: 1 tensors missing"):
        HuggingFaceProvider(partial).chat(ask(), "")


def test_a_model_id_is_served_from_the_local_cache_without_the_network(
    tiny: TinyModels, tmp_path: Path, no_network: list[object]
) -> None:
    cache = tmp_path / "hub"
    repo = cache / "models--reviewlab-tests--tiny"
    shutil.copytree(tiny.gibberish, repo / "snapshots" / ("0" * 40))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40, encoding="utf-8")

    completion = HuggingFaceProvider("reviewlab-tests/tiny", cache_dir=cache).chat(ask(max_tokens=4), "")
    assert completion.model == "reviewlab-tests/tiny"
    assert completion.output_tokens <= 4
    assert HuggingFaceProvider("reviewlab-tests/tiny", cache_dir=cache).health().ok
    assert no_network == []


@pytest.mark.parametrize("model", ["reviewlab-tests/no-such-model", "gpt2", "codellama:34b"])
def test_a_model_id_missing_from_the_cache_is_unavailable_without_the_network(
    tiny: TinyModels, tmp_path: Path, no_network: list[object], model: str
) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    provider = HuggingFaceProvider(model, cache_dir=tmp_path)
    with pytest.raises(ProviderUnavailable, match=r"neither a local directory nor in the local HuggingFace cache"):
        provider.chat(ask(), "")
    assert not provider.health().ok
    assert no_network == []


def test_without_transformers_the_provider_is_unavailable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` now raises ImportError
    provider = HuggingFaceProvider(tmp_path)
    with pytest.raises(ProviderUnavailable) as raised:
        provider.chat(ask(), "")
    assert raised.value.message == NOT_INSTALLED == "transformers is not installed (pip install reviewlab[hf])"
    with pytest.raises(ProviderUnavailable, match="transformers is not installed"):
        list(provider.stream(ask(), ""))
    health = provider.health()
    assert (health.ok, health.detail) == (False, NOT_INSTALLED)
    assert provider.count_tokens(QUESTION, "") == estimate_tokens(QUESTION)


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None and importlib.import_module("torch").cuda.is_available(),
    reason="CUDA is available here",
)
def test_cuda_asked_for_without_cuda_is_unavailable(tiny: TinyModels) -> None:
    provider = HuggingFaceProvider(tiny.gibberish, device="cuda")
    with pytest.raises(ProviderUnavailable, match="CUDA is not available"):
        provider.chat(ask(), "")
    assert not provider.health().ok


def test_from_settings_reads_the_model_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REVIEWLAB_HF_MODEL", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ProviderUnavailable) as raised:
        HuggingFaceProvider.from_settings(get_settings())
    assert raised.value.message == NOT_CONFIGURED

    monkeypatch.setenv("REVIEWLAB_HF_MODEL", "/models/starcoder2-3b")
    monkeypatch.setenv("REVIEWLAB_HF_DEVICE", "cpu")
    get_settings.cache_clear()
    provider = HuggingFaceProvider.from_settings(get_settings())
    assert (provider.model, provider.device) == ("/models/starcoder2-3b", "cpu")

    monkeypatch.setenv("REVIEWLAB_HF_DEVICE", "tpu")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="'auto', 'cpu' or 'cuda'"):
        HuggingFaceProvider.from_settings(get_settings())


def test_it_is_a_local_provider() -> None:
    provider = HuggingFaceProvider("/models/any")
    assert isinstance(provider, Provider)
    assert (provider.name, provider.kind) == ("huggingface", ProviderKind.LOCAL)
    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda"):
        HuggingFaceProvider("/models/any", device="tpu")  # type: ignore[arg-type]


def test_the_module_imports_without_torch_or_transformers() -> None:
    code = (
        "import sys; sys.modules['torch'] = sys.modules['transformers'] = None; "
        "import reviewlab.ai.providers.huggingface as hf; print(hf.HuggingFaceProvider('/m').health().detail)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == NOT_INSTALLED
