"""Go for the generic taint walker: syntax, and the net/http, gorilla/mux, chi, gin and echo model.

Sources: on a parameter typed ``*http.Request``: ``r.URL`` (so ``r.URL.Query().Get``), ``r.Form``,
``r.PostForm``, ``r.Header``, ``r.Body``, ``r.FormValue()``, ``r.PostFormValue()``, ``r.Cookie()``...;
``mux.Vars(r)``, ``chi.URLParam(r, ...)``; gin's ``c.Query/Param/PostForm/GetHeader...`` and
``c.ShouldBind*(&v)`` on a ``*gin.Context``; echo's ``c.QueryParam/FormValue/Param``; ``os.Args`` and
``os.Getenv()`` (local sources). ``v, err := f()`` gives ``err`` (and ``ok``) no taint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from reviewlab.engine.rules import common
from reviewlab.engine.taint.generic_adapter import (
    ALL,
    BINARY,
    BIND,
    BLOCK,
    CALL,
    COMMAND,
    EXPR,
    HTML,
    IF,
    INDEX,
    INNER,
    JUMP,
    LOOP,
    MEMBER,
    NAME,
    PATH,
    PREFIX_CHECKED,
    REDIRECT,
    RETURN,
    SKIP,
    SQL,
    SWITCH,
    UNARY,
    UNION,
    URL,
    WRAP,
    Adapter,
    Binding,
    Call,
    GuardSpec,
    Loop,
    Node,
    Param,
    Scope,
    named,
    printed_args,
    text,
)

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

_FRAMEWORKS = {"*http.Request": "http", "*gin.Context": "gin", "echo.Context": "echo", "*fiber.Ctx": "fiber"}
_REQUEST_FIELDS = frozenset(
    {"URL", "Form", "PostForm", "MultipartForm", "Header", "Body", "Host", "RequestURI", "Trailer"}
)
_CONTEXT_METHODS = {
    "http": frozenset(
        {"FormValue", "PostFormValue", "Cookie", "Cookies", "Referer", "UserAgent", "FormFile", "MultipartReader"}
    ),
    "gin": frozenset(
        {"Query", "DefaultQuery", "GetQuery", "QueryArray", "GetQueryArray", "QueryMap", "Param", "PostForm"}
        | {"DefaultPostForm", "GetPostForm", "PostFormArray", "PostFormMap", "GetHeader", "Cookie", "GetRawData"}
        | {"FormFile"}
    ),
    "echo": frozenset(
        {"QueryParam", "QueryParams", "QueryString", "FormValue", "FormParams", "Param", "ParamValues", "Cookie"}
        | {"Cookies"}
    ),
    "fiber": frozenset({"Query", "Params", "FormValue", "Get", "Body", "Cookies"}),
}
_BINDERS = re.compile(r"^(?:Should)?Bind\w*$|^BodyParser$")
_PACKAGE_SOURCES = {"mux.Vars": "mux.Vars()", "chi.URLParam": "chi.URLParam()"}
_LOCAL_CALLS = {"os.Getenv": "os.Getenv()", "os.LookupEnv": "os.Getenv()"}
_UNMARSHAL = frozenset({"json.Unmarshal", "xml.Unmarshal", "yaml.Unmarshal", "proto.Unmarshal", "toml.Unmarshal"})
_NO_VALUE_NAMES = frozenset({"err", "ok", "_"})
_CLEAN_TYPE = re.compile(r"^(?:u?int(?:8|16|32|64)?|float(?:32|64)|bool|byte|rune|uintptr|time\.Duration)$")
_URL_SAFE = frozenset({HTML, URL, REDIRECT, PATH})


class GoAdapter(Adapter):
    family = "go"
    dialect = common.GO
    functions = frozenset({"function_declaration", "method_declaration", "func_literal"})
    statement_kinds: Mapping[str, str] = {
        "source_file": BLOCK,
        "block": BLOCK,
        "statement_list": BLOCK,
        "short_var_declaration": BIND,
        "assignment_statement": BIND,
        "var_declaration": BIND,
        "send_statement": BIND,
        "receive_statement": BIND,
        "expression_statement": EXPR,
        "return_statement": RETURN,
        "break_statement": JUMP,
        "continue_statement": JUMP,
        "goto_statement": JUMP,
        "if_statement": IF,
        "for_statement": LOOP,
        "expression_switch_statement": SWITCH,
        "type_switch_statement": SWITCH,
        "select_statement": SWITCH,
        "labeled_statement": WRAP,
        "go_statement": WRAP,
        "defer_statement": WRAP,
        **dict.fromkeys(
            ("type_declaration", "import_declaration", "package_clause", "comment", "const_declaration"), SKIP
        ),
    }
    expression_kinds: Mapping[str, str] = {
        "identifier": NAME,
        "selector_expression": MEMBER,
        "index_expression": INDEX,
        "slice_expression": INDEX,
        "call_expression": CALL,
        "type_conversion_expression": CALL,
        "binary_expression": BINARY,
        "parenthesized_expression": INNER,
        "type_assertion_expression": INNER,
        "variadic_argument": INNER,
        "composite_literal": UNION,
        "literal_value": UNION,
        "literal_element": UNION,
        "keyed_element": UNION,
        "expression_list": UNION,
        "unary_expression": UNARY,
    }
    loop_types = frozenset({"for_statement", "range_clause"})
    declarations = frozenset({"short_var_declaration", "var_declaration"})
    strings = frozenset({"interpreted_string_literal", "raw_string_literal"})
    unary_carries = frozenset({"&", "*", "<-"})
    this_names = frozenset()
    definitions_query = """
        (function_declaration name: (identifier) @name) @function
        (method_declaration name: (field_identifier) @name) @function
    """

    sanitisers: Mapping[str, frozenset[str]] = {
        **dict.fromkeys(
            (
                "strconv.Atoi",
                "strconv.ParseInt",
                "strconv.ParseUint",
                "strconv.ParseFloat",
                "strconv.ParseBool",
                "strconv.Itoa",
                "strconv.FormatInt",
                "uuid.Parse",
                "uuid.MustParse",
                "int",
                "int32",
                "int64",
                "uint",
                "uint32",
                "uint64",
                "float64",
                "float32",
                "len",
            ),
            ALL,
        ),
        "html.EscapeString": frozenset({HTML}),
        "template.HTMLEscapeString": frozenset({HTML}),
        "template.JSEscapeString": frozenset({HTML}),
        "template.HTMLEscaper": frozenset({HTML}),
        "url.QueryEscape": _URL_SAFE,
        "url.PathEscape": _URL_SAFE,
        "filepath.Base": frozenset({PATH}),
        "path.Base": frozenset({PATH}),
        "pq.QuoteLiteral": frozenset({SQL}),
        "pq.QuoteIdentifier": frozenset({SQL}),
        "shellescape.Quote": frozenset({COMMAND}),
    }
    sanitiser_methods: Mapping[str, frozenset[str]] = {"Sanitize": frozenset({HTML})}  # bluemonday's policy.Sanitize
    propagators = frozenset(
        {"fmt.Sprintf", "fmt.Sprint", "fmt.Sprintln", "strings.Join", "strings.Replace", "strings.ReplaceAll"}
        | {"strings.TrimSpace", "strings.Trim", "strings.TrimPrefix", "strings.TrimSuffix", "strings.TrimLeft"}
        | {"strings.TrimRight", "strings.ToLower", "strings.ToUpper", "strings.Title", "strings.Split"}
        | {"strings.SplitN", "strings.Fields", "strings.Repeat", "strings.Clone", "strings.NewReader"}
        | {"bytes.TrimSpace", "bytes.ToLower", "bytes.NewReader", "bytes.NewBuffer", "bytes.NewBufferString"}
        | {"filepath.Join", "filepath.Clean", "filepath.Abs", "filepath.Dir", "path.Join", "path.Clean"}
        | {"url.Parse", "url.ParseRequestURI", "url.QueryUnescape", "url.PathUnescape", "url.ParseQuery"}
        | {"url.JoinPath", "io.ReadAll", "ioutil.ReadAll", "bufio.NewReader", "bufio.NewScanner", "json.NewDecoder"}
        | {"xml.NewDecoder", "io.LimitReader", "append", "string", "[]byte", "[]rune", "template.HTML"}
        | {"template.JS", "template.URL", "template.HTMLAttr", "template.CSS", "template.JSStr", "strings.Fields"}
    )
    format_calls = frozenset({"fmt.Sprintf"})
    receiver_methods = frozenset(
        {"Get", "Query", "String", "Text", "Bytes", "Encode", "EscapedPath", "Hostname", "Port", "RequestURI"}
        | {"ReadString", "ReadBytes", "Values", "Peek", "FormValue", "Load"}
    )
    joining_methods = frozenset(
        {"ReplaceAllString", "DecodeString", "EncodeToString", "ResolveReference", "JoinPath", "Replace"}
    )
    store_methods = frozenset({"WriteString", "Write", "WriteByte", "WriteRune", "Add", "Set", "Store"})
    exits = frozenset({"os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "panic"})
    guards: Mapping[str, GuardSpec] = {
        "strings.HasPrefix": GuardSpec(0, PREFIX_CHECKED),
        "slices.Contains": GuardSpec(1, ALL),
        "regexp.MatchString": GuardSpec(1, ALL, pattern=0),
        "MatchString": GuardSpec(0, ALL, pattern="receiver"),
    }
    local_sources = frozenset({"os.Args", "os.Getenv()"})

    # -- syntax ------------------------------------------------------------------------------------

    def params(self, function: Node) -> list[Param]:
        return _parameters(function.child_by_field_name("parameters"))

    def self_name(self, function: Node) -> str | None:
        receiver = _parameters(function.child_by_field_name("receiver"))
        return text(receiver[0].names[0]) if receiver and receiver[0].names else None

    def function_name(self, function: Node) -> str | None:
        name = function.child_by_field_name("name")
        return text(name) if name is not None else None

    def statements(self, block: Node) -> list[Node]:
        found: list[Node] = []
        for child in named(block):
            if child.type == "statement_list":
                found.extend(self.statements(child))
            else:
                found.append(child)
        return found

    def bindings(self, node: Node) -> list[Binding]:
        kind = node.type
        if kind == "var_declaration":
            specs = [s for c in named(node) for s in (named(c) if c.type == "var_spec_list" else [c])]
            found: list[Binding] = []
            for spec in specs:
                listed = spec.child_by_field_name("value")
                clean = bool(_CLEAN_TYPE.match(text(spec.child_by_field_name("type"))))
                found.extend(_pairs(spec.children_by_field_name("name"), named(listed) if listed else [], clean))
            return found
        if kind == "send_statement":
            channel, value = node.child_by_field_name("channel"), node.child_by_field_name("value")
            return [Binding(channel, value, augmented=True)] if channel is not None else []
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return []
        targets = named(left) if left.type == "expression_list" else [left]
        values = named(right) if right.type == "expression_list" else [right]
        operator = self.operator(node) if kind == "assignment_statement" else "="
        if operator not in ("=", ":="):
            return [
                Binding(t, v, augmented=True, clean=operator != "+=") for t, v in zip(targets, values, strict=False)
            ]
        return _pairs(targets, values, False)

    def loop(self, node: Node) -> Loop:
        body = node.child_by_field_name("body")
        header = next((c for c in named(node) if c.id != (body.id if body else -1)), None)
        if header is None:
            return Loop(body)
        if header.type == "range_clause":
            return Loop(body, target=header.child_by_field_name("left"), iterable=header.child_by_field_name("right"))
        if header.type == "for_clause":
            setup, update = header.child_by_field_name("initializer"), header.child_by_field_name("update")
            return Loop(
                body,
                header.child_by_field_name("condition"),
                setup=(setup,) if setup is not None else (),
                update=(update,) if update is not None else (),
            )
        return Loop(body, header)

    def try_parts(self, node: Node) -> tuple[list[Node], Node | None, list[tuple[Node | None, Node]], Node | None]:
        return [], None, [], None

    def arms(self, node: Node) -> tuple[Node | None, list[list[Node]]]:
        arms: list[list[Node]] = []
        for case in named(node):
            if case.type.endswith("_case"):
                arm: list[Node] = []
                for child in named(case):
                    if child.type == "statement_list":
                        arm.extend(self.statements(child))
                    elif child.type in ("receive_statement", "send_statement"):
                        arm.append(child)
                arms.append(arm)
        return node.child_by_field_name("value") or node.child_by_field_name("initializer"), arms

    def member(self, node: Node) -> tuple[Node | None, str]:
        return node.child_by_field_name("operand"), text(node.child_by_field_name("field"))

    def index_object(self, node: Node) -> Node | None:
        return node.child_by_field_name("operand")

    def call(self, node: Node) -> Call | None:
        if node.type == "type_conversion_expression":
            name = text(node.child_by_field_name("type"))
            operand = node.child_by_field_name("operand")
            return Call(node, name, name, None, (operand,) if operand is not None else ())
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None:
            return None
        args = tuple(named(arguments)) if arguments is not None else ()
        name = re.sub(r"\s+", "", text(function))
        if function.type == "selector_expression":
            field = text(function.child_by_field_name("field"))
            return Call(node, name, field, function.child_by_field_name("operand"), args)
        return Call(node, name, name, None, args)

    def inner(self, node: Node) -> Node | None:
        operand = node.child_by_field_name("operand")
        return operand if operand is not None else super().inner(node)

    def union_parts(self, node: Node) -> list[Node]:
        if node.type == "composite_literal":
            body = node.child_by_field_name("body")
            return [body] if body is not None else []
        if node.type == "keyed_element":
            value = node.child_by_field_name("value")
            return [value] if value is not None else named(node)[1:]
        return named(node)

    # -- model -------------------------------------------------------------------------------------

    def contexts(self, function: Node, ctx: FileContext) -> dict[str, str]:
        found: dict[str, str] = {}
        for outer in self.function_chain(function):
            for param in self.params(outer):
                framework = _FRAMEWORKS.get(param.type)
                for name in param.names if framework is not None else ():
                    found.setdefault(text(name), framework or "")
        return found

    def member_source(self, obj: Node, prop: str, scope: Scope) -> str | None:
        if obj.type != "identifier":
            return None
        name = text(obj)
        if scope.contexts.get(name) == "http" and prop in _REQUEST_FIELDS:
            return f"{name}.{prop}"
        if name == "os" and prop == "Args" and not scope.declares("os"):
            return "os.Args"
        return None

    def call_source(self, call: Call, scope: Scope) -> str | None:
        label = _PACKAGE_SOURCES.get(call.name) or _LOCAL_CALLS.get(call.name)
        if label is not None:
            return label
        receiver = call.receiver
        if receiver is None or receiver.type != "identifier":
            return None
        framework = scope.contexts.get(text(receiver))
        if framework is not None and call.method in _CONTEXT_METHODS.get(framework, ()):
            return f"{text(receiver)}.{call.method}()"
        return None

    def into(self, call: Call, scope: Scope) -> list[tuple[Node, Node | str]]:
        args = call.args
        if call.name in _UNMARSHAL and len(args) >= 2:
            return [(args[1], args[0])]
        if call.name in ("fmt.Sscanf", "fmt.Sscan", "fmt.Sscanln") and len(args) >= 2:
            first = 2 if call.name == "fmt.Sscanf" else 1
            return [(target, args[0]) for target in args[first:]]
        if call.name == "io.ReadFull" and len(args) >= 2:
            return [(args[1], args[0])]
        receiver = call.receiver
        if receiver is None or not args:
            return []
        if call.method in ("Decode", "Read"):
            return [(args[0], receiver)]
        framework = scope.contexts.get(text(receiver)) if receiver.type == "identifier" else None
        if framework in ("gin", "echo", "fiber") and _BINDERS.match(call.method):
            return [(args[0], f"{text(receiver)}.{call.method}()")]
        return []

    def format_template(self, call: Call) -> tuple[str, list[Node]] | None:
        template = self.literal_text(call.args[0]) if call.args else None
        return (template, printed_args(template, call.args[1:])) if template is not None else None

    def extra_guard(self, condition: Node) -> tuple[Node, frozenset[str]] | None:
        """``if allowed[name] {``: a lookup in an allowlist map."""
        if condition.type == "index_expression":
            index = condition.child_by_field_name("index")
            return (index, ALL) if index is not None else None
        return None


def _parameters(params: Node | None) -> list[Param]:
    found: list[Param] = []
    for param in named(params) if params is not None else ():
        if param.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        kind = re.sub(r"\s+", "", text(param.child_by_field_name("type")))
        rest = param.type == "variadic_parameter_declaration"
        for name in param.children_by_field_name("name"):
            found.append(Param(param, (name,), kind, rest=rest))
    return found


def _pairs(targets: list[Node], values: list[Node], clean: bool) -> list[Binding]:
    """``a, b := x, y`` binds pairwise; ``v, err := f()`` gives the one value to ``v``, none to ``err``."""
    if len(targets) == len(values):
        return [Binding(t, v, clean=clean) for t, v in zip(targets, values, strict=True)]
    value = values[0] if len(values) == 1 else None
    return [Binding(t, None if text(t) in _NO_VALUE_NAMES else value, clean=clean) for t in targets]


GO = GoAdapter()
