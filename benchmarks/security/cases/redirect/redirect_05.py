"""Return to a relative page after changing settings."""

from flask import Flask, redirect, request

app = Flask(__name__)


@app.route("/settings/save", methods=["POST"])
def save_settings():
    back = request.form.get("back", "/settings")
    if not back.startswith("/"):
        back = "/settings"
    return redirect(back)
