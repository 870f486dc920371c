"""Phase 1: the imports, package and type counts ``module_facts`` reads from each language, line-precise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reviewlab.engine.architecture import module_facts
from reviewlab.engine.architecture.facts import MAX_TEXT
from reviewlab.engine.languages import parser_for
from tests.engine.architecture.support import facts_of


def _imports(facts: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(i["spec"], i["kind"], i["line"]) for i in facts["imports"]]


def test_python_imports_every_form_with_lines() -> None:
    facts = facts_of(
        "pkg/mod.py",
        """\
        from __future__ import annotations
        import os, pkg.a.b as ab
        from . import sibling, other as o
        from ..up import (
            thing,
        )
        from .sub.deep import *
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from pkg.types import T
        else:
            import runtime_only


        def late():
            import json
            return json
        """,
    )
    assert _imports(facts) == [
        ("os", "import", 2),
        ("pkg.a.b", "import", 2),
        (".", "from", 3),
        ("..up", "from", 4),
        (".sub.deep", "from", 7),
        ("typing", "from", 8),
        ("pkg.types", "from", 11),
        ("runtime_only", "import", 13),
        ("json", "import", 17),
    ]
    by_spec = {i["spec"]: i for i in facts["imports"]}
    assert by_spec["."]["names"] == ["sibling", "other"]
    assert by_spec["..up"]["names"] == ["thing"]
    assert by_spec["..up"]["end_line"] == 6
    assert by_spec[".sub.deep"]["names"] == ["*"]
    assert by_spec["pkg.types"]["type_only"] is True
    assert by_spec["runtime_only"]["type_only"] is False
    assert by_spec["json"]["text"] == "import json"
    assert by_spec["json"]["column"] == 5
    assert facts["package"] is None
    assert facts["lines"] == 18


def test_python_abstract_types() -> None:
    facts = facts_of(
        "shapes.py",
        """\
        import abc
        from abc import ABC, ABCMeta, abstractmethod
        from typing import Protocol, TypeVar

        T = TypeVar("T")

        class Base(ABC): ...
        class Meta(metaclass=ABCMeta): ...
        class Proto(Protocol[T]): ...
        class WithAbstract:
            @abc.abstractmethod
            def area(self) -> float: ...
        class Concrete(Base):
            def area(self) -> float:
                return 1.0
        """,
    )
    assert (facts["types"], facts["abstract_types"]) == (5, 4)


def test_javascript_imports_requires_and_dynamic_imports() -> None:
    facts = facts_of(
        "src/app.js",
        """\
        import React from "react";
        import "./side-effect.css";
        export { helper } from "./helpers/index.js";
        export * from "./all";
        const util = require("./util");
        const notLiteral = require(name);
        const twoArgs = require("./x", 1);
        foo("./not-an-import");
        async function load() {
          return import("./lazy");
        }
        class Widget {}
        """,
    )
    assert _imports(facts) == [
        ("react", "import", 1),
        ("./side-effect.css", "import", 2),
        ("./helpers/index.js", "export", 3),
        ("./all", "export", 4),
        ("./util", "require", 5),
        ("./lazy", "dynamic", 10),
    ]
    assert (facts["types"], facts["abstract_types"]) == (1, 0)


@pytest.mark.parametrize("relpath", ["src/api.ts", "src/view.tsx"])
def test_typescript_type_imports_require_and_abstract_types(relpath: str) -> None:
    facts = facts_of(
        relpath,
        """\
        import type { User } from "./model";
        import { api } from "./client.js";
        import fs = require("fs");
        export type { Id } from "./ids";
        interface Repo {}
        abstract class Base {}
        class Impl extends Base {}
        """,
    )
    assert _imports(facts) == [
        ("./model", "import", 1),
        ("./client.js", "import", 2),
        ("fs", "import", 3),
        ("./ids", "export", 4),
    ]
    assert [i["type_only"] for i in facts["imports"]] == [True, False, False, True]
    assert (facts["types"], facts["abstract_types"]) == (3, 2)


def test_java_package_imports_and_types() -> None:
    facts = facts_of(
        "src/main/java/com/acme/shop/Cart.java",
        """\
        package com.acme.shop;

        import java.util.List;
        import com.acme.shop.model.*;
        import static com.acme.shop.Prices.total;
        import static org.junit.Assert.*;

        public abstract class Cart {
            interface Listener {}
            enum State { OPEN }
            record Line(int qty) {}
            static class Impl {}
        }
        """,
    )
    assert facts["package"] == "com.acme.shop"
    assert _imports(facts) == [
        ("java.util.List", "import", 3),
        ("com.acme.shop.model.*", "import", 4),
        ("com.acme.shop.Prices.total", "static", 5),
        ("org.junit.Assert.*", "static", 6),
    ]
    assert (facts["types"], facts["abstract_types"]) == (5, 2)


def test_go_package_import_specs_and_interfaces() -> None:
    facts = facts_of(
        "internal/store/store.go",
        """\
        package store

        import "fmt"
        import (
            "example.com/shop/internal/model"
            db `database/sql`
            _ "example.com/shop/internal/driver"
        )

        type Store interface { Get() }
        type memory struct{}
        type Alias = memory
        """,
    )
    assert facts["package"] == "store"
    assert _imports(facts) == [
        ("fmt", "import", 3),
        ("example.com/shop/internal/model", "import", 5),
        ("database/sql", "import", 6),
        ("example.com/shop/internal/driver", "import", 7),
    ]
    assert facts["imports"][2]["text"] == "db `database/sql`"
    assert (facts["types"], facts["abstract_types"]) == (2, 1)


@pytest.mark.parametrize(
    ("relpath", "source"),
    [
        ("broken.py", "from . import (\nimport\nclass :\n"),
        ("broken.js", 'import { from "./x"\nrequire(\n'),
        ("Broken.java", "package ;\nimport static ;\nclass {"),
        ("broken.go", 'package\nimport (\n"unterminated\n'),
        ("empty.py", ""),
        ("binaryish.py", "\x00\x01 import \udcff"),
    ],
)
def test_odd_input_gives_json_facts_without_raising(relpath: str, source: str) -> None:
    data = source.encode("utf-8", "surrogateescape")
    language = {"py": "python", "js": "javascript", "java": "java", "go": "go"}[relpath.rpartition(".")[2]]
    facts = module_facts(relpath, language, parser_for(language).parse(data), data)
    assert json.loads(json.dumps(facts)) == facts
    assert facts["language"] == language


def test_import_text_is_truncated() -> None:
    long_name = "m" * 400
    facts = facts_of("a.py", f"import {long_name}\n")
    assert len(facts["imports"][0]["text"]) == MAX_TEXT
    assert facts["imports"][0]["spec"] == long_name


def test_unsupported_language_has_no_imports() -> None:
    data = b"import os\n"
    facts = module_facts("notes.txt", "text", parser_for("python").parse(data), data)
    assert facts["imports"] == []
    assert facts["lines"] == 1
