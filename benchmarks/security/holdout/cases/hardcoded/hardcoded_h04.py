import json
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests

REPORTING_URL = "https://reporting.corp.example.com/api/summary"
SERVICE_USER = "svc_dashboard"
SERVICE_PASSWORD = "Dashb0ard!2024-prod"


class SummaryHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        upstream = requests.get(REPORTING_URL, auth=(SERVICE_USER, SERVICE_PASSWORD), timeout=10)
        body = json.dumps({"summary": upstream.json()}).encode()
        self.send_response(upstream.status_code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("127.0.0.1", 9000), SummaryHandler).serve_forever()
