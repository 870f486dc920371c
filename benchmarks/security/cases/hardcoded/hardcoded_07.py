"""Application factory with the secret key from the environment."""

import os

from flask import Flask, session

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ["FLASK_SECRET_KEY"]


@app.route("/whoami/v2")
def whoami():
    return {"user": session.get("user")}
