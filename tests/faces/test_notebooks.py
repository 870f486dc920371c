"""Every notebook runs top to bottom against the library: its code cells, in order, in one namespace."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from tests.faces.conftest import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


def _uses_lifecycle(notebook: Path) -> bool:
    """A notebook on the model lifecycle: it writes a store and MLflow (and evaluates: slow)."""
    return "reviewlab.lifecycle" in notebook.read_text(encoding="utf-8")


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize(
    "notebook",
    [pytest.param(path, id=path.name, marks=[pytest.mark.slow] if _uses_lifecycle(path) else []) for path in NOTEBOOKS],
)
def test_notebook_runs_top_to_bottom(
    notebook: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code_cells = [cell for cell in cells if cell["cell_type"] == "code"]
    assert code_cells, f"{notebook.name} has no code"
    # The store is already the test's own (REVIEWLAB_HOME, no DATABASE_URL); so is MLflow, never the shell's.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("REVIEWLAB_EXPERIMENTS_DIR", raising=False)
    if _uses_lifecycle(notebook):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", request.getfixturevalue("mlflow_uri"))
        # A notebook's sandbox (tempfile.mkdtemp) lands in the test's directory, not in /tmp for good.
        sandboxes = request.getfixturevalue("tmp_path") / "tmp"
        sandboxes.mkdir()
        monkeypatch.setattr(tempfile, "tempdir", str(sandboxes))
    monkeypatch.chdir(notebook.parent)  # where Jupyter starts a notebook's kernel
    namespace: dict[str, object] = {"__name__": "__main__"}

    for index, cell in enumerate(code_cells):
        source = "".join(cell["source"])
        assert not any(line.lstrip().startswith(("%", "!")) for line in source.splitlines()), "no IPython magics"
        exec(compile(source, f"{notebook.name}[code cell {index}]", "exec"), namespace)  # noqa: S102 - our notebooks

    assert capsys.readouterr().out, f"{notebook.name} printed nothing"
