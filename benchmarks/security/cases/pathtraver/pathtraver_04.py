"""Inline the CSS of the theme remembered in a cookie."""

from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
THEMES = Path("/srv/app/themes")


@app.route("/theme.css")
def theme_css():
    theme = request.cookies.get("theme", "light.css")
    css = (THEMES / theme).read_text()
    return Response(css, mimetype="text/css")
