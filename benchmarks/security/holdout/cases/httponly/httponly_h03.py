import secrets
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, HTTPServer

SESSIONS: dict[str, str] = {}


class LoginHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        username = self.rfile.read(length).decode().partition("=")[2] or "guest"
        sid = secrets.token_urlsafe(32)
        SESSIONS[sid] = username
        cookie = SimpleCookie()
        cookie["SID"] = sid
        cookie["SID"]["path"] = "/"
        cookie["SID"]["secure"] = True
        cookie["SID"]["samesite"] = "Lax"
        self.send_response(303)
        self.send_header("Location", "/")
        self.send_header("Set-Cookie", cookie["SID"].OutputString())
        self.end_headers()


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 8443), LoginHandler).serve_forever()
