"""Java performance rules for loop-invariant work: a constant regular expression or an expensive,
reusable object (Jackson and Gson mappers, ``JAXBContext``, JAXP factories) built once per iteration.

Both rules report the construction only when nothing the loop computes goes into it (a constant pattern,
arguments not declared in the loop), so hoisting it out of the loop is always the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import JAVA, Node, compiled_query, is_constant, literal_text
from reviewlab.engine.rules.flowhelpers import cwe, names
from reviewlab.engine.rules.javamodel import (
    IDENTIFIERS,
    LANGS,
    call_args,
    contains,
    created_type,
    fixed_count,
    per_item_loops,
    resolve,
    unwrap,
)
from reviewlab.engine.secrets.paths import is_test_path

# --- JAVA-P002 regex compiled in a loop -----------------------------------------------------------

_REGEX_ARITY = {"matches": (1, 1), "replaceAll": (2, 2), "replaceFirst": (2, 2), "split": (1, 2)}
_SPLIT_META = ".$|()[{^?*+\\"


def _java_unescape(text: str) -> str:
    return re.sub(
        r"\\(u+[0-9a-fA-F]{4}|.)",
        lambda m: (
            chr(int(m.group(1).lstrip("u"), 16))
            if m.group(1).startswith("u")
            else {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(m.group(1), m.group(1))
        ),
        text,
    )


def _literal_value(node: Node, ctx: FileContext) -> str | None:
    """The value of a string literal, or of a name declared with one (``static final String SEP = ","``)."""
    node = unwrap(node)
    if node.type in ("identifier", "field_access"):
        declaration = resolve(node, ctx)
        if declaration is None or declaration.value is None:
            return None
        if declaration.field and "final" not in declaration.modifiers:
            return None  # a mutable field may hold anything by now
        node = unwrap(declaration.value)
    text = literal_text(JAVA, node, ctx)
    return _java_unescape(text) if text is not None else None


def _split_fast_path(regex: str) -> bool:
    """``String.split`` skips the regex engine for one plain character or an escaped non-alphanumeric one."""
    if len(regex) == 1:
        return regex not in _SPLIT_META
    return len(regex) == 2 and regex[0] == "\\" and not (regex[1].isascii() and regex[1].isalnum())


def _check_regex(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call, method, pattern = first(captures, "call"), first(captures, "method"), first(captures, "pattern")
    if call is None or method is None or pattern is None or is_test_path(ctx.path):
        return
    name = ctx.text(method)
    receiver = call.child_by_field_name("object")
    count = len(call_args(call))
    if receiver is not None and ctx.text(receiver) == "Pattern":
        label = f"Pattern.{name}"
        if (name == "compile" and count not in (1, 2)) or (name == "matches" and count != 2):
            return
    else:
        low, high = _REGEX_ARITY[name]
        if receiver is None or not low <= count <= high:
            return
        label = f"String.{name}"
    if not per_item_loops(call, ctx):
        return
    if name == "split" and label.startswith("String"):
        regex = _literal_value(pattern, ctx)
        if regex is None or _split_fast_path(regex):
            return
    elif not is_constant(JAVA, pattern, ctx):
        return  # a pattern built from the loop's data needs compiling each time
    yield Hit(
        call,
        message=f"`{label}` compiles the same regular expression on every iteration; compile it once into a "
        "`private static final Pattern` and reuse it.",
    )


REGEX_IN_LOOP = Rule(
    id="JAVA-P002",
    title="Constant regular expression compiled inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1176,
    languages=LANGS,
    message="A constant regular expression is compiled on every iteration; compile it once.",
    docs=RuleDocs(
        what="Flags, inside a loop or a per-element lambda (`forEach`, `map`, `filter`...), "
        "`Pattern.compile(regex)`, `Pattern.matches(regex, s)`, and `s.matches(regex)`, "
        "`s.replaceAll(regex, r)`, `s.replaceFirst(regex, r)`, `s.split(regex)` when the regex is constant "
        "(literals, constants, locals bound to them). Not flagged: regexes built from the loop's data, calls "
        'outside loops, `split` on a single plain character or an escaped one such as `"\\\\|"` (String\'s '
        "fast path skips the regex engine), `Matcher.replaceAll`, `matches()` without arguments, and calls "
        "whose argument count does not fit `String`, and test files.",
        why="Java does not cache compiled patterns: every `String.matches`, `replaceAll` and multi-character "
        "`split` compiles its regex into a new `Pattern` first, which costs far more than the match itself on "
        "short inputs.",
        example='for (String line : lines) {\n    String[] fields = line.split("\\\\s*,\\\\s*");\n'
        '    if (fields[0].matches("[A-Z]{3}")) {\n        ...\n    }\n}',
        use_instead='private static final Pattern COMMA = Pattern.compile("\\\\s*,\\\\s*");\n'
        'private static final Pattern CODE = Pattern.compile("[A-Z]{3}");\n\n'
        "for (String line : lines) {\n    String[] fields = COMMA.split(line);\n"
        "    if (CODE.matcher(fields[0]).matches()) {\n        ...\n    }\n}",
    ),
    query="""
