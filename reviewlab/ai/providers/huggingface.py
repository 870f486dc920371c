"""HuggingFace ``transformers``: a causal LM from a local model directory or the local HF cache, never downloaded.

torch and transformers are the optional ``hf`` extra, imported when first needed: without them this
module still imports, ``chat`` raises ``ProviderUnavailable`` and ``health`` says so. Models and
tokenizers are loaded once per process (under a lock) and shared by every provider instance; one
generation runs at a time per loaded model.

Decisions the orchestrator relies on:

- **Timeout**: ``request.timeout_s`` covers the whole call (loading, waiting for the model, generating)
  and is checked after every generated token. A cut answer is never returned as if it were one: the call
  raises ``ProviderTimeout`` (a stream raises it after the pieces it already gave), so the chain moves
  on. The prompt's prefill cannot be interrupted; the context check below bounds it.
- **Context**: the prompt is never truncated (cutting from the left drops the system prompt with the
  task's instructions). A prompt that leaves no room in the model's context raises ``InvalidAnswer``
  naming both sizes, so the chain tries a larger model; ``max_tokens`` is lowered to the room left, and
  an answer cut by it finishes with ``"length"``.
- **Tokens**: counted with the model's tokenizer: the prompt as rendered (chat template included) and
  every generated token (the end-of-sequence token, and anything after a stop string, included).
- **JSON schemas**: generation is unconstrained; the schema is appended to the last user message as an
  instruction. Validation and repair belong to the task layer.

Rendering the prompt (chat template, JSON instruction) and cutting the answer at stop strings live in
``_text``.
"""

from __future__ import annotations

import copy
import importlib
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from reviewlab.ai.base import (
    ChatRequest,
    Completion,
    Health,
    InvalidAnswer,
    ProviderError,
    ProviderKind,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    estimate_tokens,
)
from reviewlab.ai.providers._text import JSON_INSTRUCTION as JSON_INSTRUCTION
from reviewlab.ai.providers._text import StopCutter, render_prompt, stop_at

if TYPE_CHECKING:
    from reviewlab.settings import Settings

NAME = "huggingface"
NOT_INSTALLED = "transformers is not installed (pip install reviewlab[hf])"
NOT_CONFIGURED = "no local model configured (REVIEWLAB_HF_MODEL)"
Device = Literal["auto", "cpu", "cuda"]

_T = TypeVar("_T")
_STREAM_GRACE_S = 1.0  # how long past the deadline a stream waits for a generation step already running
_UNBOUNDED = 10**9  # tokenizers without a known limit report a huge sentinel as model_max_length


@dataclass(frozen=True, slots=True)
class _Backend:
    torch: Any
    transformers: Any
    hub: Any  # huggingface_hub: model ids are looked up in its cache, on disk only
    load_errors: tuple[type[BaseException], ...]  # what loading raises for a missing, foreign or corrupt model
    template_errors: tuple[type[BaseException], ...]  # what a chat template raises to refuse a conversation


def _backend() -> _Backend:
    try:
        torch = importlib.import_module("torch")
        transformers = importlib.import_module("transformers")
        hub = importlib.import_module("huggingface_hub")
        safetensors = importlib.import_module("safetensors")
        jinja2 = importlib.import_module("jinja2")
    except ImportError as err:
        raise ProviderUnavailable(NAME, NOT_INSTALLED) from err
    errors = (OSError, ValueError, RuntimeError, KeyError, safetensors.SafetensorError)
    return _Backend(torch, transformers, hub, errors, (jinja2.TemplateError,))


@dataclass(slots=True)
class _Model:
    model: Any
    tokenizer: Any
    device: str
    context: int | None
    eos_ids: frozenset[int]
    lock: threading.Lock = field(default_factory=threading.Lock)  # one generation at a time


_load_lock = threading.Lock()
_tokenizers: dict[str, Any] = {}
_models: dict[tuple[str, str], _Model] = {}


def _cached(cache: dict[Any, _T], key: Any, load: Callable[[], _T]) -> _T:
    found = cache.get(key)
    if found is None:
        with _load_lock:
            found = cache.get(key)
            if found is None:
                found = cache[key] = load()
    return found


