"""Import an avatar from a URL."""

import urllib.request

from flask import Flask, request

app = Flask(__name__)


@app.route("/avatar/import", methods=["POST"])
def import_avatar():
    source = request.form["avatar_url"]
    with urllib.request.urlopen(source, timeout=5) as response:
        data = response.read(1_000_000)
    with open("/srv/app/avatars/new.png", "wb") as handle:
        handle.write(data)
    return {"bytes": len(data)}
