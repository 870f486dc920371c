"""Resolution of imports to the project's own modules, per language; everything else is external."""

from __future__ import annotations

from pathlib import Path

from tests.engine.architecture.support import edges_of, graph_of, module

# -- Python ------------------------------------------------------------------------------------------


def test_python_absolute_relative_and_package_imports() -> None:
    report = graph_of(
        {
            "app/__init__.py": "from .core import run\n",
            "app/core.py": "import os\nimport app.util.text\nfrom . import models, VERSION\n",
            "app/models.py": "from .util import text as t\nfrom .util.text import slug\n",
            "app/util/__init__.py": "",
            "app/util/text.py": "from ..models import Model\nfrom ... import beyond\n",
            "app/cli.py": "import app.util.text.slug\nfrom app import core\nfrom app.missing import thing\n",
        }
    )
    assert edges_of(report) == {
        ("app/__init__.py", "app/core.py"),
        ("app/core.py", "app/util/text.py"),
        ("app/core.py", "app/models.py"),
        ("app/core.py", "app/__init__.py"),  # VERSION is not a module: it comes from the package
        ("app/models.py", "app/util/text.py"),
        ("app/util/text.py", "app/models.py"),
        ("app/cli.py", "app/util/text.py"),  # slug is an attribute: the longest module prefix
        ("app/cli.py", "app/core.py"),
        ("app/cli.py", "app/__init__.py"),  # app.missing falls back to the package
    }
    assert module(report, "app/core.py").name == "app.core"
    assert module(report, "app/util/__init__.py").name == "app.util"
    assert module(report, "app/core.py").external == ("os",)
    assert module(report, "app/util/text.py").unresolved == ("...",)  # above the top package


def test_python_src_layout_and_tests_outside_the_package() -> None:
    report = graph_of(
        {
            "src/shop/__init__.py": "",
            "src/shop/cart.py": "from shop.prices import total\n",
            "src/shop/prices.py": "",
            "tests/test_cart.py": "from shop.cart import Cart\nimport conftest\n",
            "tests/conftest.py": "import shop\n",
        }
    )
    assert edges_of(report) == {
        ("src/shop/cart.py", "src/shop/prices.py"),
        ("tests/test_cart.py", "src/shop/cart.py"),
        ("tests/test_cart.py", "tests/conftest.py"),
        ("tests/conftest.py", "src/shop/__init__.py"),
    }
    assert module(report, "src/shop/cart.py").name == "shop.cart"


def test_python_project_reviewed_from_a_parent_directory() -> None:
    report = graph_of(
        {
            "services/billing/src/billing/__init__.py": "",
            "services/billing/src/billing/invoice.py": "from billing.tax import rate\n",
            "services/billing/src/billing/tax.py": "",
        }
    )
    assert edges_of(report) == {
        ("services/billing/src/billing/invoice.py", "services/billing/src/billing/tax.py"),
    }


def test_python_namespace_packages_without_init_files() -> None:
    report = graph_of(
        {
            "app/api/routes.py": "from app.domain import orders\nfrom app.domain.orders import place\n",
            "app/domain/orders.py": "",
            "scripts/run.py": "import helpers\n",
            "scripts/helpers.py": "",
        }
    )
    assert edges_of(report) == {
        ("app/api/routes.py", "app/domain/orders.py"),
        ("scripts/run.py", "scripts/helpers.py"),
    }


def test_python_root_that_is_itself_a_package_is_named_after_its_directory(tmp_path: Path) -> None:
    root = tmp_path / "mylib"
    report = graph_of(
        {
            "__init__.py": "from mylib.core import api\n",
            "core/__init__.py": "",
            "core/api.py": "from .. import version\nfrom mylib import util\n",
            "version.py": "",
            "util.py": "",
        },
        root=root,
    )
    assert edges_of(report) == {
        ("__init__.py", "core/api.py"),
        ("core/api.py", "version.py"),
        ("core/api.py", "util.py"),
    }
    assert module(report, "core/api.py").name == "mylib.core.api"


def test_python_lone_modules_are_found_only_beside_their_importer() -> None:
    report = graph_of(
        {
            "scripts/json.py": "",
            "scripts/run.py": "import json\n",
            "app/__init__.py": "",
            "app/core.py": "import json\nimport scripts.json\n",
            "src/single.py": "",
            "tests/test_single.py": "import single\n",
        }
    )
    assert edges_of(report) == {
        ("scripts/run.py", "scripts/json.py"),
        ("app/core.py", "scripts/json.py"),  # by its full name
        ("tests/test_single.py", "src/single.py"),  # a src/ directory is a source root
    }
    assert module(report, "app/core.py").external == ("json",)


def test_python_same_name_resolves_to_the_nearest_file() -> None:
    report = graph_of(
        {
            "one/main.py": "import helpers\n",
            "one/helpers.py": "",
            "two/main.py": "import helpers\n",
            "two/helpers.py": "",
        }
    )
    assert edges_of(report) == {("one/main.py", "one/helpers.py"), ("two/main.py", "two/helpers.py")}


# -- JavaScript / TypeScript -------------------------------------------------------------------------


def test_javascript_extension_index_require_and_dynamic_resolution() -> None:
    report = graph_of(
        {
            "src/app.js": (
                'import { a } from "./a";\n'
                'import b from "./b.js";\n'
                'const c = require("./lib");\n'
                'const d = import("../shared/d.mjs");\n'
                'import React from "react";\n'
                'import { x } from "@scope/pkg/sub";\n'
                'import fs from "node:fs";\n'
                'import gone from "./gone";\n'
            ),
            "src/a.jsx": "",
            "src/b.js": "",
            "src/lib/index.js": "",
            "shared/d.mjs": "",
        }
    )
    assert edges_of(report) == {
        ("src/app.js", "src/a.jsx"),
        ("src/app.js", "src/b.js"),
        ("src/app.js", "src/lib/index.js"),
        ("src/app.js", "shared/d.mjs"),
    }
    app = module(report, "src/app.js")
    assert app.external == ("@scope/pkg", "node:fs", "react")
    assert app.unresolved == ("./gone",)
    edge = next(e for e in report.edges if e.target == "shared/d.mjs")
    assert [s.span.start_line for s in edge.sites] == [4]


