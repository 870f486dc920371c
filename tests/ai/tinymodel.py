"""A tiny causal LM for tests, built and saved locally (never downloaded): random weights and a tokenizer
trained on a few lines. Its answers are gibberish on purpose; ``behaviour`` makes some of them predictable.

    gibberish   whatever the random weights say (greedy decoding of it is deterministic)
    words       only letters and spaces, never ending: streams in several pieces (the streamer splits at spaces)
    endless     never ends the answer (end-of-sequence suppressed): runs into max_tokens or the timeout
    silent      can only end the answer: an empty answer
    blank       can only say spaces and newlines: a whitespace-only answer as long as max_tokens

Needs the ``hf`` extra (torch, transformers, tokenizers); imported lazily so the module itself imports
without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

Behaviour = Literal["gibberish", "words", "endless", "silent", "blank"]

EOS, SYSTEM, USER, ASSISTANT = "<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>"
CORPUS = (
    "def add(a, b):\n    return a + b\n",
    "Review this diff and report findings as JSON.\n",
    'query = f"SELECT * FROM users WHERE id = {user_id}"\n',
    "The function never closes the file it opens.\n",
    '{"findings": [{"line": 3, "rule": "sql-injection", "severity": "high"}]}\n',
)
# One line per message, then the assistant's marker: the prompt is easy to write out in a test.
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
# Like Gemma's or early Mistral's: no system role.
NO_SYSTEM_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def build_tiny_model(
    path: Path,
    *,
    chat_template: str | None = CHAT_TEMPLATE,
    behaviour: Behaviour = "gibberish",
    context: int = 512,
    seed: int = 0,
) -> Path:
    """Train the tokenizer, initialise a 1-layer GPT-2 and save both into ``path`` (created); returns ``path``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=[EOS, SYSTEM, USER, ASSISTANT],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(CORPUS, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=EOS, bos_token=EOS)
    if chat_template is not None:
        tokenizer.chat_template = chat_template

    eos = tokenizer.convert_tokens_to_ids(EOS)
    torch.manual_seed(seed)
    config = GPT2Config(
        n_layer=1,
        n_head=2,
        n_embd=32,
        n_positions=context,
        vocab_size=len(tokenizer),
        bos_token_id=eos,
        eos_token_id=eos,
        pad_token_id=eos,
        initializer_range=0.5,  # wide enough that greedy decoding does not repeat one token forever
    )
    model = GPT2LMHeadModel(config)
    model.generation_config.suppress_tokens = _suppressed(tokenizer, behaviour, eos) or None

    path.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path


def _suppressed(tokenizer: Any, behaviour: Behaviour, eos: int) -> list[int]:
    """The token ids the model may never generate."""
    ids = set(tokenizer.get_vocab().values())
    if behaviour == "endless":
        return [eos]
    if behaviour == "silent":
        return sorted(ids - {eos})
    if behaviour == "blank":
        return sorted(i for i in ids if i == eos or not tokenizer.decode([i]) or tokenizer.decode([i]).strip())
    if behaviour == "words":
        return sorted(i for i in ids if i == eos or not _letters_and_spaces(tokenizer.decode([i])))
    return []


def _letters_and_spaces(text: str) -> bool:
    return bool(text) and all(c == " " or ("a" <= c.lower() <= "z") for c in text)
