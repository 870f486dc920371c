"""Unit tests of the Python taint engine on small snippets."""

from __future__ import annotations

import textwrap

import pytest
import tree_sitter

from reviewlab.engine.languages import parser_for
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.taint import Taint, enclosing_flow, flow_for, module_flows, spec

HEADER = "from flask import request\nimport os, sys, shlex, html\nfrom pathlib import Path\n"


def context(code: str, header: str = HEADER) -> FileContext:
    source = (header + textwrap.dedent(code)).encode()
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


def taints(code: str, header: str = HEADER) -> list[Taint | None]:
    """The taint of the first argument of every ``sink(...)`` call, in source order."""
    ctx = context(code, header)
    result = []
    for call in sinks(ctx):
        args = call.child_by_field_name("arguments")
        assert args is not None
        result.append(enclosing_flow(call, ctx).taint_of(args.named_children[0]))
    return result


def labels(code: str, header: str = HEADER) -> list[str | None]:
    return [t.source if t is not None else None for t in taints(code, header)]


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
            if len(c) > 10:
                break
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


def test_flask_request_through_the_module_import() -> None:
    code = """
    import flask
    import flask as fl

    def f():
        sink(flask.request.args["a"])
        sink(fl.request.form.get("b"))
        sink(flask.request.get_json())
        sink(fl.request.get_data())
        sink(flask.request.headers)
        sink(flask.request.method)
        sink(notimported.request.args)

    def shadowed(flask):
        sink(flask.request.args)
    """
    assert labels(code) == [
        "flask request.args",
        "flask request.form",
        "flask request.get_json()",
        "flask request.get_data()",
        "flask request.headers",
        None,
        None,
        None,
    ]


def test_request_of_a_non_web_library_is_not_a_source() -> None:
    code = """
    import urllib.request as request
    import urllib.request

    def f(url):
        sink(request.urlopen(url).read())
        sink(request.data)
        sink(urllib.request.urlopen(url))
        sink(urllib.request.args)
    """
    assert labels(code, header="") == [None, None, None, None]


def test_class_based_views_read_self_request() -> None:
    code = """
    from django.views import generic
    from rest_framework import viewsets, views

    class Search(generic.TemplateView):
        def get(self, request, *args, **kwargs):
            sink(self.request.GET["q"])
            sink(self.request.POST.get("p"))
            sink(self.request.COOKIES)
            sink(self.request.META["HTTP_HOST"])
            sink(self.request.body)
            sink(self.request.FILES)
            sink(self.request.user)
            sink(request.GET["q"])

    class Items(viewsets.ModelViewSet):
        def list(self, request):
            sink(self.request.query_params["q"])
            sink(request.data["name"])
            sink(request.query_params.get("x"))

    class Base(views.APIView):
        pass

    class Derived(Base):
        @property
        def term(self):
            return self.request.data.get("term")

        def post(self, request):
            sink(self.term)
            sink(self.request.data)

    class Client:
        def send(self):
            sink(self.request.GET)
            sink(self.request.data)

    class Plain(generic.View):
        def helper(other):
            sink(other.request.GET)

        def nested(self):
            def inner(self):
                sink(self.request.GET)
    """
    assert labels(code) == [
        "django request.GET",
        "django request.POST",
        "django request.COOKIES",
        "django request.META",
        "django request.body",
        "django request.FILES",
        None,
        "django request.GET",
        "drf request.query_params",
        "drf request.data",
        "drf request.query_params",
        None,
        "drf request.data",
        None,
        None,
        None,
        None,
    ]


def test_drf_function_views_and_plain_request_parameters() -> None:
    code = """
    from rest_framework.decorators import api_view

    @api_view(["POST"])
    def create(request):
        sink(request.data)
        sink(request.query_params["q"])

    def other(request):
        sink(request.data)
        sink(request.query_params)
    """
    assert labels(code) == [
        "drf request.data",
        "drf request.query_params",
        "request.data",
        "starlette request.query_params",
    ]


# -- constants, folded branches and containers -------------------------------------------------

ARGS = "flask request.args"


def test_branch_on_a_folded_condition_is_dead() -> None:
    code = """
    def f():
        param = request.args["p"]
        num = 86
        if (7 * 42) - num > 200:
            bar = "This_should_always_happen"
        else:
            bar = param
        sink(bar)
        num = 106
        bar2 = "never" if (7 * 18) + num > 300 else param
        sink(bar2)
        bar3 = param if (7 * 42) - 86 > 200 else "safe"
        sink(bar3)
    """
    assert labels(code) == [None, ARGS, ARGS]


