import subprocess

from flask import Flask, abort, request

app = Flask(__name__)


@app.post("/tools/ping")
def ping_host():
    host = request.form.get("host", "").strip()
    if not host:
        abort(400, "host is required")
    result = subprocess.run(
        f"ping -c 3 -W 2 {host}", shell=True, capture_output=True, text=True, timeout=15
    )
    return {"exit_code": result.returncode, "output": result.stdout[-2000:]}