def _source(backend: _Backend, model: str, cache_dir: str | None) -> str:
    """The directory to load: ``model`` itself, or the snapshot of model id ``model`` in the local HF cache.

    Ids are resolved here, on disk, rather than by ``from_pretrained``: even with ``local_files_only`` the hub
    client contacts huggingface.co while resolving an id (its user-agent lookup) unless HF_HUB_OFFLINE was set
    before it was imported.
    """
    path = Path(model).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if path.exists():
        raise ProviderUnavailable(NAME, f"not a model directory: {path}")
    if path.is_absolute() or model.startswith((".", "~")) or model.count("/") > 1:
        raise ProviderUnavailable(NAME, f"model directory not found: {path}")
    try:
        config = backend.hub.try_to_load_from_cache(model, "config.json", cache_dir=cache_dir)
    except ValueError:  # not a valid model id either
        config = None
    if not isinstance(config, str):
        raise ProviderUnavailable(
            NAME, f"{model!r} is neither a local directory nor in the local HuggingFace cache (nothing is downloaded)"
        )
    return str(Path(config).parent)


def _loading(backend: _Backend, source: str, load: Callable[[], _T]) -> _T:
    try:
        return load()
    except backend.load_errors as err:
        detail = (str(err).strip().splitlines() or [""])[0][:300]
        raise ProviderUnavailable(NAME, f"cannot load the model in {source}: {type(err).__name__}: {detail}") from err


