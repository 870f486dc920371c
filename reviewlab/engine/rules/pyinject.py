"""Python injection rules driven by the taint engine: code, command, SQL, LDAP and XPath injection,
unsafe deserialisation, XML external entities, path traversal and SSRF.

Each rule's query selects candidate sinks by shape and name; the check resolves the called name
through the file's imports, then asks the taint engine what reaches the sink
(:func:`~reviewlab.engine.rules.pytaint.sink_taint`): data from a source in the same function, data a
caller in the same file passes into a helper's parameter, or — for a helper nobody in the file calls —
its parameter. Constants, folded-away branches, sanitised and validated values are not reported. A
finding carries the flow from the source to the sink.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    argument,
    bindings,
    bound_text,
    built_by,
    call_name,
    calls_named,
    cwe_url,
    enclosing_function,
    function_tail,
    imports,
    imports_module,
    is_formatted,
    is_trusted,
    keyword_arg,
    literal_prefix,
    literal_text,
    node_text,
    string_value,
    unwrap,
)
from reviewlab.engine.rules.pytaint import (
    OWASP_INJECTION,
    parameter_flow_steps,
    parameter_message,
    sink_taint,
    taint_message,
)
from reviewlab.engine.taint import spec as taint_spec
from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.index import file_index
from reviewlab.engine.taint.python import enclosing_flow
from reviewlab.engine.taint.steps import flow_steps
from reviewlab.engine.taint.values import Const, Seq

Node = tree_sitter.Node
PY = ("python",)
OWASP_INTEGRITY = "https://owasp.org/Top10/A08_2021-Software_and_Data_Integrity_Failures/"


def _report(
    call: Node,
    value: Node,
    ctx: FileContext,
    sink_class: str,
    display: str,
    what: str,
    *,
    local: bool = True,
    sanitizer: re.Pattern[str] | None = None,
    files: bool = False,
) -> Hit | None:
    """A hit at ``call`` when untrusted data reaches ``value``: with its flow, or naming the parameter it comes from.

    Data from a real source is judged by the dataflow alone. A parameter of a helper nobody in the file calls
    must also not look constant (``is_trusted``: ``ALL_CAPS`` names, ``"%d" % n``, calls matching ``sanitizer``).
    """
    taint = sink_taint(value, call, ctx, sink_class, local=local, files=files)
    if taint is None or (not taint.source and is_trusted(value, ctx, sanitizer)):
        return None
    if taint.source:
        return Hit(call, message=taint_message(display, what, taint), flow=flow_steps(taint, call, display, ctx))
    return Hit(
        call, message=parameter_message(display, what, taint), flow=parameter_flow_steps(taint, call, display, ctx)
    )


# ---------------------------------------------------------------------------------------------
# PY-S001 eval / exec
# ---------------------------------------------------------------------------------------------


def _check_eval(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or function_tail(call) in imports(ctx):
        return  # a project function named eval/exec
    code = argument(call, 0, "source", "object")
    if code is None:
        return
    hit = _report(call, code, ctx, taint_spec.CODE, function_tail(call), "code", files=True)
    if hit is not None:
        yield hit


EVAL = Rule(
    id="PY-S001",
    title="Code injection: eval or exec of untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=95,
    languages=PY,
    message="`eval`/`exec` runs code built from untrusted data; whoever controls it runs anything in the process.",
    docs=RuleDocs(
        what="Flags the builtins `eval` and `exec` when the code they run carries untrusted data: client request "
        "inputs, route parameters, the environment, `sys.argv`, `input()`, stdin, or the content of a file opened "
        "at a path known only at run time (`exec(open(plugin_path).read())`), followed through assignments, "
        "string building, containers and helper functions of the same file (a helper's parameter counts when a "
        "caller in the file passes such data, or when nobody in the file calls the helper). Constant code, values "
        "replaced by constants, branches that can never run and numbers (`int(x)`) are not flagged.",
        why="Evaluating a string as code lets whoever controls the string run anything in the process.",
        example="value = eval(request.args['expr'])",
        use_instead="import ast\nvalue = ast.literal_eval(request.args['expr'])",
    ),
    query='((call function: (identifier) @fn) @call (#any-of? @fn "eval" "exec"))',
    check=_check_eval,
    references=(cwe_url(95), cwe_url(94), OWASP_INJECTION),
)

# ---------------------------------------------------------------------------------------------
# PY-S002 OS command injection
# ---------------------------------------------------------------------------------------------

_SHELL_SANITIZER = re.compile(r"^quote$")  # shlex.quote, pipes.quote
_SUBPROCESS_FUNCS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output", "subprocess.Popen"}
)
_ALWAYS_SHELL_FUNCS = frozenset(
    {"os.system", "os.popen", "posix.system", "subprocess.getoutput", "subprocess.getstatusoutput"}
    | {"commands.getoutput", "commands.getstatusoutput", "asyncio.create_subprocess_shell"}
)
# Programs run without a shell: the first argument (or list element) names the program.
_EXEC_FUNCS = frozenset(
    {"asyncio.create_subprocess_exec", "os.execv", "os.execve", "os.execvp", "os.execvpe", "os.execl", "os.execlp"}
    | {"os.spawnv", "os.spawnvp", "os.spawnl", "os.spawnlp", "os.posix_spawn", "os.posix_spawnp"}
)
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "csh", "tcsh", "fish", "cmd", "cmd.exe", "powershell"})
_SHELL_FLAGS = frozenset({"-c", "/c", "/C", "-Command", "-command"})


def _shell_true(call: Node, ctx: FileContext) -> bool:
    shell = keyword_arg(call, "shell")
    if shell is None:
        return False
    shell = unwrap(shell)
    if shell.type == "true":
        return True
    return shell.type == "identifier" and enclosing_flow(call, ctx).constant(shell) is True


def _shell_script(elements: list[Node], ctx: FileContext, anchor: Node) -> Node | None:
    """The script of ``["sh", "-c", script]`` (or ``["cmd.exe", "/c", ...]``), else None."""
    flow = enclosing_flow(anchor, ctx)
    program = flow.constant(elements[0]) if elements else None
    if not isinstance(program, str) or program.rsplit("/", 1)[-1].lower() not in _SHELLS:
        return None
    for index, element in enumerate(elements[1:-1], start=1):
        if flow.constant(element) in _SHELL_FLAGS:
            return elements[index + 1]
    return None


def _commands(call: Node, name: str, ctx: FileContext) -> list[tuple[Node, str]]:
    """The expressions of a process call that a shell or the OS interprets as a command, with what they are."""
    first_arg = argument(call, 0, "args", "cmd", "command", "program", "path", "file")
    if first_arg is None:
        return []
    shell = name in _ALWAYS_SHELL_FUNCS or (name in _SUBPROCESS_FUNCS and _shell_true(call, ctx))
    value = unwrap(first_arg)
    if value.type in ("list", "tuple"):
        elements = [e for e in value.named_children if e.type != "comment"]
        if not elements:
            return []
        if shell:  # with shell=True only the first element is the shell command; the rest become $1...
            return [(elements[0], "a shell command")]
        script = _shell_script(elements, ctx, call)
        if script is not None:
            return [(script, "a shell script (`sh -c`)")]
        return [(elements[0], "the program to run")]
    if shell:
        return [(first_arg, "a shell command")]
    if literal_prefix(first_arg):
        return []  # ``run(f"convert {name}")`` without a shell names a fixed (if odd) program
    if value.type == "identifier" and isinstance(enclosing_flow(call, ctx).fact_of(value), Seq):
        return []  # an argument list built element by element: ``_built_shell_script`` and ``_built_program``
    return [(first_arg, "the program to run")]


def _built_shell_script(call: Node, name: str, ctx: FileContext) -> Taint | None:
    """The taint of the script of an argument list built element by element: ``args.append("sh")``..."""
    first_arg = argument(call, 0, "args")
    if first_arg is None or unwrap(first_arg).type != "identifier" or name not in _SUBPROCESS_FUNCS | _EXEC_FUNCS:
        return None
    built = enclosing_flow(call, ctx).fact_of(first_arg)
    if not isinstance(built, Seq) or not built.items:
        return None
    items = built.items
    program = items[0].value if isinstance(items[0], Const) else None
    if not isinstance(program, str) or program.rsplit("/", 1)[-1].lower() not in _SHELLS:
        return None
    for index, item in enumerate(items[1:-1], start=1):
        if isinstance(item, Const) and item.value in _SHELL_FLAGS:
            script = items[index + 1]
            return script if isinstance(script, Taint) and script.source and script.reaches(taint_spec.SHELL) else None
    return None


def _built_program(call: Node, name: str, ctx: FileContext) -> Taint | None:
    """The taint of the program of an argument list built element by element, when a source chose it."""
    first_arg = argument(call, 0, "args")
    if first_arg is None or unwrap(first_arg).type != "identifier" or name not in _SUBPROCESS_FUNCS | _EXEC_FUNCS:
        return None
    built = enclosing_flow(call, ctx).fact_of(unwrap(first_arg))
    if not isinstance(built, Seq) or not built.items or _shell_true(call, ctx):
        return None
    program = built.items[0]
    return program if isinstance(program, Taint) and program.source and program.reaches(taint_spec.SHELL) else None


def _check_command_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    name = call_name(call, ctx)
    if name not in _SUBPROCESS_FUNCS and name not in _ALWAYS_SHELL_FUNCS and name not in _EXEC_FUNCS:
        return
    script = _built_shell_script(call, name, ctx)
    if script is not None:
        what = "a shell script (`sh -c`)"
        yield Hit(call, message=taint_message(name, what, script), flow=flow_steps(script, call, name, ctx))
        return
    program = _built_program(call, name, ctx)
    if program is not None:
        what = "the program to run"
        yield Hit(call, message=taint_message(name, what, program), flow=flow_steps(program, call, name, ctx))
        return
    for command, what in _commands(call, name, ctx):
        hit = _report(call, command, ctx, taint_spec.SHELL, name, what, sanitizer=_SHELL_SANITIZER)
        if hit is not None:
            yield hit
            return


COMMAND_INJECTION = Rule(
    id="PY-S002",
    title="OS command injection: command built from untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=78,
    languages=PY,
    message="A command built from untrusted data runs through the shell; shell metacharacters in it inject commands.",
    docs=RuleDocs(
        what="Flags `subprocess.run/call/check_call/check_output/Popen` with `shell=True`, `os.system`, `os.popen`, "
        "`subprocess.getoutput/getstatusoutput` and `asyncio.create_subprocess_shell` whose command carries "
        "untrusted data (client request inputs, route parameters, the environment, `sys.argv`, `input()`), "
        "followed through assignments, string building, lists and helper functions of the same file; also an "
        'argument list that runs a shell script (`["sh", "-c", script]`) or a program chosen by untrusted data '
        "(`subprocess.run([program, ...])`, `os.exec*`, `create_subprocess_exec`). A helper's parameter counts "
        "when a caller in the file passes such data, or when nobody in the file calls the helper. Not flagged: "
        "constants (literals, `ALL_CAPS` names, locals only ever bound to constants, values replaced by "
        'constants, branches that can never run), numbers (`int(x)`, `"kill %d" % pid`), values passed '
        "through `shlex.quote`, data checked against an allowlist, and untrusted data passed as further "
        "elements of an argument list without a shell. Module aliases and `from` imports are resolved.",
        why="The shell interprets `;`, `|`, `$(...)`, backticks and globbing in the whole string. If any "
        "part of it comes from a user, a file or the network, that source can run arbitrary commands.",
        example='import subprocess\n\nsubprocess.run(f"convert {filename} out.png", shell=True)\n'
        'os.system("rm -rf " + path)',
        use_instead='import subprocess\n\nsubprocess.run(["convert", filename, "out.png"], check=True)\n'
        'subprocess.run(["rm", "-rf", "--", path], check=True)',
    ),
    query=calls_named(
        "run",
        "call",
        "check_call",
        "check_output",
        "Popen",
        "system",
        "popen",
        "getoutput",
        "getstatusoutput",
        "create_subprocess_shell",
        "create_subprocess_exec",
        *sorted(name.rsplit(".", 1)[1] for name in _EXEC_FUNCS if name.startswith("os.")),
    ),
    check=_check_command_injection,
    references=(
        cwe_url(78),
        OWASP_INJECTION,
        "https://docs.python.org/3/library/subprocess.html#security-considerations",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S003 SQL injection
# ---------------------------------------------------------------------------------------------

# Literal text must read as SQL: a statement keyword, or a clause keyword for fragments (" AND x = ").
_SQL_WORDS = re.compile(
    r"(?i)\b(select|insert|update|delete|replace|merge|upsert|with|exec|execute|call|from|where|values|join|"
    r"order\s+by|group\s+by|limit|offset|having|into|union|and|or|like|set)\b"
)
# Statements that cannot take bind parameters; whatever they interpolate is usually an identifier.
_NO_PARAMETERS = re.compile(
    r"(?i)\s*\(?\s*(alter|create|drop|truncate|pragma|set|grant|revoke|vacuum|analyze|comment|savepoint|release|"
    r"rollback\s+to|listen|notify|unlisten|attach|detach|reindex|cluster|refresh|show|use|lock)\b"
)
_SQL_SANITIZER = re.compile(r"(?i)(quote|escape|sanitiz|sanitis)")
_SQLALCHEMY_TEXT = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text"})


def _check_sql_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    tail = function_tail(call)
    if tail == "text":
        if call_name(call, ctx) not in _SQLALCHEMY_TEXT:
            return
    elif tail not in ("read_sql", "read_sql_query") and function.type != "attribute":
        return
    query = argument(call, 0, "sql", "query", "operation", "statement")
    if query is None:
        return
    literal = bound_text(query, ctx)
    if literal.strip() and not _SQL_WORDS.search(literal):
        return  # text that does not read as SQL (GraphQL ``schema.execute``...)
    if string_value(query) is not None:
        return  # a literal statement
    # From a parameter only SQL built by formatting counts (a bare one may be a whole query), and not DDL,
    # PRAGMA, SET..., which interpolate identifiers.
    parameters = is_formatted(query, ctx, _SQL_SANITIZER, _SQL_WORDS) and not _NO_PARAMETERS.match(literal)
    taint = sink_taint(query, call, ctx, taint_spec.SQL, parameters=parameters)
    if taint is None or (not taint.source and is_trusted(query, ctx, _SQL_SANITIZER)):
        return
    if taint.source:
        yield Hit(call, message=taint_message(tail, "SQL", taint), flow=flow_steps(taint, call, tail, ctx))
    else:
        yield Hit(
            call,
            message=parameter_message(tail, "SQL built by string formatting", taint),
            flow=parameter_flow_steps(taint, call, tail, ctx),
        )


SQL_INJECTION = Rule(
    id="PY-S003",
    title="SQL injection: query built from untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=89,
    languages=PY,
    message="SQL is built from untrusted data; pass the values as query parameters.",
    docs=RuleDocs(
        what="Flags `.execute()`, `.executemany()`, `.executescript()`, `.raw()`, SQLAlchemy `text()` and pandas "
        "`read_sql()` when the SQL carries untrusted data (client request inputs, route parameters, the "
        "environment, `sys.argv`, `input()`), followed through assignments, f-strings, `%`, `.format()`, `+`, "
        "containers and helper functions of the same file. A helper's parameter counts when a caller in the "
        "file passes such data, or, for SQL built by string formatting, when nobody in the file calls the "
        "helper. Not flagged: parameterised queries, constants (including values replaced by constants and "
        "branches that can never run), numbers (`int(x)`, `%d`), placeholder lists (`', '.join('?' * n)`), "
        "values passed through a `quote`/`escape` function, composed `psycopg2.sql` objects, text that does "
        "not read as SQL (e.g. GraphQL `schema.execute`), and, from parameters, statements that cannot take "
        "parameters (DDL, `PRAGMA`, `SET`), which usually interpolate identifiers.",
        why="A value formatted into SQL becomes part of the statement: a quote in it ends the string "
        "literal and the rest runs as SQL, reading or destroying data. Driver parameters are sent "
        "separately from the statement and are never parsed as SQL.",
        example="cursor.execute(f\"SELECT * FROM users WHERE name = '{name}'\")\n"
        'cursor.execute("DELETE FROM t WHERE id = %s" % item_id)',
        use_instead='cursor.execute("SELECT * FROM users WHERE name = %s", (name,))\n'
        'cursor.execute("DELETE FROM t WHERE id = %s", (item_id,))',
    ),
    query=calls_named("execute", "executemany", "executescript", "raw", "text", "read_sql", "read_sql_query"),
    check=_check_sql_injection,
    references=(
        cwe_url(89),
        OWASP_INJECTION,
        "https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S004 pickle-family deserialisation
# ---------------------------------------------------------------------------------------------

_PICKLE_MODULES = ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
_UNSAFE_DESERIALISERS = frozenset(
    {f"{module}.{func}" for module in _PICKLE_MODULES for func in ("load", "loads", "Unpickler")}
    | {"marshal.load", "marshal.loads", "shelve.open", "jsonpickle.decode", "jsonpickle.loads"}
    | {"pandas.read_pickle"}
)


def _check_deserialisation(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None:
        return
    name = call_name(call, ctx)
    if name not in _UNSAFE_DESERIALISERS:
        return
    data = argument(call, 0, "data", "file", "filename", "string", "filepath_or_buffer")
    if data is None:
        return
    value = unwrap(data)
    if string_value(value) is not None or (value.type == "call" and function_tail(value) == "dumps"):
        return  # a literal, or a round trip of data the process just serialised itself
    hit = _report(call, data, ctx, taint_spec.DESERIALISE, name, "data to deserialise", local=False, files=True)
    if hit is not None:
        yield hit


UNSAFE_DESERIALISATION = Rule(
    id="PY-S004",
    title="Unsafe deserialisation of untrusted data with pickle, marshal, shelve or jsonpickle",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=502,
    languages=PY,
    message="This deserialiser can run arbitrary code while loading; never use it on untrusted data.",
    docs=RuleDocs(
        what="Flags `pickle`/`cPickle`/`dill`/`cloudpickle` `load`, `loads` and `Unpickler`, `marshal.load(s)`, "
        "`shelve.open`, `jsonpickle.decode` and `pandas.read_pickle` (resolved through imports and aliases) when "
        "the data comes from the client (request inputs, cookies, uploaded bodies, route parameters), followed "
        "through decoding (`base64.b64decode`...), assignments, containers and helper functions of the same "
        "file; a helper's parameter counts when a caller in the file passes client data, or when nobody in the "
        "file calls the helper, and when it is the content of a file opened at a path known only at run time "
        "(whoever can write that file runs code in the process). Not flagged: literals, a round trip of data the "
        "process just serialised (`pickle.loads(pickle.dumps(x))`), and the program's own files at a constant "
        "path (`open('model.pkl', 'rb')`).",
        why="Unpickling calls whatever constructors the data names (`__reduce__`), so a crafted payload "
        "runs arbitrary code. Anyone who can write the bytes (an upload, a cookie, a queue, a shared "
        "file) can take over the process.",
        example="import pickle\n\nsession = pickle.loads(base64.b64decode(request.cookies['session']))",
        use_instead="import json\n\nsession = json.loads(request.cookies['session'])\n"
        "# or sign the data (hmac) and verify the signature before unpickling",
    ),
    query="\n".join(
        (
            calls_named("load", "loads", "Unpickler", "read_pickle"),
            "((call function: (attribute object: (identifier) @mod attribute: (identifier) @fn)) @call "
            '(#any-of? @mod "shelve" "jsonpickle") (#any-of? @fn "open" "decode"))',
        )
    ),
    check=_check_deserialisation,
    references=(
        cwe_url(502),
        OWASP_INTEGRITY,
        "https://docs.python.org/3/library/pickle.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S012 path traversal, PY-S013 SSRF: taint from a user-controlled source to the sink
# ---------------------------------------------------------------------------------------------

_FILE_SINKS: dict[str, tuple[tuple[int, str], ...]] = {
    "open": ((0, "file"),),
    "starlette.responses.FileResponse": ((0, "path"),),
    "fastapi.responses.FileResponse": ((0, "path"),),
    "io.open": ((0, "file"),),
    "codecs.open": ((0, "filename"),),
    "os.open": ((0, "path"),),
    "os.remove": ((0, "path"),),
    "os.unlink": ((0, "path"),),
    "os.rmdir": ((0, "path"),),
    "os.removedirs": ((0, "name"),),
    "shutil.rmtree": ((0, "path"),),
    "shutil.copy": ((0, "src"), (1, "dst")),
    "shutil.copy2": ((0, "src"), (1, "dst")),
    "shutil.copyfile": ((0, "src"), (1, "dst")),
    "shutil.copytree": ((0, "src"), (1, "dst")),
    "shutil.move": ((0, "src"), (1, "dst")),
    "flask.send_file": ((0, "path_or_file"),),
}
_PATH_METHODS = frozenset(
    {"open", "read_text", "write_text", "read_bytes", "write_bytes", "unlink", "rmdir", "touch", "mkdir"}
)
_PATH_CONSTRUCTORS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path"})


def _path_receiver(receiver: Node, ctx: FileContext) -> bool:
    """Whether a method's receiver is a ``pathlib.Path`` built here or bound to one in scope, or one joined
    with ``/`` (``(BASE / name).read_text()``)."""
    receiver = unwrap(receiver)
    if receiver.type == "binary_operator" and node_text(receiver.child_by_field_name("operator")) == "/":
        left = receiver.child_by_field_name("left")
        return left is not None and _path_receiver(left, ctx)
    return built_by(receiver, ctx, _PATH_CONSTRUCTORS)


def _check_path_traversal(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    name = call_name(call, ctx)
    if name is not None and name.endswith(".send_file"):
        name = "flask.send_file"
    candidates: list[Node] = []
    if name in _FILE_SINKS:
        for index, keyword in _FILE_SINKS[name]:
            arg = argument(call, index, keyword)
            if arg is not None:
                candidates.append(arg)
        display = name
    elif function.type == "attribute" and function_tail(call) in _PATH_METHODS:
        receiver = function.child_by_field_name("object")
        if receiver is None or not _path_receiver(receiver, ctx):
            return
        candidates.append(receiver)  # Path(...) carries the taint of every part it joins
        display = f"Path.{function_tail(call)}"
    else:
        return
    for candidate in candidates:
        taint = sink_taint(candidate, call, ctx, taint_spec.PATH, parameters=False)
        if taint is not None and taint.source:
            yield Hit(
                call,
                message=taint_message(display, "a path", taint),
                flow=flow_steps(taint, call, display, ctx),
            )
            return


PATH_TRAVERSAL = Rule(
    id="PY-S012",
    title="Path traversal: file path from user input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=22,
    languages=PY,
    message="A file path built from user input reaches a file operation; `../` in it escapes the directory.",
    docs=RuleDocs(
        what="Follows data from user-controlled sources (Flask/Werkzeug `request.args/form/files/...`, Django "
        "`request.GET/POST/...`, route handler parameters, `input()`, `sys.argv`, environment variables, "
        "stdin) through assignments, string building, containers and helper functions of the same file, "
        "and flags file operations that receive it: `open`, `os.remove/unlink/rmdir`, `shutil.copy*/move/"
        "rmtree`, `send_file` and `pathlib.Path(...).open/read_text/write_text/...`. `os.path.basename`, "
        "`secure_filename` and a containment check (`if not path.startswith(BASE): abort(...)`, "
        "`is_relative_to`) or an allowlist test (`if name not in ALLOWED: return`) stop the flow; "
        "`send_from_directory` is safe by design.",
        why="A name such as `../../etc/passwd` or an absolute path makes the program read, overwrite or "
        "delete files outside the directory it meant to serve.",
        example="@app.get('/download')\ndef download():\n    name = request.args['name']\n"
        "    return open(f'/srv/files/{name}').read()",
        use_instead="@app.get('/download')\ndef download():\n    name = request.args['name']\n"
        "    return send_from_directory('/srv/files', name)",
    ),
    query=calls_named(
        "open",
        "send_file",
        "remove",
        "unlink",
        "rmdir",
        "removedirs",
        "rmtree",
        "copy",
        "copy2",
        "copyfile",
        "copytree",
        "move",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "touch",
        "mkdir",
    ),
    check=_check_path_traversal,
    references=(
        cwe_url(22),
        "https://owasp.org/www-community/attacks/Path_Traversal",
        "https://flask.palletsprojects.com/en/latest/api/#flask.send_from_directory",
    ),
)

_HTTP_VERBS = ("get", "post", "put", "delete", "head", "patch", "options", "request", "stream")
_URL_SINKS: dict[str, tuple[int, str]] = {
    **{f"requests.{verb}": (0, "url") for verb in _HTTP_VERBS if verb != "request"},
    **{f"httpx.{verb}": (0, "url") for verb in _HTTP_VERBS if verb != "request"},
    "requests.request": (1, "url"),
    "httpx.request": (1, "url"),
    "httpx.stream": (1, "url"),
    "urllib.request.urlopen": (0, "url"),
    "urllib.request.Request": (0, "url"),
    "urllib2.urlopen": (0, "url"),
}
_POOL_MANAGERS = frozenset({"urllib3.PoolManager", "urllib3.ProxyManager", "urllib3.poolmanager.PoolManager"})


_HTTP_CLIENTS = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session", "httpx.Client", "httpx.AsyncClient"}
    | {"aiohttp.ClientSession"}
)


def _pool_manager(receiver: Node, ctx: FileContext) -> bool:
    return built_by(receiver, ctx, _POOL_MANAGERS)


def _check_ssrf(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    name = call_name(call, ctx)
    if name in _URL_SINKS:
        index, keyword = _URL_SINKS[name]
        display = name
    elif (
        function.type == "attribute"
        and function_tail(call) in ("request", "urlopen")
        and _pool_manager(function.child_by_field_name("object") or function, ctx)
    ):
        index, keyword, display = 1, "url", "urllib3.PoolManager.request"
    elif (
        function.type == "attribute"
        and function_tail(call) in _HTTP_VERBS
        and built_by(function.child_by_field_name("object") or function, ctx, _HTTP_CLIENTS)
    ):
        verb = function_tail(call)
        index, keyword, display = (1 if verb in ("request", "stream") else 0), "url", f"client.{verb}"
    else:
        return
    url = argument(call, index, keyword)
    if url is None:
        return
    taint = sink_taint(url, call, ctx, taint_spec.URL, local=False)
    if taint is not None and taint.source:
        yield Hit(call, message=taint_message(display, "a URL", taint), flow=flow_steps(taint, call, display, ctx))


SSRF = Rule(
    id="PY-S013",
    title="Server-side request forgery: URL from user input",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=918,
    languages=PY,
    message="A URL built from user input reaches an HTTP client; the server can be made to call any host.",
    docs=RuleDocs(
        what="Follows data from the client (Flask/Werkzeug `request.*`, Django `request.GET/POST`, route handler "
        "parameters, request handler and WSGI inputs) through assignments, string building, containers and "
        "helper functions of the reviewed project, and flags HTTP requests whose URL it controls: "
        "`requests.get/post/.../request`, `httpx.*`, `urllib.request.urlopen`, `urllib3.PoolManager().request` "
        "and the methods of `requests.Session`, `httpx.Client`/`AsyncClient` and `aiohttp.ClientSession` "
        "objects. URLs from the environment, `sys.argv` or `input()` are configuration chosen by whoever runs "
        "the program and are not flagged. A URL whose scheme and host are a literal prefix "
        '(`f"https://api.example.com/{item}"`) is not flagged: the input only picks a path. A host '
        "allowlist check (`if urlparse(url).hostname not in ALLOWED_HOSTS: abort(400)`) stops the flow.",
        why="A server that fetches any URL a client names can be pointed at internal services, cloud "
        "metadata endpoints (`169.254.169.254`) and `file://` resources that the client cannot reach itself.",
        example="@app.post('/preview')\ndef preview():\n    return requests.get(request.form['url'], timeout=5).text",
        use_instead="@app.post('/preview')\ndef preview():\n    url = request.form['url']\n"
        "    if urlparse(url).hostname not in ALLOWED_HOSTS:\n        abort(400)\n"
        "    return requests.get(url, timeout=5).text",
    ),
    query="\n".join((calls_named(*_HTTP_VERBS, "urlopen", "Request"),)),
    check=_check_ssrf,
    references=(
        cwe_url(918),
        "https://owasp.org/Top10/A10_2021-Server-Side_Request_Forgery_%28SSRF%29/",
        "https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S021 LDAP injection
# ---------------------------------------------------------------------------------------------

_LDAP_MODULES = ("ldap3", "ldap")
# Methods of ldap3 ``Connection`` and python-ldap ``LDAPObject``: (argument index, keyword) of the filter and base.
_LDAP_SEARCHES: dict[str, tuple[tuple[int, str], ...]] = {
    "search": ((1, "search_filter"), (0, "search_base")),  # ldap3; python-ldap's search(base, scope, filterstr)
    "search_s": ((2, "filterstr"), (0, "base")),
    "search_st": ((2, "filterstr"), (0, "base")),
    "search_ext": ((2, "filterstr"), (0, "base")),
    "search_ext_s": ((2, "filterstr"), (0, "base")),
    "paged_search": ((1, "search_filter"), (0, "search_base")),
}


def _check_ldap_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or not imports_module(ctx, _LDAP_MODULES):
        return
    method = function_tail(call)
    specs = _LDAP_SEARCHES.get(method)
    if specs is None:
        return
    if method == "search" and argument(call, 1, "scope") is not None and _is_scope(argument(call, 1, "scope")):
        specs = ((2, "filterstr"), (0, "base"))  # python-ldap: search(base, scope, filterstr)
    for (index, keyword), what in zip(specs, ("an LDAP filter", "an LDAP search base"), strict=True):
        value = argument(call, index, keyword)
        if value is None:
            continue
        hit = _report(call, value, ctx, taint_spec.LDAP, method, what)
        if hit is not None:
            yield hit
            return


def _is_scope(node: Node | None) -> bool:
    """``ldap.SCOPE_SUBTREE`` and friends: the second argument of python-ldap's ``search``."""
    return node is not None and "SCOPE_" in node_text(node)


