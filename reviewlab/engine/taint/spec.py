"""Sources, sanitisers and propagators of the Python taint analysis, as data.

Names are qualified through the file's imports (``pyhelpers.qualified_name``), so ``from os import
getenv`` and ``import os.path as p`` resolve to the same entries. Sanitisers are modelled per sink
class: ``os.path.basename`` protects file paths but not a shell command.
"""

from __future__ import annotations

import re

# Sink classes a sanitiser can protect.
PATH = "path"
URL = "url"
SHELL = "shell"
HTML = "html"
SQL = "sql"
CODE = "code"
LDAP = "ldap"
XPATH = "xpath"
XML = "xml"
DESERIALISE = "deserialise"
HEADER = "header"
LOG = "log"
SESSION = "session"
ALL: frozenset[str] = frozenset(
    {PATH, URL, SHELL, HTML, SQL, CODE, LDAP, XPATH, XML, DESERIALISE, HEADER, LOG, SESSION}
)
# Removing line breaks (``.replace("\n", "")``) protects headers and log lines.
CRLF: frozenset[str] = frozenset({HEADER, LOG})
# ``os.path.commonpath([full, ROOT]) == ROOT`` checks containment.
COMMON_PATH = frozenset({"os.path.commonpath", "posixpath.commonpath", "os.path.commonprefix"})

# Attributes of a Flask/Werkzeug ``request`` holding client data. ``url``, ``host`` and ``base_url`` are left
# out: redirecting to the current URL or building links from the host is the common, intended use.
FLASK_REQUEST_ATTRS = frozenset(
    {"args", "form", "values", "json", "data", "files", "cookies", "headers", "query_string", "stream"}
    | {"full_path", "path", "referrer", "user_agent"}
    | {"authorization", "view_args", "environ", "input_stream", "mimetype_params", "accept_languages"}
)
# Request methods returning client data: Flask ``get_json()``, Starlette ``await request.json()`` / ``form()`` /
# ``body()``, Django ``request.read()`` / ``get_full_path()``.
FLASK_REQUEST_METHODS = frozenset(
    {"get_json", "get_data", "json", "form", "body", "stream", "read", "readline", "readlines", "get_full_path"}
    | {"build_absolute_uri", "get_host"}
)
# Attributes of a Django ``HttpRequest`` (only on a parameter named ``request``).
DJANGO_REQUEST_ATTRS = frozenset({"GET", "POST", "COOKIES", "META", "body", "FILES", "headers", "path", "path_info"})
# Starlette / FastAPI ``Request`` (only on a parameter named ``request``).
STARLETTE_REQUEST_ATTRS = frozenset({"query_params", "path_params", "headers", "cookies", "url"})
# Modules whose ``request`` global is the current client request: ``from flask import request``, and
# ``flask.request.args`` after ``import flask`` / ``import flask as fl`` (the root must be imported).
REQUEST_MODULES = ("flask.", "werkzeug.", "quart.")
# Django REST framework ``Request`` attributes; labelled ``drf request.<attr>`` inside a view class or a
# function decorated with ``@api_view``.
DRF_REQUEST_ATTRS = frozenset({"data", "query_params"})
DRF_FUNCTION_DECORATORS = frozenset({"api_view"})
# Class-based views. ``self.request.<attr>`` (Django/DRF attributes above) is a source only in a method
# whose class lists a base whose last name ends with one of these (``View``, ``generic.TemplateView``,
# ``APIView``, ``viewsets.ModelViewSet``), directly or through a class of the same file. Any other class's
# ``self.request`` (an HTTP client wrapper, a test case) is not: precision over recall.
VIEW_BASE_SUFFIXES = ("View", "ViewSet")

# Request handler classes (``http.server.BaseHTTPRequestHandler``, ``socketserver.StreamRequestHandler``,
# Tornado's ``RequestHandler``): in their methods these attributes and methods of ``self`` are client data.
HANDLER_BASE_SUFFIXES = ("RequestHandler",)
HANDLER_ATTRS = frozenset({"path", "headers", "rfile", "requestline", "raw_requestline"})
HANDLER_METHODS = frozenset(
    {"get_argument", "get_arguments", "get_query_argument", "get_query_arguments", "get_body_argument"}
    | {"get_body_arguments", "get_cookie", "get_secure_cookie", "get_signed_cookie", "decode_argument"}
)
TORNADO_REQUEST_ATTRS = frozenset(
    {"body", "arguments", "query_arguments", "body_arguments", "uri", "query", "headers", "path", "files", "cookies"}
)

