"""Report formats: each renders a ``ReviewResult`` to text; ``FORMATS`` is the registry."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import cast

from reviewlab.engine.model import ReviewResult
from reviewlab.errors import InputError

Renderer = Callable[[ReviewResult], str]

# Format name -> the module whose ``render`` produces it (imported on first use: a JSON review
# need not load SARIF's rule metadata or rich).
FORMATS: dict[str, str] = {
    "text": "reviewlab.reports.terminal",
    "json": "reviewlab.reports.json_report",
    "sarif": "reviewlab.reports.sarif",
    "markdown": "reviewlab.reports.markdown",
}

__all__ = ["FORMATS", "Renderer", "render", "render_chunks", "renderer"]


def _module(fmt: str) -> ModuleType:
    """The module of the named format; an unknown name is an ``InputError``."""
    module = FORMATS.get(fmt)
    if module is None:
        raise InputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(module)


def renderer(fmt: str) -> Renderer:
    """The render function of the named format; an unknown name is an ``InputError``."""
    return cast(Renderer, _module(fmt).render)


def render(result: ReviewResult, fmt: str) -> str:
    """The result rendered in the named format."""
    return renderer(fmt)(result)


def render_chunks(result: ReviewResult, fmt: str) -> Iterator[str]:
    """:func:`render`'s text in pieces: every format encodes its long lists (findings, diagnostics, files) one
    element at a time, so a caller writing them out never holds the whole report; a format without ``chunks``
    comes as one piece."""
    module = _module(fmt)
    chunks = getattr(module, "chunks", None)
    if chunks is None:
        yield cast(Renderer, module.render)(result)
    else:
        yield from cast(Callable[[ReviewResult], Iterator[str]], chunks)(result)
