"""Bad input never crashes or hangs a review: each case gets a diagnostic and the run finishes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.model import DiagnosticKind
from reviewlab.engine.pipeline import review


def kinds(result) -> dict[str, DiagnosticKind]:
    return {d.path: d.kind for d in result.diagnostics}


def test_invalid_utf8_is_analysed_with_a_diagnostic(tmp_path: Path) -> None:
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nname = 'Jos\xe9'\neval(name + input())\n")
    result = review(tmp_path, ReviewConfig())
    assert [(f.path, f.span.start_line) for f in result.findings] == [("latin1.py", 3)]
    [diagnostic] = result.diagnostics
    assert diagnostic.kind is DiagnosticKind.DECODE_ERROR
    assert diagnostic.line == 1
    assert "invalid UTF-8" in diagnostic.message


def test_binary_with_a_source_name_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "image.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10)
    result = review(tmp_path, ReviewConfig())
    assert result.files == []
    assert kinds(result) == {"image.py": DiagnosticKind.SKIPPED_BINARY}


def test_huge_minified_file_is_skipped_without_reading_it(tmp_path: Path) -> None:
    line = b"var a=function(b){return eval(b)};"
    with (tmp_path / "bundle.js").open("wb") as handle:
        for _ in range(50 * 1024 * 1024 // (len(line) * 1024) + 1):
            handle.write(line * 1024)
    (tmp_path / "small.js").write_text("eval(x);\n")
    result = review(tmp_path, ReviewConfig())
    assert [f.path for f in result.files] == ["small.js"]
    assert kinds(result) == {"bundle.js": DiagnosticKind.SKIPPED_TOO_LARGE}
    assert "limit" in result.diagnostics[0].message


def test_size_limit_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n" * 100)
    assert kinds(review(tmp_path, ReviewConfig(max_file_size=100))) == {"a.py": DiagnosticKind.SKIPPED_TOO_LARGE}
    assert kinds(review(tmp_path, ReviewConfig(max_file_size=1000))) == {}


def test_empty_directory(tmp_path: Path) -> None:
    result = review(tmp_path, ReviewConfig())
    assert result.files == []
    assert result.findings == []
    assert [d.kind for d in result.diagnostics] == [DiagnosticKind.NO_FILES]


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    (tmp_path / "empty.py").write_bytes(b"")
    (tmp_path / "blank.go").write_bytes(b"\n\n   \n")
    result = review(tmp_path, ReviewConfig())
    assert [f.path for f in result.files] == ["blank.go", "empty.py"]
    assert result.diagnostics == []


def _without_dac_override() -> list[str]:
    """A command prefix that drops root's permission to bypass file modes, so EACCES is real."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={drop}", f"--bounding-set={drop}"]


def test_unreadable_file_and_directory_are_diagnostics(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text("eval(input())\n")
    secret = tmp_path / "secret.py"
    secret.write_text("eval(input())\n")
    secret.chmod(0)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inner.py").write_text("x = 1\n")
    locked.chmod(0)
    script = (
        "import json, sys\n"
        "from reviewlab.engine.config import ReviewConfig\n"
        "from reviewlab.engine.pipeline import review\n"
        "r = review(sys.argv[1], ReviewConfig())\n"
        "diag = {d.path: d.kind.value for d in r.diagnostics}\n"
        "print(json.dumps({'diag': diag, 'files': [f.path for f in r.files]}))\n"
    )
    proc = subprocess.run(
        [*_without_dac_override(), sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    locked.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["files"] == ["ok.py"]
    assert data["diag"] == {"secret.py": "unreadable", "locked": "unreadable"}


@pytest.mark.slow
def test_a_tree_of_100k_files(tmp_path: Path) -> None:
    for d in range(100):
        folder = tmp_path / f"d{d:03}"
        folder.mkdir()
        for f in range(1000):
            (folder / f"m{f:04}.py").write_bytes(b"x = 1\n" if f % 100 else b"eval(input())\n")
    result = review(tmp_path, ReviewConfig(), jobs=2)
    assert len(result.files) == 100_000
    assert len(result.findings) == 1000
    assert result.diagnostics == []