# Attribute chains that are sources by themselves.
SOURCE_ATTRIBUTES: dict[str, str] = {"sys.argv": "sys.argv", "os.environ": "os.environ"}
# A file opened at a path known only at run time: its content is whatever is in that file. Reported only
# where file content is dangerous by itself (code to run, data to deserialise); a constant path is the
# program's own file.
FILE_READ = "file read"
FILE_OPENERS = frozenset({"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"})
# Calls that return untrusted data.
SOURCE_CALLS: dict[str, str] = {
    "input": "input()",
    "os.getenv": "os.getenv()",
    "os.environ.get": "os.environ",
    "sys.stdin.read": "sys.stdin",
    "sys.stdin.readline": "sys.stdin",
    "sys.stdin.readlines": "sys.stdin",
}

# Methods whose result is data from the network, whatever the receiver: sockets.
SOURCE_METHODS: dict[str, str] = {"recv": "socket recv()", "recvfrom": "socket recv()", "recvmsg": "socket recv()"}

# Decorators marking a web route handler: ``@app.get(...)``, ``@router.post(...)``, ``@bp.route(...)``.
ROUTE_DECORATORS = frozenset(
    {"get", "post", "put", "delete", "patch", "head", "options", "route", "api_route", "websocket"}
)
# A route parameter with one of these defaults is injected by the framework, not sent by the client.
INJECTED_DEFAULTS = frozenset({"Depends", "Security"})

# Calls whose result is safe for the listed sink classes, whatever their argument.
SANITISERS: dict[str, frozenset[str]] = {
    "int": ALL,
    "float": ALL,
    "bool": ALL,
    "len": ALL,
    "abs": ALL,
    "round": ALL,
    "ord": ALL,
    "hash": ALL,
    "uuid.UUID": ALL,
    "shlex.quote": frozenset({SHELL}),
    "pipes.quote": frozenset({SHELL}),
    "html.escape": frozenset({HTML}),
    "markupsafe.escape": frozenset({HTML}),
    "flask.escape": frozenset({HTML}),
    "os.path.basename": frozenset({PATH}),
    "posixpath.basename": frozenset({PATH}),
    "werkzeug.utils.secure_filename": frozenset({PATH}),
    "werkzeug.secure_filename": frozenset({PATH}),
    "urllib.parse.quote": frozenset({URL}),
    "urllib.parse.quote_plus": frozenset({URL}),
}
# Sanitisers also recognised by their last name alone (imported from anywhere).
SANITISER_TAILS: dict[str, frozenset[str]] = {
    "secure_filename": frozenset({PATH}),
    "escape_filter_chars": frozenset({LDAP}),  # ldap3.utils.conv, ldap.filter
    "escape_dn_chars": frozenset({LDAP}),
    "escape_rdn": frozenset({LDAP}),
    "filter_format": frozenset({LDAP}),  # ldap.filter.filter_format(template, [values]) escapes the values
    "quote_plus": frozenset({URL}),
}
# Project helpers recognised by their name: ``escape_html``, ``escape_for_html``, ``html_escape``, ``xml_escape``,
# and a bare ``escape`` (``from markupsafe import escape``) protect HTML.
HTML_ESCAPER = re.compile(r"(?i)^_?(?:escape|(?:\w+_)?(?:html|xml)_?escape\w*|escape_?(?:\w+_)?(?:html|xml)\w*)$")

