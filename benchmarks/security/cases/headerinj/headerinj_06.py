"""Plain WSGI app that sets a cookie from a query parameter."""

from urllib.parse import parse_qs
from wsgiref.simple_server import make_server


def cookie_header(value):
    return ("Set-Cookie", "campaign=%s; Path=/" % value)


def app(environ, start_response):
    campaign = parse_qs(environ.get("QUERY_STRING", "")).get("utm_campaign", [""])[0]
    start_response("200 OK", [("Content-Type", "text/plain"), cookie_header(campaign)])
    return [b"thanks"]


if __name__ == "__main__":
    make_server("127.0.0.1", 8000, app).serve_forever()
