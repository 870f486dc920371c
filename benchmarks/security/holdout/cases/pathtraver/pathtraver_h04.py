from urllib.parse import unquote
from wsgiref.simple_server import make_server

STATIC_ROOT = "/srv/www/static/"


def static_app(environ, start_response):
    rel = unquote(environ.get("PATH_INFO", "/")).lstrip("/")
    if not rel:
        rel = "index.html"
    full = STATIC_ROOT + rel
    try:
        with open(full, "rb") as fh:
            body = fh.read()
    except OSError:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, static_app).serve_forever()
