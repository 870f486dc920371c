"""Traceroute to a host."""

import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/diag/trace", methods=["POST"])
def trace():
    param = request.form.get("host", "")
    host = "localhost" if 7 * 18 > 100 else param
    out = subprocess.run(f"traceroute -m 5 {host}", shell=True, capture_output=True, text=True)
    return {"trace": out.stdout}
