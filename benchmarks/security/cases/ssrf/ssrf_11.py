"""Health check of an allowed backend host."""

import httpx
from flask import Flask, abort, request

app = Flask(__name__)
ALLOWED_HOSTS = {"api-1.internal.example", "api-2.internal.example"}


@app.route("/backends/health/safe")
def backend_health():
    host = request.args.get("host", "")
    if host not in ALLOWED_HOSTS:
        abort(400)
    resp = httpx.get(f"https://{host}/health", timeout=3)
    return {"status": resp.status_code}
