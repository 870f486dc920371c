"""Java dead code: imports and private members that nothing in the file uses.

Both rules count the words of the file rather than resolve every use: an import or a private member
counts as used when its name appears anywhere else (code, annotations, Javadoc, strings read by
reflection), so a name is reported only when nothing in the file can refer to it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.common import Node
from reviewlab.engine.rules.flowhelpers import cwe
from reviewlab.engine.rules.javamodel import LANGS

# --- JAVA-Q006 unused import ----------------------------------------------------------------------

_TOKEN = re.compile(rb"[A-Za-z_$][\w$]*")


def _check_unused_import(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    program = first(captures, "program")
    if program is None or ctx.path.replace("\\", "/").rsplit("/", 1)[-1] in ("package-info.java", "module-info.java"):
        return
    imports = [c for c in program.named_children if c.type == "import_declaration"]
    if not imports:
        return
    candidates: list[tuple[str, Node]] = []
    for declaration in imports:
        if any(c.type == "asterisk" for c in declaration.children):
            continue  # `import java.util.*;`: which names it provides is not known here
        path = next((c for c in declaration.named_children if c.type in ("scoped_identifier", "identifier")), None)
        if path is not None:
            candidates.append((ctx.text(path).rsplit(".", 1)[-1], declaration))
    if not candidates:
        return
    # Every word after the imports counts as a use: code, annotations, and Javadoc (`{@link Foo}`, `@throws`).
    rest = ctx.source[imports[-1].end_byte :]
    used = set(_TOKEN.findall(rest))
    seen: set[str] = set()
    for name, declaration in candidates:
        if name.encode() in used or name in seen:
            continue
        seen.add(name)
        yield Hit(declaration, message=f"`{name}` is imported but never used.")


UNUSED_IMPORT = Rule(
    id="JAVA-Q006",
    title="Unused import",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=1164,
    languages=LANGS,
    message="Imported name is never used.",
    docs=RuleDocs(
        what="Flags single-type imports (`import java.util.List;`) and single static imports (`import static "
        "java.lang.Math.max;`) whose simple name appears nowhere after the import section: not in code, "
        "annotations, strings or comments (Javadoc `{@link Foo}` and `@throws Foo` keep an import in use). "
        "Not flagged: wildcard imports (`java.util.*`, `static ...Assertions.*`), `package-info.java` and "
        "`module-info.java`, and a name imported twice (only the first is checked; the compiler rejects "
        "conflicting duplicates).",
        why="An unused import is dead code: it misleads readers about what the class depends on, creates "
        "false dependencies between modules, and hides the imports that matter in review diffs.",
        example="import java.util.List;\nimport java.util.Map;\n\nclass Names {\n"
        "    List<String> all() { return List.of(); }\n}",
        use_instead="import java.util.List;\n\nclass Names {\n    List<String> all() { return List.of(); }\n}",
    ),
    query="(program) @program",
    check=_check_unused_import,
    references=(cwe(1164), "https://checkstyle.org/checks/imports/unusedimports.html"),
)


# --- JAVA-Q007 unused private member --------------------------------------------------------------

_SERIALIZATION_MEMBERS = frozenset(
    {
        "serialVersionUID",
        "serialPersistentFields",
        "writeObject",
        "readObject",
        "readObjectNoData",
        "writeReplace",
        "readResolve",
    }
)


def _annotated(declaration: Node) -> bool:
    modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
    return modifiers is not None and any(c.type in ("annotation", "marker_annotation") for c in modifiers.children)


def _is_private(declaration: Node) -> bool:
    modifiers = next((c for c in declaration.children if c.type == "modifiers"), None)
    return modifiers is not None and any(c.type == "private" for c in modifiers.children)


_NAME_PREFIX = re.compile(rb'"([A-Za-z_$][\w$]{2,})"\s*\+')


def _token_counts(ctx: FileContext) -> dict[bytes, int]:
    counts: dict[bytes, int] | None = ctx.state.get("javaunused.tokens")
    if counts is None:
        counts = Counter(_TOKEN.findall(ctx.source))
        ctx.state["javaunused.tokens"] = counts
    return counts


def _check_unused_private(rule: Rule, captures: Captures, ctx: FileContext) -> Iterable[Hit]:
    body = first(captures, "body")
    if body is None:
        return
    owner = body.parent
    if body.type == "enum_body":
        body = next((c for c in body.named_children if c.type == "enum_body_declarations"), body)
    members = [c for c in body.named_children if c.type in ("field_declaration", "method_declaration")]
    candidates = [m for m in members if _is_private(m) and not _annotated(m)]
    if not candidates or owner is None:
        return
    # Reflection-driven classes (JPA entities, Lombok, Jackson, JAXB) read their fields without naming them;
    # native code reads the fields of a class that declares native methods.
    skip_fields = _annotated(owner) or b"lombok" in ctx.source or b" native " in ctx.source
    counts = _token_counts(ctx)
    declared: dict[bytes, int] = {}
    named: list[tuple[Node, Node]] = []
    for member in candidates:
        if member.type == "field_declaration":
            if skip_fields:
                continue
            names_ = [d.child_by_field_name("name") for d in member.children_by_field_name("declarator")]
        else:
            names_ = [member.child_by_field_name("name")]
        for name in names_:
            if name is not None and ctx.text(name) not in _SERIALIZATION_MEMBERS:
                named.append((member, name))
    for member in members:  # overloads and same-named members all count as declarations, not uses
        if member.type == "method_declaration":
            name = member.child_by_field_name("name")
            if name is not None and name.text is not None:
                declared[name.text] = declared.get(name.text, 0) + 1
    prefixes = tuple(_NAME_PREFIX.findall(ctx.source))
    for member, name in named:
        token = name.text or b""
        if counts.get(token, 0) > max(declared.get(token, 0), 1) or (prefixes and token.startswith(prefixes)):
            continue  # used, or looked up by a name built at run time (`"identity_" + kind`)
        if member.type == "field_declaration":
            yield Hit(name, message=f"Private field `{ctx.text(name)}` is never used.")
        else:
            yield Hit(name, message=f"Private method `{ctx.text(name)}` is never called.")


UNUSED_PRIVATE = Rule(
    id="JAVA-Q007",
    title="Unused private field or method",
    category=Category.QUALITY,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    cwe=561,
    languages=LANGS,
    message="Private member is never used.",
    docs=RuleDocs(
        what="Flags private fields and private methods whose name appears nowhere else in the file: not in "
        "code, method references (`this::helper`), strings (reflection, `Unsafe.objectFieldOffset(..., "
        '"name")`) or comments, and does not start with a string literal the file concatenates '
        '(`"identity_" + kind`: a name built for a reflective look-up). Overloads of an unused method are '
        "flagged together. Not flagged: annotated "
        'members (`@Autowired`, `@Inject`, `@JsonProperty`, `@SuppressWarnings("unused")`, `@Test`...), '
        "fields of annotated classes (JPA entities, Lombok, Jackson or JAXB classes read them by reflection), "
        "fields in files that use Lombok or declare `native` methods, serialization members "
        "(`serialVersionUID`, `writeObject`, `readObject`, `readResolve`, `writeReplace`...) and private "
        "constructors (the no-instance idiom).",
        why="A private member nobody uses is dead code: it costs reading and maintenance, and often is the "
        "remnant of a refactoring in which the caller was meant to use it and does something else instead.",
        example="class Invoices {\n    private final Clock clock = Clock.systemUTC();\n\n"
        "    private BigDecimal roundOld(BigDecimal amount) {\n        return amount.setScale(2);\n    }\n}",
        use_instead="class Invoices {\n    // both removed: nothing read the clock or called roundOld\n}",
    ),
    query="[(class_body) (enum_body) (interface_body)] @body",
    check=_check_unused_private,
    references=(cwe(561), "https://rules.sonarsource.com/java/RSPEC-1144/"),
)


RULES: tuple[Rule, ...] = (
    UNUSED_IMPORT,
    UNUSED_PRIVATE,
)
