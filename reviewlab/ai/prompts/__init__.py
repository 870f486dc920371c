"""Versioned prompt files: one YAML file per prompt and version, ``<name>.v<version>.yaml`` in this package.

A prompt file holds::

    name: review_file            # the file name's stem before ``.v<version>``
    version: 1                   # bump it (in a new file) whenever the text changes
    task: code_review            # the TaskKind the orchestrator routes the call by (``reviewlab.ai.base``)
    max_tokens: 1024             # the answer's token limit unless the caller sets one
    description: ...             # one line: what the prompt is for
    variables: [path, code]      # every ``{{name}}`` the templates use, and nothing else
    system: |                    # the system message (optional: a retry only adds a user message)
      ...
    user: |                      # the user message; ``{{name}}`` is replaced by the value passed to ``render``
      ...

``Prompt.ref`` (``review_file@v1``) is what a call passes as ``prompt_version``, so the orchestrator's
response cache key changes with the prompt text. Substitution is one pass: a value that itself holds
``{{...}}`` (code often does) is never expanded again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from reviewlab.ai.base import Message, TaskKind

_FILE = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.yaml$")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
_FIELDS = frozenset({"name", "version", "task", "max_tokens", "description", "variables", "system", "user"})


class PromptError(ValueError):
    """A prompt file that is malformed, or a render call missing one of its variables (a programming error)."""


@dataclass(frozen=True, slots=True)
class Prompt:
    name: str
    version: int
    task: TaskKind
    description: str
    variables: frozenset[str]
    system: str
    user: str
    max_tokens: int = 1024

    @property
    def ref(self) -> str:
        """``review_file@v1``: the ``prompt_version`` of every call made with this prompt."""
        return f"{self.name}@v{self.version}"

    def render(self, **values: object) -> tuple[Message, Message]:
        """The system and user messages with every ``{{name}}`` replaced by ``str(values[name])``."""
        missing = sorted(self.variables - values.keys())
        unknown = sorted(values.keys() - self.variables)
        if missing or unknown:
            raise PromptError(f"prompt {self.ref}: missing variables {missing}, unknown variables {unknown}")
        text = {name: str(value) for name, value in values.items()}

        def fill(template: str) -> str:
            return _PLACEHOLDER.sub(lambda match: text[match.group(1)], template)

        return Message("system", fill(self.system)), Message("user", fill(self.user))


def _parse(file_name: str, raw: str) -> Prompt:
    match = _FILE.match(file_name)
    if match is None:
        raise PromptError(f"{file_name}: prompt files are named <name>.v<version>.yaml")
    data: Any = yaml.safe_load(raw)
    if not isinstance(data, dict):
        raise PromptError(f"{file_name}: not a mapping")
    unknown = sorted(set(data) - _FIELDS)
    missing = sorted({"name", "version", "task", "variables", "user"} - set(data))
    if unknown or missing:
        raise PromptError(f"{file_name}: unknown fields {unknown}, missing fields {missing}")
    if data["name"] != match.group("name") or data["version"] != int(match.group("version")):
        raise PromptError(f"{file_name}: name and version must match the file name")
    try:
        task = TaskKind(data["task"])
    except ValueError as err:
        raise PromptError(f"{file_name}: unknown task {data['task']!r}") from err
    variables = frozenset(data["variables"] or ())
    system = str(data.get("system") or "")
    used = set(_PLACEHOLDER.findall(system)) | set(_PLACEHOLDER.findall(data["user"]))
    if used != variables:
        raise PromptError(f"{file_name}: templates use {sorted(used)}, variables declare {sorted(variables)}")
    max_tokens = data.get("max_tokens", 1024)
    if not isinstance(max_tokens, int) or max_tokens < 1:
        raise PromptError(f"{file_name}: max_tokens must be a positive integer")
    return Prompt(
        name=data["name"],
        version=data["version"],
        task=task,
        description=str(data.get("description", "")),
        variables=variables,
        system=system,
        user=str(data["user"]),
        max_tokens=max_tokens,
    )


@cache
def all_prompts() -> dict[str, dict[int, Prompt]]:
    """Every prompt file of the package: name -> version -> prompt (read once per process)."""
    found: dict[str, dict[int, Prompt]] = {}
    for entry in resources.files(__name__).iterdir():
        if entry.name.endswith(".yaml"):
            prompt = _parse(entry.name, entry.read_text(encoding="utf-8"))
            found.setdefault(prompt.name, {})[prompt.version] = prompt
    return found


def load_prompt(name: str, version: int | None = None) -> Prompt:
    """The prompt ``name`` at ``version``, or its latest version."""
    versions = all_prompts().get(name)
    if not versions:
        raise PromptError(f"no prompt named {name!r}")
    chosen = max(versions) if version is None else version
    if chosen not in versions:
        raise PromptError(f"prompt {name!r} has no version {chosen}")
    return versions[chosen]
