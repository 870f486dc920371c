"""After logging in, go to the dashboard or the admin home."""

from flask import Flask, redirect, request, url_for

app = Flask(__name__)


@app.route("/login/complete")
def login_complete():
    requested = request.args.get("next", "")
    endpoint = "admin_home" if requested == "/admin" else "dashboard"
    return redirect(url_for(endpoint))


@app.route("/dashboard")
def dashboard():
    return "dashboard"


@app.route("/admin")
def admin_home():
    return "admin"
