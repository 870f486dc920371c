"""GEN-A002: imports across forbidden layer boundaries, and the validation of ``[reviewlab.architecture]``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from reviewlab.engine.architecture import ArchitectureConfig, LayerConfig
from tests.engine.architecture.support import graph_of

CONFIG = """
[reviewlab.architecture]
max_fan_out = 20

[[reviewlab.architecture.layers]]
name = "domain"
paths = ["src/app/domain/"]
must_not_import = ["api", "infra"]

[[reviewlab.architecture.layers]]
name = "api"
paths = ["./src/app/api"]

[[reviewlab.architecture.layers]]
name = "infra"
paths = ["src/app/infra/", "src/app/settings.py"]
must_not_import = ["api"]
"""

PROJECT = {
    "src/app/__init__.py": "",
    "src/app/settings.py": "",
    "src/app/domain/__init__.py": "",
    "src/app/domain/orders.py": (
        "from app.domain import values\n"
        "from app.api import schemas\n"
        "from app.api import schemas\n"
        "import app.settings, app.api.routes\n"
    ),
    "src/app/domain/values.py": "",
    "src/app/api/__init__.py": "",
    "src/app/api/schemas.py": "",
    "src/app/api/routes.py": "from app.domain.orders import place\n",
    "src/app/infra/__init__.py": "",
    "src/app/infra/db.py": "from app.domain import orders\n",
}


def _config(text: str = CONFIG) -> ArchitectureConfig:
    return ArchitectureConfig.model_validate(tomllib.loads(text)["reviewlab"]["architecture"])


def test_violations_at_each_import_statement() -> None:
    report = graph_of(PROJECT, config=_config())
    found = [(f.rule_id, f.path, f.span.start_line, f.message) for f in report.findings if f.rule_id == "GEN-A002"]
    assert found == [
        ("GEN-A002", "src/app/domain/orders.py", 2, "domain must not import api: `from app.api import schemas`"),
        ("GEN-A002", "src/app/domain/orders.py", 3, "domain must not import api: `from app.api import schemas`"),
        (
            "GEN-A002",
            "src/app/domain/orders.py",
            4,
            "domain must not import api, infra: `import app.settings, app.api.routes`",
        ),
    ]
    layering = [f for f in report.findings if f.rule_id == "GEN-A002"]
    assert layering[0].snippet == "from app.api import schemas"
    assert layering[0].cwe == 1054
    assert len({f.fingerprint for f in layering}) == 3  # the repeated line counts its occurrence


def test_layer_fingerprint_survives_moving_the_line() -> None:
    config = _config()
    before = graph_of(PROJECT, config=config).findings
    moved = {**PROJECT, "src/app/domain/orders.py": "\n\n" + PROJECT["src/app/domain/orders.py"]}
    after = graph_of(moved, config=config).findings
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert [f.span.start_line for f in before] != [f.span.start_line for f in after]


def test_go_layers_match_package_directories(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/shop\n")
    config = ArchitectureConfig(
        layers=(
            LayerConfig(name="domain", paths=("internal/domain",), must_not_import=("web",)),
            LayerConfig(name="web", paths=("internal/web/",)),
        )
    )
    report = graph_of(
        {
            "internal/domain/order.go": 'package domain\nimport (\n\t"fmt"\n\t"example.com/shop/internal/web"\n)\n',
            "internal/web/server.go": 'package web\nimport "example.com/shop/internal/domain"\n',
        },
        root=tmp_path,
        config=config,
    )
    layering = [f for f in report.findings if f.rule_id == "GEN-A002"]
    assert [(f.path, f.span.start_line, f.message) for f in layering] == [
        ("internal/domain/order.go", 4, 'domain must not import web: `"example.com/shop/internal/web"`'),
    ]


def test_most_specific_layer_path_wins() -> None:
    config = ArchitectureConfig(
        layers=(
            LayerConfig(name="app", paths=("app",), must_not_import=("tests",)),
            LayerConfig(name="fixtures", paths=("app/testing",)),
            LayerConfig(name="tests", paths=("tests",)),
        )
    )
    assert config.layer_of("app/testing/fake.py") == config.layers[1]
    assert config.layer_of("app/core.py") == config.layers[0]
    assert config.layer_of("application.py") is None
    assert config.layer_of("tests") == config.layers[2]


def test_config_defaults_and_toml_form() -> None:
    config = _config()
    assert (config.max_fan_out, config.max_fan_in, config.max_lines) == (20, 0, 1000)
    assert config.layers[1].paths == ("src/app/api",)
    assert ArchitectureConfig().layers == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"layers": [{"name": "domain", "paths": ["d/"], "must_not_import": ["apii"]}]},
            "layer 'domain': must_not_import names unknown layer(s) apii; defined layers: domain",
        ),
        ({"layers": [{"name": "domain", "paths": []}]}, "paths"),
        ({"layers": [{"name": "domain", "paths": ["./"]}]}, "a layer path must name a directory or file"),
        ({"layers": [{"name": "", "paths": ["d"]}]}, "name"),
        ({"layers": [{"name": "d", "paths": ["x"]}, {"name": "d", "paths": ["y"]}]}, "defined more than once: d"),
        ({"layers": [{"name": "d", "paths": ["x"], "must_not_import": "d"}]}, "names the layer itself"),
        ({"layers": [{"name": "d", "paths": ["x"], "may_import": ["e"]}]}, "may_import"),
        ({"max_fan_out": -1}, "max_fan_out"),
        ({"max_fanout": 3}, "max_fanout"),
    ],
)
def test_config_errors_are_clear(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ArchitectureConfig.model_validate(data)
    assert message in str(caught.value)


def test_config_is_frozen() -> None:
    config = ArchitectureConfig()
    with pytest.raises(ValidationError):
        config.max_lines = 5
