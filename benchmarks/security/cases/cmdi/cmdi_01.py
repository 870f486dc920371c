"""Network diagnostics: ping a host."""

import os

from flask import Flask, request

app = Flask(__name__)


@app.route("/diag/ping")
def ping():
    host = request.args.get("host", "127.0.0.1")
    status = os.system(f"ping -c 1 -W 2 {host} > /dev/null")
    return {"reachable": status == 0}