(method_invocation
  object: (_)
  name: (identifier) @method
  arguments: (argument_list . (_) @pattern)
  (#any-of? @method "compile" "matches" "replaceAll" "replaceFirst" "split")) @call
""",
    check=_check_regex,
    references=(cwe(1176), "https://rules.sonarsource.com/java/RSPEC-4248/"),
)


# --- JAVA-P007 expensive invariant object created in a loop ---------------------------------------

_EXPENSIVE_TYPES = frozenset(
    {"ObjectMapper", "Gson", "GsonBuilder", "XmlMapper", "YAMLMapper", "CsvMapper", "JsonMapper"}
)
_EXPENSIVE_FACTORIES = frozenset(
    {
        "JAXBContext",
        "DocumentBuilderFactory",
        "SAXParserFactory",
        "TransformerFactory",
        "XPathFactory",
        "XMLInputFactory",
        "XMLOutputFactory",
    }
)


def _check_invariant_construction(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    call = first(captures, "call")
    if call is None or is_test_path(ctx.path):
        return
    loops = [loop for loop in per_item_loops(call, ctx) if not fixed_count(loop, ctx)]
    if not loops:
        return
    query = compiled_query("java", IDENTIFIERS)
    arguments = call.child_by_field_name("arguments")
    for node in tree_sitter.QueryCursor(query).captures(arguments).get("id", ()) if arguments is not None else ():
        declaration = resolve(node, ctx)
        if declaration is not None and contains(loops[0], declaration.name):
            return  # configured from the loop's data: a different object each time
    if call.type == "object_creation_expression":
        label = f"new {created_type(call, ctx)}()"
    else:
        label = f"{ctx.text(call.child_by_field_name('object') or call)}.newInstance(...)"
    yield Hit(
        call,
        message=f"`{label}` is built on every iteration; it is expensive to create and thread-safe to "
        "share, so create it once (a `static final` field) and reuse it.",
    )


INVARIANT_CONSTRUCTION = Rule(
    id="JAVA-P007",
    title="Expensive mapper or factory created inside a loop",
    category=Category.PERFORMANCE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1050,
    languages=LANGS,
    message="An expensive, reusable object is created on every iteration; create it once.",
    docs=RuleDocs(
        what="Flags `new ObjectMapper()` (also `XmlMapper`, `YAMLMapper`, `CsvMapper`, `JsonMapper`), "
        "`new Gson()` / `new GsonBuilder()`, `JAXBContext.newInstance(...)` and the JAXP factories "
        "(`DocumentBuilderFactory`, `SAXParserFactory`, `TransformerFactory`, `XPathFactory`, "
        "`XMLInputFactory`, `XMLOutputFactory`) `newInstance()` inside a loop or per-element lambda. Not "
        "flagged: construction configured from a variable declared in the loop, loops with a count fixed in "
        "the source, construction outside loops, and test files.",
        why="These objects are costly to build: a Jackson `ObjectMapper` and Gson build and cache serializers "
        "per type, `JAXBContext` introspects every bound class, and the JAXP factories search the class path "
        "for an implementation. Built per item, that work is thrown away each time and the caches never warm; "
        "all of them are meant to be created once and shared (the mappers and `JAXBContext` are thread-safe).",
        example="for (String json : messages) {\n    Event event = new ObjectMapper().readValue(json, Event.class);\n"
        "    handle(event);\n}",
        use_instead="private static final ObjectMapper MAPPER = new ObjectMapper();\n\n"
        "for (String json : messages) {\n    Event event = MAPPER.readValue(json, Event.class);\n    handle(event);\n}",
    ),
    query=f"""
(object_creation_expression
  type: (type_identifier) @type
  (#any-of? @type {names(*sorted(_EXPENSIVE_TYPES))})) @call
(method_invocation
  object: (identifier) @factory
  name: (identifier) @method
  (#any-of? @factory {names(*sorted(_EXPENSIVE_FACTORIES))})
  (#eq? @method "newInstance")) @call
""",
    check=_check_invariant_construction,
    references=(cwe(1050), "https://github.com/FasterXML/jackson-docs/wiki/Presentation:-Jackson-Performance"),
)


RULES: tuple[Rule, ...] = (
    REGEX_IN_LOOP,
    INVARIANT_CONSTRUCTION,
)
