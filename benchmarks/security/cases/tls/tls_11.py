"""Pull metrics from the monitoring backend, certificates required."""

import urllib3
from flask import Flask

app = Flask(__name__)
http = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs="/etc/ssl/certs/ca-certificates.crt")


@app.route("/metrics/summary/v2")
def metrics_summary():
    resp = http.request("GET", "https://metrics.internal.example/api/summary", timeout=5.0)
    return resp.data.decode()
