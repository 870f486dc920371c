"""Redirect to a partner site, restricted to known hosts."""

from urllib.parse import urlparse

from flask import Flask, redirect, request

app = Flask(__name__)
ALLOWED_HOSTS = {"shop.example.com", "help.example.com"}


@app.route("/out")
def outbound():
    target = request.args.get("url", "")
    parts = urlparse(target)
    if parts.scheme != "https" or parts.hostname not in ALLOWED_HOSTS:
        target = "https://shop.example.com/"
    return redirect(target)
