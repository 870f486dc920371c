from urllib.parse import parse_qs
from wsgiref.simple_server import make_server


def download_app(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    name = query.get("name", ["report"])[0]
    payload = b"date,amount\n2024-01-01,10\n"
    headers = [
        ("Content-Type", "text/csv"),
        ("Content-Disposition", 'attachment; filename="%s.csv"' % name),
        ("Content-Length", str(len(payload))),
    ]
    start_response("200 OK", headers)
    return [payload]


if __name__ == "__main__":
    with make_server("", 8000, download_app) as httpd:
        httpd.serve_forever()
