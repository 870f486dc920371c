"""JavaScript / TypeScript ``async`` code that runs one thing at a time: sequential ``await`` in a loop
(JS-P001) and blocking ``*Sync`` calls inside ``async`` functions (JS-P006).

JS-P001 reports only loops whose awaited results are collected per item and whose iterations look
independent; requests and queries are left to JS-P002, found with :func:`jsio.round_trip`. JS-P006 knows the
``*Sync`` functions of ``fs``, ``child_process``, ``zlib`` and ``crypto``, through the file's ``require`` /
``import`` bindings or the modules' conventional names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVASCRIPT, Node, ancestors, enclosing_function, literal_text
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.javascript import module_bindings
from reviewlab.engine.rules.jsio import round_trip
from reviewlab.engine.rules.jsmodel import (
    EARLY_EXIT,
    LANGS,
    arguments,
    eslint,
    fixed_count,
    inside,
    is_require,
    method_of,
    per_item_loops,
    unwrap,
)

_TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|__mocks__|e2e|cypress|spec)/|\.(test|spec|e2e|cy)\.[cm]?[jt]sx?$")


def _is_test_path(path: str) -> bool:
    return bool(_TEST_PATH.search(path.replace("\\", "/")))


def _is_async(function: Node | None) -> bool:
    return function is not None and any(c.type == "async" and not c.is_named for c in function.children)


def _is_generator(function: Node | None) -> bool:
    return function is not None and any(c.type == "*" and not c.is_named for c in function.children)


# --- JS-P001 sequential await in a loop ----------------------------------------------------------

_SEQUENTIAL_KINDS = frozenset({"for", "for-of", "for-in"})
# The loop paces itself (rate limiting, polling): one at a time is the point.
_PACING = re.compile(
    r"(?i)(?<![\w$])(?!await\b)[\w$]*(sleep|delay|wait|timeout|throttle|backoff|pause|setImmediate|nextTick)"
    r"[\w$]*\s*[(<]"
)
# Operations whose order is the point: writing a stream, waiting for an event, taking a lock.
_ORDERED_METHODS = frozenset({"write", "end", "once", "acquire", "lock", "drain", "flush"})


def _identifiers(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type in ("identifier", "shorthand_property_identifier", "shorthand_property_identifier_pattern"):
            yield current
        elif current.type not in JAVASCRIPT.functions:
            stack.extend(current.named_children)


def _loop_variables(loop: Node, ctx: FileContext) -> set[str]:
    """The names a loop binds per iteration: ``x`` in ``for (const x of xs)``, ``i`` in ``for (let i = 0;...)``."""
    declared = loop.child_by_field_name("left") or loop.child_by_field_name("initializer")
    if declared is None:
        return set()
    if declared.type in ("lexical_declaration", "variable_declaration"):
        names = [d.child_by_field_name("name") for d in declared.named_children if d.type == "variable_declarator"]
        return {ctx.text(i) for name in names if name is not None for i in _identifiers(name)}
    return {ctx.text(i) for i in _identifiers(declared)}


def _assigned_in(body: str, name: str) -> bool:
    """Whether the loop body assigns ``name`` (``name = ...``, ``name += ...``, ``name++``)."""
    word = re.escape(name)
    return bool(
        re.search(rf"(?<![\w$.]){word}\s*([-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?!=)", body)
        or re.search(rf"(?<![\w$.]){word}\s*(\+\+|--)|(\+\+|--)\s*{word}(?![\w$])", body)
    )


def _rooted_in(callee: Node, variables: set[str], ctx: FileContext) -> bool:
    """Whether a callee is reached from a loop variable: ``task``, ``step.run``, ``steps[i]``."""
    node = unwrap(callee)
    while True:
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is not None and ctx.text(index) in variables:
                return True
        inner = node.child_by_field_name("object") or node.child_by_field_name("function")
        if node.type not in ("member_expression", "subscript_expression", "call_expression") or inner is None:
            return node.type == "identifier" and ctx.text(node) in variables
        node = unwrap(inner)


def _sequential_on_purpose(loop: Node, body: Node, awaited: Node, ctx: FileContext) -> bool:
    """Whether the iterations must run one after another, or already run concurrently."""
    body_text = ctx.text(body)
    if EARLY_EXIT.search(body_text) or _PACING.search(body_text):
        return True
    variables = _loop_variables(loop, ctx)
    if awaited.type == "identifier" and ctx.text(awaited) in variables:
        return True  # `for (const p of promises) await p`: the work is already running
    if awaited.type in ("call_expression", "new_expression"):
        callee = awaited.child_by_field_name("function") or awaited.child_by_field_name("constructor")
        if callee is not None and _rooted_in(callee, variables, ctx):
            return True  # `await task()`, `await step.run()`, `await steps[i]()`: the items are steps, run in order
        if method_of(awaited, ctx)[1] in _ORDERED_METHODS:
            return True
    # an iteration needs what the previous one assigned: `cursor = page.next` then `fetchPage(cursor)`
    read = {ctx.text(i) for i in _identifiers(awaited)} - variables
    return any(_assigned_in(body_text, name) for name in read)


# Where an awaited value ends up on its way to the statement: `(await f(x)).data`, `{ a: await f(x) }`.
_PASS_THROUGH = frozenset({"member_expression", "pair", "object", "array", "spread_element", "arguments"})
_COLLECTORS = frozenset({"push", "unshift", "set", "add"})


def _stored(name: str, body: Node, ctx: FileContext) -> bool:
    """Whether the loop body stores ``name`` per item: ``out.push(name)``, ``map.set(k, name)``,
    ``out[i] = name``, ``item.size = name.size`` (not counting nested functions)."""
    stack = [body]
    while stack:
        node = stack.pop()
        value: Node | None = None
        if node.type == "call_expression" and method_of(node, ctx)[1] in _COLLECTORS:
            value = node.child_by_field_name("arguments")
        elif node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type in ("member_expression", "subscript_expression"):
                value = node.child_by_field_name("right")
        if value is not None and any(ctx.text(i) == name for i in _identifiers(value)):
            return True
        if node.type not in JAVASCRIPT.functions:
            stack.extend(node.named_children)
    return False


def _collected(chain: list[Node], body: Node, ctx: FileContext) -> bool:
    """Whether the awaited value is kept per item -- pushed to an array, set in a map, stored in an element or
    a field -- rather than awaited for its side effects, whose order may matter."""
    child = chain[0] if chain else None
    for parent in chain[1:]:
        kind = parent.type
        if kind == "call_expression" and child is not None and child.type == "arguments":
            return method_of(parent, ctx)[1] in _COLLECTORS
        if kind == "assignment_expression":
            left = parent.child_by_field_name("left")
            return left is not None and left.type in ("member_expression", "subscript_expression")
        if kind == "variable_declarator":
            name = parent.child_by_field_name("name")
            return name is not None and name.type == "identifier" and _stored(ctx.text(name), body, ctx)
        if kind not in _PASS_THROUGH and kind not in JAVASCRIPT.wrappers:
            return False
        child = parent
    return False


def _check_await_in_loop(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    awaiting = first(captures, "await")
    if awaiting is None or _is_test_path(ctx.path) or not awaiting.named_children:
        return
    chain = ancestors(awaiting, ctx)
    loops, function = per_item_loops(awaiting, ctx, callbacks=False, chain=chain)
    if not loops or loops[0].kind not in _SEQUENTIAL_KINDS or _is_generator(function):
        return
    loop = loops[0]
    body = loop.node.child_by_field_name("body")
    if body is None or not inside(awaiting, body) or fixed_count(loop, ctx):
        return
    reported: set[int] = ctx.state.setdefault(rule.id, set())
    if loop.node.start_byte in reported:
        return
    awaited = unwrap(awaiting.named_children[0])
    if awaited.type == "call_expression" and round_trip(awaited, ctx) is not None:
        return  # JS-P002 reports the request or query itself
    if not _collected([awaiting, *chain], body, ctx) or _sequential_on_purpose(loop.node, body, awaited, ctx):
        return
    reported.add(loop.node.start_byte)
    yield Hit(
        awaiting,
        message="`await` in a loop body: each iteration waits for the previous one to finish; start the "
        "independent operations together and `await Promise.all(...)`.",
    )


AWAIT_IN_LOOP = Rule(
    id="JS-P001",
    title="Sequential await inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    cwe=1050,
    languages=LANGS,
    message="`await` in a loop body runs the iterations one after another; run independent ones concurrently.",
    docs=RuleDocs(
        what="Flags the first `await` in the body of a `for`, `for...of` or `for...in` loop (one finding "
        "per loop) whose result is collected per item -- pushed or added to a collection "
        "(`results.push(await f(x))`, `map.set(k, v)` of an awaited `v`), stored in an element or a field "
        "(`out[i] = await f(x)`, `item.size = (await stat(p)).size`) -- when nothing suggests the iterations "
        "depend on each other: that is the shape `Promise.all(items.map(...))` replaces. Not flagged: awaits "
        "run for their side effects (`await fs.rm(p)`, `await this.publish(pkg)`: their order may matter), "
        "`for await` loops, `while` / `do` loops (polling, pagination and retries are sequential by nature), "
        "loops over an array literal or with a literal / `ALL_CAPS` bound (`i < MAX_RETRIES`), loops whose "
        "body can `return` or `break` (a search or a retry), loops that pace themselves (`await sleep(...)`, "
        "`delay`, `setTimeout`), awaits that read what an earlier iteration assigned (`fetchPage(cursor)` "
        "with `cursor = page.next`), awaits of the loop variable (`for (const p of promises) await p`: "
        "already running) or of a call reached from it (`await task()`, `await migration.up()`, "
        "`await steps[i]()`: the items are steps to run in order), stream writes and locks (`write`, `end`, "
        "`once`, `acquire`), awaits in async generators (which stream results one by one), awaits in "
        "callbacks (`items.map(async ...)` already runs them concurrently), test files, and requests or "
        "queries, which JS-P002 reports.",
        why="Each iteration starts only after the previous one has finished, so the loop takes the sum of "
        "all the latencies instead of the longest one: 100 independent 50 ms calls take 5 s instead of "
        "about 50 ms.",
        example="async function thumbnails(paths) {\n  const images = [];\n  for (const path of paths) {\n"
        "    images.push(await resize(path, 128));\n  }\n  return images;\n}",
        use_instead="async function thumbnails(paths) {\n"
        "  return Promise.all(paths.map((path) => resize(path, 128)));\n}\n"
        "// for thousands of items, bound the concurrency (p-limit, p-map)",
    ),
    query="(await_expression) @await",
    check=_check_await_in_loop,
    references=(cwe(1050), eslint("no-await-in-loop")),
)


# --- JS-P006 blocking *Sync call inside an async function ----------------------------------------

_SYNC_MODULES = frozenset({"fs", "fs-extra", "graceful-fs", "original-fs", "child_process", "zlib", "crypto"})
# Conventional names of those modules, trusted when the file does not bind the name to something else.
_SYNC_MODULE_NAMES = frozenset({"fs", "fse", "fsExtra", "cp", "childProcess", "child_process", "zlib", "crypto"})


def _sync_function(call: Node, ctx: FileContext) -> tuple[str, str] | None:
    """``(module, function)`` when a ``*Sync`` call is one of those modules' functions."""
    receiver, method = method_of(call, ctx)
    bindings = module_bindings(ctx)
    module: str | None = None
    if receiver is None:  # `readFileSync(...)` imported by name, perhaps renamed
        module, member = bindings.get(method, ("", None))
        method = member or ""
    elif receiver.type == "identifier":
        name = ctx.text(receiver)
        module, member = bindings.get(name, (name if name in _SYNC_MODULE_NAMES else "", None))
        module = module if member is None else None
    elif receiver.type == "call_expression" and is_require(receiver, ctx):
        module = literal_text(JAVASCRIPT, arguments(receiver)[0], ctx)
    module = (module or "").removeprefix("node:")
    if module == "child_process" or module in ("cp", "childProcess"):
        module = "child_process"
    elif module in ("fse", "fsExtra"):
        module = "fs-extra"
    if module not in _SYNC_MODULES or not method.endswith("Sync"):
        return None
    return module, method