# Calls whose result carries the taint of any of their arguments (string and path building).
PROPAGATORS = frozenset(
    {"str", "bytes", "repr", "format", "ascii", "list", "tuple", "set", "dict", "sorted", "reversed"}
    | {"os.path.join", "os.path.abspath", "os.path.realpath", "os.path.normpath", "os.path.expanduser"}
    | {"os.path.dirname", "os.fspath", "os.fsencode", "os.fsdecode", "posixpath.join"}
    | {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.PurePosixPath", "Path"}
    | {"urllib.parse.urljoin", "urllib.parse.unquote", "urllib.parse.unquote_plus", "urllib.parse.urlunparse"}
    | {"urllib.parse.urlparse", "urllib.parse.urlsplit", "json.loads", "json.dumps", "textwrap.dedent"}
    | {"urllib.parse.parse_qs", "urllib.parse.parse_qsl", "urllib.parse.urlencode", "html.unescape", "bytes.fromhex"}
    | {f"base64.{name}" for name in ("b64decode", "b64encode", "urlsafe_b64decode", "urlsafe_b64encode")}
    | {f"base64.{name}" for name in ("standard_b64decode", "standard_b64encode", "b32decode", "b32encode")}
    | {f"base64.{name}" for name in ("b16decode", "b16encode", "b85decode", "a85decode", "decodebytes")}
    | {"codecs.decode", "codecs.encode", "binascii.unhexlify", "binascii.a2b_base64", "binascii.hexlify"}
    | {"zlib.decompress", "gzip.decompress", "bz2.decompress", "lzma.decompress", "string.Template"}
    | {"compile", "io.BytesIO", "io.StringIO", "urllib.parse.unquote_to_bytes", "shlex.split", "shlex.join"}
    | {"json.load", "pickle.load", "pickle.loads", "marshal.load", "marshal.loads", "yaml.load", "yaml.safe_load"}
    | {"yaml.unsafe_load", "tomllib.load", "tomllib.loads", "csv.reader", "csv.DictReader"}
)
# Methods that carry the taint of their receiver (or, for ``join``/``format``, of their arguments).
STR_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "casefold", "title", "capitalize", "swapcase"}
    | {"replace", "split", "rsplit", "splitlines", "partition", "rpartition", "encode", "decode"}
    | {"format", "format_map", "join", "ljust", "rjust", "center", "zfill", "expandtabs", "removeprefix"}
    | {"removesuffix", "translate", "get", "getlist", "pop", "copy", "items", "values", "keys", "read"}
    | {"readline", "readlines", "geturl", "resolve", "absolute", "joinpath", "with_name", "with_suffix"}
    | {"to_dict", "dict", "getone", "substitute", "safe_substitute", "hex", "tobytes", "getvalue"}
)
# Methods that store their arguments' taint into the receiver: ``parts.append(x)``.
STORE_METHODS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "appendleft"})

# Calls that end the current path (like ``return``): ``abort(403)``.
EXIT_CALLS = frozenset({"abort", "flask.abort", "sys.exit", "exit", "quit", "os._exit"})
# Parsing helpers whose result's ``.hostname``/``.netloc`` a host allowlist check inspects.
URL_PARSERS = frozenset({"urlparse", "urlsplit"})
HOST_ATTRIBUTES = frozenset({"hostname", "netloc", "host"})
# Containment checks: ``resolved.startswith(BASE)`` / ``path.is_relative_to(BASE)``.
CONTAINMENT_METHODS = frozenset({"startswith", "is_relative_to"})

# A literal URL prefix that fixes scheme and host: the rest can only choose path and query.
FIXED_HOST = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://[^/?#{}\s]+[/?#]")

# Constructors of ``configparser`` parsers: ``set(section, option, value)`` / ``get(section, option)``.
CONFIG_PARSERS = frozenset(
    {"configparser.ConfigParser", "configparser.RawConfigParser", "configparser.SafeConfigParser", "ConfigParser"}
)

# Text every source is written with: a file without any of it cannot read a source itself, so calls into it
# that pass nothing tainted need no summary, and helpers it defines are reached by client data only from
# callers that mention a source. A request handler class names its base (``RequestHandler``); route
# parameters need a route decorator (``@app.get(``...); anything else arrives as arguments.
SOURCE_TEXT = re.compile(
    rb"\b(?:request(?:\.[A-Za-z_]|\[|\s*[,):=])|environ(?:\.[a-z]|\[|\s*[,)])|argv\b|input\s*\(|getenv|stdin\."
    rb")|RequestHandler|\.recv|^[ \t]*(?:from|import)\b[^\n]*\brequest\b"
    rb"|@[\w.]+\.(?:route|get|post|put|delete|patch|api_route|websocket)\(",
    re.MULTILINE,
)

_SOURCE_WORDS = (b"request", b"environ", b"argv", b"input", b"getenv", b"stdin", b"recv", b"RequestHandler")
_ROUTE_WORDS = (b".route(", b".get(", b".post(", b".put(", b".delete(", b".patch(", b".api_route(", b".websocket(")


def mentions_source(text: bytes) -> bool:
    """``SOURCE_TEXT.search(text)``, with a fast test for the words it needs first (the regex alone is slow)."""
    if not any(word in text for word in _SOURCE_WORDS) and not (
        b"@" in text and any(word in text for word in _ROUTE_WORDS)
    ):
        return False
    return SOURCE_TEXT.search(text) is not None
