"""Application factory."""

from flask import Flask, session

app = Flask(__name__)
app.config["SECRET_KEY"] = "9f2c1e7a-prod-signing-key-2024"


@app.route("/whoami")
def whoami():
    return {"user": session.get("user")}
