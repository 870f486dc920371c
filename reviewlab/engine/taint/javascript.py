"""JavaScript / TypeScript for the generic taint walker: syntax, and the Express, Koa, DOM and Node model.

Sources: the request of an Express or Koa handler (a parameter named ``req``/``request``, Koa's
``ctx``, in the handler or a function around it): ``req.query/params/body/cookies/headers/url``,
``req.get()``; NestJS parameter decorators (``@Query()``, ``@Body()``...); in the browser
``location.*``, ``document.URL/documentURI/baseURI/referrer`` and ``window.name`` (globals only: a
local named ``location`` is not the page's); ``process.argv`` and ``process.env`` (local sources).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from reviewlab.engine.rules import common
from reviewlab.engine.taint.generic_adapter import (
    ALL,
    BINARY,
    BIND,
    BLOCK,
    CALL,
    COMMAND,
    EXIT,
    EXPR,
    HOST_FIXED,
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
    TEMPLATE,
    TERNARY,
    TRY,
    UNARY,
    UNION,
    URL,
    VALUE,
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
    text,
)

if TYPE_CHECKING:
    from reviewlab.engine.rules.base import FileContext

_EXPRESS_ATTRS = frozenset(
    {"query", "params", "body", "cookies", "signedCookies", "headers", "url", "originalUrl", "path", "files", "file"}
    | {"nextUrl", "hostname"}
)
_EXPRESS_METHODS = frozenset({"get", "header", "param", "json", "formData", "text"})
_KOA_ATTRS = frozenset({"query", "params", "querystring", "headers", "header", "url", "originalUrl", "href", "path"})
_KOA_ATTRS_ALL = _KOA_ATTRS | {"cookies", "search"}
_REQUEST_NAMES = {"req": "express", "request": "express", "ctx": "koa"}
_NEST_DECORATORS = frozenset({"Query", "Param", "Body", "Headers", "Cookies"})
_DOCUMENT_SOURCES = frozenset({"URL", "documentURI", "baseURI", "referrer"})
_LOCATION_METHODS = frozenset({"assign", "replace", "reload"})
_GLOBALS = frozenset({"location", "window", "document", "process"})
# The page's own URL, or the part of it before the path: whatever is built from it starts with the
# site's origin, so it cannot redirect elsewhere or reach another host (it can still carry markup).
_OWN_ORIGIN = frozenset(
    {"location", "location.href", "location.origin", "location.host", "location.hostname", "location.protocol"}
    | {"location.port", "location.pathname", "location.toString", "document.URL", "document.documentURI"}
    | {"document.baseURI"}
)
_NUMERIC_TYPES = re.compile(r"^:?\s*(?:number|boolean|bigint)$")

_URL_SAFE = frozenset({HTML, URL, REDIRECT, PATH})


class JavaScriptAdapter(Adapter):
    family = "javascript"
    functions = frozenset(
        {
            "function_declaration",
            "function_expression",
            "arrow_function",
            "method_definition",
            "generator_function_declaration",
            "generator_function",
        }
    )
    module_scope = True
    dialect = common.JAVASCRIPT
    statement_kinds: Mapping[str, str] = {
        "program": BLOCK,
        "statement_block": BLOCK,
        "lexical_declaration": BIND,
        "variable_declaration": BIND,
        "assignment_expression": BIND,
        "augmented_assignment_expression": BIND,
        "expression_statement": EXPR,
        "return_statement": RETURN,
        "throw_statement": EXIT,
        "break_statement": JUMP,
        "continue_statement": JUMP,
        "if_statement": IF,
        "for_statement": LOOP,
        "for_in_statement": LOOP,
        "while_statement": LOOP,
        "do_statement": LOOP,
        "try_statement": TRY,
        "switch_statement": SWITCH,
        "labeled_statement": WRAP,
        "export_statement": WRAP,
        **dict.fromkeys(
            (
                "class_declaration",
                "abstract_class_declaration",
                "import_statement",
                "comment",
                "empty_statement",
                "debugger_statement",
                "hash_bang_line",
                "interface_declaration",
                "type_alias_declaration",
                "enum_declaration",
                "ambient_declaration",
                "function_signature",
                "module",
                "internal_module",
            ),
            SKIP,
        ),
    }
    expression_kinds: Mapping[str, str] = {
        "identifier": NAME,
        "shorthand_property_identifier": NAME,
        "this": NAME,
        "member_expression": MEMBER,
        "subscript_expression": INDEX,
        "call_expression": CALL,
        "new_expression": CALL,
        "template_string": TEMPLATE,
        "binary_expression": BINARY,
        "ternary_expression": TERNARY,
        **dict.fromkeys(
            (
                "parenthesized_expression",
                "as_expression",
                "non_null_expression",
                "satisfies_expression",
                "type_assertion",
                "await_expression",
                "spread_element",
                "template_substitution",
            ),
            INNER,
        ),
        "array": UNION,
        "object": UNION,
        "pair": UNION,
        "assignment_expression": VALUE,
        "augmented_assignment_expression": VALUE,
        "sequence_expression": VALUE,
        "unary_expression": UNARY,
        "update_expression": UNARY,
    }
    loop_types = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
    declarations = frozenset({"lexical_declaration", "variable_declaration"})
    strings = frozenset({"string"})
    falsy = frozenset({"false", "null", "undefined"})
    concat = frozenset({"+", "||", "&&", "??"})
    clean_members = frozenset({"length"})
    definitions_query = """
        (function_declaration name: (identifier) @name) @function
        (generator_function_declaration name: (identifier) @name) @function
        (method_definition name: (property_identifier) @name) @function
        (variable_declarator name: (identifier) @name value: [(arrow_function) (function_expression)] @function)
    """

    sanitisers: Mapping[str, frozenset[str]] = {
        **dict.fromkeys(
            (
                "parseInt",
                "parseFloat",
                "Number",
                "Number.parseInt",
                "Number.parseFloat",
                "Boolean",
                "Math.floor",
                "Math.round",
                "Math.ceil",
                "Math.abs",
                "Math.trunc",
                "Math.max",
                "Math.min",
                "isNaN",
                "uuid.validate",
            ),
            ALL,
        ),
        "encodeURIComponent": _URL_SAFE,
        "encodeURI": frozenset({HTML}),
        "querystring.escape": _URL_SAFE,
        "path.basename": frozenset({PATH}),
        "path.posix.basename": frozenset({PATH}),
        "path.win32.basename": frozenset({PATH}),
        **dict.fromkeys(
            (
                "_.escape",
                "lodash.escape",
                "he.encode",
                "he.escape",
                "validator.escape",
                "DOMPurify.sanitize",
                "xss",
                "filterXSS",
                "Handlebars.escapeExpression",
                "Mustache.escape",
            ),
            frozenset({HTML}),
        ),
    }
    sanitiser_methods: Mapping[str, frozenset[str]] = {
        **dict.fromkeys(
            (
                "escapeHtml",
                "escapeHTML",
                "htmlEscape",
                "encodeHTML",
                "encodeHtml",
                "sanitizeHtml",
                "sanitize",
                "escapeExpression",
            ),
            frozenset({HTML}),
        ),
        **dict.fromkeys(("escape", "escapeId", "escapeLiteral", "escapeIdentifier"), frozenset({SQL})),
        **dict.fromkeys(("shellEscape", "shellescape", "escapeShellArg", "quoteShellArg"), frozenset({COMMAND})),
    }
    propagators = frozenset(
        {"String", "JSON.parse", "JSON.stringify", "decodeURIComponent", "decodeURI", "unescape", "atob", "btoa"}
        | {"Buffer.from", "Buffer.concat", "Object.assign", "Object.values", "Object.entries", "Object.fromEntries"}
        | {"Array.from", "Array.of", "structuredClone", "Promise.resolve", "util.format", "format"}
        | {"path.join", "path.resolve", "path.normalize", "path.relative", "path.format", "path.dirname"}
        | {"path.posix.join", "path.win32.join", "path.posix.resolve", "url.resolve", "url.parse", "url.format"}
        | {"querystring.parse", "querystring.stringify", "qs.parse", "qs.stringify", "URL", "URLSearchParams"}
        | {"String.raw", "Array", "Set", "Map"}
    )
    format_calls = frozenset({"util.format", "format"})
    receiver_methods = frozenset(
        {"toString", "toLowerCase", "toUpperCase", "toLocaleLowerCase", "toLocaleUpperCase", "trim", "trimStart"}
        | {"trimEnd", "padStart", "padEnd", "slice", "substring", "substr", "split", "charAt", "at", "repeat"}
        | {"normalize", "valueOf", "join", "get", "getAll", "entries", "values", "keys", "flat", "reverse", "sort"}
        | {"filter", "find", "findLast", "pop", "shift", "toJSON", "toSorted", "toReversed", "with", "match"}
        | {"matchAll"}
    )
    joining_methods = frozenset({"concat", "replace", "replaceAll", "exec"})
    store_methods = frozenset({"push", "unshift", "add", "set", "append", "splice"})
    mapping_methods = frozenset({"map", "flatMap"})
    iteration_methods: Mapping[str, int] = {
        "forEach": 0,
        "map": 0,
        "flatMap": 0,
        "filter": 0,
        "some": 0,
        "every": 0,
        "find": 0,
    }
    exits = frozenset({"process.exit"})
    guards: Mapping[str, GuardSpec] = {
        "includes": GuardSpec(0, ALL),
        "has": GuardSpec(0, ALL),
        "test": GuardSpec(0, ALL, pattern="receiver"),
        "startsWith": GuardSpec("receiver", PREFIX_CHECKED),
    }
    local_sources = frozenset({"process.argv", "process.env"})

    # -- syntax ------------------------------------------------------------------------------------

    def params(self, function: Node) -> list[Param]:
        single = function.child_by_field_name("parameter")
        if single is not None:
            return [Param(single, (single,))]
        params = function.child_by_field_name("parameters")
        found: list[Param] = []
        for param in named(params) if params is not None else ():
            type_text = ""
            decorators: tuple[str, ...] = ()
            pattern = param
            if param.type in ("required_parameter", "optional_parameter"):
                pattern = param.child_by_field_name("pattern") or param
                type_text = text(param.child_by_field_name("type"))
                decorators = tuple(_decorator_name(d) for d in param.children_by_field_name("decorator"))
            if pattern.type == "assignment_pattern":
                pattern = pattern.child_by_field_name("left") or pattern
            rest = pattern.type == "rest_pattern"
            names = (pattern,) if pattern.type == "identifier" else tuple(self.bound(pattern))
            found.append(Param(param, names, type_text, decorators, rest))
        return found

    def bindings(self, node: Node) -> list[Binding]:
        kind = node.type
        if kind in ("lexical_declaration", "variable_declaration"):
            found: list[Binding] = []
            for declarator in named(node):
                name = declarator.child_by_field_name("name")
                if declarator.type == "variable_declarator" and name is not None:
                    found.append(Binding(name, declarator.child_by_field_name("value")))
            return found
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None:
            return []
        if kind == "augmented_assignment_expression":
            operator = self.operator(node)
            return [Binding(left, right, augmented=True, clean=operator not in ("+=", "||=", "??=", "&&="))]
        return [Binding(left, right)]

    def bound(self, target: Node) -> list[Node]:
        if target.type in ("identifier", "shorthand_property_identifier_pattern"):
            return [target]
        if target.type == "pair_pattern":
            value = target.child_by_field_name("value")
            return self.bound(value) if value is not None else []
        if target.type in ("assignment_pattern", "object_assignment_pattern"):
            left = target.child_by_field_name("left")
            return self.bound(left) if left is not None else []
        if target.type in ("object_pattern", "array_pattern", "rest_pattern"):
            return [name for child in named(target) for name in self.bound(child)]
        return []

    def loop(self, node: Node) -> Loop:
        body = node.child_by_field_name("body")
        if node.type == "for_in_statement":
            return Loop(body, target=node.child_by_field_name("left"), iterable=node.child_by_field_name("right"))
        condition = node.child_by_field_name("condition")
        if condition is not None and condition.type == "empty_statement":
            condition = None
        if node.type == "for_statement":
            setup = node.child_by_field_name("initializer")
            update = node.child_by_field_name("increment")
            return Loop(
                body,
                condition,
                setup=(setup,) if setup is not None else (),
                update=(update,) if update is not None else (),
            )
        return Loop(body, condition)

    def try_parts(self, node: Node) -> tuple[list[Node], Node | None, list[tuple[Node | None, Node]], Node | None]:
        handlers: list[tuple[Node | None, Node]] = []
        handler = node.child_by_field_name("handler")
        handler_body = handler.child_by_field_name("body") if handler is not None else None
        if handler is not None and handler_body is not None:
            handlers.append((handler.child_by_field_name("parameter"), handler_body))
        final = node.child_by_field_name("finalizer")
        return [], node.child_by_field_name("body"), handlers, final.child_by_field_name("body") if final else None

    def arms(self, node: Node) -> tuple[Node | None, list[list[Node]]]:
        body = node.child_by_field_name("body")
        arms = [case.children_by_field_name("body") for case in named(body)] if body is not None else []
        return node.child_by_field_name("value"), arms

    def member(self, node: Node) -> tuple[Node | None, str]:
        return node.child_by_field_name("object"), text(node.child_by_field_name("property"))

    def call(self, node: Node) -> Call | None:
        constructor = node.type == "new_expression"
        callee = node.child_by_field_name("constructor" if constructor else "function")
        arguments = node.child_by_field_name("arguments")
        if callee is None:
            return None
        args = tuple(named(arguments)) if arguments is not None and arguments.type == "arguments" else ()
        name = re.sub(r"\s+", "", text(callee)).replace("?.", ".")
        if callee.type == "member_expression":
            return Call(
                node, name, text(callee.child_by_field_name("property")), callee.child_by_field_name("object"), args
            )
        return Call(node, name, name, None, args, constructor)

    def inner(self, node: Node) -> Node | None:
        children = named(node)
        if not children:
            return None
        return children[-1] if node.type == "type_assertion" else children[0]

    def template_parts(self, node: Node) -> Iterator[Node]:
        for child in named(node):
            if child.type == "template_substitution":
                yield child

    def constant_truth(self, node: Node) -> bool | None:
        if node.type == "number":
            try:
                return float(text(node).replace("_", "")) != 0
            except ValueError:
                return None
        if node.type == "string":
            return bool(self.literal_text(node))
        return super().constant_truth(node)

    # -- model -------------------------------------------------------------------------------------

    def contexts(self, function: Node, ctx: FileContext) -> dict[str, str]:
        found: dict[str, str] = {}
        for outer in self.function_chain(function):
            for param in self.params(outer):
                for name in param.names:
                    framework = _REQUEST_NAMES.get(text(name))
                    if framework is not None:
                        found.setdefault(text(name), framework)
        return found

    def param_source(self, param: Param, function: Node, name: str) -> str | None:
        for decorator in param.annotations:
            if decorator in _NEST_DECORATORS and not _NUMERIC_TYPES.match(param.type):
                return f"@{decorator}() `{name}`"
        return None

    def name_source(self, node: Node, scope: Scope) -> str | None:
        if text(node) == "location" and not scope.declares("location"):
            return "location"
        return None

    def member_source(self, obj: Node, prop: str, scope: Scope) -> str | None:
        if obj.type == "identifier":
            name = text(obj)
            framework = scope.contexts.get(name)
            if framework == "express" and prop in _EXPRESS_ATTRS:
                return f"{name}.{prop}"
            if framework == "koa" and prop in _KOA_ATTRS_ALL:
                return f"{name}.{prop}"
            if name not in _GLOBALS or scope.declares(name):
                return None
            if name == "location" and prop not in _LOCATION_METHODS:
                return f"location.{prop}"
            if name in ("window", "document") and prop == "location":
                return "location"
            if name == "document" and prop in _DOCUMENT_SOURCES:
                return f"document.{prop}"
            if name == "window" and prop == "name":
                return "window.name"
            if name == "process" and prop in ("argv", "env"):
                return f"process.{prop}"
            return None
        if obj.type == "member_expression":
            owner, owner_prop = self.member(obj)
            if owner is None or owner.type != "identifier":
                return None
            owner_name = text(owner)
            if owner_prop == "request" and scope.contexts.get(owner_name) == "koa" and prop in _EXPRESS_ATTRS:
                return f"{owner_name}.request.{prop}"
            if (
                owner_name in ("window", "document")
                and owner_prop == "location"
                and prop not in _LOCATION_METHODS
                and not scope.declares(owner_name)
            ):
                return f"location.{prop}"
        return None

    def call_source(self, call: Call, scope: Scope) -> str | None:
        receiver = call.receiver
        if receiver is None or receiver.type != "identifier":
            return None
        name = text(receiver)
        framework = scope.contexts.get(name)
        if framework == "express" and call.method in _EXPRESS_METHODS:
            return f"{name}.{call.method}()"
        if framework == "koa" and call.method == "get":
            return f"{name}.get()"
        return None

    def source_safe_for(self, label: str) -> frozenset[str]:
        return HOST_FIXED if label in _OWN_ORIGIN else frozenset()

    def format_template(self, call: Call) -> tuple[str, list[Node]] | None:
        if not call.args:
            return None
        template = self.literal_text(call.args[0])
        if template is None:
            return None
        return template, list(call.args[1:])


def _decorator_name(decorator: Node) -> str:
    expression = named(decorator)[0] if named(decorator) else decorator
    if expression.type == "call_expression":
        expression = expression.child_by_field_name("function") or expression
    return text(expression).rsplit(".", 1)[-1]


JAVASCRIPT = JavaScriptAdapter()