LDAP_INJECTION = Rule(
    id="PY-S021",
    title="LDAP injection: search filter built from untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=90,
    languages=PY,
    message="An LDAP search filter is built from untrusted data; `*`, `(`, `)` and `\\` in it change the query.",
    docs=RuleDocs(
        what="Flags ldap3 `Connection.search/paged_search` and python-ldap `search/search_s/search_st/search_ext/"
        "search_ext_s` (in files importing `ldap3` or `ldap`) whose filter or search base carries untrusted data "
        "(client request inputs, route parameters, the environment, `sys.argv`, `input()`), followed through "
        "assignments, string building, containers and helper functions of the same file. Not flagged: constant "
        "filters, values escaped with `escape_filter_chars`/`escape_dn_chars` (ldap3.utils.conv, ldap.filter), "
        "filters built with `ldap.filter.filter_format`, numbers and allowlisted values.",
        why="Filter metacharacters in a value rewrite the filter: `*)(uid=*))(|(uid=*` turns a lookup of one user "
        "into a query that matches everyone, bypassing login checks or leaking the directory.",
        example="conn.search('dc=example,dc=com', f\"(&(objectClass=person)(uid={request.args['user']}))\")",
        use_instead="from ldap3.utils.conv import escape_filter_chars\n\n"
        "user = escape_filter_chars(request.args['user'])\n"
        "conn.search('dc=example,dc=com', f'(&(objectClass=person)(uid={user}))')",
    ),
    query=calls_named(*_LDAP_SEARCHES),
    check=_check_ldap_injection,
    references=(
        cwe_url(90),
        OWASP_INJECTION,
        "https://cheatsheetseries.owasp.org/cheatsheets/LDAP_Injection_Prevention_Cheat_Sheet.html",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S022 XPath injection
# ---------------------------------------------------------------------------------------------

_XPATH_MODULES = ("lxml", "xml", "elementpath", "parsel", "scrapy")
_XPATH_FUNCTIONS = frozenset(
    {"lxml.etree.XPath", "lxml.etree.ETXPath", "elementpath.select", "elementpath.iter_select", "elementpath.Selector"}
)
_XPATH_METHODS = frozenset({"xpath", "find", "findall", "findtext", "iterfind"})
_XPATH_TEXT = re.compile(r"[/\[@]")


def _check_xpath_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None or not imports_module(ctx, _XPATH_MODULES):
        return
    name = call_name(call, ctx) or ""
    if name in _XPATH_FUNCTIONS:
        expression = argument(call, 1 if name.startswith("elementpath.") and "Selector" not in name else 0, "path")
        display = name
    elif function.type == "attribute" and function_tail(call) in _XPATH_METHODS:
        expression = argument(call, 0, "_path", "path", "match")
        display = function_tail(call)
        receiver = function.child_by_field_name("object")
        if display != "xpath" and (
            receiver is None
            or unwrap(receiver).type not in ("identifier", "attribute", "call")
            or node_text(unwrap(receiver)).split(".", 1)[0] in imports(ctx)
            or not _XPATH_TEXT.search(literal_text(expression) if expression is not None else "")
        ):
            return  # ``str.find``, ``re.findall``: ElementTree paths read like ``.//user[@id='...']``
    else:
        return
    if expression is None:
        return
    hit = _report(call, expression, ctx, taint_spec.XPATH, display, "an XPath expression")
    if hit is not None:
        yield hit


XPATH_INJECTION = Rule(
    id="PY-S022",
    title="XPath injection: XPath expression built from untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=643,
    languages=PY,
    message="An XPath expression is built from untrusted data; quotes in it rewrite the query.",
    docs=RuleDocs(
        what="Flags lxml `.xpath(...)`, `etree.XPath(...)`/`ETXPath(...)`, ElementTree `find/findall/findtext/"
        "iterfind(...)`, `elementpath.select(...)` and parsel/Scrapy `.xpath(...)` (in files importing lxml, "
        "xml, elementpath, parsel or scrapy) whose expression carries untrusted data (client request inputs, "
        "route parameters, the environment, `sys.argv`, `input()`), followed through assignments, string "
        "building, containers and helper functions of the same file. Not flagged: constant expressions and "
        "XPath variables (`root.xpath('//user[@name=$name]', name=value)`), numbers and allowlisted values.",
        why="A quote in the value ends the string literal in the expression: `' or '1'='1` selects every node, "
        "which bypasses lookups used for authentication or leaks the whole document.",
        example="root.xpath(f\"//user[@name='{request.args['name']}']\")",
        use_instead="root.xpath('//user[@name=$name]', name=request.args['name'])",
    ),
    query=calls_named("xpath", "find", "findall", "findtext", "iterfind", "XPath", "ETXPath", "select", "iter_select"),
    check=_check_xpath_injection,
    references=(
        cwe_url(643),
        OWASP_INJECTION,
        "https://lxml.de/xpathxslt.html#the-xpath-method",
    ),
)

# ---------------------------------------------------------------------------------------------
# PY-S023 XML external entities
# ---------------------------------------------------------------------------------------------

_LXML_PARSE = frozenset(
    {"lxml.etree.fromstring", "lxml.etree.XML", "lxml.etree.parse", "lxml.etree.iterparse", "lxml.etree.XMLID"}
    | {"lxml.etree.fromstringlist", "lxml.objectify.fromstring", "lxml.objectify.parse"}
)
_LXML_PARSERS = frozenset({"lxml.etree.XMLParser", "lxml.etree.XMLPullParser", "lxml.objectify.makeparser"})
_SAX_PARSE = frozenset({"xml.sax.parse", "xml.sax.parseString"})
_DOM_PARSE = frozenset({"xml.dom.minidom.parse", "xml.dom.minidom.parseString", "xml.dom.pulldom.parse"})
_DOM_PARSE |= frozenset({"xml.dom.pulldom.parseString"})
_EXTERNAL_FEATURES = re.compile(r"feature_external_[gp]es|external-(?:general|parameter)-entities")


def _keyword_true(call: Node, name: str, ctx: FileContext) -> bool:
    value = keyword_arg(call, name)
    return value is not None and enclosing_flow(call, ctx).constant(value) is True


def _unsafe_lxml_parser(node: Node | None, ctx: FileContext, anchor: Node, depth: int = 0) -> bool:
    """Whether a parser argument is (or is bound to) ``XMLParser(resolve_entities=True)``, directly or as the
    return value of a same-file factory function (``make_parser()``)."""
    if node is None or depth > 3:
        return False
    node = unwrap(node)
    if node.type == "identifier":
        return any(
            value is not None and value.type == "call" and _unsafe_lxml_parser(value, ctx, anchor, depth + 1)
            for value in _local_bindings(node, ctx)
        )
    if node.type != "call":
        return False
    callee = node.child_by_field_name("function")
    if call_name(node, ctx) not in _LXML_PARSERS:
        if callee is None or callee.type != "identifier":
            return False
        return any(
            _unsafe_lxml_parser(returned, ctx, anchor, depth + 1)
            for function in file_index(ctx).functions_by_name.get(node_text(callee), ())
            for returned in _returned_values(function)
        )
    no_network = keyword_arg(node, "no_network")
    return _keyword_true(node, "resolve_entities", ctx) or (
        no_network is not None and enclosing_flow(node, ctx).constant(no_network) is False
    )


def _returned_values(function: Node) -> list[Node]:
    """The expressions a function returns (not those of functions nested in it)."""
    found: list[Node] = []
    body = function.child_by_field_name("body")
    stack = list(body.named_children) if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "return_statement" and node.named_children:
            found.append(node.named_children[0])
        elif node.type not in ("function_definition", "class_definition", "lambda"):
            stack.extend(node.named_children)
    return found


def _local_bindings(identifier: Node, ctx: FileContext) -> list[Node | None]:
    return [unwrap(value) if value is not None else None for value in bindings(identifier, ctx)]


def _sax_external(parser: Node, ctx: FileContext) -> bool:
    """Whether the function around ``parser`` turns on external entities for it with ``setFeature(..., True)``."""
    scope = enclosing_function(parser) or ctx.tree.root_node
    name = node_text(parser)
    stack = [scope]
    while stack:
        node = stack.pop()
        if node.type == "call" and function_tail(node) == "setFeature":
            callee = node.child_by_field_name("function")
            receiver = callee.child_by_field_name("object") if callee is not None else None
            feature, flag = argument(node, 0), argument(node, 1)
            if (
                receiver is not None
                and node_text(receiver) == name
                and feature is not None
                and _EXTERNAL_FEATURES.search(node_text(feature) + (string_value(feature) or ""))
                and flag is not None
                and enclosing_flow(node, ctx).constant(flag) is True
            ):
                return True
        stack.extend(node.named_children)
    return False


def _xml_input(call: Node, ctx: FileContext) -> tuple[Node | None, str] | None:
    """The document a parse call reads and the parser's name, when the parser resolves external entities."""
    name = call_name(call, ctx) or ""
    if name in _LXML_PARSE:
        if _unsafe_lxml_parser(argument(call, 1, "parser"), ctx, call):
            return argument(call, 0, "text", "source", "strings"), name
        return None
    if name in _DOM_PARSE or name in _SAX_PARSE:
        parser = argument(call, 1, "parser") if name in _DOM_PARSE else None
        if parser is not None and unwrap(parser).type == "identifier" and _sax_external(unwrap(parser), ctx):
            return argument(call, 0, "file", "string", "stream_or_string", "source"), name
        return None
    function = call.child_by_field_name("function")
    if function is not None and function.type == "attribute" and function_tail(call) in ("parse", "feed"):
        receiver = function.child_by_field_name("object")
        if receiver is not None and unwrap(receiver).type == "identifier" and _sax_external(unwrap(receiver), ctx):
            return argument(call, 0, "source", "data"), f"{node_text(receiver)}.{function_tail(call)}"
    return None


def _check_xxe(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    if call is None or not imports_module(ctx, ("lxml", "xml")):
        return
    found = _xml_input(call, ctx)
    if found is None:
        return
    document, display = found
    if document is None:
        return
    hit = _report(call, document, ctx, taint_spec.XML, display, "an XML document parsed with external entities on")
    if hit is not None:
        yield hit


XXE = Rule(
    id="PY-S023",
    title="XML external entities: untrusted XML parsed with entity resolution on",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=611,
    languages=PY,
    message="Untrusted XML is parsed by a parser that resolves external entities; the document can read local "
    "files or make the server send requests.",
    docs=RuleDocs(
        what="Flags parsing of untrusted XML (client request inputs, route parameters, the environment, `sys.argv`, "
        "`input()`, followed through assignments, string building and helper functions of the same file) by a "
        "parser that resolves external entities: lxml `fromstring/XML/parse/iterparse` with an "
        "`XMLParser(resolve_entities=True)` or `XMLParser(no_network=False)` (built in place, bound to a name, or "
        "returned by a factory function of the same file), and `xml.sax` / `xml.dom.minidom` "
        "/ `xml.dom.pulldom` parsers on which `setFeature(feature_external_ges or feature_external_pes, True)` "
        "is called. Not flagged: the default parsers (the standard library does not fetch external entities, "
        "and lxml 5 resolves only internal ones), `defusedxml`, parsers with `resolve_entities=False`, and "
        "constant documents.",
        why='An external entity (`<!ENTITY x SYSTEM "file:///etc/passwd">`) makes the parser read a local file '
        "or fetch a URL and put its content into the document: file disclosure, SSRF, and denial of service.",
        example="parser = etree.XMLParser(resolve_entities=True)\ndoc = etree.fromstring(request.data, parser)",
        use_instead="import defusedxml.ElementTree as ET\n\ndoc = ET.fromstring(request.data)\n"
        "# or: etree.XMLParser(resolve_entities=False, no_network=True)",
    ),
    query=calls_named("fromstring", "XML", "parse", "iterparse", "XMLID", "fromstringlist", "parseString", "feed"),
    check=_check_xxe,
    references=(
        cwe_url(611),
        "https://cheatsheetseries.owasp.org/cheatsheets/XML_External_Entity_Prevention_Cheat_Sheet.html",
        "https://docs.python.org/3/library/xml.html#xml-vulnerabilities",
    ),
)


# ---------------------------------------------------------------------------------------------
# PY-S024 server-side template injection
# ---------------------------------------------------------------------------------------------

# Calls that compile their argument as a template: (argument index, keyword).
_TEMPLATE_SOURCES: dict[str, tuple[int, str]] = {
    "flask.render_template_string": (0, "source"),
    "quart.render_template_string": (0, "source"),
    "jinja2.Template": (0, "source"),
    "jinja2.environment.Template": (0, "source"),
    "mako.template.Template": (0, "text"),
    "django.template.Template": (0, "template_string"),
    "django.template.engines.from_string": (0, "template_code"),
    "tornado.template.Template": (0, "template_string"),
    "chevron.render": (0, "template"),
    "pystache.render": (0, "template"),
}
_TEMPLATE_TAILS = frozenset(name.rsplit(".", 1)[1] for name in _TEMPLATE_SOURCES)
_TEMPLATE_MODULES = ("jinja2", "flask", "quart", "django", "mako", "tornado")


def _check_template_injection(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    name = call_name(call, ctx) or ""
    if name in _TEMPLATE_SOURCES:
        index, keyword = _TEMPLATE_SOURCES[name]
        display = name.rsplit(".", 1)[-1]
    elif function_tail(call) == "from_string" and imports_module(ctx, _TEMPLATE_MODULES):
        index, keyword, display = 0, "source", "from_string"  # ``Environment(...).from_string(source)``
    elif "." not in name and name in _TEMPLATE_TAILS and name not in imports(ctx) and name != "Template":
        index, keyword = next(spec for full, spec in _TEMPLATE_SOURCES.items() if full.endswith("." + name))
        display = name
    else:
        return
    source = argument(call, index, keyword)
    if source is None:
        return
    hit = _report(call, source, ctx, taint_spec.CODE, display, "a template source")
    if hit is not None:
        yield hit


TEMPLATE_INJECTION = Rule(
    id="PY-S024",
    title="Server-side template injection: template source built from untrusted data",
    category=Category.SECURITY,
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    cwe=94,
    languages=PY,
    message="A template is compiled from untrusted data; template syntax in it runs code on the server.",
    docs=RuleDocs(
        what="Flags Flask/Quart `render_template_string(...)`, `jinja2.Template(...)`, "
        "`Environment(...).from_string(...)`, Mako and Tornado `Template(...)`, Django `Template(...)` / "
        "`engines[...].from_string(...)`, `chevron.render` and `pystache.render` when the template *source* "
        "carries untrusted data (client request inputs, route parameters, the environment, `sys.argv`, "
        "`input()`), followed through assignments, string building, containers and helper functions of the "
        "reviewed project. Values passed as template variables (`render_template_string('<p>{{ name }}</p>', "
        "name=name)`) are not flagged: they are data, and autoescaped.",
        why="Template engines evaluate expressions: `{{ cycler.__init__.__globals__.os.popen('id').read() }}` "
        "in a Jinja2 template runs a shell command. Whoever writes the template source runs code in the server.",
        example="@app.route('/card')\ndef card():\n    name = request.args.get('name', '')\n"
        "    return render_template_string(f'<h2>Happy birthday, {name}!</h2>')",
        use_instead="@app.route('/card')\ndef card():\n    name = request.args.get('name', '')\n"
        "    return render_template_string('<h2>Happy birthday, {{ name }}!</h2>', name=name)",
    ),
    query=calls_named("render_template_string", "Template", "from_string", "render"),
    check=_check_template_injection,
    references=(
        cwe_url(94),
        cwe_url(1336),
        "https://portswigger.net/web-security/server-side-template-injection",
    ),
)


RULES: tuple[Rule, ...] = (
    EVAL,
    COMMAND_INJECTION,
    SQL_INJECTION,
    UNSAFE_DESERIALISATION,
    PATH_TRAVERSAL,
    SSRF,
    LDAP_INJECTION,
    XPATH_INJECTION,
    XXE,
    TEMPLATE_INJECTION,
)
