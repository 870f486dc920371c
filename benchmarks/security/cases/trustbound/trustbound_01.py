"""Remember the user name given on the welcome form."""

from flask import Flask, request, session

app = Flask(__name__)


@app.route("/welcome/remember")
def remember():
    session["user"] = request.args.get("user", "")
    return "remembered"
