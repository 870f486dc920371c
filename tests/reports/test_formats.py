"""The format registry renders every format and refuses unknown names."""

from __future__ import annotations

import pytest

from reviewlab.engine.model import ReviewResult
from reviewlab.errors import InputError
from reviewlab.reports import FORMATS, render, renderer


def test_registry_names() -> None:
    assert set(FORMATS) == {"text", "json", "sarif", "markdown"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_renders(review: ReviewResult, fmt: str) -> None:
    text = render(review, fmt)
    assert text.endswith("\n")
    assert text == renderer(fmt)(review)


def test_unknown_format(review: ReviewResult) -> None:
    with pytest.raises(InputError, match="unknown report format 'xml'"):
        render(review, "xml")
