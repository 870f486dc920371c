import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml


class ConfigPreviewHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        document = self.rfile.read(length).decode("utf-8")
        config = yaml.load(document, Loader=yaml.Loader)
        summary = {"keys": sorted(config) if isinstance(config, dict) else [], "type": type(config).__name__}
        body = json.dumps(summary).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8090), ConfigPreviewHandler).serve_forever()