def test_folding_follows_strings_comparisons_and_module_constants() -> None:
    code = """
    MODE = "prod"
    DEBUG = MODE == "dev"

    def f():
        param = request.args["p"]
        bar = param
        if DEBUG or "abc".upper() != "ABC":
            bar = "safe"
        sink(bar)
        if not DEBUG and len("xyz") == 3:
            bar = "safe"
        sink(bar)
        guess = "ABC"[1]
        if guess in ("B", "C"):
            bar = param
        sink(bar)
    """
    assert labels(code) == [ARGS, None, ARGS]


def test_a_module_constant_rebound_with_global_is_not_folded() -> None:
    code = """
    ENABLED = False

    def enable():
        global ENABLED
        ENABLED = True

    def f():
        bar = "safe"
        if ENABLED:
            bar = request.args["p"]
        sink(bar)
    """
    assert labels(code) == [ARGS]


def test_parameters_shadow_module_constants() -> None:
    code = """
    DEBUG = False

    @app.route("/x")
    def f(DEBUG):
        bar = "safe"
        if DEBUG:
            bar = request.args["p"]
        sink(bar)
    """
    assert labels(code) == [ARGS]


def test_match_on_a_constant_runs_only_the_matching_case() -> None:
    code = """
    def f():
        param = request.args["p"]
        guess = "ABC"[1]
        match guess:
            case "A":
                bar = param
            case "B" | "b":
                bar = "bob"
            case _:
                bar = param
        sink(bar)
        match guess:
            case "B":
                other = param
            case _:
                other = "x"
        sink(other)
        match param:
            case "A":
                third = "a"
            case _:
                third = param
        sink(third)
    """
    assert labels(code) == [None, ARGS, ARGS]


def test_dict_read_at_a_constant_key() -> None:
    code = """
    def f():
        param = request.args["p"]
        values = {}
        values["keyA"] = "a-Value"
        values["keyB"] = param
        values["keyC"] = "another-Value"
        sink(values["keyA"])
        sink(values["keyB"])
        sink(values.get("keyC"))
        sink(values.get("missing", param))
        literal = {"a": param, "b": "safe"}
        sink(literal["b"])
        sink(literal["a"])
        sink(literal)
        literal[request.args["k"]] = "x"
        sink(literal["b"])
        dynamic = {}
        dynamic[param] = param
        sink(dynamic["b"])
    """
    assert labels(code) == [
        None,
        ARGS,
        None,
        ARGS,
        None,
        ARGS,
        ARGS,
        None,
        ARGS,
    ]


def test_list_positions_after_append_pop_remove_and_insert() -> None:
    code = """
    def f():
        param = request.args["p"]
        values = []
        values.append("safe")
        values.append(param)
        values.append("moresafe")
        values.pop(0)
        sink(values[1])
        sink(values[0])
        other = ["safe", param, "moresafe"]
        other.remove(other[0])
        sink(other[0])
        third = ["a", "b"]
        third.insert(0, param)
        sink(third[1])
        sink(third[0])
        first = third.pop(0)
        sink(first)
        sink(third)
        fourth = ["safe"]
        fourth.remove("safe")
        fourth.extend([param, "x"])
        sink(fourth[-1])
        sink(fourth[0])
    """
    assert labels(code) == [
        None,
        ARGS,
        ARGS,
        None,
        ARGS,
        ARGS,
        None,
        None,
        ARGS,
    ]


def test_list_shape_lost_after_unknown_operations_keeps_the_taint() -> None:
    code = """
    def f(items):
        param = request.args["p"]
        values = ["safe", param]
        values.sort()
        sink(values[0])
        more = ["safe"]
        for item in items:
            more.append(param)
        sink(more[0])
        sink(more)
    """
    assert labels(code) == [ARGS, ARGS, ARGS]


def test_configparser_get_of_a_constant_key() -> None:
    code = """
    import configparser

    def f():
        param = request.args["p"]
        conf = configparser.ConfigParser()
        conf.add_section("section")
        conf.set("section", "keyA", "a_Value")
        conf.set("section", "keyB", param)
        sink(conf.get("section", "keyA"))
        sink(conf.get("section", "keyB"))
        sink(conf.get("section", "other", fallback=param))
    """
    assert labels(code) == [None, ARGS, ARGS]


def test_augmented_assignment_of_constants_folds() -> None:
    code = """
    def f():
        param = request.args["p"]
        n = 40
        n += 2
        bar = param
        if n != 42:
            bar = param
        else:
            bar = "safe"
        sink(bar)
        text = "<p>"
        text += param
        sink(text)
    """
    assert labels(code) == [None, ARGS]


