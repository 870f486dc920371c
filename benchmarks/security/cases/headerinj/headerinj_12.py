"""Tiny server that labels responses with a build channel."""

from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlparse


class ChannelHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        param = parse_qs(urlparse(self.path).query).get("channel", [""])[0]
        channels = {"keyA": "stable", "keyB": param}
        channel = channels["keyA"]
        self.send_response(200)
        self.send_header("X-Channel", channel)
        self.end_headers()
        self.wfile.write(b"ok")


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8000), ChannelHandler).serve_forever()
