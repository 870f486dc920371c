"""Tiny language-negotiation server, with the value percent-encoded."""

from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, quote, urlparse


class LanguageHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        lang = quote(query.get("lang", ["en"])[0], safe="")
        self.send_response(200)
        self.send_header("Content-Language", lang)
        self.end_headers()
        self.wfile.write(b"hello")


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8000), LanguageHandler).serve_forever()
