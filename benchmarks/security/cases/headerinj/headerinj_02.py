"""Plain WSGI app that redirects to a language-specific home page."""

from urllib.parse import parse_qs
from wsgiref.simple_server import make_server


def app(environ, start_response):
    params = parse_qs(environ.get("QUERY_STRING", ""))
    lang = params.get("lang", ["en"])[0]
    start_response("302 Found", [("Location", "/home?lang=" + lang), ("Content-Length", "0")])
    return [b""]


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, app).serve_forever()
