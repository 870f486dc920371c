"""Health check of a backend chosen by the caller."""

import httpx
from flask import Flask, request

app = Flask(__name__)


@app.route("/backends/health")
def backend_health():
    host = request.headers.get("X-Backend-Host", "localhost:8080")
    resp = httpx.get(f"http://{host}/health", timeout=3)
    return {"status": resp.status_code, "body": resp.text[:500]}
