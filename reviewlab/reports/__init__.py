"""Report formats: each renders a ``ReviewResult`` to text; ``FORMATS`` is the registry."""

from __future__ import annotations

from collections.abc import Callable

from reviewlab.engine.model import ReviewResult
from reviewlab.errors import InputError
from reviewlab.reports import json_report, markdown, sarif, terminal

Renderer = Callable[[ReviewResult], str]

FORMATS: dict[str, Renderer] = {
    "text": terminal.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
}

__all__ = ["FORMATS", "Renderer", "render"]


def render(result: ReviewResult, fmt: str) -> str:
    """The result rendered in the named format; an unknown name is an ``InputError``."""
    renderer = FORMATS.get(fmt)
    if renderer is None:
        raise InputError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return renderer(result)
