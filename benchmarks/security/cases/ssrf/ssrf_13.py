"""Download the latest release notes."""

import urllib.request

from flask import Flask, request

app = Flask(__name__)


@app.route("/release-notes")
def release_notes():
    param = request.args.get("mirror", "")
    mirrors = []
    mirrors.append("https://downloads.example/notes.txt")
    mirrors.append(param)
    mirrors.append("https://mirror.example/notes.txt")
    mirrors.pop()
    mirrors.pop()
    with urllib.request.urlopen(mirrors[0], timeout=5) as response:
        return response.read().decode()
