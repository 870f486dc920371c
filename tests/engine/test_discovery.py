"""Discovery: .gitignore, built-in excludes, languages by extension and shebang, what is passed over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.discovery import discover
from reviewlab.engine.languages import language_for_path, language_for_shebang
from reviewlab.engine.model import Diagnostic, DiagnosticKind
from reviewlab.errors import InputError, PathNotFoundError


def write(root: Path, relpath: str, text: str = "x = 1\n") -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(root: Path, config: ReviewConfig | None = None) -> tuple[dict[str, str], list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    files = {f.relpath: f.language for f in discover(root, config or ReviewConfig(), diagnostics)}
    return files, diagnostics


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("a.py", "python"),
        ("a.PY", "python"),
        ("a.js", "javascript"),
        ("a.mjs", "javascript"),
        ("a.jsx", "javascript"),
        ("a.ts", "typescript"),
        ("a.tsx", "tsx"),
        ("A.java", "java"),
        ("main.go", "go"),
        ("README.md", None),
        ("Makefile", None),
        (".py", None),
    ],
)
def test_language_by_extension(name: str, language: str | None) -> None:
    assert language_for_path(name) == language


@pytest.mark.parametrize(
    ("head", "language"),
    [
        (b"#!/usr/bin/env python3\n", "python"),
        (b"#!/usr/bin/python3.11\n", "python"),
        (b"#!/usr/bin/env -S python3 -u\n", "python"),
        (b"#!/usr/bin/env node\n", "javascript"),
        (b"#!/bin/sh\n", None),
        (b"print(1)\n", None),
    ],
)
def test_language_by_shebang(head: bytes, language: str | None) -> None:
    assert language_for_shebang(head) == language


def test_gitignore_nested_and_builtin_excludes(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "generated/\n*.gen.py\n")
    write(tmp_path, "app/main.py")
    write(tmp_path, "app/model.gen.py")
    write(tmp_path, "generated/out.py")
    write(tmp_path, "app/.gitignore", "local_*.py\n!local_keep.py\n")
    write(tmp_path, "app/local_secret.py")
    write(tmp_path, "app/local_keep.py")
    write(tmp_path, "lib/local_other.py")  # the nested .gitignore applies only below app/
    write(tmp_path, "node_modules/pkg/index.js")
    write(tmp_path, "web/vendor/jquery.js")
    write(tmp_path, ".venv/lib/site.py")
    write(tmp_path, "build/lib/copy.py")
    write(tmp_path, ".git/hooks/pre-commit.py")
    write(tmp_path, "bin/tool", "#!/usr/bin/env python3\nprint(1)\n")
    write(tmp_path, "notes.txt")
    files, diagnostics = found(tmp_path)
    assert files == {
        "app/main.py": "python",
        "app/local_keep.py": "python",
        "lib/local_other.py": "python",
        "bin/tool": "python",
    }
    assert diagnostics == []


def test_config_excludes(tmp_path: Path) -> None:
    write(tmp_path, "src/a.py")
    write(tmp_path, "src/migrations/0001.py")
    write(tmp_path, "static/app.min.js")
    files, _ = found(tmp_path, ReviewConfig(exclude=("migrations/", "*.min.js")))
    assert set(files) == {"src/a.py"}


def test_order_is_stable(tmp_path: Path) -> None:
    for name in ("b.py", "a.py", "z/c.py", "m/d.py"):
        write(tmp_path, name)
    files, _ = found(tmp_path)
    assert list(files) == ["a.py", "b.py", "m/d.py", "z/c.py"]


def test_single_file_root(tmp_path: Path) -> None:
    path = write(tmp_path, "one.go", "package main\n")
    files, _ = found(path)
    assert files == {"one.go": "go"}


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(PathNotFoundError, match="does not exist"):
        found(tmp_path / "nope")


def test_unsupported_single_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a file of a supported language"):
        found(write(tmp_path, "notes.txt"))


def test_symlinks_are_reported_not_followed(tmp_path: Path) -> None:
    write(tmp_path, "real/a.py")
    (tmp_path / "link.py").symlink_to(tmp_path / "real" / "a.py")
    (tmp_path / "dirlink").symlink_to(tmp_path / "real")
    (tmp_path / "loop_a").symlink_to(tmp_path / "loop_b")
    (tmp_path / "loop_b").symlink_to(tmp_path / "loop_a")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    files, diagnostics = found(tmp_path)
    assert files == {"real/a.py": "python"}
    kinds = {d.path: d.kind for d in diagnostics}
    assert kinds == {
        "dangling.py": DiagnosticKind.SKIPPED_SYMLINK,
        "dirlink": DiagnosticKind.SKIPPED_SYMLINK,
        "link.py": DiagnosticKind.SKIPPED_SYMLINK,
        "loop_a": DiagnosticKind.SYMLINK_LOOP,
        "loop_b": DiagnosticKind.SYMLINK_LOOP,
    }


def test_root_symlink_loop_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(InputError, match="symlink loop"):
        found(tmp_path / "a")


def test_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "extensionless")
    write(tmp_path, "ok.py")
    files, diagnostics = found(tmp_path)
    assert files == {"ok.py": "python"}
    assert [(d.path, d.kind) for d in diagnostics] == [("pipe.py", DiagnosticKind.SKIPPED_SPECIAL)]


def test_deep_nesting_does_not_recurse(tmp_path: Path) -> None:
    levels = [str(tmp_path)]
    for _ in range(1200):
        levels.append(levels[-1] + "/d")
        os.mkdir(levels[-1])
    leaf = write(Path(levels[-1]), "leaf.py")
    try:
        files, _ = found(tmp_path)
        assert len(files) == 1
    finally:
        # Remove the chain bottom-up here: shutil.rmtree (pytest's temp cleanup) recurses and would fail on it.
        leaf.unlink()
        for level in reversed(levels[1:]):
            os.rmdir(level)
