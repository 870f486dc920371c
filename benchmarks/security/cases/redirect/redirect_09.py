"""Jump to one of the named sections of the site."""

from flask import Flask, redirect, request

app = Flask(__name__)

SECTIONS = {"home": "/", "docs": "/docs/", "pricing": "/pricing", "blog": "https://blog.example.com/"}


@app.route("/jump")
def jump():
    section = request.args.get("to", "home")
    return redirect(SECTIONS.get(section, "/"))
