"""Disk usage report for a directory."""

import subprocess

from flask import Flask, request

app = Flask(__name__)


@app.route("/admin/du")
def disk_usage():
    param = request.args.get("dir", "/srv")
    values = []
    values.append("/var")
    values.append(param)
    values.append("/home")
    target = values[1]
    out = subprocess.check_output(f"du -sh {target}", shell=True, text=True)
    return {"usage": out.strip()}
