"""Unit tests of the Python taint engine on small snippets."""

from __future__ import annotations

import textwrap

import pytest
import tree_sitter

from reviewlab.engine.languages import parser_for
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.taint import Taint, enclosing_flow, flow_for, module_flows, spec

HEADER = "from flask import request\nimport os, sys, shlex, html\nfrom pathlib import Path\n"


def context(code: str) -> FileContext:
    source = (HEADER + textwrap.dedent(code)).encode()
    tree = parser_for("python").parse(source)
    return FileContext("snippet.py", "python", source, tree, {})


def sinks(ctx: FileContext) -> list[tree_sitter.Node]:
    found: list[tree_sitter.Node] = []
    stack = [ctx.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "call" and (node.child_by_field_name("function") or node).text == b"sink":
            found.append(node)
        stack.extend(node.named_children)
    return sorted(found, key=lambda n: n.start_byte)


def taints(code: str) -> list[Taint | None]:
    """The taint of the first argument of every ``sink(...)`` call, in source order."""
    ctx = context(code)
    result = []
    for call in sinks(ctx):
        args = call.child_by_field_name("arguments")
        assert args is not None
        result.append(enclosing_flow(call, ctx).taint_of(args.named_children[0]))
    return result


def labels(code: str) -> list[str | None]:
    return [t.source if t is not None else None for t in taints(code)]


def test_sources() -> None:
    code = """
    def f(request2):
        sink(request.args["a"])
        sink(request.get_json())
        sink(input())
        sink(sys.argv[1])
        sink(os.environ["HOME"])
        sink(os.environ.get("HOME"))
        sink(os.getenv("HOME"))
        sink(sys.stdin.readline())
        sink(request2.args)

    def django_view(request):
        sink(request.GET["q"])
        sink(request.body)
    """
    assert labels(code) == [
        "flask request.args",
        "flask request.get_json()",
        "input()",
        "sys.argv",
        "os.environ",
        "os.environ",
        "os.getenv()",
        "sys.stdin",
        None,
        "django request.GET",
        "django request.body",
    ]


def test_route_parameters_are_sources_but_injected_ones_are_not() -> None:
    code = """
    @router.get("/items/{item}")
    def handler(item: str, db=Depends(get_db), *, page=1):
        sink(item)
        sink(db)

    def plain(item):
        sink(item)
    """
    assert labels(code) == ["route parameter `item`", None, None]


def test_propagation_through_each_construct() -> None:
    code = """
    def f():
        a = request.args["x"]
        b = a
        b += "!"
        c, d = "k", a
        e = f"pre {a}"
        g = "%s" % a
        h = "{}".format(a)
        i = "p" + a
        j = ",".join([a, "x"])
        k = a.strip().lower().replace("x", "y")
        m = a[0]
        n = a.attr
        o = {"key": a}
        p = [x for x in a]
        q = (a, 1)
        r = Path("/base", a)
        parts = []
        parts.append(a)
        obj.field = a
        sink(b)
        sink(c)
        sink(d)
        sink(e)
        sink(g)
        sink(h)
        sink(i)
        sink(j)
        sink(k)
        sink(m)
        sink(n)
        sink(o)
        sink(p)
        sink(q)
        sink(r)
        sink(parts)
        sink(obj.field)
        sink([y for y in p])
    """
    result = labels(code)
    assert result[1] is None  # c got the constant
    assert all(label == "flask request.args" for i, label in enumerate(result) if i != 1), result


def test_kills_and_sanitisers() -> None:
    code = """
    def f():
        a = request.args["x"]
        a = "constant"
        sink(a)
        b = int(request.args["n"])
        sink(b)
        c = len(request.args["n"])
        sink(c)
        d = os.path.basename(request.args["n"])
        sink(d)
        e = shlex.quote(request.args["n"])
        sink(e)
        f = unknown_function(request.args["n"])
        sink(f)
    """
    found = taints(code)
    assert found[:3] == [None, None, None]
    assert found[3] is not None
    assert not found[3].reaches(spec.PATH)
    assert found[3].reaches(spec.SHELL)
    assert found[4] is not None
    assert not found[4].reaches(spec.SHELL)
    assert found[4].reaches(spec.PATH)
    assert found[5] is None


def test_branches_merge_and_dead_branches_are_skipped() -> None:
    code = """
    def f(flag):
        a = "x"
        if flag:
            a = request.args["a"]
        else:
            pass
        sink(a)
        b = "x"
        if False:
            b = request.args["b"]
            sink(b)
        sink(b)
        c = request.args["c"]
        if 1:
            c = "safe"
        else:
            c = request.args["c"]
        sink(c)
        d = request.args["d"]
        if flag:
            return
        elif other:
            d = "x"
        sink(d)
        while False:
            sink(d)
    """
    assert labels(code) == ["flask request.args", None, None, None, "flask request.args", None]


def test_allowlist_and_containment_guards() -> None:
    code = """
    def f():
        a = request.args["a"]
        if a not in ALLOWED:
            abort(400)
        sink(a)
        b = request.args["b"]
        if b in ALLOWED:
            sink(b)
        sink(b)
        p = os.path.realpath(request.args["p"])
        if not p.startswith(BASE):
            raise ValueError(p)
        sink(p)
        for name in request.args.getlist("n"):
            if name not in ALLOWED:
                continue
            sink(name)
    """
    found = taints(code)
    assert found[0] is None
    assert found[1] is None
    assert found[2] is not None
    assert found[3] is not None
    assert not found[3].reaches(spec.PATH)
    assert found[3].reaches(spec.SHELL)
    assert found[4] is None


def test_summaries_through_helper_functions() -> None:
    code = """
    def join_base(base, name):
        cleaned = name.strip()
        return base + "/" + cleaned

    def first_only(a, b):
        return a

    def read_name():
        return request.args["name"]

    def to_int(value):
        return int(value)

    class View:
        def helper(self, value):
            return f"x{value}"

        def handle(self):
            sink(self.helper(request.args["v"]))

    def f():
        tainted = request.args["x"]
        sink(join_base("/srv", tainted))
        sink(join_base(tainted, "const"))
        sink(first_only("const", tainted))
        sink(first_only(b="const", a=tainted))
        sink(read_name())
        sink(to_int(tainted))

    def recursive(x):
        return recursive(x)

    def g():
        sink(recursive(request.args["x"]))
    """
    assert labels(code) == [
        "flask request.args",
        "flask request.args",
        "flask request.args",
        None,
        "flask request.args",
        "flask request.args",
        None,
        None,
    ]


def test_loops_carry_taint_around_and_terminate() -> None:
    code = """
    def f():
        a = "x"
        b = "y"
        for item in range(10):
            sink(b)
            b = a
            a = request.args["a"]
        sink(b)
        while True:
            c = c + request.args["c"]
        for x in request.args.getlist("x"):
            sink(x)
    """
    assert labels(code) == ["flask request.args", "flask request.args", "flask request.args"]


def test_path_goes_from_source_to_sink_in_order() -> None:
    code = """
    def f():
        a = request.args["a"]
        b = a.strip()
        c = f"/srv/{b}"
        sink(c)
    """
    (taint,) = taints(code)
    assert taint is not None
    rows = [node.start_point.row for node in taint.path]
    assert rows == sorted(rows)
    assert len(taint.path) == 4
    assert taint.path[0].type == "subscript" or taint.path[0].type == "attribute"
    assert taint.line == taint.path[0].start_point.row + 1


def test_fixed_host_prefix_sanitises_for_urls_only() -> None:
    code = """
    def f():
        item = request.args["item"]
        sink(f"https://api.example.com/{item}")
        sink(f"{item}/x")
        sink("https://api.example.com/" + item)
        sink("https://{}/x".format(item))
    """
    found = taints(code)
    assert found[0] is not None
    assert not found[0].reaches(spec.URL)
    assert found[0].reaches(spec.PATH)
    assert found[1] is not None
    assert found[1].reaches(spec.URL)
    assert found[2] is not None
    assert not found[2].reaches(spec.URL)
    assert found[3] is not None
    assert found[3].reaches(spec.URL)


@pytest.mark.parametrize(
    "code",
    [
        "def f(:\n    sink(request.args)\n",
        "match x:\n    case [a, *rest]:\n        sink(request.args)\n",
        "async def f():\n    async with a as (b, c):\n        sink(await b)\n",
        "def f():\n    del a[0], b.c\n    global q\n    x: int\n    sink(lambda y: y)\n",
        "try:\n    a = request.args\nexcept* ValueError:\n    pass\nelse:\n    pass\nfinally:\n    sink(a)\n",
        "x = " + "(" * 200 + "request.args" + ")" * 200 + "\nsink(x)\n",
        "def f():\n    [a, *b] = request.args\n    a, *b = 1, 2\n    (c := request.args)\n    sink(b)\n",
    ],
)
def test_odd_syntax_does_not_raise(code: str) -> None:
    ctx = context(code)
    flows = module_flows(ctx)
    assert flows
    for call in sinks(ctx):
        enclosing_flow(call, ctx).taint_of(call)


def test_flows_are_cached_per_file() -> None:
    ctx = context("def f():\n    sink(request.args)\n")
    flows = module_flows(ctx)
    assert module_flows(ctx) is flows
    function = ctx.tree.root_node.named_children[-1]
    assert flow_for(function, ctx) is flow_for(function, ctx)


def test_a_source_read_inside_dead_code_is_clean() -> None:
    code = """
    def f():
        if False:
            sink(request.args["a"])
        while 0:
            sink(request.args["b"])
        sink(request.args["c"])
        return 1
        sink(request.args["d"])
    """
    assert labels(code) == [None, None, "flask request.args", None]
