"""Error page that echoes the missing page."""

from flask import Flask, request
from helpers_xss_08 import alert_box

app = Flask(__name__)


@app.route("/oops")
def oops():
    missing = request.args.get("page", "/")
    return "<html><body>" + alert_box("Page not found: " + missing) + "</body></html>", 404
