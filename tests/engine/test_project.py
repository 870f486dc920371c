"""Taint across modules of the reviewed project: resolving imports, applying summaries, and the cache."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reviewlab.engine.cache import SqliteResultCache
from reviewlab.engine.config import ReviewConfig
from reviewlab.engine.pipeline import review
from reviewlab.engine.project import Project

VIEWS = """
import sqlite3
import subprocess

from flask import Flask, request

from .helpers import sql
from .helpers.sql import Thing, build_query, constant_query

app = Flask(__name__)


@app.route("/a")
def a():
    region = request.args["region"]
    cur = sqlite3.connect("x.db").cursor()
    cur.execute(build_query(region))
    cur.execute(constant_query(region))
    cur.execute(sql.build_query(region))
    thing = Thing()
    subprocess.run(thing.do_something(region), shell=True)
    return "ok"
"""

HELPERS = """
def build_query(region):
    return "SELECT * FROM sales WHERE region = '" + region + "'"


def constant_query(region):
    return "SELECT * FROM sales"


class Thing:
    def do_something(self, value):
        return value.strip()
"""


def write(root: Path, files: dict[str, str]) -> None:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def security_lines(root: Path, **kwargs: object) -> list[tuple[str, int, str]]:
    result = review(root, ReviewConfig(select=("PY-S",)), **kwargs)  # type: ignore[arg-type]
    return [(f.path, f.span.start_line, f.rule_id) for f in result.findings]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, {"app/__init__.py": "", "app/helpers/__init__.py": "", "app/views.py": VIEWS})
    write(tmp_path, {"app/helpers/sql.py": HELPERS})
    return tmp_path


def test_modules_resolve_like_python_imports_them(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/util.py": "", "pkg/sub/mod.py": "", "top.py": "", "side/a.py": ""})
    write(tmp_path, {"side/b.py": ""})
    index = Project(tmp_path, 1_000_000)
    assert index.module_file("pkg/sub/mod.py", "util", level=2) == "pkg/util.py"
    assert index.module_file("pkg/sub/mod.py", "", level=2) == "pkg/__init__.py"
    assert index.module_file("pkg/sub/mod.py", "pkg.util") == "pkg/util.py"
    assert index.module_file("pkg/sub/mod.py", "top") == "top.py"
    assert index.module_file("side/a.py", "b") == "side/b.py"  # a script's own directory is on sys.path
    assert index.module_file("side/a.py", "os") is None
    assert index.module_file("top.py", "x", level=5) is None  # never above the project root
    assert index.resolve("side/a.py", "b.helper") == ("side/b.py", "helper")
    assert index.resolve("top.py", "pkg.util.Factory.create") == ("pkg/util.py", "create")


def test_taint_flows_through_functions_and_methods_of_other_modules(project: Path) -> None:
    assert security_lines(project, jobs=1) == [
        ("app/views.py", 17, "PY-S003"),
        ("app/views.py", 19, "PY-S003"),
        ("app/views.py", 21, "PY-S002"),
    ]


def test_an_imported_module_is_parsed_once_however_small_the_parse_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reviewlab.engine import project as project_module

    for n in range(3):  # more importers of the helpers, each calling a module of its own first
        views = VIEWS.replace(
            "from .helpers import sql\n", f"from .helpers import sql\nfrom .helpers.more{n} import tidy\n"
        )
        views = views.replace('    region = request.args["region"]\n', '    region = tidy(request.args["region"])\n')
        write(project, {f"app/views{n}.py": views, f"app/helpers/more{n}.py": "def tidy(v):\n    return v\n"})
    monkeypatch.setattr(project_module, "_MAX_PARSED", 1)  # every other parse drops the helpers' tree
    parsed: list[str] = []
    parse = Project._parse

    def counting(self: Project, relpath: str) -> object:
        parsed.append(relpath)
        return parse(self, relpath)

    monkeypatch.setattr(Project, "_parse", counting)

    lines = security_lines(project, jobs=1)

    assert [line for path, line, _ in lines if path == "app/views2.py"] == [18, 20, 22]  # the flows still found
    assert len(lines) == 12  # in each of the four views
    assert parsed.count("app/helpers/sql.py") == 1  # summarised once, kept without its tree


def test_worker_processes_see_the_project_too(project: Path) -> None:
    assert [line for _, line, _ in security_lines(project, jobs=2)] == [17, 19, 21]


def test_a_changed_helper_invalidates_the_importers_cached_result(project: Path, tmp_path: Path) -> None:
    cache = SqliteResultCache(tmp_path / "cache.sqlite3")
    try:
        assert len(security_lines(project, jobs=1, cache=cache)) == 3
        helpers = project / "app/helpers/sql.py"
        helpers.write_text(helpers.read_text().replace("+ region +", "+ str(int(region)) +"))
        again = review(project, ReviewConfig(select=("PY-S",)), jobs=1, cache=cache)
        assert [f.span.start_line for f in again.findings] == [21]
        assert not next(f for f in again.files if f.path == "app/views.py").cached
        unchanged = review(project, ReviewConfig(select=("PY-S",)), jobs=1, cache=cache)
        assert next(f for f in unchanged.files if f.path == "app/views.py").cached
    finally:
        cache.close()


def test_modules_that_import_each_other_terminate(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.py": """
                import os
                from flask import request
                from b import pong

                def ping(value):
                    return pong(value)

                def handler():
                    os.system(ping(request.args["x"]))
            """,
            "b.py": """
                from a import ping

                def pong(value):
                    return ping(value)
            """,
        },
    )
    assert security_lines(tmp_path, jobs=1) == []


def test_a_single_file_review_resolves_its_siblings(project: Path) -> None:
    write(
        project,
        {
            "solo/main.py": """
                import os
                from flask import request
                from helper import command

                def handler():
                    os.system(command(request.args["x"]))
            """,
            "solo/helper.py": "def command(value):\n    return 'echo ' + value\n",
        },
    )
    assert security_lines(project / "solo/main.py", jobs=1) == [("main.py", 7, "PY-S002")]


def test_project_sources_and_sanitisers_from_the_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".reviewlab.toml": """
                [reviewlab.taint]
                sources = ["myapp.http.param", "raw_body"]
                sanitizers = { shell = ["myapp.safety.clean_command"], all = ["strict"] }
            """,
            "jobs.py": """
                import os
                from myapp.http import param
                from myapp.safety import clean_command, strict
                from myapp.context import raw_body

                def run():
                    os.system("echo " + param("name"))
                    os.system("echo " + raw_body)
                    os.system("echo " + clean_command(param("name")))
                    os.system("echo " + strict(param("name")))
            """,
        },
    )
    result = review(tmp_path, jobs=1)
    findings = [(f.span.start_line, f.message) for f in result.findings if f.rule_id == "PY-S002"]
    assert findings == [
        (8, "`os.system` receives a shell command from project source myapp.http.param() (line 8)."),
        (9, "`os.system` receives a shell command from project source raw_body (line 9)."),
    ]


def test_an_unknown_sink_class_in_the_config_is_a_clear_error(tmp_path: Path) -> None:
    from reviewlab.engine.config import load_config
    from reviewlab.errors import ConfigError

    config = tmp_path / ".reviewlab.toml"
    config.write_text('[reviewlab.taint]\nsanitizers = { sqll = ["x.quote"] }\n')
    with pytest.raises(ConfigError, match=r"unknown sink class.*sqll"):
        load_config(config)
