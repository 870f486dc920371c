"""Status of one of the known internal services."""

import requests
from flask import Flask, abort, request

app = Flask(__name__)

SERVICES = {
    "billing": "https://billing.internal.example/status",
    "search": "https://search.internal.example/status",
}


@app.route("/services/status")
def service_status():
    url = SERVICES.get(request.args.get("service", ""))
    if url is None:
        abort(404)
    return {"status": requests.get(url, timeout=3).status_code}
