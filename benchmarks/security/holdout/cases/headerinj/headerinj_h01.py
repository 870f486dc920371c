from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

SUPPORTED = {"en": b"Hello", "fr": b"Bonjour", "de": b"Hallo"}


class GreetingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = parse_qs(urlsplit(self.path).query)
        lang = params.get("lang", ["en"])[0]
        body = SUPPORTED.get(lang, SUPPORTED["en"])
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Language", lang)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", 8080), GreetingHandler).serve_forever()
