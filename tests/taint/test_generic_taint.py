"""Unit tests of the generic taint engine (JavaScript/TypeScript, Java, Go) and of the flows its rules report."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import tree_sitter

from reviewlab.engine import packversion
from reviewlab.engine.analyzer import RulePack, analyze_source
from reviewlab.engine.languages import parser_for
from reviewlab.engine.rules import get_rule
from reviewlab.engine.rules.base import FileContext
from reviewlab.engine.taint import generic
from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.generic_flow import adapter_for


def context(language: str, code: str) -> FileContext:
    source = textwrap.dedent(code).encode()
    return FileContext(f"snippet.{language}", language, source, parser_for(language).parse(source), {})


def sink_args(ctx: FileContext) -> list[tree_sitter.Node]:
    """The first argument of every ``sink(...)`` call, in source order."""
    adapter = adapter_for(ctx)
    found: list[tree_sitter.Node] = []
    stack = [ctx.tree.root_node]
    while stack:
        node = stack.pop()
        call = adapter.call(node) if adapter.expression_kinds.get(node.type) == "call" else None
        if call is not None and call.method == "sink" and call.args:
            found.append(call.args[0])
        stack.extend(node.named_children)
    return sorted(found, key=lambda n: n.start_byte)


def taints(language: str, code: str) -> list[Taint | None]:
    ctx = context(language, code)
    return [generic.enclosing_flow(arg, ctx).taint_of(arg) for arg in sink_args(ctx)]


def labels(language: str, code: str) -> list[str | None]:
    return [t.source if t is not None else None for t in taints(language, code)]


def sanitised(taint: Taint | None) -> frozenset[str]:
    """The sink classes a (present) taint has been made safe for."""
    assert taint is not None
    return taint.sanitised


def clean_for(language: str, code: str, sink_class: str) -> list[bool]:
    """Per sink: whether the value is safe for ``sink_class`` (clean, or sanitised for it)."""
    return [t is None or not t.reaches(sink_class) for t in taints(language, code)]


# ---------------------------------------------------------------------------------------------
# JavaScript / TypeScript
# ---------------------------------------------------------------------------------------------


def test_js_sources() -> None:
    code = """
    function handler(req, res) {
      sink(req.query.id);
      sink(req.body);
      sink(req.params["name"]);
      sink(req.get("X-Token"));
      sink(res.locals.user);
      sink(location.hash);
      sink(window.location.search);
      sink(document.referrer);
      sink(window.name);
      sink(process.argv[2]);
      sink(process.env.HOME);
    }
    async function koa(ctx) {
      sink(ctx.query.page);
      sink(ctx.request.body);
    }
    function shadowed(location) {
      sink(location.hash);
    }
    function notARequest(request2) {
      sink(request2.query);
    }
    """
    assert labels("javascript", code) == [
        "req.query",
        "req.body",
        "req.params",
        "req.get()",
        None,
        "location.hash",
        "location.search",
        "document.referrer",
        "window.name",
        "process.argv",
        "process.env",
        "ctx.query",
        "ctx.request.body",
        None,
        None,
    ]


def test_ts_typed_parameters_and_nest_decorators() -> None:
    code = """
    class Controller {
      find(@Query("q") q: string, @Param("id") id: number, @Body() body: Dto) {
        sink(q);
        sink(id);
        sink(body.name as string);
      }
    }
    export function handler(req: Request, res: Response) {
      const id = req.query.id as string;
      sink(id!);
    }
    """
    assert labels("typescript", code) == ["@Query() `q`", None, "@Body() `body`", "req.query"]


def test_js_propagation_and_overwrite() -> None:
    code = """
    function handler(req) {
      const { name, age } = req.body;
      sink(`Hello ${name}`);
      let q = "SELECT * FROM t WHERE a = '" + req.query.a + "'";
      sink(q);
      q = "SELECT 1";
      sink(q);
      const parts = [];
      parts.push(req.query.b);
      sink(parts.join(","));
      sink(JSON.parse(req.body.json).field);
      sink({ inner: req.query.c });
      sink(req.query.name.length);
      sink(typeof req.query.d);
      sink(req.query.e === "x");
      sink(unknownLibrary(req.query.f));
    }
    """
    assert labels("javascript", code) == [
        "req.body",
        "req.query",
        None,
        "req.query",
        "req.body",
        "req.query",
        None,
        None,
        None,
        None,
    ]


def test_js_branches_loops_and_dead_code() -> None:
    code = """
    function handler(req) {
      let a = "constant";
      if (req.query.flag) {
        a = req.query.a;
      }
      sink(a);
      let b = req.query.b;
      if (cond) { b = "x"; } else { b = "y"; }
      sink(b);
      if (false) {
        sink(req.query.dead);
      }
      if (0) { sink(req.query.zero); }
      sink(false ? req.query.t : "fixed");
      let acc = "";
      for (const item of items) {
        sink(acc);
        acc = acc + req.query.c;
      }
      let i = 0;
      while (i < 3) { i++; }
      while (false) { sink(req.query.never); }
      switch (mode) {
        case 1:
          b = req.query.s;
          break;
        default:
          break;
      }
      sink(b);
      return;
      sink(req.query.after);
    }
    """
    assert labels("javascript", code) == [
        "req.query",
        None,
        None,
        None,
        None,
        "req.query",
        None,
        "req.query",
        None,
    ]


def test_js_helper_summaries() -> None:
    code = """
    function wrap(x, y) { return "<b>" + x + "</b>"; }
    const shout = (s) => s.toUpperCase();
    function own() { return process.argv[2]; }
    function constant(x) { return "fixed"; }
    function recurse(x) { return recurse(x); }
    function handler(req) {
      sink(wrap(req.query.a, "b"));
      sink(wrap("a", req.query.b));
      sink(shout(req.query.c));
      sink(own());
      sink(constant(req.query.d));
      sink(recurse(req.query.e));
    }
    """
    found = taints("javascript", code)
    assert [t.source if t else None for t in found] == ["req.query", None, "req.query", "process.argv", None, None]
    assert found[0] is not None
    assert found[0].path[-1].type == "call_expression"


def test_js_sanitisers_are_per_sink_class() -> None:
    code = """
    function handler(req) {
      sink(escapeHtml(req.query.a));
      sink(parseInt(req.query.b, 10));
      sink(path.basename(req.query.c));
      sink(encodeURIComponent(req.query.d));
      sink(ids.map(Number));
      sink(req.query.list.map((v) => Number(v)));
    }
    """
    assert clean_for("javascript", code, generic.HTML) == [True, True, False, True, True, True]
    assert clean_for("javascript", code, generic.SQL) == [False, True, False, False, True, True]
    assert clean_for("javascript", code, generic.PATH) == [False, True, True, True, True, True]


def test_js_guards_closures_and_callbacks() -> None:
    code = """
    const ALLOWED = ["a", "b"];
    function handler(req, res) {
      const name = req.query.name;
      db.get(name, (err, row) => {
        sink(name);
      });
      req.body.items.forEach((item) => sink(item));
      if (!ALLOWED.includes(name)) {
        return res.sendStatus(400);
      }
      sink(name);
      const full = path.resolve(BASE, req.query.file);
      if (!full.startsWith(BASE)) {
        throw new Error("outside");
      }
      sink(full);
      sink(`https://api.example.com/items/${req.query.id}`);
    }
    """
    found = taints("javascript", code)
    assert [t.source if t else None for t in found] == ["req.query", "req.body", None, "req.query", "req.query"]
    assert sanitised(found[3]) == {generic.PATH, generic.URL, generic.REDIRECT}
    assert sanitised(found[4]) == {generic.URL, generic.REDIRECT}


def test_pattern_guards_must_match_the_whole_value() -> None:
    js = """
    function handler(req) {
      const a = req.query.a;
      if (!/^[a-z]+$/.test(a)) { return; }
      sink(a);
      const b = req.query.b;
      if (!/[a-z]+/.test(b)) { return; }
      sink(b);
      const c = req.query.c;
      if (!SAFE_NAME.test(c)) { return; }
      sink(c);
    }
    """
    go = """
    package main

    func handler(r *http.Request) {
        a := r.FormValue("a")
        if !regexp.MustCompile("^[a-z]+$").MatchString(a) {
            return
        }
        sink(a)
        b := r.FormValue("b")
        if !regexp.MustCompile("[a-z]+").MatchString(b) {
            return
        }
        sink(b)
    }
    """
    assert labels("javascript", js) == [None, "req.query", None]
    assert labels("go", go) == [None, "r.FormValue()"]


def test_a_constant_scheme_and_host_prefix_protects_urls_only() -> None:
    js = """
    const API = "https://api.example.com";
    function handler(req) {
      const id = req.query.id;
      sink(API + "/items/" + id);
      sink(`${API}/items/${id}`);
      sink("https://" + id + "/items");
      sink(API + id);
      sink(req.query.base + "/items/" + id);
      sink("/orders/" + id);
      sink("/" + id);
    }
    """
    go = """
    package main

    const api = "https://api.example.com/"

    func handler(r *http.Request) {
        id := r.FormValue("id")
        sink(fmt.Sprintf("https://api.example.com/items/%s", id))
        sink(fmt.Sprintf("https://%s/items", id))
        sink(api + id)
    }
    """
    assert clean_for("javascript", js, generic.URL) == [True, True, False, False, False, True, False]
    assert clean_for("javascript", js, generic.SQL) == [False] * 7
    assert clean_for("go", go, generic.REDIRECT) == [True, False, True]


def test_local_sources_count_only_for_sql_command_and_code() -> None:
    ctx = context("javascript", "const arg = process.argv[2];\nsink(arg);\n")
    (arg,) = sink_args(ctx)
    assert generic.tainted(arg, ctx, generic.COMMAND) is not None
    assert generic.tainted(arg, ctx, generic.PATH) is None


# ---------------------------------------------------------------------------------------------
# Java
# ---------------------------------------------------------------------------------------------


def test_java_sources() -> None:
    code = """
    class Controller {
        @Autowired private HttpServletRequest current;

        String find(@RequestParam String q, @PathVariable("id") long id, @RequestBody Order order,
                    HttpServletRequest req, String plain) {
            sink(q);
            sink(id);
            sink(order.getCustomer());
            sink(req.getParameter("a"));
            sink(req.getHeader("b"));
            sink(current.getQueryString());
            sink(plain);
            sink(System.getenv("HOME"));
            for (Cookie cookie : req.getCookies()) {
                sink(cookie.getValue());
            }
            return q;
        }

        public static void main(String[] args) {
            sink(args[0]);
        }
    }
    """
    assert labels("java", code) == [
        "@RequestParam `q`",
        None,
        "@RequestBody `order`",
        "req.getParameter()",
        "req.getHeader()",
        "current.getQueryString()",
        None,
        "System.getenv()",
        "req.getCookies()",
        "command-line arguments",
    ]


def test_java_propagation_overwrite_branches_and_loops() -> None:
    code = """
    class A {
        void m(HttpServletRequest request) {
            String name = request.getParameter("name");
            StringBuilder sb = new StringBuilder("SELECT ");
            sb.append(name).append(" FROM t");
            sink(sb.toString());
            sink(String.format("id = '%s'", name));
            sink(String.format("id = %d", name));
            int count = name.length();
            sink(count);
            String q = name;
            q = "SELECT 1";
            sink(q);
            String r = "x";
            if (flag) { r = name; } else { r = "y"; }
            sink(r);
            if (false) { sink(name); }
            String acc = "";
            while (more()) { sink(acc); acc += name; }
            List<String> items = new ArrayList<>();
            items.add(name);
            items.forEach(item -> sink(item));
            try { q = name; } catch (IOException e) { q = "z"; }
            sink(q);
        }
    }
    """
    assert labels("java", code) == [
        "request.getParameter()",
        "request.getParameter()",
        None,
        None,
        None,
        "request.getParameter()",
        None,
        "request.getParameter()",
        "request.getParameter()",
        "request.getParameter()",
    ]


def test_java_helpers_sanitisers_and_guards() -> None:
    code = """
    class A {
        private static final Set<String> ALLOWED = Set.of("a");

        private String quoted(String v) { return "'" + v.trim() + "'"; }
        private String fixed(String v) { return "x"; }

        void m(@RequestParam String name, @RequestParam String file) {
            sink(quoted(name));
            sink(this.quoted(name));
            sink(fixed(name));
            sink(ESAPI.encoder().encodeForHTML(name));
            sink(Integer.parseInt(name));
            sink(new File(file).getName());
            if (!ALLOWED.contains(name)) {
                throw new IllegalArgumentException();
            }
            sink(name);
        }
    }
    """
    found = taints("java", code)
    assert [t.source if t else None for t in found] == [
        "@RequestParam `name`",
        "@RequestParam `name`",
        None,
        "@RequestParam `name`",
        None,
        "@RequestParam `file`",
        None,
    ]
    assert sanitised(found[3]) == {generic.HTML}
    assert sanitised(found[5]) == {generic.PATH}


# ---------------------------------------------------------------------------------------------
# Go
# ---------------------------------------------------------------------------------------------


def test_go_sources() -> None:
    code = """
    package main

    func handler(w http.ResponseWriter, r *http.Request) {
        sink(r.URL.Query().Get("id"))
        sink(r.FormValue("name"))
        sink(r.Header.Get("X"))
        sink(mux.Vars(r)["id"])
        sink(r.Method)
        sink(os.Args[1])
        sink(os.Getenv("HOME"))
        c, err := r.Cookie("session")
        sink(c.Value)
        sink(err)
        body, _ := io.ReadAll(r.Body)
        sink(string(body))
    }

    func ginHandler(c *gin.Context) {
        sink(c.Query("q"))
        var req Payload
        if err := c.ShouldBindJSON(&req); err != nil {
            return
        }
        sink(req.Name)
    }

    func notAHandler(r *Thing) {
        sink(r.FormValue("x"))
    }
    """
    assert labels("go", code) == [
        "r.URL",
        "r.FormValue()",
        "r.Header",
        "mux.Vars()",
        None,
        "os.Args",
        "os.Getenv()",
        "r.Cookie()",
        None,
        "r.Body",
        "c.Query()",
        "c.ShouldBindJSON()",
        None,
    ]


def test_go_propagation_overwrite_branches_and_loops() -> None:
    code = """
    package main

    func handler(w http.ResponseWriter, r *http.Request) {
        id := r.FormValue("id")
        sink(fmt.Sprintf("SELECT * FROM t WHERE id = '%s'", id))
        sink(fmt.Sprintf("SELECT * FROM t LIMIT %d", id))
        var payload Payload
        json.Unmarshal([]byte(id), &payload)
        sink(payload.Name)
        q := id
        q = "SELECT 1"
        sink(q)
        name := "x"
        if r.Method == "POST" {
            name = id
        }
        sink(name)
        if false {
            sink(id)
        }
        parts := []string{}
        for _, p := range strings.Split(id, ",") {
            parts = append(parts, p)
        }
        sink(strings.Join(parts, ","))
        acc := ""
        for i := 0; i < 3; i++ {
            sink(acc)
            acc += id
        }
        switch kind {
        case "a":
            q = id
        default:
        }
        sink(q)
        n, err := strconv.Atoi(id)
        sink(n)
        sink(err)
    }
    """
    assert labels("go", code) == [
        "r.FormValue()",
        None,
        "r.FormValue()",
        None,
        "r.FormValue()",
        None,
        "r.FormValue()",
        "r.FormValue()",
        "r.FormValue()",
        None,
        None,
    ]


def test_go_helpers_sanitisers_and_guards() -> None:
    code = """
    package main

    var allowed = map[string]bool{"a": true}

    func quote(v string) string { return "'" + v + "'" }

    func (s *Server) wrap(v string) string { return "<b>" + v + "</b>" }

    func (s *Server) handler(w http.ResponseWriter, r *http.Request) {
        name := r.FormValue("name")
        sink(quote(name))
        sink(s.wrap(name))
        sink(html.EscapeString(name))
        sink(filepath.Base(name))
        full := filepath.Join(base, name)
        if !strings.HasPrefix(full, base) {
            return
        }
        sink(full)
        if !allowed[name] {
            return
        }
        sink(name)
        sink("https://api.example.com/items/" + r.FormValue("id"))
    }
    """
    found = taints("go", code)
    assert [t.source if t else None for t in found] == ["r.FormValue()"] * 5 + [None, "r.FormValue()"]
    assert sanitised(found[2]) == {generic.HTML}
    assert sanitised(found[3]) == {generic.PATH}
    assert sanitised(found[4]) == {generic.PATH, generic.URL, generic.REDIRECT}
    assert sanitised(found[6]) == {generic.URL, generic.REDIRECT}


# ---------------------------------------------------------------------------------------------
# Flow steps
# ---------------------------------------------------------------------------------------------


def steps_of(language: str, code: str) -> list[list[tuple[int, str]]]:
    ctx = context(language, code)
    found = []
    for arg in sink_args(ctx):
        taint = generic.enclosing_flow(arg, ctx).taint_of(arg)
        assert taint is not None
        sink = arg.parent.parent if arg.parent is not None and arg.parent.parent is not None else arg
        found.append([(s.span.start_line, s.message) for s in generic.flow_steps(taint, sink, "sink", ctx)])
    return found


def test_flow_steps_name_each_hop() -> None:
    js = """
    function wrap(x) { return "<b>" + x + "</b>"; }
    function own() { return location.hash; }
    function handler(req) {
      const { id } = req.query;
      const parts = [];
      for (const tag of req.body.tags) {
        parts.push(tag);
      }
      sink(wrap(id));
      sink(parts);
      sink(own());
    }
    """
    go = """
    package main

    func handler(r *http.Request) {
        var payload Payload
        json.NewDecoder(r.Body).Decode(&payload)
        sink(payload.Name)
    }
    """
    assert steps_of("javascript", js) == [
        [(5, "source: req.query"), (5, "assigned to `{ id }`"), (10, "passed to helper `wrap`"), (10, "sink: `sink`")],
        [(7, "source: req.body"), (7, "iterated into `tag`"), (8, "added to `parts`"), (11, "sink: `sink`")],
        [(3, "source: location.hash"), (12, "returned by helper `own`"), (12, "sink: `sink`")],
    ]
    assert steps_of("go", go) == [[(6, "source: r.Body"), (6, "filled by `Decode`"), (7, "sink: `sink`")]]


# ---------------------------------------------------------------------------------------------
# Laziness and caching
# ---------------------------------------------------------------------------------------------


def test_the_rule_pack_version_covers_the_generic_engine() -> None:
    root = Path(packversion.__file__).parent
    names = {path.relative_to(root).as_posix() for path in packversion.hashed_sources()}
    engine = {path.relative_to(root).as_posix() for path in (root / "taint").glob("generic*.py")}
    adapters = {"taint/javascript.py", "taint/java.py", "taint/go.py"}
    assert len(engine) >= 5
    assert engine | adapters <= names


def test_only_functions_with_a_queried_sink_are_analysed() -> None:
    code = """
    package main

    func one(r *http.Request) { sink(r.FormValue("a")) }
    func two(r *http.Request) { sink(r.FormValue("b")) }
    func three(r *http.Request) { other(r.FormValue("c")) }
    """
    ctx = context("go", code)
    first_arg = sink_args(ctx)[0]
    flow = generic.enclosing_flow(first_arg, ctx)
    assert generic.enclosing_flow(first_arg, ctx) is flow
    analysed = ctx.state["taint.generic.flows"]
    assert list(analysed) == [flow.node.id]


# ---------------------------------------------------------------------------------------------
# Flows reported by the rules
# ---------------------------------------------------------------------------------------------

FLOW_CASES = [
    (
        "JS-S001",
        "snippet.js",
        "function run(req) {\n  const expr = req.body.expr;\n  return eval('(' + expr + ')');\n}\n",
        2,
        3,
    ),
    (
        "JS-S002",
        "snippet.js",
        "const { exec } = require('child_process');\nfunction run(req) {\n  const dir = req.query.dir;\n"
        "  exec('ls ' + dir);\n}\n",
        3,
        4,
    ),
    (
        "JS-S003",
        "snippet.ts",
        "export async function find(req: Request) {\n  const email = req.query.email;\n"
        "  return db.query(`SELECT * FROM users WHERE email = '${email}'`);\n}\n",
        2,
        3,
    ),
    ("JS-S004", "snippet.js", "const fragment = location.hash.slice(1);\nel.innerHTML = fragment;\n", 1, 2),
    (
        "JAVA-S001",
        "Snippet.java",
        "class A {\n  void m(HttpServletRequest request) throws Exception {\n"
        '    String dir = request.getParameter("dir");\n'
        '    Runtime.getRuntime().exec("tar czf backup.tgz " + dir);\n  }\n}\n',
        3,
        4,
    ),
    (
        "JAVA-S002",
        "Snippet.java",
        "class A {\n  void m(Statement st, @RequestParam String name) throws Exception {\n"
        '    String sql = "SELECT * FROM users WHERE name = \'" + name + "\'";\n'
        "    st.executeQuery(sql);\n  }\n}\n",
        2,
        4,
    ),
    (
        "JAVA-S009",
        "Snippet.java",
        'class A {\n  ScriptEngine engine = new ScriptEngineManager().getEngineByName("js");\n'
        "  Object m(HttpServletRequest request) throws Exception {\n"
        '    String q = request.getParameter("q");\n    return engine.eval("price * " + q);\n  }\n}\n',
        4,
        5,
    ),
    (
        "GO-S001",
        "snippet.go",
        "package main\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n"
        '\tdir := r.URL.Query().Get("dir")\n\texec.Command("sh", "-c", "tar czf b.tgz "+dir)\n}\n',
        4,
        5,
    ),
    (
        "GO-S002",
        "snippet.go",
        "package main\n\nfunc h(db *sql.DB, r *http.Request) {\n"
        '\tname := r.FormValue("name")\n'
        "\tdb.Query(fmt.Sprintf(\"SELECT * FROM users WHERE name = '%s'\", name))\n}\n",
        4,
        5,
    ),
    (
        "JS-S011",
        "snippet.js",
        "const fs = require('fs');\nfunction h(req, res) {\n  const name = req.params.name;\n"
        "  res.send(fs.readFileSync('/srv/' + name));\n}\n",
        3,
        4,
    ),
    (
        "JAVA-S013",
        "Snippet.java",
        "class A {\n  void m(HttpServletRequest request, HttpServletResponse response) throws Exception {\n"
        '    String name = request.getParameter("name");\n'
        '    response.getWriter().println("<h1>" + name + "</h1>");\n  }\n}\n',
        3,
        4,
    ),
    (
        "GO-S011",
        "snippet.go",
        "package main\n\nfunc h(w http.ResponseWriter, r *http.Request) {\n"
        '\tnext := r.FormValue("next")\n\thttp.Redirect(w, r, next, http.StatusFound)\n}\n',
        4,
        5,
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "name", "code", "source_line", "sink_line"), FLOW_CASES, ids=[case[0] for case in FLOW_CASES]
)
def test_finding_flow_runs_from_the_source_to_the_sink(
    rule_id: str, name: str, code: str, source_line: int, sink_line: int
) -> None:
    rule = get_rule(rule_id)
    assert rule is not None
    language = {"js": "javascript", "ts": "typescript", "java": "java", "go": "go"}[name.rsplit(".", 1)[1]]
    analysis = analyze_source(name, language, code.encode(), RulePack([rule]))
    findings = [f for f in analysis.findings if f.rule_id == rule_id]
    assert len(findings) == 1, findings
    finding = findings[0]
    assert finding.span.start_line == sink_line
    assert finding.flow, f"{rule_id} reported no flow"
    assert finding.flow[0].message.startswith("source: ")
    assert finding.flow[0].span.start_line == source_line
    assert finding.flow[-1].message.startswith("sink: ")
    assert finding.flow[-1].span.start_line == sink_line
    assert f"(line {source_line})" in finding.message


def test_upgraded_rules_keep_their_findings_without_a_source() -> None:
    rule = get_rule("JS-S003")
    assert rule is not None
    code = b"async function find(db, email) {\n  return db.query(`SELECT * FROM users WHERE email = '${email}'`);\n}\n"
    (finding,) = analyze_source("snippet.js", "javascript", code, RulePack([rule])).findings
    assert finding.flow == ()
    assert finding.message == rule.message


def test_go_command_from_the_request_is_flagged_without_a_shell() -> None:
    rule = get_rule("GO-S001")
    assert rule is not None
    code = (
        b"package main\n\nfunc h(r *http.Request, args []string) {\n"
        b'\texec.Command(r.FormValue("tool"), "--version")\n\texec.Command(args[0])\n'
        b'\texec.Command(os.Args[0], "--print-label")\n}\n'
    )
    findings = analyze_source("snippet.go", "go", code, RulePack([rule])).findings
    assert [(f.span.start_line, f.flow[0].message) for f in findings] == [(4, "source: r.FormValue()")]
