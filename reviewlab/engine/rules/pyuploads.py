"""PY-P009: an uploaded file read whole into memory, with no size limit.

Uploads are recognised with the request conventions of :mod:`reviewlab.engine.taint.spec`: Flask and
Werkzeug ``request.files``, Django ``request.FILES``, FastAPI/Starlette ``UploadFile`` parameters, and
local names bound only to one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewlab.engine.model import Category, Confidence, Severity
from reviewlab.engine.rules.base import Captures, FileContext, Hit, Rule, RuleDocs, first
from reviewlab.engine.rules.pyhelpers import (
    PY,
    Node,
    argument,
    arguments,
    bindings,
    calls_named,
    cwe_url,
    enclosing_function,
    function_tail,
    node_text,
    qualified_name,
    unwrap,
)
from reviewlab.engine.taint import spec as taint_spec
from reviewlab.engine.taint.python import parameter_names

_SCOPES = frozenset({"function_definition", "lambda", "class_definition"})

# ---------------------------------------------------------------------------------------------
# PY-P009 uploaded file read whole without a size limit
# ---------------------------------------------------------------------------------------------

_FLASK, _DJANGO, _STARLETTE = "Flask", "Django", "UploadFile"
_UPLOAD_FILE = re.compile(r"(?:(?:fastapi|starlette)(?:\.\w+)*\.)?UploadFile")
_SEQUENCES = frozenset({"list", "List", "Sequence", "tuple", "Tuple", "Iterable", "set", "Set"})
_WRAPPERS = frozenset({"Optional", "Union", "Annotated"})
# A size checked before the read: ``request.content_length``, Starlette ``file.size``, ``seek``/``tell``,
# Django ``multiple_chunks()``.
_SIZE_GUARD = re.compile(r"content_length|CONTENT_LENGTH|\.size\b|\.tell\(|multiple_chunks\(|getsize\(|st_size")


def _files(node: Node, ctx: FileContext) -> str | None:
    """The framework whose uploads ``node`` holds: Flask ``request.files`` (the global of ``flask`` /
    ``werkzeug`` / ``quart``, or a parameter named ``request``), Django ``request.FILES`` / ``self.request.FILES``."""
    node = unwrap(node)
    if node.type != "attribute":
        return None
    attribute, owner = node_text(node.child_by_field_name("attribute")), node.child_by_field_name("object")
    if owner is None:
        return None
    owner = unwrap(owner)
    if attribute == "FILES":
        if node_text(owner) == "request" or (owner.type == "attribute" and node_text(owner).endswith(".request")):
            return _DJANGO
        return None
    if attribute != "files":
        return None
    origin = qualified_name(owner, ctx) or ""
    if origin.startswith(taint_spec.REQUEST_MODULES) and origin.endswith(".request"):
        return _FLASK
    function = enclosing_function(node)
    if function is None or owner.type != "identifier" or node_text(owner) != "request":
        return None
    return _FLASK if "request" in parameter_names(function) else None  # a Werkzeug ``Request`` passed in


def _annotated_upload(identifier: Node, ctx: FileContext) -> str | None:
    """``one`` / ``many`` for a parameter annotated ``UploadFile`` / ``list[UploadFile]`` (``Optional``,
    ``| None`` and ``Annotated`` unwrapped), else None."""
    function = enclosing_function(identifier)
    params = function.child_by_field_name("parameters") if function is not None else None
    for param in params.named_children if params is not None else ():
        if param.type not in ("typed_parameter", "typed_default_parameter"):
            continue
        name = param.child_by_field_name("name") or (param.named_children[0] if param.named_children else None)
        if node_text(name) == node_text(identifier):
            return _upload_type(param.child_by_field_name("type"), ctx)
    return None


def _upload_type(node: Node | None, ctx: FileContext, many: bool = False) -> str | None:
    if node is None:
        return None
    if node.type == "type":
        return _upload_type(node.named_children[0] if node.named_children else None, ctx, many)
    if node.type in ("identifier", "attribute"):
        return ("many" if many else "one") if _UPLOAD_FILE.fullmatch(qualified_name(node, ctx) or "") else None
    if node.type == "binary_operator":  # UploadFile | None
        sides = (node.child_by_field_name("left"), node.child_by_field_name("right"))
        return next((kind for side in sides if (kind := _upload_type(side, ctx, many)) is not None), None)
    if node.type != "generic_type" or not node.named_children:
        return None
    head = node_text(node.named_children[0]).rsplit(".", 1)[-1]
    params = node.named_children[1] if len(node.named_children) > 1 else None
    types = [c for c in params.named_children if c.type == "type"] if params is not None else []
    if head in _SEQUENCES and types:
        return _upload_type(types[0], ctx, many=True)
    if head in _WRAPPERS:
        inner = types[:1] if head == "Annotated" else types
        return next((kind for t in inner if (kind := _upload_type(t, ctx, many)) is not None), None)
    return None


def _upload_list(node: Node, ctx: FileContext, follow: bool = True) -> str | None:
    """A list of uploads: ``request.files.getlist(k)`` / ``.values()``, ``request.FILES.getlist(k)``,
    a ``list[UploadFile]`` parameter, or a local name bound only to one of them."""
    node = unwrap(node)
    if node.type == "call" and function_tail(node) in ("getlist", "values"):
        function = node.child_by_field_name("function")
        return _files(function.child_by_field_name("object") or function, ctx) if function is not None else None
    if node.type == "identifier" and follow:
        if _annotated_upload(node, ctx) == "many" and bindings(node, ctx) == [None]:
            return _STARLETTE
        values = bindings(node, ctx)
        kinds = {_upload_list(v, ctx, follow=False) if v is not None else None for v in values}
        return kinds.pop() if len(kinds) == 1 and None not in kinds else None
    return None


def _upload(node: Node | None, ctx: FileContext, follow: bool = True) -> str | None:
    """The framework of the uploaded file ``node`` is, or None: ``request.files[k]`` / ``.get(k)``,
    ``request.FILES[k]`` / ``.get(k)``, an item of a list of uploads, an ``UploadFile`` parameter, its
    ``.file`` / ``.stream``, or a local name bound only to one of them (a ``for`` target over a list)."""
    if node is None:
        return None
    node = unwrap(node)
    if node.type == "attribute" and node_text(node.child_by_field_name("attribute")) in ("file", "stream"):
        return _upload(node.child_by_field_name("object"), ctx, follow)
    if node.type == "subscript":
        value = node.child_by_field_name("value")
        return None if value is None else _files(value, ctx) or _upload_list(value, ctx)
    if node.type == "call" and function_tail(node) == "get":
        function = node.child_by_field_name("function")
        return _files(function.child_by_field_name("object") or function, ctx) if function is not None else None
    if node.type != "identifier" or not follow:
        return None
    values = bindings(node, ctx)
    if values == [None] and _annotated_upload(node, ctx) == "one":
        return _STARLETTE
    if values.count(None) == 1:
        loop = _enclosing_for(node)
        if loop is None or unwrap(loop.child_by_field_name("left") or loop).type != "identifier":
            return None
        kind = _upload_list(loop.child_by_field_name("right") or loop, ctx)
        known = [v for v in values if v is not None]
        return kind if kind is not None and all(_upload(v, ctx, follow=False) == kind for v in known) else None
    kinds = {_upload(v, ctx, follow=False) if v is not None else None for v in values}
    return kinds.pop() if len(kinds) == 1 and None not in kinds else None


def _enclosing_for(identifier: Node) -> Node | None:
    """The ``for`` statement around ``identifier`` whose target is that name."""
    current = identifier.parent
    while current is not None and current.type not in _SCOPES:
        if current.type == "for_statement" and node_text(current.child_by_field_name("left")) == node_text(identifier):
            return current
        current = current.parent
    return None


def _unsized(call: Node) -> bool:
    args = arguments(call)
    if not args:
        return True
    size = argument(call, 0, "size", "n")
    return len(args) == 1 and size is not None and node_text(size).replace(" ", "") in ("-1", "None")


def _size_checked(call: Node, framework: str, ctx: FileContext) -> bool:
    """Whether the function checks a size before the read, or (Flask) the file sets ``MAX_CONTENT_LENGTH``."""
    if framework == _FLASK and b"MAX_CONTENT_LENGTH" in ctx.source:
        return True
    function = enclosing_function(call)
    start = function.start_byte if function is not None else 0
    return bool(_SIZE_GUARD.search(ctx.source[start : call.start_byte].decode("utf-8", "replace")))


def _check_upload_read(rule: Rule, captures: Captures, ctx: FileContext) -> Iterator[Hit]:
    call = first(captures, "call")
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None or function.type != "attribute" or not _unsized(call):
        return
    framework = _upload(function.child_by_field_name("object"), ctx)
    if framework is None or _size_checked(call, framework, ctx):
        return
    what = "an `UploadFile`" if framework == _STARLETTE else f"a {framework} upload"
    yield Hit(
        call,
        message=f"`{function_tail(call)}()` loads {what} into memory whatever its size; "
        "stream it in chunks or check its size first.",
    )


UNBOUNDED_UPLOAD_READ = Rule(
    id="PY-P009",
    title="Uploaded file read whole without a size limit",
    category=Category.PERFORMANCE,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    cwe=400,
    languages=PY,
    message="Uploaded file read whole into memory without a size limit.",
    docs=RuleDocs(
        what="Flags `.read()` / `.readlines()` with no size (or `-1` / `None`) on an uploaded file: Flask / "
        "Werkzeug `request.files[k]`, `.get(k)`, an item of `.getlist(k)` or `.values()` (on the `flask` / "
        "`werkzeug` / `quart` `request` or a parameter named `request`); Django `request.FILES[k]` / `.get(k)` "
        "/ `.getlist(k)` (also `self.request`); FastAPI / Starlette `UploadFile` parameters (`await "
        "file.read()`, `file.file.read()`, `Optional[...]`, `Annotated[...]`, items of `list[UploadFile]`); "
        "and local names bound only to one of those. Not flagged: reads with a size (`read(65536)` in a loop), "
        "Django `for chunk in f.chunks()`, `file.save(...)` / `shutil.copyfileobj`, reads after a size check in "
        "the same function (`content_length`, `file.size`, `seek` + `tell()`, `multiple_chunks()`), Flask "
        "uploads in a file that sets `MAX_CONTENT_LENGTH`, and request bodies: Flask `get_data()` / "
        "`request.data` (bounded by `MAX_CONTENT_LENGTH` when configured, which this rule cannot see), Django "
        "`request.body` (bounded by `DATA_UPLOAD_MAX_MEMORY_SIZE`) and Starlette `await request.body()` "
        "(unbounded, but no more than the JSON and form bodies FastAPI reads whole for every route: the limit "
        "belongs to the server or proxy, not to this call).",
        why="Frameworks spool large uploads to a temporary file so that their size does not matter; `.read()` "
        "without a size brings the whole file back into memory. Django sets no limit on file uploads, "
        "Starlette none on files, Flask none unless `MAX_CONTENT_LENGTH` is configured: a few concurrent "
        "multi-gigabyte uploads exhaust the worker's memory.",
        example="@app.post('/avatar')\nasync def avatar(file: UploadFile):\n    data = await file.read()\n"
        "    store(data)",
        use_instead="MAX_AVATAR = 2 << 20\n\n\n@app.post('/avatar')\nasync def avatar(file: UploadFile):\n"
        "    data = await file.read(MAX_AVATAR + 1)\n    if len(data) > MAX_AVATAR:\n"
        "        raise HTTPException(413)\n    store(data)",
    ),
    query=calls_named("read", "readlines"),
    check=_check_upload_read,
    references=(
        cwe_url(400),
        "https://docs.djangoproject.com/en/stable/ref/files/uploads/#django.core.files.uploadedfile.UploadedFile.read",
        "https://flask.palletsprojects.com/en/stable/patterns/fileuploads/#improving-uploads",
        "https://fastapi.tiangolo.com/reference/uploadfile/",
    ),
)


RULES: tuple[Rule, ...] = (UNBOUNDED_UPLOAD_READ,)
