import ipaddress
import subprocess

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/diag/ping", methods=["POST"])
def ping():
    raw = request.form.get("host", "")
    try:
        host = str(ipaddress.ip_address(raw))
    except ValueError:
        abort(400, "host must be an IP address")
    result = subprocess.run(["ping", "-c", "3", "-W", "2", host], capture_output=True, text=True, timeout=15)
    return {"returncode": result.returncode, "output": result.stdout}