def test_folding_refuses_huge_values() -> None:
    code = """
    def f():
        big = "x" * 10 ** 9
        power = 2 ** 10 ** 6
        wide = "%999999999d" % 1
        bar = request.args["p"]
        if big == "":
            bar = "safe"
        if power == 0:
            bar = "safe"
        if wide == "":
            bar = "safe"
        sink(bar)
    """
    assert labels(code) == [ARGS]


def test_and_or_guards_and_equality() -> None:
    code = """
    ALLOWED = {"a", "b"}

    def f():
        x = request.args["x"]
        y = request.args["y"]
        if x in ALLOWED and y in ALLOWED:
            sink(x)
            sink(y)
        if x not in ALLOWED or y not in ALLOWED:
            return
        sink(x)
        sink(y)

    def g():
        x = request.args["x"]
        y = request.args["y"]
        if x in ALLOWED or y in ALLOWED:
            sink(x)
        if x == "admin":
            sink(x)
        else:
            sink(x)
        if x in request.args:
            sink(x)
    """
    assert labels(code) == [None, None, None, None, ARGS, None, ARGS, ARGS]


def test_break_and_continue_edges() -> None:
    code = """
    def f(items):
        bar = "safe"
        for item in items:
            bar = request.args["p"]
            break
        sink(bar)
        other = "safe"
        while True:
            other = request.args["p"]
            if other:
                break
        sink(other)
        forever = "safe"
        while True:
            forever = request.args["p"]
            forever = "clean again"
            break
        sink(forever)
        skipped = "safe"
        for item in items:
            if item:
                skipped = request.args["p"]
                continue
            skipped = "clean"
        sink(skipped)
        found = "safe"
        for item in items:
            break
        else:
            found = request.args["p"]
        sink(found)
    """
    assert labels(code) == [ARGS, ARGS, None, ARGS, ARGS]


def test_methods_of_classes_in_the_file_apply_their_summary() -> None:
    code = """
    import json

    class Thing:
        def do_something(self, value):
            return value + ""

        def constant(self, value):
            return "fixed"

    def f():
        thing = Thing()
        param = request.args["p"]
        sink(thing.do_something(param))
        sink(thing.constant(param))
        sink(Thing().do_something(param))
        sink(json.dumps({}))
    """
    assert labels(code) == [ARGS, None, ARGS, None]


def test_wsgi_environ_and_request_handler_sources() -> None:
    code = """
    from http.server import BaseHTTPRequestHandler
    import tornado.web

    def application(environ, start_response):
        sink(environ["QUERY_STRING"])

    def not_wsgi(environ):
        sink(environ["QUERY_STRING"])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            sink(self.path)
            sink(self.rfile.read(10))
            sink(self.server_version)

    class Page(tornado.web.RequestHandler):
        def get(self):
            sink(self.get_argument("q"))
            sink(self.request.body)

    class Other:
        def get(self):
            sink(self.path)
    """
    assert labels(code) == [
        "wsgi environ",
        None,
        "request handler self.path",
        "request handler self.rfile",
        None,
        "request handler self.get_argument()",
        "tornado request.body",
        None,
    ]


def test_containment_pattern_and_line_break_checks() -> None:
    code = """
    import re
    import os

    DOCS = "/srv/docs"
    REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")

    def f():
        full = os.path.realpath(os.path.join(DOCS, request.args["p"]))
        if os.path.commonpath([full, DOCS]) != DOCS:
            raise ValueError(full)
        sink(full)
        rid = request.headers.get("X-Request-Id", "")
        if not REQUEST_ID.fullmatch(rid):
            rid = "generated"
        sink(rid)
        name = request.args["n"]
        if re.match(r"^[a-z]+$", name):
            sink(name)
        if re.match(r"[a-z]+", name):
            sink(name)
        line = request.args["l"].replace("\\n", "")
        sink(line)
        values = ["a"]
        values.append(name)
        values.append("b")
        values.remove(name)
        sink(values[-1])
    """
    result = taints(code)
    assert [t.source if t is not None else None for t in result] == [ARGS, None, None, ARGS, ARGS, None]
    full = result[0]
    assert full is not None
    assert not full.reaches(spec.PATH)
    assert full.reaches(spec.SQL)
    line = result[4]
    assert line is not None
    assert not line.reaches(spec.LOG)
    assert line.reaches(spec.SQL)


def test_a_conditional_expression_applies_its_checks_to_its_branches() -> None:
    code = """
    FORMATS = ("pdf", "csv")

    def f():
        fmt = request.args["fmt"]
        sink(fmt if fmt in FORMATS else "pdf")
        sink("pdf" if fmt not in FORMATS else fmt)
        sink(fmt if fmt else "pdf")
    """
    assert labels(code) == [None, None, ARGS]