def test_typescript_resolves_js_specifiers_to_ts_sources_and_index_files() -> None:
    report = graph_of(
        {
            "src/main.ts": 'import { api } from "./client.js";\nimport { ui } from "./ui";\nimport "..";\n',
            "src/client.ts": "",
            "src/ui/index.tsx": 'export * from "../main";\n',
            "index.ts": "",
        }
    )
    assert edges_of(report) == {
        ("src/main.ts", "src/client.ts"),
        ("src/main.ts", "src/ui/index.tsx"),
        ("src/main.ts", "index.ts"),
        ("src/ui/index.tsx", "src/main.ts"),
    }


# -- Java --------------------------------------------------------------------------------------------


def test_java_explicit_wildcard_static_and_nested_imports() -> None:
    java = "src/main/java/com/acme"
    report = graph_of(
        {
            f"{java}/app/Main.java": (
                "package com.acme.app;\n"
                "import com.acme.model.*;\n"
                "import com.acme.util.Strings;\n"
                "import static com.acme.util.Numbers.parse;\n"
                "import com.acme.util.Numbers.Parser;\n"
                "import java.util.List;\n"
                "import static org.junit.Assert.*;\n"
                "import com.google.common.collect.*;\n"
            ),
            f"{java}/model/User.java": "package com.acme.model;\nimport com.acme.model.*;\n",
            f"{java}/model/Order.java": "package com.acme.model;\n",
            f"{java}/util/Strings.java": "package com.acme.util;\n",
            f"{java}/util/Numbers.java": "package com.acme.util;\n",
        }
    )
    assert edges_of(report) == {
        (f"{java}/app/Main.java", f"{java}/model/User.java"),
        (f"{java}/app/Main.java", f"{java}/model/Order.java"),
        (f"{java}/app/Main.java", f"{java}/util/Strings.java"),
        (f"{java}/app/Main.java", f"{java}/util/Numbers.java"),
        (f"{java}/model/User.java", f"{java}/model/Order.java"),  # its own package's wildcard, not itself
    }
    main = module(report, f"{java}/app/Main.java")
    assert main.name == "com.acme.app.Main"
    assert main.external == ("com.google.common.collect", "java.util", "org.junit")
    numbers = next(e for e in report.edges if e.target.endswith("Numbers.java"))
    assert [s.span.start_line for s in numbers.sites] == [4, 5]


# -- Go ----------------------------------------------------------------------------------------------


def test_go_packages_resolve_through_go_mod(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("// the shop\nmodule example.com/shop // trailing\n\ngo 1.22\n")
    report = graph_of(
        {
            "main.go": 'package main\nimport (\n\t"fmt"\n\t"example.com/shop/internal/store"\n)\n',
            "internal/store/store.go": 'package store\nimport "example.com/shop/internal/model"\n',
            "internal/store/cache.go": 'package store\nimport "example.com/shop/internal/model"\n',
            "internal/store/store_test.go": (
                'package store_test\nimport (\n\t"example.com/shop/internal/store"\n\t"example.com/shop"\n)\n'
            ),
            "internal/store/inner_test.go": 'package store\nimport "testing"\n',
            "internal/model/model.go": "package model\n",
        },
        root=tmp_path,
    )
    assert [m.id for m in report.modules] == [".", "internal/model", "internal/store", "internal/store/_test"]
    assert edges_of(report) == {
        (".", "internal/store"),
        ("internal/store", "internal/model"),
        ("internal/store/_test", "internal/store"),
        ("internal/store/_test", "."),  # the external test package may import what imports the package
    }
    assert module(report, "internal/store/_test").name == "example.com/shop/internal/store_test"
    store = module(report, "internal/store")
    assert store.name == "example.com/shop/internal/store"
    assert store.path == "internal/store/cache.go"
    assert store.external == ("testing",)
    edge = next(e for e in report.edges if e.source == "internal/store")
    assert [(s.path, s.span.start_line) for s in edge.sites] == [
        ("internal/store/cache.go", 2),
        ("internal/store/store.go", 2),
    ]
    assert module(report, ".").external == ("fmt",)
    assert report.cycles == ()


def test_go_nested_modules(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/root\n")
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "go.mod").write_text('module "example.com/tools"\n')
    report = graph_of(
        {
            "cmd/main.go": 'package main\nimport "example.com/tools/gen"\nimport "example.com/root/tools/gen"\n',
            "tools/gen/gen.go": "package gen\n",
        },
        root=tmp_path,
    )
    assert edges_of(report) == {("cmd", "tools/gen")}
    assert module(report, "cmd").external == ("example.com/root/tools/gen",)


def test_go_without_or_with_a_malformed_go_mod_resolves_nothing(tmp_path: Path) -> None:
    files = {
        "a/a.go": 'package a\nimport "example.com/m/b"\n',
        "b/b.go": "package b\n",
    }
    assert edges_of(graph_of(files)) == set()
    (tmp_path / "go.mod").write_bytes(b"\xff\xfe garbage\nmodule\n")
    report = graph_of(files, root=tmp_path)
    assert edges_of(report) == set()
    assert module(report, "a").external == ("example.com/m/b",)
