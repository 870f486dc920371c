"""Java for the generic taint walker: syntax, and the Servlet, Spring and JAX-RS model.

Sources: ``getParameter``/``getHeader``/``getCookies``/``getQueryString``/``getInputStream``/
``getReader``... on a servlet request (a parameter, local or field typed ``HttpServletRequest``,
``ServletRequest`` or ``WebRequest``, or a name like ``request`` declared nowhere visible);
parameters annotated ``@RequestParam``, ``@PathVariable``, ``@RequestBody``, ``@RequestHeader``,
``@CookieValue`` (and JAX-RS ``@QueryParam``...), unless typed as a number; ``System.getenv()`` and
``main``'s arguments (local sources). A variable declared as a number or boolean holds no text.
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
    EXIT,
    EXPR,
    HTML,
    IF,
    INDEX,
    INNER,
    JUMP,
    LDAP,
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
    TERNARY,
    TRY,
    UNARY,
    UNION,
    URL,
    VALUE,
    WRAP,
    XPATH,
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

_REQUEST_TYPE = re.compile(r"(?:^|\.)(?:\w*ServletRequest(?:Wrapper)?|(?:Native)?WebRequest)$")
_REQUEST_NAMES = frozenset({"request", "req", "httpRequest", "servletRequest", "httpServletRequest"})
_SERVLET_METHODS = frozenset(
    {"getParameter", "getParameterValues", "getParameterMap", "getParameterNames", "getHeader", "getHeaders"}
    | {"getCookies", "getQueryString", "getInputStream", "getReader", "getRequestURI", "getRequestURL"}
    | {"getPathInfo", "getPart", "getParts"}
)
_PARAM_ANNOTATIONS = frozenset(
    {"RequestParam", "PathVariable", "RequestBody", "RequestHeader", "CookieValue", "MatrixVariable"}
    | {"RequestPart", "ModelAttribute", "QueryParam", "PathParam", "FormParam", "HeaderParam", "CookieParam"}
)
_CLEAN_TYPE = re.compile(
    r"^(?:byte|short|int|long|float|double|boolean|char|Byte|Short|Integer|Long|Float|Double|Boolean"
    r"|BigInteger|BigDecimal|UUID|LocalDate|LocalDateTime|LocalTime|Instant|OptionalInt|OptionalLong)$"
)
_URL_SAFE = frozenset({HTML, URL, REDIRECT, PATH})
_HTML = frozenset({HTML})


def _type_name(node: Node | None) -> str:
    """A type's text without generics or annotations: ``List<String>`` -> ``List``."""
    return re.sub(r"<.*>|@\w+(?:\([^)]*\))?\s*", "", text(node)).strip()


