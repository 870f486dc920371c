"""Pull metrics from the monitoring backend."""

import urllib3
from flask import Flask

app = Flask(__name__)
http = urllib3.PoolManager(cert_reqs="CERT_NONE")


@app.route("/metrics/summary")
def metrics_summary():
    resp = http.request("GET", "https://metrics.internal.example/api/summary", timeout=5.0)
    return resp.data.decode()
