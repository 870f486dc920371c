"""Building blocks of the lifecycle tests: a small labelled dataset, candidates, and a lab directory.

The small dataset (four Python cases: command injection, SQL injection, a string built in a loop, a clean
file) keeps an evaluation under two seconds; the curated dataset in ``experiments/datasets/core`` is used
where a test says so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reviewlab.lifecycle.candidates import Candidate, parse_candidate
from reviewlab.lifecycle.dataset import Case, Dataset, Label, write_dataset

REPO = Path(__file__).resolve().parents[2]
EXPERIMENTS = REPO / "experiments"

COMMAND = b"""import subprocess


def run(request):
    command = request.args["cmd"]
    return subprocess.run(command, shell=True)
"""
SQL = b"""def find(db, request):
    name = request.args["name"]
    cursor = db.cursor()
    cursor.execute(f"SELECT * FROM users WHERE name = '{name}'")
    return cursor.fetchall()
"""
LOOP = b"""def render(rows):
    html = ""
    for row in rows:
        html += "<li>" + str(row) + "</li>"
    return html
"""
CLEAN = b"""def find(db, name):
    cursor = db.cursor()
    cursor.execute("SELECT * FROM users WHERE name = ?", (name,))
    return cursor.fetchall()
"""


def small_dataset() -> Dataset:
    return Dataset(
        "small",
        (
            Case(
                "py-command",
                "python",
                {"app.py": COMMAND},
                frozenset({"security"}),
                (Label("app.py", 6, "security", 78),),
            ),
            Case("py-sql", "python", {"db.py": SQL}, frozenset({"security"}), (Label("db.py", 4, "security", 89),)),
            Case(
                "py-loop",
                "python",
                {"page.py": LOOP},
                frozenset({"performance"}),
                (Label("page.py", 4, "performance"),),
            ),
            Case("py-clean", "python", {"db.py": CLEAN}, frozenset({"security", "performance"}), clean=True),
        ),
        description="four Python cases for fast lifecycle tests",
    )


def candidate(text: str) -> Candidate:
    return parse_candidate(text, source="test")


STATIC_DEFAULT = candidate("name: static-default")
SECURITY_ONLY = candidate("name: security-only\nrule_pack: {select: [PY-S, SEC-]}")  # misses the loop: worse
NOTHING = candidate("name: nothing\nrule_pack: {select: [GEN-A]}")  # finds none of the labels


def lab_directory(root: Path, dataset: Dataset | None = None) -> Path:
    """An experiments directory under ``root``: the repository's candidates and policy, and ``dataset`` (the
    small one by default) as ``datasets/core``."""
    lab = root / "experiments"
    shutil.copytree(EXPERIMENTS / "candidates", lab / "candidates")
    shutil.copy(EXPERIMENTS / "policy.yaml", lab / "policy.yaml")
    write_dataset(dataset or small_dataset(), lab / "datasets" / "core")
    return lab
