"""Serve generated PDF reports from the reports directory."""

from flask import Flask, send_from_directory

app = Flask(__name__)


@app.route("/reports/<path:report>")
def report(report):
    return send_from_directory("/srv/reports", report, mimetype="application/pdf")
