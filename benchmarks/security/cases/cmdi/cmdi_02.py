"""DNS lookup tool for the support desk."""

import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/diag/dns", methods=["POST"])
def dns_lookup():
    domain = request.form["domain"]
    result = subprocess.run("nslookup " + domain, shell=True, capture_output=True, text=True, timeout=10)
    return "<pre>" + result.stdout.replace("<", "&lt;") + "</pre>"
