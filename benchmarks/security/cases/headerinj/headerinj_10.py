"""WSGI middleware that echoes a correlation id stripped of line breaks."""

from urllib.parse import parse_qs
from wsgiref.simple_server import make_server


def inner_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def strip_crlf(value):
    return value.replace("\r", "").replace("\n", "")


class CorrelationMiddleware:
    def __init__(self, wrapped):
        self.wrapped = wrapped

    def __call__(self, environ, start_response):
        correlation = strip_crlf(parse_qs(environ.get("QUERY_STRING", "")).get("cid", ["none"])[0])

        def start(status, headers, exc_info=None):
            headers.append(("X-Correlation-Id", correlation))
            return start_response(status, headers, exc_info)

        return self.wrapped(environ, start)


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, CorrelationMiddleware(inner_app)).serve_forever()
