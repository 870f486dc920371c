"""Every notebook runs top to bottom against the library: its code cells, in order, in one namespace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.faces.conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(
    notebook: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code_cells = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code_cells, f"{notebook.name} has no code"
    monkeypatch.chdir(notebook.parent)  # where Jupyter starts a notebook's kernel
    namespace: dict[str, object] = {"__name__": "__main__"}

    for index, cell in enumerate(code_cells):
        source = "".join(cell["source"])
        assert not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()), "no IPython magics"
        exec(compile(source, f"{notebook.name}[code cell {index}]", "exec"), namespace)  # noqa: S102 - our notebooks

    assert capsys.readouterr().out, f"{notebook.name} printed nothing"
