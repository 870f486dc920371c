"""Plain WSGI app that redirects to the home page."""

from urllib.parse import parse_qs
from wsgiref.simple_server import make_server


def app(environ, start_response):
    params = parse_qs(environ.get("QUERY_STRING", ""))
    lang = params.get("lang", ["en"])[0]
    location = "/home"
    start_response("302 Found", [("Location", location), ("Content-Length", "0")])
    return [("redirecting (%d)" % len(lang)).encode()]


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, app).serve_forever()
