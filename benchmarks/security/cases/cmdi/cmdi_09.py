"""Network diagnostics: ping an IP address."""

import ipaddress
import subprocess

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/diag/ping-ip")
def ping_ip():
    try:
        address = ipaddress.ip_address(request.args.get("ip", ""))
    except ValueError:
        abort(400)
    proc = subprocess.run(["ping", "-c", "1", "-W", "2", str(address)], capture_output=True, timeout=10)
    return {"reachable": proc.returncode == 0}
