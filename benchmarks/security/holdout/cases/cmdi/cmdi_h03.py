import subprocess
from http.server import BaseHTTPRequestHandler, HTTPServer

ARCHIVE_ROOT = "/srv/archives"


class ArchiveHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        archive = self.headers.get("X-Archive-Name")
        if archive is None:
            self.send_error(400, "missing X-Archive-Name")
            return
        command = f"tar -tzf {ARCHIVE_ROOT}/{archive}"
        listing = subprocess.check_output(command, shell=True)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(listing)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8081), ArchiveHandler).serve_forever()