class JavaAdapter(Adapter):
    family = "java"
    dialect = common.JAVA
    functions = frozenset({"method_declaration", "constructor_declaration", "lambda_expression"})
    statement_kinds: Mapping[str, str] = {
        "program": BLOCK,
        "block": BLOCK,
        "constructor_body": BLOCK,
        "local_variable_declaration": BIND,
        "assignment_expression": BIND,
        "resource": BIND,
        "expression_statement": EXPR,
        "return_statement": RETURN,
        "throw_statement": EXIT,
        "break_statement": JUMP,
        "continue_statement": JUMP,
        "if_statement": IF,
        "for_statement": LOOP,
        "enhanced_for_statement": LOOP,
        "while_statement": LOOP,
        "do_statement": LOOP,
        "try_statement": TRY,
        "try_with_resources_statement": TRY,
        "switch_expression": SWITCH,
        "labeled_statement": WRAP,
        "synchronized_statement": WRAP,
        **dict.fromkeys(
            (
                "class_declaration",
                "interface_declaration",
                "enum_declaration",
                "record_declaration",
                "annotation_type_declaration",
                "import_declaration",
                "package_declaration",
                "line_comment",
                "block_comment",
                "empty_statement",
            ),
            SKIP,
        ),
    }
    expression_kinds: Mapping[str, str] = {
        "identifier": NAME,
        "this": NAME,
        "field_access": MEMBER,
        "array_access": INDEX,
        "method_invocation": CALL,
        "object_creation_expression": CALL,
        "binary_expression": BINARY,
        "ternary_expression": TERNARY,
        "parenthesized_expression": INNER,
        "cast_expression": INNER,
        "array_initializer": UNION,
        "array_creation_expression": UNION,
        "assignment_expression": VALUE,
        "unary_expression": UNARY,
        "update_expression": UNARY,
    }
    loop_types = frozenset({"for_statement", "enhanced_for_statement", "while_statement", "do_statement"})
    declarations = frozenset({"local_variable_declaration"})
    getters = re.compile(r"^(?:get|to)[A-Z]")
    strings = frozenset({"string_literal"})
    clean_members = frozenset({"length"})
    definitions_query = "(method_declaration name: (identifier) @name) @function"

    sanitisers: Mapping[str, frozenset[str]] = {
        **dict.fromkeys(
            (
                "Integer.parseInt",
                "Integer.valueOf",
                "Long.parseLong",
                "Long.valueOf",
                "Short.parseShort",
                "Double.parseDouble",
                "Double.valueOf",
                "Float.parseFloat",
                "Boolean.parseBoolean",
                "Boolean.valueOf",
                "UUID.fromString",
                "Integer.toString",
                "Long.toString",
            ),
            ALL,
        ),
        "URLEncoder.encode": _URL_SAFE,
        "FilenameUtils.getName": frozenset({PATH}),
        "FilenameUtils.getBaseName": frozenset({PATH}),
        "Jsoup.clean": _HTML,
        "HtmlUtils.htmlEscape": _HTML,
    }
    sanitiser_methods: Mapping[str, frozenset[str]] = {
        **dict.fromkeys(
            (
                "escapeHtml",
                "escapeHtml4",
                "escapeHtml3",
                "escapeXml",
                "escapeXml10",
                "escapeXml11",
                "htmlEscape",
                "escapeEcmaScript",
                "forHtml",
                "forHtmlContent",
                "forHtmlAttribute",
                "forJavaScript",
                "forXml",
                "encodeForHTML",
                "encodeForHTMLAttribute",
                "encodeForJavaScript",
                "encodeForXML",
                "encodeForCSS",
            ),
            _HTML,
        ),
        "encodeForURL": _URL_SAFE,
        "encodeForSQL": frozenset({SQL}),
        "encodeForLDAP": frozenset({LDAP}),
        "encodeForDN": frozenset({LDAP}),
        "encodeForXPath": frozenset({XPATH}),
        "encodeForOS": frozenset({COMMAND}),
        "getFileName": frozenset({PATH}),
        "getName": frozenset({PATH}),
    }
    propagators = frozenset(
        {"String.valueOf", "String.join", "String.format", "String.copyValueOf", "Objects.toString"}
        | {"Objects.requireNonNull", "Objects.requireNonNullElse", "Optional.of", "Optional.ofNullable"}
        | {"Arrays.asList", "List.of", "Set.of", "Map.of", "Collections.singletonList", "Paths.get", "Path.of"}
        | {"URLDecoder.decode", "URI.create", "MessageFormat.format", "StringUtils.join", "StringUtils.trim"}
        | {"String", "StringBuilder", "StringBuffer", "File", "URL", "URI", "InputStreamReader", "BufferedReader"}
        | {"Scanner", "ArrayList", "HashSet", "LinkedList", "StringReader", "ByteArrayInputStream"}
        | {"IOUtils.toString", "StreamUtils.copyToString"}
    )
    format_calls = frozenset({"String.format"})
    receiver_methods = frozenset(
        {"toString", "trim", "strip", "toLowerCase", "toUpperCase", "substring", "split", "getBytes", "toCharArray"}
        | {"intern", "get", "getFirst", "getOrDefault", "getValue", "values", "keySet", "entrySet", "stream"}
        | {"iterator", "next", "orElse", "orElseGet", "orElseThrow", "readLine", "lines", "readAllBytes", "normalize"}
        | {"toAbsolutePath", "toRealPath", "getAbsolutePath", "getCanonicalPath", "getPath", "toFile", "toPath"}
        | {"toURI", "toURL", "toArray", "filter", "collect", "findFirst", "findAny", "sorted", "distinct", "limit"}
        | {"skip", "getSubmittedFileName", "getOriginalFilename", "getQuery", "getBody", "nextLine", "getParameter"}
        | {"getAbsoluteFile", "getCanonicalFile", "getParent", "getParentFile", "decode", "getDecoder", "asText"}
    )
    joining_methods = frozenset(
        {"concat", "replace", "replaceAll", "replaceFirst", "append", "insert", "formatted", "resolve", "join"}
        | {"orElse"}
    )
    store_methods = frozenset({"append", "add", "addAll", "put", "putAll", "insert", "offer", "push", "set"})
    mapping_methods = frozenset({"map", "flatMap"})
    iteration_methods: Mapping[str, int] = {
        "forEach": 0,
        "map": 0,
        "flatMap": 0,
        "filter": 0,
        "anyMatch": 0,
        "allMatch": 0,
    }
    exits = frozenset({"System.exit"})
    guards: Mapping[str, GuardSpec] = {
        "contains": GuardSpec(0, ALL),
        "containsKey": GuardSpec(0, ALL),
        "Pattern.matches": GuardSpec(1, ALL),
        "matches": GuardSpec("receiver", ALL),
        "startsWith": GuardSpec("receiver", PREFIX_CHECKED),
    }
    local_sources = frozenset({"System.getenv()", "command-line arguments"})

    # -- syntax ------------------------------------------------------------------------------------

    def params(self, function: Node) -> list[Param]:
        params = function.child_by_field_name("parameters")
        if params is None:
            return []
        if params.type == "identifier":
            return [Param(params, (params,))]
        found: list[Param] = []
        for param in named(params):
            if param.type == "identifier":  # (a, b) -> ...
                found.append(Param(param, (param,)))
            elif param.type == "formal_parameter":
                name = param.child_by_field_name("name")
                if name is not None:
                    found.append(
                        Param(param, (name,), _type_name(param.child_by_field_name("type")), _annotations(param))
                    )
            elif param.type == "spread_parameter":
                declarator = next((c for c in named(param) if c.type == "variable_declarator"), None)
                name = declarator.child_by_field_name("name") if declarator is not None else None
                if name is not None:
                    found.append(Param(param, (name,), "", _annotations(param), rest=True))
        return found

    def bindings(self, node: Node) -> list[Binding]:
        if node.type == "local_variable_declaration":
            clean = bool(_CLEAN_TYPE.match(_type_name(node.child_by_field_name("type"))))
            found: list[Binding] = []
            for declarator in node.children_by_field_name("declarator"):
                name = declarator.child_by_field_name("name")
                if name is not None:
                    found.append(Binding(name, declarator.child_by_field_name("value"), clean=clean))
            return found
        if node.type == "resource":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            return [Binding(name, value)] if name is not None else []
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None:
            return []
        operator = self.operator(node)
        if operator == "=":
            return [Binding(left, right)]
        return [Binding(left, right, augmented=True, clean=operator != "+=")]

    def loop(self, node: Node) -> Loop:
        body = node.child_by_field_name("body")
        condition = node.child_by_field_name("condition")
        if node.type == "enhanced_for_statement":
            return Loop(body, target=node.child_by_field_name("name"), iterable=node.child_by_field_name("value"))
        if node.type == "for_statement":
            return Loop(
                body,
                condition,
                setup=tuple(node.children_by_field_name("init")),
                update=tuple(node.children_by_field_name("update")),
            )
        return Loop(body, condition)

    def try_parts(self, node: Node) -> tuple[list[Node], Node | None, list[tuple[Node | None, Node]], Node | None]:
        resources = node.child_by_field_name("resources")
        handlers: list[tuple[Node | None, Node]] = []
        final: Node | None = None
        for child in named(node):
            if child.type == "catch_clause":
                parameter = next((c for c in named(child) if c.type == "catch_formal_parameter"), None)
                body = child.child_by_field_name("body")
                if body is not None:
                    caught = parameter.child_by_field_name("name") if parameter is not None else None
                    handlers.append((caught, body))
            elif child.type == "finally_clause":
                final = next((c for c in named(child) if c.type == "block"), None)
        found = [r for r in named(resources) if r.type == "resource"] if resources is not None else []
        return found, node.child_by_field_name("body"), handlers, final

    def arms(self, node: Node) -> tuple[Node | None, list[list[Node]]]:
        body = node.child_by_field_name("body")
        arms = [[c for c in named(arm) if c.type != "switch_label"] for arm in named(body)] if body else []
        return node.child_by_field_name("condition"), arms

    def member(self, node: Node) -> tuple[Node | None, str]:
        return node.child_by_field_name("object"), text(node.child_by_field_name("field"))

    def index_object(self, node: Node) -> Node | None:
        return node.child_by_field_name("array")

    def call(self, node: Node) -> Call | None:
        arguments = node.child_by_field_name("arguments")
        args = tuple(named(arguments)) if arguments is not None else ()
        if node.type == "object_creation_expression":
            name = _type_name(node.child_by_field_name("type"))
            return Call(node, name, name.rsplit(".", 1)[-1], None, args, constructor=True)
        method = text(node.child_by_field_name("name"))
        receiver = node.child_by_field_name("object")
        name = f"{_compact(text(receiver))}.{method}" if receiver is not None else method
        return Call(node, name, method, receiver, args)

    def inner(self, node: Node) -> Node | None:
        if node.type == "cast_expression":
            return node.child_by_field_name("value")
        return super().inner(node)

    def union_parts(self, node: Node) -> list[Node]:
        if node.type == "array_creation_expression":
            value = node.child_by_field_name("value")
            return [value] if value is not None else []
        return named(node)

    def unary_operand(self, node: Node) -> Node | None:
        operand = node.child_by_field_name("operand")
        return operand if operand is not None else super().inner(node)

    # -- model -------------------------------------------------------------------------------------

    def contexts(self, function: Node, ctx: FileContext) -> dict[str, str]:
        declared = self._declared_types(function)
        found = {name: "servlet" for name, kind in declared.items() if _REQUEST_TYPE.search(kind)}
        for name in _REQUEST_NAMES - declared.keys():
            found[name] = "servlet"
        return found

    def _declared_types(self, function: Node) -> dict[str, str]:
        """Names declared in the method (and around it: outer methods, the class's fields) with their types."""
        types: dict[str, str] = {}
        for outer in self.function_chain(function):
            for param in self.params(outer):
                for name in param.names:
                    types.setdefault(text(name), param.type)
            body = self.body(outer)
            stack = [body] if body is not None else []
            while stack:
                node = stack.pop()
                if node.type == "local_variable_declaration":
                    kind = _type_name(node.child_by_field_name("type"))
                    for declarator in node.children_by_field_name("declarator"):
                        types.setdefault(text(declarator.child_by_field_name("name")), kind)
                stack.extend(c for c in node.named_children if c.type not in self.functions)
        current = function.parent
        while current is not None:
            if current.type == "class_body":
                for member in named(current):
                    if member.type == "field_declaration":
                        kind = _type_name(member.child_by_field_name("type"))
                        for declarator in member.children_by_field_name("declarator"):
                            types.setdefault(text(declarator.child_by_field_name("name")), kind)
            current = current.parent
        return types

    def param_source(self, param: Param, function: Node, name: str) -> str | None:
        if _CLEAN_TYPE.match(param.type):
            return None
        for annotation in param.annotations:
            if annotation in _PARAM_ANNOTATIONS:
                return f"@{annotation} `{name}`"
        if (
            function.type == "method_declaration"
            and self.function_name(function) == "main"
            and param.type == "String[]"
            and "static" in text(next((c for c in named(function) if c.type == "modifiers"), None))
        ):
            return "command-line arguments"
        return None

    def call_source(self, call: Call, scope: Scope) -> str | None:
        receiver = call.receiver
        if call.name == "System.getenv":
            return "System.getenv()"
        if receiver is None or call.method not in _SERVLET_METHODS:
            return None
        if receiver.type == "field_access":
            receiver = receiver.child_by_field_name("field")
        if receiver is not None and receiver.type == "identifier" and scope.contexts.get(text(receiver)) == "servlet":
            return f"{text(receiver)}.{call.method}()"
        return None

    def format_template(self, call: Call) -> tuple[str, list[Node]] | None:
        template = self.literal_text(call.args[0]) if call.args else None
        return (template, printed_args(template, call.args[1:])) if template is not None else None


def _compact(source: str) -> str:
    return re.sub(r"\s+", "", source)


def _annotations(param: Node) -> tuple[str, ...]:
    modifiers = next((c for c in named(param) if c.type == "modifiers"), None)
    if modifiers is None:
        return ()
    found: list[str] = []
    for annotation in named(modifiers):
        if annotation.type in ("annotation", "marker_annotation"):
            found.append(text(annotation.child_by_field_name("name")).rsplit(".", 1)[-1])
    return tuple(found)


JAVA = JavaAdapter()
