"""Serve generated PDF reports."""

from flask import Flask, send_file

app = Flask(__name__)


@app.route("/reports/<path:report>")
def report(report):
    return send_file(f"/srv/reports/{report}", mimetype="application/pdf")
