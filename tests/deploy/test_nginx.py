"""deploy/nginx/nginx.conf, read by a small parser (no nginx binary): structure, upstreams, limits, TLS, SSE."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from tests.deploy._files import ROOT

CONF = ROOT / "deploy" / "nginx"
_TOKEN = re.compile(r"""#[^\n]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|[{};]|[^\s{};"'#]+""")


@dataclass
class Block:
    name: str
    args: list[str]
    directives: list[list[str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def walk(self) -> list[Block]:
        return [self, *(b for child in self.blocks for b in child.walk())]

    def values(self, name: str) -> list[list[str]]:
        return [d[1:] for d in self.directives if d[0] == name]


def parse(text: str) -> Block:
    root, stack, words = Block("main", []), [], []
    stack.append(root)
    for token in _TOKEN.findall(text):
        if token.startswith("#"):
            continue
        if token == "{":
            block = Block(words[0], words[1:])
            stack[-1].blocks.append(block)
            stack.append(block)
            words = []
        elif token == "}":
            assert not words, f"directive without ';' before '}}': {words}"
            stack.pop()
            assert stack, "unbalanced '}'"
        elif token == ";":
            stack[-1].directives.append(words)
            words = []
        else:
            words.append(token.strip("\"'"))
    assert len(stack) == 1, "unclosed '{'"
    assert not words, f"trailing directive without ';': {words}"
    return root


@pytest.fixture(scope="module")
def conf() -> Block:
    return parse((CONF / "nginx.conf").read_text(encoding="utf-8"))


def _locations(conf: Block, port: str) -> dict[str, Block]:
    server = next(b for b in conf.walk() if b.name == "server" and any(port in v[0] for v in b.values("listen")))
    return {" ".join(b.args): b for b in server.blocks if b.name == "location"}


def _with_includes(block: Block) -> Block:
    merged = Block(block.name, block.args, list(block.directives), block.blocks)
    for (path,) in block.values("include"):
        if path == "/etc/nginx/proxy_headers.conf":
            merged.directives += parse((CONF / "proxy_headers.conf").read_text(encoding="utf-8")).directives
    return merged


def test_the_included_files_parse() -> None:
    for name in ("proxy_headers.conf", "brotli.conf"):
        assert parse((CONF / name).read_text(encoding="utf-8")).directives


def test_braces_balance_and_blocks_nest(conf: Block) -> None:
    assert [b.name for b in conf.blocks] == ["events", "http"]
    assert {b.name for b in conf.blocks[1].blocks} == {"map", "upstream", "server"}
    with pytest.raises(AssertionError):
        parse("http { server { }")


def test_every_proxy_pass_names_a_defined_upstream(conf: Block) -> None:
    upstreams = {b.args[0] for b in conf.walk() if b.name == "upstream"}
    targets = {v[0].removeprefix("http://") for b in conf.walk() for v in b.values("proxy_pass")}
    assert targets == upstreams == {"api", "dashboard"}
    servers = {b.args[0]: b.values("server")[0][0] for b in conf.walk() if b.name == "upstream"}
    assert servers == {"api": "api:8000", "dashboard": "dashboard:8501"}


def test_every_proxied_location_sends_the_forwarding_headers(conf: Block) -> None:
    for block in conf.walk():
        if block.values("proxy_pass"):
            headers = {v[0] for v in _with_includes(block).values("proxy_set_header")}
            assert {"Host", "X-Forwarded-For", "X-Forwarded-Proto", "Upgrade", "Connection"} <= headers, block.args


def test_the_sse_stream_is_unbuffered_with_a_long_timeout(conf: Block) -> None:
    sse = _locations(conf, "443")["~ ^/api/analyze/[^/]+/stream$"]
    assert re.match(sse.args[1], "/api/analyze/abc-123/stream")
    assert sse.values("proxy_buffering") == [["off"]]
    assert sse.values("proxy_read_timeout") == [["1h"]]


def test_rate_limit_zones_exist_and_are_used(conf: Block) -> None:
    http = conf.blocks[1]
    zones = {}
    for args in http.values("limit_req_zone"):
        options = dict(a.split("=", 1) for a in args[1:])
        zones[options["zone"].split(":")[0]] = options["rate"]
    # The seed's table 6.3, per minute.
    assert zones == {"login": "5r/m", "register": "3r/m", "analyze": "10r/m", "api": "60r/m"}
    used = {args[0].removeprefix("zone=") for b in conf.walk() for args in b.values("limit_req")}
    assert used == set(zones)
    locations = _locations(conf, "443")
    assert locations["= /api/auth/login"].values("limit_req")[0][0] == "zone=login"
    assert locations["/api/analyze"].values("limit_req")[0][0] == "zone=analyze"
    assert locations["/api/"].values("limit_req")[0][0] == "zone=api"
    assert http.values("limit_req_status") == [["429"]]


def test_tls_is_restricted_to_tls12_and_later(conf: Block) -> None:
    https = next(b for b in conf.walk() if b.name == "server" and b.values("ssl_certificate"))
    assert https.values("ssl_protocols") == [["TLSv1.2", "TLSv1.3"]]
    assert https.values("ssl_certificate") == [["/run/secrets/tls.crt"]]
    assert https.values("ssl_certificate_key") == [["/run/secrets/tls.key"]]
    assert any(v[0] == "Strict-Transport-Security" for v in https.values("add_header"))
    # A location with its own add_header would drop the server's security headers.
    assert [b.args for b in https.blocks if b.values("add_header")] == []


def test_http_redirects_to_https_except_health(conf: Block) -> None:
    plain = _locations(conf, "80")
    assert plain["/"].values("return") == [["301", "https://$host$request_uri"]]
    assert plain["/health/"].values("proxy_pass") == [["http://api"]]
    assert plain["= /healthz"].values("return")[0][0] == "200"


def test_metrics_are_for_private_networks_only(conf: Block) -> None:
    metrics = _locations(conf, "443")["= /metrics"]
    assert metrics.values("deny") == [["all"]]
    assert ["0.0.0.0/0"] not in metrics.values("allow")


def test_the_dashboard_gets_websockets_and_cached_static_assets(conf: Block) -> None:
    locations = _locations(conf, "443")
    assert locations["= /_stcore/stream"].values("proxy_pass") == [["http://dashboard"]]
    assert locations["/"].values("proxy_pass") == [["http://dashboard"]]
    static = locations["/static/"]
    cache_zones = {
        a.split("=", 1)[1].split(":")[0]
        for args in conf.blocks[1].values("proxy_cache_path")
        for a in args
        if a.startswith("keys_zone=")
    }
    assert static.values("proxy_cache")[0][0] in cache_zones


def test_gzip_is_on_and_brotli_is_kept_apart(conf: Block) -> None:
    http = conf.blocks[1]
    assert http.values("gzip") == [["on"]]
    assert not any(d[0].startswith("brotli") for b in conf.walk() for d in b.directives)


def test_the_compose_file_mounts_the_includes() -> None:
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in compose
    assert "./deploy/nginx/proxy_headers.conf:/etc/nginx/proxy_headers.conf:ro" in compose