def _context_length(config: Any, tokenizer: Any) -> int | None:
    text_config = config.get_text_config() if hasattr(config, "get_text_config") else config
    for attribute in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        value = getattr(text_config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    limit = getattr(tokenizer, "model_max_length", None)
    return limit if isinstance(limit, int) and 0 < limit < _UNBOUNDED else None


def _ids(value: Any) -> frozenset[int]:
    if value is None:
        return frozenset()
    return frozenset(int(v) for v in value) if isinstance(value, list | tuple) else frozenset({int(value)})


class _Limits:
    """A stopping criterion: the deadline, a stop string, or a consumer that left; remembers what it saw."""

    def __init__(
        self, backend: _Backend, loaded: _Model, prompt_tokens: int, deadline: float, stops: Sequence[str]
    ) -> None:
        self._torch, self._tokenizer = backend.torch, loaded.tokenizer
        self._prompt_tokens, self._deadline, self._stops = prompt_tokens, deadline, tuple(s for s in stops if s)
        self.timed_out = self.stop_string = self.cancelled = False
        self.generated = 0
        self.last_token: int | None = None

    def cancel(self) -> None:
        self.cancelled = True

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        self.generated = int(input_ids.shape[1]) - self._prompt_tokens
        self.last_token = int(input_ids[0, -1]) if self.generated > 0 else None
        if self._stops and not self.stop_string:
            text = self._tokenizer.decode(input_ids[0, self._prompt_tokens :], skip_special_tokens=True)
            self.stop_string = stop_at(text, self._stops) is not None
        if not self.stop_string and time.perf_counter() >= self._deadline:
            self.timed_out = True
        done = self.stop_string or self.timed_out or self.cancelled
        return self._torch.full((input_ids.shape[0],), done, dtype=self._torch.bool, device=input_ids.device)


@dataclass(slots=True)
class _Run:
    """One prepared generation: the loaded model, the encoded prompt, its configuration and its limits."""

    backend: _Backend
    loaded: _Model
    model: str
    request: ChatRequest
    inputs: Any
    input_tokens: int
    config: Any
    limits: _Limits
    started: float
    deadline: float

    def acquire(self) -> None:
        wait = min(max(0.0, self.deadline - time.perf_counter()), threading.TIMEOUT_MAX)
        if not self.loaded.lock.acquire(timeout=wait):
            raise self.timeout("waited for the model")

    def generate(self, streamer: Any = None) -> Any:
        """Run ``generate`` (the caller holds the model's lock); running out of memory means unavailable."""
        stopping = self.backend.transformers.StoppingCriteriaList([self.limits])
        try:
            return self.loaded.model.generate(
                **self.inputs, generation_config=self.config, stopping_criteria=stopping, streamer=streamer
            )
        except (self.backend.torch.OutOfMemoryError, MemoryError) as err:
            raise ProviderUnavailable(NAME, f"out of memory running {self.model} on {self.loaded.device}") from err

    def timeout(self, doing: str) -> ProviderTimeout:
        return ProviderTimeout(NAME, f"{self.model} {doing} past the {self.request.timeout_s:g} s timeout")

    def finish_reason(self) -> str:
        """``"stop"`` or ``"length"``; raises ``ProviderTimeout`` when the deadline cut the answer."""
        if self.limits.stop_string or self.limits.last_token in self.loaded.eos_ids:
            return "stop"
        if self.limits.timed_out:
            raise self.timeout(f"was still answering after {self.limits.generated} tokens")
        return "length"


class HuggingFaceProvider:
    """A local causal LM run with transformers; ``model`` is a model directory or an id in the local HF cache."""

    name: str = NAME
    kind: ProviderKind = ProviderKind.LOCAL

    def __init__(
        self, model: str | os.PathLike[str], *, device: Device = "auto", cache_dir: str | os.PathLike[str] | None = None
    ) -> None:
        """``cache_dir``: where model ids are looked up (default: the HF cache, ``HF_HUB_CACHE``)."""
        if device not in get_args(Device):
            raise ValueError(f"device must be one of {', '.join(get_args(Device))}, not {device!r}")
        self.model = os.fspath(model)
        self.device: Device = device
        self.cache_dir = None if cache_dir is None else os.fspath(cache_dir)

    @classmethod
    def from_settings(cls, settings: Settings) -> HuggingFaceProvider:
        """The provider for ``REVIEWLAB_HF_MODEL`` on ``REVIEWLAB_HF_DEVICE`` (default ``auto``)."""
        model = (settings.reviewlab_hf_model or "").strip()
        if not model:
            raise ProviderMisconfigured(NAME, NOT_CONFIGURED)
        return cls(model, device=settings.reviewlab_hf_device)

    def chat(self, request: ChatRequest, model: str) -> Completion:
        run = self._prepare(request, model)
        run.acquire()
        try:
            output = run.generate()
            generated = output[0, run.input_tokens :]
            text = run.loaded.tokenizer.decode(generated, skip_special_tokens=True)
        finally:
            run.loaded.lock.release()
        reason = run.finish_reason()
        cut = stop_at(text, request.stop)
        text = text if cut is None else text[:cut]
        if not text.strip():
            raise InvalidAnswer(NAME, f"{run.model} gave an empty answer (finish: {reason})")
        return Completion(
            text=text,
            provider=NAME,
            model=run.model,
            input_tokens=run.input_tokens,
            output_tokens=int(generated.shape[0]),
            latency_s=time.perf_counter() - run.started,
            finish_reason=reason,
        )

    def stream(self, request: ChatRequest, model: str) -> Generator[str, None, Completion]:
        run = self._prepare(request, model)
        streamer = run.backend.transformers.TextIteratorStreamer(
            run.loaded.tokenizer,
            skip_prompt=True,
            skip_special_tokens=True,
            timeout=min(max(0.0, run.deadline - time.perf_counter()) + _STREAM_GRACE_S, threading.TIMEOUT_MAX),
        )
        failures: list[Exception] = []
        run.acquire()
        worker = threading.Thread(target=_generate_into, args=(run, streamer, failures), daemon=True)
        try:
            worker.start()
        except RuntimeError:  # no thread: the model must not stay locked forever
            run.loaded.lock.release()
            raise
        cutter = StopCutter(request.stop)
        pieces: list[str] = []
        try:
            for piece in streamer:
                text = cutter.feed(piece)
                if text:
                    pieces.append(text)
                    yield text
            worker.join()
            if failures:
                raise failures[0]
            tail = cutter.flush()
            if tail:
                pieces.append(tail)
                yield tail
        except queue.Empty as err:
            raise run.timeout("produced nothing") from err
        finally:
            run.limits.cancel()  # a consumer that stops reading must not leave the model generating
        reason = run.finish_reason()
        text = "".join(pieces)
        if not text.strip():
            raise InvalidAnswer(NAME, f"{run.model} gave an empty answer (finish: {reason})")
        return Completion(
            text=text,
            provider=NAME,
            model=run.model,
            input_tokens=run.input_tokens,
            output_tokens=run.limits.generated,  # every token generated, as chat counts them
            latency_s=time.perf_counter() - run.started,
            finish_reason=reason,
        )

    def health(self) -> Health:
        started = time.perf_counter()
        try:
            backend = _backend()
            self._tokenizer(backend, self.model)
            device = self._device(backend)
        except ProviderError as err:
            return Health(NAME, ok=False, latency_s=time.perf_counter() - started, detail=err.message)
        detail = f"{self.model} on {device}"
        return Health(NAME, ok=True, latency_s=time.perf_counter() - started, detail=detail, models=(self.model,))

    def count_tokens(self, text: str, model: str) -> int:
        try:
            tokenizer = self._tokenizer(_backend(), model or self.model)
        except ProviderError:
            return estimate_tokens(text)
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    def context_length(self, model: str = "") -> int | None:
        """The model's context in tokens (None when its configuration does not say); loads the model."""
        return self._load(_backend(), model or self.model).context

    def _device(self, backend: _Backend) -> str:
        if self.device == "cpu":
            return "cpu"
        has_cuda = bool(backend.torch.cuda.is_available())
        if self.device == "cuda" and not has_cuda:
            raise ProviderUnavailable(NAME, "device cuda was asked for but CUDA is not available")
        return "cuda" if has_cuda else "cpu"

    def _tokenizer(self, backend: _Backend, model: str) -> Any:
        source = _source(backend, model, self.cache_dir)

        def load() -> Any:
            auto = backend.transformers.AutoTokenizer
            return _loading(backend, source, lambda: auto.from_pretrained(source, local_files_only=True))

        return _cached(_tokenizers, source, load)

    def _load(self, backend: _Backend, model: str) -> _Model:
        source, device = _source(backend, model, self.cache_dir), self._device(backend)
        tokenizer = self._tokenizer(backend, model)

        def load() -> _Model:
            auto = backend.transformers.AutoModelForCausalLM
            loaded, info = _loading(
                backend, source, lambda: auto.from_pretrained(source, local_files_only=True, output_loading_info=True)
            )
            broken = len({*info.get("missing_keys", ()), *info.get("mismatched_keys", ())})
            if broken:  # transformers would fill them with random values: an answer would be noise
                raise ProviderUnavailable(NAME, f"the weights at {source} are incomplete: {broken} tensors missing")
            loaded.to(device).eval()
            eos = _ids(loaded.generation_config.eos_token_id) | _ids(tokenizer.eos_token_id)
            return _Model(loaded, tokenizer, device, _context_length(loaded.config, tokenizer), eos)

        return _cached(_models, (source, device), load)

    def _prepare(self, request: ChatRequest, model: str) -> _Run:
        started = time.perf_counter()
        deadline = started + request.timeout_s
        backend = _backend()
        model = model or self.model
        loaded = self._load(backend, model)
        prompt, templated = render_prompt(
            loaded.tokenizer, request, provider=NAME, model=model, template_errors=backend.template_errors
        )
        inputs = loaded.tokenizer(prompt, return_tensors="pt", add_special_tokens=not templated).to(loaded.device)
        input_tokens = int(inputs["input_ids"].shape[1])
        max_new = request.max_tokens
        if loaded.context is not None:
            if input_tokens >= loaded.context:
                raise InvalidAnswer(
                    NAME, f"the prompt is {input_tokens} tokens and {model} has a context of {loaded.context}"
                )
            max_new = min(max_new, loaded.context - input_tokens)
        limits = _Limits(backend, loaded, input_tokens, deadline, request.stop)
        config = _generation_config(loaded, request, max_new)
        run = _Run(backend, loaded, model, request, inputs, input_tokens, config, limits, started, deadline)
        if time.perf_counter() >= deadline:
            raise run.timeout("was not ready")
        return run


def _generation_config(loaded: _Model, request: ChatRequest, max_new: int) -> Any:
    config = copy.deepcopy(loaded.model.generation_config)
    if request.temperature > 0:
        config.update(do_sample=True, temperature=request.temperature)
    else:  # the model's own sampling settings would only draw warnings when greedy
        config.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    config.update(max_new_tokens=max_new, num_beams=1)  # one beam: streaming needs it, and chat must match it
    if loaded.eos_ids:  # the tokenizer's end of turn too: some models' generation configs omit it
        config.eos_token_id = sorted(loaded.eos_ids)
    if config.pad_token_id is None:
        pad = loaded.tokenizer.pad_token_id
        config.pad_token_id = pad if pad is not None else min(loaded.eos_ids, default=None)
    return config


def _generate_into(run: _Run, streamer: Any, failures: list[Exception]) -> None:
    """The stream's worker: generate into ``streamer``, hand a failure to the reader, release the model."""
    try:
        run.generate(streamer)
    except Exception as err:  # noqa: BLE001 - handed to the reading thread, which raises it
        failures.append(err)
        streamer.end()
    finally:
        run.loaded.lock.release()
