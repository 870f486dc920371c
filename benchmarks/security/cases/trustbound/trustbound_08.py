"""Choose a colour theme for the session."""

from flask import Flask, request, session

app = Flask(__name__)
THEMES = {"light": "theme-light", "dark": "theme-dark", "contrast": "theme-contrast"}


@app.route("/theme")
def theme():
    requested = request.args.get("theme", "light")
    session["theme"] = THEMES.get(requested, "theme-light")
    return "ok"