def _check_sync_in_async(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or not _is_async(enclosing_function(JAVASCRIPT, call, ctx)):
        return
    found = _sync_function(call, ctx)
    if found is None:
        return
    module, name = found
    base = name.removesuffix("Sync")
    if module in ("fs", "fs-extra", "graceful-fs", "original-fs"):
        advice = f"use `await {base}(...)` from `fs/promises`"
    else:
        advice = f"use the asynchronous `{module}.{base}` (promisified, or through its events) with `await`"
    yield Hit(call, message=f"`{name}` blocks the event loop inside an `async` function; {advice}.")


SYNC_IN_ASYNC = Rule(
    id="JS-P006",
    title="Blocking *Sync call inside an async function",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    cwe=None,
    languages=LANGS,
    message="A synchronous `*Sync` call inside an `async` function blocks the event loop.",
    docs=RuleDocs(
        what="Flags the `*Sync` functions of `fs` (also `fs-extra` and `graceful-fs`), `child_process` "
        "(`execSync`, `execFileSync`, `spawnSync`), `zlib` (`gzipSync`, `inflateSync`...) and `crypto` "
        "(`pbkdf2Sync`, `scryptSync`, `generateKeyPairSync`...) when called directly in an `async` "
        "function, method or arrow function. The module is recognised when the receiver is bound by "
        '`require(...)` / `import` (also `require("fs").readFileSync`, a destructured `readFileSync`, '
        "`node:` prefixes) or carries the module's conventional name (`fs`, `cp`, `zlib`, `crypto`) and is "
        "bound to nothing else. Not flagged: synchronous functions (start-up code, CLI scripts), "
        "non-async callbacks inside an async function, top-level code, and `*Sync` methods of other "
        "objects.",
        why="Node runs all JavaScript on one thread. A `*Sync` call holds it for the whole disk read, child "
        "process or key derivation, so every other request, timer and socket waits: in a server one slow "
        "`readFileSync` or `execSync` stalls every client. An `async` function already has the promise "
        "API at hand.",
        example='app.get("/report", async (req, res) => {\n'
        '  const template = fs.readFileSync("report.html", "utf8");\n'
        '  const gitRev = execSync("git rev-parse HEAD").toString();\n  res.send(render(template, gitRev));\n});',
        use_instead='const { readFile } = require("node:fs/promises");\n'
        'const execFile = util.promisify(require("node:child_process").execFile);\n\n'
        'app.get("/report", async (req, res) => {\n  const template = await readFile("report.html", "utf8");\n'
        '  const { stdout: gitRev } = await execFile("git", ["rev-parse", "HEAD"]);\n'
        "  res.send(render(template, gitRev));\n});",
    ),
    query="""
(call_expression
  function: [(identifier) @method (member_expression property: (property_identifier) @method)]
  (#match? @method "Sync$")) @call
""",
    check=_check_sync_in_async,
    references=("https://nodejs.org/en/learn/asynchronous-work/dont-block-the-event-loop",),
)


RULES: tuple[Rule, ...] = (
    AWAIT_IN_LOOP,
    SYNC_IN_ASYNC,
)
